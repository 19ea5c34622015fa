#pragma once
// MainWindow: menus, the status bar, drag and drop and recent files around the panels. It owns
// no data logic: the CsvLoader reads files off the GUI thread, the DataPanel shows them, the
// RunSetupPanel turns the form into engine settings, the RunWorker runs the engine on a thread of
// its own, the RunPanel shows the run live, and the IssuesPanel shows what went wrong. Two tabs:
// Data (the profile) and Run (settings beside the live view).

#include <QMainWindow>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

#include "automl/engine/run.hpp"

QT_BEGIN_NAMESPACE
class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

struct LoadedDataset;
class CsvLoader;
class DataPanel;
class DecisionPanel;
class InsightsPanel;
class IssuesPanel;
class RunPanel;
class RunSetupPanel;
class RunWorker;
class StudyController;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Starts loading `path` in the background; loadFinished() follows.
  void openFile(const QString& path);
  bool isLoading() const;
  // Stops the load in progress, if any; what is shown stays as it was and no loadFinished() follows.
  void cancelLoading();
  // Writes what the window shows now to a PNG file; false (with an Issue) when it cannot.
  bool saveScreenshot(const QString& path);

  // Files the Studio offers to open and accepts when dropped: .csv, .tsv, .txt, optionally .gz.
  static bool isSupportedDataFile(const QString& path);

  // Starts a run with the Run tab's settings in a new directory under the runs folder; false
  // (with the reason in the Issues panel and the status bar, and runFinished(false) at once)
  // when it cannot start.
  bool startRun();
  // Continues the last run's search in its directory (RunSettings::resume).
  bool resumeRun();
  // Asks the run in progress to stop; runFinished() follows (finished trials make the result).
  void stopRun();
  bool isRunning() const;
  // The directory of the last run started (empty before the first).
  QString lastRunDirectory() const { return m_lastRunDir; }
  // Saves the score chart as .png or .svg; false (with an Issue) when it cannot.
  bool exportScoreChart(const QString& path);

  DataPanel* dataPanel() const { return m_dataPanel; }
  // The Insights tab: the transparency panels of the last finished run, or of one opened with
  // File ▸ Open Run… (openRunDirectory). Loading is off the GUI thread; errors go to the Issues panel.
  InsightsPanel* insightsPanel() const { return m_insightsPanel; }
  // Shows the run in `runDirectory` in the Insights tab (loaded in the background).
  void openRunDirectory(const QString& runDirectory);
  // P11: the decision about the last finished run (the Decision tab).
  DecisionPanel* decisionPanel() const { return m_decisionPanel; }
  // Study mode (app/studio/study): opens STUDY.db for the participant and shows only their
  // condition's panels. false (with the one-line reason in `error`, the Issues panel and the
  // status bar) when it cannot; the window then stays as it was.
  bool startStudy(const QString& studyPath, const QString& participantId, QString* error = nullptr);
  StudyController* studyController() const { return m_study; }
  RunSetupPanel* runSetupPanel() const { return m_runSetup; }
  RunPanel* runPanel() const { return m_runPanel; }
  RunWorker* runWorker() const { return m_runWorker; }
  QTabWidget* tabs() const { return m_tabs; }
  IssuesPanel* issuesPanel() const { return m_issuesPanel; }
  QDockWidget* issuesDock() const { return m_issuesDock; }
  QString statusText() const;
  QStringList recentFiles() const;

 signals:
  void loadStarted(const QString& path);
  // ok: the file is shown; otherwise the reason is in the Issues panel and the status bar.
  void loadFinished(bool ok);
  void runStarted(const QString& runDirectory);
  // The user asked the run in progress to stop (Stop button or menu); runFinished() follows.
  void runStopping();
  // ok: the run made a result (also when stopped early); otherwise the reason is in the Issues
  // panel and the status bar.
  void runFinished(bool ok);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void createMenus();
  void showOpenDialog();
  void showOpenRunDialog();
  void onLoadStarted(const QString& path);
  void onLoaded(const std::shared_ptr<const LoadedDataset>& dataset);
  void onLoadFailed(const QString& path, const QString& message, int kind);
  void addRecentFile(const QString& path);
  void updateRecentMenu();
  void setStatus(const QString& text);
  bool launchRun(bool resume);
  void onRunFinished(const std::shared_ptr<const engine::RunResult>& result);
  void onRunFailed(const QString& message, int kind);
  void onTrials(const std::vector<engine::TrialEvent>& trials);
  void updateRunActions();
  void showIssues();
  void showExportDialog();

  CsvLoader* m_loader = nullptr;
  DataPanel* m_dataPanel = nullptr;
  InsightsPanel* m_insightsPanel = nullptr;
  IssuesPanel* m_issuesPanel = nullptr;
  QDockWidget* m_issuesDock = nullptr;
  QMenu* m_recentMenu = nullptr;
  QAction* m_cancelAction = nullptr;
  QString m_loadingPath;
  QLabel* m_statusLabel = nullptr;
  QProgressBar* m_busy = nullptr;
  QTabWidget* m_tabs = nullptr;
  RunSetupPanel* m_runSetup = nullptr;
  RunPanel* m_runPanel = nullptr;
  RunWorker* m_runWorker = nullptr;
  QAction* m_startAction = nullptr;
  QAction* m_stopAction = nullptr;
  QAction* m_resumeAction = nullptr;
  QString m_lastRunDir;
  DecisionPanel* m_decisionPanel = nullptr;
  StudyController* m_study = nullptr;
};

}  // namespace glasswing::studio
