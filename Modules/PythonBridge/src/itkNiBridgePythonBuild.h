/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgePythonBuild_h
#define itkNiBridgePythonBuild_h

// PRIVATE to NiBridgePython. What CMake found out about the build's Python, and the nibabel helper's source:
// both are generated .cxx files (Modules/PythonBridge/CMakeLists.txt).

#include "ITKCommonExport.h" // before `namespace itk`: it names ITK's own namespace where it has one (slicer_itk)

#include <cstddef>

namespace itk
{
namespace nibridge
{
namespace build
{
/** The build Python's sys.base_prefix. */
extern const char * const PythonHome;
/** The build Python's site-packages (site.getsitepackages(): a virtual environment's first). */
extern const char * const PythonSitePackages[];
extern const std::size_t  NumberOfPythonSitePackages;
/** The libpython linked against: its real path, and its soname. */
extern const char * const PythonLibraryPath;
extern const char * const PythonLibrarySOName;

/** The bytes of Modules/PythonBridge/python/nibridge_nibabel_io.py, and their number. */
extern const unsigned char NiBabelHelperSource[];
extern const std::size_t   NiBabelHelperSourceSize;
} // namespace build
} // namespace nibridge
} // namespace itk

#endif
