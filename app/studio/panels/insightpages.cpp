#include "panels/insightpages.hpp"

#include "panels/pages/p1leaderboardpage.hpp"
#include "panels/pages/p2metricspage.hpp"
#include "panels/pages/p3curvespage.hpp"
#include "panels/pages/p4datapage.hpp"
#include "panels/pages/p5pipelinepage.hpp"
#include "panels/pages/p6searchpage.hpp"
#include "panels/pages/p7importancepage.hpp"
#include "panels/pages/p8explanationspage.hpp"
#include "panels/pages/p9fairnesspage.hpp"
#include "panels/pages/p10modelcardpage.hpp"

namespace glasswing::studio {

std::vector<InsightPage*> createInsightPages(QWidget* parent) {
  std::vector<InsightPage*> pages;
  pages.push_back(new LeaderboardPage(parent));
  pages.push_back(new MetricsPage(parent));
  pages.push_back(new CurvesPage(parent));
  pages.push_back(new DataPage(parent));
  pages.push_back(new PipelinePage(parent));
  pages.push_back(new SearchPage(parent));
  pages.push_back(new ImportancePage(parent));
  pages.push_back(new ExplanationsPage(parent));
  pages.push_back(new FairnessPage(parent));
  pages.push_back(new ModelCardPage(parent));
  // Pages are listed in panel order (P1..P10); one line per page.
  return pages;
}

}  // namespace glasswing::studio
