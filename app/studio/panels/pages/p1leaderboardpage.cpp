#include "panels/pages/p1leaderboardpage.hpp"

#include <QHeaderView>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

#include "palette.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

using namespace pages;

namespace {
enum Column { Rank, Trial, Family, Role, CvMean, CvSd, FoldMin, FoldMax, Test, FitS, PredictS, Params, ColumnCount };
}

LeaderboardPage::LeaderboardPage(QWidget* parent)
    : InsightPage(parent), m_frame(this, tr("No run shown: the leaderboard appears when a run has finished.")) {
  setObjectName(QStringLiteral("P1"));
  m_summary = new QLabel(this);
  m_summary->setObjectName(QStringLiteral("leaderboardSummary"));
  m_summary->setWordWrap(true);
  m_table = makeTable(this, QStringLiteral("leaderboardTable"),
                      {tr("Rank"), tr("Trial"), tr("Family"), tr("Role"), tr("CV mean"), tr("CV sd"), tr("Fold min"),
                       tr("Fold max"), tr("Test"), tr("Fit s"), tr("Predict s"), tr("Hyperparameters")});
  m_table->setSortingEnabled(true);
  m_table->setWordWrap(false);
  m_folds = makeTable(this, QStringLiteral("leaderboardFolds"), {tr("Trial"), tr("Family")});
  m_folds->setSortingEnabled(true);
  m_frame.summary()->addWidget(m_summary);
  m_frame.summary()->addWidget(m_table, 1);
  auto* foldsNote = new QLabel(tr("Each candidate's score on every cross-validation fold."), this);
  m_frame.details()->addWidget(foldsNote);
  m_frame.details()->addWidget(m_folds, 1);
  m_frame.summary()->addStretch(100);  // fixed-height tables stay at the top
  m_frame.details()->addStretch(100);
  connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this,
          [this](int column, Qt::SortOrder order) {
            if (m_filling) return;  // the page sorting itself while it fills
            emit interacted(panelId(), QStringLiteral("sort"),
                            QStringLiteral("{\"column\":%1,\"descending\":%2}")
                                .arg(column)
                                .arg(order == Qt::DescendingOrder ? QStringLiteral("true") : QStringLiteral("false")));
          });
}

QString LeaderboardPage::summaryText() const { return m_summary->text(); }

void LeaderboardPage::clear() {
  m_table->setRowCount(0);
  m_folds->setRowCount(0);
  m_summary->clear();
  m_frame.setNotices({});
  m_frame.showContent(false);
}

void LeaderboardPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  m_filling = true;
  const auto& board = insights->leaderboard;
  const QString metric = qs(board.metric);
  const QString tip = metricTooltip(board.metric);
  m_table->setSortingEnabled(false);
  m_table->setRowCount(static_cast<int>(board.rows.size()));
  for (int column : {CvMean, CvSd, FoldMin, FoldMax, Test}) {
    m_table->horizontalHeaderItem(column)->setToolTip(tip);
  }
  m_table->horizontalHeaderItem(CvMean)->setText(tr("CV %1 mean").arg(metric));
  m_table->horizontalHeaderItem(Test)->setText(tr("Test %1").arg(metric));
  std::size_t maxFolds = 0;
  const transparency::LeaderboardEntry* chosen = nullptr;
  const transparency::LeaderboardEntry* bestBaseline = nullptr;
  for (std::size_t i = 0; i < board.rows.size(); ++i) {
    const auto& row = board.rows[i];
    const int r = static_cast<int>(i);
    maxFolds = std::max(maxFolds, row.folds.values.size());
    if (row.chosen && chosen == nullptr) chosen = &row;
    if (row.baseline && bestBaseline == nullptr) bestBaseline = &row;
    setNumber(m_table, r, Rank, row.rank, 6);
    setNumber(m_table, r, Trial, static_cast<double>(row.trial), 10);
    if (row.trial < 0) m_table->item(r, Trial)->setText(QStringLiteral("—"));  // an ensemble: no single trial
    setText(m_table, r, Family, qs(row.family));
    QString role;
    if (row.chosen) role = tr("chosen");
    if (row.baseline) role = role.isEmpty() ? tr("baseline") : role + tr(", baseline");
    setText(m_table, r, Role, role,
            row.baseline ? tr("A baseline (constant or linear): a model worth using must beat it.") : QString());
    setNumber(m_table, r, CvMean, row.cv_mean);
    setNumber(m_table, r, CvSd, row.cv_sd);
    setNumber(m_table, r, FoldMin, row.folds.min);
    setNumber(m_table, r, FoldMax, row.folds.max);
    setNumber(m_table, r, Test, row.test_score ? *row.test_score : std::nan(""));
    setNumber(m_table, r, FitS, row.fit_s, 3);
    setNumber(m_table, r, PredictS, row.predict_s, 3);
    // An ensemble's row lists its members ("trial 3 (xgboost) ×0.60, …"), not their JSON.
    setText(m_table, r, Params, paramsText(row.params), qs(row.params));
    for (int c = 0; c < ColumnCount; ++c) {
      if (auto* item = m_table->item(r, c)) {
        if (row.chosen) {
          QFont font = item->font();
          font.setBold(true);
          item->setFont(font);
        } else if (row.baseline) {
          item->setForeground(palette::blue());
        }
      }
    }
  }
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(Rank, Qt::AscendingOrder);
  finishTable(m_table);

  // Details: per-fold scores.
  m_folds->setSortingEnabled(false);
  m_folds->setColumnCount(2 + static_cast<int>(maxFolds));
  QStringList headers{tr("Trial"), tr("Family")};
  for (std::size_t f = 0; f < maxFolds; ++f) headers << tr("Fold %1").arg(f + 1);
  m_folds->setHorizontalHeaderLabels(headers);
  m_folds->setRowCount(static_cast<int>(board.rows.size()));
  for (std::size_t i = 0; i < board.rows.size(); ++i) {
    const auto& row = board.rows[i];
    const int r = static_cast<int>(i);
    setNumber(m_folds, r, 0, static_cast<double>(row.trial), 10);
    if (row.trial < 0) m_folds->item(r, 0)->setText(QStringLiteral("—"));  // an ensemble: no single trial
    setText(m_folds, r, 1, qs(row.family), row.trial < 0 ? ensembleMembersText(row.params) : QString());
    for (std::size_t f = 0; f < row.folds.values.size(); ++f) {
      setNumber(m_folds, r, 2 + static_cast<int>(f), row.folds.values[f]);
    }
  }
  m_folds->setSortingEnabled(true);
  finishTable(m_folds);

  QString text = tr("%n candidate(s) ranked by cross-validated %1 (%2).", "", static_cast<int>(board.rows.size()))
                     .arg(metric, qs(board.direction));
  if (chosen != nullptr) {
    text += tr(" Chosen: %1, CV %2 ± %3").arg(candidateName(*chosen), num(chosen->cv_mean), num(chosen->cv_sd));
    if (chosen->trial < 0) text += tr(" (%1)").arg(ensembleMembersText(chosen->params));
    if (chosen->test_score) text += tr(", test %1").arg(num(*chosen->test_score));
    text += QLatin1Char('.');
  }
  if (bestBaseline != nullptr) {
    text += tr(" Best baseline: %1, CV %2.").arg(qs(bestBaseline->family), num(bestBaseline->cv_mean));
  }
  m_summary->setText(text);
  m_summary->setToolTip(tip);
  m_frame.setNotices(board.notices);
  m_frame.showContent(true);
  m_filling = false;
}

}  // namespace glasswing::studio
