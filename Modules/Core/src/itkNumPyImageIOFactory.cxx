/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNumPyImageIOFactory.h"

#include "itkNumPyImageIO.h"
#include "itkVersion.h"

#include <mutex>

namespace itk
{
NumPyImageIOFactory::NumPyImageIOFactory()
{
  this->RegisterOverride(
    "itkImageIOBase", "itkNumPyImageIO", "NumPy .npy Image IO", true, CreateObjectFunction<NumPyImageIO>::New());
}

NumPyImageIOFactory::~NumPyImageIOFactory() = default;

const char *
NumPyImageIOFactory::GetITKSourceVersion() const
{
  return ITK_SOURCE_VERSION;
}

const char *
NumPyImageIOFactory::GetDescription() const
{
  return "NumPy .npy ImageIO Factory, allows the loading of NumPy .npy files into ITK";
}

void
NumPyImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NumPyImageIOFactory::RegisterOneFactory(); });
}

} // namespace itk
