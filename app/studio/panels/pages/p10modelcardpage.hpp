#pragma once
// P10 Model card: transparency::ModelCard as rich text (model, intended use, data, metrics with
// their intervals, limitations, warnings, versions, seed), with "Export report…" (report.html
// through transparency::write_report_html) and "Export bundle…" (a copy of the run's model/
// folder, which `glasswing predict` and engine::load_bundle take). The bundle export refuses a
// non-empty folder unless the user confirms (the dialog asks; scripts pass `overwrite`).

#include <memory>

#include "panels/insightpage.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QTextBrowser;
QT_END_NAMESPACE

namespace glasswing::studio {

class ModelCardPage : public InsightPage {
  Q_OBJECT

 public:
  explicit ModelCardPage(QWidget* parent = nullptr);

  QString panelId() const override { return QStringLiteral("P10"); }
  QString title() const override { return tr("Model card"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QString cardText() const;  // the card as plain text
  QString cardHtml() const;
  QString statusText() const;

  // Writes the run's report to `file` (FILE.tmp then rename). False with a one-line `error`
  // naming the file and the remedy when it cannot be written.
  static bool exportReport(const transparency::RunInsights& insights, const QString& file, QString* error);
  // Copies RUN_DIR/model into `folder` (created when missing). A folder that exists and is not
  // empty is refused (false, `error` says so) unless `overwrite`: then the bundle's files replace
  // theirs and other files are left alone.
  static bool exportBundle(const transparency::RunInsights& insights, const QString& folder, bool overwrite, QString* error);

 private:
  void onExportReport();
  void onExportBundle();

  std::shared_ptr<const transparency::RunInsights> m_insights;
  QTextBrowser* m_card = nullptr;
  QLabel* m_status = nullptr;
  QWidget* m_buttons = nullptr;
};

}  // namespace glasswing::studio
