/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeNumberText_h
#define itkNiBridgeNumberText_h

// PRIVATE to NiBridgeCore. Numbers as Python and NumPy print them, so that the metadata the native readers
// write is the text NiBabelImageIO's Python side writes for the same header (nibridge_nibabel_io.as_text).

#include <cstddef>
#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** `str(numpy.float64(value))`, which is also Python's `repr(float(value))`: the shortest digits that read back
 * exactly, positional for 1e-4 <= |value| < 1e16 ("0.5", "100.0"), scientific otherwise ("1e-05", "1.5e+16"),
 * "nan", "inf", "-inf". */
std::string
PythonFloatText(double value);

/** `str(numpy.float32(value))`: the shortest digits that read back as the same float32, positional for
 * 1e-4 <= |value| < 1e6, scientific otherwise ("1.2345679e+08"). */
std::string
NumPyFloat32Text(float value);

/** The PythonFloatText of each value, space-separated, as nibridge_nibabel_io.as_text writes a sequence. */
std::string
PythonFloatTexts(const std::vector<double> & values);

/** The NumPyFloat32Text of each of `count` values, space-separated (a float32 header array). */
std::string
NumPyFloat32Texts(const float * values, std::size_t count);

} // namespace nibridge
} // namespace itk

#endif
