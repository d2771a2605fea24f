/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNumPyImageIOFactory.h"

#include "itkNiBridgeGuardImageIO.h"
#include "itkNiBridgeIsolatedImageIO.h"
#include "itkNiBridgeMGHImageIO.h"
#include "itkNiBridgeNiftiImageIO.h"

namespace itk
{
// The registration functions ITK's module system calls for the FACTORY_NAMES of itk-module.cmake.

void
NumPyImageIOFactoryRegister__Private()
{
  NumPyImageIOFactory::RegisterOneFactory(); // once: it registers only where none of its name is
}

void
NiBridgeNiftiImageIOFactoryRegister__Private()
{
  NiBridgeNiftiImageIOFactory::RegisterOneFactory(); // once: it registers only where none of its name is
}

void
NiBridgeMGHImageIOFactoryRegister__Private()
{
  NiBridgeMGHImageIOFactory::RegisterOneFactory(); // once: it registers only where none of its name is
}

void
NiBridgeGuardImageIOFactoryRegister__Private()
{
  NiBridgeGuardImageIOFactory::RegisterOneFactory(); // once: it registers only where none of its name is
}

void
NiBridgeIsolatedImageIOFactoryRegister__Private()
{
  NiBridgeIsolatedImageIOFactory::RegisterOneFactory(); // once: it registers only where none of its name is
}

} // namespace itk
