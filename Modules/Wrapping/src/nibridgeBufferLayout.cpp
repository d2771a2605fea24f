/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// The NumPy side of an image's pixel buffer: its shape and strides, and the views and copies over it.
#include "nibridgeImage.h"

#include <cstring>
#include <memory>

namespace nibridge
{
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

} // namespace nibridge
