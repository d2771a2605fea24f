# The plugin's build as the Slicer extension starts it (Modules/Slicer/NiBridgeExtension.cmake, NiBridge_BUILD_ITK_PLUGIN):
# NiBridge's root CMakeLists.txt given NiBridge_SLICER_ITK_DIR, NiBridge_SLICER_ITKFACTORIES_DIR, Slicer's Python and
# the flags of Slicer's ITK. No Slicer build tree here: the ITK is slicer-core-sdk's, and what a Slicer build tree's
# ITK module files would name is given as the SDK has it (its TBB on CMAKE_PREFIX_PATH, its string ABI in the flags).
#
#   cmake -DSOURCE_DIR=<NiBridge> -DBINARY_DIR=<folder> -DPYTHON=<venv-slicer-core>/bin/python -DGENERATOR=Ninja
#         -P BuildLikeTheExtension.cmake
foreach(variable SOURCE_DIR BINARY_DIR PYTHON GENERATOR)
  if(NOT ${variable})
    message(FATAL_ERROR "BuildLikeTheExtension.cmake needs -D${variable}=...")
  endif()
endforeach()
execute_process(
  COMMAND ${PYTHON} -c
    "import os, slicer_core_sdk, slicer_core_sdk._version as v; print(os.path.dirname(slicer_core_sdk.__file__)); print(v.__version__)"
  OUTPUT_VARIABLE query OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_VARIABLE error RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${PYTHON} cannot import slicer_core_sdk (Testing/Plugin/requirements-slicer-core.txt):\n${error}")
endif()
string(REPLACE "\n" ";" query "${query}")
list(GET query 0 sdk)
list(GET query 1 version)
string(REGEX MATCH "^[0-9]+\\.[0-9]+" version "${version}")
set(third_party ${sdk}/content/third_party)

execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G ${GENERATOR}
    -DNiBridge_SLICER_ITK_DIR:PATH=${third_party}/lib/cmake/ITK-5.4
    -DNiBridge_SLICER_ITKFACTORIES_DIR:STRING=lib/Slicer-${version}/ITKFactories
    -DPython3_EXECUTABLE:FILEPATH=${PYTHON}
    -DCMAKE_CXX_FLAGS:STRING=-D_GLIBCXX_USE_CXX11_ABI=0
    -DCMAKE_PREFIX_PATH:PATH=${third_party}
    -DCMAKE_BUILD_TYPE:STRING=Release
    -DCMAKE_INSTALL_PREFIX:PATH=${BINARY_DIR}/install
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configuring NiBridge as the Slicer extension does failed (${result})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target install -j2 RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "building and installing the plugin as the Slicer extension does failed (${result})")
endif()
# What the extension packages: the installed ITKFactories folder, the loader and the plugin beside it.
foreach(file libNiBridgePlugin.so itk-5.4/libNiBridgePluginITK.so itk-5.4/nibabel/libNiBridgePluginNiBabel.so)
  if(NOT EXISTS ${BINARY_DIR}/install/lib/Slicer-${version}/ITKFactories/${file})
    message(FATAL_ERROR "the install has no lib/Slicer-${version}/ITKFactories/${file}")
  endif()
endforeach()
