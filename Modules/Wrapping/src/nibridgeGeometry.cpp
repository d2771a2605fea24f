/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// Spacing, origin and direction set from Python with validation, and the RAS+ affine (Image.affine).
#include "nibridgeImage.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace nibridge
{
namespace
{
py::array_t<double>
FiniteValues(const py::object & values, std::size_t count, const char * name, const char * function)
{
  auto array = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!array || static_cast<std::size_t>(array.size()) != count)
  {
    throw py::value_error(std::string(function) + ": " + name + " must have " + std::to_string(count) +
                          " values, got " + py::repr(values).cast<std::string>());
  }
  for (py::ssize_t index = 0; index < array.size(); ++index)
  {
    if (!std::isfinite(array.data()[index]))
    {
      throw py::value_error(std::string(function) + ": " + name + " must be finite, got " +
                            py::repr(values).cast<std::string>());
    }
  }
  return array;
}

py::array_t<double>
AffineArray(const itk::nibridge::AffineMatrix & affine)
{
  py::array_t<double> array({ 4, 4 });
  for (std::size_t row = 0; row < 4; ++row)
  {
    std::copy(affine[row].begin(), affine[row].end(), array.mutable_data() + 4 * row);
  }
  return array;
}

itk::nibridge::AffineMatrix
AffineFromValues(const py::array_t<double> & values)
{
  itk::nibridge::AffineMatrix affine;
  for (std::size_t row = 0; row < 4; ++row)
  {
    std::copy(values.data() + 4 * row, values.data() + 4 * row + 4, affine[row].begin());
  }
  return affine;
}
} // namespace

void
SetGeometry(Image &            image,
            const py::object & spacing,
            const py::object & origin,
            const py::object & direction,
            const char *       function)
{
  const auto & operations = image.Operations();
  const auto   dimension = operations.Kind().dimension;
  if (!spacing.is_none())
  {
    const auto values = FiniteValues(spacing, dimension, "spacing", function);
    if (std::any_of(values.data(), values.data() + dimension, [](double value) { return value <= 0; }))
    {
      throw py::value_error(std::string(function) + ": spacing must be positive, got " +
                            py::repr(spacing).cast<std::string>());
    }
    operations.SetSpacing(image.ItkImage(), values.data());
  }
  if (!origin.is_none())
  {
    operations.SetOrigin(image.ItkImage(), FiniteValues(origin, dimension, "origin", function).data());
  }
  if (!direction.is_none())
  {
    const auto values = FiniteValues(direction, dimension * dimension, "direction", function);
    if (py::array(direction).ndim() != 2)
    {
      throw py::value_error(std::string(function) + ": direction must be a " + std::to_string(dimension) + "x" +
                            std::to_string(dimension) + " matrix");
    }
    // A copy (values may be the caller's own array), with vanishing elements zeros: vnl's SVD, which inverts it,
    // fails on them (DirectionElementITKInverts).
    std::vector<double> elements(values.data(), values.data() + dimension * dimension);
    std::transform(elements.begin(), elements.end(), elements.begin(), itk::nibridge::DirectionElementITKInverts);
    try
    {
      operations.SetDirection(image.ItkImage(), elements.data());
    }
    catch (const itk::ExceptionObject &)
    {
      throw py::value_error(std::string(function) + ": direction must be invertible, got " +
                            py::repr(direction).cast<std::string>());
    }
  }
}

itk::nibridge::ImageGeometry
GeometryOf(const Image & image)
{
  const auto &                 operations = image.Operations();
  const auto                   dimension = operations.Kind().dimension;
  const auto                   direction = operations.Direction(image.ItkImage());
  itk::nibridge::ImageGeometry geometry;
  geometry.spacing = operations.Spacing(image.ItkImage());
  geometry.origin = operations.Origin(image.ItkImage());
  for (unsigned int row = 0; row < dimension; ++row)
  {
    geometry.direction.emplace_back(direction.begin() + row * dimension, direction.begin() + (row + 1) * dimension);
  }
  geometry.sourceAffine = itk::nibridge::StoredRASAffine(image.ItkImage().GetMetaDataDictionary());
  return geometry;
}

void
SetGeometry(Image & image, const itk::nibridge::ImageGeometry & geometry)
{
  const auto &        operations = image.Operations();
  std::vector<double> direction;
  for (const auto & row : geometry.direction)
  {
    direction.insert(direction.end(), row.begin(), row.end());
  }
  operations.SetDirection(image.ItkImage(), direction.data()); // first: it throws for a singular direction
  operations.SetSpacing(image.ItkImage(), geometry.spacing.data());
  operations.SetOrigin(image.ItkImage(), geometry.origin.data());
}

py::array_t<double>
RASAffine(const Image & image)
{
  itk::nibridge::AffineMatrix affine;
  try
  {
    affine = itk::nibridge::RASAffineFromGeometry(GeometryOf(image), "Image.affine");
  }
  catch (const itk::ExceptionObject & exception)
  {
    throw py::value_error(exception.GetDescription());
  }
  return AffineArray(affine);
}

void
SetRASAffine(Image & image, const py::object & value)
{
  constexpr const char * function = "Image.affine";
  const auto             values = FiniteValues(value, 16, "the affine", function);
  if (py::array(value).ndim() != 2)
  {
    throw py::value_error(std::string(function) + ": the affine must be a 4x4 matrix, got " +
                          py::repr(value).cast<std::string>());
  }
  const auto                   affine = AffineFromValues(values);
  const auto &                 operations = image.Operations();
  const auto                   dimension = operations.Kind().dimension;
  auto                         spacing = operations.Spacing(image.ItkImage());
  auto                         origin = operations.Origin(image.ItkImage());
  const std::vector<double>    extraSpacing(spacing.begin() + std::min(dimension, 3u), spacing.end());
  itk::nibridge::ImageGeometry geometry;
  try
  {
    geometry = itk::nibridge::GeometryFromRASAffine(affine, dimension, extraSpacing, "the affine");
  }
  catch (const itk::ExceptionObject & exception)
  {
    throw py::value_error(std::string(function) + ": " + exception.GetDescription());
  }
  for (unsigned int axis = 3; axis < dimension; ++axis)
  {
    geometry.origin[axis] = origin[axis];
  }
  try
  {
    SetGeometry(image, geometry);
  }
  catch (const itk::ExceptionObject & exception)
  {
    throw py::value_error(std::string(function) + ": " + exception.GetDescription());
  }
  itk::nibridge::StoreRASAffine(image.ItkImage().GetMetaDataDictionary(), affine);
}

void
init_geometry(py::module_ & module)
{
  module.def(
    "_kept_affine",
    [](const Image & image) -> py::object {
      const auto affine = itk::nibridge::StoredRASAffine(image.ItkImage().GetMetaDataDictionary());
      if (!affine)
      {
        return py::none();
      }
      return AffineArray(*affine);
    },
    py::arg("image"),
    "For pickling: the affine the image keeps (see Image.affine), or None.");
  module.def(
    "_keep_affine",
    [](Image & image, const py::object & value) {
      itk::nibridge::StoreRASAffine(image.ItkImage().GetMetaDataDictionary(),
                                    AffineFromValues(FiniteValues(value, 16, "the affine", "_keep_affine")));
    },
    py::arg("image"),
    py::arg("affine"),
    "For unpickling: keeps an affine without touching the geometry (Image.affine returns it while the "
    "geometry agrees with it).");
}

} // namespace nibridge
