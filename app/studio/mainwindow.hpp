#pragma once
// MainWindow: menus, the status bar, drag and drop and recent files around the panels. It owns
// no data logic: the CsvLoader reads files off the GUI thread, the DataPanel shows them and the
// IssuesPanel shows what went wrong.

#include <QMainWindow>
#include <QString>
#include <QStringList>
#include <memory>

QT_BEGIN_NAMESPACE
class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
QT_END_NAMESPACE

namespace glasswing::studio {

struct LoadedDataset;
class CsvLoader;
class DataPanel;
class IssuesPanel;

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

  DataPanel* dataPanel() const { return m_dataPanel; }
  IssuesPanel* issuesPanel() const { return m_issuesPanel; }
  QDockWidget* issuesDock() const { return m_issuesDock; }
  QString statusText() const;
  QStringList recentFiles() const;

 signals:
  void loadStarted(const QString& path);
  // ok: the file is shown; otherwise the reason is in the Issues panel and the status bar.
  void loadFinished(bool ok);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void createMenus();
  void showOpenDialog();
  void onLoadStarted(const QString& path);
  void onLoaded(const std::shared_ptr<const LoadedDataset>& dataset);
  void onLoadFailed(const QString& path, const QString& message, int kind);
  void addRecentFile(const QString& path);
  void updateRecentMenu();
  void setStatus(const QString& text);

  CsvLoader* m_loader = nullptr;
  DataPanel* m_dataPanel = nullptr;
  IssuesPanel* m_issuesPanel = nullptr;
  QDockWidget* m_issuesDock = nullptr;
  QMenu* m_recentMenu = nullptr;
  QAction* m_cancelAction = nullptr;
  QString m_loadingPath;
  QLabel* m_statusLabel = nullptr;
  QProgressBar* m_busy = nullptr;
};

}  // namespace glasswing::studio
