/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A loadable module holding ITK's ImageIOs and, where it is built, NiBridge's nibabel reader (with its embedded
// Python): the entries of NiBridge's ImageIOList that ni2npy does not link. ni2npy loads it only for inputs its native
// readers (NIfTI-1/2, Analyze, MGH/MGZ, .npy) do not take: loading ITK's 21 IO libraries (GDCM, HDF5, MINC, ...)
// costs about 40 ms at start-up, as much as converting a 256^3 volume.

#include "itkNiBridgeITKImageIOs.h"
#ifdef NI2NPY_HAVE_NIBABEL
#  include "itkNiBabelImageIOFactory.h"
#endif

/** The ImageIO classes of `provider` this module holds, for ni2npy to provide to its own ImageIOList. */
extern "C" __attribute__((visibility("default"))) void
ni2npyModuleImageIOs(itk::nibridge::ImageIOProvider provider, std::vector<itk::nibridge::ProvidedImageIO> * imageIOs)
{
  if (provider == itk::nibridge::ImageIOProvider::ITK)
  {
    *imageIOs = itk::nibridge::ITKImageIOs();
  }
#ifdef NI2NPY_HAVE_NIBABEL
  if (provider == itk::nibridge::ImageIOProvider::PythonBridge)
  {
    *imageIOs = itk::nibridge::PythonBridgeImageIOs(); // its factory unused: ni2npy registers none
  }
#endif
}
