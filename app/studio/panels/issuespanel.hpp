#pragma once
// IssuesPanel: the Studio's list of things the user must see (a file that could not be read, a
// setting that was ignored, ...): severity, source and the one-line message from the engine.
// Errors are shown here instead of crashing or blocking the window with a modal dialog.

#include <QString>
#include <QWidget>

#include "automl/common/issues.hpp"

QT_BEGIN_NAMESPACE
class QTreeWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class IssuesPanel : public QWidget {
  Q_OBJECT

 public:
  explicit IssuesPanel(QWidget* parent = nullptr);

  void addIssue(Severity severity, const QString& source, const QString& message);
  void addIssues(const std::vector<Issue>& issues);
  void clear();

  int count() const;
  Severity severityAt(int row) const;
  QString messageAt(int row) const;

 signals:
  void issueAdded(glasswing::Severity severity, const QString& message);

 private:
  QTreeWidget* m_list = nullptr;
};

}  // namespace glasswing::studio
