/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A loadable module holding every ImageIO ITK has, and NiBridge's nibabel reader (with its embedded
// Python) where it is built. ni2npy loads it only for inputs its own readers (NIfTI-1, Analyze, .npy)
// do not take: loading ITK's 21 IO libraries (GDCM, HDF5, MINC, ...) costs about 40 ms at start-up,
// as much as converting a 256^3 volume.

#include "itkImageFileReader.h" // registers every ImageIO factory linked into this module
#include "itkImageIOFactory.h"
#ifdef NI2NPY_HAVE_NIBABEL
#  include "itkNiBabelImageIO.h"
#  include "itkNiBabelImageIOFactory.h"
#endif

/** The ImageIO that reads `fileName`, with one reference held for the caller to adopt; null if no
 * reader recognises the file. With `readAsFloat64`, a nibabel reader gives get_fdata()'s values. */
extern "C" __attribute__((visibility("default"))) itk::ImageIOBase *
ni2npyCreateImageIO(const char * fileName, int readAsFloat64)
{
#ifdef NI2NPY_HAVE_NIBABEL
  // In front of ITK's readers: nibabel's geometry for MINC, and the formats ITK does not read.
  static const bool registered = [] {
    itk::NiBabelImageIOFactory::RegisterOneFactory();
    return true;
  }();
  static_cast<void>(registered);
#endif
  itk::ImageIOBase::Pointer imageIO =
    itk::ImageIOFactory::CreateImageIO(fileName, itk::CommonEnums::IOFileMode::ReadMode);
  if (!imageIO)
  {
    return nullptr;
  }
#ifdef NI2NPY_HAVE_NIBABEL
  if (auto * nibabelIO = dynamic_cast<itk::NiBabelImageIO *>(imageIO.GetPointer()))
  {
    nibabelIO->SetReadAsFloat64(readAsFloat64 != 0);
  }
#else
  static_cast<void>(readAsFloat64);
#endif
  imageIO->Register();
  return imageIO.GetPointer();
}
