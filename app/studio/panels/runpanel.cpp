#include "panels/runpanel.hpp"

#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <exception>

#include "automl/metrics/metrics.hpp"
#include "charts/chartexport.hpp"
#include "charts/scorechart.hpp"
#include "models/leaderboardmodel.hpp"
#include "models/trialtablemodel.hpp"

namespace glasswing::studio {
namespace {

QTableView* makeTable(QWidget* parent, QSortFilterProxyModel* proxy, int sortRole) {
  proxy->setSortRole(sortRole);
  proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
  auto* view = new QTableView(parent);
  view->setModel(proxy);
  view->setSortingEnabled(true);
  view->setSelectionBehavior(QAbstractItemView::SelectRows);
  view->setSelectionMode(QAbstractItemView::SingleSelection);
  view->setAlternatingRowColors(true);
  view->setWordWrap(false);
  view->verticalHeader()->hide();
  view->horizontalHeader()->setStretchLastSection(true);
  view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  view->setTabKeyNavigation(false);  // Tab leaves the table; arrows move inside it
  return view;
}

QString secondsText(double seconds) { return QStringLiteral("%1 s").arg(QString::number(seconds, 'f', 1)); }

}  // namespace

RunPanel::RunPanel(QWidget* parent)
    : QWidget(parent),
      m_heading(new QLabel(this)),
      m_status(new QLabel(this)),
      m_progress(new QProgressBar(this)),
      m_export(new QPushButton(tr("Export chart…"), this)),
      m_chart(new ScoreChart(this)),
      m_tabs(new QTabWidget(this)),
      m_leaderboard(new LeaderboardModel(this)),
      m_leaderboardProxy(new QSortFilterProxyModel(this)),
      m_trials(new TrialTableModel(this)),
      m_trialProxy(new QSortFilterProxyModel(this)),
      m_ticker(new QTimer(this)) {
  m_heading->setTextFormat(Qt::RichText);
  m_heading->setText(tr("<b>Run</b>"));
  m_status->setTextFormat(Qt::PlainText);
  m_status->setWordWrap(true);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_status->setAccessibleName(tr("Run progress"));
  m_status->setText(tr("No run yet. Choose the target and the settings, then press Start (Ctrl+R)."));
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_progress->setTextVisible(true);
  m_progress->setAccessibleName(tr("Run progress"));
  m_export->setToolTip(tr("Save the score chart as a PNG or SVG file."));
  connect(m_export, &QPushButton::clicked, this, &RunPanel::exportRequested);

  m_leaderboardProxy->setSourceModel(m_leaderboard);
  m_leaderboardView = makeTable(this, m_leaderboardProxy, LeaderboardModel::SortRole);
  m_leaderboardView->setAccessibleName(tr("Leaderboard"));
  m_leaderboardView->sortByColumn(LeaderboardModel::Rank, Qt::AscendingOrder);
  m_trialProxy->setSourceModel(m_trials);
  m_trialView = makeTable(this, m_trialProxy, TrialTableModel::SortRole);
  m_trialView->setAccessibleName(tr("Trials"));
  m_trialView->sortByColumn(TrialTableModel::Number, Qt::AscendingOrder);
  m_tabs->addTab(m_leaderboardView, tr("&Leaderboard"));
  m_tabs->addTab(m_trialView, tr("T&rials"));

  auto* top = new QHBoxLayout;
  top->addWidget(m_heading);
  top->addWidget(m_progress, 1);
  top->addWidget(m_export);
  auto* splitter = new QSplitter(Qt::Vertical, this);
  splitter->addWidget(m_chart);
  splitter->addWidget(m_tabs);
  splitter->setStretchFactor(0, 1);
  splitter->setStretchFactor(1, 1);
  splitter->setChildrenCollapsible(false);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(top);
  layout->addWidget(m_status);
  layout->addWidget(splitter, 1);

  m_ticker->setInterval(500);
  connect(m_ticker, &QTimer::timeout, this, &RunPanel::updateProgress);
}

void RunPanel::setElapsedProvider(std::function<double()> provider) { m_elapsed = std::move(provider); }

void RunPanel::runStarted(const engine::RunSettings& settings, const QString& runDirectory) {
  const bool resumed = settings.resume && runDirectory == m_runDirectory;
  m_settings = settings;
  m_runDirectory = runDirectory;
  m_running = true;
  m_stopping = false;
  m_finalText.clear();
  m_leaderboard->clear();
  if (!resumed) {
    m_trials->clear();
    QString metric;
    bool maximize = true;
    if (settings.metric != "auto") {
      try {
        maximize = metrics::info(settings.metric).direction == metrics::Direction::Maximize;
        metric = QString::fromStdString(settings.metric);
      } catch (const std::exception&) {
        // The engine reports an unknown metric; the chart stays unlabelled until then.
      }
    }
    m_chart->reset(metric, maximize);
  }
  m_trialsAtStart = m_trials->rowCount();
  m_heading->setText(resumed ? tr("<b>Run</b> (resumed)") : tr("<b>Run</b>"));
  m_tabs->setCurrentWidget(m_trialView);
  m_ticker->start();
  updateProgress();
}

void RunPanel::addTrials(const std::vector<engine::TrialEvent>& trials) {
  m_trials->append(trials);
  m_chart->addTrials(trials);
  m_trialView->scrollToBottom();
  updateProgress();
}

void RunPanel::setStopping() {
  m_stopping = true;
  updateProgress();
}

void RunPanel::runFinished(const engine::RunResult& result) {
  m_running = false;
  m_ticker->stop();
  m_leaderboard->setResult(result.leaderboard, QString::fromStdString(result.metric), result.maximize);
  m_chart->setMetric(QString::fromStdString(result.metric), result.maximize);
  m_leaderboardView->sortByColumn(LeaderboardModel::Rank, Qt::AscendingOrder);
  m_leaderboardView->resizeColumnsToContents();
  m_tabs->setCurrentWidget(m_leaderboardView);
  QString best;
  if (!result.leaderboard.empty()) {
    const auto& top = result.leaderboard.front();
    // An ensemble's row has no trial (-1): it is named by its size (its params list the members).
    const QString which = top.trial >= 0      ? tr("trial %1 (%2)").arg(top.trial).arg(QString::fromStdString(top.family))
                          : top.params.size() == 1 ? tr("ensemble of 1 candidate")
                                                   : tr("ensemble of %1 candidates").arg(top.params.size());
    best = tr("best: %1 CV %2 %3 ± %4")
               .arg(which, QString::fromStdString(result.metric), QString::number(top.cv_mean, 'f', 4),
                    QString::number(top.cv_sd, 'f', 4));
  }
  const QString baseline = result.baseline_cv
                               ? tr("; constant baseline %1").arg(QString::number(*result.baseline_cv, 'f', 4))
                               : QString();
  m_finalText = tr("Finished: %1 task, %2 (%3); %4 complete, %5 failed trials in %6; %7%8. Run directory: %9")
                    .arg(QString::fromStdString(result.task), QString::fromStdString(result.metric),
                         result.maximize ? tr("higher is better") : tr("lower is better"))
                    .arg(result.trials_complete)
                    .arg(result.trials_failed)
                    .arg(secondsText(result.seconds), best, baseline,
                         QDir::toNativeSeparators(QString::fromStdString(result.run_dir.string())));
  m_progress->setRange(0, 1);
  m_progress->setValue(1);
  m_progress->setFormat(tr("done"));
  m_status->setText(m_finalText);
}

void RunPanel::runFailed(const QString& message) {
  m_running = false;
  m_ticker->stop();
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_progress->setFormat(tr("failed"));
  m_finalText = tr("The run failed: %1").arg(message);
  m_status->setText(m_finalText);
}

QString RunPanel::progressText() const { return m_status->text(); }

void RunPanel::updateProgress() {
  if (!m_running) return;
  const double elapsed = m_elapsed ? m_elapsed() : 0.0;
  const int done = m_trials->rowCount();
  const int failed = m_trials->failedCount();
  double fraction = -1.0;
  QString trialsText = tr("%1 trials").arg(done);
  if (m_settings.max_trials) {
    trialsText = tr("%1 of %2 trials").arg(done).arg(*m_settings.max_trials);
    fraction = std::max(fraction, static_cast<double>(done) / std::max(1, *m_settings.max_trials));
  }
  QString timeText = secondsText(elapsed);
  if (m_settings.time_budget_s) {
    timeText = tr("%1 of %2").arg(secondsText(elapsed), secondsText(*m_settings.time_budget_s));
    fraction = std::max(fraction, elapsed / std::max(1.0, *m_settings.time_budget_s));
  }
  if (fraction < 0.0) {
    m_progress->setRange(0, 0);  // no limit known: indeterminate
  } else {
    m_progress->setRange(0, 1000);
    m_progress->setValue(static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0));
    m_progress->setFormat(trialsText);
  }
  QString best = tr("no complete trial yet");
  if (done > 0) {
    const auto& last = m_trials->trials().back();
    if (last.best_number >= 0) {
      best = tr("best %1 (trial %2)").arg(QString::number(last.best_value, 'f', 4)).arg(last.best_number);
    }
  }
  QString text = tr("%1 %2 (%3 failed) · %4 · %5")
                     .arg(m_stopping ? tr("Stopping after the current trial…") : tr("Running:"),
                          trialsText)
                     .arg(failed)
                     .arg(best, timeText);
  m_status->setText(text);
}

bool RunPanel::exportScoreChart(const QString& path, QString* error) {
  return exportWidgetImage(m_chart, path, error);
}

}  // namespace glasswing::studio
