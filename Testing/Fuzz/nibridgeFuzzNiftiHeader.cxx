/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// libFuzzer target: the native NIfTI-1 / NIfTI-2 / Analyze reader (itkNiBridgeNiftiHeader.cxx, NiBridgeNiftiImageIO).
// The input's first byte chooses the files and the values, the rest is the file:
//   bits 0-1: x.nii, x.nii.gz, the pair x.hdr + x.img (both these bytes), the pair x.hdr.gz + x.img.gz;
//   bits 2-3: values "scaled", "raw", "float64" (3: "scaled" again).
// CanReadFile must answer without throwing; ReadImageInformation and the read of the image's start must succeed or
// throw one clear itk::ExceptionObject naming the file; a header that reads must give a finite geometry that an ITK
// image takes (ITK inverts it) in moments.

#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeNiftiImageIO.h"

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
  const unsigned int layout = control & 3u;
  const bool         gzipped = layout == 1 || layout == 3;
  const std::string  content = gzipped ? nibridge_fuzz::Gzip(bytes) : bytes;
  std::string        fileName;
  if (layout < 2)
  {
    fileName = nibridge_fuzz::ScratchDirectory::Write(gzipped ? "image.nii.gz" : "image.nii", content);
  }
  else
  {
    fileName = nibridge_fuzz::ScratchDirectory::Write(gzipped ? "pair.hdr.gz" : "pair.hdr", content);
    nibridge_fuzz::ScratchDirectory::Write(gzipped ? "pair.img.gz" : "pair.img", content);
  }
  static const char * const values[] = { "scaled", "raw", "float64", "scaled" };

  const auto imageIO = itk::NiBridgeNiftiImageIO::New();
  try
  {
    imageIO->CanReadFile(fileName.c_str());
  }
  catch (...)
  {
    nibridge_fuzz::Finding("NiBridgeNiftiImageIO::CanReadFile threw");
  }
  imageIO->SetFileName(fileName);
  imageIO->SetValuesName(values[(control >> 2) & 3u]);
  nibridge_fuzz::RunExpectingClearErrors(fileName, [&]() {
    imageIO->ReadImageInformation();
    const itk::nibridge::ImageGeometry geometry = itk::nibridge::GeometryOf(*imageIO);
    for (unsigned int axis = 0; axis < geometry.GetDimension(); ++axis)
    {
      const bool spatial = axis < itk::nibridge::SpatialDimension(geometry.GetDimension());
      if (!std::isfinite(geometry.spacing[axis]) || (spatial && !(geometry.spacing[axis] > 0.0)) ||
          !std::isfinite(geometry.origin[axis]))
      {
        nibridge_fuzz::Finding("a NIfTI header read with a spacing or origin that is not finite (or a spatial spacing "
                               "that is not positive)");
      }
    }
    nibridge_fuzz::ExpectITKTakesGeometry(geometry);
    nibridge_fuzz::ReadImageStart(*imageIO);
  });
  return 0;
}
