#!/usr/bin/env bash
# Fuzzes the CSV reader (and profiles, target analysis) with libFuzzer + ASan + UBSan.
#   scripts/fuzz-csv.sh [SECONDS]   (default 120; needs clang, from Debian's clang package)
# Crashing inputs are written to out/fuzz-csv/ by libFuzzer; add each as a test when fixed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-120}
out="$root/out/fuzz-csv"
mkdir -p "$out/corpus"
cp -n "$root"/data/demo/*.csv "$out/corpus/" 2>/dev/null || true
printf 'a,b,c\n1,"x,y",2020-01-01\n2,"q""r",\n' > "$out/corpus/quotes.csv"
printf 'x;y\r\n1,5;"a\nb"\r\n' > "$out/corpus/semicolon.csv"
gen="$out/include/glasswing/common"
mkdir -p "$gen"
sed -e 's/@PROJECT_VERSION@/fuzz/' -e 's/@CMAKE_BUILD_TYPE@/fuzz/' -e 's/@CMAKE_CXX_COMPILER_ID@ @CMAKE_CXX_COMPILER_VERSION@/clang/' \
  "$root/automl/common/version.hpp.in" > "$gen/version.hpp"
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root" -I"$out/include" "$root/tests/fuzz/fuzz_csv.cpp" "$root"/automl/data/{csv,table,infer,profile}.cpp \
  "$root/automl/common/error.cpp" -lz -lpthread -o "$out/fuzz_csv"
cd "$out"
./fuzz_csv corpus -max_len=4096 -timeout=5 -max_total_time="$seconds" -print_final_stats=1
