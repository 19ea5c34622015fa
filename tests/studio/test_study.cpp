// Study mode and the decision panel (P11), offscreen (QTest): a real study database made with
// studies/, the Studio window in study mode for a participant, a short real run on a shared
// dataset, panel views, a decision with a deployment, the questionnaires and the card sort; then
// the log verifies and holds the expected events in order. Bad study files and participant ids
// show a message and leave the window usable; the command line exits 3 (2 for usage).

#include <QApplication>
#include <QCryptographicHash>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/engine/run.hpp"
#include "mainwindow.hpp"
#include "panels/datapanel.hpp"
#include "panels/decisionpanel.hpp"
#include "panels/insightspanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/runsetuppanel.hpp"
#include "studies/protocol.hpp"
#include "studies/study_log.hpp"
#include "study/cardsortdialog.hpp"
#include "study/consentdialog.hpp"
#include "study/questionnairedialog.hpp"
#include "study/studycontroller.hpp"
#include "study/studysession.hpp"
#include "workers/csvloader.hpp"
#include "workers/runworker.hpp"

using glasswing::studio::CardSortDialog;
using glasswing::studio::ConsentDialog;
using glasswing::studio::Decision;
using glasswing::studio::DecisionPanel;
using glasswing::studio::InsightsPanel;
using glasswing::studio::MainWindow;
using glasswing::studio::QuestionnaireDialog;
using glasswing::studio::RunSetupPanel;
using glasswing::studio::StudyController;
namespace gs = glasswing::studies;
using nlohmann::json;

namespace {

constexpr int kLoadTimeoutMs = 60000;
constexpr int kRunTimeoutMs = 180000;

QString sharedDataset(const char* name) {
  return QStringLiteral(GLASSWING_SHARED_DIR "/datasets/") + QString::fromLatin1(name);
}

QString quickFamily() {
  const auto names = glasswing::engine::family_names();
  for (const auto& name : names) {
    if (name == "linear") return QStringLiteral("linear");
  }
  for (const auto& name : names) {
    if (name != "constant") return QString::fromStdString(name);
  }
  return {};
}

QString issuesText(const MainWindow& window) {
  QStringList lines;
  for (int i = 0; i < window.issuesPanel()->count(); ++i) lines << window.issuesPanel()->messageAt(i);
  return lines.join(QLatin1Char('\n'));
}

// A protocol with two conditions: `first` (shown to the first participant enrolled) and the
// other; conditions are {"transparent": P1..P11, "opaque": opaquePanels}. The seed is searched so
// that studies::assign gives the first participant `first` (assignment is deterministic).
gs::Protocol makeProtocol(const QString& dataset, const std::string& first, const json& opaquePanels) {
  json doc = {
      {"study_id", "studio-study-test"},
      {"title", "Studio study-mode test"},
      {"consent", {{"version", "1.0"}, {"text", "Test consent."}}},
      {"conditions",
       {{{"id", "transparent"},
         {"panels", {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11"}}},
        {{"id", "opaque"}, {"panels", opaquePanels}}}},
      {"assignment", {{"method", "balanced"}, {"seed", 0}}},
      {"tasks",
       {{{"id", "iris"},
         {"title", "Iris species"},
         {"instructions", "Build a model of the species and decide whether to deploy it."},
         {"dataset", dataset.toStdString()},
         {"target", "species"},
         {"candidates", {"best", "baseline"}}}}},
      {"questionnaires",
       {{{"id", "post"},
         {"when", "after_task"},
         {"items",
          {{{"id", "trust"}, {"text", "I trust this model."}, {"anchors", {{"1", "No"}, {"5", "Yes"}}},
            {"scale", {{"min", 1}, {"max", 5}}}},
           {{"id", "why"}, {"text", "Why?"}, {"type", "text"}}}}},
        {{"id", "exit"},
         {"when", "end_of_session"},
         {"items", {{{"id", "tool"}, {"text", "I trust the tool."}}}}}}},
      {"card_sort",
       {{"id", "needs"},
        {"mode", "rank_and_piles"},
        {"items", {{{"id", "metrics"}, {"label", "Metrics"}}, {{"id", "data"}, {"label", "Data"}},
                   {{"id", "search"}, {"label", "Search"}}}},
        {"piles", {"essential", "not_needed"}}}},
      {"decision", {{"scale", {{"min", 1}, {"max", 5}}}}},
  };
  for (int seed = 0; seed < 1000; ++seed) {
    doc["assignment"]["seed"] = seed;
    gs::Protocol protocol = gs::parse_protocol(doc.dump(), "test protocol");
    if (gs::assign(protocol, 0).condition_id == first) return protocol;
  }
  return gs::parse_protocol(doc.dump(), "test protocol");
}

QString createStudy(const QTemporaryDir& dir, const gs::Protocol& protocol) {
  const QString path = dir.filePath(QStringLiteral("study.db"));
  gs::StudyLog::create(QFile::encodeName(path).toStdString(), protocol);
  return path;
}

std::vector<gs::StoredEvent> events(const QString& study) {
  return gs::read_study(QFile::encodeName(study).toStdString()).events;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

// Waits until the controller shows a dialog of type T (or times out); null when none.
template <typename T>
T* waitForDialog(StudyController* controller, int timeoutMs = 5000) {
  QElapsedTimer timer;
  timer.start();
  while (timer.elapsed() < timeoutMs) {
    if (auto* dialog = qobject_cast<T*>(controller->activeDialog()); dialog != nullptr && dialog->isVisible()) {
      return dialog;
    }
    QTest::qWait(20);
  }
  return nullptr;
}

int tabHolding(QTabWidget* tabs, QWidget* widget) {
  for (int i = 0; i < tabs->count(); ++i) {
    if (tabs->widget(i) == widget || tabs->widget(i)->isAncestorOf(widget)) return i;
  }
  return -1;
}

// Answers the consent form the controller shows first; false when none is shown.
bool answerConsent(StudyController* controller, bool agree) {
  auto* consent = waitForDialog<ConsentDialog>(controller);
  if (consent == nullptr || !controller->awaitingConsent()) return false;
  if (!consent->consentText().contains(QStringLiteral("Test consent."))) return false;
  if (agree) {
    consent->agreeButton()->click();
  } else {
    consent->declineButton()->click();
  }
  for (int i = 0; i < 100 && controller->awaitingConsent(); ++i) QTest::qWait(10);
  return !controller->awaitingConsent();
}

std::vector<gs::StoredEvent> eventsOfKind(const QString& study, const std::string& kind) {
  std::vector<gs::StoredEvent> out;
  for (auto& e : events(study)) {
    if (e.kind == kind) out.push_back(std::move(e));
  }
  return out;
}

bool loadAndWait(MainWindow& window, const QString& path) {
  QSignalSpy spy(&window, &MainWindow::loadFinished);
  window.openFile(path);
  return (spy.count() > 0 || spy.wait(kLoadTimeoutMs)) && spy.at(0).at(0).toBool();
}

// A run directory with just what exportDeployment reads: model/manifest.json (+ a model file) and
// report.html, so the file semantics can be tested without a run.
QString fakeRun(const QTemporaryDir& dir) {
  const QString run = dir.filePath(QStringLiteral("run"));
  QDir().mkpath(run + QStringLiteral("/model"));
  for (const auto& [name, text] : std::vector<std::pair<QString, QByteArray>>{
           {QStringLiteral("model/manifest.json"), R"({"format":"glasswing-bundle"})"},
           {QStringLiteral("model/model.json"), "{}"},
           {QStringLiteral("report.html"), "<!doctype html><title>r</title>"}}) {
    QFile f(QDir(run).filePath(name));
    if (!f.open(QIODevice::WriteOnly)) return {};
    f.write(text);
  }
  return run;
}

}  // namespace

class StudyTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("GlasswingTest"));
    QCoreApplication::setApplicationName(QStringLiteral("Glasswing Studio Study Test"));
    QVERIFY(QFileInfo::exists(sharedDataset("iris.csv")));
  }

  // The whole study flow on a real run: task data opened with its target, a 4-trial run, panel
  // views, a deployment, the questionnaires and the card sort, then a verified log.
  void studyFlowOnSharedDataset() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const gs::Protocol protocol = makeProtocol(sharedDataset("iris.csv"), "transparent", {"P1", "P11"});
    const QString study = createStudy(dir, protocol);

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &MainWindow::loadFinished);
    QString error;
    QVERIFY2(window.startStudy(study, QStringLiteral("P01"), &error), qPrintable(error));
    StudyController* controller = window.studyController();
    QVERIFY(controller != nullptr);
    QCOMPARE(controller->session()->info().condition_id, std::string("transparent"));
    // A new participant sees the consent form first; the task starts once they agree.
    QVERIFY(controller->awaitingConsent());
    QVERIFY(controller->taskText().contains(QStringLiteral("consent")));
    QCOMPARE(loaded.count(), 0);
    QVERIFY(answerConsent(controller, true));
    QCOMPARE(controller->currentTaskId(), QStringLiteral("iris"));
    QVERIFY2(controller->taskText().contains(QStringLiteral("Iris species")), qPrintable(controller->taskText()));
    QVERIFY(controller->taskDock()->isVisible());
    // The task's dataset is opened and its target chosen.
    QVERIFY(loaded.count() > 0 || loaded.wait(kLoadTimeoutMs));
    QVERIFY(loaded.at(0).at(0).toBool());
    QCOMPARE(window.runSetupPanel()->target(), QStringLiteral("species"));
    // The decision is on the protocol's scale and waits for a run.
    DecisionPanel* decision = window.decisionPanel();
    QVERIFY(!decision->isReady());
    QVERIFY(!decision->setWillingness(6));  // off the 1-5 scale

    // Overrides: a column dropped and restored, the metric changed by the keyboard, a search-space
    // edit (the signal the run setup's dialog emits).
    QVERIFY(window.dataPanel()->setColumnType(QStringLiteral("sepal_width"), QStringLiteral("ignore")));
    window.dataPanel()->resetColumnType(QStringLiteral("sepal_width"));
    // Any other type change is logged too (change_type), and so is its reset.
    QVERIFY(window.dataPanel()->setColumnType(QStringLiteral("petal_length"), QStringLiteral("categorical")));
    window.dataPanel()->resetColumnType(QStringLiteral("petal_length"));
    window.runSetupPanel()->setTask(QStringLiteral("auto"));  // saved settings of earlier runs must not matter
    QVERIFY(window.runSetupPanel()->setMetric(QStringLiteral("auto")));
    QComboBox* metric = window.runSetupPanel()->metricCombo();
    const QString metricBefore = metric->currentText();
    metric->setFocus();
    QTest::keyClick(metric, Qt::Key_Down);
    const QString metricAfter = metric->currentText();
    QVERIFY(metricAfter != metricBefore);
    // Search-space edits: one override per parameter that changed (the dialog's signal).
    emit window.runSetupPanel()->searchSpaceEdited(QStringLiteral(R"({"linear":{"C":[0.1,1.0]}})"));
    emit window.runSetupPanel()->searchSpaceEdited(
        QStringLiteral(R"({"linear":{"C":[0.1,1.0]},"xgboost":{"max_depth":4,"eta":[0.05,0.3]}})"));
    emit window.runSetupPanel()->searchSpaceEdited(QStringLiteral(R"({"xgboost":{"max_depth":4,"eta":[0.05,0.3]}})"));

    // A short real run.
    const QString family = quickFamily();
    QTemporaryDir runs;
    RunSetupPanel* setup = window.runSetupPanel();
    setup->setMaxTrials(4);
    setup->setTimeBudget(0);
    setup->setFamilies(family.isEmpty() ? QStringList() : QStringList{family});
    setup->setRunsFolder(runs.path());
    QSignalSpy finished(&window, &MainWindow::runFinished);
    QVERIFY(window.startRun());
    QVERIFY2(finished.count() > 0 || finished.wait(kRunTimeoutMs), "the run did not finish");
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(issuesText(window)));
    QVERIFY(decision->isReady());

    // Panels: the Insights pages (when the tab has loaded the run) and the Decision tab.
    QStringList viewed;
    InsightsPanel* insights = window.insightsPanel();
    QVERIFY(insights != nullptr);
    {
      if (insights->isLoading() || !insights->insights()) {
        QSignalSpy insightsLoaded(insights, &InsightsPanel::insightsLoaded);
        if (!insights->insights()) insights->loadRun(window.lastRunDirectory());
        QVERIFY(insightsLoaded.wait(kRunTimeoutMs));
      }
      window.tabs()->setCurrentIndex(tabHolding(window.tabs(), insights));
      for (const QString& id : {QStringLiteral("P2"), QStringLiteral("P1")}) {
        QVERIFY(insights->showPanel(id));
        QTest::qWait(30);
        QCOMPARE(controller->visiblePanel(), id);
        viewed << id;
      }
    }
    window.tabs()->setCurrentWidget(decision);
    QCOMPARE(controller->visiblePanel(), QStringLiteral("P11"));
    viewed << QStringLiteral("P11");

    // Deploy into a folder: bundle and report are exported, decision.json is written beside the run.
    QVERIFY(decision->setAction(QStringLiteral("deploy")));
    QVERIFY(decision->setWillingness(4));
    QVERIFY(decision->setConfidence(5));
    decision->setRationale(QStringLiteral("Good accuracy on every fold."));
    const QString deployDir = dir.filePath(QStringLiteral("deployed"));
    QSignalSpy decided(decision, &DecisionPanel::decided);
    QVERIFY(decision->decide(deployDir));
    QVERIFY2(decided.count() > 0 || decided.wait(kRunTimeoutMs), qPrintable(decision->messageText()));
    QVERIFY(QFileInfo::exists(deployDir + QStringLiteral("/model/manifest.json")));
    QVERIFY(QFileInfo(deployDir + QStringLiteral("/report.html")).size() > 1000);
    QFile decisionFile(DecisionPanel::decisionFile(window.lastRunDirectory()));
    QVERIFY(decisionFile.open(QIODevice::ReadOnly));
    const QJsonObject saved = QJsonDocument::fromJson(decisionFile.readAll()).object();
    QCOMPARE(saved.value(QStringLiteral("action")).toString(), QStringLiteral("deploy"));
    QCOMPARE(saved.value(QStringLiteral("willingness")).toInt(), 4);
    QCOMPARE(saved.value(QStringLiteral("study")).toObject().value(QStringLiteral("task_id")).toString(),
             QStringLiteral("iris"));

    // After the task: the post questionnaire (a likert item must be answered; text is optional).
    auto* post = waitForDialog<QuestionnaireDialog>(controller);
    QVERIFY(post != nullptr);
    QCOMPARE(post->questionnaireId(), QStringLiteral("post"));
    QVERIFY(!post->isComplete());
    QVERIFY(!post->setResponse(QStringLiteral("trust"), 7));  // off its 1-5 scale
    QVERIFY(post->setResponse(QStringLiteral("trust"), 4));
    QVERIFY(post->setResponse(QStringLiteral("why"), std::string("It looked right.")));
    QVERIFY(post->isComplete());
    post->accept();
    // The only task is done: the end-of-session questionnaire, then the card sort.
    QuestionnaireDialog* exitQ = nullptr;
    for (int i = 0; i < 100 && (exitQ == nullptr || exitQ == post); ++i) {
      exitQ = waitForDialog<QuestionnaireDialog>(controller);
      if (exitQ == post) QTest::qWait(20);
    }
    QVERIFY(exitQ != nullptr);
    QCOMPARE(exitQ->questionnaireId(), QStringLiteral("exit"));
    QVERIFY(exitQ->setResponse(QStringLiteral("tool"), 6));
    exitQ->accept();
    auto* cards = waitForDialog<CardSortDialog>(controller);
    QVERIFY(cards != nullptr);
    QVERIFY(!cards->isComplete());
    QVERIFY(!cards->setRanking({QStringLiteral("data"), QStringLiteral("data"), QStringLiteral("metrics")}));
    QVERIFY(cards->setRanking({QStringLiteral("data"), QStringLiteral("metrics"), QStringLiteral("search")}));
    QVERIFY(cards->setPile(QStringLiteral("data"), QStringLiteral("essential")));
    QVERIFY(cards->setPile(QStringLiteral("metrics"), QStringLiteral("essential")));
    QVERIFY(!cards->setPile(QStringLiteral("search"), QStringLiteral("maybe")));
    QVERIFY(cards->setPile(QStringLiteral("search"), QStringLiteral("not_needed")));
    QSignalSpy completed(controller, &StudyController::sessionCompleted);
    cards->accept();
    QVERIFY(completed.count() > 0 || completed.wait(5000));
    QVERIFY(controller->isComplete());
    const double maxWriteMs = controller->session()->maxWriteMs();
    const long long writes = controller->session()->writes();
    qInfo("study log: %lld events written off the GUI thread, longest append %.1f ms; open %.1f ms",
          writes, maxWriteMs, controller->session()->openMs());
    window.close();

    // The log verifies and holds the expected kinds in order.
    const gs::VerifyReport report = gs::verify_study(QFile::encodeName(study).toStdString());
    QVERIFY2(report.ok, report.problem.c_str());
    const auto log = events(study);
    // Every other kind in order; panel events pair up (each open is closed before the next).
    std::vector<std::string> others;
    std::string open;
    for (const auto& e : log) {
      const json p = json::parse(e.payload);
      if (e.kind == "panel_open") {
        QVERIFY2(open.empty(), ("panel_open of " + p["panel"].get<std::string>() + " while " + open + " is open").c_str());
        open = p["panel"].get<std::string>();
      } else if (e.kind == "panel_close") {
        QCOMPARE(p["panel"].get<std::string>(), open);
        open.clear();
      } else {
        others.push_back(e.kind == "panel_interact" ? e.kind + e.payload : e.kind);
      }
    }
    QVERIFY(open.empty());
    const std::string expectedKinds =
        "session_start consent override override override override override override override override override "
        "run_start run_end decision export export questionnaire questionnaire questionnaire card_sort "
        "session_end";
    QVERIFY2(joined(others) == expectedKinds, joined(others).c_str());
    // The panel the participant was looking at when deciding is closed when the task ends.
    const auto decisionAt = std::find_if(log.begin(), log.end(), [](const auto& e) { return e.kind == "decision"; });
    QVERIFY(decisionAt != log.begin());
    QCOMPARE(std::prev(decisionAt)->kind, std::string("panel_open"));
    QCOMPARE(json::parse(std::prev(decisionAt)->payload)["panel"], json("P11"));
    QCOMPARE(json::parse(log.front().payload)["condition_id"], json("transparent"));
    std::vector<std::string> opened;
    std::vector<json> overrides;
    for (const auto& e : log) {
      const json p = json::parse(e.payload);
      QCOMPARE(e.participant_id, std::string("P01"));
      if (e.kind == "panel_open") opened.push_back(p["panel"].get<std::string>());
      if (e.kind == "decision") {
        QCOMPARE(p["task_id"], json("iris"));
        QCOMPARE(p["candidate_id"], json("best"));
        QCOMPARE(p["action"], json("deploy"));
        QCOMPARE(p["willingness"], json(4));
        QCOMPARE(p["confidence"], json(5));
        QCOMPARE(p["rationale"], json("Good accuracy on every fold."));
        QVERIFY(p["ms_since_run_end"].get<double>() >= 0.0);
      }
      if (e.kind == "export" && p["artifact"] == "report") {
        QFile html(deployDir + QStringLiteral("/report.html"));
        QVERIFY(html.open(QIODevice::ReadOnly));
        QCOMPARE(p["sha256"].get<std::string>(),
                 QCryptographicHash::hash(html.readAll(), QCryptographicHash::Sha256).toHex().toStdString());
      }
      if (e.kind == "questionnaire" && p["item_id"] == "trust") QCOMPARE(p["response"], json(4));
      if (e.kind == "card_sort") {
        QCOMPARE(p["ranking"], json({"data", "metrics", "search"}));
        QCOMPARE(p["piles"]["essential"], json::array({"metrics", "data"}));  // protocol order
      }
      if (e.kind == "session_end") QCOMPARE(p["reason"], json("completed"));
      if (e.kind == "override") overrides.push_back(p);
      if (e.kind == "consent") {
        QCOMPARE(p["consent_version"], json("1.0"));
        QCOMPARE(p["agreed"], json(true));
      }
      if (e.kind == "run_start") {
        QCOMPARE(p["task_id"], json("iris"));
        QCOMPARE(p["max_trials"], json(4));
        QVERIFY(!p.contains("time_budget_s"));  // 0: no budget
        const auto& families = p["families"];  // the checked family (and the constant baseline)
        QVERIFY2(family.isEmpty() || std::find(families.begin(), families.end(), json(family.toStdString())) != families.end(),
                 e.payload.c_str());
      }
      if (e.kind == "run_end") {
        QCOMPARE(p["task_id"], json("iris"));
        QCOMPARE(p["outcome"], json("completed"));
        QVERIFY2(p["trials"].get<int>() >= 1 && p["trials"].get<int>() <= 4, e.payload.c_str());
        QVERIFY2(p.contains("best_score") && p["best_score"].is_number(), e.payload.c_str());
        QVERIFY(p["metric"].is_string() && p["metric"] != "auto");
      }
    }
    QCOMPARE(overrides.size(), std::size_t{9});
    QCOMPARE(overrides[0]["action"], json("exclude_feature"));
    QCOMPARE(overrides[0]["target"], json("sepal_width"));
    QCOMPARE(overrides[1]["action"], json("include_feature"));
    QCOMPARE(overrides[1]["before"], json("ignore"));
    QCOMPARE(overrides[1]["after"], overrides[0]["before"]);
    QCOMPARE(overrides[2]["action"], json("change_type"));
    QCOMPARE(overrides[2]["target"], json("petal_length"));
    QCOMPARE(overrides[2]["after"], json("categorical"));
    QVERIFY(overrides[2]["before"].is_string() && overrides[2]["before"] != "categorical");
    QCOMPARE(overrides[3]["action"], json("change_type"));
    QCOMPARE(overrides[3]["before"], json("categorical"));
    QCOMPARE(overrides[3]["after"], overrides[2]["before"]);
    QCOMPARE(overrides[4]["action"], json("change_metric"));
    QCOMPARE(overrides[4]["before"], json(metricBefore.toStdString()));
    QCOMPARE(overrides[4]["after"], json(metricAfter.toStdString()));
    // Search space: C edited; then max_depth and eta added; then C back to its default range.
    const std::vector<std::pair<std::string, json>> spaceEdits = {
        {"linear.C", json::array({0.1, 1.0})},
        {"xgboost.max_depth", json(4)},
        {"xgboost.eta", json::array({0.05, 0.3})},
        {"linear.C", json()}};
    for (std::size_t i = 0; i < spaceEdits.size(); ++i) {
      const json& o = overrides[5 + i];
      QCOMPARE(o["action"], json("edit_search_space"));
      QCOMPARE(o["target"], json(spaceEdits[i].first));
      if (spaceEdits[i].second.is_null()) {
        QVERIFY(!o.contains("after"));
        QCOMPARE(o["before"], json::array({0.1, 1.0}));
      } else {
        QCOMPARE(o["after"], spaceEdits[i].second);
        QVERIFY(!o.contains("before"));
      }
    }
    for (const auto& o : overrides) QCOMPARE(o["task_id"], json("iris"));
    // The pages viewed are the last panel_open events, in order (the Studio may have shown a page
    // on its own before, e.g. when the run finished).
    QStringList openedPanels;
    for (const auto& p : opened) openedPanels << QString::fromStdString(p);
    QVERIFY2(openedPanels.size() >= viewed.size() && openedPanels.mid(openedPanels.size() - viewed.size()) == viewed,
             qPrintable(openedPanels.join(QLatin1Char(' '))));
  }

  // A condition that hides panels: hidden Insights pages cannot be shown, and without P11 the
  // Decision tab is hidden and Task Done ends the task. Closing early ends the session "aborted".
  void hiddenPanelsAreNotReachable() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const gs::Protocol protocol = makeProtocol(QStringLiteral("missing.csv"), "opaque", {"P1", "P2"});
    const QString study = createStudy(dir, protocol);
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QString error;
    QVERIFY2(window.startStudy(study, QStringLiteral("P02"), &error), qPrintable(error));
    StudyController* controller = window.studyController();
    QCOMPARE(controller->session()->info().condition_id, std::string("opaque"));
    QVERIFY(answerConsent(controller, true));
    // The task's dataset is missing: an Issue says where it was looked for.
    QVERIFY2(issuesText(window).contains(QStringLiteral("missing.csv")), qPrintable(issuesText(window)));

    {
      InsightsPanel* insights = window.insightsPanel();
      QCOMPARE(insights->panelIds(), (QStringList{QStringLiteral("P1"), QStringLiteral("P2")}));
      for (const char* hidden : {"P3", "P4", "P8", "P10"}) QVERIFY(!insights->showPanel(QString::fromLatin1(hidden)));
    }
    const int decisionTab = window.tabs()->indexOf(window.decisionPanel());
    QVERIFY(decisionTab >= 0);
    QVERIFY(!window.tabs()->isTabVisible(decisionTab));
    QVERIFY(!window.decisionPanel()->isEnabled());
    QVERIFY(!controller->taskDoneButton()->isHidden());
    window.tabs()->setCurrentIndex(decisionTab);  // even when forced, P11 is not logged as seen
    QCOMPARE(controller->visiblePanel(), QString());
    window.close();

    const gs::VerifyReport report = gs::verify_study(QFile::encodeName(study).toStdString());
    QVERIFY2(report.ok, report.problem.c_str());
    const auto log = events(study);
    for (const auto& e : log) {
      if (e.kind != "panel_open") continue;
      const std::string panel = json::parse(e.payload)["panel"];
      QVERIFY2(panel == "P1" || panel == "P2", panel.c_str());
    }
    QCOMPARE(log.back().kind, std::string("session_end"));
    QCOMPARE(json::parse(log.back().payload)["reason"], json("aborted"));
  }

  // Not consenting: consent (agreed false) and session_end "withdrawn" are logged and nothing
  // else; study mode ends and the window is a normal Studio again (every tab and page, a file
  // loads, a run can start), with nothing more logged.
  void consentDeclinedLeavesStudyMode() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const gs::Protocol protocol = makeProtocol(sharedDataset("iris.csv"), "opaque", {"P1"});
    const QString study = createStudy(dir, protocol);
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const int decisionTab = window.tabs()->indexOf(window.decisionPanel());
    const QStringList pagesBefore = window.insightsPanel()->panelIds();
    QString error;
    QVERIFY2(window.startStudy(study, QStringLiteral("P03"), &error), qPrintable(error));
    StudyController* controller = window.studyController();
    QVERIFY(controller != nullptr);
    QCOMPARE(controller->session()->info().condition_id, std::string("opaque"));
    QVERIFY(!window.tabs()->isTabVisible(decisionTab));  // the condition hides P11
    QCOMPARE(window.insightsPanel()->panelIds(), QStringList{QStringLiteral("P1")});
    QPointer<StudyController> watched(controller);
    QSignalSpy withdrawn(controller, &StudyController::withdrawn);
    QVERIFY(answerConsent(controller, false));
    QVERIFY(withdrawn.count() == 1 || withdrawn.wait(2000));
    for (int i = 0; i < 100 && !watched.isNull(); ++i) QTest::qWait(10);
    QVERIFY(watched.isNull());  // deleted by the window
    QVERIFY(window.studyController() == nullptr);
    QVERIFY2(window.statusText().contains(QStringLiteral("did not consent")), qPrintable(window.statusText()));

    const auto log = events(study);
    std::vector<std::string> kinds;
    for (const auto& e : log) kinds.push_back(e.kind);
    QCOMPARE(joined(kinds), std::string("session_start consent session_end"));
    QCOMPARE(json::parse(log[1].payload)["agreed"], json(false));
    QCOMPARE(json::parse(log[1].payload)["consent_version"], json("1.0"));
    QCOMPARE(json::parse(log[2].payload)["reason"], json("withdrawn"));

    // A normal Studio: every tab and page, no task dock, the default decision scale.
    QVERIFY(window.tabs()->isTabVisible(decisionTab));
    QVERIFY(window.decisionPanel()->isEnabled());
    QCOMPARE(window.insightsPanel()->panelIds(), pagesBefore);
    QVERIFY(window.findChild<QDockWidget*>(QStringLiteral("studyTaskDock")) == nullptr ||
            !window.findChild<QDockWidget*>(QStringLiteral("studyTaskDock"))->isVisible());
    QVERIFY(!window.windowTitle().contains(QStringLiteral("participant")));
    // It works, and nothing more reaches the study log.
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));
    QVERIFY(window.dataPanel()->setColumnType(QStringLiteral("sepal_width"), QStringLiteral("ignore")));
    window.tabs()->setCurrentIndex(decisionTab);
    QTest::qWait(50);
    QCOMPARE(events(study).size(), std::size_t{3});
    const gs::VerifyReport report = gs::verify_study(QFile::encodeName(study).toStdString());
    QVERIFY2(report.ok, report.problem.c_str());
    // The participant may come back later: the form is shown again (they never agreed).
    MainWindow again;
    QVERIFY(again.startStudy(study, QStringLiteral("P03"), &error));
    QVERIFY(again.studyController()->awaitingConsent());
    again.close();
  }

  // Consent is asked once: a later session of a participant who agreed starts with the task. A
  // run the participant stops is logged run_start / run_end "stopped" with the trials that finished.
  void consentOnceAndStoppedRunLogged() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const gs::Protocol protocol = makeProtocol(sharedDataset("iris.csv"), "opaque", {"P1"});
    const QString study = createStudy(dir, protocol);
    QTemporaryDir runs;
    {
      MainWindow window;
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      QSignalSpy loaded(&window, &MainWindow::loadFinished);
      QString error;
      QVERIFY2(window.startStudy(study, QStringLiteral("P04"), &error), qPrintable(error));
      QVERIFY(answerConsent(window.studyController(), true));
      QVERIFY(loaded.count() > 0 || loaded.wait(kLoadTimeoutMs));
      RunSetupPanel* setup = window.runSetupPanel();
      const QString family = quickFamily();
      setup->setMaxTrials(100000);
      setup->setTimeBudget(3600);  // the stop ends it (a short budget leaves the search little after the reserve)
      setup->setFamilies(family.isEmpty() ? QStringList() : QStringList{family});
      setup->setRunsFolder(runs.path());
      QSignalSpy trials(window.runWorker(), &glasswing::studio::RunWorker::trialsFinished);
      QSignalSpy finished(&window, &MainWindow::runFinished);
      QVERIFY(window.startRun());
      QVERIFY2(trials.wait(kRunTimeoutMs), "no trial finished");
      window.stopRun();
      QVERIFY2(finished.count() > 0 || finished.wait(kRunTimeoutMs), "the run did not stop");
      QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(issuesText(window)));
      window.close();
    }
    {
      MainWindow window;
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      QString error;
      QVERIFY2(window.startStudy(study, QStringLiteral("P04"), &error), qPrintable(error));
      QVERIFY(!window.studyController()->awaitingConsent());
      QCOMPARE(window.studyController()->currentTaskId(), QStringLiteral("iris"));
      QTest::qWait(50);
      QVERIFY(window.studyController()->activeDialog() == nullptr);
      window.close();
    }
    const gs::VerifyReport report = gs::verify_study(QFile::encodeName(study).toStdString());
    QVERIFY2(report.ok, report.problem.c_str());
    QCOMPARE(eventsOfKind(study, "consent").size(), std::size_t{1});
    const auto starts = eventsOfKind(study, "run_start");
    const auto ends = eventsOfKind(study, "run_end");
    QCOMPARE(starts.size(), std::size_t{1});
    QCOMPARE(ends.size(), std::size_t{1});
    QVERIFY(starts[0].seq < ends[0].seq);
    const json start = json::parse(starts[0].payload);
    QCOMPARE(start["time_budget_s"], json(3600.0));
    QCOMPARE(start["max_trials"], json(100000));
    const json end = json::parse(ends[0].payload);
    QVERIFY2(end["outcome"] == json("stopped"), ends[0].payload.c_str());
    QCOMPARE(end["task_id"], json("iris"));
    QVERIFY2(end["trials"].get<int>() >= 1 && end["trials"].get<int>() < 100000, ends[0].payload.c_str());
  }

  // A file that is not a study, a tampered study, a missing file and a bad participant id: a
  // message naming the problem, no study mode, and the window stays usable.
  void badStudyInputShowsMessageAndWindowStaysUsable() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString notStudy = dir.filePath(QStringLiteral("notes.db"));
    {
      QFile f(notStudy);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("this is not a database\n");
    }
    const gs::Protocol protocol = makeProtocol(sharedDataset("iris.csv"), "transparent", {"P1", "P11"});
    const QString tampered = createStudy(dir, protocol);
    {
      gs::StudyLog log(QFile::encodeName(tampered).toStdString());
      const auto s = log.start_session("P09");
      log.log(s.session_id, "panel_open", {{"panel", "P1"}});
      log.end_session(s.session_id, {{"reason", "completed"}});
    }
    {
      sqlite3* db = nullptr;
      QCOMPARE(sqlite3_open(QFile::encodeName(tampered).constData(), &db), SQLITE_OK);
      const char* sql =
          "DROP TRIGGER IF EXISTS events_append_only_update; DROP TRIGGER IF EXISTS events_append_only_delete;"
          "UPDATE events SET payload = replace(payload, 'P1', 'P11') WHERE seq = 2;";
      char* message = nullptr;
      const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
      const QString text = message ? QString::fromUtf8(message) : QString();
      sqlite3_free(message);
      sqlite3_close(db);
      QVERIFY2(rc == SQLITE_OK, qPrintable(text));
    }
    const struct {
      QString path;
      QString participant;
      QString says;
    } cases[] = {
        {notStudy, QStringLiteral("P01"), QStringLiteral("notes.db")},
        {tampered, QStringLiteral("P01"), QStringLiteral("does not verify")},
        {dir.filePath(QStringLiteral("absent.db")), QStringLiteral("P01"), QStringLiteral("does not exist")},
        {tampered, QStringLiteral("jane doe@example.org"), QStringLiteral("not a valid participant id")},
    };
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    for (const auto& c : cases) {
      QString error;
      QVERIFY(!window.startStudy(c.path, c.participant, &error));
      QVERIFY2(error.contains(c.says), qPrintable(error));
      QVERIFY(!error.contains(QLatin1Char('\n')));
      QVERIFY2(issuesText(window).contains(c.says), qPrintable(issuesText(window)));
      QVERIFY(window.studyController() == nullptr);
      QVERIFY(window.statusText().contains(QStringLiteral("Study mode did not start")));
    }
    // Nothing was appended to the tampered study.
    QCOMPARE(events(tampered).size(), std::size_t{3});
    // The window is usable: a file loads and the Decision tab is there.
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));
    QVERIFY(window.tabs()->isTabVisible(window.tabs()->indexOf(window.decisionPanel())));
  }

  // The command line: a study that cannot start exits 3 with one line on stderr; --study without
  // --participant is a usage error (2).
  void commandLineStudyErrors() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString bad = dir.filePath(QStringLiteral("bad.db"));
    {
      QFile f(bad);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("garbage");
    }
    const auto run = [](const QStringList& args, QString* err) {
      QProcess process;
      QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
      env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
      process.setProcessEnvironment(env);
      process.start(QStringLiteral(GLASSWING_STUDIO_EXE), args);
      if (!process.waitForFinished(60000)) return -1;
      *err = QString::fromUtf8(process.readAllStandardError());
      return process.exitCode();
    };
    QString err;
    QCOMPARE(run({QStringLiteral("--study"), bad, QStringLiteral("--participant"), QStringLiteral("P01")}, &err), 3);
    QVERIFY2(err.contains(QStringLiteral("study mode did not start")) && err.contains(QStringLiteral("bad.db")),
             qPrintable(err));
    QCOMPARE(run({QStringLiteral("--study"), bad}, &err), 2);
    QVERIFY2(err.contains(QStringLiteral("--participant")), qPrintable(err));
  }

  // exportDeployment: a non-empty folder is refused unless replacing is confirmed (then only
  // model/ and report.html change), a run without a bundle is refused.
  void exportNeverOverwritesSilently() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString run = fakeRun(dir);
    QVERIFY(!run.isEmpty());
    const QString target = dir.filePath(QStringLiteral("out"));
    QDir().mkpath(target);
    {
      QFile keep(target + QStringLiteral("/keep.txt"));
      QVERIFY(keep.open(QIODevice::WriteOnly));
      keep.write("mine");
    }
    auto refused = glasswing::studio::exportDeployment(run, target, nullptr, false);
    QVERIFY(!refused.ok);
    QVERIFY(refused.folderNotEmpty);
    QVERIFY2(refused.message.contains(QStringLiteral("not empty")), qPrintable(refused.message));
    QVERIFY(!QFileInfo::exists(target + QStringLiteral("/model")));
    auto replaced = glasswing::studio::exportDeployment(run, target, nullptr, true);
    QVERIFY2(replaced.ok, qPrintable(replaced.message));
    QVERIFY(QFileInfo::exists(target + QStringLiteral("/keep.txt")));
    QVERIFY(QFileInfo::exists(target + QStringLiteral("/model/model.json")));
    QCOMPARE(replaced.reportSha256.size(), 64);
    // Again over the first export: still one bundle, no temporaries left behind.
    QVERIFY(glasswing::studio::exportDeployment(run, target, nullptr, true).ok);
    QCOMPARE(QDir(target).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).size(), 3);
    auto noModel = glasswing::studio::exportDeployment(dir.filePath(QStringLiteral("nothing")),
                                                       dir.filePath(QStringLiteral("fresh")), nullptr, false);
    QVERIFY(!noModel.ok);
    QVERIFY2(noModel.message.contains(QStringLiteral("no model bundle")), qPrintable(noModel.message));
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("fresh"))));
  }

  // Outside study mode: reject and defer only record (decision.json beside the run, atomically);
  // an incomplete form says what is missing.
  void decisionRecordsBesideRun() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString run = fakeRun(dir);
    DecisionPanel panel;
    QSignalSpy failed(&panel, &DecisionPanel::decisionFailed);
    QVERIFY(!panel.decide());  // no run yet
    QVERIFY(panel.messageText().contains(QStringLiteral("No finished run")));
    panel.setRun(run);
    QVERIFY(panel.isReady());
    QVERIFY(panel.setAction(QStringLiteral("reject")));
    QVERIFY(!panel.decide());
    QVERIFY(panel.messageText().contains(QStringLiteral("Rate both")));
    QCOMPARE(failed.count(), 2);
    QVERIFY(panel.setWillingness(2));
    QVERIFY(panel.setConfidence(6));
    panel.setRationale(QStringLiteral("  The recall is too low.  "));
    QSignalSpy decided(&panel, &DecisionPanel::decided);
    QVERIFY(panel.decide());
    QCOMPARE(decided.count(), 1);
    const auto d = decided.at(0).at(0).value<Decision>();
    QCOMPARE(d.action, QStringLiteral("reject"));
    QCOMPARE(d.rationale, QStringLiteral("The recall is too low."));
    QFile file(DecisionPanel::decisionFile(run));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject saved = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(saved.value(QStringLiteral("format")).toString(), QStringLiteral("glasswing-decision/1"));
    QCOMPARE(saved.value(QStringLiteral("action")).toString(), QStringLiteral("reject"));
    QCOMPARE(saved.value(QStringLiteral("confidence")).toInt(), 6);
    QVERIFY(!saved.contains(QStringLiteral("exported_to")));
    // No temporary file is left beside it, and nothing was exported.
    QCOMPARE(QDir(run).entryList({QStringLiteral("decision*")}, QDir::Files).size(), 1);
    panel.clearRun();
    QVERIFY(!panel.isReady());
  }
};

QTEST_MAIN(StudyTest)
#include "test_study.moc"
