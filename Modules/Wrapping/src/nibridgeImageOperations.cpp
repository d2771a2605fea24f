/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"
#include "nibridgePixelContainer.h"

#include "itkImage.h"
#include "itkVectorImage.h"

#include <pybind11/complex.h>

#include <string>
#include <type_traits>

namespace nibridge
{
namespace
{
using itk::nibridge::ComponentTypes;
using itk::nibridge::TypeList;

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
} // namespace

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
  const auto size = static_cast<std::size_t>(dtype.itemsize());
  if (dtype.kind() == 'f' && size == 2)
  {
    throw py::type_error(std::string(function) +
                         ": float16 is not an ITK pixel type; convert first, e.g. array.astype(numpy.float32)");
  }
  // Structured and sub-array dtypes are of kind 'V', which no component type has.
  if (const auto component = itk::nibridge::ComponentTypeFromNumPyKind(dtype.kind(), size))
  {
    return *component;
  }
  throw py::type_error(std::string(function) + ": unsupported dtype " + py::str(dtype).cast<std::string>() +
                       "; supported: " + SupportedDTypes());
}

} // namespace nibridge
