/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyConversion_h
#define ni2npyConversion_h

#include <string>
#include <vector>

namespace ni2npy
{
/** What one conversion is asked to do (the command line, parsed). */
struct ConversionOptions
{
  std::string input;
  std::string output;
  std::string dtype = "float64"; // a NumPy name, "keep", "complex64" or "complex128"
  std::string affineOutput;      // empty: no affine written
  bool        allowLossy = false;
  bool        force = false;
  bool        verbose = false;
};

/** Converts `options.input` to a .npy in nibabel's voxel order (Fortran order, shape (i, j, k, ...),
 * components trailing), and the affine if asked. Outputs are written to temporary files and renamed
 * into place only when complete; an existing output is kept unless `force`. Throws
 * std::runtime_error with a one-line message naming the input and the reason. */
void
Convert(const ConversionOptions & options);

/** The names `--dtype` accepts: float64 (the default), Core's other component types but bool, and "keep". */
std::vector<std::string>
SupportedDTypeNames();

} // namespace ni2npy

#endif
