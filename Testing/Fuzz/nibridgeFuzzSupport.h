/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef nibridgeFuzzSupport_h
#define nibridgeFuzzSupport_h

// What the libFuzzer targets share: the rule they enforce (an itk::ExceptionObject with one line naming the input is a
// clear error and fine; any other exception, or a message that breaks the rule, is a finding), scratch files for the
// readers that read only files, gzip-compressing an input, and reading the start of an ImageIO's image.
// Header-only; one target per .cxx (Testing/Fuzz/CMakeLists.txt).

#include "itkImage.h"
#include "itkImageIOBase.h"
#include "itkNiBridgeImageAffine.h"
#include "itkMacro.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <typeinfo>
#include <vector>

#include <unistd.h>

namespace nibridge_fuzz
{
/** Ends the run with `what` on stderr: libFuzzer saves the input that got here as a crash. */
[[noreturn]] inline void
Finding(const std::string & what)
{
  std::fprintf(stderr, "nibridge fuzz finding: %s\n", what.c_str());
  std::abort();
}

/** Checks that an error is a clear one: its message is one printable line (a trailing line break allowed) and, when
 * `mustName` is given, contains it (the input's name, as the user gave it). */
inline void
ExpectClearError(const itk::ExceptionObject & error, const std::string & mustName)
{
  std::string message = error.GetDescription();
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
  {
    message.pop_back();
  }
  if (message.empty())
  {
    Finding("an itk::ExceptionObject without a message");
  }
  if (message.find('\n') != std::string::npos || message.find('\r') != std::string::npos)
  {
    Finding("an error message of several lines: " + message);
  }
  // Printable: no control characters, and UTF-8 (a Python str, a terminal); the targets' file names are ASCII.
  for (std::size_t position = 0; position < message.size();)
  {
    const auto         lead = static_cast<unsigned char>(message[position]);
    const unsigned int length = lead < 0x80           ? 1
                                : (lead >> 5) == 0x6  ? 2
                                : (lead >> 4) == 0xe  ? 3
                                : (lead >> 3) == 0x1e ? 4
                                                      : 0;
    bool valid = length != 0 && position + length <= message.size() && (lead >= 0x20 || lead == '\t') && lead != 0x7f &&
                 !(length == 2 && lead < 0xc2);
    for (unsigned int next = 1; valid && next < length; ++next)
    {
      valid = (static_cast<unsigned char>(message[position + next]) >> 6) == 0x2;
    }
    if (!valid)
    {
      Finding("an error message with a control character or a byte that is no UTF-8 at " + std::to_string(position) +
              ": " + message);
    }
    position += length;
  }
  if (!mustName.empty() && message.find(mustName) == std::string::npos)
  {
    Finding("an error message that does not name \"" + mustName + "\": " + message);
  }
}

/** Runs `body`; an itk::ExceptionObject is fine if it is a clear error (ExpectClearError), anything else thrown is a
 * finding. Returns whether `body` completed. */
template<typename TBody>
bool
RunExpectingClearErrors(const std::string & mustName, TBody && body)
{
  try
  {
    body();
    return true;
  }
  catch (const itk::ExceptionObject & error)
  {
    ExpectClearError(error, mustName);
  }
  catch (const std::exception & error)
  {
    Finding(std::string("an exception that is not an itk::ExceptionObject: ") + typeid(error).name() + ": " +
            error.what());
  }
  catch (...)
  {
    Finding("an exception of unknown type");
  }
  return false;
}

/** A directory of this process's own for the inputs of readers that read files: in /dev/shm (memory) where there is
 * one, else the system's temporary directory. Removed at exit. */
class ScratchDirectory
{
public:
  static const std::string &
  Path()
  {
    static ScratchDirectory directory;
    return directory.m_Path;
  }

  /** `name` in the directory, holding `bytes` (replaced). */
  static std::string
  Write(const std::string & name, const std::string & bytes)
  {
    const std::string fileName = Path() + "/" + name;
    std::FILE *       file = std::fopen(fileName.c_str(), "wb");
    if (file == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size() || std::fclose(file) != 0)
    {
      Finding("cannot write the scratch file " + fileName);
    }
    return fileName;
  }

  ScratchDirectory(const ScratchDirectory &) = delete;
  ScratchDirectory &
  operator=(const ScratchDirectory &) = delete;

private:
  ScratchDirectory()
  {
    std::error_code       error;
    std::filesystem::path base = "/dev/shm";
    if (!std::filesystem::is_directory(base, error) || access(base.c_str(), W_OK) != 0)
    {
      base = std::filesystem::temp_directory_path();
    }
    m_Path = (base / ("nibridge-fuzz-" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(m_Path, error);
    if (error)
    {
      Finding("cannot create the scratch directory " + m_Path + ": " + error.message());
    }
  }

  ~ScratchDirectory()
  {
    std::error_code error;
    std::filesystem::remove_all(m_Path, error);
  }

  std::string m_Path;
};

/** `bytes` as one gzip member (zlib's deflate, level 1, a small window and little memory: the targets test the
 * decoder, not the encoder, and each execution pays for the encoder's allocations). */
inline std::string
Gzip(const std::string & bytes)
{
  z_stream stream{};
  if (deflateInit2(&stream, 1, Z_DEFLATED, 9 + 16, 1, Z_DEFAULT_STRATEGY) != Z_OK)
  {
    Finding("deflateInit2 failed");
  }
  std::string compressed(deflateBound(&stream, static_cast<uLong>(bytes.size())) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef *>(&compressed[0]);
  stream.avail_out = static_cast<uInt>(compressed.size());
  const int status = deflate(&stream, Z_FINISH);
  compressed.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END)
  {
    Finding("deflate failed");
  }
  return compressed;
}

/** The most bytes a target reads after a successful ReadImageInformation: of a larger image, the region at its start
 * that fits (its first planes or rows), as a streamed read asks for it. */
constexpr std::uint64_t MaximumReadBytes = 1 << 20;

/** Reads the image of an ImageIO that has read its information, or the part at its start of MaximumReadBytes at most.
 */
inline void
ReadImageStart(itk::ImageIOBase & imageIO)
{
  const unsigned int  dimension = imageIO.GetNumberOfDimensions();
  const std::uint64_t pixelBytes =
    static_cast<std::uint64_t>(imageIO.GetComponentSize()) * imageIO.GetNumberOfComponents();
  if (dimension == 0 || pixelBytes == 0)
  {
    Finding("ReadImageInformation succeeded with no dimensions or an empty pixel");
  }
  std::vector<std::uint64_t> size(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    size[axis] = imageIO.GetDimensions(axis);
    if (size[axis] == 0)
    {
      Finding("ReadImageInformation succeeded with an axis of size 0");
    }
  }
  if (pixelBytes > MaximumReadBytes)
  {
    return; // not even one pixel fits
  }
  // Drop the highest axes to one plane, then shorten the first, until the region fits.
  const auto bytesOf = [&]() {
    std::uint64_t bytes = pixelBytes;
    for (const std::uint64_t extent : size)
    {
      bytes = extent > MaximumReadBytes || bytes > MaximumReadBytes ? MaximumReadBytes + 1 : bytes * extent;
    }
    return bytes;
  };
  for (unsigned int axis = dimension; axis-- > 1 && bytesOf() > MaximumReadBytes;)
  {
    size[axis] = 1;
  }
  if (bytesOf() > MaximumReadBytes)
  {
    size[0] = std::max<std::uint64_t>(1, MaximumReadBytes / pixelBytes);
  }
  itk::ImageIORegion region(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    region.SetIndex(axis, 0);
    region.SetSize(axis, static_cast<itk::SizeValueType>(size[axis]));
  }
  imageIO.SetIORegion(region);
  const std::unique_ptr<char[]> buffer(new char[static_cast<std::size_t>(bytesOf())]); // not zeroed: no time lost
  imageIO.Read(buffer.get());
}
/** Gives `geometry` to an ITK image of its dimension, as itk::ImageFileReader does with what a reader read: ITK then
 * inverts the index-to-physical matrix (vnl's SVD, which loops on some matrices and fails on others), so a geometry a
 * reader produced must go through in moments, with a finite inverse, or be refused with a clear error. */
template<unsigned int Dimension>
void
GiveGeometryToAnImage(const itk::nibridge::ImageGeometry & geometry)
{
  const auto image = itk::Image<unsigned char, Dimension>::New();
  itk::nibridge::SetImageGeometry(*image, geometry);
  // vnl's SVD gives NaN where it fails (subnormal elements did): every point's index would be NaN.
  const auto & inverse = image->GetInverseDirection();
  for (unsigned int row = 0; row < Dimension; ++row)
  {
    for (unsigned int column = 0; column < Dimension; ++column)
    {
      if (!std::isfinite(inverse[row][column]))
      {
        Finding("ITK's inverse of a direction a reader gave is not finite");
      }
    }
  }
}

inline void
ExpectITKTakesGeometry(const itk::nibridge::ImageGeometry & geometry)
{
  RunExpectingClearErrors("", [&]() {
    switch (geometry.GetDimension())
    {
      case 1:
        GiveGeometryToAnImage<1>(geometry);
        break;
      case 2:
        GiveGeometryToAnImage<2>(geometry);
        break;
      case 3:
        GiveGeometryToAnImage<3>(geometry);
        break;
      case 4:
        GiveGeometryToAnImage<4>(geometry);
        break;
      case 5:
        GiveGeometryToAnImage<5>(geometry);
        break;
      default:
        break; // NiBridge's callers read at most 5 axes as an ITK image
    }
  });
}
} // namespace nibridge_fuzz

#endif
