#include "transparency/report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <openssl/evp.h>

#include "automl/common/error.hpp"

namespace glasswing::transparency {

namespace fs = std::filesystem;

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// Okabe-Ito, colour-blind safe.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
const char* colour(std::size_t i) { return kPalette[i % 8]; }

std::string esc(std::string_view s) { return html_escape(s); }

std::string num(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string fixed(double v, int digits = 4) {
  if (!std::isfinite(v)) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}
std::string pct(double v) { return std::isfinite(v) ? fixed(100.0 * v, 1) + "%" : "n/a"; }

// ---- SVG helpers -------------------------------------------------------------------------------

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::string colour = kPalette[0];
  double width = 2.0;
  bool dashed = false;
  bool points = false;  // markers instead of a line
  double opacity = 1.0;
  bool legend = true;
  bool step = false;    // a step line (best so far)
};

struct Range {
  double lo = 0.0, hi = 1.0;
};

std::vector<double> nice_ticks(double lo, double hi, int n = 5) {
  std::vector<double> t;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

Range data_range(const std::vector<Series>& series, bool x_axis) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : series)
    for (double v : x_axis ? s.x : s.y)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!std::isfinite(lo)) return {0.0, 1.0};
  if (hi == lo) {
    const double pad = lo == 0.0 ? 1.0 : std::abs(lo) * 0.1;
    return {lo - pad, hi + pad};
  }
  const double pad = (hi - lo) * 0.04;
  return {lo - pad, hi + pad};
}

class Plot {
 public:
  Plot(double width, double height, Range xr, Range yr, double left = 56.0)
      : w_(width), h_(height), left_(left), xr_(xr), yr_(yr) {}
  double sx(double x) const { return left_ + (x - xr_.lo) / (xr_.hi - xr_.lo) * (w_ - left_ - right_); }
  double sy(double y) const { return h_ - bottom_ - (y - yr_.lo) / (yr_.hi - yr_.lo) * (h_ - top_ - bottom_); }
  double x_end() const { return w_ - right_; }
  double y_top() const { return top_; }
  double y_base() const { return h_ - bottom_; }

  void axes(const std::string& xlabel, const std::string& ylabel, bool x_ticks = true) {
    out_ << "<rect x='" << px(left_) << "' y='" << px(top_) << "' width='" << px(w_ - left_ - right_) << "' height='"
         << px(h_ - top_ - bottom_) << "' class='frame'/>";
    for (double t : nice_ticks(yr_.lo, yr_.hi)) {
      out_ << "<line class='grid' x1='" << px(left_) << "' x2='" << px(x_end()) << "' y1='" << px(sy(t)) << "' y2='"
           << px(sy(t)) << "'/><text class='tick' x='" << px(left_ - 4) << "' y='" << px(sy(t) + 3)
           << "' text-anchor='end'>" << num(t, "%.3g") << "</text>";
    }
    if (x_ticks)
      for (double t : nice_ticks(xr_.lo, xr_.hi)) {
        out_ << "<line class='grid' y1='" << px(top_) << "' y2='" << px(y_base()) << "' x1='" << px(sx(t)) << "' x2='"
             << px(sx(t)) << "'/><text class='tick' y='" << px(y_base() + 13) << "' x='" << px(sx(t))
             << "' text-anchor='middle'>" << num(t, "%.3g") << "</text>";
      }
    out_ << "<text class='label' x='" << px((left_ + x_end()) / 2) << "' y='" << px(h_ - 6) << "' text-anchor='middle'>"
         << esc(xlabel) << "</text>";
    out_ << "<text class='label' transform='translate(12," << px((top_ + y_base()) / 2) << ") rotate(-90)' text-anchor='middle'>"
         << esc(ylabel) << "</text>";
  }

  void series(const Series& s) {
    if (s.points) {
      out_ << "<g fill='" << s.colour << "' fill-opacity='" << num(s.opacity, "%.2f") << "'>";
      for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
          out_ << "<circle cx='" << px(sx(s.x[i])) << "' cy='" << px(sy(s.y[i])) << "' r='2.2'/>";
      out_ << "</g>";
      return;
    }
    std::string d;
    bool pen = false;
    double last_y = 0.0;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        pen = false;
        continue;
      }
      if (pen && s.step) d += "L" + px(sx(s.x[i])) + "," + px(last_y);
      d += (pen ? "L" : "M") + px(sx(s.x[i])) + "," + px(sy(s.y[i]));
      last_y = sy(s.y[i]);
      pen = true;
    }
    if (d.empty()) return;
    out_ << "<path d='" << d << "' fill='none' stroke='" << s.colour << "' stroke-width='" << num(s.width, "%.2g") << "'"
         << (s.dashed ? " stroke-dasharray='5 4'" : "") << (s.opacity < 1 ? " stroke-opacity='" + num(s.opacity, "%.2f") + "'" : "")
         << "/>";
  }

  void legend(const std::vector<Series>& list) {
    double y = top_ + 12;
    for (const auto& s : list) {
      if (!s.legend || s.name.empty()) continue;
      const double x = left_ + 8;
      out_ << "<rect x='" << px(x) << "' y='" << px(y - 8) << "' width='12' height='" << (s.points ? "8" : "3")
           << "' fill='" << s.colour << "'/><text class='legend' x='" << px(x + 16) << "' y='" << px(y) << "'>"
           << esc(s.name) << "</text>";
      y += 14;
    }
  }

  std::ostringstream& raw() { return out_; }

  std::string str(const std::string& title) const {
    std::ostringstream s;
    s << "<figure class='chart'><svg role='img' aria-label='" << esc(title)
      << "' viewBox='0 0 " << px(w_) << " " << px(h_) << "' width='" << px(w_) << "' height='" << px(h_) << "'>"
      << out_.str() << "</svg><figcaption>" << esc(title) << "</figcaption></figure>";
    return s.str();
  }

 private:
  double w_, h_, left_, right_ = 12.0, top_ = 10.0, bottom_ = 40.0;
  Range xr_, yr_;
  std::ostringstream out_;
};

std::string line_chart(const std::string& title, const std::vector<Series>& series, const std::string& xlabel,
                       const std::string& ylabel, std::optional<Range> xr = {}, std::optional<Range> yr = {},
                       double width = 400, double height = 300) {
  Plot p(width, height, xr ? *xr : data_range(series, true), yr ? *yr : data_range(series, false));
  p.axes(xlabel, ylabel);
  for (const auto& s : series) p.series(s);
  p.legend(series);
  return p.str(title);
}

// Horizontal bars, largest first as given; `err` (optional) draws +-err whiskers.
std::string bar_chart(const std::string& title, const std::vector<std::string>& labels, const std::vector<double>& values,
                      const std::vector<double>& err, const std::string& xlabel, const char* fill = kPalette[0]) {
  const std::size_t n = labels.size();
  double lo = 0.0, hi = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) continue;
    const double e = i < err.size() && std::isfinite(err[i]) ? err[i] : 0.0;
    lo = std::min(lo, values[i] - e);
    hi = std::max(hi, values[i] + e);
  }
  if (hi <= lo) hi = lo + 1.0;
  const double bar = 16.0, gap = 5.0;
  const double height = static_cast<double>(n) * (bar + gap) + 50.0;
  Plot p(560, height, {lo, hi + (hi - lo) * 0.03}, {0.0, static_cast<double>(n)}, 190.0);
  p.raw() << "<rect x='190' y='10' width='" << px(560 - 190 - 12) << "' height='" << px(height - 50) << "' class='frame'/>";
  for (double t : nice_ticks(lo, hi))
    p.raw() << "<line class='grid' y1='10' y2='" << px(height - 40) << "' x1='" << px(p.sx(t)) << "' x2='" << px(p.sx(t))
            << "'/><text class='tick' y='" << px(height - 27) << "' x='" << px(p.sx(t)) << "' text-anchor='middle'>"
            << num(t, "%.3g") << "</text>";
  for (std::size_t i = 0; i < n; ++i) {
    const double y = 10.0 + static_cast<double>(i) * (bar + gap) + gap / 2;
    std::string label = labels[i].size() > 30 ? labels[i].substr(0, 28) + "…" : labels[i];
    p.raw() << "<text class='tick' x='184' y='" << px(y + bar - 4) << "' text-anchor='end'><title>" << esc(labels[i])
            << "</title>" << esc(label) << "</text>";
    if (!std::isfinite(values[i])) continue;
    const double x0 = p.sx(std::min(0.0, values[i])), x1 = p.sx(std::max(0.0, values[i]));
    p.raw() << "<rect x='" << px(x0) << "' y='" << px(y) << "' width='" << px(std::max(0.5, x1 - x0)) << "' height='"
            << px(bar) << "' fill='" << (values[i] < 0 ? kPalette[3] : fill) << "'><title>" << esc(labels[i]) << ": "
            << num(values[i]) << "</title></rect>";
    if (i < err.size() && std::isfinite(err[i]) && err[i] > 0) {
      const double ym = y + bar / 2;
      p.raw() << "<path d='M" << px(p.sx(values[i] - err[i])) << "," << px(ym) << "L" << px(p.sx(values[i] + err[i])) << ","
              << px(ym) << "' stroke='#000' stroke-width='1.2'/>";
    }
  }
  p.raw() << "<text class='label' x='" << px((190 + 548) / 2.0) << "' y='" << px(height - 6) << "' text-anchor='middle'>"
          << esc(xlabel) << "</text>";
  return p.str(title);
}

std::string histogram_chart(const std::string& title, const std::vector<HistogramBin>& bins, const std::string& xlabel) {
  if (bins.empty()) return "";
  double top = 0.0;
  for (const auto& b : bins) top = std::max(top, static_cast<double>(b.count));
  Plot p(400, 260, {bins.front().low, bins.back().high}, {0.0, top * 1.05 + 1.0});
  p.axes(xlabel, "rows");
  for (const auto& b : bins)
    p.raw() << "<rect x='" << px(p.sx(b.low)) << "' y='" << px(p.sy(static_cast<double>(b.count))) << "' width='"
            << px(std::max(0.5, p.sx(b.high) - p.sx(b.low) - 1)) << "' height='"
            << px(p.y_base() - p.sy(static_cast<double>(b.count))) << "' fill='" << kPalette[0] << "'/>";
  return p.str(title);
}

// ---- HTML helpers ------------------------------------------------------------------------------

std::string notices_html(const std::vector<std::string>& notices) {
  std::string s;
  for (const auto& n : notices) s += "<p class='notice'>" + esc(n) + "</p>";
  return s;
}

std::string list_html(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string s = "<ul>";
  for (const auto& i : items) s += "<li>" + esc(i) + "</li>";
  return s + "</ul>";
}

class Table {
 public:
  explicit Table(std::vector<std::string> head, std::string cls = "") : head_(std::move(head)), cls_(std::move(cls)) {}
  // Cells are HTML already (escape user text before adding).
  void row(std::vector<std::string> cells, std::string cls = "") { rows_.push_back({std::move(cells), std::move(cls)}); }
  bool empty() const { return rows_.empty(); }
  std::string str() const {
    std::string s = "<div class='scroll'><table" + (cls_.empty() ? std::string() : " class='" + cls_ + "'") + "><thead><tr>";
    for (const auto& h : head_) s += "<th>" + esc(h) + "</th>";
    s += "</tr></thead><tbody>";
    for (const auto& [cells, cls] : rows_) {
      s += cls.empty() ? "<tr>" : "<tr class='" + cls + "'>";
      for (const auto& c : cells) s += "<td>" + c + "</td>";
      s += "</tr>";
    }
    return s + "</tbody></table></div>";
  }

 private:
  std::vector<std::string> head_;
  std::string cls_;
  std::vector<std::pair<std::vector<std::string>, std::string>> rows_;
};

std::string details(const std::string& summary, const std::string& body) {
  if (body.empty()) return "";
  return "<details><summary>" + esc(summary) + "</summary><div class='body'>" + body + "</div></details>";
}

std::string section(const std::string& id, const std::string& title, const std::string& lead, const std::string& body) {
  return "<section id='" + id + "'><h2>" + esc(title) + "</h2>" + (lead.empty() ? "" : "<p class='lead'>" + lead + "</p>") + body +
         "</section>";
}

std::string badge(Severity s) {
  const char* cls = s == Severity::Critical ? "crit" : s == Severity::Warning ? "warn" : "info";
  return std::string("<span class='badge ") + cls + "'>" + std::string(to_string(s)) + "</span>";
}

// ---- Sections ----------------------------------------------------------------------------------

std::string p1_leaderboard(const RunInsights& in) {
  const auto& lb = in.leaderboard;
  const bool has_test = std::any_of(lb.rows.begin(), lb.rows.end(), [](const auto& r) { return r.test_score.has_value(); });
  std::vector<std::string> head{"rank", "trial", "family", "CV " + lb.metric + " (mean ± sd)", "folds (min – max)"};
  if (has_test) head.push_back("test " + lb.metric);
  head.insert(head.end(), {"fit s / fold", "predict s / fold", "hyperparameters"});
  Table t(head, "num");
  for (const auto& r : lb.rows) {
    std::string fam = esc(r.family);
    if (r.chosen) fam += " <span class='tag chosen'>chosen</span>";
    if (r.baseline) fam += " <span class='tag'>baseline</span>";
    std::vector<std::string> cells{std::to_string(r.rank), std::to_string(r.trial), fam,
                                   fixed(r.cv_mean) + " ± " + fixed(r.cv_sd),
                                   fixed(r.folds.min) + " – " + fixed(r.folds.max) + " (" + std::to_string(r.folds.folds) + ")"};
    if (has_test) cells.push_back(r.test_score ? fixed(*r.test_score) : "");
    cells.insert(cells.end(), {num(r.fit_s, "%.3g"), num(r.predict_s, "%.3g"), "<code>" + esc(r.params) + "</code>"});
    t.row(std::move(cells), r.chosen ? "chosen" : r.baseline ? "baseline" : "");
  }
  std::string lead;
  if (!lb.rows.empty()) {
    const auto& best = lb.rows.front();
    const std::string which = best.trial < 0 ? std::string() : " (trial " + std::to_string(best.trial) + ")";
    lead = "Best: <b>" + esc(best.family) + "</b>" + which + ", CV " + esc(lb.metric) + " " +
           fixed(best.cv_mean) + " ± " + fixed(best.cv_sd) + " (" + esc(lb.direction) + "). " +
           std::to_string(lb.rows.size()) + " candidates; baselines (constant, linear) are marked.";
  }
  return section("p1", "P1 Leaderboard", lead, notices_html(lb.notices) + details("Show all candidates", t.str()));
}

std::string p2_metrics(const RunInsights& in) {
  const auto& m = in.metrics;
  std::string lead;
  std::string body = notices_html(m.notices);
  if (m.available) {
    lead = "Evaluated on the " + esc(m.evaluated_on) + " (" + std::to_string(m.rows) + " rows); 95% percentile-bootstrap intervals, " +
           std::to_string(m.bootstrap.resamples) + " resamples, seed " + std::to_string(m.bootstrap.seed) + ".";
    Table t({"metric", "estimate", "95% interval", "resamples (skipped)", "rows", "note"}, "num");
    for (const auto& iv : m.intervals)
      t.row({esc(iv.metric) + (iv.metric == in.metric ? " <span class='tag chosen'>selection metric</span>" : ""), fixed(iv.estimate),
             fixed(iv.low) + " – " + fixed(iv.high), std::to_string(iv.resamples) + " (" + std::to_string(iv.skipped) + ")",
             std::to_string(iv.rows), esc(iv.notice)});
    body += t.str();
    if (!m.per_fold.empty()) {
      std::vector<std::string> head{"metric"};
      for (std::size_t k = 0; k < m.per_fold.front().values.size(); ++k) head.push_back("fold " + std::to_string(k + 1));
      head.insert(head.end(), {"mean", "sd"});
      Table ft(head, "num");
      for (const auto& f : m.per_fold) {
        std::vector<std::string> cells{esc(f.metric)};
        for (double v : f.values) cells.push_back(fixed(v));
        cells.push_back(fixed(f.mean));
        cells.push_back(fixed(f.sd));
        ft.row(cells);
      }
      body += details("Every metric per cross-validation fold (" + esc(m.per_fold_of) + ", out-of-fold predictions)", ft.str());
    }
    // Per-fold CV of the chosen candidate.
    for (const auto& r : in.leaderboard.rows)
      if (r.chosen && !r.folds.values.empty()) {
        std::string folds;
        for (double v : r.folds.values) folds += (folds.empty() ? "" : ", ") + fixed(v);
        body += details("Per-fold cross-validation scores of the chosen model",
                        "<p>" + esc(in.metric) + " per fold: " + folds + "; mean " + fixed(r.folds.mean) + ", sd " + fixed(r.folds.sd) +
                            ", min " + fixed(r.folds.min) + ", max " + fixed(r.folds.max) + ".</p>");
      }
  }
  return section("p2", "P2 Metrics with confidence intervals", lead, body);
}

std::string roc_pr_cal(const std::vector<BinaryCurves>& curves) {
  std::vector<Series> roc, pr, cal;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const auto& b = curves[i];
    const std::string name = (b.label.empty() ? "class " + std::to_string(b.positive) : b.label);
    roc.push_back({name + " (AUC " + fixed(b.roc.auc, 3) + ")", b.roc.fpr, b.roc.tpr, colour(i)});
    pr.push_back({name + " (AP " + fixed(b.pr.average_precision, 3) + ")", b.pr.recall, b.pr.precision, colour(i)});
    cal.push_back({name, b.calibration.prob_pred, b.calibration.prob_true, colour(i)});
    cal.back().points = false;
  }
  Series diag{"chance", {0, 1}, {0, 1}, "#999999", 1.0, true};
  roc.push_back(diag);
  Series perfect{"perfectly calibrated", {0, 1}, {0, 1}, "#999999", 1.0, true};
  cal.push_back(perfect);
  if (curves.size() == 1) pr.push_back({"prevalence", {0, 1}, {curves[0].pr.prevalence, curves[0].pr.prevalence}, "#999999", 1.0, true});
  const Range unit{-0.02, 1.02};
  return "<div class='charts'>" + line_chart("ROC curve", roc, "false positive rate", "true positive rate", unit, unit) +
         line_chart("Precision-recall curve", pr, "recall", "precision", unit, unit) +
         line_chart("Calibration (reliability)", cal, "mean predicted probability", "observed share positive", unit, unit) + "</div>";
}

std::string confusion_html(const MulticlassConfusion& c) {
  std::size_t top = 1;
  for (const auto& r : c.matrix)
    for (auto v : r) top = std::max(top, v);
  std::vector<std::string> head{"actual \\ predicted"};
  for (std::size_t k = 0; k < c.matrix.size(); ++k) head.push_back(k < c.labels.size() ? c.labels[k] : std::to_string(k));
  Table t(head, "num confusion");
  for (std::size_t a = 0; a < c.matrix.size(); ++a) {
    std::vector<std::string> cells{"<b>" + esc(a < c.labels.size() ? c.labels[a] : std::to_string(a)) + "</b>"};
    for (std::size_t p = 0; p < c.matrix[a].size(); ++p) {
      const double alpha = 0.08 + 0.6 * static_cast<double>(c.matrix[a][p]) / static_cast<double>(top);
      cells.push_back("<span class='cell' style='background:rgba(0,114,178," + fixed(alpha, 2) + ")'>" +
                      std::to_string(c.matrix[a][p]) + "</span>");
    }
    t.row(std::move(cells));
  }
  return t.str();
}

std::string p3_curves(const RunInsights& in) {
  const auto& c = in.curves;
  std::string body = notices_html(c.notices);
  std::string lead;
  if (c.available) {
    lead = "On the " + esc(in.metrics.evaluated_on) + ".";
    if (!c.binary.empty()) {
      std::string inner = roc_pr_cal(c.binary);
      if (c.binary.size() == 1) {
        const auto& b = c.binary.front();
        const auto& cm = b.confusion;
        inner += "<h3>At threshold " + fixed(cm.threshold, 2) + " (positive class '" + esc(b.label) + "')</h3>";
        Table t({"", "predicted negative", "predicted positive"}, "num");
        t.row({"<b>actual negative</b>", std::to_string(cm.tn), std::to_string(cm.fp)});
        t.row({"<b>actual positive</b>", std::to_string(cm.fn), std::to_string(cm.tp)});
        inner += t.str() + "<p>precision " + fixed(cm.precision, 3) + ", recall " + fixed(cm.recall, 3) + ", F1 " + fixed(cm.f1, 3) +
                 ", accuracy " + fixed(cm.accuracy, 3) + ", balanced accuracy " + fixed(cm.balanced_accuracy, 3) + ".</p>";
        std::string best;
        for (const auto& th : b.best)
          best += "<li>best " + esc(th.criterion) + ": " + fixed(th.value, 3) + " at threshold " + fixed(th.threshold, 3) + "</li>";
        if (!best.empty()) inner += "<ul>" + best + "</ul>";
        if (!b.gains.empty()) {
          Table g({"population", "gain", "lift", "bin lift", "min score"}, "num");
          for (const auto& gb : b.gains)
            g.row({pct(gb.population), pct(gb.gain), fixed(gb.lift, 2), fixed(gb.bin_lift, 2), fixed(gb.min_score, 3)});
          inner += "<h3>Lift and gains (by decile of score)</h3>" + g.str();
        }
        lead += " ROC AUC " + fixed(b.roc.auc, 3) + ", average precision " + fixed(b.pr.average_precision, 3) + ", Brier " +
                fixed(b.calibration.brier, 3) + ".";
      } else if (c.confusion) {
        inner += "<h3>Confusion matrix (most probable class)</h3>" + confusion_html(*c.confusion);
        lead += " One-vs-rest curves per class.";
      }
      body += details("Show the curves", inner);
    } else if (c.regression) {
      const auto& r = *c.regression;
      Series pts{"rows", r.actual, r.predicted, kPalette[0], 1.0, false, true, 0.45};
      Range rg = data_range({pts}, true);
      const Range ry = data_range({pts}, false);
      rg.lo = std::min(rg.lo, ry.lo);
      rg.hi = std::max(rg.hi, ry.hi);
      Series ideal{"predicted = actual", {rg.lo, rg.hi}, {rg.lo, rg.hi}, "#999999", 1.0, true};
      Series res{"rows", r.predicted, r.residual, kPalette[0], 1.0, false, true, 0.45};
      Series zero{"zero", {-1e300, 1e300}, {0, 0}, "#999999", 1.0, true};
      const Range px_range = data_range({res}, true);
      zero.x = {px_range.lo, px_range.hi};
      std::string inner = "<div class='charts'>" +
                          line_chart("Predicted vs actual (" + std::to_string(r.index.size()) + " of " + std::to_string(r.rows) + " rows)",
                                     {pts, ideal}, "actual", "predicted", rg, rg) +
                          line_chart("Residuals vs predicted", {res, zero}, "predicted", "residual (actual - predicted)") +
                          histogram_chart("Residual histogram (all rows)", r.residual_histogram, "residual") + "</div>";
      lead += " Mean residual " + num(r.mean_residual) + ", sd " + num(r.sd_residual) + ".";
      body += details("Show the plots", inner);
    }
  }
  return section("p3", "P3 Performance curves", lead, body);
}

std::string p4_data(const RunInsights& in) {
  const auto& d = in.data;
  std::string body = notices_html(d.notices);
  std::string lead;
  if (d.available) {
    std::size_t warn = 0, crit = 0;
    for (const auto& w : d.warnings) {
      warn += w.severity == Severity::Warning ? 1 : 0;
      crit += w.severity == Severity::Critical ? 1 : 0;
    }
    lead = std::to_string(d.rows) + " training rows, " + std::to_string(d.columns) + " columns; " + std::to_string(crit) +
           " critical and " + std::to_string(warn) + " other warnings.";
    if (!d.warnings.empty()) {
      std::string w = "<ul class='warnings'>";
      for (const auto& x : d.warnings) w += "<li>" + badge(x.severity) + " " + esc(x.message) + "</li>";
      body += w + "</ul>";
    } else {
      body += "<p>No data warning.</p>";
    }
    Table t({"column", "type", "missing", "distinct", "min", "mean", "max", "most frequent", "single-feature signal"}, "num");
    std::map<std::string, const FeatureSignal*> sig;
    for (const auto& s : d.feature_signals) sig[s.column] = &s;
    for (const auto& p : d.profiles) {
      std::string top;
      for (std::size_t i = 0; i < p.top.size() && i < 3; ++i)
        top += (top.empty() ? "" : ", ") + esc(p.top[i].value) + " (" + std::to_string(p.top[i].count) + ")";
      const auto it = sig.find(p.name);
      const double total = static_cast<double>(p.count + p.missing);
      t.row({esc(p.name) + (p.name == in.target ? " <span class='tag'>target</span>" : ""), esc(data::to_string(p.type)),
             pct(total > 0 ? static_cast<double>(p.missing) / total : NAN), std::to_string(p.distinct),
             p.min ? num(*p.min) : "", p.mean ? num(*p.mean) : "", p.max ? num(*p.max) : "", top,
             it != sig.end() ? esc(it->second->method) + " " + fixed(it->second->value, 3) : ""});
    }
    std::string inner = (d.rows_analyzed < d.rows ? "<p>Profiles of a seeded sample of " + std::to_string(d.rows_analyzed) + " rows.</p>"
                                                  : std::string()) +
                        t.str();
    // Class balance / target distribution.
    for (const auto& p : d.profiles)
      if (p.name == in.target) {
        if (!p.top.empty() && in.task != "regression") {
          std::vector<std::string> labels;
          std::vector<double> counts;
          for (const auto& c : p.top) {
            labels.push_back(c.value);
            counts.push_back(static_cast<double>(c.count));
          }
          inner += bar_chart("Class balance of '" + in.target + "'", labels, counts, {}, "rows");
        } else if (!p.histogram.empty()) {
          std::vector<HistogramBin> bins;
          for (const auto& b : p.histogram) bins.push_back({b.low, b.high, b.count});
          inner += histogram_chart("Distribution of '" + in.target + "'", bins, in.target);
        }
      }
    body += details("Show the column profiles", inner);
    if (!d.drift.empty()) {
      Table dt({"column", "method", "PSI", "severity"}, "num");
      for (const auto& r : d.drift) dt.row({esc(r.column), esc(r.method), fixed(r.psi, 3), badge(r.severity)});
      body += details("Show train/test drift per column", dt.str());
    }
  }
  return section("p4", "P4 Data and warnings", lead, body);
}

std::string p5_pipeline(const RunInsights& in) {
  const auto& p = in.pipeline;
  Table t({"column", "step", "reason"});
  for (const auto& s : p.steps) t.row({esc(s.column), esc(s.step), esc(s.reason)});
  Table f({"feature", "made from", "step"});
  for (const auto& x : p.features) {
    std::string src;
    for (const auto& s : x.sources) src += (src.empty() ? "" : ", ") + s;
    f.row({esc(x.name), esc(src), esc(x.step)});
  }
  const std::string lead = std::to_string(p.input_columns) + " input columns became " + std::to_string(p.features.size()) +
                           " model features in " + std::to_string(p.steps.size()) + " recorded steps.";
  return section("p5", "P5 Feature pipeline", lead,
                 details("Show every step (column, step, reason)", t.str()) + details("Show every model feature and its source", f.str()));
}

// Parallel coordinates: one vertical axis per hyperparameter (positions in [0, 1] as the search
// analysis gives them: log scale for log params, choice index for categorical ones), one line per
// COMPLETE trial, the best quarter drawn dark and on top.
std::string parallel_chart(const ParallelCoordinates& pc, const std::string& metric, bool maximize) {
  const std::size_t n_axes = pc.axes.size();
  if (n_axes == 0 || pc.points.empty()) return {};
  const double width = std::max(360.0, 110.0 * static_cast<double>(n_axes) + 80.0), height = 300.0;
  const double left = 50.0, right = 30.0, top = 28.0, bottom = 46.0;
  auto ax_x = [&](std::size_t a) {
    return n_axes == 1 ? (left + width - right) / 2
                       : left + static_cast<double>(a) / static_cast<double>(n_axes - 1) * (width - left - right);
  };
  auto ax_y = [&](double v) { return height - bottom - v * (height - top - bottom); };
  Plot p(width, height, {0.0, 1.0}, {0.0, 1.0});
  // Order lines worst first, so the best are drawn on top.
  std::vector<std::size_t> order(pc.points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return maximize ? pc.values[a] < pc.values[b] : pc.values[a] > pc.values[b];
  });
  const std::size_t good_from = order.size() - std::max<std::size_t>(1, order.size() / 4);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    std::string d;
    bool pen = false;
    for (std::size_t a = 0; a < n_axes && a < pc.points[i].size(); ++a) {
      const double v = pc.points[i][a];
      if (!std::isfinite(v)) {
        pen = false;
        continue;
      }
      d += pen ? 'L' : 'M';
      d += px(ax_x(a));
      d += ',';
      d += px(ax_y(v));
      pen = true;
    }
    if (d.empty()) continue;
    const bool good = k >= good_from;
    p.raw() << "<path d='" << d << "' fill='none' stroke='" << (good ? kPalette[1] : "#999999") << "' stroke-width='"
            << (good ? "1.8" : "1") << "' stroke-opacity='" << (good ? "0.9" : "0.45") << "'><title>trial "
            << (i < pc.trials.size() ? std::to_string(pc.trials[i]) : std::string("?")) << ": " << esc(metric) << " "
            << num(pc.values[i]) << "</title></path>";
  }
  auto ext = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  for (std::size_t a = 0; a < n_axes; ++a) {
    const auto& axis = pc.axes[a];
    const double x = ax_x(a);
    p.raw() << "<line x1='" << px(x) << "' x2='" << px(x) << "' y1='" << px(top) << "' y2='" << px(height - bottom)
            << "' stroke='#333' stroke-width='1'/>";
    std::string lo, hi;
    if (axis.kind == "categorical") {
      if (!axis.choices.empty()) {
        lo = ext(axis.choices.front());
        hi = ext(axis.choices.back());
      }
    } else {
      lo = num(axis.low, "%.3g");
      hi = num(axis.high, "%.3g");
    }
    p.raw() << "<text class='tick' x='" << px(x) << "' y='" << px(top - 6) << "' text-anchor='middle'>" << esc(hi) << "</text>"
            << "<text class='tick' x='" << px(x) << "' y='" << px(height - bottom + 13) << "' text-anchor='middle'>" << esc(lo)
            << "</text><text class='label' x='" << px(x) << "' y='" << px(height - bottom + 30) << "' text-anchor='middle'>"
            << esc(axis.label) << (axis.log ? " (log)" : "") << "</text>";
  }
  return p.str(pc.family + ": " + std::to_string(pc.points.size()) + " complete trials; the best quarter by " + metric +
               " in orange");
}

std::string p6_search(const RunInsights& in) {
  const auto& s = in.search;
  std::string body = notices_html(s.notices);
  std::string lead;
  if (s.available) {
    lead = std::to_string(s.trials.size()) + " trials: " + std::to_string(s.complete) + " complete, " + std::to_string(s.failed) +
           " failed, " + std::to_string(s.pruned) + " pruned (store " + esc(s.storage) + ", search '" + esc(s.study) + "').";
    std::vector<Series> series;
    std::map<std::string, std::size_t> fam_colour;
    std::map<std::string, Series> by_family;
    Series best{"best so far", {}, {}, "#000000", 2.0};
    best.step = true;
    for (std::size_t i = 0; i < s.trials.size(); ++i) {
      const auto& t = s.trials[i];
      best.x.push_back(static_cast<double>(t.number));
      best.y.push_back(s.best_so_far[i]);
      if (!std::isfinite(t.value)) continue;
      if (!fam_colour.count(t.family)) fam_colour[t.family] = fam_colour.size() + 1;
      auto& fs = by_family[t.family];
      fs.name = t.family.empty() ? "trials" : t.family;
      fs.colour = colour(fam_colour[t.family]);
      fs.points = true;
      fs.opacity = 0.9;
      fs.x.push_back(static_cast<double>(t.number));
      fs.y.push_back(t.value);
    }
    for (auto& [k, v] : by_family) series.push_back(v);
    series.push_back(best);
    std::string charts = line_chart("Score per trial and best so far", series, "trial", in.metric, {}, {}, 560, 300);
    if (s.analysis && !s.analysis->best_by_time.empty()) {
      Series when{"best so far", {}, {}, "#000000", 2.0};
      when.step = true;
      Series done{"finished trials", {}, {}, colour(1), 2.0};
      done.points = true;
      done.opacity = 0.8;
      for (const auto& b : s.analysis->best_by_time) {
        when.x.push_back(b.elapsed_s);
        when.y.push_back(b.best);
        done.x.push_back(b.elapsed_s);
        done.y.push_back(b.value);
      }
      charts += line_chart("Best score over time (seconds since the first trial started)", {done, when}, "seconds", in.metric, {}, {},
                           560, 300);
    }
    body += "<div class='charts'>" + charts + "</div>";
    if (s.analysis) {
      std::string pcs;
      for (const auto& pc : s.analysis->parallel) pcs += parallel_chart(pc, in.metric, in.direction != "minimize");
      if (!pcs.empty()) body += details("Show the hyperparameters of each family (parallel coordinates)", pcs);
    }
    Table t({"trial", "state", "family", in.metric, "seconds", "hyperparameters", "reason"}, "num");
    for (const auto& r : s.trials)
      t.row({std::to_string(r.number), esc(r.state), esc(r.family), fixed(r.value), num(r.duration_s, "%.3g"),
             "<code>" + esc(r.params) + "</code>", esc(r.fail_reason)},
            r.state == "FAIL" ? "fail" : "");
    body += details("Show the trials table", t.str());
    std::string problems;
    for (const auto& r : s.trials)
      if (r.state == "FAIL" || r.state == "PRUNED")
        problems += "<li>trial " + std::to_string(r.number) + " (" + esc(r.family) + ") " + esc(r.state) + ": " +
                    esc(r.fail_reason.empty() ? "no reason recorded" : r.fail_reason) + "</li>";
    if (!problems.empty()) body += details("Show failed and pruned trials", "<ul>" + problems + "</ul>");
  }
  return section("p6", "P6 Search", lead, body);
}

std::string p7_importance(const RunInsights& in) {
  // Per-family summary of the search (hyperparameter importance: see the notice).
  const auto& s = in.search;
  std::string body;
  if (s.available) {
    std::map<std::string, std::vector<double>> values;
    std::map<std::string, std::size_t> count;
    for (const auto& t : s.trials) {
      ++count[t.family];
      if (std::isfinite(t.value)) values[t.family].push_back(t.value);
    }
    Table t({"family", "trials", "complete", "best " + in.metric, "median " + in.metric}, "num");
    const bool maximize = in.direction != "minimize";
    for (auto& [fam, n] : count) {
      auto v = values[fam];
      std::sort(v.begin(), v.end());
      const double best = v.empty() ? NAN : maximize ? v.back() : v.front();
      const double med = v.empty() ? NAN : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      t.row({esc(fam), std::to_string(n), std::to_string(v.size()), fixed(best), fixed(med)});
    }
    body += details("Show the per-family summary", t.str());
  }
  std::string lead;
  if (s.analysis) {
    const auto& a = *s.analysis;
    auto chart = [&](const ImportanceResult& r) -> std::string {
      if (!r.available) return notices_html({"importance (" + r.scope + "): " + r.reason});
      std::vector<std::string> labels;
      std::vector<double> v, sd;
      for (const auto& p : r.params) {
        labels.push_back((r.scope == "global" && !p.family.empty() ? p.family + ": " : std::string()) + p.label);
        v.push_back(p.importance);
        sd.push_back(p.sd);
      }
      if (r.scope == "global" && r.unattributed > 0) {
        labels.push_back("(unattributed)");
        v.push_back(r.unattributed);
        sd.push_back(NAN);
      }
      return bar_chart("Hyperparameter importance (" + r.scope + ", " + r.method + ", " + std::to_string(r.trials) + " trials)", labels, v,
                       sd, "share of the score's variance", kPalette[4]);
    };
    if (a.importance.available && !a.importance.params.empty())
      lead = "Most influential: <b>" + esc(a.importance.params.front().label) + "</b> (" + pct(a.importance.params.front().importance) + " of the variance).";
    std::string inner = chart(a.importance);
    for (const auto& f : a.family_importance) inner += chart(f);
    body += details("Show hyperparameter importance (fANOVA)", inner);
    if (!a.reasons.empty()) {
      Table t({"state", "reason", "trials"});
      for (const auto& r : a.reasons) t.row({esc(r.state), esc(r.reason), std::to_string(r.count)});
      body += details("Show why trials failed or were pruned", t.str());
    }
    body += notices_html(a.notices);
  }
  return section("p7", "P7 Hyperparameter importance", lead, body);
}

std::vector<std::string> names_of(const std::vector<ColumnImportance>& cols, std::size_t k) {
  std::vector<std::string> n;
  for (std::size_t i = 0; i < cols.size() && i < k; ++i) n.push_back(cols[i].column);
  return n;
}
std::vector<double> values_of(const std::vector<ColumnImportance>& cols, std::size_t k) {
  std::vector<double> v;
  for (std::size_t i = 0; i < cols.size() && i < k; ++i) v.push_back(cols[i].value);
  return v;
}

std::string p8_explanations(const RunInsights& in) {
  const auto& e = in.explanations;
  std::string body = notices_html(e.notices);
  std::string lead;
  if (e.available) {
    lead = "On " + std::to_string(e.rows) + " rows of the " + esc(e.evaluated_on) + ".";
    if (e.permutation && e.permutation->available) {
      const auto& p = *e.permutation;
      std::vector<std::string> labels;
      std::vector<double> v, sd;
      for (std::size_t i = 0; i < p.items.size() && i < 15; ++i) {
        labels.push_back(p.items[i].name);
        v.push_back(p.items[i].mean);
        sd.push_back(p.items[i].sd);
      }
      if (!p.items.empty()) lead += " Most important column: <b>" + esc(p.items.front().name) + "</b>.";
      body += details("Permutation importance (by original column)",
                      "<p>Drop in " + esc(p.metric) + " when a column's values are shuffled (" + std::to_string(p.repeats) +
                          " seeded repeats; whisker = ±1 sd; baseline " + fixed(p.baseline) + ").</p>" +
                          bar_chart("Permutation importance", labels, v, sd, "drop in " + p.metric));
    }
    if (e.shap) {
      std::string inner = "<p>SHAP values in " + esc(e.shap->units) + " units, " + std::to_string(e.shap->rows) + " rows.</p>";
      for (const auto& o : e.shap->outputs) {
        const std::string which = o.output_class < 0 ? std::string()
                                                     : " (class '" + (static_cast<std::size_t>(o.output_class) < in.classes.size()
                                                                          ? in.classes[static_cast<std::size_t>(o.output_class)]
                                                                          : std::to_string(o.output_class)) +
                                                           "')";
        inner += bar_chart("Mean |SHAP| by column" + which, names_of(o.importance.columns, 15), values_of(o.importance.columns, 15), {},
                           "mean |SHAP|", kPalette[1]);
        // Beeswarm-like strip: SHAP value per row for the top features, coloured by feature value rank.
        if (!o.beeswarm.empty()) {
          const std::size_t k = std::min<std::size_t>(o.beeswarm.size(), 8);
          double lo = 0.0, hi = 0.0;
          for (std::size_t f = 0; f < k; ++f)
            for (double s : o.beeswarm[f].shap)
              if (std::isfinite(s)) {
                lo = std::min(lo, s);
                hi = std::max(hi, s);
              }
          if (hi <= lo) hi = lo + 1;
          const double height = static_cast<double>(k) * 26.0 + 50.0;
          Plot pl(560, height, {lo, hi}, {0.0, static_cast<double>(k)}, 190.0);
          pl.raw() << "<rect x='190' y='10' width='358' height='" << px(height - 50) << "' class='frame'/>";
          for (double t : nice_ticks(lo, hi))
            pl.raw() << "<line class='grid' y1='10' y2='" << px(height - 40) << "' x1='" << px(pl.sx(t)) << "' x2='" << px(pl.sx(t))
                     << "'/><text class='tick' y='" << px(height - 27) << "' x='" << px(pl.sx(t)) << "' text-anchor='middle'>"
                     << num(t, "%.3g") << "</text>";
          for (std::size_t f = 0; f < k; ++f) {
            const auto& b = o.beeswarm[f];
            const double yc = 10.0 + static_cast<double>(f) * 26.0 + 13.0;
            pl.raw() << "<text class='tick' x='184' y='" << px(yc + 3) << "' text-anchor='end'>"
                     << esc(b.feature.size() > 30 ? b.feature.substr(0, 28) + "…" : b.feature) << "</text>";
            std::vector<double> sorted;
            for (double v : b.value)
              if (std::isfinite(v)) sorted.push_back(v);
            std::sort(sorted.begin(), sorted.end());
            for (std::size_t i = 0; i < b.shap.size(); ++i) {
              if (!std::isfinite(b.shap[i])) continue;
              double rank = 0.5;
              if (std::isfinite(b.value[i]) && sorted.size() > 1)
                rank = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), b.value[i]) - sorted.begin()) /
                       static_cast<double>(sorted.size() - 1);
              const double jitter = (static_cast<double>((i * 7919) % 17) / 16.0 - 0.5) * 14.0;
              pl.raw() << "<circle cx='" << px(pl.sx(b.shap[i])) << "' cy='" << px(yc + jitter) << "' r='2' fill='"
                       << (rank < 0.5 ? kPalette[0] : kPalette[3]) << "' fill-opacity='" << fixed(0.35 + 0.6 * std::abs(rank - 0.5), 2)
                       << "'/>";
            }
          }
          pl.raw() << "<text class='label' x='369' y='" << px(height - 6) << "' text-anchor='middle'>SHAP value (blue: low feature value, vermillion: high)</text>";
          inner += pl.str("SHAP per row, top features" + which);
        }
      }
      body += details("SHAP: global importance", inner);
    }
    if (e.shap_local && !e.shap_local->outputs.empty()) {
      const auto& l = *e.shap_local;
      std::string inner = "<p>Row " + std::to_string(l.row) + " of the explained rows; model output " +
                          (l.model_output.empty() ? std::string("n/a") : fixed(l.model_output.back())) + ", from SHAP " +
                          (l.output_from_shap.empty() ? std::string("n/a") : fixed(l.output_from_shap.back())) +
                          (l.additive ? " (adds up)" : " (does NOT add up: " + num(l.additivity_error) + ")") + ".</p>";
      const auto& w = l.outputs.back();
      std::vector<std::string> labels{"base value"};
      std::vector<double> vals{w.base_value};
      for (std::size_t i = 0; i < w.steps.size() && i < 12; ++i) {
        labels.push_back(w.steps[i].feature + " = " + num(w.steps[i].value));
        vals.push_back(w.steps[i].shap);
      }
      inner += bar_chart("Contributions to this row's margin (" + l.units + ")", labels, vals, {}, "SHAP value");
      body += details("SHAP: one row explained", inner);
    }
    if (!e.pdp.empty()) {
      std::string inner = "<div class='charts'>";
      for (const auto& c : e.pdp) {
        std::vector<Series> series;
        if (!c.ice.empty())
          for (std::size_t r = 0; r < c.ice.front().size() && r < 40; ++r) {
            Series s{"", c.grid, c.ice.front()[r], "#56B4E9", 0.8};
            s.opacity = 0.35;
            s.legend = false;
            series.push_back(std::move(s));
          }
        for (std::size_t o = 0; o < c.pdp.size(); ++o)
          series.push_back({"PDP " + (o < c.outputs.size() ? c.outputs[o] : std::string()), c.grid, c.pdp[o], colour(o == 0 ? 0 : o + 1), 2.5});
        std::string title = "Partial dependence: " + c.feature;
        if (c.kind == "one_hot") {
          title += " (categories: ";
          for (std::size_t i = 0; i < c.grid_labels.size(); ++i) title += (i ? ", " : "") + std::to_string(i) + "=" + c.grid_labels[i];
          title += ")";
        }
        inner += line_chart(title, series, c.feature, c.outputs.empty() ? "output" : c.outputs.front());
      }
      body += details("PDP and ICE curves of the top columns", inner + "</div><p>Thin lines: individual rows (ICE); thick: their mean (PDP).</p>");
    }
    if (e.linear) {
      std::string inner = notices_html(e.linear->notices) +
                          bar_chart("|coefficient| by column", names_of(e.linear->columns, 15),
                                    values_of(e.linear->columns, 15), {}, "|coefficient| (standardised)");
      if (e.coefficients) {
        const auto& lc = *e.coefficients;
        inner += "<p>Signed coefficients: " + esc(lc.units) + ". Positive values raise the output.</p>" +
                 notices_html(lc.notices);
        constexpr std::size_t kMaxOutputs = 10, kTop = 15;
        for (std::size_t o = 0; o < lc.outputs.size() && o < kMaxOutputs; ++o) {
          const auto& set = lc.outputs[o];
          std::vector<std::string> labels;
          std::vector<double> values;
          for (std::size_t i = 0; i < set.coefficients.size() && i < kTop; ++i) {
            labels.push_back(set.coefficients[i].feature);
            values.push_back(set.coefficients[i].value);
          }
          inner += bar_chart("Coefficients for the " + set.output + " (intercept " + num(set.intercept) + ")", labels,
                             values, {}, "coefficient per standard deviation");
        }
        if (lc.outputs.size() > kMaxOutputs)
          inner += "<p>" + std::to_string(lc.outputs.size() - kMaxOutputs) +
                   " more classes are not drawn; `glasswing report --json` writes them all (explanations.coefficients).</p>";
      }
      body += details("Linear coefficients", inner);
    }
    if (e.model_importance) {
      body += details("The model's own importance (" + e.model_importance->kind + ")",
                      bar_chart("Importance by column (" + e.model_importance->kind + ")", names_of(e.model_importance->columns, 15),
                                values_of(e.model_importance->columns, 15), {}, e.model_importance->kind, kPalette[2]));
    }
  }
  return section("p8", "P8 Explanations", lead, body);
}

std::string p9_fairness(const RunInsights& in) {
  const auto& f = in.fairness;
  std::string body = notices_html(f.notices);
  std::string lead;
  if (f.report) {
    const auto& r = *f.report;
    body += notices_html(r.notices);
    if (r.available) {
      lead = "By '" + esc(r.column) + "' on the " + esc(f.evaluated_on) + "; reference group '" + esc(r.reference_group) +
             "', lowest disparate impact " + fixed(r.min_disparate_impact, 3) +
             (r.min_disparate_impact < 0.8 ? " <span class='badge warn'>below 0.8 (four-fifths rule)</span>" : "") + ".";
      Table t({"group", "rows", "selection rate", "TPR", "FPR", "accuracy", "disparate impact"}, "num");
      for (const auto& g : r.groups)
        t.row({esc(g.group) + (g.too_small ? " <span class='tag'>small</span>" : ""), std::to_string(g.rows), fixed(g.selection_rate, 3),
               fixed(g.tpr, 3), fixed(g.fpr, 3), fixed(g.accuracy, 3), fixed(g.disparate_impact, 3)});
      body += details("Show the groups", t.str());
    }
  }
  return section("p9", "P9 Fairness", lead, body);
}

std::string p10_card(const RunInsights& in) {
  const auto& c = in.card;
  std::string versions;
  for (const auto& [k, v] : c.versions) versions += "<tr><th>" + esc(k) + "</th><td>" + esc(v) + "</td></tr>";
  std::string body = "<div class='card'><p><b>Model:</b> " + esc(c.model) + "</p><p><b>Intended use:</b> " + esc(c.intended_use) +
                     "</p><h3>Data</h3>" + list_html(c.data) + "<h3>Metrics</h3>" + list_html(c.metrics) + "<h3>Limitations</h3>" +
                     list_html(c.limitations) + "<h3>Warnings</h3>" +
                     (c.warnings.empty() ? std::string("<p>None at warning level.</p>") : list_html(c.warnings)) + "<h3>Versions</h3>" +
                     "<table class='kv'>" + versions + "<tr><th>seed</th><td>" + std::to_string(c.seed) + "</td></tr></table></div>";
  return section("p10", "P10 Model card", "", details("Show the model card", body));
}

const char* kCss = R"CSS(
:root{--fg:#1a1a1a;--muted:#555;--line:#d0d0d0;--bg:#fff;--accent:#0072B2}
*{box-sizing:border-box}
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1180px;padding:20px 28px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 6px;border-bottom:2px solid var(--accent);padding-bottom:3px}
h3{font-size:15px;margin:14px 0 6px}
.sub{color:var(--muted);margin:0 0 12px}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px;margin:14px 0}
.summary div{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.summary b{display:block;font-size:18px}
nav ol{columns:2;margin:6px 0 0 0}
.lead{margin:4px 0 8px}
.notice{background:#fff6e0;border-left:4px solid #E69F00;padding:6px 10px;margin:6px 0}
.global .notice{background:#fde8e0;border-left-color:#D55E00}
details{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:0 10px}
details>summary{cursor:pointer;padding:6px 0;font-weight:600;color:var(--accent)}
details .body{padding:4px 0 10px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
table.num td{font-variant-numeric:tabular-nums}
tr.chosen td{background:#e6f1f8}tr.baseline td{background:#f4f4f4}tr.fail td{color:#a03000}
code{font-size:11px;word-break:break-all}
.tag{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px;color:var(--muted)}
.tag.chosen{border-color:var(--accent);color:var(--accent)}
.badge{font-size:11px;border-radius:3px;padding:1px 5px;color:#fff;background:#56B4E9}
.badge.warn{background:#E69F00;color:#000}.badge.crit{background:#D55E00}
ul.warnings{padding-left:18px}ul.warnings li{margin:3px 0}
.charts{display:flex;flex-wrap:wrap;gap:14px}
figure.chart{margin:6px 0}figure.chart figcaption{font-size:12px;color:var(--muted);max-width:560px}
svg{max-width:100%;height:auto;font-family:"DejaVu Sans",sans-serif}
svg .frame{fill:none;stroke:#888}svg .grid{stroke:#e6e6e6}svg .tick{font-size:10px;fill:#333}
svg .label{font-size:11px;fill:#222}svg .legend{font-size:10px;fill:#222}
.cell{display:block;padding:2px 6px;text-align:center}
table.kv th{width:180px}
footer{margin-top:30px;color:var(--muted);font-size:12px}
@media print{
 body{max-width:none;padding:0;font-size:11px}
 nav{display:none}
 details{border:none;padding:0}
 details>summary{list-style:none;color:var(--fg)}
 details::details-content{content-visibility:visible;display:contents}
 figure.chart,svg,tr,.card{break-inside:avoid;page-break-inside:avoid}
 h2{break-after:avoid;page-break-after:avoid}
 .scroll{overflow:visible}
}
)CSS";

// Opens every <details> before printing (the CSP allows exactly this script by its hash).
const char* kScript =
    "addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});";

std::string script_hash() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string s = kScript;
  if (EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw Error(ErrorKind::Internal, "OpenSSL cannot compute a sha256 digest");
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<std::size_t>(n));
}

}  // namespace

std::string render_report_html(const RunInsights& in) {
  std::string h;
  h.reserve(1 << 20);
  h += "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n";
  h += "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
       script_hash() + "'; base-uri 'none'; form-action 'none'\">\n";
  h += "<meta name='viewport' content='width=device-width, initial-scale=1'>\n";
  h += "<title>Glasswing report: " + esc(in.target) + " (" + esc(in.task) + ")</title>\n<style>" + std::string(kCss) + "</style></head><body>\n";
  h += "<header><h1>Glasswing report: predicting '" + esc(in.target) + "'</h1><p class='sub'>" + esc(in.task) + " task · metric " +
       esc(in.metric) + " (" + esc(in.direction) + ") · run folder " + esc(in.run_dir.string()) + " · seed " + std::to_string(in.seed) +
       "</p></header>\n";
  if (!in.notices.empty()) h += "<div class='global'>" + notices_html(in.notices) + "</div>";
  // Summary: visible without opening anything.
  h += "<div class='summary'>";
  h += "<div>chosen model<b>" + esc(in.card.model) + "</b></div>";
  for (const auto& r : in.leaderboard.rows)
    if (r.chosen) h += "<div>CV " + esc(in.metric) + "<b>" + fixed(r.cv_mean) + " ± " + fixed(r.cv_sd) + "</b></div>";
  for (const auto& iv : in.metrics.intervals)
    if (iv.metric == in.metric)
      h += "<div>" + esc(in.metric) + " on " + esc(in.metrics.evaluated_on) + "<b>" + fixed(iv.estimate) + "</b>95% CI " + fixed(iv.low) +
           " – " + fixed(iv.high) + "</div>";
  for (const auto& r : in.leaderboard.rows)
    if (r.family == "constant") {
      h += "<div>constant baseline CV<b>" + fixed(r.cv_mean) + "</b></div>";
      break;
    }
  std::size_t serious = 0;
  for (const auto& w : in.data.warnings) serious += w.severity != Severity::Info ? 1 : 0;
  h += "<div>data warnings<b>" + std::to_string(serious) + "</b>" + (in.data.available ? "" : "data not available") + "</div>";
  h += "</div>\n";
  h += "<nav><b>Sections</b><ol><li><a href='#p1'>Leaderboard</a></li><li><a href='#p2'>Metrics</a></li><li><a href='#p3'>Curves</a></li>"
       "<li><a href='#p4'>Data</a></li><li><a href='#p5'>Feature pipeline</a></li><li><a href='#p6'>Search</a></li>"
       "<li><a href='#p7'>Hyperparameter importance</a></li><li><a href='#p8'>Explanations</a></li><li><a href='#p9'>Fairness</a></li>"
       "<li><a href='#p10'>Model card</a></li><li><a href='#p11'>Decision</a></li></ol></nav>\n";
  h += p1_leaderboard(in) + "\n" + p2_metrics(in) + "\n" + p3_curves(in) + "\n" + p4_data(in) + "\n" + p5_pipeline(in) + "\n" +
       p6_search(in) + "\n" + p7_importance(in) + "\n" + p8_explanations(in) + "\n" + p9_fairness(in) + "\n" + p10_card(in) + "\n";
  h += section("p11", "P11 Decision", "",
               "<p>Deploy, reject or defer: record the decision, your willingness to deploy (1–7), your confidence (1–7) and a "
               "rationale in Glasswing Studio; the report does not decide.</p>");
  h += "<footer>Generated by Glasswing in " + fixed(in.seconds, 2) +
       " s from the run folder; self-contained (no network, no external file).</footer>\n";
  h += "<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return h;
}

void write_report_html(const RunInsights& insights, const fs::path& file) {
  const std::string html = render_report_html(insights);
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorKind::Storage, "cannot write " + tmp.string() + "; choose a writable --out");
    out.write(html.data(), static_cast<std::streamsize>(html.size()));
    out.close();
    if (!out) throw Error(ErrorKind::Storage, "cannot write " + tmp.string() + " (disk full?); free space or choose another --out");
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(ErrorKind::Storage, "cannot move the report into place at " + file.string() + ": " + ec.message());
  }
}

}  // namespace glasswing::transparency
