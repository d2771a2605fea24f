/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A test-only program for what needs a fresh process (the interpreter starts once per process):
//
//   nibridge-python-test-helper read FILE              read through the factory; print the size or the error
//   nibridge-python-test-helper can-read FILE          CanReadFile through the factory; say whether Python started
//   nibridge-python-test-helper host-interpreter FILE  start Python as a host would, then read through NiBridge
//   nibridge-python-test-helper stream-peak FILE N     peak memory of a whole read vs. a read in N streamed pieces
//   nibridge-python-test-helper timing FILE            cost of the first read (Python start) and of later ones
//   nibridge-python-test-helper python-home            the home NiBridge starts Python with, and Python's sys.prefix
//
// Exit code 0 on success, 1 on an expected failure (printed), 2 on a usage error.

#include <Python.h> // only for host-interpreter: this program plays the host

#include "itkNiBabelImageIO.h"
#include "itkNiBabelImageIOFactory.h"
#include "itkNiBridgePythonInterpreter.h"

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkImageIOFactory.h"
#include "itkStatisticsImageFilter.h"

#include <chrono>
#include <iostream>
#include <string>

#include <sys/resource.h>

namespace
{
int
ReadThroughFactory(const std::string & fileName)
{
  itk::NiBabelImageIOFactoryRegister__Private();
  using ImageType = itk::Image<float, 4>;
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(fileName);
  try
  {
    reader->Update();
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cout << "error: " << error.GetDescription() << std::endl;
    return 1;
  }
  std::cout << "read " << reader->GetImageIO()->GetNameOfClass() << " size "
            << reader->GetOutput()->GetLargestPossibleRegion().GetSize() << std::endl;
  return 0;
}

int
CanRead(const std::string & fileName)
{
  itk::NiBabelImageIOFactoryRegister__Private();
  itk::ImageIOBase::Pointer imageIO =
    itk::ImageIOFactory::CreateImageIO(fileName.c_str(), itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  std::cout << "io " << (imageIO ? imageIO->GetNameOfClass() : "none") << " python-running "
            << (itk::nibridge::PythonInterpreter::IsRunning() ? 1 : 0) << std::endl;
  return 0;
}

int
HostInterpreter(const std::string & fileName)
{
  // The host: starts Python itself, leaves a mark in __main__, and releases the GIL as Python programs do
  // around calls into C++.
  Py_InitializeEx(0);
  PyRun_SimpleString("nibridge_host_marker = 42");
  PyThreadState * hostThread = PyEval_SaveThread();

  const int read = ReadThroughFactory(fileName);
  std::cout << "started-by-nibridge " << (itk::nibridge::PythonInterpreter::WasStartedByNiBridge() ? 1 : 0)
            << " host-marker "
            << itk::nibridge::PythonInterpreter::Evaluate("__import__('__main__').nibridge_host_marker") << std::endl;
  PyEval_RestoreThread(hostThread);
  return read;
}

int
PythonHome()
{
  std::cout << "home " << itk::nibridge::PythonInterpreter::GetHome() << std::endl;
  std::cout << "prefix " << itk::nibridge::PythonInterpreter::Evaluate("__import__('sys').prefix") << std::endl;
  return 0;
}

long
PeakResidentKiB()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int
StreamPeak(const std::string & fileName, unsigned int divisions)
{
  using ImageType = itk::Image<float, 3>;
  // Python, numpy and nibabel, and the header, before the baseline.
  auto imageIO = itk::NiBabelImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  const long baseline = PeakResidentKiB();

  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetImageIO(imageIO);
  reader->SetFileName(fileName);
  reader->UseStreamingOn();
  auto statistics = itk::StatisticsImageFilter<ImageType>::New();
  statistics->SetInput(reader->GetOutput());
  statistics->SetNumberOfStreamDivisions(divisions);
  statistics->Update();
  const itk::ImageIORegion lastRegion = imageIO->GetIORegion();
  std::cout.precision(17);
  std::cout << "baseline-kib " << baseline << " peak-kib " << PeakResidentKiB() << " sum "
            << static_cast<double>(statistics->GetSum()) << " last-region-pixels " << lastRegion.GetNumberOfPixels()
            << std::endl;
  return 0;
}

double
MillisecondsToRead(const std::string & fileName)
{
  using ImageType = itk::Image<float, 4>;
  const auto start = std::chrono::steady_clock::now();
  auto       reader = itk::ImageFileReader<ImageType>::New();
  reader->SetImageIO(itk::NiBabelImageIO::New());
  reader->SetFileName(fileName);
  reader->Update();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int
Timing(const std::string & fileName)
{
  const double  first = MillisecondsToRead(fileName);
  double        later = 0.0;
  constexpr int repetitions = 50;
  for (int repetition = 0; repetition < repetitions; ++repetition)
  {
    later += MillisecondsToRead(fileName);
  }
  std::cout << "first-read-ms " << first << " later-read-ms " << later / repetitions << std::endl;
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  const std::string command = argc > 1 ? argv[1] : "";
  try
  {
    if (command == "read" && argc == 3)
    {
      return ReadThroughFactory(argv[2]);
    }
    if (command == "can-read" && argc == 3)
    {
      return CanRead(argv[2]);
    }
    if (command == "host-interpreter" && argc == 3)
    {
      return HostInterpreter(argv[2]);
    }
    if (command == "stream-peak" && argc == 4)
    {
      return StreamPeak(argv[2], static_cast<unsigned int>(std::stoul(argv[3])));
    }
    if (command == "python-home" && argc == 2)
    {
      return PythonHome();
    }
    if (command == "timing" && argc == 3)
    {
      return Timing(argv[2]);
    }
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cout << "error: " << error.GetDescription() << std::endl;
    return 1;
  }
  std::cerr << "usage: " << argv[0]
            << " read|can-read|host-interpreter FILE | stream-peak FILE N | timing FILE | python-home" << std::endl;
  return 2;
}
