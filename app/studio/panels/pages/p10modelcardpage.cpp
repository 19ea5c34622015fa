#include "panels/pages/p10modelcardpage.hpp"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <exception>
#include <filesystem>
#include <system_error>

#include "panels/insightsdata.hpp"
#include "panels/pages/pagecommon.hpp"
#include "transparency/report_html.hpp"

namespace glasswing::studio {

namespace fs = std::filesystem;

namespace {

QString esc(const std::string& s) { return QString::fromStdString(s).toHtmlEscaped(); }

QString list(const std::vector<std::string>& lines) {
  if (lines.empty()) return QStringLiteral("<p><i>none</i></p>");
  QString out = QStringLiteral("<ul>");
  for (const auto& l : lines) out += QStringLiteral("<li>") + esc(l) + QStringLiteral("</li>");
  return out + QStringLiteral("</ul>");
}

bool folderHasEntries(const fs::path& folder) {
  std::error_code ec;
  return fs::is_directory(folder, ec) && fs::directory_iterator(folder, ec) != fs::directory_iterator();
}

}  // namespace

ModelCardPage::ModelCardPage(QWidget* parent) : InsightPage(parent) {
  auto* layout = new QVBoxLayout(this);
  m_buttons = new QWidget(this);
  auto* bar = new QHBoxLayout(m_buttons);
  bar->setContentsMargins(0, 0, 0, 0);
  auto* report = new QPushButton(tr("Export report…"), m_buttons);
  report->setToolTip(tr("Write the run's self-contained HTML report (every panel, the model card) to a file."));
  auto* bundle = new QPushButton(tr("Export bundle…"), m_buttons);
  bundle->setToolTip(tr("Copy the model bundle (model/) to a folder: `glasswing predict --model FOLDER` uses it."));
  bar->addWidget(report);
  bar->addWidget(bundle);
  bar->addStretch(1);
  layout->addWidget(m_buttons);
  m_status = new QLabel(this);
  m_status->setWordWrap(true);
  m_status->setTextFormat(Qt::PlainText);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(m_status);
  m_card = new QTextBrowser(this);
  m_card->setOpenLinks(false);
  m_card->setAccessibleName(tr("Model card"));
  layout->addWidget(m_card, 1);
  connect(report, &QPushButton::clicked, this, &ModelCardPage::onExportReport);
  connect(bundle, &QPushButton::clicked, this, &ModelCardPage::onExportBundle);
  clear();
}

void ModelCardPage::clear() {
  m_insights.reset();
  m_card->setPlainText(tr("No run is shown yet: the model card appears here when a run finishes."));
  m_status->clear();
  m_buttons->setEnabled(false);
}

void ModelCardPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  clear();
  m_insights = insights;
  const transparency::ModelCard& c = insights->card;
  QString html;
  html += QStringLiteral("<h2>Model card: %1</h2>").arg(pages::chosenModelName(*insights).toHtmlEscaped());
  html += QStringLiteral("<h3>Intended use</h3><p>%1</p>").arg(esc(c.intended_use));
  html += QStringLiteral("<h3>Data</h3>") + list(c.data);
  html += QStringLiteral("<h3>Metrics</h3>") + list(c.metrics);
  html += QStringLiteral("<h3>Limitations</h3>") + list(c.limitations);
  html += QStringLiteral("<h3>Warnings</h3>") + list(c.warnings);
  html += QStringLiteral("<h3>Versions</h3><table cellspacing=\"0\" cellpadding=\"3\">");
  for (const auto& [name, version] : c.versions)
    html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(esc(name), esc(version));
  html += QStringLiteral("</table>");
  html += QStringLiteral("<h3>Seed</h3><p>%1</p>").arg(c.seed);
  m_card->setHtml(html);
  m_buttons->setEnabled(true);
}

bool ModelCardPage::exportReport(const transparency::RunInsights& insights, const QString& file, QString* error) {
  try {
    transparency::write_report_html(insights, fs::path(file.toStdString()));
    return true;
  } catch (const std::exception& e) {
    if (error) *error = tr("The report could not be written to %1: %2").arg(QDir::toNativeSeparators(file), QString::fromUtf8(e.what()));
    return false;
  }
}

bool ModelCardPage::exportBundle(const transparency::RunInsights& insights, const QString& folder, bool overwrite,
                                 QString* error) {
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  const fs::path source = insights.run_dir / "model";
  const fs::path target(folder.toStdString());
  const QString shown = QDir::toNativeSeparators(folder);
  std::error_code ec;
  if (!fs::is_regular_file(source / "manifest.json", ec))
    return fail(tr("The run's bundle is missing (%1 has no manifest.json); run the search again.")
                    .arg(QDir::toNativeSeparators(QString::fromStdString(source.string()))));
  const fs::path canonicalSource = fs::weakly_canonical(source, ec);
  const fs::path canonicalTarget = fs::weakly_canonical(target, ec);
  if (canonicalTarget == canonicalSource)
    return fail(tr("%1 is the run's own bundle; choose another folder.").arg(shown));
  if (fs::exists(target, ec) && !fs::is_directory(target, ec))
    return fail(tr("%1 is a file, not a folder; choose a folder for the bundle.").arg(shown));
  if (folderHasEntries(target) && !overwrite)
    return fail(tr("%1 is not empty; choose an empty folder, or confirm to replace the bundle files in it.").arg(shown));
  fs::create_directories(target, ec);
  if (ec) return fail(tr("The folder %1 cannot be created (%2); choose a folder you can write to.").arg(shown, QString::fromStdString(ec.message())));
  fs::copy(source, target, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec)
    return fail(tr("The bundle could not be copied to %1 (%2); check the free space and permissions.")
                    .arg(shown, QString::fromStdString(ec.message())));
  return true;
}

void ModelCardPage::onExportReport() {
  if (!m_insights) return;
  const QString start = QString::fromStdString((m_insights->run_dir / "report.html").string());
  const QString file = QFileDialog::getSaveFileName(this, tr("Export Report"), start, tr("HTML report (*.html)"));
  if (file.isEmpty()) return;
  QString error;
  if (exportReport(*m_insights, file, &error)) {
    m_status->setText(tr("Report written to %1").arg(QDir::toNativeSeparators(file)));
    emit interacted(panelId(), QStringLiteral("export_report"), QStringLiteral("{}"));
  } else {
    m_status->setText(error);
  }
}

void ModelCardPage::onExportBundle() {
  if (!m_insights) return;
  const QString folder = QFileDialog::getExistingDirectory(
      this, tr("Export Bundle To"), QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation));
  if (folder.isEmpty()) return;
  bool overwrite = false;
  if (folderHasEntries(fs::path(folder.toStdString()))) {
    const auto answer = QMessageBox::question(
        this, tr("Replace files?"),
        tr("%1 is not empty. Replace the bundle files in it? Other files are left alone.").arg(QDir::toNativeSeparators(folder)),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return;
    overwrite = true;
  }
  QString error;
  if (exportBundle(*m_insights, folder, overwrite, &error)) {
    m_status->setText(tr("Bundle copied to %1").arg(QDir::toNativeSeparators(folder)));
    emit interacted(panelId(), QStringLiteral("export_bundle"), QStringLiteral("{\"overwrite\":%1}").arg(overwrite ? "true" : "false"));
  } else {
    m_status->setText(error);
  }
}

QString ModelCardPage::cardText() const { return m_card->toPlainText(); }
QString ModelCardPage::cardHtml() const { return m_card->toHtml(); }
QString ModelCardPage::statusText() const { return m_status->text(); }

}  // namespace glasswing::studio
