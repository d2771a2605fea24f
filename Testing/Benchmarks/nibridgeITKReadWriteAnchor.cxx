/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// nibridge-bench-itk-anchor INPUT OUTPUT.npy
//
// The benchmark's "ITK's own reader plus a write" anchor: what an ITK C++ user writes to get a float64 .npy
// out of an image. itk::ImageFileReader reads INPUT into an itk::Image<double, 3> (ITK converts the pixels,
// applying the file's scaling the way its ImageIO does), and the pixel buffer is written as it lies in memory
// after a .npy header: ITK's index order, i fastest, is a Fortran-ordered array of shape (i, j, k), which is
// nibabel's voxel order. No temporary file, no checks beyond ITK's: it is a yardstick, not a tool.
// Prints nothing on success; on failure prints one line to stderr and exits with 1.

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkNpyFormat.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
constexpr const char * ToolName = "nibridge-bench-itk-anchor";
constexpr unsigned int Dimension = 3;
using ImageType = itk::Image<double, Dimension>;

void
ReadAndWrite(const std::string & input, const std::string & output)
{
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(input);
  reader->Update();
  const ImageType * image = reader->GetOutput();

  const ImageType::SizeType  size = image->GetLargestPossibleRegion().GetSize();
  std::vector<std::uint64_t> shape;
  for (unsigned int axis = 0; axis < Dimension; ++axis)
  {
    shape.push_back(size[axis]);
  }
  const std::string header = itk::nibridge::MakeNpyHeader(
    itk::nibridge::NpyDescrFor(itk::IOComponentEnum::DOUBLE), /* fortranOrder */ true, shape);

  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  if (!file)
  {
    throw std::runtime_error('"' + output + "\": cannot open for writing");
  }
  file.write(header.data(), static_cast<std::streamsize>(header.size()));
  file.write(reinterpret_cast<const char *>(image->GetBufferPointer()),
             static_cast<std::streamsize>(image->GetPixelContainer()->Size() * sizeof(ImageType::PixelType)));
  file.close();
  if (!file)
  {
    throw std::runtime_error('"' + output + "\": write failed");
  }
}
} // namespace

int
main(int argc, char * argv[])
{
  if (argc != 3)
  {
    std::cerr << "usage: " << ToolName << " INPUT OUTPUT.npy" << std::endl;
    return EXIT_FAILURE;
  }
  try
  {
    ReadAndWrite(argv[1], argv[2]);
    return EXIT_SUCCESS;
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << ToolName << ": error: " << error.GetDescription() << std::endl;
  }
  catch (const std::exception & error)
  {
    std::cerr << ToolName << ": error: " << error.what() << std::endl;
  }
  return EXIT_FAILURE;
}
