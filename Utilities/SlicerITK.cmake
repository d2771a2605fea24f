# The Slicer build of NiBridge's plugin: NiBridge's readers (nibabel-rule NIfTI-1/2 and Analyze, MGH/MGZ, .npy and the
# embedded nibabel reader) built from the same sources against the ITK that 3D Slicer runs, for the ITKFactories folder
# of a Slicer extension. The root CMakeLists.txt includes this file in place of its find_package(ITK) when one of two
# variables names that ITK:
#
# - NiBridge_SLICER_PYTHON: the Python of an environment that holds slicer-core-sdk (and slicer-core, whose ITK the
#   plugin will run in); everything else is found in the SDK. This is the build the tests use:
#
#     cmake -S . -B build/slicer -G Ninja -DNiBridge_SLICER_PYTHON=<environment>/bin/python
#
# - NiBridge_SLICER_ITK_DIR: the ITK_DIR of a Slicer build tree, with NiBridge_SLICER_ITKFACTORIES_DIR (Slicer's
#   Slicer_INSTALL_ITKFACTORIES_DIR), Python3_EXECUTABLE (and Python3_INCLUDE_DIR, Python3_LIBRARY) of Slicer's Python,
#   Slicer's compilers and CMAKE_CXX_FLAGS (with them the string ABI Slicer's ITK was built with) and, when Slicer's ITK
#   uses TBB, TBB_DIR. The extension's CMake (Modules/Slicer/NiBridgeExtension.cmake) passes exactly these.
#
# The Python named is the one the plugin embeds: in Slicer it is already running when the plugin reads its first file,
# and NiBridge's interpreter uses the running one. Only the libraries and the plugin are built (no tests, tools, Python
# package or CMake package); NiBridge's libraries are linked into the plugin statically, so that the extension's
# folder holds nothing a Slicer process could confuse with another build of NiBridge.
#
# What Slicer's ITK needs, all of it here:
# 1. Namespace. slicer-core-sdk's ITK is built with ITK_NAMESPACE slicer_itk, and its itkNamespace.h defines `itk` as a
#    macro naming it: NiBridge's sources, which write itk::, compile unchanged. Nothing of Debian's ITK may be on the
#    include path: the include directories come from this ITK's configuration only.
# 2. String ABI. The SDK's libraries use libstdc++'s old std::string and std::list (_GLIBCXX_USE_CXX11_ABI=0: their
#    exported symbols have no __cxx11). Every C++ source of the SDK build is compiled the same way, or the file names
#    and exception texts that cross into ITK would be read in another layout. (A Slicer build tree's ITK was compiled
#    with the compiler and flags the extension passes: they are used as they are.)
# 3. VTK glue. ITKConfig.cmake loads every enabled module's file before the ones asked for, ITKVtkGlue's among them,
#    which looks for VTK (in the SDK: in a folder of the machine that built the wheel) and stops the configuration when
#    VTK is not there. NiBridge uses no VTK: the module is marked loaded beforehand (ITKModuleAPI's itk_module_load
#    then skips its file), so that no VTK is looked for.
# 4. TBB. ITKCommon links TBB::tbb, whose CMake configuration the SDK ships (content/third_party/lib/cmake/TBB), but
#    ITK's module file points TBB_DIR at the build machine: the SDK's third_party prefix goes on CMAKE_PREFIX_PATH.
#
# Sets NiBridge_SLICER_ITKFACTORIES_DIR (where the plugin goes, relative to an install prefix or the build tree:
# lib/Slicer-X.Y/ITKFactories, an extension's layout).

if(NiBridge_SLICER_PYTHON)
  include(${CMAKE_CURRENT_LIST_DIR}/QuerySlicerCoreSDK.cmake)
  nibridge_query_slicer_core_sdk(${NiBridge_SLICER_PYTHON} NiBridge_SLICER)
  set(NiBridge_SLICER_ITKFACTORIES_DIR lib/Slicer-${NiBridge_SLICER_VERSION}/ITKFactories)

  # The Python embedded and the one every build step runs: the root CMakeLists.txt takes it from here.
  set(Python3_EXECUTABLE ${NiBridge_SLICER_PYTHON})

  # 2. The string ABI, for every C++ source of this build.
  add_compile_definitions(_GLIBCXX_USE_CXX11_ABI=0)
  # 4. The SDK's TBB, for ITKCommon's TBB::tbb.
  list(PREPEND CMAKE_PREFIX_PATH ${NiBridge_SLICER_THIRD_PARTY})
  set(NiBridge_SLICER_ITK_DIR ${NiBridge_SLICER_THIRD_PARTY}/lib/cmake/ITK-5.4)
  set(NiBridge_SLICER_ITK_ORIGIN "slicer-core-sdk ${NiBridge_SLICER_SDK_VERSION}")
else()
  # A Slicer build tree's ITK, as the extension's CMake passes it: compilers, flags and Python are Slicer's already.
  if(NOT NiBridge_SLICER_ITKFACTORIES_DIR)
    message(FATAL_ERROR "NiBridge_SLICER_ITK_DIR (${NiBridge_SLICER_ITK_DIR}) needs NiBridge_SLICER_ITKFACTORIES_DIR, "
      "the folder of a Slicer extension's ITK plugins (Slicer's Slicer_INSTALL_ITKFACTORIES_DIR, lib/Slicer-X.Y/"
      "ITKFactories)")
  endif()
  if(NOT Python3_EXECUTABLE)
    message(FATAL_ERROR "NiBridge_SLICER_ITK_DIR (${NiBridge_SLICER_ITK_DIR}) needs Python3_EXECUTABLE: Slicer's "
      "Python, the one the plugin embeds")
  endif()
  set(NiBridge_SLICER_ITK_ORIGIN "a Slicer build tree")
endif()

# 3. ITK's configuration without VTK, from the folder named only.
set(ITKVtkGlue_LOADED 1)
find_package(ITK 5.4 REQUIRED COMPONENTS ITKCommon ITKIOImageBase PATHS ${NiBridge_SLICER_ITK_DIR} NO_DEFAULT_PATH)
include(${ITK_USE_FILE})
if(NOT ITK_VERSION_MAJOR EQUAL 5 OR NOT ITK_VERSION_MINOR EQUAL 4)
  message(FATAL_ERROR "${NiBridge_SLICER_ITK_ORIGIN} has ITK ${ITK_VERSION}: this build is checked against ITK 5.4 only")
endif()

# Only the plugin and the libraries in it, static. The plugin's readers never reach ITK's own ImageIOs through
# NiBridge's list: in Slicer they are Slicer's, registered by Slicer's ITK.
set(NiBridge_SHARED_LIBS OFF CACHE BOOL "Build NiBridge's libraries shared" FORCE)
set(NiBridge_BUILD_TESTING OFF CACHE BOOL "Build the NiBridge tests" FORCE)
set(NiBridge_WRAP_PYTHON OFF CACHE BOOL "Build the nibridge._core Python extension" FORCE)
set(NiBridge_ITK_IO_MODULES "")
message(STATUS "NiBridge for 3D Slicer: ITK ${ITK_VERSION} of ${NiBridge_SLICER_ITK_ORIGIN}; the plugin goes to "
  "${NiBridge_SLICER_ITKFACTORIES_DIR}")
