#include "panels/insightspanel.hpp"

#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

#include "automl/common/error.hpp"
#include "panels/insightpages.hpp"
#include "panels/insightsdata.hpp"

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
  m_load = std::make_shared<Load>(Load{generation, runDirectory});
  setMessage(tr("Reading the run in %1…").arg(runDirectory));
  auto* watcher = new QFutureWatcher<LoadResult>(this);
  connect(watcher, &QFutureWatcher<LoadResult>::finished, this, [this, watcher, generation, runDirectory] {
    watcher->deleteLater();
    if (generation != m_generation) return;  // superseded by a newer load
    m_load.reset();
    const LoadResult result = watcher->result();
    if (result.insights) {
      setInsights(result.insights);
      emit insightsLoaded(true, QString());
    } else {
      setInsights(nullptr);
      const QString message = tr("Could not show the run in %1: %2").arg(runDirectory, result.error);
      setMessage(message);
      emit insightsLoaded(false, message);
    }
  });
  watcher->setFuture(QtConcurrent::run([runDirectory] { return computeInsights(runDirectory); }));
}

bool InsightsPanel::isLoading() const { return m_load != nullptr; }

void InsightsPanel::setInsights(std::shared_ptr<const transparency::RunInsights> insights) {
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
  QString model = qs(in.card.model);
  if (model.isEmpty()) model = qs(in.family);
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
