# The sanitizer and fuzzing build: NiBridge_SANITIZE=ON (Utilities/nibridge-dev sanitize configures it in its own
# build folder, build-sanitize, with Debian's clang-14). The one place for its flags.
#
# Everything NiBridge compiles gets AddressSanitizer (with LeakSanitizer, on by default on Linux) and
# UndefinedBehaviorSanitizer; no error is recovered from (a finding ends the process, so a test cannot pass over it).
# `fuzzer-no-link` adds libFuzzer's coverage instrumentation to the libraries too, so that the fuzz targets
# (Testing/Fuzz, linked with -fsanitize=fuzzer through nibridge_add_fuzz_target) are guided by the parsers' branches;
# the sanitizer runtime gives the other programs harmless defaults for its hooks. _GLIBCXX_ASSERTIONS makes
# libstdc++ check operator[] and front()/back() bounds (no ABI change, so Debian's GCC-built ITK still links).
#
# What the build leaves out, and why: the pybind11 extension (its host, python3, is not built with ASan:
# NiBridge_WRAP_PYTHON must be OFF) and the plugin (loaded by uninstrumented ITK applications; it links with
# --no-undefined, which the sanitizer runtime's symbols, resolved from the executable, cannot satisfy).
option(NiBridge_SANITIZE "Build with AddressSanitizer, LeakSanitizer, UBSan and libFuzzer targets (clang only)" OFF)
if(NOT NiBridge_SANITIZE)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "NiBridge_SANITIZE needs clang for C and C++ (libFuzzer): "
    "-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14")
endif()
if(NOT DEFINED NiBridge_WRAP_PYTHON OR NiBridge_WRAP_PYTHON)
  message(FATAL_ERROR "NiBridge_SANITIZE builds no Python extension: configure with -DNiBridge_WRAP_PYTHON=OFF")
endif()

set(NiBridge_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(${NiBridge_SANITIZER_FLAGS} -fsanitize=fuzzer-no-link)
add_compile_definitions(_GLIBCXX_ASSERTIONS)
# Debian's ITK headers know no compiler but GCC: see the header.
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-include${PROJECT_SOURCE_DIR}/Utilities/SanitizersITKCompilerDetection.h>")
add_link_options(${NiBridge_SANITIZER_FLAGS})

# What the tests that run the tools (ni2npy's pytest suites, the fuzz targets) run with: LSan's suppressions for the
# embedded interpreter and ITK's NrrdIO (see the file), and checks that cost a little speed (use after return).
# The GoogleTests run with the sanitizers' defaults, which detect leaks too: they reach neither.
set(NiBridge_SANITIZER_TEST_ENVIRONMENT
  "ASAN_OPTIONS=detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:detect_leaks=1"
  "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/Utilities/lsan-suppressions.txt:print_suppressions=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

# A libFuzzer target from one source file: libFuzzer's main and the sanitizers, over NiBridgeCore (and the private
# headers of Modules/Core/src, for the in-memory entry points).
function(nibridge_add_fuzz_target target source)
  add_executable(${target} ${source})
  target_link_libraries(${target} PRIVATE NiBridgeCore ${ARGN})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/Modules/Core/src)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
endfunction()
