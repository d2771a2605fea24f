/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// libFuzzer target: the geometry conversion (itkNiBridgeGeometry.h) fed arbitrary matrices. The input is a stream of
// choices (FuzzedDataProvider): a 4x4 affine whose elements are special values (0, +-1, the limits of double and
// float, subnormals, infinities, NaN), small integers or any double; a dimension; the extra axes' spacing; and a
// NIfTI header's affine fields. Every conversion must throw one clear itk::ExceptionObject or give finite geometry that
// converts back to the affine it came from:
//   GeometryFromRASAffine: finite, positive spacing; finite origin and direction; RASAffineFromGeometry gives the
//   affine back bit for bit, and, with the source affine dropped (an edited geometry), to within rounding of each
//   column's length;
//   NiBabelAffineFromNiftiFields: an affine that ValidateRASAffine accepts converts;
//   StoreRASAffine / StoredRASAffine: every affine reads back bit for bit.

#include "itkNiBridgeGeometry.h"

#include "nibridgeFuzzSupport.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace
{
using itk::nibridge::AffineMatrix;
using itk::nibridge::ImageGeometry;
using nibridge_fuzz::Finding;

double
ConsumeNumber(FuzzedDataProvider & provider)
{
  using Limits = std::numeric_limits<double>;
  static const double special[] = { 0.0,
                                    -0.0,
                                    1.0,
                                    -1.0,
                                    0.5,
                                    Limits::max(),
                                    -Limits::max(),
                                    Limits::min(),
                                    Limits::denorm_min(),
                                    Limits::epsilon(),
                                    Limits::infinity(),
                                    -Limits::infinity(),
                                    Limits::quiet_NaN(),
                                    std::numeric_limits<float>::max(),
                                    std::numeric_limits<float>::min(),
                                    1e154,
                                    1e-154 };
  switch (provider.ConsumeIntegralInRange<int>(0, 3))
  {
    case 0:
      return provider.PickValueInArray(special);
    case 1:
      return static_cast<double>(provider.ConsumeIntegralInRange<int>(-4, 4));
    case 2:
      return static_cast<double>(provider.ConsumeFloatingPoint<float>());
    default:
      return provider.ConsumeFloatingPoint<double>();
  }
}

bool
IsFinite(const ImageGeometry & geometry, unsigned int dimension)
{
  if (geometry.spacing.size() != dimension || geometry.origin.size() != dimension ||
      geometry.direction.size() != dimension)
  {
    return false;
  }
  for (unsigned int row = 0; row < dimension; ++row)
  {
    if (!std::isfinite(geometry.spacing[row]) || !(geometry.spacing[row] > 0.0) ||
        !std::isfinite(geometry.origin[row]) || geometry.direction[row].size() != dimension)
    {
      return false;
    }
    for (const double value : geometry.direction[row])
    {
      if (!std::isfinite(value))
      {
        return false;
      }
    }
  }
  return true;
}

/** The affine and dimension, for a finding's message (17 digits: every double as it is). */
std::string
Describe(const AffineMatrix & affine, unsigned int dimension)
{
  std::string text = "dimension " + std::to_string(dimension) + ", affine [";
  char        number[32];
  for (unsigned int row = 0; row < 4; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      std::snprintf(number, sizeof(number), "%.17g", affine[row][column]);
      text += std::string(number) + (column < 3 ? ", " : (row < 3 ? "; " : "]"));
    }
  }
  return text;
}

bool
BitwiseEqual(const AffineMatrix & first, const AffineMatrix & second)
{
  return std::memcmp(first.data(), second.data(), sizeof(AffineMatrix)) == 0;
}

/** GeometryFromRASAffine and back, with the checks of the file comment. */
void
CheckConversion(const AffineMatrix & affine, unsigned int dimension, const std::vector<double> & extraSpacing)
{
  const char * const what = "fuzzed affine";
  ImageGeometry      geometry;
  if (!nibridge_fuzz::RunExpectingClearErrors(
        what, [&]() { geometry = itk::nibridge::GeometryFromRASAffine(affine, dimension, extraSpacing, what); }))
  {
    return;
  }
  if (!IsFinite(geometry, dimension))
  {
    Finding("GeometryFromRASAffine gave geometry that is not finite: " + Describe(affine, dimension));
  }
  AffineMatrix back{};
  if (!nibridge_fuzz::RunExpectingClearErrors("", [&]() { back = itk::nibridge::RASAffineFromGeometry(geometry); }))
  {
    Finding("RASAffineFromGeometry refuses the geometry GeometryFromRASAffine made: " + Describe(affine, dimension));
  }
  if (!BitwiseEqual(back, affine))
  {
    Finding("RASAffineFromGeometry does not give back the affine the geometry came from: " +
            Describe(affine, dimension) + "; back: " + Describe(back, dimension));
  }

  geometry.sourceAffine.reset();
  AffineMatrix computed{};
  if (!nibridge_fuzz::RunExpectingClearErrors("", [&]() { computed = itk::nibridge::RASAffineFromGeometry(geometry); }))
  {
    Finding("RASAffineFromGeometry refuses an edited geometry GeometryFromRASAffine made: " +
            Describe(affine, dimension));
  }
  const unsigned int spatial = itk::nibridge::SpatialDimension(dimension);
  for (unsigned int column = 0; column < spatial; ++column)
  {
    const double tolerance = 4.0 * std::numeric_limits<double>::epsilon() * geometry.spacing[column];
    for (unsigned int row = 0; row < spatial; ++row)
    {
      if (!(std::abs(computed[row][column] - affine[row][column]) <= tolerance))
      {
        Finding("RASAffineFromGeometry of an edited geometry is further from the affine than rounding: " +
                Describe(affine, dimension) + "; computed: " + Describe(computed, dimension));
      }
    }
  }
  for (unsigned int row = 0; row < spatial; ++row)
  {
    if (computed[row][3] != affine[row][3])
    {
      Finding("RASAffineFromGeometry of an edited geometry moves the origin: " + Describe(affine, dimension));
    }
  }
}

void
CheckNiftiFields(FuzzedDataProvider & provider)
{
  itk::nibridge::NiftiAffineFields fields;
  fields.singlePrecision = provider.ConsumeBool();
  for (auto & extent : fields.dim)
  {
    extent = provider.ConsumeIntegralInRange<std::int64_t>(-2, 10);
  }
  for (auto & zoom : fields.pixdim)
  {
    zoom = ConsumeNumber(provider);
  }
  fields.qformCode = provider.ConsumeIntegralInRange<int>(-1, 6);
  fields.sformCode = provider.ConsumeIntegralInRange<int>(-1, 6);
  for (double * value :
       { &fields.quaternB, &fields.quaternC, &fields.quaternD, &fields.qoffsetX, &fields.qoffsetY, &fields.qoffsetZ })
  {
    *value = ConsumeNumber(provider);
  }
  for (auto * row : { &fields.srowX, &fields.srowY, &fields.srowZ })
  {
    for (double & value : *row)
    {
      value = ConsumeNumber(provider);
    }
  }
  const char * const what = "fuzzed header";
  AffineMatrix       affine{};
  if (!nibridge_fuzz::RunExpectingClearErrors(
        what, [&]() { affine = itk::nibridge::NiBabelAffineFromNiftiFields(fields, what); }))
  {
    return;
  }
  if (nibridge_fuzz::RunExpectingClearErrors(what, [&]() { itk::nibridge::ValidateRASAffine(affine, what); }))
  {
    ImageGeometry geometry;
    if (!nibridge_fuzz::RunExpectingClearErrors(
          what, [&]() { geometry = itk::nibridge::GeometryFromRASAffine(affine, 3, {}, what); }))
    {
      Finding("GeometryFromRASAffine refuses an affine ValidateRASAffine accepts");
    }
    if (!IsFinite(geometry, 3))
    {
      Finding("GeometryFromRASAffine gave geometry that is not finite for a NIfTI header's affine");
    }
  }
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  FuzzedDataProvider provider(data, size);
  AffineMatrix       affine{};
  const bool         lastRowAsGiven = provider.ConsumeBool();
  for (unsigned int row = 0; row < 4; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      affine[row][column] = row < 3 || lastRowAsGiven ? ConsumeNumber(provider) : (column == 3 ? 1.0 : 0.0);
    }
  }
  const unsigned int  dimension = provider.ConsumeIntegralInRange<unsigned int>(1, 6);
  std::vector<double> extraSpacing(provider.ConsumeIntegralInRange<std::size_t>(0, 3));
  for (double & spacing : extraSpacing)
  {
    spacing = ConsumeNumber(provider);
  }
  CheckConversion(affine, dimension, extraSpacing);

  itk::MetaDataDictionary dictionary;
  itk::nibridge::StoreRASAffine(dictionary, affine);
  const auto stored = itk::nibridge::StoredRASAffine(dictionary);
  if (!stored || !BitwiseEqual(*stored, affine))
  {
    // NaN payloads and signs aside: "%.17g" keeps every finite double and the infinities.
    bool hasNaN = false;
    for (const auto & row : affine)
    {
      for (const double value : row)
      {
        hasNaN = hasNaN || std::isnan(value);
      }
    }
    if (!hasNaN || !stored)
    {
      Finding("StoreRASAffine's text does not read back as the same affine");
    }
  }

  CheckNiftiFields(provider);
  return 0;
}
