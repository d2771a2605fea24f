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
#  include "itkMetaDataObject.h"
#endif

#ifdef NI2NPY_HAVE_NIBABEL
namespace
{
/** True if nibabel's values for the file are its stored values (no scaling applied): then ni2npy
 * converts them to float64 itself, exactly as get_fdata() would, from a quarter of the bytes (int16). */
bool
HoldsStoredValues(itk::NiBabelImageIO & imageIO, const char * fileName)
{
  try
  {
    imageIO.SetFileName(fileName);
    imageIO.ReadImageInformation();
  }
  catch (const itk::ExceptionObject &)
  {
    return false; // the reading proper reports the error
  }
  std::string  valueType, storedType;
  const auto & dictionary = imageIO.GetMetaDataDictionary();
  if (!itk::ExposeMetaData<std::string>(dictionary, "NiBabel_ValueDType", valueType) ||
      !itk::ExposeMetaData<std::string>(dictionary, "NiBabel_StoredDType", storedType) || valueType.size() < 2 ||
      storedType.size() < 2)
  {
    return false;
  }
  // Compare the kind and size, not the byte order ("<i2" and ">i2" hold the same values).
  return valueType.substr(1) == storedType.substr(1);
}
} // namespace
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
  if (auto * nibabelIO = dynamic_cast<itk::NiBabelImageIO *>(imageIO.GetPointer()); nibabelIO && readAsFloat64)
  {
    nibabelIO->SetReadAsFloat64(!HoldsStoredValues(*nibabelIO, fileName));
  }
#else
  static_cast<void>(readAsFloat64);
#endif
  imageIO->Register();
  return imageIO.GetPointer();
}
