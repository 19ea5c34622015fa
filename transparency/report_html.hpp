#pragma once
// The self-contained HTML report of a run (PRODUCT.md, report sections P1-P10 in order), drawn
// from RunInsights (run_insights.hpp).
//
// One HTML5 file: inline CSS, inline SVG charts (our own small SVG helpers: axes, lines, bars,
// points), one tiny inline script (opens every <details> before printing) allowed by its sha256
// in a Content-Security-Policy meta that forbids every network fetch (default-src 'none'), no
// external URL anywhere. The summary and the model card's headline are visible; everything else
// is in <details>, collapsed until opened. Print CSS opens the details and keeps charts on one
// page. Colours: the Okabe-Ito colour-blind-safe palette. Every user string (column names, class
// labels, file paths, messages) is HTML-escaped.
//
// write_report_html() writes FILE.tmp and renames it over FILE (a reader never sees half a
// report); Error(Storage) when the folder cannot be written. Thread safety: pure functions.

#include <filesystem>
#include <string>
#include <string_view>

#include "transparency/run_insights.hpp"

namespace glasswing::transparency {

std::string render_report_html(const RunInsights& insights);
void write_report_html(const RunInsights& insights, const std::filesystem::path& file);

// HTML escaping of text and attribute values: & < > " ' (exposed for tests).
std::string html_escape(std::string_view text);

}  // namespace glasswing::transparency
