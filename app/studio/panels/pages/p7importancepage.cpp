#include "panels/pages/p7importancepage.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "charts/hbarchart.hpp"
#include "palette.hpp"
#include "panels/pages/pagecommon.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

ImportancePage::ImportancePage(QWidget* parent) : InsightPage(parent) {
  auto* content = new QWidget;
  auto* layout = new QVBoxLayout(content);
  m_summary = pages::summaryLabel(content);
  m_notices = pages::noticeLabel(content);
  layout->addWidget(m_summary);
  layout->addWidget(m_notices);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Importance of"), content));
  m_scope = new QComboBox(content);
  m_scope->setAccessibleName(tr("Importance scope"));
  bar->addWidget(m_scope);
  bar->addStretch(1);
  auto* exportButton = new QPushButton(tr("Export chart…"), content);
  bar->addWidget(exportButton);
  layout->addLayout(bar);
  m_chart = new HBarChart(content);
  layout->addWidget(m_chart);
  m_table = new QTableWidget(content);
  m_table->setColumnCount(4);
  m_table->setHorizontalHeaderLabels({tr("Hyperparameter"), tr("Family"), tr("Importance"), tr("Spread (sd)")});
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->hide();
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setMinimumHeight(160);
  layout->addWidget(pages::detailsToggle(tr("Numbers"), m_table, content));
  layout->addWidget(m_table);
  layout->addStretch(1);
  connect(m_scope, &QComboBox::currentIndexChanged, this, [this](int) {
    draw();
    if (m_insights)
      emit interacted(panelId(), QStringLiteral("importance_scope"),
                      pages::jsonDetail(QStringLiteral("scope"), m_scope->currentText()));
  });
  connect(exportButton, &QPushButton::clicked, this, [this] {
    QString error;
    if (!pages::exportChartWithDialog(m_chart, this, QStringLiteral("hyperparameter-importance"), &error).isEmpty())
      emit interacted(panelId(), QStringLiteral("export_chart"), QStringLiteral("{\"chart\":\"importance\"}"));
    if (!error.isEmpty()) pages::setNotices(m_notices, {error.toStdString()});
  });
  pages::setScrolledContent(this, content);
  clear();
}

void ImportancePage::clear() {
  m_insights.reset();
  m_summary->setText(tr("No run is shown yet: hyperparameter importance appears here when a run finishes."));
  pages::setNotices(m_notices, {});
  {
    const QSignalBlocker block(m_scope);
    m_scope->clear();
  }
  m_chart->clear();
  m_table->setRowCount(0);
}

void ImportancePage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  clear();
  m_insights = insights;
  const auto& s = insights->search;
  if (!s.analysis) {
    m_summary->setText(tr("There is no search analysis for this run, so no hyperparameter importance."));
    pages::setNotices(m_notices, s.notices);
    return;
  }
  const QSignalBlocker block(m_scope);
  m_scope->addItem(QStringLiteral("global"));
  for (const auto& r : s.analysis->family_importance) m_scope->addItem(QString::fromStdString(r.scope));
  m_scope->setCurrentIndex(0);
  draw();
}

void ImportancePage::draw() {
  m_chart->clear();
  m_table->setRowCount(0);
  if (!m_insights || !m_insights->search.analysis) return;
  const auto& a = *m_insights->search.analysis;
  const QString scope = m_scope->currentText();
  const transparency::ImportanceResult* r = &a.importance;
  for (const auto& f : a.family_importance)
    if (QString::fromStdString(f.scope) == scope) r = &f;
  std::vector<std::string> notices;
  if (!r->skipped.empty()) {
    std::string names;
    for (const auto& n : r->skipped) names += (names.empty() ? "" : ", ") + n;
    notices.push_back("left out (not present in every trial): " + names);
  }
  if (!r->available) {
    m_summary->setText(tr("No importance for %1: %2").arg(scope, QString::fromStdString(r->reason)));
    pages::setNotices(m_notices, notices);
    return;
  }
  if (r->unattributed > 0.0)
    notices.push_back("unattributed share (families without an importance of their own): " +
                      pages::num(r->unattributed, 3).toStdString());
  pages::setNotices(m_notices, notices);
  std::vector<HBar> bars;
  for (const auto& p : r->params) {  // largest first, as computed
    HBar b;
    b.label = p.family.empty() || scope != QStringLiteral("global") ? QString::fromStdString(p.label)
                                                                     : QStringLiteral("%1: %2").arg(QString::fromStdString(p.family),
                                                                                                    QString::fromStdString(p.label));
    b.to = p.importance;
    b.whiskerLow = std::max(0.0, p.importance - p.sd);
    b.whiskerHigh = p.importance + p.sd;
    b.color = p.name == "model" ? palette::orange() : palette::numericBars();
    bars.push_back(b);
  }
  m_chart->setBars(tr("Hyperparameter importance (%1, fANOVA over %2 trials)").arg(scope).arg(r->trials),
                   tr("share of the score's variance"), bars);
  m_table->setRowCount(static_cast<int>(r->params.size()));
  for (int i = 0; i < static_cast<int>(r->params.size()); ++i) {
    const auto& p = r->params[static_cast<std::size_t>(i)];
    m_table->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(p.name)));
    m_table->setItem(i, 1, new QTableWidgetItem(QString::fromStdString(p.family)));
    m_table->setItem(i, 2, new QTableWidgetItem(pages::num(p.importance)));
    m_table->setItem(i, 3, new QTableWidgetItem(pages::num(p.sd)));
  }
  m_table->resizeColumnsToContents();
  if (r->params.empty()) return;
  const auto& top = r->params.front();
  m_summary->setText(tr("%1: the most important hyperparameter is %2 (%3% of the variance of the score), over %4 complete trials.")
                         .arg(scope == QStringLiteral("global") ? tr("Globally") : scope,
                              QString::fromStdString(top.name), QString::number(top.importance * 100.0, 'f', 1))
                         .arg(r->trials));
}

QString ImportancePage::summaryText() const { return m_summary->text(); }
QString ImportancePage::scope() const { return m_scope->currentText(); }

QStringList ImportancePage::scopes() const { return pages::comboItems(m_scope); }

bool ImportancePage::setScope(const QString& scope) { return pages::selectComboText(m_scope, scope); }

}  // namespace glasswing::studio
