# The 3D Slicer extension NiBridge: the scripted module NiBridgeLoader (nibabel's formats into MRML volume nodes,
# and back to .mgz / NIfTI-2) and, optionally, NiBridge's ITK plugin built against Slicer's own ITK.
#
# Slicer's extension build (the Extensions Index's, or a developer's) configures a repository's top folder against a
# Slicer build tree; NiBridge's root CMakeLists.txt includes this file, after project(NiBridge), when Slicer_DIR is
# given, and builds nothing else:
#
#   cmake -S . -B <build> -DSlicer_DIR=<Slicer-superbuild>/Slicer-build [-DNiBridge_BUILD_ITK_PLUGIN=ON]
#
# Not configured or built here: there is no Slicer build tree on this machine. What is tested: the module's logic, with
# slicer-core (Testing/Slicer), and the plugin's build with the variables passed below (Testing/Slicer/CMakeLists.txt,
# slicer.build_tree_plugin, against slicer-core-sdk's ITK). See Documentation/Slicer.md.

#-----------------------------------------------------------------------------
# Extension meta-information (also in NiBridge.s4ext; Testing/Slicer checks that the two agree)
# TODO: the repository's public address, once it has one (also in NiBridge.s4ext).
set(EXTENSION_HOMEPAGE "https://github.com/OWNER/NiBridge/blob/main/Documentation/Slicer.md")
set(EXTENSION_CATEGORY "Informatics")
set(EXTENSION_CONTRIBUTORS "NiBridge contributors")
set(EXTENSION_DESCRIPTION "Loads MGH/MGZ, MINC, PAR/REC, AFNI, ECAT and NIfTI-2 volumes with nibabel's geometry into \
volume nodes (4-D files as sequences), and saves volume nodes as .mgz or NIfTI-2.")
set(EXTENSION_ICONURL "https://raw.githubusercontent.com/OWNER/NiBridge/main/Modules/Slicer/NiBridge.png")
set(EXTENSION_SCREENSHOTURLS "https://raw.githubusercontent.com/OWNER/NiBridge/main/Documentation/slicer-oblique.png")
set(EXTENSION_DEPENDS "NA") # nibabel is a Python package: the module installs it on demand (pip_install)

#-----------------------------------------------------------------------------
# Extension dependencies
find_package(Slicer REQUIRED)
include(${Slicer_USE_FILE})

#-----------------------------------------------------------------------------
# Extension modules
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/NiBridgeLoader ${CMAKE_CURRENT_BINARY_DIR}/NiBridgeLoader)

#-----------------------------------------------------------------------------
# NiBridge's ITK plugin, built against the ITK Slicer_USE_FILE found (Slicer's own: ITK_DIR points into Slicer's
# build tree), from this repository's sources, as a separate CMake project: NiBridge's root CMakeLists.txt is its one
# build (the Slicer build of Utilities/SlicerITK.cmake, which takes the variables passed here), and the plugin must be
# compiled as Slicer's ITK was (compilers and flags, and with them libstdc++'s string ABI; ITK's own module files
# name Slicer's TBB). It is installed where Slicer looks for an extension's ITK factories,
# ${Slicer_INSTALL_ITKFACTORIES_DIR} (lib/Slicer-X.Y/ITKFactories): the loader libNiBridgePlugin.so and its itk-X.Y/
# folder. Off by default: the module reads every format through nibabel without it (Documentation/Slicer.md).
option(NiBridge_BUILD_ITK_PLUGIN "Build NiBridge's ITK plugin against Slicer's ITK (into the ITKFactories folder)" OFF)
if(NiBridge_BUILD_ITK_PLUGIN)
  include(ExternalProject)
  set(NiBridge_PLUGIN_STAGING ${CMAKE_CURRENT_BINARY_DIR}/NiBridgePlugin-install)
  ExternalProject_Add(NiBridgeITKPlugin
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${CMAKE_CURRENT_BINARY_DIR}/NiBridgePlugin-build
    INSTALL_DIR ${NiBridge_PLUGIN_STAGING}
    CMAKE_CACHE_ARGS
      -DNiBridge_SLICER_ITK_DIR:PATH=${ITK_DIR}
      -DNiBridge_SLICER_ITKFACTORIES_DIR:STRING=${Slicer_INSTALL_ITKFACTORIES_DIR}
      -DPython3_EXECUTABLE:FILEPATH=${PYTHON_EXECUTABLE}
      -DPython3_INCLUDE_DIR:PATH=${PYTHON_INCLUDE_DIR}
      -DPython3_LIBRARY:FILEPATH=${PYTHON_LIBRARY}
      -DCMAKE_C_COMPILER:FILEPATH=${CMAKE_C_COMPILER}
      -DCMAKE_CXX_COMPILER:FILEPATH=${CMAKE_CXX_COMPILER}
      -DCMAKE_C_FLAGS:STRING=${CMAKE_C_FLAGS}
      -DCMAKE_CXX_FLAGS:STRING=${CMAKE_CXX_FLAGS}
      -DCMAKE_BUILD_TYPE:STRING=${CMAKE_BUILD_TYPE}
      -DCMAKE_INSTALL_PREFIX:PATH=<INSTALL_DIR>
    )
  # Into this extension's package, beside its Python module.
  install(DIRECTORY ${NiBridge_PLUGIN_STAGING}/${Slicer_INSTALL_ITKFACTORIES_DIR}/
    DESTINATION ${Slicer_INSTALL_ITKFACTORIES_DIR} COMPONENT RuntimeLibraries USE_SOURCE_PERMISSIONS)
endif()

#-----------------------------------------------------------------------------
include(${Slicer_EXTENSION_GENERATE_CONFIG})
include(${Slicer_EXTENSION_CPACK})
