/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyConversion_h
#define ni2npyConversion_h

#include "itkNiBridgeGeometry.h"

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace ni2npy
{
/** What one conversion is asked to do (the command line, parsed). */
struct ConversionOptions
{
  std::string input;
  std::string output;            // "-": standard output
  std::string dtype = "float64"; // a NumPy name, "keep", "complex64" or "complex128"
  std::string affineOutput;      // empty: no affine written
  bool        allowLossy = false;
  bool        force = false; // replace existing outputs
  bool        verbose = false;
};

/** What a conversion wrote: the .npy's shape and dtype, and the image's affine. */
struct ConversionResult
{
  std::vector<std::uint64_t>  shape;
  std::string                 dtype; // a NumPy name; complex64 / complex128 for complex data
  itk::nibridge::AffineMatrix affine{};
  bool                        hasAffine = true;
};

/** An output exists and `force` is off: nothing was read or written. */
class OutputExists : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

/** Converts `options.input` to a .npy in nibabel's voxel order (Fortran order, shape (i, j, k, ...),
 * components trailing), and the affine if asked. Outputs are written to temporary files and renamed
 * into place only when complete; an existing output is kept unless `force` (OutputExists). An output
 * that is a symbolic link is written through; one that is a FIFO or a device, or "-" (standard
 * output), gets the whole file when it is complete. Throws std::runtime_error with a one-line
 * message naming the input and the reason. */
ConversionResult
Convert(const ConversionOptions & options);

/** The one-line reason of the exception `error` a conversion of `input` threw: "\"<file>\": <reason>", naming the
 * output when the output was at fault, else the input. With `verbose`, a Python traceback is kept. */
std::string
FailureLine(std::exception_ptr error, const std::string & input, bool verbose);

/** The names `--dtype` accepts: float64 (the default), Core's other component types but bool, and "keep". */
std::vector<std::string>
SupportedDTypeNames();

} // namespace ni2npy

#endif
