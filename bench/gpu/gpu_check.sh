#!/usr/bin/env bash
# GPU check (issue 4): builds only the headless parts that the MLP needs (automl_common, backend with
# LibTorch, bench/gpu/mlp_bench) against the CUDA LibTorch of the machine's PyTorch, then trains the
# same MLP on the CPU and on CUDA on the same data and prints both times and scores.
#
# Runs from the repository root. Needs: python3 with torch, cmake + ninja (or g++ for the fallback),
# and the carried folder build-gpudeps/ (made by `bench/gpu/gpu_check.sh --prepare` on a Debian
# machine: nlohmann-json headers unpacked from the .deb, and a copy of diamonds.csv).
#
#   bench/gpu/gpu_check.sh --prepare     # here: fetch and unpack what the GPU machine lacks
#   bench/gpu/gpu_check.sh               # there: build and run; writes $OUT/gpu_check.log if OUT is set
#
# Environment: GW_ROWS (0 = all), GW_EPOCHS, GW_FORCE_DIRECT=1 (skip CMake, build with g++ directly),
# GW_BUILD (build folder, default /tmp/gw-gpu-build).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
deps="$root/build-gpudeps"

if [[ "${1:-}" == "--prepare" ]]; then
  set -e
  mkdir -p "$deps/debs"
  (cd "$deps/debs" && apt-get download nlohmann-json3-dev)
  for f in "$deps"/debs/*.deb; do dpkg -x "$f" "$deps"; done
  cp "${GLASSWING_SHARED_DIR:-$root/../shared}/datasets/diamonds.csv" "$deps/"
  rm -rf "$deps/debs" "$deps/usr/share/doc"
  du -sh "$deps"
  exit 0
fi

log=${OUT:-/tmp}/gpu_check.log
exec > >(tee "$log") 2>&1
build=${GW_BUILD:-/tmp/gw-gpu-build}
rows=${GW_ROWS:-0}
epochs=${GW_EPOCHS:-20}
jobs=$(nproc)
echo "== gpu_check $(date -u +%FT%TZ) on $(hostname), $jobs cores"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
py=${PYTHON:-python3}
$py - <<'EOF' 2>/dev/null || echo "python torch: not importable"
import torch
print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
EOF
torch_prefix=${TORCH_PREFIX:-$($py -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)}
command -v cmake >/dev/null && cmake --version | head -1
command -v ninja >/dev/null && echo "ninja $(ninja --version)"
command -v g++ >/dev/null && g++ --version | head -1
command -v nvcc >/dev/null && nvcc --version | tail -2 | head -1

bench=""
t0=$(date +%s)
if [[ "${GW_FORCE_DIRECT:-0}" != 1 ]] && command -v cmake >/dev/null; then
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  if cmake -S "$root/bench/gpu" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
       -DCMAKE_PREFIX_PATH="${torch_prefix:+$torch_prefix;}$deps/usr" -DTORCH_CUDA_ARCH_LIST="9.0" \
       -DCMAKE_CUDA_ARCHITECTURES=90 >"$build.configure.log" 2>&1 &&
     cmake --build "$build" --parallel "$jobs" >"$build.build.log" 2>&1; then
    bench="$build/mlp_bench"
    grep "gpu check:" "$build.configure.log"
  else
    echo "CMake build failed; last lines:"; tail -25 "$build.configure.log" "$build.build.log" 2>/dev/null
  fi
fi

if [[ -z "$bench" ]]; then
  # Fallback without CMake's Torch config: compile the few sources directly.
  echo "== direct g++ build"
  direct="$build-direct"; mkdir -p "$direct/include/glasswing/common"
  sed -e 's/@PROJECT_VERSION@/0.1.0/' -e 's/@CMAKE_BUILD_TYPE@/Release/' -e "s/@CMAKE_CXX_COMPILER_ID@ @CMAKE_CXX_COMPILER_VERSION@/GNU $(g++ -dumpfullversion)/" \
    "$root/automl/common/version.hpp.in" >"$direct/include/glasswing/common/version.hpp"
  inc=${TORCH_INCLUDES:-$($py -c 'from torch.utils.cpp_extension import include_paths; print(" ".join(include_paths()))')}
  libdir=${TORCH_LIBDIR:-$($py -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
  abi=${TORCH_ABI:-$($py -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')}
  cuda_libs=""; cuda_def=""
  if [[ -e "$libdir/libtorch_cuda.so" ]]; then cuda_libs="-ltorch_cuda -lc10_cuda"; cuda_def="-DGLASSWING_TORCH_CUDA=1"; fi
  isys=""; for d in $inc; do isys+=" -isystem $d"; done
  objs=()
  srcs=("$root"/automl/common/*.cpp "$root"/backend/trainer.cpp "$root"/backend/device.cpp "$root"/backend/registry.cpp
        "$root"/backend/torch/torch_trainer.cpp "$root"/bench/gpu/mlp_bench.cpp "$root"/tests/backend/shared_data.cpp)
  pids=()
  for s in "${srcs[@]}"; do
    o="$direct/$(basename "$s" .cpp).o"; objs+=("$o")
    g++ -std=c++20 -O2 -D_GLIBCXX_USE_CXX11_ABI="$abi" -DGLASSWING_HAVE_TORCH=1 $cuda_def \
      -DGLASSWING_SHARED_DIR="\"$root/../shared\"" -I"$root" -I"$direct/include" -isystem "$deps/usr/include" $isys \
      -c "$s" -o "$o" & pids+=($!)
  done
  ok=1; for p in "${pids[@]}"; do wait "$p" || ok=0; done
  if [[ $ok == 1 ]] && g++ -o "$direct/mlp_bench" "${objs[@]}" -L"$libdir" -Wl,-rpath,"$libdir" \
       -Wl,--no-as-needed -ltorch $cuda_libs -Wl,--as-needed -ltorch_cpu -lc10 -lpthread; then
    bench="$direct/mlp_bench"
  else
    echo "direct build failed"; exit 1
  fi
fi
echo "== built $bench in $(( $(date +%s) - t0 )) s"

csv="$deps/diamonds.csv"; [[ -f "$csv" ]] || csv="$root/../shared/datasets/diamonds.csv"
echo "== default MLP (width 128, batch 512), $epochs epochs, no early stopping"
"$bench" "$csv" price "$rows" "$epochs" 128 512
echo "== wide MLP (width 512, batch 2048), $epochs epochs, no early stopping"
"$bench" "$csv" price "$rows" "$epochs" 512 2048
echo "== done in $(( $(date +%s) - t0 )) s"
