# cmake -DCLANG_FORMAT=... -DSOURCE_DIR=... -P CheckFormat.cmake
# Fails, listing the files, if any C++ file of the project differs from clang-format's output.
if(NOT CLANG_FORMAT)
  message(FATAL_ERROR "clang-format was not found: install Debian's clang-format (Utilities/debian-packages.txt)")
endif()
file(GLOB_RECURSE sources LIST_DIRECTORIES false
  "${SOURCE_DIR}/Modules/*.h" "${SOURCE_DIR}/Modules/*.cxx" "${SOURCE_DIR}/Modules/*.cpp"
  "${SOURCE_DIR}/Testing/*.h" "${SOURCE_DIR}/Testing/*.cxx" "${SOURCE_DIR}/Testing/*.cpp"
  "${SOURCE_DIR}/Documentation/*.h" "${SOURCE_DIR}/Documentation/*.cxx")
set(unformatted "")
foreach(source ${sources})
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror --style=file ${source}
    RESULT_VARIABLE result OUTPUT_QUIET ERROR_QUIET)
  if(NOT result EQUAL 0)
    list(APPEND unformatted ${source})
  endif()
endforeach()
list(LENGTH sources checked)
if(unformatted)
  string(REPLACE ";" "\n  " listing "${unformatted}")
  message(FATAL_ERROR "not clang-formatted (run clang-format -i on them):\n  ${listing}")
endif()
message(STATUS "${checked} C++ files are clang-formatted")
