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
#include "itkNiBridgeITKImageIOs.h"
#include "itkNiBridgeReadGuard.h"
#include "itkNiBridgeReaderProcess.h"

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

/** Geometry ITK cannot hold as an image's: a non-finite number, or a spacing of 0. */
bool
HasUsableGeometry(const itk::ImageIOBase & imageIO, std::string & problem)
{
  for (unsigned int axis = 0; axis < imageIO.GetNumberOfDimensions(); ++axis)
  {
    const double spacing = imageIO.GetSpacing(axis);
    if (!std::isfinite(spacing) || !std::isfinite(imageIO.GetOrigin(axis)))
    {
      problem = "the header's spacing or origin of axis " + std::to_string(axis) + " is not a finite number";
      return false;
    }
    for (const double element : imageIO.GetDirection(axis))
    {
      if (!std::isfinite(element))
      {
        problem = "the header's direction of axis " + std::to_string(axis) + " is not finite";
        return false;
      }
    }
  }
  return true;
}

/** Whether the name ends in `extension` (lower case), in any case. */
bool
EndsWith(std::string name, const std::string & extension)
{
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name.size() > extension.size() &&
         name.compare(name.size() - extension.size(), extension.size(), extension) == 0;
}

/** A MetaImage header's fields, as MetaIO reads them: "Key = value" lines up to ElementDataFile, which ends it. */
struct MetaImageHeader
{
  std::map<std::string, std::string> fields;
  std::uint64_t                      end = 0; // the offset after the ElementDataFile line: LOCAL data starts here
};

MetaImageHeader
ReadMetaImageHeader(const std::string & fileName)
{
  MetaImageHeader header;
  std::ifstream   file(fileName, std::ios::binary);
  std::string     line;
  while (header.end < (1u << 20) && std::getline(file, line))
  {
    header.end += line.size() + 1;
    const auto equals = line.find('=');
    if (equals == std::string::npos)
    {
      continue;
    }
    const auto trim = [](std::string text) {
      const auto first = text.find_first_not_of(" \t\r");
      const auto last = text.find_last_not_of(" \t\r");
      return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
    };
    const std::string key = trim(line.substr(0, equals));
    header.fields[key] = trim(line.substr(equals + 1));
    if (key == "ElementDataFile")
    {
      break;
    }
  }
  return header;
}

/** MetaIO loops for ever on a negative NDims and trusts the rest of the header: its number fields are checked here
 * before MetaIO reads them. */
void
CheckMetaImageHeader(const std::string & fileName, const MetaImageHeader & header)
{
  const auto integerField = [&](const char * key, long long lowest, long long highest) {
    const auto found = header.fields.find(key);
    if (found == header.fields.end())
    {
      return;
    }
    std::istringstream values(found->second);
    long long          value = 0;
    while (values >> value)
    {
      if (value < lowest || value > highest)
      {
        itkGenericExceptionMacro(<< '"' << fileName << "\": the MetaImage header's " << key << " holds " << value
                                 << ", outside " << lowest << " to " << highest);
      }
    }
  };
  integerField("NDims", 1, 32);
  integerField("DimSize", 1, std::numeric_limits<std::int64_t>::max());
  integerField("ElementNumberOfChannels", 1, 1 << 20);
}

/** Where an uncompressed MetaImage keeps its voxels, for the guard's check of the file's size. */
std::optional<itk::nibridge::StoredVoxels>
MetaImageStoredVoxels(const std::string & fileName, const MetaImageHeader & header, std::uint64_t bytes)
{
  const auto field = [&](const char * key) {
    const auto found = header.fields.find(key);
    return found == header.fields.end() ? std::string() : found->second;
  };
  std::string compressed = field("CompressedData");
  std::transform(
    compressed.begin(), compressed.end(), compressed.begin(), [](unsigned char c) { return std::tolower(c); });
  if (compressed == "true" || compressed == "1")
  {
    // zlib data: bounded by what its compressed bytes can decode to (the memory limit applies too).
    std::error_code     ignored;
    const std::uint64_t fileBytes = std::filesystem::file_size(fileName, ignored);
    const std::string   dataFile = field("ElementDataFile");
    if (dataFile != "LOCAL" || fileBytes == static_cast<std::uint64_t>(-1) || fileBytes <= header.end)
    {
      return std::nullopt;
    }
    return itk::nibridge::StoredVoxels{ fileName, 0, bytes, true, fileBytes - header.end };
  }
  const std::string dataFile = field("ElementDataFile");
  if (dataFile == "LOCAL" || dataFile == "Local" || dataFile == "local")
  {
    return itk::nibridge::StoredVoxels{ fileName, header.end, bytes, false };
  }
  if (dataFile.empty() || dataFile.find('%') != std::string::npos || dataFile.find(' ') != std::string::npos ||
      dataFile == "LIST")
  {
    return std::nullopt; // a list of slice files, read by MetaIO's own rules
  }
  const std::string headerSize = field("HeaderSize");
  if (!headerSize.empty() && headerSize != "0")
  {
    return std::nullopt; // -1 (the data ends the file) or a skipped header: MetaIO seeks
  }
  std::filesystem::path data(dataFile);
  if (data.is_relative())
  {
    data = std::filesystem::path(fileName).parent_path() / data;
  }
  return itk::nibridge::StoredVoxels{ data.string(), 0, bytes, false };
}

int
Run(const std::string & fileName, std::uint64_t memoryLimit)
{
  const int socket = readerprocess::SocketDescriptor;
  itk::nibridge::CheckInputFile(fileName);
  const bool      metaImage = EndsWith(fileName, ".mha") || EndsWith(fileName, ".mhd");
  MetaImageHeader metaImageHeader;
  if (metaImage)
  {
    metaImageHeader = ReadMetaImageHeader(fileName);
    CheckMetaImageHeader(fileName, metaImageHeader);
  }
  itk::ImageIOBase::Pointer imageIO;
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
  if (metaImage && std::string(imageIO->GetNameOfClass()) == "MetaImageIO")
  {
    bytes =
      itk::nibridge::CheckImageInformation(*imageIO, fileName, MetaImageStoredVoxels(fileName, metaImageHeader, bytes));
  }
  std::string problem;
  if (!HasUsableGeometry(*imageIO, problem))
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
