/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeGeometry.h"

#include "itkNiBridgeDeterminant.h"

#include "itkMacro.h"
#include "itkMetaDataObject.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace itk
{
namespace nibridge
{
namespace
{
// F = diag(-1, -1, 1): RAS+ <-> LPS flips the first two physical axes.
constexpr double RasToLpsSign[3] = { -1.0, -1.0, 1.0 };

constexpr double LeastVoxelSize = 1e-300;
constexpr double GreatestVoxelSize = 1e300;

double
ColumnLength(const double * values, unsigned int size);

/** True if the columns of the square matrix are far from linearly dependent, relative to their length. */
bool
IsWellConditioned(const double matrix[3][3], unsigned int size)
{
  double columnNormProduct = 1.0;
  double scaled[3][3];
  for (unsigned int column = 0; column < size; ++column)
  {
    double values[3] = { 0.0, 0.0, 0.0 };
    for (unsigned int row = 0; row < size; ++row)
    {
      values[row] = matrix[row][column];
    }
    const double length = ColumnLength(values, size);
    if (!(length > 0.0) || !std::isfinite(length))
    {
      return false;
    }
    // Judged on unit columns: a column of subnormals, or one near the largest double, neither under- nor overflows.
    for (unsigned int row = 0; row < size; ++row)
    {
      scaled[row][column] = matrix[row][column] / length;
    }
  }
  matrix = scaled;
  double determinant = 0.0;
  if (size == 3)
  {
    determinant = Determinant3(matrix);
  }
  else if (size == 2)
  {
    determinant = matrix[0][0] * matrix[1][1] - matrix[0][1] * matrix[1][0];
  }
  else
  {
    determinant = matrix[0][0];
  }
  // Hadamard: |det| <= product of column norms; a tiny ratio means (nearly) parallel columns.
  return std::abs(determinant) > 1e-12 * columnNormProduct;
}

/** The length of a column of `size` numbers: sqrt of the sum of squares, as NumPy's norm computes it (so that spacings
 * are the numbers nibabel users compute), or, where the squares overflow or underflow (a step near the largest double,
 * a column of subnormals), the same length computed on the column scaled by its largest element. */
double
ColumnLength(const double * values, unsigned int size)
{
  double sumOfSquares = 0.0;
  double largest = 0.0;
  for (unsigned int row = 0; row < size; ++row)
  {
    sumOfSquares += values[row] * values[row];
    largest = std::max(largest, std::abs(values[row]));
  }
  if (std::isfinite(sumOfSquares) && sumOfSquares >= std::numeric_limits<double>::min())
  {
    return std::sqrt(sumOfSquares);
  }
  if (largest == 0.0 || !std::isfinite(largest))
  {
    return largest == 0.0 ? 0.0 : largest;
  }
  double scaledSum = 0.0;
  for (unsigned int row = 0; row < size; ++row)
  {
    const double scaled = values[row] / largest;
    scaledSum += scaled * scaled;
  }
  return largest * std::sqrt(scaledSum);
}

/** The direction element d = m / spacing, chosen among the neighbouring doubles so that
 * d * spacing == m exactly when such a double exists: RASAffineFromGeometry then gives back the
 * affine bit for bit. */
double
DirectionElementThatRoundTrips(double matrixElement, double spacing)
{
  const double quotient = matrixElement / spacing;
  if (quotient * spacing == matrixElement)
  {
    return quotient;
  }
  double below = quotient, above = quotient;
  for (int step = 0; step < 4; ++step)
  {
    below = std::nextafter(below, -std::numeric_limits<double>::infinity());
    above = std::nextafter(above, std::numeric_limits<double>::infinity());
    if (below * spacing == matrixElement)
    {
      return below;
    }
    if (above * spacing == matrixElement)
    {
      return above;
    }
  }
  return quotient;
}

/** True if the two affines are the same to within rounding: each element of the 3x3 part to within a few ulps of its
 * column's largest element (the conversion divides a column by its length, the spacing, so that is the scale of its
 * rounding: an element far smaller than its column, such as a subnormal beside a 1 mm step, may come back as 0 and
 * still agree), the translation and the last row element by element (they are copied, not computed). */
bool
AgreeToRounding(const AffineMatrix & first, const AffineMatrix & second, unsigned int spatial = 3)
{
  constexpr double tolerance = 4.0 * std::numeric_limits<double>::epsilon();
  for (unsigned int column = 0; column < 4; ++column)
  {
    double columnScale = 0.0;
    for (unsigned int row = 0; column < 3 && row < 3; ++row)
    {
      columnScale = std::max({ columnScale, std::abs(first[row][column]), std::abs(second[row][column]) });
    }
    for (unsigned int row = 0; row < 4; ++row)
    {
      if (row < 3 && row >= spatial && column == row)
      {
        continue; // the step along an axis a 2D (or 1D) geometry does not have: the affine's own
      }
      const double a = first[row][column], b = second[row][column];
      const double scale = column < 3 && row < 3 ? columnScale : std::max(std::abs(a), std::abs(b));
      if (!(std::abs(a - b) <= tolerance * scale))
      {
        return false;
      }
    }
  }
  return true;
}

std::string
FormatAffine(const AffineMatrix & affine)
{
  std::ostringstream text;
  text.precision(17);
  text << '[';
  for (unsigned int row = 0; row < 4; ++row)
  {
    text << (row ? ", [" : "[");
    for (unsigned int column = 0; column < 4; ++column)
    {
      text << (column ? ", " : "") << affine[row][column];
    }
    text << ']';
  }
  text << ']';
  return text.str();
}
} // namespace

ImageGeometry
ImageGeometry::Identity(unsigned int dimension)
{
  ImageGeometry geometry;
  geometry.spacing.assign(dimension, 1.0);
  geometry.origin.assign(dimension, 0.0);
  geometry.direction.assign(dimension, std::vector<double>(dimension, 0.0));
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    geometry.direction[axis][axis] = 1.0;
  }
  return geometry;
}

unsigned int
SpatialDimension(unsigned int dimension)
{
  return dimension < 3 ? dimension : 3;
}

void
ValidateRASAffine(const AffineMatrix & affine, const std::string & what)
{
  for (const auto & row : affine)
  {
    for (double value : row)
    {
      if (!std::isfinite(value))
      {
        itkGenericExceptionMacro(<< what << ": the affine has a non-finite element: " << FormatAffine(affine));
      }
    }
  }
  if (affine[3][0] != 0.0 || affine[3][1] != 0.0 || affine[3][2] != 0.0 || affine[3][3] != 1.0)
  {
    itkGenericExceptionMacro(<< what << ": the affine's last row is not (0, 0, 0, 1): " << FormatAffine(affine));
  }
  double linear[3][3];
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      linear[row][column] = affine[row][column];
    }
  }
  if (!IsWellConditioned(linear, 3))
  {
    itkGenericExceptionMacro(<< what << ": the affine's 3x3 part is singular (a zero or repeated axis): "
                             << FormatAffine(affine));
  }
  // ITK inverts an image's index-to-physical matrix with vnl's SVD, which does not end for steps near the limits of
  // double (a voxel size of 1.7e308 mm, or of a few subnormals): such affines are refused, not handed to it.
  for (unsigned int column = 0; column < 3; ++column)
  {
    const double values[3] = { linear[0][column], linear[1][column], linear[2][column] };
    const double length = ColumnLength(values, 3);
    if (!(length >= LeastVoxelSize && length <= GreatestVoxelSize))
    {
      itkGenericExceptionMacro(<< what << ": the voxel size along axis " << column << " is " << length
                               << " mm, beyond the 1e-300 to 1e300 mm an ITK image's geometry holds: "
                               << FormatAffine(affine));
    }
  }
}

ImageGeometry
GeometryFromRASAffine(const AffineMatrix &        affine,
                      unsigned int                dimension,
                      const std::vector<double> & extraAxisSpacing,
                      const std::string &         what)
{
  if (dimension < 2 || dimension > 5)
  {
    itkGenericExceptionMacro(<< what << ": images of " << dimension << " dimensions are not supported (2 to 5)");
  }
  ValidateRASAffine(affine, what);
  const unsigned int spatial = SpatialDimension(dimension);
  if (spatial == 2)
  {
    // A 2D ITK image lives in the x-y plane; an in-plane affine has no z part in its i, j columns
    // and no i, j part in its k column. Anything else needs a 3D image with one slice.
    if (affine[2][0] != 0.0 || affine[2][1] != 0.0 || affine[0][2] != 0.0 || affine[1][2] != 0.0 || affine[2][3] != 0.0)
    {
      itkGenericExceptionMacro(<< what
                               << ": the affine places the 2D image outside the x-y plane, which a 2D ITK "
                                  "image cannot hold; read it as a 3D image with one slice: "
                               << FormatAffine(affine));
    }
  }

  ImageGeometry geometry = ImageGeometry::Identity(dimension);
  for (unsigned int column = 0; column < spatial; ++column)
  {
    double lps[3] = { 0.0, 0.0, 0.0 };
    for (unsigned int row = 0; row < spatial; ++row)
    {
      lps[row] = RasToLpsSign[row] * affine[row][column];
    }
    const double spacing = ColumnLength(lps, spatial);
    geometry.spacing[column] = spacing;
    for (unsigned int row = 0; row < spatial; ++row)
    {
      geometry.direction[row][column] =
        DirectionElementITKInverts(DirectionElementThatRoundTrips(RasToLpsSign[row] * affine[row][column], spacing));
    }
  }
  for (unsigned int row = 0; row < spatial; ++row)
  {
    geometry.origin[row] = RasToLpsSign[row] * affine[row][3];
  }
  geometry.sourceAffine = affine;
  for (unsigned int axis = spatial; axis < dimension; ++axis)
  {
    const unsigned int extraIndex = axis - spatial;
    const double       spacing = extraIndex < extraAxisSpacing.size() ? extraAxisSpacing[extraIndex] : 1.0;
    if (!std::isfinite(spacing) || !(spacing > 0.0))
    {
      itkGenericExceptionMacro(<< what << ": the spacing of axis " << axis << " is " << spacing
                               << "; it must be finite and positive");
    }
    geometry.spacing[axis] = spacing;
  }
  return geometry;
}

double
DirectionElementITKInverts(double element)
{
  static const double smallest = std::sqrt(std::numeric_limits<double>::min());
  return std::abs(element) < smallest ? std::copysign(0.0, element) : element;
}

AffineMatrix
RASAffineFromGeometry(const ImageGeometry & geometry, const std::string & what)
{
  const unsigned int dimension = geometry.GetDimension();
  if (dimension < 1 || geometry.origin.size() != dimension || geometry.direction.size() != dimension)
  {
    itkGenericExceptionMacro(<< what << ": spacing, origin and direction disagree on the dimension");
  }
  const unsigned int spatial = SpatialDimension(dimension);
  double             linear[3][3] = { { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } };
  for (unsigned int row = 0; row < spatial; ++row)
  {
    if (geometry.direction[row].size() != dimension)
    {
      itkGenericExceptionMacro(<< what << ": the direction matrix is not " << dimension << "x" << dimension);
    }
    for (unsigned int column = 0; column < spatial; ++column)
    {
      const double value = geometry.direction[row][column];
      if (!std::isfinite(value) || !std::isfinite(geometry.spacing[column]) || !std::isfinite(geometry.origin[row]))
      {
        itkGenericExceptionMacro(<< what << ": non-finite spacing, origin or direction");
      }
      linear[row][column] = value;
    }
  }
  for (unsigned int column = 0; column < spatial; ++column)
  {
    if (!(geometry.spacing[column] > 0.0))
    {
      itkGenericExceptionMacro(<< what << ": the spacing of axis " << column << " is " << geometry.spacing[column]
                               << "; it must be positive");
    }
  }
  if (!IsWellConditioned(linear, spatial))
  {
    itkGenericExceptionMacro(<< what << ": the direction matrix is singular");
  }

  AffineMatrix affine{};
  affine[3][3] = 1.0;
  for (unsigned int axis = spatial; axis < 3; ++axis)
  {
    affine[axis][axis] = 1.0; // a 2D (or 1D) image: unit steps along the missing axes
  }
  for (unsigned int row = 0; row < spatial; ++row)
  {
    for (unsigned int column = 0; column < spatial; ++column)
    {
      affine[row][column] = RasToLpsSign[row] * (geometry.direction[row][column] * geometry.spacing[column]);
    }
    affine[row][3] = RasToLpsSign[row] * geometry.origin[row];
  }
  // A 2D geometry holds no step along k: the affine it came from keeps its own (nibabel's pixdim[3]).
  if (geometry.sourceAffine && AgreeToRounding(*geometry.sourceAffine, affine, spatial))
  {
    return *geometry.sourceAffine;
  }
  return affine;
}

AffineMatrix
NiBabelAffineFromNiftiFields(const NiftiAffineFields & fields, const std::string & what)
{
  AffineMatrix affine{};
  affine[3][3] = 1.0;
  if (fields.sformCode != 0)
  {
    const std::array<double, 4> * rows[3] = { &fields.srowX, &fields.srowY, &fields.srowZ };
    for (unsigned int row = 0; row < 3; ++row)
    {
      std::copy((*rows[row]).begin(), (*rows[row]).end(), affine[row].begin());
    }
    return affine;
  }

  // nibabel fixes these on load: pixdim[1..3] made positive, zeros made 1.
  auto fixedZoom = [&fields](unsigned int axis) -> double {
    const double zoom = std::abs(fields.pixdim[axis]);
    return zoom == 0.0 ? 1.0 : zoom;
  };

  if (fields.qformCode != 0)
  {
    // nibabel completes the quaternion in numpy's longdouble (80-bit on x86-64): so do we, step for step. Its
    // threshold for w = 0 is 3 eps of the header's float type.
    using Wide = long double;
    const Wide b = fields.quaternB, c = fields.quaternC, d = fields.quaternD;
    const Wide w2 = 1.0L - (b * b + c * c + d * d);
    const Wide threshold = 3.0L * static_cast<Wide>(fields.singlePrecision ? std::numeric_limits<float>::epsilon()
                                                                           : std::numeric_limits<double>::epsilon());
    Wide       w = 0.0L;
    if (std::abs(w2) < threshold)
    {
      w = 0.0L;
    }
    else if (w2 < 0.0L)
    {
      itkGenericExceptionMacro(<< what << ": the qform quaternion (" << fields.quaternB << ", " << fields.quaternC
                               << ", " << fields.quaternD << ") has a norm above 1; it is not a rotation");
    }
    else
    {
      w = std::sqrt(w2);
    }
    const Wide norm = w * w + b * b + c * c + d * d;
    Wide       rotation[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    if (!(norm < static_cast<Wide>(std::numeric_limits<double>::epsilon())))
    {
      const Wide s = 2.0L / norm;
      const Wide X = b * s, Y = c * s, Z = d * s;
      const Wide wX = w * X, wY = w * Y, wZ = w * Z;
      const Wide xX = b * X, xY = b * Y, xZ = b * Z;
      const Wide yY = c * Y, yZ = c * Z, zZ = d * Z;
      const Wide values[3][3] = { { 1.0L - (yY + zZ), xY - wZ, xZ + wY },
                                  { xY + wZ, 1.0L - (xX + zZ), yZ - wX },
                                  { xZ - wY, yZ + wX, 1.0L - (xX + yY) } };
      for (unsigned int row = 0; row < 3; ++row)
      {
        for (unsigned int column = 0; column < 3; ++column)
        {
          rotation[row][column] = values[row][column];
        }
      }
    }
    const double qfac = (fields.pixdim[0] == -1.0) ? -1.0 : 1.0;
    const double zooms[3] = { fixedZoom(1), fixedZoom(2), fixedZoom(3) * qfac };
    for (unsigned int row = 0; row < 3; ++row)
    {
      for (unsigned int column = 0; column < 3; ++column)
      {
        affine[row][column] = static_cast<double>(rotation[row][column] * static_cast<Wide>(zooms[column]));
      }
    }
    affine[0][3] = fields.qoffsetX;
    affine[1][3] = fields.qoffsetY;
    affine[2][3] = fields.qoffsetZ;
    return affine;
  }

  // No codes: nibabel's shape_zoom_affine(shape, zooms, x_flip=True), in float64.
  const std::int64_t dimensions = fields.dim[0] < 1 ? 1 : (fields.dim[0] > 7 ? 7 : fields.dim[0]);
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    const bool   present = axis < dimensions;
    const double size = present ? static_cast<double>(fields.dim[axis + 1]) : 1.0;
    double       zoom = present ? static_cast<double>(fixedZoom(axis + 1)) : 1.0;
    if (axis == 0)
    {
      zoom = -zoom;
    }
    const double originVoxel = (size - 1.0) / 2.0;
    affine[axis][axis] = zoom;
    affine[axis][3] = -originVoxel * zoom;
  }
  return affine;
}

const char *
RASAffineMetaDataKey()
{
  return "NiBridge_RASAffine";
}

void
StoreRASAffine(MetaDataDictionary & dictionary, const AffineMatrix & affine)
{
  std::string text;
  char        number[32];
  for (const auto & row : affine)
  {
    for (const double value : row)
    {
      std::snprintf(number, sizeof(number), "%.17g", value);
      text += (text.empty() ? "" : " ") + std::string(number);
    }
  }
  EncapsulateMetaData<std::string>(dictionary, RASAffineMetaDataKey(), text);
}

std::optional<AffineMatrix>
StoredRASAffine(const MetaDataDictionary & dictionary)
{
  std::string text;
  if (!ExposeMetaData<std::string>(dictionary, RASAffineMetaDataKey(), text))
  {
    return std::nullopt;
  }
  std::istringstream stream(text);
  AffineMatrix       affine{};
  for (auto & row : affine)
  {
    for (double & value : row)
    {
      std::string number;
      if (!(stream >> number))
      {
        return std::nullopt;
      }
      char * end = nullptr;
      value = std::strtod(number.c_str(), &end);
      if (end != number.c_str() + number.size())
      {
        return std::nullopt;
      }
    }
  }
  std::string extra;
  return (stream >> extra) ? std::nullopt : std::optional<AffineMatrix>(affine);
}

} // namespace nibridge
} // namespace itk
