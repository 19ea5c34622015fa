#include "panels/pages/p4datapage.hpp"

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "palette.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

using namespace pages;

namespace {

QString sv(std::string_view text) { return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())); }

double severityRank(transparency::Severity severity) {
  switch (severity) {
    case transparency::Severity::Critical: return 2.0;
    case transparency::Severity::Warning: return 1.0;
    case transparency::Severity::Info: break;
  }
  return 0.0;
}

QColor severityColor(transparency::Severity severity) {
  switch (severity) {
    case transparency::Severity::Critical: return palette::vermillion();
    case transparency::Severity::Warning: return palette::orange();
    case transparency::Severity::Info: break;
  }
  return palette::blue();
}

double opt(const std::optional<double>& value) { return value ? *value : std::nan(""); }

}  // namespace

DataPage::DataPage(QWidget* parent)
    : InsightPage(parent), m_frame(this, tr("No run shown: the data checks appear when a run has finished.")) {
  setObjectName(QStringLiteral("P4"));
  m_summary = new QLabel(this);
  m_summary->setObjectName(QStringLiteral("dataSummary"));
  m_summary->setWordWrap(true);
  m_warnings = makeTable(this, QStringLiteral("dataWarnings"),
                         {tr("Severity"), tr("Kind"), tr("Column"), tr("Value"), tr("Measure"), tr("Message")});
  m_warnings->setSortingEnabled(true);
  m_warnings->setWordWrap(true);
  m_balanceTitle = new QLabel(tr("<b>Class balance</b> (training data)"), this);
  m_balance = makeTable(this, QStringLiteral("classBalance"), {tr("Class"), tr("Rows"), tr("Share")});
  m_balance->setSortingEnabled(true);
  m_driftTitle = new QLabel(
      tr("<b>Train/test drift</b>: population stability index per column (below 0.1: none; 0.1–0.25: moderate; "
         "above: major)"),
      this);
  m_driftTitle->setWordWrap(true);
  m_drift = makeTable(this, QStringLiteral("driftTable"), {tr("Column"), tr("PSI"), tr("Severity"), tr("Method")});
  m_drift->setSortingEnabled(true);
  m_frame.summary()->addWidget(new QLabel(tr("<b>Warnings</b>, most severe first"), this));
  m_frame.summary()->addWidget(m_warnings, 2);
  m_frame.summary()->addWidget(m_summary);
  m_frame.summary()->addWidget(m_balanceTitle);
  m_frame.summary()->addWidget(m_balance, 1);
  m_frame.summary()->addWidget(m_driftTitle);
  m_frame.summary()->addWidget(m_drift, 1);

  m_profile = makeTable(this, QStringLiteral("profileTable"),
                        {tr("Column"), tr("Type"), tr("Present"), tr("Missing"), tr("Distinct"), tr("Min"), tr("Max"),
                         tr("Mean"), tr("sd"), tr("Most frequent")});
  m_profile->setSortingEnabled(true);
  m_signals = makeTable(this, QStringLiteral("featureSignals"), {tr("Column"), tr("Predictive power alone"), tr("Measure")});
  m_signals->setSortingEnabled(true);
  m_frame.details()->addWidget(new QLabel(tr("<b>Column profiles</b>"), this));
  m_frame.details()->addWidget(m_profile, 2);
  m_frame.details()->addWidget(
      new QLabel(tr("<b>Each feature alone</b> (the leakage screen: a value near 1 predicts the target by itself)"), this));
  m_frame.details()->addWidget(m_signals, 1);
  m_frame.summary()->addStretch(100);  // fixed-height tables stay at the top
  m_frame.details()->addStretch(100);
}

QString DataPage::summaryText() const { return m_summary->text(); }

void DataPage::clear() {
  for (QTableWidget* table : {m_warnings, m_balance, m_drift, m_profile, m_signals}) table->setRowCount(0);
  m_summary->clear();
  m_frame.setNotices({});
  m_frame.showContent(false);
}

void DataPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  const auto& section = insights->data;

  // Warnings, most severe first.
  m_warnings->setSortingEnabled(false);
  m_warnings->setRowCount(static_cast<int>(section.warnings.size()));
  for (std::size_t i = 0; i < section.warnings.size(); ++i) {
    const auto& w = section.warnings[i];
    const int r = static_cast<int>(i);
    auto* severity = new NumericItem(sv(to_string(w.severity)), severityRank(w.severity));
    severity->setForeground(severityColor(w.severity));
    m_warnings->setItem(r, 0, severity);
    setText(m_warnings, r, 1, sv(to_string(w.kind)));
    QStringList columns;
    for (const auto& column : w.columns) columns << qs(column);
    setText(m_warnings, r, 2, columns.join(QStringLiteral(", ")));
    setNumber(m_warnings, r, 3, w.value);
    setText(m_warnings, r, 4, qs(w.value_name));
    setText(m_warnings, r, 5, qs(w.message), qs(w.message));
  }
  m_warnings->setSortingEnabled(true);
  m_warnings->sortByColumn(0, Qt::DescendingOrder);
  finishTable(m_warnings);

  std::size_t critical = 0, warning = 0;
  for (const auto& w : section.warnings) {
    if (w.severity == transparency::Severity::Critical) ++critical;
    if (w.severity == transparency::Severity::Warning) ++warning;
  }
  QString text;
  if (section.available) {
    text = tr("%1: %2 rows × %3 columns").arg(qs(section.path)).arg(section.rows).arg(section.columns);
    if (section.rows_analyzed > 0 && section.rows_analyzed < section.rows) {
      text += tr(" (checks on a seeded sample of %1 rows)").arg(section.rows_analyzed);
    }
    text += tr(". %1 critical and %2 other warning(s); target %3.").arg(critical).arg(warning).arg(qs(insights->target));
  } else {
    text = tr("The data could not be checked (see the notices).");
  }
  m_summary->setText(text);

  // Class balance from the target column's profile.
  const data::ColumnProfile* target = nullptr;
  for (const auto& profile : section.profiles) {
    if (profile.name == insights->target) target = &profile;
  }
  m_balance->setSortingEnabled(false);
  m_balance->setRowCount(0);
  const bool classification = insights->task != "regression";
  if (classification && target != nullptr) {
    const double total = static_cast<double>(target->count);
    m_balance->setRowCount(static_cast<int>(target->top.size()));
    for (std::size_t i = 0; i < target->top.size(); ++i) {
      const int r = static_cast<int>(i);
      setText(m_balance, r, 0, qs(target->top[i].value));
      setNumber(m_balance, r, 1, static_cast<double>(target->top[i].count), 12);
      setNumber(m_balance, r, 2, total > 0.0 ? static_cast<double>(target->top[i].count) / total : std::nan(""), 3);
    }
    finishTable(m_balance);
  }
  m_balance->setSortingEnabled(true);
  m_balanceTitle->setVisible(classification);
  m_balance->setVisible(classification);

  // Drift (with a test set).
  m_drift->setSortingEnabled(false);
  m_drift->setRowCount(static_cast<int>(section.drift.size()));
  for (std::size_t i = 0; i < section.drift.size(); ++i) {
    const auto& d = section.drift[i];
    const int r = static_cast<int>(i);
    setText(m_drift, r, 0, qs(d.column));
    setNumber(m_drift, r, 1, d.psi);
    auto* severity = new NumericItem(sv(to_string(d.severity)), severityRank(d.severity));
    severity->setForeground(severityColor(d.severity));
    m_drift->setItem(r, 2, severity);
    setText(m_drift, r, 3, qs(d.method));
  }
  m_drift->setSortingEnabled(true);
  m_drift->sortByColumn(1, Qt::DescendingOrder);
  finishTable(m_drift);
  m_driftTitle->setVisible(!section.drift.empty());
  m_drift->setVisible(!section.drift.empty());

  // Details: profiles and single-feature signals.
  m_profile->setSortingEnabled(false);
  m_profile->setRowCount(static_cast<int>(section.profiles.size()));
  for (std::size_t i = 0; i < section.profiles.size(); ++i) {
    const auto& p = section.profiles[i];
    const int r = static_cast<int>(i);
    setText(m_profile, r, 0, qs(p.name));
    setText(m_profile, r, 1, sv(data::to_string(p.type)), qs(p.type_reason));
    setNumber(m_profile, r, 2, static_cast<double>(p.count), 12);
    setNumber(m_profile, r, 3, static_cast<double>(p.missing), 12);
    setNumber(m_profile, r, 4, static_cast<double>(p.distinct), 12);
    setNumber(m_profile, r, 5, opt(p.min));
    setNumber(m_profile, r, 6, opt(p.max));
    setNumber(m_profile, r, 7, opt(p.mean));
    setNumber(m_profile, r, 8, opt(p.std));
    QStringList top;
    for (std::size_t k = 0; k < p.top.size() && k < 3; ++k) {
      top << QStringLiteral("%1 (%2)").arg(qs(p.top[k].value)).arg(p.top[k].count);
    }
    setText(m_profile, r, 9, top.join(QStringLiteral(", ")));
  }
  m_profile->setSortingEnabled(true);
  finishTable(m_profile);
  const auto& signals_ = section.feature_signals;
  m_signals->setSortingEnabled(false);
  m_signals->setRowCount(static_cast<int>(signals_.size()));
  for (std::size_t i = 0; i < signals_.size(); ++i) {
    const int r = static_cast<int>(i);
    setText(m_signals, r, 0, qs(signals_[i].column));
    setNumber(m_signals, r, 1, signals_[i].value);
    setText(m_signals, r, 2, qs(signals_[i].method));
  }
  m_signals->setSortingEnabled(true);
  m_signals->sortByColumn(1, Qt::DescendingOrder);
  finishTable(m_signals);

  m_frame.setNotices(section.notices);
  m_frame.showContent(true);
}

}  // namespace glasswing::studio
