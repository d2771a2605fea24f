/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// The NiBridge plugin's nibabel module: NiBabelImageIO for unmodified ITK applications. It links the Python
// bridge (and so libpython); the plugin (itkNiBridgePlugin.cxx) loads it from its itkLoad, so that a Python
// that cannot be loaded costs the nibabel formats, never the plugin. Loading it does not start Python.

#include "itkNiBabelImageIOFactory.h"

#include <algorithm>
#include <cstring>
#include <iostream>

/** Registers a NiBabelImageIOFactory at the front of ITK's list (its RegisterOneFactory()), unless one is
 * registered already: by the application itself, or before ITK's ReHash() loaded the plugins again. Never
 * throws: ITK, which is calling the plugin's itkLoad, would not catch the exception. */
extern "C" ITK_ABI_EXPORT void
nibridgePluginRegisterNiBabelFormats()
{
  try
  {
    const auto registered = itk::ObjectFactoryBase::GetRegisteredFactories();
    const bool present = std::any_of(registered.cbegin(), registered.cend(), [](itk::ObjectFactoryBase * factory) {
      return std::strcmp(factory->GetNameOfClass(), "NiBabelImageIOFactory") == 0;
    });
    if (!present)
    {
      itk::NiBabelImageIOFactory::RegisterOneFactory();
    }
  }
  catch (const std::exception & error)
  {
    std::cerr << "NiBridge plugin: the formats read through nibabel are not available: " << error.what() << std::endl;
  }
}
