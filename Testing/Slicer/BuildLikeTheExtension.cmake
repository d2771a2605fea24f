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
include(${SOURCE_DIR}/Utilities/QuerySlicerCoreSDK.cmake)
nibridge_query_slicer_core_sdk(${PYTHON} sdk)

execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G ${GENERATOR}
    -DNiBridge_SLICER_ITK_DIR:PATH=${sdk_THIRD_PARTY}/lib/cmake/ITK-5.4
    -DNiBridge_SLICER_ITKFACTORIES_DIR:STRING=lib/Slicer-${sdk_VERSION}/ITKFactories
    -DPython3_EXECUTABLE:FILEPATH=${PYTHON}
    -DCMAKE_CXX_FLAGS:STRING=-D_GLIBCXX_USE_CXX11_ABI=0
    -DCMAKE_PREFIX_PATH:PATH=${sdk_THIRD_PARTY}
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
  if(NOT EXISTS ${BINARY_DIR}/install/lib/Slicer-${sdk_VERSION}/ITKFactories/${file})
    message(FATAL_ERROR "the install has no lib/Slicer-${sdk_VERSION}/ITKFactories/${file}")
  endif()
endforeach()
