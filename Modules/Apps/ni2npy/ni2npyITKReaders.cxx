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

#include <string>
#ifdef NI2NPY_HAVE_NIBABEL
#  include "itkNiBabelImageIO.h"
#  include "itkNiBabelImageIOFactory.h"
#  include "itkMetaDataObject.h"
#  include "itkNiBridgePythonInterpreter.h"

#  include <cstdio>
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

#ifdef NI2NPY_HAVE_NIBABEL
namespace
{
// nibabel parses the file; where its array proxy is a plain ArrayProxy over one contiguous block of a
// plain or gzip file (MGH/MGZ, NIfTI-2, ...), ni2npy reads that block itself, as the proxy would.
constexpr const char * DescribeProxySource = R"python(
import json, warnings, numpy, nibabel
from nibabel.arrayproxy import ArrayProxy

def describe(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = nibabel.load(path)
    proxy = image.dataobj
    if type(proxy) is not ArrayProxy or not isinstance(proxy.file_like, str) or proxy.order != "F":
        return ""
    dtype = numpy.dtype(proxy.dtype)
    if dtype.fields is not None or dtype.kind not in "iufc" or dtype.itemsize > 16 or getattr(image, "affine", None) is None:
        return ""
    return json.dumps({
        "file": proxy.file_like,
        "offset": int(proxy.offset),
        "dtype": dtype.str,
        "shape": [int(extent) for extent in proxy.shape],
        "slope": repr(float(proxy.slope)),
        "inter": repr(float(proxy.inter)),
        "affine": [repr(float(value)) for value in numpy.ravel(image.affine)],
        "image_class": type(image).__name__,
    })
)python";

std::string
PythonStringLiteral(const std::string & text)
{
  std::string literal = "'";
  for (const unsigned char character : text)
  {
    char escaped[8];
    std::snprintf(escaped, sizeof(escaped), "\\x%02x", character);
    literal += escaped;
  }
  return literal + "'";
}
} // namespace
#endif

/** Where nibabel would read `fileName`'s voxels from one contiguous block (a plain ArrayProxy), the
 * block's description as JSON (file, offset, dtype, shape, slope, inter, affine) in `description`;
 * returns 0 otherwise (other proxies, formats nibabel does not read, errors: the ImageIO path
 * reports those). */
extern "C" __attribute__((visibility("default"))) int
ni2npyDescribeNiBabelProxy(const char * fileName, std::string * description)
{
#ifdef NI2NPY_HAVE_NIBABEL
  if (!itk::NiBabelImageIO::New()->CanReadFile(fileName))
  {
    return 0;
  }
  try
  {
    *description = itk::nibridge::PythonInterpreter::Evaluate(
      "(lambda namespace: (exec(" + PythonStringLiteral(DescribeProxySource) + ", namespace), namespace['describe'](" +
      PythonStringLiteral(fileName) + "))[1])({})");
  }
  catch (const itk::ExceptionObject &)
  {
    return 0;
  }
  return description->empty() ? 0 : 1;
#else
  static_cast<void>(fileName);
  static_cast<void>(description);
  return 0;
#endif
}

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
