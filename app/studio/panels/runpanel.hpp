#pragma once
// RunPanel: the live view of a run. A progress line (trials done of the maximum, or time used of
// the budget; the best score and which trial holds it; elapsed time), the score-over-time chart,
// and two sortable tables: the leaderboard (filled when the run ends, the constant baseline
// marked) and every finished trial with its state and, for failed ones, the reason.
//
// It shows what the RunWorker reports; it starts nothing. Updates arrive in batches (at most ~5
// a second), and the elapsed time ticks twice a second from a timer of its own.

#include <QString>
#include <QWidget>
#include <functional>
#include <memory>
#include <vector>

#include "automl/engine/run.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTimer;
QT_END_NAMESPACE

namespace glasswing::studio {

class LeaderboardModel;
class ScoreChart;
class TrialTableModel;

class RunPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunPanel(QWidget* parent = nullptr);

  // A run starts (resumed: the trials table keeps what it has; the engine reports the new ones).
  void runStarted(const engine::RunSettings& settings, const QString& runDirectory);
  void addTrials(const std::vector<engine::TrialEvent>& trials);
  void runFinished(const engine::RunResult& result);
  void runFailed(const QString& message);
  void setStopping();
  // Where the elapsed time shown during a run comes from (the RunWorker's clock).
  void setElapsedProvider(std::function<double()> provider);

  QString progressText() const;
  ScoreChart* scoreChart() const { return m_chart; }
  LeaderboardModel* leaderboardModel() const { return m_leaderboard; }
  TrialTableModel* trialModel() const { return m_trials; }
  QTableView* leaderboardView() const { return m_leaderboardView; }
  QTableView* trialView() const { return m_trialView; }
  QTabWidget* tabs() const { return m_tabs; }
  QProgressBar* progressBar() const { return m_progress; }

  // Saves the score chart (.png or .svg); false with `error` set when it cannot.
  bool exportScoreChart(const QString& path, QString* error);

 signals:
  void exportRequested();

 private:
  void updateProgress();

  QLabel* m_heading = nullptr;
  QLabel* m_status = nullptr;
  QProgressBar* m_progress = nullptr;
  QPushButton* m_export = nullptr;
  ScoreChart* m_chart = nullptr;
  QTabWidget* m_tabs = nullptr;
  LeaderboardModel* m_leaderboard = nullptr;
  QSortFilterProxyModel* m_leaderboardProxy = nullptr;
  QTableView* m_leaderboardView = nullptr;
  TrialTableModel* m_trials = nullptr;
  QSortFilterProxyModel* m_trialProxy = nullptr;
  QTableView* m_trialView = nullptr;
  QTimer* m_ticker = nullptr;
  std::function<double()> m_elapsed;
  engine::RunSettings m_settings;
  QString m_runDirectory;
  QString m_finalText;
  int m_trialsAtStart = 0;
  bool m_running = false;
  bool m_stopping = false;
};

}  // namespace glasswing::studio
