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
std::vector<ProvidedImageIO>
PythonBridgeImageIOs()
{
  return { ProvidedImageIOOf<NiBabelImageIO>() };
}

void
ProvidePythonBridgeImageIOs()
{
  ImageIOList::Provide(ImageIOProvider::PythonBridge, PythonBridgeImageIOs());
}
} // namespace nibridge
} // namespace itk
