/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A loadable module holding every ImageIO ITK has. ni2npy loads it only for inputs its own readers
// (NIfTI, Analyze, .npy) do not take: loading ITK's 21 IO libraries (GDCM, HDF5, MINC, ...) costs
// about 40 ms at start-up, as much as converting a 256^3 volume.

#include "itkImageFileReader.h" // registers every ImageIO factory linked into this module
#include "itkImageIOFactory.h"

/** The ImageIO that reads `fileName`, with one reference held for the caller to adopt; null if no
 * reader recognises the file. */
extern "C" __attribute__((visibility("default"))) itk::ImageIOBase *
ni2npyCreateImageIO(const char * fileName)
{
  itk::ImageIOBase::Pointer imageIO =
    itk::ImageIOFactory::CreateImageIO(fileName, itk::CommonEnums::IOFileMode::ReadMode);
  if (imageIO)
  {
    imageIO->Register();
  }
  return imageIO.GetPointer();
}
