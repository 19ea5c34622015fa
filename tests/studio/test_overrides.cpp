// Column type overrides in the data preview and search-space edits in the run setup (helper O's
// slice), offscreen on the shared penguins dataset with short real runs of the engine.

#include <QAbstractItemView>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFont>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QAction>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

#include "automl/engine/run.hpp"
#include "automl/search/storage_registry.hpp"
#include "mainwindow.hpp"
#include "models/leaderboardmodel.hpp"
#include "models/profiletablemodel.hpp"
#include "panels/datapanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/runsetuppanel.hpp"
#include "panels/searchspacedialog.hpp"

using glasswing::studio::DataPanel;
using glasswing::studio::LeaderboardModel;
using glasswing::studio::MainWindow;
using glasswing::studio::ProfileTableModel;
using glasswing::studio::RunSetupPanel;
using glasswing::studio::SearchSpaceDialog;

namespace {

constexpr int kLoadTimeoutMs = 60000;
constexpr int kRunTimeoutMs = 120000;

QString penguins() { return QStringLiteral(GLASSWING_SHARED_DIR "/datasets/penguins.csv"); }

bool loadAndWait(MainWindow& window, const QString& path) {
  QSignalSpy spy(&window, &MainWindow::loadFinished);
  window.openFile(path);
  const bool done = spy.count() > 0 || spy.wait(kLoadTimeoutMs);
  return done && spy.count() == 1 && spy.at(0).at(0).toBool();
}

// Starts a run and waits; returns runFinished()'s flag (false on a timeout).
bool runAndWait(MainWindow& window) {
  QSignalSpy spy(&window, &MainWindow::runFinished);
  window.startRun();
  const bool done = spy.count() > 0 || spy.wait(kRunTimeoutMs);
  return done && spy.count() == 1 && spy.at(0).at(0).toBool();
}

QString issuesText(const MainWindow& window) {
  QStringList lines;
  for (int i = 0; i < window.issuesPanel()->count(); ++i) lines << window.issuesPanel()->messageAt(i);
  return lines.join(QLatin1Char('\n'));
}

QJsonObject readJson(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(file.readAll()).object();
}

int rowOf(const ProfileTableModel& model, const QString& column) {
  for (int row = 0; row < model.rowCount(); ++row)
    if (QString::fromStdString(model.profileAt(row)->name) == column) return row;
  return -1;
}

// A short run of the quick linear family: 4 trials, 3 folds, no time budget.
void shortRun(RunSetupPanel* setup, const QString& runs) {
  QVERIFY(setup->setTarget(QStringLiteral("species")));
  setup->setMaxTrials(4);
  setup->setTimeBudget(0);
  setup->setCvFolds(3);
  setup->setFamilies({QStringLiteral("linear")});
  setup->setRunsFolder(runs);
}

}  // namespace

class OverridesTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("GlasswingTest"));
    QCoreApplication::setApplicationName(QStringLiteral("Glasswing Overrides Test"));
    QSettings().clear();
    QVERIFY(QFileInfo::exists(penguins()));
  }

  // The Type cell's combo sets an override (bold, "(override)" tooltip, a signal); Reset type
  // undoes it; the overrides reach a real run's run.json and bundle.
  void overrideTypeAndRun() {
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    QVERIFY(loadAndWait(window, penguins()));
    DataPanel* data = window.dataPanel();
    ProfileTableModel* model = data->profileModel();
    const int yearRow = rowOf(*model, QStringLiteral("year"));
    QVERIFY(yearRow >= 0);
    QCOMPARE(model->effectiveType(yearRow), QStringLiteral("integer"));
    QVERIFY(ProfileTableModel::typeChoices().contains(QStringLiteral("ignore")));

    QSignalSpy overridden(data, &DataPanel::typeOverridden);
    // Through the view's editor, as a user does it.
    data->selectColumn(yearRow);
    QTableView* view = data->tableView();
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(view->model());
    QVERIFY(proxy != nullptr);
    const QModelIndex cell = proxy->mapFromSource(model->index(yearRow, ProfileTableModel::Type));
    QVERIFY(cell.flags() & Qt::ItemIsEditable);
    QVERIFY(!(proxy->mapFromSource(model->index(yearRow, ProfileTableModel::Name)).flags() & Qt::ItemIsEditable));
    view->edit(cell);
    auto* combo = view->findChild<QComboBox*>();
    QVERIFY(combo != nullptr);
    QCOMPARE(combo->currentText(), QStringLiteral("integer"));
    combo->setCurrentIndex(combo->findText(QStringLiteral("categorical")));
    emit combo->activated(combo->currentIndex());
    QCOMPARE(overridden.count(), 1);
    QCOMPARE(overridden.at(0).at(0).toString(), QStringLiteral("year"));
    QCOMPARE(overridden.at(0).at(1).toString(), QStringLiteral("integer"));
    QCOMPARE(overridden.at(0).at(2).toString(), QStringLiteral("categorical"));
    QCOMPARE(model->index(yearRow, ProfileTableModel::Type).data().toString(), QStringLiteral("categorical"));
    QVERIFY(model->index(yearRow, ProfileTableModel::Type).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(model->index(yearRow, ProfileTableModel::Type).data(Qt::ToolTipRole).toString().contains(QStringLiteral("(override)")));

    // Reset type (the context-menu action) goes back to the inferred type.
    data->resetTypeAction()->trigger();
    QCOMPARE(overridden.count(), 2);
    QCOMPARE(overridden.at(1).at(2).toString(), QStringLiteral("integer"));
    QVERIFY(!model->isOverridden(yearRow));
    QVERIFY(!model->index(yearRow, ProfileTableModel::Type).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(window.runSetupPanel()->columnTypes().empty());

    QVERIFY(data->setColumnType(QStringLiteral("year"), QStringLiteral("categorical")));
    QVERIFY(data->setColumnType(QStringLiteral("island"), QStringLiteral("ignore")));
    QVERIFY(!data->setColumnType(QStringLiteral("nosuch"), QStringLiteral("text")));
    QVERIFY(!data->setColumnType(QStringLiteral("year"), QStringLiteral("wordy")));
    QCOMPARE(overridden.count(), 4);
    QCOMPARE(window.runSetupPanel()->columnTypes().size(), std::size_t{2});

    QTemporaryDir runs;
    shortRun(window.runSetupPanel(), runs.path());
    QVERIFY2(runAndWait(window), qPrintable(issuesText(window)));
    const QDir runDir(window.lastRunDirectory());
    const QJsonObject runJson = readJson(runDir.filePath(QStringLiteral("run.json")));
    const QJsonObject types = runJson[QStringLiteral("settings")].toObject()[QStringLiteral("column_types")].toObject();
    QCOMPARE(types[QStringLiteral("year")].toString(), QStringLiteral("categorical"));
    QCOMPARE(types[QStringLiteral("island")].toString(), QStringLiteral("ignore"));
    const QJsonObject manifest = readJson(runDir.filePath(QStringLiteral("model/manifest.json")));
    bool yearSeen = false;
    for (const auto& column : manifest[QStringLiteral("input_columns")].toArray()) {
      const QJsonObject c = column.toObject();
      QVERIFY(c[QStringLiteral("name")].toString() != QStringLiteral("island"));
      if (c[QStringLiteral("name")].toString() == QStringLiteral("year")) {
        yearSeen = true;
        QCOMPARE(c[QStringLiteral("type")].toString(), QStringLiteral("categorical"));
      }
    }
    QVERIFY(yearSeen);
  }

  // A type the data cannot have: the run fails before training with an Issue naming the column;
  // the window stays usable and the next run (override reset) succeeds.
  void badOverrideShowsIssueAndWindowStaysUsable() {
    MainWindow window;
    window.show();
    QVERIFY(loadAndWait(window, penguins()));
    QVERIFY(window.dataPanel()->setColumnType(QStringLiteral("sex"), QStringLiteral("float")));
    QTemporaryDir runs;
    shortRun(window.runSetupPanel(), runs.path());
    QVERIFY(!runAndWait(window));
    const QString issues = issuesText(window);
    QVERIFY2(issues.contains(QStringLiteral("column 'sex' was set to type float")) && issues.contains(QStringLiteral("not numbers")),
             qPrintable(issues));
    QVERIFY(!window.isRunning());
    QVERIFY(window.runSetupPanel()->startButton()->isEnabled());
    QVERIFY(window.dataPanel()->selectColumnByName(QStringLiteral("sex")));
    window.dataPanel()->resetTypeAction()->trigger();
    QVERIFY(window.runSetupPanel()->columnTypes().empty());
    window.runSetupPanel()->setMaxTrials(1);
    window.runSetupPanel()->setFamilies({});
    QVERIFY2(runAndWait(window), qPrintable(issuesText(window)));
  }

  // The dialog shows each family's parameters with their default ranges and checks the edits
  // with the engine's own validation; a run honours a fixed parameter (the store shows it).
  void spaceDialogValidatesAndRunHonoursFixedParam() {
    MainWindow window;
    window.show();
    QVERIFY(loadAndWait(window, penguins()));
    RunSetupPanel* setup = window.runSetupPanel();
    QTemporaryDir runs;
    shortRun(setup, runs.path());

    SearchSpaceDialog dialog({QStringLiteral("constant"), QStringLiteral("xgboost"), QStringLiteral("linear")},
                             setup->searchSpace());
    QVERIFY(dialog.table()->rowCount() >= 7);  // xgboost's hyperparameters
    QVERIFY(dialog.isValid());
    int depthRow = -1;
    for (int row = 0; row < dialog.table()->rowCount(); ++row)
      if (dialog.table()->item(row, SearchSpaceDialog::Parameter)->text() == QStringLiteral("max_depth")) depthRow = row;
    QVERIFY(depthRow >= 0);
    QCOMPARE(dialog.table()->item(depthRow, SearchSpaceDialog::Range)->text(), QStringLiteral("[2, 10] integer"));
    QCOMPARE(dialog.table()->item(depthRow, SearchSpaceDialog::Default)->text(), QStringLiteral("6"));

    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::Low, QStringLiteral("6")));
    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::High, QStringLiteral("3")));
    QVERIFY(!dialog.isValid());
    QVERIFY2(dialog.problem().contains(QStringLiteral("low (6) is above high (3)")), qPrintable(dialog.problem()));
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::High, QStringLiteral("12")));
    QVERIFY2(dialog.problem().contains(QStringLiteral("outside the family's bounds [2, 10]")), qPrintable(dialog.problem()));
    dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::Low, QString());
    dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::High, QString());
    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::Fixed, QStringLiteral("deep")));
    QVERIFY2(dialog.problem().contains(QStringLiteral("takes an integer")), qPrintable(dialog.problem()));
    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::Fixed, QStringLiteral("3")));
    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("learning_rate"), SearchSpaceDialog::Low, QStringLiteral("0.1")));
    QVERIFY(dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::Low, QStringLiteral("4")));
    QVERIFY2(dialog.problem().contains(QStringLiteral("not both")), qPrintable(dialog.problem()));
    dialog.setCell(QStringLiteral("xgboost"), QStringLiteral("max_depth"), SearchSpaceDialog::Low, QString());
    QVERIFY(dialog.setCell(QStringLiteral("linear"), QStringLiteral("l2"), SearchSpaceDialog::Fixed, QStringLiteral("0.001")));
    QVERIFY2(dialog.isValid(), qPrintable(dialog.problem()));
    QVERIFY(dialog.okButton()->isEnabled());
    QCOMPARE(dialog.edits()["xgboost"]["max_depth"], 3);
    QCOMPARE(dialog.edits()["xgboost"]["learning_rate"]["high"], 0.3);  // the open end keeps the bound
    QCOMPARE(dialog.edits()["linear"]["l2"], 0.001);

    QSignalSpy edited(setup, &RunSetupPanel::searchSpaceEdited);
    QVERIFY(setup->setSearchSpace(dialog.edits()));
    QCOMPARE(edited.count(), 1);
    QVERIFY(edited.at(0).at(0).toString().contains(QStringLiteral("\"max_depth\":3")));
    QString error;
    QVERIFY(!setup->setSearchSpace(nlohmann::ordered_json::parse(R"({"xgboost": {"depth": 3}})"), &error));
    QVERIFY2(error.contains(QStringLiteral("has no parameter 'depth'")), qPrintable(error));
    QCOMPARE(setup->searchSpace()["xgboost"]["max_depth"], 3);  // the refused edits changed nothing
    QCOMPARE(setup->searchSpaceSummary(), QStringLiteral("3 parameter(s) edited"));
    {
      RunSetupPanel restored;  // persisted with the run settings
      QCOMPARE(restored.searchSpace().dump(), setup->searchSpace().dump());
    }

    QVERIFY2(runAndWait(window), qPrintable(issuesText(window)));
    const QString db = QDir(window.lastRunDirectory()).filePath(QStringLiteral("search.db"));
    auto storage = glasswing::search::make_storage("sqlite:///" + db.toStdString());
    const auto id = storage->get_study_id_from_name("glasswing-run");
    int linearTrials = 0;
    for (const auto& t : storage->get_all_trials(id)) {
      const auto model = t.params.find("model");
      if (model == t.params.end()) continue;
      QCOMPARE(QString::fromStdString(model->second.get<std::string>()), QStringLiteral("linear"));
      ++linearTrials;
      QCOMPARE(t.params.at("linear.l2").get<double>(), 0.001);  // the enqueued default too
    }
    QVERIFY(linearTrials >= 3);
    setup->setSearchSpace(nlohmann::ordered_json::object());  // leave the settings clean
  }

  // An ensemble's leaderboard row lists its members, not JSON.
  void ensembleRowShowsMembers() {
    std::vector<glasswing::engine::LeaderboardRow> rows(1);
    rows[0].family = "ensemble";
    rows[0].trial = -1;
    rows[0].params = nlohmann::ordered_json::parse(
        R"([{"trial": 3, "family": "xgboost", "weight": 0.6}, {"trial": 5, "family": "linear", "weight": 0.4}])");
    LeaderboardModel board;
    board.setResult(rows, QStringLiteral("roc_auc"), true);
    QCOMPARE(board.index(0, LeaderboardModel::Params).data().toString(),
             QStringLiteral("trial 3 (xgboost) ×0.60, trial 5 (linear) ×0.40"));
  }
};

QTEST_MAIN(OverridesTest)
#include "test_overrides.moc"
