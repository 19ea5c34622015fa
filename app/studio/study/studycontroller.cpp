#include "study/studycontroller.hpp"

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QScreen>
#include <QTabWidget>
#include <QTableView>
#include <QJsonObject>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <set>

#include "automl/common/issues.hpp"
#include "mainwindow.hpp"
#include "panels/datapanel.hpp"
#include "panels/decisionpanel.hpp"
#include "panels/insightspanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/runpanel.hpp"
#include "panels/runsetuppanel.hpp"
#include "study/cardsortdialog.hpp"
#include "study/consentdialog.hpp"
#include "study/questionnairedialog.hpp"
#include "study/studysession.hpp"
#include "workers/csvloader.hpp"
#include "workers/runworker.hpp"

namespace glasswing::studio {
namespace {

QString q(const std::string& text) { return QString::fromStdString(text); }

QString escaped(const std::string& text) { return q(text).toHtmlEscaped(); }

// The tab index whose page is `widget` or holds it; -1 when none.
int tabOf(QTabWidget* tabs, QWidget* widget) {
  if (widget == nullptr) return -1;
  for (int i = 0; i < tabs->count(); ++i) {
    QWidget* page = tabs->widget(i);
    if (page == widget || page->isAncestorOf(widget)) return i;
  }
  return -1;
}

}  // namespace

StudyController* StudyController::start(MainWindow* window, const QString& studyPath,
                                        const QString& participantId, QString* error) {
  nlohmann::json client = {{"locale", QLocale().name().replace(QLatin1Char('_'), QLatin1Char('-')).toStdString()}};
  if (const QScreen* screen = QApplication::primaryScreen()) {
    const QSize size = screen->size() * screen->devicePixelRatio();
    client["screen_px"] = QStringLiteral("%1x%2").arg(size.width()).arg(size.height()).toStdString();
  }
  auto session = StudySession::open(studyPath, participantId, client, error);
  if (!session) return nullptr;
  auto* controller = new StudyController(window, std::move(session));
  controller->setUp();
  return controller;
}

StudyController::StudyController(MainWindow* window, std::unique_ptr<StudySession> session)
    : QObject(window), m_window(window), m_session(std::move(session)) {
  for (const auto& id : m_session->info().task_order) m_taskOrder << q(id);
  // Tasks decided in earlier sessions are done: continue with the first one that is not.
  const QStringList done = m_session->tasksDoneBefore();
  while (m_taskIndex < m_taskOrder.size() && done.contains(m_taskOrder[m_taskIndex])) ++m_taskIndex;
}

StudyController::~StudyController() { endSession(QStringLiteral("aborted")); }

QString StudyController::currentTaskId() const {
  return m_taskIndex < m_taskOrder.size() ? m_taskOrder[m_taskIndex] : QString();
}

int StudyController::taskCount() const { return static_cast<int>(m_taskOrder.size()); }

bool StudyController::shows(const QString& panel) const {
  return m_session->condition().shows(panel.toStdString());
}

nlohmann::json StudyController::withTask(nlohmann::json payload) const {
  const QString task = currentTaskId();
  if (!task.isEmpty()) payload["task_id"] = task.toStdString();
  return payload;
}

void StudyController::setUp() {
  const auto& protocol = m_session->protocol();
  QTabWidget* tabs = m_window->tabs();

  // Panels: only the condition's.
  QStringList insightPanels;
  for (const auto& panel : m_session->condition().panels) {
    if (panel != "P11") insightPanels << q(panel);
  }
  if (auto* insights = m_window->findChild<InsightsPanel*>()) {
    m_panelsBefore = insights->panelIds();
    insights->setAllowedPanels(insightPanels);
    if (insightPanels.isEmpty()) {
      if (const int i = tabOf(tabs, insights); i >= 0 && tabs->isTabVisible(i)) {
        tabs->setTabVisible(i, false);
        m_hiddenTabs << i;
      }
      insights->setEnabled(false);
    }
  }
  DecisionPanel* decision = m_window->decisionPanel();
  decision->setScale(protocol.decision_scale_min, protocol.decision_scale_max);
  if (!shows(QStringLiteral("P11"))) {
    if (const int i = tabOf(tabs, decision); i >= 0 && tabs->isTabVisible(i)) {
      tabs->setTabVisible(i, false);
      m_hiddenTabs << i;
    }
    decision->setEnabled(false);
  }

  // The task dock.
  m_dock = new QDockWidget(tr("Study task"), m_window);
  m_dock->setObjectName(QStringLiteral("studyTaskDock"));
  m_dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  auto* content = new QWidget(m_dock);
  auto* layout = new QVBoxLayout(content);
  m_taskLabel = new QLabel(content);
  m_taskLabel->setWordWrap(true);
  m_taskLabel->setTextFormat(Qt::RichText);
  m_taskLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(m_taskLabel);
  auto* buttons = new QHBoxLayout;
  m_openData = new QPushButton(tr("Open Task &Data"), content);
  m_openData->setToolTip(tr("Open the task's dataset again and choose its target."));
  m_taskDone = new QPushButton(tr("&Task Done"), content);
  m_taskDone->setToolTip(tr("Finish this task and go on (after a run has finished)."));
  m_taskDone->setVisible(!shows(QStringLiteral("P11")));
  buttons->addWidget(m_openData);
  buttons->addWidget(m_taskDone);
  buttons->addStretch(1);
  layout->addLayout(buttons);
  m_dock->setWidget(content);
  m_window->addDockWidget(Qt::TopDockWidgetArea, m_dock);
  m_dock->show();  // also when study mode starts in a window already shown
  connect(m_openData, &QPushButton::clicked, this, &StudyController::openTaskData);
  connect(m_taskDone, &QPushButton::clicked, this, &StudyController::finishTask);

  connectSignals();
  m_window->installEventFilter(this);
  m_titleBefore = m_window->windowTitle();
  m_window->setWindowTitle(tr("Glasswing Studio — study %1, participant %2")
                               .arg(q(protocol.study_id), m_session->participantId()));
  if (!m_session->consentedBefore()) {
    askConsent();
    return;
  }
  showTask();
  updateVisiblePanel();
}

void StudyController::askConsent() {
  m_consentPending = true;
  m_openData->setEnabled(false);
  m_taskDone->setEnabled(false);
  m_taskLabel->setText(tr("<b>Before you start:</b> please read the consent form and say whether you agree."));
  auto* dialog = new ConsentDialog(m_session->protocol(), m_window);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  m_dialog = dialog;
  // Queued: the answer is handled once the dialog has closed.
  connect(dialog, &QDialog::finished, this, [this](int result) {
    const bool agreed = result == QDialog::Accepted;
    QMetaObject::invokeMethod(this, [this, agreed] { onConsent(agreed); }, Qt::QueuedConnection);
  });
  dialog->open();
  emit dialogShown(dialog);
}

void StudyController::onConsent(bool agreed) {
  if (!m_consentPending || m_session->ended()) return;
  m_consentPending = false;
  m_dialog = nullptr;
  m_session->log("consent", {{"consent_version", m_session->protocol().consent_version}, {"agreed", agreed}});
  if (agreed) {
    showTask();
    updateVisiblePanel();
    return;
  }
  endSession(QStringLiteral("withdrawn"));
  leaveStudyMode();
  emit withdrawn();
}

void StudyController::leaveStudyMode() {
  // The window as it was before study mode: every page, every tab, the default decision scale.
  QTabWidget* tabs = m_window->tabs();
  for (const int i : m_hiddenTabs) tabs->setTabVisible(i, true);
  m_hiddenTabs.clear();
  if (auto* insights = m_window->findChild<InsightsPanel*>()) {
    insights->setEnabled(true);
    if (!m_panelsBefore.isEmpty()) insights->setAllowedPanels(m_panelsBefore);
  }
  DecisionPanel* decision = m_window->decisionPanel();
  decision->setEnabled(true);
  decision->setScale(1, 7);
  decision->setRecordContext({});
  decision->setCandidateId(QStringLiteral("best"));
  m_window->removeEventFilter(this);
  m_window->removeDockWidget(m_dock);
  m_dock->hide();
  m_dock->deleteLater();
  m_dock = nullptr;
  m_window->setWindowTitle(m_titleBefore);
  disconnect(m_window, nullptr, this, nullptr);
}

void StudyController::connectSignals() {
  connect(m_session.get(), &StudySession::logFailed, this, [this](const QString& message) {
    m_window->issuesPanel()->addIssue(Severity::Error, tr("study log"), message);
    m_window->issuesDock()->show();
    emit logFailed(message);
  });

  // What the participant sees.
  connect(m_window->tabs(), &QTabWidget::currentChanged, this, &StudyController::updateVisiblePanel);
  if (auto* insights = m_window->findChild<InsightsPanel*>()) {
    connect(insights, &InsightsPanel::panelViewed, this, &StudyController::updateVisiblePanel);
    connect(insights, &InsightsPanel::panelInteraction, this,
            [this](const QString& panel, const QString& action, const QString& detail) {
              // Only the page the participant sees: pages also report what they do to
              // themselves when a run's insights arrive (initial sort, default threshold).
              if (panel != m_visiblePanel) return;
              auto value = nlohmann::json::parse(detail.toStdString(), nullptr, false);
              if (value.is_discarded()) value = detail.toStdString();
              logInteraction(panel, action, value);
            });
  }

  // The Run tab's leaderboard (P1) and score chart (P6).
  RunPanel* run = m_window->runPanel();
  // sectionClicked: only the participant's clicks (the view also sorts itself when a run ends).
  QHeaderView* header = run->leaderboardView()->horizontalHeader();
  connect(header, &QHeaderView::sectionClicked, this,
          [this, run, header](int column) {
            const Qt::SortOrder order = header->sortIndicatorOrder();
            const QString name = run->leaderboardView()->model()->headerData(column, Qt::Horizontal).toString();
            logInteraction(QStringLiteral("P1"), QStringLiteral("sort"),
                           {{"column", name.toStdString()},
                            {"order", order == Qt::AscendingOrder ? "ascending" : "descending"}});
          });
  connect(run, &RunPanel::exportRequested, this,
          [this] { logInteraction(QStringLiteral("P6"), QStringLiteral("export_chart"), nullptr); });

  // Overrides.
  QComboBox* metric = m_window->runSetupPanel()->metricCombo();
  m_metricNow = metric->currentText();
  connect(metric, &QComboBox::currentTextChanged, this, [this](const QString& text) {
    m_metricBefore = m_metricNow;
    m_metricNow = text;
  });
  connect(metric, &QComboBox::activated, this, [this] {
    if (m_metricBefore != m_metricNow) {
      logOverride("change_metric", QStringLiteral("metric"), m_metricBefore.toStdString(), m_metricNow.toStdString());
      m_metricBefore = m_metricNow;
    }
  });
  connect(m_window->dataPanel(), &DataPanel::typeOverridden, this, &StudyController::onTypeOverridden);
  m_spaceNow = m_window->runSetupPanel()->searchSpace();
  connect(m_window->runSetupPanel(), &RunSetupPanel::searchSpaceEdited, this, &StudyController::onSearchSpaceEdited);

  // Runs and decisions.
  connect(m_window, &MainWindow::runStarted, this, [this] {
    m_runFinished = false;
    m_taskDone->setEnabled(false);
    onRunStarted();
  });
  connect(m_window, &MainWindow::runStopping, this, [this] { m_stopRequested = true; });
  connect(m_window->runWorker(), &RunWorker::finished, this,
          [this](const std::shared_ptr<const engine::RunResult>& result) {
            nlohmann::json fields = {
                {"trials", result->trials_complete + result->trials_failed + result->trials_pruned},
                {"metric", result->metric}};
            if (!result->leaderboard.empty() && std::isfinite(result->leaderboard.front().cv_mean)) {
              fields["best_score"] = result->leaderboard.front().cv_mean;
            }
            logRunEnd(m_stopRequested ? "stopped" : "completed", fields);
          });
  connect(m_window->runWorker(), &RunWorker::failed, this,
          [this](const QString& message, int) { logRunEnd("failed", {{"message", message.toStdString()}}); });
  connect(m_window, &MainWindow::runFinished, this, [this](bool ok) {
    m_runFinished = ok;
    m_taskDone->setEnabled(ok && !m_complete);
  });
  connect(m_window, &MainWindow::loadFinished, this, [this](bool ok) {
    const auto dataset = m_window->dataPanel()->dataset();
    if (!ok || m_pendingTargetFor.isEmpty() || !dataset || dataset->path != m_pendingTargetFor) return;
    m_pendingTargetFor.clear();
    const studies::Task* task = m_session->protocol().find_task(currentTaskId().toStdString());
    if (task != nullptr && !task->target.empty()) {
      m_window->tabs()->setCurrentIndex(tabOf(m_window->tabs(), m_window->runSetupPanel()));
      if (!m_window->runSetupPanel()->setTarget(q(task->target))) {
        m_window->issuesPanel()->addIssue(Severity::Warning, tr("study task"),
                                          tr("The task's target \"%1\" is not a column of %2; choose "
                                             "the target in the Run tab.")
                                              .arg(q(task->target), QFileInfo(dataset->path).fileName()));
        m_window->issuesDock()->show();
      }
    }
  });
  connect(m_window->decisionPanel(), &DecisionPanel::decided, this, &StudyController::onDecided);
}

QString StudyController::taskText() const { return m_taskLabel->text(); }

void StudyController::showTask() {
  m_window->decisionPanel()->clearRun();
  m_runFinished = false;
  m_taskDone->setEnabled(false);
  const QString id = currentTaskId();
  const studies::Task* task = id.isEmpty() ? nullptr : m_session->protocol().find_task(id.toStdString());
  if (task == nullptr) {
    m_openData->setEnabled(false);
    m_taskDone->setEnabled(false);
    m_taskLabel->setText(m_complete ? tr("<b>All tasks are done.</b> Thank you for taking part; you may "
                                         "close the window.")
                                    : tr("<b>All tasks are done.</b> Please answer the last questions."));
    emit taskChanged(QString());
    return;
  }
  QString text = tr("<b>Task %1 of %2: %3</b>")
                     .arg(m_taskIndex + 1)
                     .arg(m_taskOrder.size())
                     .arg(task->title.empty() ? escaped(task->id) : escaped(task->title));
  if (!task->instructions.empty()) text += QStringLiteral("<br>") + escaped(task->instructions);
  text += tr("<br>Data: %1, target: %2").arg(escaped(task->dataset), escaped(task->target));
  if (shows(QStringLiteral("P11"))) {
    text += tr("<br>Run a search, look at the results, then record your decision in the Decision tab.");
  } else {
    text += tr("<br>Run a search, look at the results, then press Task Done.");
  }
  m_taskLabel->setText(text);
  // The decision is about the run's chosen model ("best") when the task allows that candidate.
  const bool bestAllowed = task->candidates.empty() ||
                           std::find(task->candidates.begin(), task->candidates.end(), "best") != task->candidates.end();
  m_window->decisionPanel()->setCandidateId(bestAllowed ? QStringLiteral("best") : QString());
  m_window->decisionPanel()->setRecordContext(
      {{QStringLiteral("study"),
        QJsonObject{{QStringLiteral("study_id"), q(m_session->protocol().study_id)},
                    {QStringLiteral("participant_id"), m_session->participantId()},
                    {QStringLiteral("session_id"), m_session->sessionId()},
                    {QStringLiteral("task_id"), id}}}});
  m_openData->setEnabled(!task->dataset.empty());
  emit taskChanged(id);
  openTaskData();
}

void StudyController::openTaskData() {
  const studies::Task* task = m_session->protocol().find_task(currentTaskId().toStdString());
  if (task == nullptr || task->dataset.empty()) return;
  QString path = q(task->dataset);
  if (QFileInfo(path).isRelative()) path = QFileInfo(m_session->studyPath()).absoluteDir().filePath(path);
  if (!QFileInfo(path).isFile()) {
    m_window->issuesPanel()->addIssue(Severity::Warning, tr("study task"),
                                      tr("The task's dataset %1 was not found (a relative path is read from "
                                         "the study file's folder); open it with File ▸ Open.")
                                          .arg(QDir::toNativeSeparators(path)));
    m_window->issuesDock()->show();
    return;
  }
  m_pendingTargetFor = path;
  m_window->openFile(path);
}

void StudyController::updateVisiblePanel() {
  if (!m_session || m_session->ended() || m_consentPending) return;
  QTabWidget* tabs = m_window->tabs();
  QString now;
  const int current = tabs->currentIndex();
  auto* insights = m_window->findChild<InsightsPanel*>();
  if (insights != nullptr && current >= 0 && current == tabOf(tabs, insights)) {
    now = insights->currentPanelId();
    if (!shows(now)) now.clear();
  } else if (current >= 0 && current == tabOf(tabs, m_window->decisionPanel()) && shows(QStringLiteral("P11"))) {
    now = QStringLiteral("P11");
  }
  if (now == m_visiblePanel) return;
  if (!m_visiblePanel.isEmpty()) m_session->log("panel_close", withTask({{"panel", m_visiblePanel.toStdString()}}));
  m_visiblePanel = now;
  if (!now.isEmpty()) m_session->log("panel_open", withTask({{"panel", now.toStdString()}}));
}

void StudyController::logInteraction(const QString& panel, const QString& control, const nlohmann::json& value) {
  if (!shows(panel) || m_session->ended() || m_consentPending) return;
  nlohmann::json payload = {{"panel", panel.toStdString()}, {"control", control.toStdString()}};
  if (!value.is_null()) payload["value"] = value;
  m_session->log("panel_interact", withTask(std::move(payload)));
}

void StudyController::logOverride(const std::string& action, const QString& target, const nlohmann::json& before,
                                  const nlohmann::json& after) {
  if (m_session->ended() || m_consentPending) return;
  nlohmann::json payload = {{"action", action}};
  if (!target.isEmpty()) payload["target"] = target.toStdString();
  if (!before.is_null()) payload["before"] = before;
  if (!after.is_null()) payload["after"] = after;
  m_session->log("override", withTask(std::move(payload)));
}

void StudyController::onTypeOverridden(const QString& column, const QString& from, const QString& to) {
  // Every change of a column's type: dropping a column (to "ignore") and restoring it have
  // actions of their own; any other change is change_type. before/after are the types.
  if (from == to) return;
  const QString ignore = QStringLiteral("ignore");
  const char* action = to == ignore ? "exclude_feature" : from == ignore ? "include_feature" : "change_type";
  logOverride(action, column, from.toStdString(), to.toStdString());
}

void StudyController::onSearchSpaceEdited(const QString& json) {
  // One override per parameter whose edit changed, target "family.parameter"; before/after are
  // the parameter's edit (a fixed value, [low, high] or a list of choices), absent when the
  // parameter keeps the family's default range.
  const auto now = nlohmann::ordered_json::parse(json.toStdString(), nullptr, false);
  if (!now.is_object()) {
    logOverride("edit_search_space", QString(), nullptr, json.toStdString());
    return;
  }
  const auto edit = [](const nlohmann::ordered_json& space, const std::string& family, const std::string& param) {
    if (!space.is_object() || !space.contains(family) || !space[family].is_object() || !space[family].contains(param)) {
      return nlohmann::json();
    }
    return nlohmann::json::parse(space[family][param].dump());
  };
  std::vector<std::pair<std::string, std::string>> params;
  std::set<std::pair<std::string, std::string>> seen;
  for (const nlohmann::ordered_json* space : {static_cast<const nlohmann::ordered_json*>(&m_spaceNow), &now}) {
    if (!space->is_object()) continue;
    for (auto family = space->begin(); family != space->end(); ++family) {
      if (!family->is_object()) continue;
      for (auto param = family->begin(); param != family->end(); ++param) {
        if (seen.insert({family.key(), param.key()}).second) params.emplace_back(family.key(), param.key());
      }
    }
  }
  for (const auto& [family, param] : params) {
    const nlohmann::json before = edit(m_spaceNow, family, param);
    const nlohmann::json after = edit(now, family, param);
    if (before != after) logOverride("edit_search_space", q(family + "." + param), before, after);
  }
  m_spaceNow = now;
}

void StudyController::onRunStarted() {
  if (m_runActive) logRunEnd("stopped", nlohmann::json::object());  // never left unpaired
  const engine::RunSettings& settings = m_window->runWorker()->settings();
  nlohmann::json payload = {{"metric", settings.metric}};
  if (settings.time_budget_s && *settings.time_budget_s > 0) payload["time_budget_s"] = *settings.time_budget_s;
  if (settings.max_trials) payload["max_trials"] = *settings.max_trials;
  payload["families"] = settings.models;
  if (settings.resume) payload["resume"] = true;
  m_stopRequested = false;
  if (m_session->ended() || m_consentPending) return;
  m_runActive = true;
  m_session->log("run_start", withTask(std::move(payload)));
}

void StudyController::logRunEnd(const std::string& outcome, const nlohmann::json& fields) {
  if (!m_runActive) return;
  m_runActive = false;
  m_stopRequested = false;
  if (m_session->ended()) return;
  nlohmann::json payload = fields.is_object() ? fields : nlohmann::json::object();
  payload["outcome"] = outcome;
  m_session->log("run_end", withTask(std::move(payload)));
}

void StudyController::onDecided(const Decision& decision) {
  const QString task = currentTaskId();
  if (task.isEmpty() || m_session->ended()) return;
  nlohmann::json payload = {{"task_id", task.toStdString()},
                            {"action", decision.action.toStdString()},
                            {"willingness", decision.willingness},
                            {"confidence", decision.confidence}};
  if (!decision.candidateId.isEmpty()) payload["candidate_id"] = decision.candidateId.toStdString();
  if (!decision.rationale.isEmpty()) payload["rationale"] = decision.rationale.toStdString();
  if (decision.msSinceRunEnd >= 0) payload["ms_since_run_end"] = decision.msSinceRunEnd;
  m_session->log("decision", payload);
  if (decision.deployment.ok) {
    m_session->log("export", {{"artifact", "model"}, {"format", "bundle"},
                              {"sha256", decision.deployment.modelSha256.toStdString()},
                              {"task_id", task.toStdString()}});
    m_session->log("export", {{"artifact", "report"}, {"format", "html"},
                              {"sha256", decision.deployment.reportSha256.toStdString()},
                              {"task_id", task.toStdString()}});
  }
  taskDone();
}

void StudyController::finishTask() {
  if (!m_runFinished || currentTaskId().isEmpty()) return;
  taskDone();
}

void StudyController::taskDone() {
  m_taskDone->setEnabled(false);
  queueDialogs("after_task");
  m_afterDialogs = [this] { afterTask(); };
  showNextDialog();
}

void StudyController::afterTask() {
  // Close the page of the finished task before the next one starts.
  if (!m_visiblePanel.isEmpty()) {
    m_session->log("panel_close", withTask({{"panel", m_visiblePanel.toStdString()}}));
    m_visiblePanel.clear();
  }
  ++m_taskIndex;
  if (m_taskIndex < m_taskOrder.size()) {
    showTask();
    updateVisiblePanel();
    return;
  }
  showTask();  // "All tasks are done"
  queueDialogs("end_of_session");
  queueDialogs("any");
  if (const auto& sort = m_session->protocol().card_sort) {
    const studies::CardSort cards = *sort;
    m_dialogs.push_back([this, cards]() -> QDialog* {
      auto* dialog = new CardSortDialog(cards, m_window);
      connect(dialog, &QDialog::accepted, this, [this, dialog] { m_session->log("card_sort", dialog->payload()); });
      return dialog;
    });
  }
  m_afterDialogs = [this] {
    m_complete = true;
    endSession(QStringLiteral("completed"));
    showTask();
    emit sessionCompleted();
  };
  showNextDialog();
}

void StudyController::queueDialogs(const std::string& when) {
  for (const auto& questionnaire : m_session->protocol().questionnaires) {
    if (questionnaire.when != when) continue;
    const studies::Questionnaire copy = questionnaire;
    const std::string task = when == "after_task" ? currentTaskId().toStdString() : std::string();
    m_dialogs.push_back([this, copy, task]() -> QDialog* {
      auto* dialog = new QuestionnaireDialog(copy, m_window);
      connect(dialog, &QDialog::accepted, this, [this, dialog, task] {
        for (const auto& [item, response] : dialog->responses()) {
          nlohmann::json payload = {{"questionnaire_id", dialog->questionnaire().id},
                                    {"item_id", item},
                                    {"response", response}};
          if (!task.empty()) payload["task_id"] = task;
          m_session->log("questionnaire", payload);
        }
      });
      return dialog;
    });
  }
}

void StudyController::showNextDialog() {
  if (m_dialogs.empty()) {
    m_dialog = nullptr;
    auto next = std::move(m_afterDialogs);
    m_afterDialogs = nullptr;
    if (next) next();
    return;
  }
  QDialog* dialog = m_dialogs.front()();
  m_dialogs.pop_front();
  m_dialog = dialog;
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  // A dialog closed without OK is skipped (nothing is logged for it).
  connect(dialog, &QDialog::finished, this, [this] { QMetaObject::invokeMethod(this, &StudyController::showNextDialog, Qt::QueuedConnection); });
  dialog->open();
  emit dialogShown(dialog);
}

void StudyController::endSession(const QString& reason) {
  if (!m_session || m_session->ended()) return;
  // A run still going when the session ends (the window is closing: it stops the run).
  if (m_runActive) logRunEnd("stopped", nlohmann::json::object());
  if (!m_visiblePanel.isEmpty()) {
    m_session->log("panel_close", withTask({{"panel", m_visiblePanel.toStdString()}}));
    m_visiblePanel.clear();
  }
  m_session->end(reason.toStdString());
}

bool StudyController::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_window && event->type() == QEvent::Close) {
    endSession(m_complete ? QStringLiteral("completed") : QStringLiteral("aborted"));
  }
  return QObject::eventFilter(watched, event);
}

}  // namespace glasswing::studio
