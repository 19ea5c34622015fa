#pragma once
// The Insights tab's pages in PRODUCT.md's order (P1..P10). Each page is an InsightPage; this is
// the one place that lists them, so that a new page is one line in insightpages.cpp.

#include <vector>

#include "panels/insightpage.hpp"

namespace glasswing::studio {

// New pages, parented to `parent`, in panel order (P1 first). The caller owns them through Qt's
// parent; the Insights tab reparents them into its stacked widget.
std::vector<InsightPage*> createInsightPages(QWidget* parent);

}  // namespace glasswing::studio
