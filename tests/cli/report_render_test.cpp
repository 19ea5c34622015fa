// report.html renders in headless Chromium (Debian's chromium) with the network off, with no
// console error and no Content-Security-Policy violation, and the screenshot is not blank.
// Skipped only when chromium is absent and not in CI (CI=true: it must run).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/cli/cli_support.hpp"
#include "tests/cli/report_support.hpp"

namespace fs = std::filesystem;

namespace {

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return name;
  }
  return "";
}

// Decodes an 8-bit RGB/RGBA PNG (zlib, the five row filters) and prints
// "<width> <height> <distinct colours> <share of non-white pixels>".
const char* kPngStats = R"PY(
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, nonwhite, i = set(), 0, 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3]); colours.add(px)
        if px != b"\xff\xff\xff": nonwhite += 1
    prev = line
print(w, h, len(colours), nonwhite / float(w * h))
)PY";

}  // namespace

TEST(ReportRender, HeadlessChromiumOfflineNoConsoleErrorsNotBlank) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") FAIL() << "chromium is required in CI (scripts/setup-deps.sh installs it)";
    GTEST_SKIP() << "chromium is not installed (scripts/setup-deps.sh installs it)";
  }
  const fs::path run = glasswing::test::credit_run();
  const fs::path report = fs::absolute(run / "report.html");
  ASSERT_TRUE(fs::is_regular_file(report));
  const fs::path dir = glasswing::test::report_work() / ("render-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path png = dir / "report.png";
  const std::string cmd =
      "timeout 120 " + chromium +
      " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check"
      " --disable-extensions --disable-background-networking --disable-component-update --disable-sync"
      " --proxy-server=127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND'"
      " --enable-logging=stderr --v=0 --user-data-dir=" +
      glasswing::test::shell_quote((dir / "profile").string()) + " --window-size=1200,3000 --screenshot=" +
      glasswing::test::shell_quote(png.string()) + " " + glasswing::test::shell_quote("file://" + report.string()) + " >" +
      glasswing::test::shell_quote((dir / "chromium.log").string()) + " 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string log = glasswing::test::slurp(dir / "chromium.log");
  ASSERT_EQ(rc, 0) << log;
  ASSERT_TRUE(fs::is_regular_file(png)) << log;
  // Console messages from the page are logged as "CONSOLE(...)"/"CONSOLE:"; CSP violations say so.
  EXPECT_EQ(log.find("CONSOLE"), std::string::npos) << log;
  EXPECT_EQ(log.find("Content Security Policy"), std::string::npos) << log;
  EXPECT_EQ(log.find("Refused to"), std::string::npos) << log;
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;

  std::ofstream(dir / "png_stats.py") << kPngStats;
  const std::string stats_cmd = "/usr/bin/python3 " + glasswing::test::shell_quote((dir / "png_stats.py").string()) + " " +
                                glasswing::test::shell_quote(png.string()) + " >" +
                                glasswing::test::shell_quote((dir / "stats.txt").string());
  ASSERT_EQ(std::system(stats_cmd.c_str()), 0);
  std::ifstream in(dir / "stats.txt");
  std::size_t w = 0, h = 0, colours = 0;
  double nonwhite = 0.0;
  in >> w >> h >> colours >> nonwhite;
  EXPECT_EQ(w, 1200u);
  EXPECT_EQ(h, 3000u);
  EXPECT_GE(colours, 20u) << "too few colours: the page looks blank";
  EXPECT_GE(nonwhite, 0.01) << "almost every pixel is white: the page looks blank";
  std::printf("screenshot %zux%zu: %zu colours, %.1f%% non-white\n", w, h, colours, 100.0 * nonwhite);
  fs::remove_all(dir);
}
