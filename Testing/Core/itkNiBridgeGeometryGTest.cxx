/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeImageAffine.h"

#include "itkImage.h"
#include "nibridgeGTestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace
{
using itk::nibridge::AffineMatrix;
using itk::nibridge::GeometryFromRASAffine;
using itk::nibridge::ImageGeometry;
using itk::nibridge::RASAffineFromGeometry;
using nibridge_test::ErrorOf;

AffineMatrix
MakeAffine(std::initializer_list<std::initializer_list<double>> rows)
{
  AffineMatrix affine{};
  unsigned int row = 0;
  for (const auto & values : rows)
  {
    unsigned int column = 0;
    for (double value : values)
    {
      affine[row][column++] = value;
    }
    ++row;
  }
  affine[3] = { 0.0, 0.0, 0.0, 1.0 };
  return affine;
}

/** A random rotation (from a random unit quaternion) times random zooms, plus a random shear and offset. */
AffineMatrix
RandomAffine(std::mt19937_64 & generator, bool withShear)
{
  std::normal_distribution<double>       normal;
  std::uniform_real_distribution<double> zoom(0.1, 4.0);
  std::uniform_real_distribution<double> offset(-300.0, 300.0);
  std::uniform_real_distribution<double> shear(-0.4, 0.4);
  double                                 q[4];
  double                                 norm = 0.0;
  for (double & element : q)
  {
    element = normal(generator);
    norm += element * element;
  }
  norm = std::sqrt(norm);
  for (double & element : q)
  {
    element /= norm;
  }
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  const double rotation[3][3] = { { 1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y) },
                                  { 2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x) },
                                  { 2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y) } };
  const double zooms[3] = { zoom(generator), zoom(generator), zoom(generator) };
  double       shearMatrix[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
  if (withShear)
  {
    shearMatrix[0][1] = shear(generator);
    shearMatrix[0][2] = shear(generator);
    shearMatrix[1][2] = shear(generator);
  }
  AffineMatrix affine{};
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      double value = 0.0;
      for (unsigned int k = 0; k < 3; ++k)
      {
        value += rotation[row][k] * shearMatrix[k][column] * zooms[column];
      }
      affine[row][column] = value;
    }
    affine[row][3] = offset(generator);
  }
  affine[3] = { 0.0, 0.0, 0.0, 1.0 };
  return affine;
}

/** Distance in units in the last place of the larger element (0 when equal). */
double
UlpDistance(double expected, double actual)
{
  if (expected == actual)
  {
    return 0.0;
  }
  const double scale = std::max(std::abs(expected), std::abs(actual));
  return std::abs(expected - actual) / (std::nextafter(scale, 2 * scale + 1) - scale);
}

/** Element by element, as numbers (0.0 equals -0.0; nibridge_test::ExpectSameAffine compares bits). */
void
ExpectEqualAffine(const AffineMatrix & expected, const AffineMatrix & actual)
{
  for (unsigned int row = 0; row < 4; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      EXPECT_EQ(expected[row][column], actual[row][column]) << "element (" << row << ", " << column << ")";
    }
  }
}
} // namespace

TEST(NiBridgeGeometry, RASAffineFlipsXAndYIntoLPS)
{
  const AffineMatrix  affine = MakeAffine({ { 2, 0, 0, 10 }, { 0, 3, 0, 20 }, { 0, 0, 4, 30 } });
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 3);
  EXPECT_EQ(geometry.spacing, (std::vector<double>{ 2, 3, 4 }));
  EXPECT_EQ(geometry.origin, (std::vector<double>{ -10, -20, 30 }));
  EXPECT_EQ(geometry.direction[0], (std::vector<double>{ -1, 0, 0 }));
  EXPECT_EQ(geometry.direction[1], (std::vector<double>{ 0, -1, 0 }));
  EXPECT_EQ(geometry.direction[2], (std::vector<double>{ 0, 0, 1 }));
}

TEST(NiBridgeGeometry, PhysicalPointOfEveryCornerMatchesTheAffineAfterTheRASToLPSFlip)
{
  std::mt19937_64    generator(7);
  const AffineMatrix affine = RandomAffine(generator, false);
  using ImageType = itk::Image<float, 3>;
  auto                image = ImageType::New();
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 3);
  SetImageGeometry(*image, geometry);
  for (const ImageType::IndexType & index : { ImageType::IndexType{ { 0, 0, 0 } },
                                              ImageType::IndexType{ { 9, 0, 0 } },
                                              ImageType::IndexType{ { 0, 7, 5 } },
                                              ImageType::IndexType{ { 9, 7, 5 } } })
  {
    ImageType::PointType point;
    image->TransformIndexToPhysicalPoint(index, point);
    const double sign[3] = { -1, -1, 1 };
    for (unsigned int row = 0; row < 3; ++row)
    {
      const double ras =
        affine[row][0] * index[0] + affine[row][1] * index[1] + affine[row][2] * index[2] + affine[row][3];
      EXPECT_NEAR(sign[row] * ras, point[row], 1e-9);
    }
  }
}

TEST(NiBridgeGeometry, ObliqueAffinesRoundTripBitForBit)
{
  std::mt19937_64 generator(2024);
  for (int trial = 0; trial < 2000; ++trial)
  {
    const AffineMatrix affine = RandomAffine(generator, false);
    ExpectEqualAffine(affine, RASAffineFromGeometry(GeometryFromRASAffine(affine, 3)));
  }
}

TEST(NiBridgeGeometry, ShearedAffinesKeepTheirShearAndRoundTripBitForBit)
{
  std::mt19937_64 generator(99);
  for (int trial = 0; trial < 2000; ++trial)
  {
    const AffineMatrix  affine = RandomAffine(generator, true);
    const ImageGeometry geometry = GeometryFromRASAffine(affine, 3);
    double              dot = 0.0;
    for (unsigned int row = 0; row < 3; ++row)
    {
      dot += geometry.direction[row][0] * geometry.direction[row][1];
    }
    EXPECT_GT(std::abs(dot), 1e-6) << "the shear must stay in the direction matrix";
    ExpectEqualAffine(affine, RASAffineFromGeometry(geometry));
  }
}

TEST(NiBridgeGeometry, ComputedInverseIsWithinTwoUlpsWithoutTheSourceAffine)
{
  std::mt19937_64 generator(5);
  for (int trial = 0; trial < 2000; ++trial)
  {
    const AffineMatrix affine = RandomAffine(generator, trial % 2 == 0);
    ImageGeometry      geometry = GeometryFromRASAffine(affine, 3);
    geometry.sourceAffine.reset();
    const AffineMatrix computed = RASAffineFromGeometry(geometry);
    for (unsigned int row = 0; row < 4; ++row)
    {
      for (unsigned int column = 0; column < 4; ++column)
      {
        EXPECT_LE(UlpDistance(affine[row][column], computed[row][column]), 2.0) << "(" << row << ", " << column << ")";
      }
    }
  }
}

TEST(NiBridgeGeometry, SubnormalElementsBesideNormalStepsRoundTripBitForBit)
{
  // A subnormal element (NIfTI-2 sforms written by some tools hold them) divided by its column's length underflows:
  // the direction holds 0 there, and the geometry still agrees with its source affine to within that column's rounding,
  // so the affine comes back as it was (found by nibridgeFuzzGeometry).
  const double       subnormal = std::numeric_limits<double>::denorm_min();
  const AffineMatrix affine =
    MakeAffine({ { 2, 0, 0, 10 }, { subnormal, 3, 0, 20 }, { 0, -1e-310, 4, std::numeric_limits<double>::min() } });
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 3);
  EXPECT_EQ(geometry.direction[1][0], 0.0) << "the quotient underflows";
  ExpectEqualAffine(affine, RASAffineFromGeometry(geometry));
  const AffineMatrix large = MakeAffine(
    { { 0, 0, -3e37, 1 }, { -3.6e37, std::numeric_limits<double>::min(), 2e-16, 2 }, { -3e37, -3e37, -3e37, 3 } });
  ExpectEqualAffine(large, RASAffineFromGeometry(GeometryFromRASAffine(large, 3)));
}

TEST(NiBridgeGeometry, VoxelSizesBeyondWhatITKInvertsAreRefusedNotCalledSingular)
{
  // nibabel reads such NIfTI-2 sforms (found by the bad-input corpus): a step near the largest double, whose square
  // overflows, and a whole column of subnormals. ITK's inversion of the image matrix (vnl's SVD) does not end on
  // them: the conversion refuses them, saying why, instead of calling them singular; up to 1e300 mm they convert.
  const double       subnormal = 7 * std::numeric_limits<double>::denorm_min();
  const AffineMatrix huge =
    MakeAffine({ { -2, -0.05, -0.57, 76 }, { -0.93, -0.17, 1.2, 15.5 }, { -0.27, 0.99, 1.7e308, 109 } });
  const AffineMatrix tiny =
    MakeAffine({ { -2, subnormal, -0.57, 76 }, { -0.93, subnormal, 1.2, 15.5 }, { -0.27, subnormal, 0.18, 109 } });
  for (const auto & affine : { huge, tiny })
  {
    std::string message;
    try
    {
      GeometryFromRASAffine(affine, 3, {}, "\"x.nii\"");
    }
    catch (const itk::ExceptionObject & error)
    {
      message = error.GetDescription();
    }
    EXPECT_NE(message.find("beyond the 1e-300 to 1e300 mm an ITK image's geometry holds"), std::string::npos)
      << message;
  }
  const AffineMatrix large =
    MakeAffine({ { -2, -0.05, -0.57, 76 }, { -0.93, -0.17, 1.2, 15.5 }, { -0.27, 0.99, 1e300, 109 } });
  ExpectEqualAffine(large, RASAffineFromGeometry(GeometryFromRASAffine(large, 3)));
}

TEST(NiBridgeGeometry, AnEditedGeometryIsConvertedNotAnsweredWithItsStaleSourceAffine)
{
  const AffineMatrix affine = MakeAffine({ { 2, 0, 0, 10 }, { 0, 3, 0, 20 }, { 0, 0, 4, 30 } });
  ImageGeometry      geometry = GeometryFromRASAffine(affine, 3);
  geometry.spacing[0] = 2.5;
  geometry.origin[2] = 31.0;
  const AffineMatrix edited = RASAffineFromGeometry(geometry);
  EXPECT_EQ(edited[0][0], 2.5);
  EXPECT_EQ(edited[2][3], 31.0);
}

TEST(NiBridgeGeometry, ExtraAxesKeepTheirSpacingAndStayOutOfTheAffine)
{
  const AffineMatrix  affine = MakeAffine({ { 0, 0, 2.5, -5 }, { -2, 0, 0, 7 }, { 0, 3, 0, 1 } });
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 5, { 2000.0, 0.5 });
  ASSERT_EQ(geometry.GetDimension(), 5u);
  EXPECT_EQ(geometry.spacing[3], 2000.0);
  EXPECT_EQ(geometry.spacing[4], 0.5);
  EXPECT_EQ(geometry.origin[3], 0.0);
  EXPECT_EQ(geometry.direction[3], (std::vector<double>{ 0, 0, 0, 1, 0 }));
  EXPECT_EQ(geometry.direction[4], (std::vector<double>{ 0, 0, 0, 0, 1 }));
  ExpectEqualAffine(affine, RASAffineFromGeometry(geometry));
  EXPECT_EQ(GeometryFromRASAffine(affine, 4).spacing[3], 1.0) << "an extra axis without a zoom has unit spacing";
}

TEST(NiBridgeGeometry, InPlaneTwoDimensionalAffinesRoundTrip)
{
  const AffineMatrix  affine = MakeAffine({ { 0.6, -0.8, 0, 3 }, { 0.8, 0.6, 0, 4 }, { 0, 0, 1, 0 } });
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 2);
  ASSERT_EQ(geometry.GetDimension(), 2u);
  EXPECT_EQ(geometry.origin, (std::vector<double>{ -3, -4 }));
  ExpectEqualAffine(affine, RASAffineFromGeometry(geometry));
}

TEST(NiBridgeGeometry, TwoDimensionalAffinesOutsideTheXYPlaneAreRefused)
{
  const AffineMatrix affine = MakeAffine({ { 1, 0, 0, 0 }, { 0, 0.6, 0, 0 }, { 0, 0.8, 1, 0 } });
  const std::string  message = ErrorOf([&] { GeometryFromRASAffine(affine, 2, {}, "oblique.nii"); });
  EXPECT_NE(message.find("oblique.nii"), std::string::npos) << message;
  EXPECT_NE(message.find("outside the x-y plane"), std::string::npos) << message;
}

TEST(NiBridgeGeometry, NonFiniteAffinesAreRefusedWithTheReason)
{
  for (double bad : { std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity() })
  {
    AffineMatrix      affine = MakeAffine({ { 1, 0, 0, 0 }, { 0, 1, 0, bad }, { 0, 0, 1, 0 } });
    const std::string message = ErrorOf([&] { GeometryFromRASAffine(affine, 3, {}, "nan.nii"); });
    EXPECT_NE(message.find("nan.nii"), std::string::npos) << message;
    EXPECT_NE(message.find("non-finite"), std::string::npos) << message;
  }
}

TEST(NiBridgeGeometry, SingularAffinesAreRefusedWithTheReason)
{
  const AffineMatrix zeroColumn = MakeAffine({ { 1, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 1, 0 } });
  const AffineMatrix repeatedColumn = MakeAffine({ { 1, 1, 0, 0 }, { 2, 2, 0, 0 }, { 0, 0, 1, 0 } });
  for (const AffineMatrix & affine : { zeroColumn, repeatedColumn })
  {
    const std::string message = ErrorOf([&] { GeometryFromRASAffine(affine, 3, {}, "flat.nii"); });
    EXPECT_NE(message.find("flat.nii"), std::string::npos) << message;
    EXPECT_NE(message.find("singular"), std::string::npos) << message;
  }
}

TEST(NiBridgeGeometry, AffinesWithABadLastRowOrDimensionAreRefused)
{
  AffineMatrix affine = MakeAffine({ { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 } });
  EXPECT_NE(ErrorOf([&] { GeometryFromRASAffine(affine, 1); }), "");
  EXPECT_NE(ErrorOf([&] { GeometryFromRASAffine(affine, 6); }), "");
  affine[3][0] = 0.5;
  EXPECT_NE(ErrorOf([&] { GeometryFromRASAffine(affine, 3); }).find("last row"), std::string::npos);
}

TEST(NiBridgeGeometry, NonPositiveExtraAxisSpacingIsRefused)
{
  const AffineMatrix affine = MakeAffine({ { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 } });
  EXPECT_NE(ErrorOf([&] { GeometryFromRASAffine(affine, 4, { 0.0 }); }).find("axis 3"), std::string::npos);
}

namespace
{
/** ITK inverts the direction of an image given `geometry` (vnl's SVD) to finite numbers only. */
void
ExpectITKInvertsTheDirection(const ImageGeometry & geometry)
{
  auto image = itk::Image<float, 3>::New();
  SetImageGeometry(*image, geometry);
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      EXPECT_TRUE(std::isfinite(image->GetInverseDirection()[row][column])) << row << ", " << column;
    }
  }
}
} // namespace

TEST(NiBridgeGeometry, SubnormalDirectionElementsAreZerosThatITKInvertsAndTheAffineStaysBitForBit)
{
  // A NIfTI-2 sform (float64) may hold subnormals beside its steps; vnl's SVD, with which ITK inverts an image's
  // direction, gave NaN for such a matrix (every index of a point NaN) and printed five lines on stderr.
  const double        subnormal = 1e-310;
  const AffineMatrix  affine = MakeAffine({ { 1, 0, 0, 0 }, { subnormal, 1, 0, 0 }, { -subnormal, 0, 1, 0 } });
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 3);
  EXPECT_EQ(geometry.direction[1][0], 0.0);
  EXPECT_TRUE(std::signbit(geometry.direction[1][0])) << "LPS flips y: the zero keeps the element's sign";
  EXPECT_EQ(geometry.direction[2][0], 0.0);
  ExpectITKInvertsTheDirection(geometry);
  EXPECT_EQ(RASAffineFromGeometry(geometry), affine) << "the affine the file gave, bit for bit";
  EXPECT_EQ(itk::nibridge::DirectionElementITKInverts(-subnormal), 0.0);
  EXPECT_EQ(itk::nibridge::DirectionElementITKInverts(std::numeric_limits<double>::min()), 0.0);
  EXPECT_EQ(itk::nibridge::DirectionElementITKInverts(1e-150), 1e-150);
  EXPECT_EQ(itk::nibridge::DirectionElementITKInverts(0.5), 0.5);
}

TEST(NiBridgeGeometry, TinyNormalDirectionElementsAreZerosThatITKInvertsAndTheAffineStaysBitForBit)
{
  // A fuzz finding (Testing/Fuzz/regressions/nibridgeFuzzNiftiHeader/tiny-normal-sform-elements): a NIfTI-2 sform whose
  // off-diagonal elements, divided by their column's step, are normal doubles near 2^-1018. vnl's SVD gave NaN for the
  // direction (normal numbers, so flushing subnormals alone did not help).
  const double       tiny = std::ldexp(1.0, -1018);
  const double       almostTiny = std::ldexp(1.0 + std::ldexp(1.0, -51), -1018);
  const AffineMatrix affine =
    MakeAffine({ { 1, 0, tiny * 0x1p-10, 1 }, { 0, 1, 0, 0 }, { -almostTiny, 0, 0x1p-10, 0 } });
  const ImageGeometry geometry = GeometryFromRASAffine(affine, 3);
  EXPECT_EQ(geometry.direction[0][2], 0.0);
  EXPECT_EQ(geometry.direction[2][0], 0.0);
  ExpectITKInvertsTheDirection(geometry);
  EXPECT_EQ(RASAffineFromGeometry(geometry), affine) << "the affine the file gave, bit for bit";
}

TEST(NiBridgeGeometry, GeometryWithSingularDirectionIsRefused)
{
  ImageGeometry geometry = ImageGeometry::Identity(3);
  geometry.direction[1] = { 1, 0, 0 };
  geometry.direction[0] = { 1, 0, 0 };
  EXPECT_NE(ErrorOf([&] { RASAffineFromGeometry(geometry); }).find("singular"), std::string::npos);
}

TEST(NiBridgeGeometry, NiftiSformIsTakenWhenItsCodeIsSet)
{
  itk::nibridge::NiftiAffineFields fields;
  fields.sformCode = 2;
  fields.qformCode = 1;
  fields.srowX = { 1.5f, 0.25f, 0.0f, -10.0f };
  fields.srowY = { 0.0f, 2.0f, 0.125f, 5.0f };
  fields.srowZ = { 0.0f, 0.0f, 3.0f, 7.5f };
  const AffineMatrix affine = itk::nibridge::NiBabelAffineFromNiftiFields(fields);
  EXPECT_EQ(affine[0][1], 0.25);
  EXPECT_EQ(affine[1][2], 0.125);
  EXPECT_EQ(affine[2][3], 7.5);
}

TEST(NiBridgeGeometry, NiftiQformIsARotationTimesZoomsWithQfac)
{
  itk::nibridge::NiftiAffineFields fields;
  fields.qformCode = 1;
  fields.pixdim = { -1.0f, 2.0f, 3.0f, 4.0f, 1.0f, 1.0f, 1.0f, 1.0f };
  fields.quaternB = 0.0f;
  fields.quaternC = 0.0f;
  fields.quaternD = 1.0f; // 180 degrees about z
  fields.qoffsetX = 1.0f;
  const AffineMatrix affine = itk::nibridge::NiBabelAffineFromNiftiFields(fields);
  EXPECT_EQ(affine[0][0], -2.0);
  EXPECT_EQ(affine[1][1], -3.0);
  EXPECT_EQ(affine[2][2], -4.0) << "qfac -1 flips the third axis";
  EXPECT_EQ(affine[0][3], 1.0);
}

TEST(NiBridgeGeometry, NiftiWithoutCodesGetsNibabelsCentredFallback)
{
  itk::nibridge::NiftiAffineFields fields;
  fields.dim = { 3, 10, 20, 30, 1, 1, 1, 1 };
  fields.pixdim = { 1.0f, 2.0f, 3.0f, 4.0f, 1.0f, 1.0f, 1.0f, 1.0f };
  const AffineMatrix affine = itk::nibridge::NiBabelAffineFromNiftiFields(fields);
  EXPECT_EQ(affine[0][0], -2.0);
  EXPECT_EQ(affine[0][3], 9.0);   // -(10 - 1) / 2 * -2
  EXPECT_EQ(affine[1][3], -28.5); // -(20 - 1) / 2 * 3
  EXPECT_EQ(affine[2][3], -58.0); // -(30 - 1) / 2 * 4
}

TEST(NiBridgeGeometry, NiftiQuaternionLongerThanOneIsRefused)
{
  itk::nibridge::NiftiAffineFields fields;
  fields.qformCode = 1;
  fields.quaternB = 0.9f;
  fields.quaternC = 0.9f;
  const std::string message =
    ErrorOf([&] { itk::nibridge::NiBabelAffineFromNiftiFields(fields, "bad-quaternion.nii"); });
  EXPECT_NE(message.find("bad-quaternion.nii"), std::string::npos) << message;
  EXPECT_NE(message.find("not a rotation"), std::string::npos) << message;
}
