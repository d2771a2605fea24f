/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeDeterminant_h
#define itkNiBridgeDeterminant_h

// PRIVATE to NiBridgeCore.

namespace itk
{
namespace nibridge
{
/** The determinant of a 3x3 matrix, expanded along its first row (the one order of evaluation every caller shares). */
inline double
Determinant3(const double matrix[3][3])
{
  return matrix[0][0] * (matrix[1][1] * matrix[2][2] - matrix[1][2] * matrix[2][1]) -
         matrix[0][1] * (matrix[1][0] * matrix[2][2] - matrix[1][2] * matrix[2][0]) +
         matrix[0][2] * (matrix[1][0] * matrix[2][1] - matrix[1][1] * matrix[2][0]);
}
} // namespace nibridge
} // namespace itk

#endif
