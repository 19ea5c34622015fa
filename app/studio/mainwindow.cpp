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
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QUrl>

#include "automl/common/error.hpp"
#include "glasswing/common/version.hpp"
#include "panels/datapanel.hpp"
#include "panels/issuespanel.hpp"
#include "workers/csvloader.hpp"

namespace glasswing::studio {
namespace {

constexpr int kMaxRecentFiles = 8;
const QString kRecentFilesKey = QStringLiteral("recentFiles");
const QString kLastDirectoryKey = QStringLiteral("lastOpenDirectory");

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
      m_busy(new QProgressBar(this)) {
  setWindowTitle(tr("Glasswing Studio"));
  setAcceptDrops(true);
  setCentralWidget(m_dataPanel);

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
  updateRecentMenu();
  m_cancelAction = file->addAction(tr("&Cancel Loading"), this, &MainWindow::cancelLoading);
  m_cancelAction->setShortcut(QKeySequence::Cancel);
  m_cancelAction->setEnabled(false);
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setMenuRole(QAction::QuitRole);

  QMenu* view = menuBar()->addMenu(tr("&View"));
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
  const bool wasHidden = m_issuesDock->isHidden();
  m_issuesDock->show();
  m_issuesDock->raise();
  if (wasHidden) resizeDocks({m_issuesDock}, {160}, Qt::Vertical);
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
  QMainWindow::closeEvent(event);
}

}  // namespace glasswing::studio
