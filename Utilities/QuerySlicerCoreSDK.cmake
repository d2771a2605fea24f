# nibridge_query_slicer_core_sdk(<python> <prefix>): where slicer-core-sdk is in <python>'s environment and which
# Slicer it is. Sets, in the caller's scope, <prefix>_SDK_VERSION (the wheel's version), <prefix>_VERSION (Slicer's
# X.Y) and <prefix>_THIRD_PARTY (the prefix of its ITK, TBB and the rest, in the package's folder); stops
# the configuration, naming the Python and the requirements file, when the SDK cannot be imported. Used by
# Utilities/SlicerITK.cmake and by the test that builds the plugin as the extension does (a -P script: no targets here).
function(nibridge_query_slicer_core_sdk python prefix)
  execute_process(
    COMMAND ${python} -c
      "import os, slicer_core_sdk, slicer_core_sdk._version as v; print(os.path.dirname(slicer_core_sdk.__file__)); print(v.__version__)"
    OUTPUT_VARIABLE query OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_VARIABLE error RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${python} cannot import slicer_core_sdk: install Testing/Plugin/requirements-slicer-core.txt "
      "into its environment.\n${error}")
  endif()
  string(REPLACE "\n" ";" query "${query}")
  list(GET query 0 sdk)
  list(GET query 1 sdk_version)
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" version "${sdk_version}")
  set(${prefix}_SDK_VERSION ${sdk_version} PARENT_SCOPE)
  set(${prefix}_VERSION ${version} PARENT_SCOPE)
  set(${prefix}_THIRD_PARTY ${sdk}/content/third_party PARENT_SCOPE)
endfunction()
