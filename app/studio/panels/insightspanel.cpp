#include "panels/insightspanel.hpp"

#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "automl/common/error.hpp"
#include "panels/insightpages.hpp"
#include "panels/insightsdata.hpp"
#include "panels/pages/pagecommon.hpp"
#include "workers/background.hpp"

namespace glasswing::studio {
namespace {

QString qs(const std::string& text) { return QString::fromStdString(text); }

struct LoadResult {
  std::shared_ptr<const transparency::RunInsights> insights;
  QString error;
};

LoadResult computeInsights(const QString& runDirectory) {
  LoadResult result;
  try {
    auto insights = std::make_shared<transparency::RunInsights>(
        transparency::load_run_insights(std::filesystem::path(runDirectory.toStdString())));
    result.insights = std::move(insights);
  } catch (const Error& error) {
    result.error = QString::fromUtf8(error.what());
  } catch (const std::exception& error) {
    result.error = QStringLiteral("internal error while reading the run: %1").arg(QString::fromUtf8(error.what()));
  }
  if (!result.insights && result.error.isEmpty()) result.error = QStringLiteral("the run could not be read");
  return result;
}

}  // namespace

struct InsightsPanel::Load {
  quint64 generation = 0;
  QString directory;
};

InsightsPanel::InsightsPanel(QWidget* parent)
    : QWidget(parent),
      m_header(new QLabel(this)),
      m_message(new QLabel(this)),
      m_nav(new QListWidget(this)),
      m_stack(new QStackedWidget(this)) {
  m_header->setObjectName(QStringLiteral("insightsHeader"));
  m_header->setWordWrap(true);
  m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_message->setObjectName(QStringLiteral("insightsMessage"));
  m_message->setWordWrap(true);
  m_nav->setObjectName(QStringLiteral("insightsNavigation"));
  m_nav->setMaximumWidth(260);
  m_nav->setAccessibleName(tr("Insight pages"));

  m_pages = createInsightPages(this);
  for (InsightPage* page : m_pages) {
    m_stack->addWidget(page);
    page->clear();
    connect(page, &InsightPage::interacted, this, &InsightsPanel::panelInteraction);
    m_allowed << page->panelId();
  }

  auto* body = new QHBoxLayout;
  body->addWidget(m_nav);
  body->addWidget(m_stack, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_header);
  layout->addWidget(m_message);
  layout->addLayout(body, 1);

  connect(m_nav, &QListWidget::currentRowChanged, this, &InsightsPanel::onCurrentRowChanged);
  rebuildNavigation();
  setMessage(tr("No run shown yet. Finish a run, or open an earlier one with File ▸ Open Run…"));
  updateHeader();
}

InsightsPanel::~InsightsPanel() = default;

void InsightsPanel::loadRun(const QString& runDirectory) {
  const quint64 generation = ++m_generation;
  m_filling = false;  // a page-by-page showing of an older load stops
  m_unfilled.clear();
  m_load = std::make_shared<Load>(Load{generation, runDirectory});
  setMessage(tr("Reading the run in %1…").arg(runDirectory));
  auto* watcher = new QFutureWatcher<LoadResult>(this);
  connect(watcher, &QFutureWatcher<LoadResult>::finished, this, [this, watcher, generation, runDirectory] {
    watcher->deleteLater();
    if (generation != m_generation) return;  // superseded by a newer load
    const LoadResult result = watcher->result();
    if (result.insights) {
      showInTurns(result.insights, generation);  // emits insightsLoaded(true) once every page shows it
    } else {
      m_load.reset();
      setInsights(nullptr);
      const QString message = tr("Could not show the run in %1: %2").arg(runDirectory, result.error);
      setMessage(message);
      emit insightsLoaded(false, message);
    }
  });
  // At the run worker's low priority: the GUI thread keeps the CPU while it computes.
  watcher->setFuture(runInBackground([runDirectory] { return computeInsights(runDirectory); }));
}

bool InsightsPanel::isLoading() const { return m_load != nullptr; }

// Filling every page costs the GUI thread 30-50 ms of CPU in all (up to ~12 ms for one page;
// bench/studio `pages`), and the charts' layout and scene updates it posts follow in the same
// pass: in one turn that was the Studio's longest event-loop stall (bench/studio/RESULTS.md). So
// the pages are filled one per event-loop turn, the page shown first; the load counts as in
// progress until the last one, then insightsLoaded(true) follows.
void InsightsPanel::showInTurns(std::shared_ptr<const transparency::RunInsights> insights, quint64 generation) {
  m_filling = true;
  m_insights = std::move(insights);
  setMessage(QString());
  updateHeader();
  m_unfilled.clear();
  auto* shown = qobject_cast<InsightPage*>(m_stack->currentWidget());
  if (shown != nullptr) m_unfilled.push_back(shown);
  for (InsightPage* page : m_pages) {
    if (page != shown) m_unfilled.push_back(page);
  }
  fillNextPage(generation);
}

void InsightsPanel::fillNextPage(quint64 generation) {
  if (!m_filling || generation != m_generation) return;  // setInsights() or a newer load came first
  if (!m_unfilled.empty()) {
    InsightPage* page = m_unfilled.front();
    m_unfilled.erase(m_unfilled.begin());
    page->setInsights(m_insights);
    QTimer::singleShot(0, this, [this, generation] { fillNextPage(generation); });
    return;
  }
  m_filling = false;
  m_load.reset();
  emit insightsLoaded(true, QString());
}

void InsightsPanel::setInsights(std::shared_ptr<const transparency::RunInsights> insights) {
  if (m_filling) {  // a page-by-page showInTurns() in progress stops: that load is over
    m_filling = false;
    m_unfilled.clear();
    m_load.reset();
  }
  m_insights = std::move(insights);
  for (InsightPage* page : m_pages) {
    if (m_insights) {
      page->setInsights(m_insights);
    } else {
      page->clear();
    }
  }
  if (m_insights) setMessage(QString());
  updateHeader();
}

void InsightsPanel::setAllowedPanels(const QStringList& ids) {
  m_allowed = ids;
  rebuildNavigation();
}

bool InsightsPanel::showPanel(const QString& id) {
  const int row = static_cast<int>(panelIds().indexOf(id));
  if (row < 0) return false;
  m_nav->setCurrentRow(row);
  return true;
}

QStringList InsightsPanel::panelIds() const {
  QStringList ids;
  for (InsightPage* page : m_pages) {
    if (m_allowed.contains(page->panelId())) ids << page->panelId();
  }
  return ids;
}

QString InsightsPanel::currentPanelId() const {
  auto* page = qobject_cast<InsightPage*>(m_stack->currentWidget());
  return page != nullptr && m_nav->currentRow() >= 0 ? page->panelId() : QString();
}

InsightPage* InsightsPanel::page(const QString& id) const {
  for (InsightPage* page : m_pages) {
    if (page->panelId() == id) return page;
  }
  return nullptr;
}

QString InsightsPanel::messageText() const { return m_message->text(); }
QString InsightsPanel::runDirectory() const {
  return m_insights ? QString::fromStdString(m_insights->run_dir.string()) : QString();
}
QString InsightsPanel::headerText() const { return m_header->text(); }

void InsightsPanel::rebuildNavigation() {
  const QString current = currentPanelId();
  const QSignalBlocker blocker(m_nav);
  m_nav->clear();
  for (InsightPage* page : m_pages) {
    if (!m_allowed.contains(page->panelId())) continue;
    auto* item = new QListWidgetItem(QStringLiteral("%1  %2").arg(page->panelId(), page->title()), m_nav);
    item->setData(Qt::UserRole, page->panelId());
  }
  m_nav->setVisible(m_nav->count() > 0);
  m_stack->setVisible(m_nav->count() > 0);
  const QStringList ids = panelIds();
  int row = static_cast<int>(ids.indexOf(current));
  if (row < 0 && !ids.isEmpty()) row = 0;
  m_lastViewed.clear();
  if (row >= 0) {
    m_nav->setCurrentRow(row);
    onCurrentRowChanged(row);
  }
}

void InsightsPanel::onCurrentRowChanged(int row) {
  if (row < 0 || row >= m_nav->count()) return;
  const QString id = m_nav->item(row)->data(Qt::UserRole).toString();
  if (InsightPage* shown = page(id)) m_stack->setCurrentWidget(shown);
  if (id != m_lastViewed) {
    m_lastViewed = id;
    emit panelViewed(id);
  }
}

void InsightsPanel::updateHeader() {
  if (!m_insights) {
    m_header->setText(tr("<b>Insights</b>"));
    return;
  }
  const auto& in = *m_insights;
  const QString model = pages::chosenModelName(in);  // "ensemble of 3 candidates", never "trial -1"
  QString text = tr("<b>Model:</b> %1 &nbsp; <b>Task:</b> %2 (target %3) &nbsp; <b>Metric:</b> %4 (%5)")
                     .arg(model.toHtmlEscaped(), qs(in.task).toHtmlEscaped(), qs(in.target).toHtmlEscaped(),
                          qs(in.metric).toHtmlEscaped(), qs(in.direction).toHtmlEscaped());
  if (!in.metrics.evaluated_on.empty()) {
    text += tr(" &nbsp; <b>Evaluated on:</b> %1").arg(qs(in.metrics.evaluated_on).toHtmlEscaped());
  }
  text += tr("<br><small>%1</small>").arg(QString::fromStdString(in.run_dir.string()).toHtmlEscaped());
  for (const auto& notice : in.notices) {
    text += QStringLiteral("<br>⚠ %1").arg(qs(notice).toHtmlEscaped());
  }
  m_header->setText(text);
}

void InsightsPanel::setMessage(const QString& text) {
  m_message->setText(text);
  m_message->setVisible(!text.isEmpty());
}

}  // namespace glasswing::studio
