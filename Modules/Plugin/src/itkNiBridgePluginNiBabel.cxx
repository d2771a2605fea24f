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
#include "itkNiBridgeImageIOList.h"

/** Hands NiBabelImageIO to the plugin, for its ImageIOList: its IOs leave NIfTI-1 and Analyze files to ITK's
 * NiftiImageIO when `leavesNIfTIToITK` (the plugin's default). Never throws. */
extern "C" ITK_ABI_EXPORT void
nibridgePluginNiBabelImageIOs(bool leavesNIfTIToITK, std::vector<itk::nibridge::ProvidedImageIO> * imageIOs)
{
  itk::NiBabelImageIO::SetDefaultLeavesNIfTIToITK(leavesNIfTIToITK);
  *imageIOs = { { "NiBabelImageIO",
                  [] { return itk::ImageIOBase::Pointer(itk::NiBabelImageIO::New()); },
                  [] { return itk::ObjectFactoryBase::Pointer(itk::NiBabelImageIOFactory::New()); } } };
}
