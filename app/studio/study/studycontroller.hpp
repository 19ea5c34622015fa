#pragma once
// StudyController: study mode of the Studio (`glasswing-studio --study STUDY.db --participant
// ID`, docs/STUDIO.md "Study mode"). It owns the participant's StudySession and drives the
// window per the protocol:
// - shows only the condition's panels (InsightsPanel::setAllowedPanels for P1..P10; the Decision
//   tab only when the condition shows P11; a tab with no allowed page is hidden);
// - shows the current task in a "Study task" dock (title, instructions, dataset, target), opens the
//   task's dataset (a relative path is taken from the study file's folder) and chooses its target;
// - before the first task of a participant who has not agreed to the protocol's consent version,
//   shows the consent form (ConsentDialog) and logs `consent`; nothing else is logged until they
//   agree. Not agreeing (or closing the form) ends the session as "withdrawn", restores the window
//   to a normal Studio and emits withdrawn() (the MainWindow then deletes the controller);
// - logs through studies/ only the documented kinds: panel_open / panel_close whenever the page
//   the participant sees changes (Insights page or Decision tab; dwell computed by the log),
//   panel_interact for page interactions, the Run tab's leaderboard sort (P1) and chart export
//   (P6) when the condition shows them, override for metric changes, every column type change
//   (change_type; exclude_feature / include_feature for "ignore"), one per search-space
//   parameter edited (edit_search_space), run_start / run_end for every run (completed, stopped
//   or failed), decision (and export events for a deployment);
// - after a task's decision (or "Task Done" when P11 is hidden) shows the after_task
//   questionnaires, then the next task; after the last task the end_of_session (and "any")
//   questionnaires and the card sort, then ends the session as "completed";
// - closing the window ends the session ("aborted" when it was not completed).
// Dialogs are window-modal but not blocking (QDialog::open), so the event loop keeps running.

#include <QObject>
#include <QPointer>
#include <QString>
#include <QList>
#include <QStringList>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

QT_BEGIN_NAMESPACE
class QDialog;
class QDockWidget;
class QLabel;
class QPushButton;
QT_END_NAMESPACE

namespace glasswing::studio {

class MainWindow;
class StudySession;
struct Decision;

class StudyController : public QObject {
  Q_OBJECT

 public:
  // Starts study mode in `window` (which becomes the parent). nullptr with `error` set (one line)
  // when the study cannot be opened; the window is then left as it was.
  static StudyController* start(MainWindow* window, const QString& studyPath, const QString& participantId,
                                QString* error);
  ~StudyController() override;

  StudySession* session() const { return m_session.get(); }
  QString currentTaskId() const;
  int currentTaskIndex() const { return m_taskIndex; }
  int taskCount() const;
  bool isComplete() const { return m_complete; }
  // The page the participant sees now ("P1".."P11"; "" when none), as logged.
  QString visiblePanel() const { return m_visiblePanel; }
  // The questionnaire or card sort shown now (null when none).
  QDialog* activeDialog() const { return m_dialog; }
  QDockWidget* taskDock() const { return m_dock; }
  QString taskText() const;
  QPushButton* taskDoneButton() const { return m_taskDone; }
  // Ends the current task without a decision (conditions without P11).
  void finishTask();
  // Closes the visible panel and ends the session with `reason`; idempotent.
  void endSession(const QString& reason);
  // True while the consent form waits for an answer (nothing is logged then).
  bool awaitingConsent() const { return m_consentPending; }

 signals:
  void dialogShown(QDialog* dialog);
  void taskChanged(const QString& taskId);
  void sessionCompleted();
  // The participant did not consent: the session ended "withdrawn" and the window is a normal
  // Studio again; the owner should delete this controller.
  void withdrawn();
  void logFailed(const QString& message);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  StudyController(MainWindow* window, std::unique_ptr<StudySession> session);
  void setUp();
  void askConsent();
  void onConsent(bool agreed);
  void leaveStudyMode();
  void onRunStarted();
  void logRunEnd(const std::string& outcome, const nlohmann::json& fields);
  void connectSignals();
  void showTask();
  void openTaskData();
  void taskDone();
  void afterTask();
  void queueDialogs(const std::string& when);
  void showNextDialog();
  void updateVisiblePanel();
  void onDecided(const Decision& decision);
  void onTypeOverridden(const QString& column, const QString& from, const QString& to);
  void onSearchSpaceEdited(const QString& json);
  void logInteraction(const QString& panel, const QString& control, const nlohmann::json& value);
  void logOverride(const std::string& action, const QString& target, const nlohmann::json& before,
                   const nlohmann::json& after);
  bool shows(const QString& panel) const;
  nlohmann::json withTask(nlohmann::json payload) const;

  MainWindow* m_window = nullptr;
  std::unique_ptr<StudySession> m_session;
  QDockWidget* m_dock = nullptr;
  QLabel* m_taskLabel = nullptr;
  QPushButton* m_openData = nullptr;
  QPushButton* m_taskDone = nullptr;
  QStringList m_taskOrder;
  int m_taskIndex = 0;
  bool m_complete = false;
  bool m_runFinished = false;
  bool m_consentPending = false;
  bool m_runActive = false;    // a run_start was logged and its run_end not yet
  bool m_stopRequested = false;
  QStringList m_panelsBefore;  // the Insights pages listed before study mode (restored on withdrawal)
  QList<int> m_hiddenTabs;     // tabs study mode hid
  QString m_titleBefore;      // the window title before study mode
  nlohmann::ordered_json m_spaceNow;  // the search-space edits last logged
  QString m_visiblePanel;
  QString m_pendingTargetFor;  // the data path whose load should choose the task's target
  QString m_metricNow;
  QString m_metricBefore;
  std::deque<std::function<QDialog*()>> m_dialogs;
  std::function<void()> m_afterDialogs;
  QPointer<QDialog> m_dialog;
};

}  // namespace glasswing::studio
