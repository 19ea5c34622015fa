#pragma once
// The transparency data the Insights pages show (transparency/run_insights.hpp), in one include.
// The transparency headers avoid the names Qt defines as macros (signals, slots, emit), so they
// may be included after Qt headers.
#include "transparency/run_insights.hpp"
