/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeReadGuard.h"
#include "itkNiBridgeErrorText.h"

#include "itkMacro.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace itk
{
namespace nibridge
{
namespace
{
constexpr double DefaultReadTimeoutSeconds = 600.0;

/** "12 GiB", "512 MiB", ... for messages. */
std::string
ByteText(std::uint64_t bytes)
{
  const char *       units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  double             value = static_cast<double>(bytes);
  std::size_t        unit = 0;
  std::ostringstream text;
  while (value >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0]))
  {
    value /= 1024.0;
    ++unit;
  }
  text.precision(unit == 0 ? 20 : 3);
  text << value << ' ' << units[unit];
  return text.str();
}

/** NIBRIDGE_MEMORY_LIMIT as bytes: digits and an optional K, M, G or T (powers of 1024); nothing if unset or
 * malformed (a malformed one is reported by GetReadMemoryLimit). */
std::optional<std::uint64_t>
ParseByteCount(const std::string & text)
{
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
  {
    return std::nullopt;
  }
  std::size_t   used = 0;
  std::uint64_t value = 0;
  try
  {
    value = std::stoull(text, &used);
  }
  catch (const std::exception &)
  {
    return std::nullopt;
  }
  unsigned int shift = 0;
  if (used + 1 == text.size())
  {
    const std::string suffixes = "KMGT";
    const auto        position = suffixes.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text[used]))));
    if (position == std::string::npos)
    {
      return std::nullopt;
    }
    shift = 10 * static_cast<unsigned int>(position + 1);
  }
  else if (used != text.size())
  {
    return std::nullopt;
  }
  if (shift > 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift))
  {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return value << shift;
}

/** MemAvailable of /proc/meminfo, in bytes. */
std::optional<std::uint64_t>
AvailableMemory()
{
  std::ifstream meminfo("/proc/meminfo");
  std::string   key;
  std::uint64_t kibibytes = 0;
  std::string   unit;
  while (meminfo >> key >> kibibytes >> unit)
  {
    if (key == "MemAvailable:")
    {
      return kibibytes * 1024;
    }
  }
  return std::nullopt;
}

const char *
FileKind(mode_t mode)
{
  if (S_ISDIR(mode))
  {
    return "a directory, not a file";
  }
  if (S_ISFIFO(mode))
  {
    return "a FIFO (named pipe), not a regular file";
  }
  if (S_ISCHR(mode))
  {
    return "a character device, not a regular file";
  }
  if (S_ISBLK(mode))
  {
    return "a block device, not a regular file";
  }
  if (S_ISSOCK(mode))
  {
    return "a socket, not a regular file";
  }
  return "not a regular file";
}
} // namespace

std::uint64_t
GetReadMemoryLimit()
{
  if (const char * setting = std::getenv("NIBRIDGE_MEMORY_LIMIT"); setting != nullptr && setting[0] != '\0')
  {
    if (const auto limit = ParseByteCount(setting))
    {
      return *limit;
    }
    itkGenericExceptionMacro(<< "NIBRIDGE_MEMORY_LIMIT=\"" << setting
                             << "\" is not a number of bytes (digits, with an optional K, M, G or T suffix)");
  }
  return AvailableMemory().value_or(std::numeric_limits<std::uint64_t>::max());
}

double
GetReadTimeout()
{
  if (const char * setting = std::getenv("NIBRIDGE_READ_TIMEOUT"); setting != nullptr && setting[0] != '\0')
  {
    char *       end = nullptr;
    const double seconds = std::strtod(setting, &end);
    if (end == setting || *end != '\0' || !std::isfinite(seconds) || seconds <= 0.0)
    {
      itkGenericExceptionMacro(<< "NIBRIDGE_READ_TIMEOUT=\"" << setting << "\" is not a positive number of seconds");
    }
    return seconds;
  }
  return DefaultReadTimeoutSeconds;
}

std::optional<std::string>
WhyNotReadable(const std::string & fileName)
{
  struct stat status;
  if (fileName.empty())
  {
    return std::string("no file name");
  }
  if (stat(fileName.c_str(), &status) != 0)
  {
    const int   error = errno;
    struct stat link;
    if (error == ENOENT && lstat(fileName.c_str(), &link) == 0)
    {
      return std::string("a symbolic link to a file that does not exist");
    }
    if (error == ENOENT)
    {
      return std::string("no such file");
    }
    return std::string("cannot open: ") + std::strerror(error);
  }
  if (!S_ISREG(status.st_mode))
  {
    return std::string(FileKind(status.st_mode));
  }
  if (access(fileName.c_str(), R_OK) != 0)
  {
    return std::string("cannot open: ") + std::strerror(errno);
  }
  return std::nullopt;
}

void
CheckInputFile(const std::string & fileName)
{
  if (const auto reason = WhyNotReadable(fileName))
  {
    itkGenericExceptionMacro(<< Quoted(fileName) << ": " << *reason);
  }
}

std::uint64_t
CheckImageInformation(const ImageIOBase &                 imageIO,
                      const std::string &                 fileName,
                      const std::optional<StoredVoxels> & stored,
                      bool                                applyMemoryLimit)
{
  const std::string  name = Quoted(fileName);
  const unsigned int dimension = imageIO.GetNumberOfDimensions();
  if (dimension == 0)
  {
    itkGenericExceptionMacro(<< name << ": the header gives the image no axes");
  }
  std::uint64_t voxels = 1;
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    const std::uint64_t size = imageIO.GetDimensions(axis);
    if (size == 0)
    {
      itkGenericExceptionMacro(<< name << ": the header gives axis " << axis << " a size of 0");
    }
    if (voxels > std::numeric_limits<std::uint64_t>::max() / size)
    {
      itkGenericExceptionMacro(<< name << ": the image size given by the header overflows 64 bits");
    }
    voxels *= size;
  }
  const unsigned int components = imageIO.GetNumberOfComponents();
  if (components == 0)
  {
    itkGenericExceptionMacro(<< name << ": the header gives the pixels no components");
  }
  if (imageIO.GetComponentType() == IOComponentEnum::UNKNOWNCOMPONENTTYPE)
  {
    itkGenericExceptionMacro(<< name << ": the header gives no known pixel component type");
  }
  const std::uint64_t componentBytes = imageIO.GetComponentSize();
  if (voxels > std::numeric_limits<std::uint64_t>::max() / components / componentBytes)
  {
    itkGenericExceptionMacro(<< name << ": the image size given by the header overflows 64 bits");
  }
  const std::uint64_t bytes = voxels * components * componentBytes;
  const std::uint64_t limit = applyMemoryLimit ? GetReadMemoryLimit() : std::numeric_limits<std::uint64_t>::max();
  if (bytes > limit)
  {
    itkGenericExceptionMacro(<< name << ": the header promises an image of " << ByteText(bytes)
                             << ", more than the memory limit of " << ByteText(limit)
                             << " (the memory available; NIBRIDGE_MEMORY_LIMIT sets another)");
  }
  if (stored && stored->compressed && stored->deflateBytes > 0)
  {
    // Deflate's densest code (a 258-byte match in about two bits) expands at most about 1032 times.
    constexpr std::uint64_t MaximumDeflateRatio = 1032;
    const std::uint64_t     decoded = stored->offset + stored->bytes;
    if (stored->deflateBytes < std::numeric_limits<std::uint64_t>::max() / MaximumDeflateRatio &&
        decoded > stored->deflateBytes * MaximumDeflateRatio + 65536)
    {
      itkGenericExceptionMacro(<< name << ": the header promises " << stored->bytes
                               << " bytes of voxels, more than its " << stored->deflateBytes
                               << " bytes of compressed data can hold (deflate expands at most " << MaximumDeflateRatio
                               << " times): the file is truncated or its header is wrong");
    }
  }
  if (stored && !stored->compressed)
  {
    struct stat status;
    if (stat(stored->dataFileName.c_str(), &status) != 0 || !S_ISREG(status.st_mode))
    {
      const auto reason = WhyNotReadable(stored->dataFileName);
      itkGenericExceptionMacro(<< name << ": its data file " << Quoted(stored->dataFileName) << " is "
                               << reason.value_or("not a regular file"));
    }
    const auto fileBytes = static_cast<std::uint64_t>(status.st_size);
    if (stored->offset > fileBytes || stored->bytes > fileBytes - stored->offset)
    {
      const std::string data =
        stored->dataFileName == fileName ? std::string("the file") : "its data file " + Quoted(stored->dataFileName);
      itkGenericExceptionMacro(<< name << ": " << data << " is truncated: the header promises " << stored->bytes
                               << " bytes of voxels from byte " << stored->offset << ", the file holds " << fileBytes
                               << " bytes");
    }
  }
  return bytes;
}

} // namespace nibridge
} // namespace itk
