/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

#include "itkImage.h"
#include "itkImportImageContainer.h"
#include "itkMetaDataObject.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeMacro.h"
#include "itkVectorImage.h"

#include <pybind11/complex.h>
#include <pybind11/stl.h>

#include <map>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/mman.h>
#include <sstream>
#include <thread>
#include <type_traits>

namespace nibridge
{
namespace
{
using itk::nibridge::ComponentTypes;
using itk::nibridge::TypeList;

/** Asks the kernel for transparent huge pages over the whole 2 MiB pages inside a block of 4 MiB or more
 * (NumPy's rule for its own arrays). Only advice: a kernel that says no changes nothing. */
void
AdviseHugePages(void * memory, std::size_t bytes)
{
  constexpr std::uintptr_t HugePage = std::uintptr_t{ 1 } << 21;
  if (bytes < 2 * HugePage)
  {
    return;
  }
  const auto begin = (reinterpret_cast<std::uintptr_t>(memory) + HugePage - 1) & ~(HugePage - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(memory) + bytes) & ~(HugePage - 1);
  if (end > begin)
  {
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
  }
}

/** \brief A pixel container whose memory is either allocated here without initialization (ITK's own
 * allocation value-initializes std::complex) or a Python buffer export, released under the GIL from
 * whichever thread drops the last reference. Counted, for the lifetime tests. */
template<typename TElement>
class BufferContainer final : public itk::ImportImageContainer<itk::SizeValueType, TElement>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(BufferContainer);

  using Self = BufferContainer;
  using Superclass = itk::ImportImageContainer<itk::SizeValueType, TElement>;
  using Pointer = itk::SmartPointer<Self>;
  using ConstPointer = itk::SmartPointer<const Self>;
  // Not itkNewMacro: ITK's object factories are asked on every New() and walk every registered factory,
  // which costs more than the rest of a view; nothing overrides this class.
  itkFactorylessNewMacro(Self);
  itkOverrideGetNameOfClassMacro(BufferContainer);

  /** Memory for `numberOfElements`, uninitialized or zero-filled. Large blocks ask for transparent huge
   * pages, as NumPy does for its arrays: first-touch page faults otherwise cost more than the copy. */
  void
  Allocate(itk::SizeValueType numberOfElements, bool zeroFilled)
  {
    const std::size_t bytes = std::max<std::size_t>(numberOfElements, 1) * sizeof(TElement);
    // calloc takes fresh pages from the system already zeroed, where a memset would touch every page.
    void * memory = zeroFilled ? std::calloc(bytes, 1) : std::malloc(bytes);
    if (memory == nullptr)
    {
      throw std::bad_alloc();
    }
    AdviseHugePages(memory, bytes);
    m_Allocated.reset(static_cast<TElement *>(memory));
    this->SetImportPointer(m_Allocated.get(), numberOfElements, false);
  }

  void
  Import(std::unique_ptr<py::buffer_info> bufferExport, itk::SizeValueType numberOfElements)
  {
    this->SetImportPointer(static_cast<TElement *>(bufferExport->ptr), numberOfElements, false);
    m_Export = std::move(bufferExport);
  }

protected:
  BufferContainer() { ++LivePixelContainerCount(); }
  ~BufferContainer() override
  {
    if (m_Export)
    {
      if (Py_IsInitialized())
      {
        py::gil_scoped_acquire gil;
        m_Export.reset();
      }
      else
      {
        // The interpreter is gone, and with it the exporter's memory: nothing left to release.
        static_cast<void>(m_Export.release());
      }
    }
    --LivePixelContainerCount();
  }

private:
  struct Free
  {
    void
    operator()(TElement * memory) const
    {
      std::free(memory);
    }
  };
  std::unique_ptr<TElement, Free>  m_Allocated;
  std::unique_ptr<py::buffer_info> m_Export;
};

/** \brief An itk::Image or itk::VectorImage made without asking ITK's object factories (see
 * BufferContainer). It adds nothing to its image class, and CreateAnother still gives a plain one. */
template<typename TImage>
class FactorylessImage final : public TImage
{
public:
  static typename TImage::Pointer
  New()
  {
    typename TImage::Pointer image = new FactorylessImage;
    image->UnRegister();
    return image;
  }

private:
  FactorylessImage() = default;
  ~FactorylessImage() override = default;
};

template<typename TComponent, unsigned int Dimension, bool IsVector>
class TypedImageOperations final : public ImageOperations
{
public:
  using ImageType =
    std::conditional_t<IsVector, itk::VectorImage<TComponent, Dimension>, itk::Image<TComponent, Dimension>>;
  using ContainerType = BufferContainer<TComponent>;

  ImageKind
  Kind() const override
  {
    return { itk::nibridge::ComponentTypeOf<TComponent>(), Dimension, IsVector };
  }
  py::dtype
  DType() const override
  {
    return py::dtype::of<TComponent>();
  }
  std::size_t
  ItemSize() const override
  {
    return sizeof(TComponent);
  }

  itk::DataObject::Pointer
  New(const std::vector<itk::SizeValueType> & size, unsigned int numberOfComponents) const override
  {
    auto                           image = FactorylessImage<ImageType>::New();
    typename ImageType::RegionType region;
    for (unsigned int axis = 0; axis < Dimension; ++axis)
    {
      region.SetSize(axis, size[axis]);
    }
    image->SetRegions(region);
    if constexpr (IsVector)
    {
      image->SetNumberOfComponentsPerPixel(numberOfComponents);
    }
    return image.GetPointer();
  }
  void
  Allocate(itk::DataObject & image, bool zeroFilled) const override
  {
    auto container = ContainerType::New();
    container->Allocate(NumberOfElements(image), zeroFilled);
    Cast(image).SetPixelContainer(container);
  }
  void
  Import(itk::DataObject & image, std::unique_ptr<py::buffer_info> bufferExport) const override
  {
    auto container = ContainerType::New();
    container->Import(std::move(bufferExport), NumberOfElements(image));
    Cast(image).SetPixelContainer(container);
  }

  void *
  Buffer(const itk::DataObject & image) const override
  {
    return const_cast<ImageType &>(Cast(image)).GetBufferPointer();
  }
  itk::LightObject::Pointer
  PixelContainer(const itk::DataObject & image) const override
  {
    return const_cast<ImageType &>(Cast(image)).GetPixelContainer();
  }
  unsigned int
  NumberOfComponents(const itk::DataObject & image) const override
  {
    // Not GetNumberOfComponentsPerPixel() for scalar images: it counts 2 for a complex pixel.
    if constexpr (IsVector)
    {
      return Cast(image).GetNumberOfComponentsPerPixel();
    }
    return 1;
  }

  std::vector<itk::IndexValueType>
  BufferedIndex(const itk::DataObject & image) const override
  {
    const auto index = Cast(image).GetBufferedRegion().GetIndex();
    return { index.begin(), index.end() };
  }
  std::vector<itk::SizeValueType>
  BufferedSize(const itk::DataObject & image) const override
  {
    const auto size = Cast(image).GetBufferedRegion().GetSize();
    return { size.begin(), size.end() };
  }
  std::vector<double>
  Spacing(const itk::DataObject & image) const override
  {
    const auto spacing = Cast(image).GetSpacing();
    return { spacing.Begin(), spacing.End() };
  }
  void
  SetSpacing(itk::DataObject & image, const double * spacing) const override
  {
    Cast(image).SetSpacing(spacing);
  }
  std::vector<double>
  Origin(const itk::DataObject & image) const override
  {
    const auto origin = Cast(image).GetOrigin();
    return { origin.Begin(), origin.End() };
  }
  void
  SetOrigin(itk::DataObject & image, const double * origin) const override
  {
    Cast(image).SetOrigin(origin);
  }
  std::vector<double>
  Direction(const itk::DataObject & image) const override
  {
    const auto &        direction = Cast(image).GetDirection();
    std::vector<double> rowMajor;
    for (unsigned int row = 0; row < Dimension; ++row)
    {
      for (unsigned int column = 0; column < Dimension; ++column)
      {
        rowMajor.push_back(direction(row, column));
      }
    }
    return rowMajor;
  }
  void
  SetDirection(itk::DataObject & image, const double * direction) const override
  {
    typename ImageType::DirectionType matrix;
    for (unsigned int row = 0; row < Dimension; ++row)
    {
      for (unsigned int column = 0; column < Dimension; ++column)
      {
        matrix(row, column) = direction[row * Dimension + column];
      }
    }
    Cast(image).SetDirection(matrix);
  }

private:
  static ImageType &
  Cast(itk::DataObject & image)
  {
    return static_cast<ImageType &>(image);
  }
  static const ImageType &
  Cast(const itk::DataObject & image)
  {
    return static_cast<const ImageType &>(image);
  }
  static itk::SizeValueType
  NumberOfElements(const itk::DataObject & image)
  {
    const auto & region = Cast(image).GetBufferedRegion();
    if constexpr (IsVector)
    {
      return region.GetNumberOfPixels() * Cast(image).GetNumberOfComponentsPerPixel();
    }
    return region.GetNumberOfPixels();
  }
};

template<typename TComponent>
const ImageOperations *
OperationsOfComponent(const ImageKind & kind)
{
  if (kind.component != itk::nibridge::ComponentTypeOf<TComponent>())
  {
    return nullptr;
  }
  static const TypedImageOperations<TComponent, 2, false> scalar2;
  static const TypedImageOperations<TComponent, 3, false> scalar3;
  static const TypedImageOperations<TComponent, 4, false> scalar4;
  static const TypedImageOperations<TComponent, 2, true>  vector2;
  static const TypedImageOperations<TComponent, 3, true>  vector3;
  static const TypedImageOperations<TComponent, 4, true>  vector4;
  const ImageOperations * const table[2][3] = { { &scalar2, &scalar3, &scalar4 }, { &vector2, &vector3, &vector4 } };
  return (kind.dimension >= 2 && kind.dimension <= 4) ? table[kind.isVector ? 1 : 0][kind.dimension - 2] : nullptr;
}

template<typename... TComponent>
const ImageOperations *
FindOperations(const ImageKind & kind, TypeList<TComponent...>)
{
  const ImageOperations * found = nullptr;
  ((found = found ? found : OperationsOfComponent<TComponent>(kind)), ...);
  return found;
}

std::string
SupportedDTypes()
{
  std::string names;
  for (int index = 0; index <= static_cast<int>(ComponentType::Complex128); ++index)
  {
    names += (index == 0 ? "" : ", ") + std::string(ComponentTypeName(static_cast<ComponentType>(index)));
  }
  return names;
}

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

/** Puts the entry's value into `result` if it is a MetaDataObject of one of the types T; false if not. */
template<typename... T>
bool
AddMetaDataValue(py::dict & result, const std::string & key, const itk::MetaDataObjectBase * entry)
{
  const auto add = [&](const auto * typed) {
    if (typed != nullptr)
    {
      result[py::str(key)] = typed->GetMetaDataObjectValue();
    }
    return typed != nullptr;
  };
  return (add(dynamic_cast<const itk::MetaDataObject<T> *>(entry)) || ...);
}

/** The MetaDataDictionary entries Python can hold: strings, numbers and bools, by key. Entries of other
 * types (ITK arrays, matrices...) are left out. */
py::dict
MetaData(const Image & image)
{
  py::dict     result;
  const auto & dictionary = image.ItkImage().GetMetaDataDictionary();
  for (const auto & key : dictionary.GetKeys())
  {
    AddMetaDataValue<std::string, double, float, int, unsigned int, long, bool>(result, key, dictionary.Get(key));
  }
  return result;
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

/** Sets the spatial geometry from a nibabel affine (DESIGN's rule, in Core) and keeps the affine, so that
 * Image.affine gives it back bit for bit while the geometry is not edited. Axes beyond the third keep
 * their spacing and origin. */
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

std::atomic<long> &
LivePixelContainerCount()
{
  static std::atomic<long> count{ 0 };
  return count;
}

const ImageOperations &
OperationsFor(const ImageKind & kind)
{
  if (const auto * operations = FindOperations(kind, ComponentTypes{}))
  {
    return *operations;
  }
  throw py::type_error(std::string("nibridge: no image of ") + ComponentTypeName(kind.component) + " in " +
                       std::to_string(kind.dimension) + " dimensions; supported: 2, 3 and 4 dimensions of " +
                       SupportedDTypes());
}

ComponentType
ComponentTypeOf(const py::dtype & dtype, const char * function)
{
  const auto size = dtype.itemsize();
  // Structured and sub-array dtypes are of kind 'V', refused below with the rest.
  switch (dtype.kind())
  {
    case 'b':
      return ComponentType::Bool;
    case 'i':
    case 'u':
      if (const auto integer = itk::nibridge::IntegerComponentType(dtype.kind() == 'i', static_cast<std::size_t>(size)))
      {
        return *integer;
      }
      break;
    case 'f':
      if (size == 2)
      {
        throw py::type_error(std::string(function) +
                             ": float16 is not an ITK pixel type; convert first, e.g. array.astype(numpy.float32)");
      }
      if (size == 4 || size == 8)
      {
        return size == 4 ? ComponentType::Float32 : ComponentType::Float64;
      }
      break;
    case 'c':
      if (size == 8 || size == 16)
      {
        return size == 8 ? ComponentType::Complex64 : ComponentType::Complex128;
      }
      break;
    default:
      break;
  }
  throw py::type_error(std::string(function) + ": unsupported dtype " + py::str(dtype).cast<std::string>() +
                       "; supported: " + SupportedDTypes());
}

void
BufferLayout(const std::vector<itk::SizeValueType> & size,
             unsigned int                            numberOfComponents,
             bool                                    isVector,
             std::size_t                             itemSize,
             bool                                    keepAxes,
             std::vector<py::ssize_t> &              shape,
             std::vector<py::ssize_t> &              strides)
{
  const std::size_t dimension = size.size();
  // Strides in ITK's index order: i is the fastest axis after the components.
  std::vector<py::ssize_t> indexStrides(dimension);
  py::ssize_t              stride = static_cast<py::ssize_t>(itemSize * numberOfComponents);
  for (std::size_t axis = 0; axis < dimension; ++axis)
  {
    indexStrides[axis] = stride;
    stride *= static_cast<py::ssize_t>(size[axis]);
  }
  shape.clear();
  strides.clear();
  for (std::size_t position = 0; position < dimension; ++position)
  {
    const std::size_t axis = keepAxes ? position : dimension - 1 - position;
    shape.push_back(static_cast<py::ssize_t>(size[axis]));
    strides.push_back(indexStrides[axis]);
  }
  if (isVector)
  {
    shape.push_back(numberOfComponents);
    strides.push_back(static_cast<py::ssize_t>(itemSize));
  }
}

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

std::size_t
Image::NumberOfBytes() const
{
  std::size_t bytes = m_Operations->ItemSize() * NumberOfComponents();
  for (const auto extent : m_Operations->BufferedSize(*m_Image))
  {
    bytes *= extent;
  }
  return bytes;
}

void
Image::Layout(bool keepAxes, std::vector<py::ssize_t> & shape, std::vector<py::ssize_t> & strides) const
{
  BufferLayout(m_Operations->BufferedSize(*m_Image),
               NumberOfComponents(),
               m_Operations->Kind().isVector,
               m_Operations->ItemSize(),
               keepAxes,
               shape,
               strides);
}

py::array
Image::ArrayView(bool keepAxes) const
{
  std::vector<py::ssize_t> shape, strides;
  Layout(keepAxes, shape, strides);
  // The capsule owns a reference to the pixel container: the view outlives the image and its re-allocation.
  auto        container = std::make_unique<itk::LightObject::Pointer>(m_Operations->PixelContainer(*m_Image));
  py::capsule owner(container.get(), "nibridge.PixelContainer", [](void * pointer) {
    delete static_cast<itk::LightObject::Pointer *>(pointer);
  });
  container.release();
  py::array view(m_Operations->DType(), shape, strides, m_Operations->Buffer(*m_Image), owner);
  if (!m_Writeable)
  {
    py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  }
  return view;
}

py::array
Image::ArrayCopy(bool keepAxes) const
{
  std::vector<py::ssize_t> shape, strides;
  Layout(keepAxes, shape, strides);
  // No data pointer: NumPy allocates without initializing, and the one copy fills it.
  py::array    copy(m_Operations->DType(), shape, strides);
  void *       destination = copy.mutable_data();
  const void * source = m_Operations->Buffer(*m_Image);
  const auto   bytes = NumberOfBytes();
  {
    py::gil_scoped_release release;
    std::memcpy(destination, source, bytes);
  }
  return copy;
}

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
    try
    {
      operations.SetDirection(image.ItkImage(), values.data());
    }
    catch (const itk::ExceptionObject &)
    {
      throw py::value_error(std::string(function) + ": direction must be invertible, got " +
                            py::repr(direction).cast<std::string>());
    }
  }
}

void
init_image(py::module_ & module)
{
  py::class_<Image>(module, "Image", py::buffer_protocol(), R"doc(
An ITK image (itk::Image or itk::VectorImage) of any supported pixel type in 2, 3 or 4 dimensions.

Geometry is ITK's, in LPS millimetres and in index order (i, j, k): a physical point is
origin + direction @ diag(spacing) @ index. ``shape`` is NumPy's order (k, j, i[, c]).
bool images are itk::Image<bool>: one byte per pixel, NumPy's bool layout, no flag.
)doc")
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

  module.def(
    "_reallocate_releasing_in_native_thread",
    [](Image & image) {
      itk::LightObject::Pointer previous = image.Operations().PixelContainer(image.ItkImage());
      image.Operations().Allocate(image.ItkImage(), false);
      py::gil_scoped_release release;
      std::thread([container = std::move(previous)]() mutable { container = nullptr; }).join();
    },
    py::arg("image"),
    "For tests: re-allocates the image, and drops its previous pixel buffer in a thread Python never saw.");
  module.def(
    "_live_pixel_container_count",
    []() { return LivePixelContainerCount().load(); },
    "For tests: how many NiBridge pixel containers are alive.");
  module.def(
    "_set_metadata",
    [](Image & image, const std::map<std::string, std::string> & entries) {
      auto & dictionary = image.ItkImage().GetMetaDataDictionary();
      for (const auto & [key, value] : entries)
      {
        itk::EncapsulateMetaData<std::string>(dictionary, key, value);
      }
    },
    py::arg("image"),
    py::arg("entries"),
    "For from_nibabel: puts text entries (nibabel's metadata, as the readers write it) into the image's "
    "MetaDataDictionary.");
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
