/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// nibridge-read-scale-write INPUT OUTPUT.npy [SHIFT SCALE]
//
// Reads INPUT (MGH/MGZ, NIfTI with nibabel's rules, MINC, PAR/REC, .npy, NRRD, ...) with itk::ImageFileReader,
// computes (value + SHIFT) * SCALE (default 1 and 2) with itk::ShiftScaleImageFilter, writes the result to
// OUTPUT.npy in nibabel's axis order, and prints the image's voxel-to-RAS+ affine (nibabel's img.affine) as four
// lines of four numbers. Exit status 0, or 1 with one line on stderr.

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkNiBabelImageIOFactory.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeImageAffine.h"
#include "itkNiBridgeImageIOList.h"
#include "itkShiftScaleImageFilter.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

int
main(int argc, char * argv[])
{
  if (argc != 3 && argc != 5)
  {
    std::cerr << "usage: nibridge-read-scale-write INPUT OUTPUT.npy [SHIFT SCALE]\n";
    return 2;
  }
  try
  {
    // Once, before the first read: NiBridge's readers (nibabel's formats among them) in front of ITK's.
    itk::nibridge::ProvidePythonBridgeImageIOs();
    itk::nibridge::RegisterImageIOFactories();

    using ImageType = itk::Image<double, 3>;
    const ImageType::Pointer image = itk::ReadImage<ImageType>(argv[1]);

    using FilterType = itk::ShiftScaleImageFilter<ImageType, ImageType>;
    auto filter = FilterType::New();
    filter->SetInput(image);
    filter->SetShift(argc == 5 ? std::strtod(argv[3], nullptr) : 1.0);
    filter->SetScale(argc == 5 ? std::strtod(argv[4], nullptr) : 2.0);
    itk::WriteImage(filter->GetOutput(), argv[2]); // NumPyImageIO: nibabel's axis order

    // The reader's image keeps the file's affine bit for bit (the filter keeps the geometry, not the dictionary).
    const itk::nibridge::AffineMatrix affine = itk::nibridge::RASAffineOfImage(*image, argv[1]);
    for (const auto & row : affine)
    {
      std::printf("%.17g %.17g %.17g %.17g\n", row[0], row[1], row[2], row[3]);
    }
  }
  catch (const itk::ExceptionObject & error)
  {
    // One line, naming the file (NiBridge's errors do; ITK's filters' may not).
    std::cerr << "nibridge-read-scale-write: error: "
              << itk::nibridge::NamingTheFile(argv[1], itk::nibridge::OneLineReason(error.GetDescription())) << '\n';
    return 1;
  }
  return 0;
}
