/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A test program: what a C++ ITK pipeline gets from a file once it registers NiBridge's factories. It reads INPUT
// with itk::ImageFileReader into an itk::VectorImage<double, N> (N the file's dimension: scalar pixels as one
// component), and writes the values to VALUES.npy (nibabel's axis order, components trailing where there are several)
// and the voxel-to-RAS+ affine of the image's geometry (the kept affine where it still agrees) to AFFINE.npy.
//
//   nibridge-read-with-factories INPUT VALUES.npy AFFINE.npy
//
// Exit status 0, or 1 with one line naming the input on stderr.

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include "itkNiBabelImageIOFactory.h"
#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeImageAffine.h"
#include "itkNiBridgeImageIOList.h"
#include "itkNpyFormat.h"
#include "itkVectorImage.h"
#include "itksys/SystemTools.hxx"

#include <iostream>

namespace
{
template<unsigned int Dimension>
void
ReadAndWrite(const std::string & input, const std::string & values, const std::string & affineFile)
{
  using ImageType = itk::VectorImage<double, Dimension>;
  const typename ImageType::Pointer image = itk::ReadImage<ImageType>(input);

  const itk::nibridge::AffineMatrix affine = itk::nibridge::RASAffineOfImage(*image, '"' + input + '"');

  itk::WriteImage(image, values);
  itk::nibridge::AtomicFileWriter file(affineFile);
  const std::string               header =
    itk::nibridge::MakeNpyHeader(itk::nibridge::NpyDescrFor(itk::IOComponentEnum::DOUBLE), false, { 4, 4 });
  file.Write(header.data(), header.size());
  file.Write(affine.data(), sizeof(affine));
  file.Commit();
}
} // namespace

int
main(int argc, char ** argv)
{
  if (argc != 4)
  {
    std::cerr << "usage: nibridge-read-with-factories INPUT VALUES.npy AFFINE.npy\n";
    return 2;
  }
  const std::string input = argv[1];
  try
  {
    // What a C++ program does to read through NiBridge's readers, in their priority order.
    itk::nibridge::ProvidePythonBridgeImageIOs();
    itk::nibridge::RegisterImageIOFactories();

    itk::ImageIOBase::Pointer imageIO =
      itk::ImageIOFactory::CreateImageIO(input.c_str(), itk::IOFileModeEnum::ReadMode);
    if (!imageIO)
    {
      std::cerr << "nibridge-read-with-factories: error: \"" << input
                << "\": " << (itksys::SystemTools::FileExists(input) ? "no ImageIO reads it" : "no such file") << '\n';
      return 1;
    }
    imageIO->SetFileName(input);
    imageIO->ReadImageInformation();
    switch (imageIO->GetNumberOfDimensions())
    {
      case 1:
        ReadAndWrite<1>(input, argv[2], argv[3]);
        break;
      case 2:
        ReadAndWrite<2>(input, argv[2], argv[3]);
        break;
      case 3:
        ReadAndWrite<3>(input, argv[2], argv[3]);
        break;
      case 4:
        ReadAndWrite<4>(input, argv[2], argv[3]);
        break;
      case 5:
        ReadAndWrite<5>(input, argv[2], argv[3]);
        break;
      case 6:
        ReadAndWrite<6>(input, argv[2], argv[3]);
        break;
      case 7:
        ReadAndWrite<7>(input, argv[2], argv[3]);
        break;
      default:
        std::cerr << "nibridge-read-with-factories: error: \"" << input << "\": " << imageIO->GetNumberOfDimensions()
                  << " dimensions\n";
        return 1;
    }
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "nibridge-read-with-factories: error: "
              << itk::nibridge::NamingTheFile(input, itk::nibridge::OneLineReason(error.GetDescription())) << '\n';
    return 1;
  }
  return 0;
}
