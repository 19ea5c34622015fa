# Validation of option combinations and discovery of the optional dependencies.
# A contradictory set of options fails at configure time with a message that says what to change.
include_guard(GLOBAL)

function(glasswing_validate_options)
  if(GLASSWING_WITH_CUDA AND NOT (GLASSWING_WITH_TORCH OR GLASSWING_WITH_XGBOOST))
    message(FATAL_ERROR
      "GLASSWING_WITH_CUDA=ON needs a backend that can use the GPU: turn on GLASSWING_WITH_TORCH "
      "or GLASSWING_WITH_XGBOOST, or turn GLASSWING_WITH_CUDA off.")
  endif()
  if(GLASSWING_SANITIZE AND GLASSWING_WITH_CUDA)
    message(FATAL_ERROR
      "GLASSWING_SANITIZE=ON cannot be combined with GLASSWING_WITH_CUDA=ON (the CUDA runtime is not "
      "sanitizer-clean): turn one of them off.")
  endif()
endfunction()

# Finds each enabled optional dependency; REQUIRED so that an enabled part never silently drops out.
macro(glasswing_find_optional_dependencies)
  if(GLASSWING_BUILD_STUDIO)
    find_package(Qt6 6.2 COMPONENTS Widgets Charts Test)
    if(NOT Qt6_FOUND)
      message(FATAL_ERROR "GLASSWING_BUILD_STUDIO=ON but Qt 6 Widgets/Charts/Test were not found: "
                          "run scripts/setup-deps.sh (qt6-base-dev, qt6-charts-dev) or pass -DGLASSWING_BUILD_STUDIO=OFF.")
    endif()
  endif()
  if(GLASSWING_WITH_POSTGRES)
    find_package(PostgreSQL)
    if(NOT PostgreSQL_FOUND)
      message(FATAL_ERROR "GLASSWING_WITH_POSTGRES=ON but libpq was not found: "
                          "run scripts/setup-deps.sh (libpq-dev) or pass -DGLASSWING_WITH_POSTGRES=OFF.")
    endif()
  endif()
  if(GLASSWING_WITH_XGBOOST)
    find_package(xgboost CONFIG)
    if(NOT xgboost_FOUND)
      message(FATAL_ERROR "GLASSWING_WITH_XGBOOST=ON but XGBoost's CMake config was not found: "
                          "run scripts/setup-deps.sh (libxgboost-dev and xgboost) or pass -DGLASSWING_WITH_XGBOOST=OFF.")
    endif()
  endif()
  if(GLASSWING_WITH_TORCH)
    find_package(Torch)
    if(NOT Torch_FOUND)
      message(FATAL_ERROR "GLASSWING_WITH_TORCH=ON but LibTorch was not found: run scripts/setup-deps.sh "
                          "(libtorch-dev), set CMAKE_PREFIX_PATH to a LibTorch, or pass -DGLASSWING_WITH_TORCH=OFF.")
    endif()
  endif()
  if(GLASSWING_WITH_CUDA)
    # CUDA comes through the backends: a LibTorch built with CUDA (TORCH_CUDA_LIBRARIES non-empty).
    # Debian's LibTorch and XGBoost are CPU-only, so this fails there instead of building a
    # binary that would only pretend to support --device cuda.
    if(NOT GLASSWING_WITH_TORCH OR NOT TORCH_CUDA_LIBRARIES)
      message(FATAL_ERROR "GLASSWING_WITH_CUDA=ON but the LibTorch found (${Torch_DIR}) has no CUDA support: "
                          "point CMAKE_PREFIX_PATH at a CUDA LibTorch (for example python3 -c 'import torch; "
                          "print(torch.utils.cmake_prefix_path)') or pass -DGLASSWING_WITH_CUDA=OFF.")
    endif()
  endif()
endmacro()
