#include "panels/pages/p5pipelinepage.hpp"

#include <QLabel>
#include <QVBoxLayout>

#include <set>

#include "panels/insightsdata.hpp"

namespace glasswing::studio {

using namespace pages;

PipelinePage::PipelinePage(QWidget* parent)
    : InsightPage(parent), m_frame(this, tr("No run shown: the feature pipeline appears when a run has finished.")) {
  setObjectName(QStringLiteral("P5"));
  m_summary = new QLabel(this);
  m_summary->setObjectName(QStringLiteral("pipelineSummary"));
  m_summary->setWordWrap(true);
  m_steps = makeTable(this, QStringLiteral("pipelineSteps"), {tr("Column"), tr("Step"), tr("Reason")});
  m_steps->setSortingEnabled(true);
  m_steps->setWordWrap(true);
  m_filter = new QLabel(this);
  m_filter->setObjectName(QStringLiteral("provenanceFilter"));
  m_features = makeTable(this, QStringLiteral("featureProvenance"), {tr("Feature"), tr("Source columns"), tr("Step")});
  m_features->setSortingEnabled(true);
  m_frame.summary()->addWidget(m_summary);
  m_frame.summary()->addWidget(m_steps, 1);
  m_frame.summary()->addWidget(m_filter);
  m_frame.summary()->addWidget(m_features, 1);
  m_frame.summary()->addStretch(100);  // fixed-height tables stay at the top
  m_frame.tabs()->setTabVisible(1, false);  // both tables are the summary; nothing more to detail
  connect(m_steps, &QTableWidget::itemSelectionChanged, this, [this] {
    const auto rows = m_steps->selectionModel()->selectedRows();
    if (rows.isEmpty()) return;
    const QTableWidgetItem* item = m_steps->item(rows.front().row(), 0);
    if (item == nullptr) return;
    filterFeatures(item->text());
    emit interacted(panelId(), QStringLiteral("select_row"), jsonDetail(QStringLiteral("column"), item->text()));
  });
}

QString PipelinePage::summaryText() const { return m_summary->text(); }

void PipelinePage::clear() {
  m_steps->setRowCount(0);
  m_features->setRowCount(0);
  m_summary->clear();
  m_filter->clear();
  m_frame.showContent(false);
}

void PipelinePage::filterFeatures(const QString& column) {
  int shown = 0;
  for (int r = 0; r < m_features->rowCount(); ++r) {
    const QTableWidgetItem* sources = m_features->item(r, 1);
    const bool match = column.isEmpty() ||
                       (sources != nullptr && sources->data(Qt::UserRole).toStringList().contains(column));
    m_features->setRowHidden(r, !match);
    if (match) ++shown;
  }
  m_filter->setText(column.isEmpty() ? tr("<b>Provenance</b> of every model feature (choose a column above to "
                                          "see only its features)")
                                     : tr("<b>Provenance</b>: %n feature(s) made from %1", "", shown)
                                           .arg(column.toHtmlEscaped()));
}

void PipelinePage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  const auto& pipeline = insights->pipeline;
  m_steps->setSortingEnabled(false);
  m_steps->setRowCount(static_cast<int>(pipeline.steps.size()));
  std::set<std::string> dropped;
  for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
    const auto& step = pipeline.steps[i];
    const int r = static_cast<int>(i);
    setText(m_steps, r, 0, qs(step.column));
    setText(m_steps, r, 1, qs(step.step));
    setText(m_steps, r, 2, qs(step.reason), qs(step.reason));
    if (step.step == "drop") dropped.insert(step.column);
  }
  m_steps->setSortingEnabled(true);
  finishTable(m_steps);

  m_features->setSortingEnabled(false);
  m_features->setRowCount(static_cast<int>(pipeline.features.size()));
  for (std::size_t i = 0; i < pipeline.features.size(); ++i) {
    const auto& feature = pipeline.features[i];
    const int r = static_cast<int>(i);
    setText(m_features, r, 0, qs(feature.name));
    QStringList sources;
    for (const auto& source : feature.sources) sources << qs(source);
    auto* item = new QTableWidgetItem(sources.join(QStringLiteral(", ")));
    item->setData(Qt::UserRole, sources);
    m_features->setItem(r, 1, item);
    setText(m_features, r, 2, qs(feature.step));
  }
  m_features->setSortingEnabled(true);
  finishTable(m_features);
  filterFeatures(QString());

  m_summary->setText(tr("%1 input column(s) became %2 model feature(s) in %3 step(s); %4 column(s) dropped.")
                         .arg(pipeline.input_columns)
                         .arg(pipeline.features.size())
                         .arg(pipeline.steps.size())
                         .arg(dropped.size()));
  m_frame.showContent(true);
}

}  // namespace glasswing::studio
