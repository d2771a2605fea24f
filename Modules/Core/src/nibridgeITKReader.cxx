/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// nibridge-itk-reader: the helper process of NiBridgeIsolatedImageIO. It reads one file with ITK's own ImageIOs,
// whose libraries (NrrdIO, libpng, MetaIO, GDCM, ...) may abort, crash or loop on a damaged file: here that ends this
// process, and the parent reports it as an error naming the file. Not a tool for users: it speaks the protocol of
// itkNiBridgeReaderProcess.h on descriptor 3.
//
//   nibridge-itk-reader FILE MEMORY_LIMIT_BYTES

#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeITKImageIOs.h"
#include "itkNiBridgeReadGuard.h"
#include "itkNiBridgeReaderProcess.h"
#include "nibridgeITKReaderChecks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <csignal>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace
{
namespace readerprocess = itk::nibridge::readerprocess;

int
Fail(const std::string & reason)
{
  readerprocess::SendFrame(readerprocess::SocketDescriptor, readerprocess::ErrorTag, reason.data(), reason.size());
  return 0;
}

/** The header's geometry as an ITK image holds it: a negative spacing (MetaImage and NRRD allow one) becomes a
 * positive one with its direction reversed (the same voxel-to-world mapping), and vanishing direction elements zeros
 * (DirectionElementITKInverts); false, with the reason, for what no image holds: a non-finite number or a spacing of
 * 0. */
bool
MakeGeometryUsable(itk::ImageIOBase & imageIO, std::string & problem)
{
  for (unsigned int axis = 0; axis < imageIO.GetNumberOfDimensions(); ++axis)
  {
    const double        spacing = imageIO.GetSpacing(axis);
    std::vector<double> direction = imageIO.GetDirection(axis);
    if (!std::isfinite(spacing) || !std::isfinite(imageIO.GetOrigin(axis)) ||
        !std::all_of(direction.begin(), direction.end(), [](double element) { return std::isfinite(element); }))
    {
      problem = "the header's spacing, origin or direction of axis " + std::to_string(axis) + " is not a finite number";
      return false;
    }
    if (spacing == 0.0)
    {
      problem = "the header gives axis " + std::to_string(axis) + " a spacing of 0";
      return false;
    }
    for (double & element : direction)
    {
      element = itk::nibridge::DirectionElementITKInverts(spacing < 0.0 ? -element : element);
    }
    imageIO.SetSpacing(axis, std::abs(spacing));
    imageIO.SetDirection(axis, direction);
  }
  return true;
}

int
Run(const std::string & fileName, std::uint64_t memoryLimit)
{
  const int socket = readerprocess::SocketDescriptor;
  itk::nibridge::CheckInputFile(fileName);
  const nibridge_itk_reader::HeaderChecks headerChecks(fileName); // before MetaIO or NrrdIO read the header
  itk::ImageIOBase::Pointer               imageIO;
  for (const itk::nibridge::ProvidedImageIO & provided : itk::nibridge::ITKImageIOs())
  {
    itk::ImageIOBase::Pointer candidate = provided.create();
    if (candidate->CanReadFile(fileName.c_str()))
    {
      imageIO = candidate;
      break;
    }
  }
  if (!imageIO)
  {
    readerprocess::SendFrame(socket, readerprocess::NoReaderTag, nullptr, 0);
    return 0;
  }
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  setenv("NIBRIDGE_MEMORY_LIMIT", std::to_string(memoryLimit).c_str(), 1); // the parent's limit, measured there
  std::uint64_t bytes = itk::nibridge::CheckImageInformation(*imageIO, fileName);
  bytes = itk::nibridge::CheckImageInformation(*imageIO, fileName, headerChecks.StoredVoxelsOf(bytes));
  std::string problem;
  if (!MakeGeometryUsable(*imageIO, problem))
  {
    return Fail('"' + fileName + "\": " + problem);
  }
  const std::string information = readerprocess::EncodeInformation(*imageIO);
  if (!readerprocess::SendFrame(socket, readerprocess::InformationTag, information.data(), information.size()))
  {
    return 0;
  }
  char command = 0;
  if (read(socket, &command, 1) != 1 || command != readerprocess::ReadCommand)
  {
    return 0; // the parent wanted the information only
  }
  itk::ImageIORegion region(imageIO->GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < imageIO->GetNumberOfDimensions(); ++axis)
  {
    region.SetIndex(axis, 0);
    region.SetSize(axis, imageIO->GetDimensions(axis));
  }
  imageIO->SetIORegion(region);
  headerChecks.CheckCompressedData(bytes); // MetaIO and NrrdIO would hand over what a damaged stream decodes to
  std::unique_ptr<char[]> buffer(new char[static_cast<std::size_t>(bytes)]); // not zeroed: the reader fills it
  imageIO->Read(buffer.get());
  readerprocess::SendFrame(socket, readerprocess::DataTag, buffer.get(), bytes);
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  // A crash here is reported by the parent; it leaves no core file behind.
  const rlimit noCore{ 0, 0 };
  setrlimit(RLIMIT_CORE, &noCore);
  // Ends with the parent (killed, or crashed): a reader blocked on a damaged file must not outlive it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1)
  {
    return 0; // the parent is gone already
  }
  if (argc != 3)
  {
    return Fail("nibridge-itk-reader: usage: nibridge-itk-reader FILE MEMORY_LIMIT_BYTES (NiBridge's helper)");
  }
  const std::string fileName = argv[1];
  try
  {
    return Run(fileName, std::strtoull(argv[2], nullptr, 10));
  }
  catch (const itk::ExceptionObject & error)
  {
    return Fail(itk::nibridge::NamingTheFile(fileName, itk::nibridge::OneLineReason(error.GetDescription())));
  }
  catch (const std::bad_alloc &)
  {
    return Fail(itk::nibridge::NamingTheFile(fileName, "not enough memory to read it"));
  }
  catch (const std::exception & error)
  {
    return Fail(itk::nibridge::NamingTheFile(fileName, std::string("ITK's reader failed: ") + error.what()));
  }
}
