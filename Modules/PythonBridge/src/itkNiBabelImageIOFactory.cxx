/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBabelImageIOFactory.h"

#include "itkNiBabelImageIO.h"
#include "itkVersion.h"

#include <mutex>

namespace itk
{
NiBabelImageIOFactory::NiBabelImageIOFactory()
{
  this->RegisterOverride("itkImageIOBase",
                         "itkNiBabelImageIO",
                         "nibabel Image IO (embedded Python)",
                         true,
                         CreateObjectFunction<NiBabelImageIO>::New());
}

NiBabelImageIOFactory::~NiBabelImageIOFactory() = default;

const char *
NiBabelImageIOFactory::GetITKSourceVersion() const
{
  return ITK_SOURCE_VERSION;
}

const char *
NiBabelImageIOFactory::GetDescription() const
{
  return "nibabel ImageIO Factory, allows the loading of every image format nibabel reads into ITK";
}

void
NiBabelImageIOFactory::RegisterOneFactory()
{
  auto factory = NiBabelImageIOFactory::New();
  // In front: ITK's MINCImageIO would otherwise take .mnc files and mirror them.
  ObjectFactoryBase::RegisterFactory(factory, ObjectFactoryBase::INSERT_AT_FRONT);
}

void
NiBabelImageIOFactoryRegister__Private()
{
  static std::once_flag registered;
  std::call_once(registered, []() { NiBabelImageIOFactory::RegisterOneFactory(); });
}

} // namespace itk
