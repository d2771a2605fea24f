/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef nibridgePixelContainer_h
#define nibridgePixelContainer_h

// Private to the extension, like nibridgeImage.h: the pixel container and image classes behind every
// nibridge.Image, for the per-kind operations (nibridgeImageOperations.cpp) to instantiate.
#include "nibridgeImage.h"

#include "itkImportImageContainer.h"
#include "itkNiBridgeMacro.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

namespace nibridge
{
/** The number of NiBridge pixel containers alive in the process (for the lifetime tests). */
std::atomic<long> &
LivePixelContainerCount();

/** Asks the kernel for transparent huge pages over the whole 2 MiB pages inside a block of 4 MiB or more
 * (NumPy's rule for its own arrays). Only advice: a kernel that says no changes nothing. */
void
AdviseHugePages(void * memory, std::size_t bytes);

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

} // namespace nibridge

#endif
