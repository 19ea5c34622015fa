#pragma once
// LikertScale: one rating on an integer scale [min, max] as a row of radio buttons, the value
// above each and the protocol's anchor label (if any) below it. Nothing is selected until the
// user chooses (no default that could bias an answer): value() is nullopt until then.
// Used by the decision panel (willingness, confidence) and the questionnaire dialog.

#include <QString>
#include <QWidget>
#include <map>
#include <optional>
#include <string>

QT_BEGIN_NAMESPACE
class QButtonGroup;
class QGridLayout;
QT_END_NAMESPACE

namespace glasswing::studio {

class LikertScale : public QWidget {
  Q_OBJECT

 public:
  explicit LikertScale(QWidget* parent = nullptr);

  // Rebuilds the buttons for [minimum, maximum]; anchors map a value (as text) to its label.
  // Clears the answer.
  void setScale(int minimum, int maximum, const std::map<std::string, std::string>& anchors = {});
  int minimum() const { return m_min; }
  int maximum() const { return m_max; }
  std::optional<int> value() const;
  // false when `value` is not on the scale.
  bool setValue(int value);
  void clear();

 signals:
  void valueChanged(int value);

 private:
  QGridLayout* m_grid = nullptr;
  QButtonGroup* m_group = nullptr;
  int m_min = 1;
  int m_max = 7;
};

}  // namespace glasswing::studio
