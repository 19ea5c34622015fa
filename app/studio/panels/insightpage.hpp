#pragma once
// One transparency panel of a finished run (PRODUCT.md's P1..P10) in the Studio's Insights tab.
//
// Every page shows plain data from transparency::RunInsights (computed once per run on a worker
// thread by the Insights tab, never on the GUI thread) and adds nothing of its own: summary first,
// details on demand. Pages are created by createInsightPages() (insightpages.cpp) in PRODUCT.md's
// order; the Insights tab shows only the pages a user-study condition allows, and reports which
// page is viewed. A page reports what the user does with it (a threshold moved, a row chosen, a
// chart exported) through `interacted`, so that study mode can log it.

#include <QString>
#include <QWidget>

#include <memory>

namespace glasswing::transparency {
struct RunInsights;
}

namespace glasswing::studio {

class InsightPage : public QWidget {
  Q_OBJECT

 public:
  using QWidget::QWidget;

  // The panel's id as studies/ names it ("P1" .. "P10"; studies::all_panels()).
  virtual QString panelId() const = 0;
  // A short title for the navigation list ("Metrics", "Curves", ...).
  virtual QString title() const = 0;
  // Shows `insights` (never null); called on the GUI thread, again for every new run.
  virtual void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) = 0;
  // Forgets the shown run (a new run started); the page shows a one-line placeholder.
  virtual void clear() = 0;

 signals:
  // `action`: a short verb phrase ("threshold", "select_row", "export_chart", ...);
  // `detail`: compact JSON text with the action's values (may be "{}").
  void interacted(const QString& panelId, const QString& action, const QString& detail);
};

}  // namespace glasswing::studio
