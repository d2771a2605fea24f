/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBabelImageIOFactory.h"

#include "itkNiBridgeImageIOList.h"

#include <mutex>

namespace itk
{
void
NiBabelImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NiBabelImageIOFactory::RegisterOneFactory(); });
}

namespace nibridge
{
void
ProvidePythonBridgeImageIOs()
{
  ImageIOList::Provide(ImageIOProvider::PythonBridge,
                       { { "NiBabelImageIO",
                           [] { return ImageIOBase::Pointer(NiBabelImageIO::New()); },
                           [] { return ObjectFactoryBase::Pointer(NiBabelImageIOFactory::New()); } } });
}
} // namespace nibridge
} // namespace itk
