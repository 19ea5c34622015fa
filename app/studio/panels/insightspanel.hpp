#pragma once
// InsightsPanel: the Studio's Insights tab, the transparency panels (PRODUCT.md P1..P10) of one
// finished run. A header (model, metric, where it was evaluated, whole-run notices), a navigation
// list of the pages a study condition allows, and the pages in a stacked widget.
//
// loadRun() computes transparency::load_run_insights on a worker thread (runInBackground, at
// nice 10); the GUI thread only shows the result, one page per event-loop turn (isLoading() until
// the last). A newer load supersedes an older one: the older one's result is dropped and only the
// newest emits insightsLoaded(). A run directory that cannot be read leaves
// the pages cleared and shows the one-line message (the caller routes it to the Issues panel).

#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

#include "panels/insightpage.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QListWidget;
class QStackedWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class InsightsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit InsightsPanel(QWidget* parent = nullptr);
  ~InsightsPanel() override;

  // Computes the run's insights off the GUI thread; insightsLoaded() follows (only for the newest).
  void loadRun(const QString& runDirectory);
  bool isLoading() const;
  // Shows `insights` on every page at once (null: clears the pages).
  void setInsights(std::shared_ptr<const transparency::RunInsights> insights);
  std::shared_ptr<const transparency::RunInsights> insights() const { return m_insights; }

  // Study conditions: only these pages are listed (ids "P1".."P10"; unknown ids are ignored).
  // The default is every page.
  void setAllowedPanels(const QStringList& ids);
  // Selects page `id`; false when it does not exist or is not allowed.
  bool showPanel(const QString& id);
  // The pages shown, in order.
  QStringList panelIds() const;
  // The page shown now ("" when none).
  QString currentPanelId() const;
  // The page with this id (allowed or not), or null.
  InsightPage* page(const QString& id) const;
  // The one-line state shown above the pages ("Loading…", an error, or empty when a run is shown).
  QString messageText() const;
  // The directory of the run shown ("" when none).
  QString runDirectory() const;
  QString headerText() const;

 signals:
  void insightsLoaded(bool ok, const QString& message);
  void panelViewed(const QString& id);
  void panelInteraction(const QString& id, const QString& action, const QString& detail);

 private:
  void rebuildNavigation();
  void onCurrentRowChanged(int row);
  void updateHeader();
  void setMessage(const QString& text);
  // Shows a loaded run's insights on the pages one per event-loop turn (the GUI thread never pays
  // for all of them at once); ends the load `generation` with insightsLoaded(true).
  void showInTurns(std::shared_ptr<const transparency::RunInsights> insights, quint64 generation);
  void fillNextPage(quint64 generation);

  QLabel* m_header = nullptr;
  QLabel* m_message = nullptr;
  QListWidget* m_nav = nullptr;
  QStackedWidget* m_stack = nullptr;
  std::vector<InsightPage*> m_pages;
  QStringList m_allowed;
  std::shared_ptr<const transparency::RunInsights> m_insights;
  struct Load;
  std::shared_ptr<Load> m_load;  // the newest load in progress, or null
  quint64 m_generation = 0;
  bool m_filling = false;                // showInTurns() is filling the pages
  std::vector<InsightPage*> m_unfilled;  // the pages it has still to fill
  QString m_lastViewed;
};

}  // namespace glasswing::studio
