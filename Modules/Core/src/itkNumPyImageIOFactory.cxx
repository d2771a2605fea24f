/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNumPyImageIOFactory.h"

#include <mutex>

namespace itk
{
void
NumPyImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NumPyImageIOFactory::RegisterOneFactory(); });
}

} // namespace itk
