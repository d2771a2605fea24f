/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A C++ pipeline in a library that a Python program loads (ctypes), for test_python_host.py: inside a Python host,
// PythonFunctionImageFilter must use the running interpreter, whether its caller holds the GIL (ctypes.PyDLL) or
// released it (ctypes.CDLL).

#include "itkNiBridgePythonInterpreter.h"
#include "itkPythonFunctionImageFilter.h"

#include "itkImage.h"
#include "itkImageRegionIteratorWithIndex.h"

#include <cstring>
#include <string>

/** Runs `source`'s `function` through a PythonFunctionImageFilter on a 4 x 3 x 2 image whose voxel (i, j, k) is
 * i + 10 j + 100 k; writes the output's voxel (3, 2, 1) and whether NiBridge started Python (1) or found it running
 * (0), or the error into `text`. Returns 1 on success, 0 on failure. */
extern "C" __attribute__((visibility("default"))) int
NiBridgeTestRunPythonStep(const char * source,
                          double *     value,
                          int *        startedByNiBridge,
                          char *       text,
                          std::size_t  capacity)
{
  std::string error;
  try
  {
    using ImageType = itk::Image<float, 3>;
    auto image = ImageType::New();
    image->SetRegions(ImageType::SizeType{ { 4, 3, 2 } });
    image->Allocate();
    for (itk::ImageRegionIteratorWithIndex<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
    {
      it.Set(static_cast<float>(it.GetIndex()[0] + 10 * it.GetIndex()[1] + 100 * it.GetIndex()[2]));
    }
    auto filter = itk::PythonFunctionImageFilter<ImageType>::New();
    filter->SetInput(image);
    filter->SetFunctionSource(source);
    filter->Update();
    *value = filter->GetOutput()->GetPixel({ { 3, 2, 1 } });
    *startedByNiBridge = itk::nibridge::PythonInterpreter::WasStartedByNiBridge() ? 1 : 0;
  }
  catch (const itk::ExceptionObject & exception)
  {
    error = exception.GetDescription();
  }
  std::strncpy(text, error.c_str(), capacity - 1);
  text[capacity - 1] = '\0';
  return error.empty() ? 1 : 0;
}
