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
 * NiftiImageIO unless the plugin takes NIfTI (ImageIOList::PluginTakesNIfTI, NIBRIDGE_PLUGIN_NIFTI=nibabel). Never
 * throws. */
extern "C" ITK_ABI_EXPORT void
nibridgePluginNiBabelImageIOs(std::vector<itk::nibridge::ProvidedImageIO> * imageIOs)
{
  itk::NiBabelImageIO::SetDefaultLeavesNIfTIToITK(!itk::nibridge::ImageIOList::PluginTakesNIfTI());
  *imageIOs = itk::nibridge::PythonBridgeImageIOs();
}
