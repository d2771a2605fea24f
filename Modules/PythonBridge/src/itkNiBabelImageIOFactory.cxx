/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBabelImageIOFactory.h"

#include "itkNiBridgeImageIOList.h"

namespace itk
{
void
NiBabelImageIOFactoryRegister__Private()
{
  NiBabelImageIOFactory::RegisterOneFactory(); // once: it registers only where none of its name is
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
