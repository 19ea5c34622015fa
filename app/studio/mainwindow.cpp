#include "mainwindow.hpp"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPixmap>
#include <QDateTime>
#include <QProgressBar>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QUrl>

#include <cstring>
#include <optional>

#include "automl/common/error.hpp"
#include "glasswing/common/version.hpp"
#include "panels/datapanel.hpp"
#include "panels/decisionpanel.hpp"
#include "panels/insightspanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/runpanel.hpp"
#include "panels/runsetuppanel.hpp"
#include "charts/chartexport.hpp"
#include "study/studycontroller.hpp"
#include "workers/csvloader.hpp"
#include "workers/runworker.hpp"

namespace glasswing::studio {
namespace {

constexpr int kMaxRecentFiles = 8;
const QString kRecentFilesKey = QStringLiteral("recentFiles");
const QString kLastDirectoryKey = QStringLiteral("lastOpenDirectory");
const QString kLastRunKey = QStringLiteral("run/lastRunDirectory");
const QString kLastExportKey = QStringLiteral("lastExportDirectory");

QString kindText(int kind) {
  const auto name = to_string(static_cast<ErrorKind>(kind));
  return QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size()));
}

// A new directory for a run of `dataPath` under `folder`: DATA-STEM-yyyyMMdd-HHmmss[-N].
QString newRunDirectory(const QString& folder, const QString& dataPath) {
  QString stem = QFileInfo(dataPath).fileName();
  for (const char* suffix : {".gz", ".csv", ".tsv", ".txt"}) {
    if (stem.endsWith(QString::fromLatin1(suffix), Qt::CaseInsensitive)) {
      stem.chop(static_cast<qsizetype>(std::strlen(suffix)));
    }
  }
  const QString base = QDir(folder).filePath(
      QStringLiteral("%1-%2").arg(stem, QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
  QString path = base;
  for (int n = 2; QFileInfo::exists(path); ++n) path = QStringLiteral("%1-%2").arg(base).arg(n);
  return path;
}

QString durationText(double seconds) {
  if (seconds < 1.0) {
    return QStringLiteral("%1 ms").arg(std::max(1, static_cast<int>(seconds * 1000.0 + 0.5)));
  }
  return QStringLiteral("%1 s").arg(QLocale().toString(seconds, 'f', 2));
}

// The first local file among the dragged URLs that the Studio can open; empty when none.
QString droppedDataFile(const QMimeData* mime) {
  if (mime == nullptr || !mime->hasUrls()) return {};
  const auto urls = mime->urls();
  for (const QUrl& url : urls) {
    if (url.isLocalFile() && MainWindow::isSupportedDataFile(url.toLocalFile())) {
      return url.toLocalFile();
    }
  }
  return {};
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      m_loader(new CsvLoader(this)),
      m_dataPanel(new DataPanel(this)),
      m_issuesPanel(new IssuesPanel(this)),
      m_issuesDock(new QDockWidget(tr("Issues"), this)),
      m_statusLabel(new QLabel(this)),
      m_busy(new QProgressBar(this)),
      m_tabs(new QTabWidget(this)),
      m_runSetup(new RunSetupPanel(this)),
      m_runPanel(new RunPanel(this)),
      m_runWorker(new RunWorker(this)) {
  setWindowTitle(tr("Glasswing Studio"));
  setAcceptDrops(true);

  // Run tab: the settings (scrollable on small screens) beside the live view.
  auto* setupScroll = new QScrollArea(this);
  setupScroll->setWidget(m_runSetup);
  setupScroll->setWidgetResizable(true);
  setupScroll->setFrameShape(QFrame::NoFrame);
  setupScroll->setMinimumWidth(m_runSetup->minimumSizeHint().width() + 24);
  auto* runSplitter = new QSplitter(Qt::Horizontal, this);
  runSplitter->addWidget(setupScroll);
  runSplitter->addWidget(m_runPanel);
  runSplitter->setStretchFactor(0, 0);
  runSplitter->setStretchFactor(1, 1);
  runSplitter->setChildrenCollapsible(false);
  m_tabs->addTab(m_dataPanel, tr("&Data"));
  m_tabs->addTab(runSplitter, tr("R&un"));
  m_insightsPanel = new InsightsPanel(this);
  m_tabs->addTab(m_insightsPanel, tr("&Insights"));
  m_decisionPanel = new DecisionPanel(this);
  m_tabs->addTab(m_decisionPanel, tr("D&ecision"));
  m_tabs->setDocumentMode(true);
  setCentralWidget(m_tabs);
  m_lastRunDir = QSettings().value(kLastRunKey).toString();
  m_runPanel->setElapsedProvider([this] { return m_runWorker->elapsedSeconds(); });

  m_issuesDock->setObjectName(QStringLiteral("issuesDock"));
  m_issuesDock->setWidget(m_issuesPanel);
  m_issuesDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                            QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::BottomDockWidgetArea, m_issuesDock);
  m_issuesDock->hide();  // shown when there is something to say

  m_busy->setRange(0, 0);  // indeterminate: the reader reports no progress yet
  m_busy->setMaximumWidth(160);
  m_busy->setTextVisible(false);
  m_busy->hide();
  statusBar()->addWidget(m_statusLabel, 1);
  statusBar()->addPermanentWidget(m_busy);
  setStatus(tr("Ready. Open a CSV file with File ▸ Open… or drop one here."));

  connect(m_loader, &CsvLoader::started, this, &MainWindow::onLoadStarted);
  connect(m_loader, &CsvLoader::finished, this, &MainWindow::onLoaded);
  connect(m_loader, &CsvLoader::failed, this, &MainWindow::onLoadFailed);
  connect(m_runSetup, &RunSetupPanel::startRequested, this, &MainWindow::startRun);
  connect(m_runSetup, &RunSetupPanel::resumeRequested, this, &MainWindow::resumeRun);
  connect(m_runSetup, &RunSetupPanel::stopRequested, this, &MainWindow::stopRun);
  // The data preview's type overrides go into the run settings.
  connect(m_dataPanel, &DataPanel::typeOverridden, this,
          [this] { m_runSetup->setColumnTypes(m_dataPanel->columnTypes()); });
  connect(m_runPanel, &RunPanel::exportRequested, this, &MainWindow::showExportDialog);
  connect(m_runWorker, &RunWorker::trialsFinished, this, &MainWindow::onTrials);
  connect(m_runWorker, &RunWorker::finished, this, &MainWindow::onRunFinished);
  connect(m_runWorker, &RunWorker::failed, this, &MainWindow::onRunFailed);
  // Insights: a finished run is shown at once; a new run clears the pages.
  connect(this, &MainWindow::runStarted, m_insightsPanel, [this] { m_insightsPanel->setInsights(nullptr); });
  connect(this, &MainWindow::runFinished, m_insightsPanel, [this](bool ok) {
    if (ok && !m_lastRunDir.isEmpty()) m_insightsPanel->loadRun(m_lastRunDir);
  });
  connect(m_insightsPanel, &InsightsPanel::insightsLoaded, this, [this](bool ok, const QString& message) {
    if (ok) {
      setStatus(tr("Insights of the run in %1.").arg(m_insightsPanel->runDirectory()));
      return;
    }
    m_issuesPanel->addIssue(Severity::Error, tr("insights"), message);
    showIssues();
    setStatus(message);
  });
  // P11 decides about the last finished run.
  connect(this, &MainWindow::runStarted, m_decisionPanel, &DecisionPanel::clearRun);
  connect(this, &MainWindow::runFinished, this, [this](bool ok) {
    if (ok) m_decisionPanel->setRun(m_lastRunDir);
  });
  // Deploy renders report.html from the insights already computed for that run.
  connect(m_insightsPanel, &InsightsPanel::insightsLoaded, m_decisionPanel, [this](bool ok) {
    if (ok && m_insightsPanel->runDirectory() == m_decisionPanel->runDirectory()) {
      m_decisionPanel->setInsights(m_insightsPanel->insights());
    }
  });

  createMenus();
  resize(1280, 800);
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open…"), this, &MainWindow::showOpenDialog);
  open->setShortcut(QKeySequence::Open);
  open->setStatusTip(tr("Open a CSV file and show its schema and profile"));
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  QAction* openRun = file->addAction(tr("Open R&un…"), this, &MainWindow::showOpenRunDialog);
  openRun->setStatusTip(tr("Show the insights of an earlier run directory"));
  updateRecentMenu();
  m_cancelAction = file->addAction(tr("&Cancel Loading"), this, &MainWindow::cancelLoading);
  m_cancelAction->setShortcut(QKeySequence::Cancel);
  m_cancelAction->setEnabled(false);
  file->addSeparator();
  QAction* exportChart = file->addAction(tr("&Export Score Chart…"), this, &MainWindow::showExportDialog);
  exportChart->setStatusTip(tr("Save the run's score-over-time chart as PNG or SVG"));
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setMenuRole(QAction::QuitRole);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  m_startAction = run->addAction(tr("&Start Run"), this, &MainWindow::startRun);
  m_startAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  m_startAction->setStatusTip(tr("Start a new run with the settings of the Run tab"));
  m_stopAction = run->addAction(tr("S&top Run"), this, &MainWindow::stopRun);
  m_stopAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
  m_stopAction->setStatusTip(tr("Stop the search; the trials that finished make the result"));
  m_resumeAction = run->addAction(tr("&Resume Last Run"), this, &MainWindow::resumeRun);
  m_resumeAction->setStatusTip(tr("Continue the last run's search in its run directory"));
  updateRunActions();

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* dataTab = view->addAction(tr("&Data"), this, [this] { m_tabs->setCurrentIndex(0); });
  dataTab->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
  QAction* runTab = view->addAction(tr("R&un"), this, [this] { m_tabs->setCurrentIndex(1); });
  runTab->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));
  QAction* issues = m_issuesDock->toggleViewAction();
  issues->setText(tr("&Issues"));
  view->addAction(issues);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About Glasswing Studio"), this, [this] {
    QMessageBox::about(this, tr("About Glasswing Studio"),
                       tr("<b>Glasswing Studio</b> %1<br>Trustworthy AutoML: every step shown, "
                          "not hidden.")
                           .arg(QString::fromLatin1(kVersion)));
  });
}

bool MainWindow::isSupportedDataFile(const QString& path) {
  const QString name = QFileInfo(path).fileName().toLower();
  for (const char* suffix : {".csv", ".tsv", ".txt"}) {
    const QString plain = QString::fromLatin1(suffix);
    if (name.endsWith(plain) || name.endsWith(plain + QStringLiteral(".gz"))) return true;
  }
  return false;
}

void MainWindow::showOpenDialog() {
  QSettings settings;
  const QString directory = settings.value(kLastDirectoryKey, QDir::homePath()).toString();
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Open data"), directory,
      tr("Data files (*.csv *.csv.gz *.tsv *.tsv.gz *.txt *.txt.gz);;All files (*)"));
  if (path.isEmpty()) return;
  settings.setValue(kLastDirectoryKey, QFileInfo(path).absolutePath());
  openFile(path);
}

void MainWindow::openFile(const QString& path) {
  m_issuesPanel->clear();  // issues describe the current attempt
  m_loader->load(path);
}

bool MainWindow::isLoading() const { return m_loader->isLoading(); }

void MainWindow::cancelLoading() {
  if (!m_loader->isLoading()) return;
  m_loader->cancel();
  m_busy->hide();
  m_cancelAction->setEnabled(false);
  const QString name = QFileInfo(m_loadingPath).fileName();
  setStatus(tr("Loading %1 was cancelled.").arg(name));
  if (!m_dataPanel->dataset()) m_dataPanel->clear();
}

void MainWindow::onLoadStarted(const QString& path) {
  const QString name = QFileInfo(path).fileName();
  setStatus(tr("Loading %1…").arg(name));
  m_dataPanel->setLoadingText(tr("Loading %1…").arg(name));
  m_loadingPath = path;
  m_busy->show();
  m_cancelAction->setEnabled(true);
  emit loadStarted(path);
}

void MainWindow::onLoaded(const std::shared_ptr<const LoadedDataset>& dataset) {
  m_busy->hide();
  m_cancelAction->setEnabled(false);
  m_dataPanel->setDataset(dataset);
  m_runSetup->setDataset(dataset);
  const QFileInfo file(dataset->path);
  setWindowTitle(tr("%1 — Glasswing Studio").arg(file.fileName()));
  setWindowFilePath(file.absoluteFilePath());
  const QLocale locale;
  const auto& info = dataset->csvInfo;
  setStatus(tr("%1 rows × %2 columns · loaded in %3 (read %4 on %5 %6, profile %7)")
                .arg(locale.toString(static_cast<qulonglong>(dataset->table->rows())),
                     locale.toString(static_cast<qulonglong>(dataset->table->column_count())),
                     durationText(dataset->totalSeconds), durationText(dataset->readSeconds))
                .arg(info.threads_used)
                .arg(info.threads_used == 1 ? tr("thread") : tr("threads"),
                     durationText(dataset->profileSeconds)));
  addRecentFile(file.absoluteFilePath());
  if (m_issuesPanel->count() == 0) m_issuesDock->hide();
  emit loadFinished(true);
}

void MainWindow::onLoadFailed(const QString& path, const QString& message, int kind) {
  m_busy->hide();
  m_cancelAction->setEnabled(false);
  const QString name = QFileInfo(path).fileName();
  const auto kindName = to_string(static_cast<ErrorKind>(kind));
  m_issuesPanel->addIssue(Severity::Error,
                          QStringLiteral("%1 (%2)").arg(name, QString::fromUtf8(kindName.data(),
                                                                                static_cast<qsizetype>(kindName.size()))),
                          message);
  showIssues();
  const bool keptPrevious = m_dataPanel->dataset() != nullptr;
  setStatus(keptPrevious ? tr("Could not open %1 (see Issues); still showing the previous file.")
                               .arg(name)
                         : tr("Could not open %1 (see Issues).").arg(name));
  m_dataPanel->setLoadingText(tr("Could not open %1. The Issues panel below says why.").arg(name));
  emit loadFinished(false);
}

bool MainWindow::saveScreenshot(const QString& path) {
  const QFileInfo file(path);
  QDir().mkpath(file.absolutePath());
  const QPixmap pixmap = grab();
  if (!pixmap.isNull() && pixmap.save(path, "PNG")) return true;
  m_issuesPanel->addIssue(Severity::Error, tr("screenshot"),
                          tr("Could not write the screenshot %1: check that the folder exists "
                             "and is writable.")
                              .arg(QDir::toNativeSeparators(file.absoluteFilePath())));
  m_issuesDock->show();
  return false;
}

QString MainWindow::statusText() const { return m_statusLabel->text(); }

void MainWindow::setStatus(const QString& text) { m_statusLabel->setText(text); }

QStringList MainWindow::recentFiles() const {
  return QSettings().value(kRecentFilesKey).toStringList();
}

void MainWindow::addRecentFile(const QString& path) {
  QStringList files = recentFiles();
  files.removeAll(path);
  files.prepend(path);
  while (files.size() > kMaxRecentFiles) files.removeLast();
  QSettings().setValue(kRecentFilesKey, files);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  m_recentMenu->clear();
  const QStringList files = recentFiles();
  for (int i = 0; i < files.size(); ++i) {
    const QString& path = files[i];
    QAction* action = m_recentMenu->addAction(
        QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()),
        this, [this, path] { openFile(path); });
    action->setToolTip(QDir::toNativeSeparators(path));
    action->setStatusTip(QDir::toNativeSeparators(path));
  }
  if (!files.isEmpty()) {
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
      QSettings().remove(kRecentFilesKey);
      updateRecentMenu();
    });
  }
  m_recentMenu->setEnabled(!files.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (!droppedDataFile(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QString path = droppedDataFile(event->mimeData());
  if (path.isEmpty()) return;
  event->acceptProposedAction();
  openFile(path);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  m_loader->cancel();
  m_runWorker->stop();  // the worker's destructor waits for the engine to return
  QMainWindow::closeEvent(event);
}

}  // namespace glasswing::studio

namespace glasswing::studio {

void MainWindow::showIssues() {
  const bool wasHidden = m_issuesDock->isHidden();
  m_issuesDock->show();
  m_issuesDock->raise();
  if (wasHidden) resizeDocks({m_issuesDock}, {160}, Qt::Vertical);
}

bool MainWindow::startStudy(const QString& studyPath, const QString& participantId, QString* error) {
  QString problem;
  if (m_study != nullptr) {
    problem = tr("Study mode has already started in this window; start the Studio again for another participant.");
  } else {
    m_study = StudyController::start(this, studyPath, participantId, &problem);
  }
  if (m_study == nullptr || !problem.isEmpty()) {
    m_issuesPanel->addIssue(Severity::Error, tr("study"), problem);
    showIssues();
    setStatus(tr("Study mode did not start: %1").arg(problem));
    if (error != nullptr) *error = problem;
    return false;
  }
  // A participant who does not consent leaves study mode: the window goes on as a normal Studio.
  connect(m_study, &StudyController::withdrawn, this, [this] {
    if (m_study != nullptr) m_study->deleteLater();
    m_study = nullptr;
    setStatus(tr("Study mode ended: the participant did not consent; nothing more is logged."));
  });
  setStatus(tr("Study mode: participant %1.").arg(participantId));
  return true;
}

void MainWindow::openRunDirectory(const QString& runDirectory) {
  m_tabs->setCurrentWidget(m_insightsPanel);
  m_insightsPanel->loadRun(runDirectory);
  setStatus(tr("Reading the run in %1…").arg(runDirectory));
}

void MainWindow::showOpenRunDialog() {
  QString start = m_lastRunDir.isEmpty() ? QString() : QFileInfo(m_lastRunDir).absolutePath();
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Run Directory"), start);
  if (!dir.isEmpty()) openRunDirectory(dir);
}

bool MainWindow::isRunning() const { return m_runWorker->isRunning(); }

bool MainWindow::startRun() { return launchRun(false); }

bool MainWindow::resumeRun() { return launchRun(true); }

bool MainWindow::launchRun(bool resume) {
  if (m_runWorker->isRunning()) {
    setStatus(tr("A run is in progress; stop it before starting another."));
    return false;
  }
  m_tabs->setCurrentIndex(1);
  QString error;
  std::optional<engine::RunSettings> settings = m_runSetup->runSettings(&error);
  QString directory;
  if (settings && resume) {
    if (m_lastRunDir.isEmpty() || !QFileInfo::exists(QDir(m_lastRunDir).filePath(QStringLiteral("search.db")))) {
      error = tr("There is no run to resume (no search.db in %1); start a new run instead.")
                  .arg(m_lastRunDir.isEmpty() ? tr("the last run directory")
                                              : QDir::toNativeSeparators(m_lastRunDir));
      settings.reset();
    } else {
      directory = m_lastRunDir;
    }
  } else if (settings) {
    directory = newRunDirectory(m_runSetup->runsFolder(), m_dataPanel->dataset() ? m_dataPanel->dataset()->path
                                                                                  : QString());
  }
  if (!settings) {
    m_issuesPanel->addIssue(Severity::Error, tr("run settings"), error);
    showIssues();
    setStatus(tr("Could not start the run: %1").arg(error));
    emit runFinished(false);
    return false;
  }
  settings->out = std::filesystem::path(QFile::encodeName(directory).toStdString());
  settings->resume = resume;
  m_issuesPanel->clear();  // issues describe the current attempt
  m_issuesDock->hide();
  m_lastRunDir = directory;
  QSettings().setValue(kLastRunKey, directory);
  m_runWorker->start(*settings);
  m_runPanel->runStarted(*settings, directory);
  updateRunActions();
  setStatus(resume ? tr("Resuming the run in %1…").arg(QDir::toNativeSeparators(directory))
                   : tr("Running on %1, target %2…")
                         .arg(QFileInfo(m_dataPanel->dataset()->path).fileName(), m_runSetup->target()));
  emit runStarted(directory);
  return true;
}

void MainWindow::stopRun() {
  if (!m_runWorker->isRunning()) return;
  m_runWorker->stop();
  emit runStopping();
  m_runPanel->setStopping();
  setStatus(tr("Stopping the run: the trials that finished make the result…"));
  updateRunActions();
}

void MainWindow::onTrials(const std::vector<engine::TrialEvent>& trials) {
  m_runPanel->addTrials(trials);
  bool failed = false;
  for (const auto& trial : trials) {
    if (trial.state != "FAIL") continue;
    failed = true;
    m_issuesPanel->addIssue(Severity::Warning,
                            tr("trial %1 (%2)").arg(trial.number).arg(QString::fromStdString(trial.family)),
                            trial.fail_reason.empty() ? tr("The trial failed without a reason.")
                                                      : QString::fromStdString(trial.fail_reason));
  }
  if (failed) showIssues();
}

void MainWindow::onRunFinished(const std::shared_ptr<const engine::RunResult>& result) {
  m_runPanel->runFinished(*result);
  m_issuesPanel->addIssues(result->issues);
  bool serious = false;
  for (const auto& issue : result->issues) serious = serious || issue.severity != Severity::Info;
  if (serious) showIssues();
  updateRunActions();
  QString best;
  if (!result->leaderboard.empty()) {
    const auto& top = result->leaderboard.front();
    // An ensemble's row has no trial (-1): it is named by its size.
    QString name = tr("%1 (trial %2)").arg(QString::fromStdString(top.family)).arg(top.trial);
    if (top.trial < 0) {
      name = top.params.size() == 1 ? tr("ensemble of 1 candidate")
                                    : tr("ensemble of %1 candidates").arg(top.params.size());
    }
    best = tr("best %1 %2 %3").arg(name, QString::fromStdString(result->metric), QString::number(top.cv_mean, 'f', 4));
  }
  setStatus(tr("Run finished: %1 candidates, %2; saved in %3.")
                .arg(result->leaderboard.size())
                .arg(best, QDir::toNativeSeparators(QString::fromStdString(result->run_dir.string()))));
  emit runFinished(true);
}

void MainWindow::onRunFailed(const QString& message, int kind) {
  m_runPanel->runFailed(message);
  m_issuesPanel->addIssue(Severity::Error, tr("run (%1)").arg(kindText(kind)), message);
  showIssues();
  updateRunActions();
  setStatus(tr("The run failed (see Issues): %1").arg(message));
  emit runFinished(false);
}

void MainWindow::updateRunActions() {
  const bool running = m_runWorker->isRunning();
  const bool canResume = !running && !m_lastRunDir.isEmpty() &&
                         QFileInfo::exists(QDir(m_lastRunDir).filePath(QStringLiteral("search.db")));
  m_startAction->setEnabled(!running);
  m_stopAction->setEnabled(running && !m_runWorker->isStopping());
  m_resumeAction->setEnabled(canResume);
  m_runSetup->setRunState(running, canResume);
}

bool MainWindow::exportScoreChart(const QString& path) {
  QString error;
  if (m_runPanel->exportScoreChart(path, &error)) {
    setStatus(tr("Saved the score chart as %1.").arg(QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath())));
    return true;
  }
  m_issuesPanel->addIssue(Severity::Error, tr("export"), error);
  showIssues();
  setStatus(tr("Could not export the chart (see Issues)."));
  return false;
}

void MainWindow::showExportDialog() {
  QSettings settings;
  const QString directory = settings.value(kLastExportKey, QDir::homePath()).toString();
  QString filters = tr("PNG image (*.png)");
  if (svgExportAvailable()) filters += tr(";;SVG drawing (*.svg)");
  QString selected;
  QString path = QFileDialog::getSaveFileName(this, tr("Export score chart"),
                                              QDir(directory).filePath(QStringLiteral("score-over-time.png")),
                                              filters, &selected);
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) {
    path += selected.contains(QStringLiteral("svg")) ? QStringLiteral(".svg") : QStringLiteral(".png");
  }
  settings.setValue(kLastExportKey, QFileInfo(path).absolutePath());
  m_tabs->setCurrentIndex(1);
  exportScoreChart(path);
}

}  // namespace glasswing::studio
