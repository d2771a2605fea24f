/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNumPyImageIOFactory.h"

#include "itkNiBridgeMGHImageIO.h"
#include "itkNiBridgeNiftiImageIO.h"

#include <mutex>

namespace itk
{
// The registration functions ITK's module system calls for the FACTORY_NAMES of itk-module.cmake.

void
NumPyImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NumPyImageIOFactory::RegisterOneFactory(); });
}

void
NiBridgeNiftiImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NiBridgeNiftiImageIOFactory::RegisterOneFactory(); });
}

void
NiBridgeMGHImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NiBridgeMGHImageIOFactory::RegisterOneFactory(); });
}

} // namespace itk
