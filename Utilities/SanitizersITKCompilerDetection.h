/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// Force-included (-include) into every C++ file of the sanitizer build (Utilities/Sanitizers.cmake), which compiles
// with clang against Debian's ITK 5.2. Debian generated ITK's itk_compiler_detection.h for GCC only: it stops with
// "Unsupported compiler" under clang. Its features (C++11/14 keywords) are clang's too, so it is read once here as
// for the GCC that built ITK (12.2); its include guard keeps ITK's headers from reading it again.
#if defined(__cplusplus) && defined(__clang__) && __has_include(<itk_compiler_detection.h>)
#  pragma push_macro("__clang__")
#  pragma push_macro("__GNUC__")
#  pragma push_macro("__GNUC_MINOR__")
#  pragma push_macro("__GNUC_PATCHLEVEL__")
#  undef __clang__
#  undef __GNUC__
#  undef __GNUC_MINOR__
#  undef __GNUC_PATCHLEVEL__
#  define __GNUC__ 12
#  define __GNUC_MINOR__ 2
#  define __GNUC_PATCHLEVEL__ 0
#  include <itk_compiler_detection.h>
#  pragma pop_macro("__GNUC_PATCHLEVEL__")
#  pragma pop_macro("__GNUC_MINOR__")
#  pragma pop_macro("__GNUC__")
#  pragma pop_macro("__clang__")
#endif
