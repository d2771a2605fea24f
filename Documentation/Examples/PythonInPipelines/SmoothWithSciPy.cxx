/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// nibridge-smooth-with-scipy INPUT OUTPUT SIGMA_MM
//
// Calling Python from C++. Reads INPUT (an .mgz, or anything NiBridge reads) with itk::ImageFileReader, smooths it
// with scipy.ndimage.gaussian_filter inside the ITK pipeline (itk::PythonFunctionImageFilter: the function sees a
// read-only NumPy view of the image's own pixels, in nibabel's voxel order, with its geometry), and writes OUTPUT
// (NIfTI) with itk::ImageFileWriter. The Gaussian's width is SIGMA_MM millimetres along every axis, turned into
// voxels with the image's spacing. Prints what it did and why; exit status 0, or 1 with the reason on stderr.

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkNiBabelImageIOFactory.h"
#include "itkNiBridgeImageIOList.h"
#include "itkNiBridgePythonInterpreter.h"
#include "itkPythonFunctionImageFilter.h"

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>

namespace
{
// The Python side: nothing but SciPy. `a` is the image's pixels, shape (i, j, k) as nibabel orders them;
// `geometry["spacing"]` is in the same order, so sigma in voxels is sigma in mm over each axis's spacing.
const char * SmoothSource = R"(import scipy.ndimage

def smooth(a, geometry, sigma_mm):
    return scipy.ndimage.gaussian_filter(a, sigma=sigma_mm / geometry["spacing"])
)";
} // namespace

int
main(int argc, char * argv[])
{
  if (argc != 4)
  {
    std::cerr << "usage: nibridge-smooth-with-scipy INPUT OUTPUT SIGMA_MM\n";
    return 2;
  }
  double             sigma = 0;
  std::istringstream sigmaText(argv[3]);
  if (!(sigmaText >> sigma) || !sigmaText.eof() || !std::isfinite(sigma) || sigma <= 0)
  {
    std::cerr << "nibridge-smooth-with-scipy: SIGMA_MM must be a positive number of millimetres, not \"" << argv[3]
              << "\"\n";
    return 2;
  }
  try
  {
    // NiBridge's readers and writers (nibabel's formats among them) in front of ITK's.
    itk::nibridge::ProvidePythonBridgeImageIOs();
    itk::nibridge::RegisterImageIOFactories();

    using ImageType = itk::Image<float, 3>;
    auto reader = itk::ImageFileReader<ImageType>::New();
    reader->SetFileName(argv[1]);

    auto smooth = itk::PythonFunctionImageFilter<ImageType>::New();
    smooth->SetInput(reader->GetOutput());
    // The sigma goes in as source text: a function of (a, geometry) is what the filter calls.
    std::ostringstream source;
    source.precision(17);
    source << SmoothSource << "\ndef function(a, geometry):\n    return smooth(a, geometry, " << sigma << ")\n";
    smooth->SetFunctionSource(source.str());
    smooth->KeepAxesOn(); // nibabel's (i, j, k): the same array a nibabel script gets, so the same result

    auto writer = itk::ImageFileWriter<ImageType>::New();
    writer->SetInput(smooth->GetOutput());
    writer->SetFileName(argv[2]);
    writer->Update();

    const ImageType * image = smooth->GetOutput();
    const auto        size = image->GetLargestPossibleRegion().GetSize();
    std::cout << "read " << argv[1] << " with " << reader->GetImageIO()->GetNameOfClass() << ": " << size[0] << " x "
              << size[1] << " x " << size[2] << " voxels of " << image->GetSpacing() << " mm\n"
              << "smoothed it in Python, scipy.ndimage.gaussian_filter with sigma " << sigma
              << " mm, on a NumPy view of the reader's pixels (no copy in; the GIL held for the call only;"
              << " Python started by NiBridge: "
              << (itk::nibridge::PythonInterpreter::WasStartedByNiBridge() ? "yes" : "no, the host's") << ")\n"
              << "wrote " << argv[2] << " with " << writer->GetImageIO()->GetNameOfClass() << '\n';
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "nibridge-smooth-with-scipy: " << error.GetDescription() << '\n';
    return 1;
  }
  return 0;
}
