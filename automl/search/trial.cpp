#include "automl/search/trial.hpp"

#include <cstdio>
#include <ctime>

#include "automl/common/error.hpp"

namespace glasswing::search {

std::string_view to_string(TrialState s) noexcept {
  switch (s) {
    case TrialState::Running: return "RUNNING";
    case TrialState::Complete: return "COMPLETE";
    case TrialState::Pruned: return "PRUNED";
    case TrialState::Fail: return "FAIL";
    case TrialState::Waiting: return "WAITING";
  }
  return "RUNNING";
}

std::string_view to_string(StudyDirection d) noexcept {
  switch (d) {
    case StudyDirection::NotSet: return "NOT_SET";
    case StudyDirection::Minimize: return "MINIMIZE";
    case StudyDirection::Maximize: return "MAXIMIZE";
  }
  return "NOT_SET";
}

TrialState trial_state_from_string(std::string_view s) {
  for (auto st : {TrialState::Running, TrialState::Complete, TrialState::Pruned, TrialState::Fail,
                  TrialState::Waiting}) {
    if (to_string(st) == s) return st;
  }
  throw Error(ErrorKind::BadInput, "unknown trial state '" + std::string(s) +
                                       "'; expected RUNNING, COMPLETE, PRUNED, FAIL or WAITING");
}

StudyDirection study_direction_from_string(std::string_view s) {
  for (auto d : {StudyDirection::NotSet, StudyDirection::Minimize, StudyDirection::Maximize}) {
    if (to_string(d) == s) return d;
  }
  throw Error(ErrorKind::BadInput,
              "unknown study direction '" + std::string(s) + "'; expected NOT_SET, MINIMIZE or MAXIMIZE");
}

bool is_finished(TrialState s) noexcept {
  return s == TrialState::Complete || s == TrialState::Pruned || s == TrialState::Fail;
}

std::string format_datetime(DateTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto since = t - day;
  const hh_mm_ss<microseconds> hms{since};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld:%02ld.%06ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()), static_cast<long>(hms.subseconds().count()));
  return buf;
}

DateTime parse_datetime(std::string_view text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = 0;
  int consumed = 0;
  const std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &consumed) != 7 ||
      (sep != ' ' && sep != 'T')) {
    throw Error(ErrorKind::BadInput, "invalid datetime '" + str + "'; expected YYYY-MM-DD HH:MM:SS.ffffff");
  }
  long micros = 0;
  std::size_t pos = static_cast<std::size_t>(consumed);
  if (pos < str.size() && str[pos] == '.') {
    long scale = 100000;
    for (++pos; pos < str.size() && str[pos] >= '0' && str[pos] <= '9'; ++pos) {
      micros += (str[pos] - '0') * scale;
      scale /= 10;
    }
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) throw Error(ErrorKind::BadInput, "invalid date in datetime '" + str + "'");
  return DateTime{local_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s} + microseconds{micros}};
}

DateTime now_utc() {
  using namespace std::chrono;
  const auto now = time_point_cast<microseconds>(system_clock::now());
  return DateTime{now.time_since_epoch()};
}

DateTime now_local() {
  using namespace std::chrono;
  const auto now = time_point_cast<microseconds>(system_clock::now());
  const std::time_t tt = system_clock::to_time_t(time_point_cast<system_clock::duration>(now));
  std::tm tm{};
  localtime_r(&tt, &tm);
  return DateTime{now.time_since_epoch() + seconds{tm.tm_gmtoff}};
}

double FrozenTrial::value() const {
  if (!values || values->size() != 1) {
    throw Error(ErrorKind::Usage, "trial " + std::to_string(number) +
                                      (values ? " has several objective values; use values" : " has no value"));
  }
  return values->front();
}

std::optional<std::int64_t> FrozenTrial::last_step() const {
  if (intermediate_values.empty()) return std::nullopt;
  return intermediate_values.rbegin()->first;
}

double FrozenTrial::internal_param(const std::string& name) const {
  const auto it = params.find(name);
  if (it == params.end()) {
    throw Error(ErrorKind::Usage, "trial " + std::to_string(number) + " has no parameter '" + name + "'");
  }
  return to_internal(distributions.at(name), it->second);
}

}  // namespace glasswing::search
