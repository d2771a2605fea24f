/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeGeometry_h
#define itkNiBridgeGeometry_h

#include "NiBridgeCoreExport.h"

#include "itkMetaDataDictionary.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** A 4x4 matrix in row-major order: element (row, column) is `[row][column]`. */
using AffineMatrix = std::array<std::array<double, 4>, 4>;

/** \class ImageGeometry
 * \brief The geometry of an N-dimensional ITK image: spacing, origin and direction (LPS, mm).
 *
 * `direction[row][column]`; column c is the physical direction of index axis c, so that a
 * physical point is `p = origin + direction * diag(spacing) * index`.
 * \ingroup NiBridgeCore
 */
struct NiBridgeCore_EXPORT ImageGeometry
{
  std::vector<double>              spacing;
  std::vector<double>              origin;
  std::vector<std::vector<double>> direction;

  /** The RAS+ affine this geometry was made from, if any. Direction x spacing in double arithmetic
   * cannot reproduce every bit of every affine (for about half of random oblique affines one
   * element comes back 1 ulp off), so RASAffineFromGeometry returns this affine unchanged while
   * the geometry still agrees with it to within rounding; a geometry edited since is converted. */
  std::optional<AffineMatrix> sourceAffine;

  /** The identity geometry of the given dimension: unit spacing, zero origin. */
  static ImageGeometry
  Identity(unsigned int dimension);

  unsigned int
  GetDimension() const
  {
    return static_cast<unsigned int>(spacing.size());
  }
};

/** The number of spatial axes of an image of the given dimension: min(dimension, 3). */
NiBridgeCore_EXPORT unsigned int
SpatialDimension(unsigned int dimension);

/** Converts a nibabel affine (voxel (i, j, k) to RAS+ mm) to the ITK geometry of an image
 * with `dimension` axes (2 to 5).
 *
 * With `F = diag(-1, -1, 1)`: `M = F A[:3,:3]`, spacing = column norms of M, direction =
 * M / spacing, origin = F A[:3,3]. Shears are kept (the direction is then not orthogonal).
 * Axes beyond the third are non-spatial (time, ...): identity direction, zero origin and the
 * spacing given in `extraAxisSpacing` (1 where none is given).
 * A 2D image takes the upper-left 2x2 block; an affine whose first two columns leave the
 * x-y plane, or whose k column matters, cannot be a 2D ITK geometry and is refused.
 * Throws `itk::ExceptionObject` naming `what` for non-finite, singular or out-of-plane input.
 */
NiBridgeCore_EXPORT ImageGeometry
GeometryFromRASAffine(const AffineMatrix &        affine,
                      unsigned int                dimension,
                      const std::vector<double> & extraAxisSpacing = {},
                      const std::string &         what = "affine");

/** Converts an ITK geometry back to the nibabel RAS+ affine of its first three axes.
 * For a 2D image the k column is (0, 0, 1). The exact inverse of GeometryFromRASAffine: the
 * geometry's `sourceAffine` when it still agrees (to within a few ulps of each column's largest element); otherwise
 * computed, within 2 ulps per element but for elements far below their column's length (a subnormal beside a 1 mm step
 * may come back as 0).
 * Throws `itk::ExceptionObject` for non-finite values or a singular spatial direction.
 */
NiBridgeCore_EXPORT AffineMatrix
RASAffineFromGeometry(const ImageGeometry & geometry, const std::string & what = "image geometry");

/** A direction element as an ITK image can hold it: an element below the square root of the smallest normal double
 * in magnitude (1.5e-154: subnormals, and tiny normal numbers) becomes a zero of its sign, anything else stays as it
 * is. ITK inverts every image's direction with vnl's SVD, which fails on a matrix holding such an element (it prints
 * "suspicious return value" and gives NaN): a point's index would be NaN. Subnormals did; so did pairs of normal
 * elements near 2^-1018 (a fuzz finding; a sweep found failures up to 2^-972 and none above), so the bound keeps a wide
 * margin. The affine loses nothing it can show (the element is far below every rounding of its unit column).
 * GeometryFromRASAffine, the helper process of ITK's readers and the Python package apply it to every element. */
NiBridgeCore_EXPORT double
DirectionElementITKInverts(double element);

/** Throws `itk::ExceptionObject` naming `what` unless every element is finite, the last row
 * is (0, 0, 0, 1) and the upper-left 3x3 block is invertible. */
NiBridgeCore_EXPORT void
ValidateRASAffine(const AffineMatrix & affine, const std::string & what = "affine");

/** \class NiftiAffineFields
 * \brief The NIfTI-1 or NIfTI-2 header fields that decide the affine, exactly as stored (native byte order; NIfTI-1's
 * float32 fields widened to double, exactly).
 * \ingroup NiBridgeCore
 */
struct NiBridgeCore_EXPORT NiftiAffineFields
{
  bool                        singlePrecision = true; // NIfTI-1 (float32 fields) or NIfTI-2 (float64)
  std::array<std::int64_t, 8> dim{};
  std::array<double, 8>       pixdim{};
  int                         qformCode = 0;
  int                         sformCode = 0;
  double                      quaternB = 0, quaternC = 0, quaternD = 0;
  double                      qoffsetX = 0, qoffsetY = 0, qoffsetZ = 0;
  std::array<double, 4>       srowX{}, srowY{}, srowZ{};
};

/** The affine nibabel's `img.affine` gives for a NIfTI header, bit for bit: the sform if
 * sform_code != 0, else the qform if qform_code != 0 (quaternion completed in long double, as
 * nibabel does), else nibabel's fallback (Analyze-style: x flipped, centred on the volume).
 * Header fixes nibabel applies on load are applied too (qfac not +-1 taken as 1, negative or zero
 * pixdims made positive or 1). Throws `itk::ExceptionObject` naming `what` for a quaternion that
 * is not a rotation. */
NiBridgeCore_EXPORT AffineMatrix
NiBabelAffineFromNiftiFields(const NiftiAffineFields & fields, const std::string & what = "NIfTI header");

/** The key under which NiBridge keeps an image's original RAS+ 4x4 affine (16 doubles, row-major)
 * in the MetaDataDictionary. */
NiBridgeCore_EXPORT const char *
RASAffineMetaDataKey();

/** Stores `affine` under RASAffineMetaDataKey: 16 numbers, row-major, with 17 significant digits so that
 * they read back bit for bit. */
NiBridgeCore_EXPORT void
StoreRASAffine(MetaDataDictionary & dictionary, const AffineMatrix & affine);

/** The affine stored under RASAffineMetaDataKey; nullopt when there is none or it is not 16 numbers. */
NiBridgeCore_EXPORT std::optional<AffineMatrix>
                    StoredRASAffine(const MetaDataDictionary & dictionary);

} // namespace nibridge
} // namespace itk

#endif
