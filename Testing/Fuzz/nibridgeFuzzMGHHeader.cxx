/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// libFuzzer target: the native MGH reader (itkNiBridgeMGHImageIO.cxx): header, voxels and footer. The input's first
// byte chooses the file and the options, the rest is the file:
//   bit 0: x.mgh, or x.mgz (these bytes gzip-compressed);
//   bit 1: ReadFooterWithHeader; bits 2-3: values "scaled", "raw", "float64" (3: "scaled" again).
// CanReadFile must answer without throwing; ReadImageInformation and the read of the image's start must succeed or
// throw one clear itk::ExceptionObject naming the file; a header that reads must give a finite geometry that an ITK
// image takes (ITK inverts it) in moments.

#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeMGHImageIO.h"

#include "nibridgeFuzzSupport.h"

#include <cmath>

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  if (size < 1)
  {
    return 0;
  }
  const std::uint8_t control = data[0];
  const std::string  bytes(reinterpret_cast<const char *>(data) + 1, size - 1);
  const bool         gzipped = (control & 1u) != 0;
  const std::string  fileName = nibridge_fuzz::ScratchDirectory::Write(gzipped ? "image.mgz" : "image.mgh",
                                                                      gzipped ? nibridge_fuzz::Gzip(bytes) : bytes);
  static const char * const values[] = { "scaled", "raw", "float64", "scaled" };

  const auto imageIO = itk::NiBridgeMGHImageIO::New();
  try
  {
    if (!imageIO->CanReadFile(fileName.c_str()) && !bytes.empty())
    {
      nibridge_fuzz::Finding("NiBridgeMGHImageIO::CanReadFile refuses a regular, non-empty MGH file");
    }
  }
  catch (...)
  {
    nibridge_fuzz::Finding("NiBridgeMGHImageIO::CanReadFile threw");
  }
  imageIO->SetFileName(fileName);
  imageIO->SetReadFooterWithHeader((control & 2u) != 0);
  imageIO->SetValuesName(values[(control >> 2) & 3u]);
  nibridge_fuzz::RunExpectingClearErrors(fileName, [&]() {
    imageIO->ReadImageInformation();
    const itk::nibridge::ImageGeometry geometry = itk::nibridge::GeometryOf(*imageIO);
    for (unsigned int axis = 0; axis < geometry.GetDimension(); ++axis)
    {
      if (!std::isfinite(geometry.spacing[axis]) || !std::isfinite(geometry.origin[axis]))
      {
        nibridge_fuzz::Finding("an MGH header read with a spacing or origin that is not finite");
      }
    }
    nibridge_fuzz::ExpectITKTakesGeometry(geometry);
    nibridge_fuzz::ReadImageStart(*imageIO);
  });
  return 0;
}
