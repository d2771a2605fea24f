/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace nibridge
{
namespace
{
std::string
Tuple(const std::vector<py::ssize_t> & values)
{
  std::ostringstream text;
  text << '(';
  for (std::size_t index = 0; index < values.size(); ++index)
  {
    text << (index ? ", " : "") << values[index];
  }
  text << (values.size() == 1 ? ",)" : ")");
  return text.str();
}

template<typename T>
py::array_t<double>
ToArray(const std::vector<T> & values, std::vector<py::ssize_t> shape)
{
  py::array_t<double> array(shape);
  std::copy(values.begin(), values.end(), array.mutable_data());
  return array;
}

std::unique_ptr<Image>
NewImage(const std::vector<itk::SizeValueType> & size,
         const py::object &                      dtype,
         unsigned int                            numberOfComponents,
         const py::object &                      isVector)
{
  const ComponentType component = ComponentTypeOf(py::dtype::from_args(dtype), "Image");
  const bool          vector = isVector.is_none() ? numberOfComponents != 1 : isVector.cast<bool>();
  if (numberOfComponents == 0 || (!vector && numberOfComponents != 1))
  {
    throw py::value_error("Image: number_of_components must be 1 for a scalar image and at least 1 for a vector "
                          "image, got " +
                          std::to_string(numberOfComponents));
  }
  if (size.size() < 2 || size.size() > 4)
  {
    throw py::value_error("Image: size must have 2, 3 or 4 values (i, j, k[, t]), got " + std::to_string(size.size()));
  }
  const auto & operations = OperationsFor({ component, static_cast<unsigned int>(size.size()), vector });
  auto         image = std::make_unique<Image>(operations, operations.New(size, numberOfComponents));
  operations.Allocate(image->ItkImage(), true);
  return image;
}

std::string
Representation(const Image & image)
{
  const auto &       operations = image.Operations();
  const auto         kind = operations.Kind();
  const auto         size = operations.BufferedSize(image.ItkImage());
  std::ostringstream text;
  text << "nibridge.Image(" << ComponentTypeName(kind.component) << ", " << kind.dimension << "D"
       << (kind.isVector ? std::string(" ") + PixelTypeName(image.GetPixelType()) : std::string())
       << ", size (i, j, k...)=" << Tuple({ size.begin(), size.end() });
  if (kind.isVector)
  {
    text << ", components=" << image.NumberOfComponents();
  }
  const auto printValues = [&text](const char * name, const std::vector<double> & values) {
    text << ", " << name << "=[";
    for (std::size_t index = 0; index < values.size(); ++index)
    {
      text << (index ? ", " : "") << values[index];
    }
    text << ']';
  };
  printValues("spacing", operations.Spacing(image.ItkImage()));
  printValues("origin", operations.Origin(image.ItkImage()));
  printValues("direction", operations.Direction(image.ItkImage()));
  text << (image.IsWriteable() ? "" : ", read-only") << ')';
  return text.str();
}
} // namespace

Image::Image(const ImageOperations & operations, itk::DataObject::Pointer image)
    : m_Operations(&operations)
    , m_Image(std::move(image))
{}

unsigned int
Image::NumberOfComponents() const
{
  return m_Operations->NumberOfComponents(*m_Image);
}

const char *
PixelTypeName(PixelType type)
{
  switch (type)
  {
    case PixelType::Scalar:
      return "scalar";
    case PixelType::Vector:
      return "vector";
    case PixelType::RGB:
      return "rgb";
    case PixelType::RGBA:
      return "rgba";
  }
  return "unknown";
}

PixelType
Image::GetPixelType() const
{
  if (!m_Operations->Kind().isVector)
  {
    return PixelType::Scalar;
  }
  if (!m_IsColor)
  {
    return PixelType::Vector;
  }
  return NumberOfComponents() == 3 ? PixelType::RGB : PixelType::RGBA;
}

void
Image::SetPixelType(PixelType type, const char * function)
{
  const bool isVector = m_Operations->Kind().isVector;
  const auto components = NumberOfComponents();
  const bool fits = type == PixelType::Scalar   ? !isVector
                    : type == PixelType::Vector ? isVector
                    : type == PixelType::RGB    ? isVector && components == 3
                                                : isVector && components == 4;
  if (!fits)
  {
    throw py::value_error(
      std::string(function) + ": pixel_type " + PixelTypeName(type) + " does not fit a " +
      (isVector ? "vector image of " + std::to_string(components) + " components" : "scalar image") +
      " (rgb needs a vector image of 3 components, rgba of 4)");
  }
  m_IsColor = type == PixelType::RGB || type == PixelType::RGBA;
}

void
init_image(py::module_ & module)
{
  py::class_<Image> cls(module, "Image", py::buffer_protocol(), R"doc(
An ITK image (itk::Image or itk::VectorImage) of any supported pixel type in 2, 3 or 4 dimensions.

Geometry is ITK's, in LPS millimetres and in index order (i, j, k): a physical point is
origin + direction @ diag(spacing) @ index. ``shape`` is NumPy's order (k, j, i[, c]).
bool images are itk::Image<bool>: one byte per pixel, NumPy's bool layout, no flag.
)doc");
  // The package exports it as nibridge.Image; pybind11 writes a signature's type names when a function is defined,
  // so the module is set before any function of this extension names the class.
  cls.attr("__module__") = "nibridge";
  cls
    .def(py::init(&NewImage),
         py::arg("size"),
         py::arg("dtype") = "float32",
         py::arg("number_of_components") = 1,
         py::arg("is_vector") = py::none(),
         "A zero-filled image of ``size`` (ITK order: i, j, k[, t]) and ``dtype``; vector pixels when "
         "``number_of_components`` > 1 or ``is_vector``.")
    .def_buffer([](const Image & image) { return image.ArrayView(false).request(false); })
    .def(
      "__array__",
      [](const Image & image, const py::object & dtype, const py::object & copy) -> py::array {
        const bool mustCopy = !copy.is_none() && copy.cast<bool>();
        const bool mayCopy = copy.is_none() || mustCopy;
        py::array  array = mustCopy ? image.ArrayCopy(false) : image.ArrayView(false);
        if (!dtype.is_none() && !py::dtype::from_args(dtype).equal(array.dtype()))
        {
          if (!mayCopy)
          {
            throw py::value_error("nibridge.Image.__array__: converting " + py::str(array.dtype()).cast<std::string>() +
                                  " to " + py::str(py::dtype::from_args(dtype)).cast<std::string>() +
                                  " needs a copy, and copy=False forbids it");
          }
          return array.attr("astype")(dtype);
        }
        return array;
      },
      py::arg("dtype") = py::none(),
      py::arg("copy") = py::none(),
      "NumPy's array protocol: a view (shape (k, j, i[, c])) unless a copy or another dtype is asked for.")
    .def_property_readonly(
      "dtype", [](const Image & image) { return image.Operations().DType(); }, "The NumPy dtype of a component.")
    .def_property_readonly(
      "shape",
      [](const Image & image) {
        std::vector<py::ssize_t> shape, strides;
        image.Layout(false, shape, strides);
        return py::tuple(py::cast(shape));
      },
      "The shape of the default NumPy view: (k, j, i[, c]).")
    .def_property_readonly(
      "ndim",
      [](const Image & image) {
        const auto kind = image.Operations().Kind();
        return kind.dimension + (kind.isVector ? 1 : 0);
      },
      "len(shape): the image dimension, plus one for a vector image's component axis.")
    .def_property_readonly(
      "dimension", [](const Image & image) { return image.Operations().Kind().dimension; }, "The ITK dimension.")
    .def_property_readonly(
      "is_vector",
      [](const Image & image) { return image.Operations().Kind().isVector; },
      "Whether the image is an itk::VectorImage (a trailing component axis in NumPy).")
    .def_property(
      "pixel_type",
      [](const Image & image) { return PixelTypeName(image.GetPixelType()); },
      [](Image & image, const std::string & name) {
        for (const auto type : { PixelType::Scalar, PixelType::Vector, PixelType::RGB, PixelType::RGBA })
        {
          if (name == PixelTypeName(type))
          {
            image.SetPixelType(type, "Image.pixel_type");
            return;
          }
        }
        throw py::value_error("Image.pixel_type: expected 'scalar', 'vector', 'rgb' or 'rgba', got " +
                              py::repr(py::str(name)).cast<std::string>());
      },
      "What the components mean: 'scalar' (a scalar image), 'vector', 'rgb' or 'rgba' (a vector image of 3 "
      "or 4 colour channels; imwrite writes them as ITK's RGB / RGBA pixels). Settable on vector images.")
    .def_property_readonly(
      "number_of_components", &Image::NumberOfComponents, "Components per pixel (1 for a scalar image).")
    .def_property_readonly(
      "buffered_region",
      [](const Image & image) {
        const auto & operations = image.Operations();
        return py::make_tuple(py::tuple(py::cast(operations.BufferedIndex(image.ItkImage()))),
                              py::tuple(py::cast(operations.BufferedSize(image.ItkImage()))));
      },
      "(index, size) of the buffered region, in ITK order (i, j, k[, t]).")
    .def_property(
      "spacing",
      [](const Image & image) {
        const auto dimension = static_cast<py::ssize_t>(image.Operations().Kind().dimension);
        return ToArray(image.Operations().Spacing(image.ItkImage()), { dimension });
      },
      [](Image & image, const py::object & spacing) {
        SetGeometry(image, spacing, py::none(), py::none(), "Image.spacing");
      },
      "Spacing in mm, in index order (i, j, k[, t]).")
    .def_property(
      "origin",
      [](const Image & image) {
        const auto dimension = static_cast<py::ssize_t>(image.Operations().Kind().dimension);
        return ToArray(image.Operations().Origin(image.ItkImage()), { dimension });
      },
      [](Image & image, const py::object & origin) {
        SetGeometry(image, py::none(), origin, py::none(), "Image.origin");
      },
      "The physical point of index 0 (LPS, mm).")
    .def_property(
      "direction",
      [](const Image & image) {
        const auto dimension = static_cast<py::ssize_t>(image.Operations().Kind().dimension);
        return ToArray(image.Operations().Direction(image.ItkImage()), { dimension, dimension });
      },
      [](Image & image, const py::object & direction) {
        SetGeometry(image, py::none(), py::none(), direction, "Image.direction");
      },
      "The direction matrix (LPS): column c is the physical direction of index axis c.")
    .def_property("affine",
                  &RASAffine,
                  &SetRASAffine,
                  "nibabel's affine of the first three axes: voxel (i, j, k) to RAS+ mm, a 4x4 float64 array. "
                  "Setting it sets spacing, origin and direction (LPS) by DESIGN's rule, and reading it back "
                  "gives the same affine bit for bit until the geometry is edited; otherwise it is computed "
                  "from the geometry (a 2D image sits in the z = 0 plane).")
    .def_property_readonly("metadata",
                           &MetaData,
                           "A dict of the image's ITK MetaDataDictionary: what the reader found (NIfTI header "
                           "fields, NRRD keys, nibabel's image class and warnings, the kept affine under "
                           "NiBridge_RASAffine...). Strings, numbers and bools; other entries are left out. A copy: "
                           "changing it changes nothing.")
    .def_property("writeable",
                  &Image::IsWriteable,
                  &Image::SetWriteable,
                  "Whether NumPy views and buffer exports of this image may be written.")
    .def(
      "allocate",
      [](Image & image, bool initialize) { image.Operations().Allocate(image.ItkImage(), initialize); },
      py::arg("initialize") = false,
      "Gives the image a new pixel buffer (zero-filled if ``initialize``). Existing views keep the old one.")
    .def("__repr__", &Representation);
}

} // namespace nibridge
