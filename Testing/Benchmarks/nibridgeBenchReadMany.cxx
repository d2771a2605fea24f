/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// nibridge-bench-read-many FILE...: reads every file through ITK's ImageIO factory (NiBabelImageIO
// registered in front) in one process, in order, and prints one line per file: the seconds that read
// took and the reader's class. bench_nibabel_io.py compares the per-file cost of nibabel formats
// (after the first read, which starts Python) with the same volumes read by ITK's NIfTI reader.

#include "itkImageFileReader.h"
#include "itkImageIOFactory.h"
#include "itkNiBabelImageIOFactory.h"

#include <chrono>
#include <cstdio>
#include <vector>

int
main(int argc, char ** argv)
{
  itk::NiBabelImageIOFactory::RegisterOneFactory();
  std::vector<char> buffer;
  for (int index = 1; index < argc; ++index)
  {
    const auto start = std::chrono::steady_clock::now();
    try
    {
      itk::ImageIOBase::Pointer imageIO =
        itk::ImageIOFactory::CreateImageIO(argv[index], itk::CommonEnums::IOFileMode::ReadMode);
      if (!imageIO)
      {
        std::fprintf(stderr, "nibridge-bench-read-many: no reader for %s\n", argv[index]);
        return 1;
      }
      imageIO->SetFileName(argv[index]);
      imageIO->ReadImageInformation();
      itk::ImageIORegion region(imageIO->GetNumberOfDimensions());
      for (unsigned int axis = 0; axis < imageIO->GetNumberOfDimensions(); ++axis)
      {
        region.SetSize(axis, imageIO->GetDimensions(axis));
      }
      imageIO->SetIORegion(region);
      buffer.resize(imageIO->GetImageSizeInBytes());
      imageIO->Read(buffer.data());
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("%.6f %s\n", seconds, imageIO->GetNameOfClass());
    }
    catch (const itk::ExceptionObject & error)
    {
      std::fprintf(stderr, "nibridge-bench-read-many: %s: %s\n", argv[index], error.GetDescription());
      return 1;
    }
  }
  return 0;
}
