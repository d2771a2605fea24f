/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef nibridgeGTestSupport_h
#define nibridgeGTestSupport_h

// What the Core GoogleTests share: files in the test output directory, reading an ImageIO's whole image, comparing
// values bit for bit, the message of an ITK exception, metadata texts and environment variables. Header-only; for
// the NiBridgeCoreGTests driver (it needs NIBRIDGE_TEST_OUTPUT_DIR, a compile definition of that target).

#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeImageIOBase.h"

#include "itkByteSwapper.h"
#include "itkImageIOBase.h"
#include "itkMacro.h"
#include "itkMetaDataObject.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace nibridge_test
{
/** Names files in the test output directory that start with the test file's own prefix, so that no two test files,
 * and no two `ctest -j` runs, share a file. A test file defines one, as a function would be:
 * `constexpr nibridge_test::OutputPathWithPrefix OutputPath{ "NumPyImageIO_" };`, then `OutputPath("a.npy")`. */
struct OutputPathWithPrefix
{
  const char * prefix;

  std::string
  operator()(const std::string & name) const
  {
    return std::string(NIBRIDGE_TEST_OUTPUT_DIR) + "/" + prefix + name;
  }
};

/** The file name in double quotes, as NiBridge's error messages name a file. */
using itk::nibridge::Quoted;

/** Whether this machine stores multi-byte values big-endian. */
inline bool
MachineIsBigEndian()
{
  return itk::ByteSwapper<int>::SystemIsBigEndian();
}

/** Every byte of the file (empty if it cannot be read). */
inline std::string
ReadBytes(const std::string & fileName)
{
  std::ifstream file(fileName, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

/** Writes the bytes as the whole file, replacing what it held; a failure is a test failure. */
inline void
WriteBytes(const std::string & fileName, const std::string & bytes)
{
  std::ofstream file(fileName, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(file.good()) << fileName;
}

/** The region of the whole image an ImageIO has read the information of. */
inline itk::ImageIORegion
WholeRegion(const itk::ImageIOBase & imageIO)
{
  itk::ImageIORegion region(imageIO.GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < imageIO.GetNumberOfDimensions(); ++axis)
  {
    region.SetIndex(axis, 0);
    region.SetSize(axis, imageIO.GetDimensions(axis));
  }
  return region;
}

/** The whole image, read by the ImageIO itself after ReadImageInformation. */
inline std::vector<char>
ReadWhole(itk::ImageIOBase & imageIO)
{
  imageIO.SetIORegion(WholeRegion(imageIO));
  std::vector<char> buffer(static_cast<std::size_t>(imageIO.GetImageSizeInBytes()));
  imageIO.Read(buffer.data());
  return buffer;
}

/** The buffer's bytes as values of type T (a trailing part of a value is dropped). */
template<typename T>
std::vector<T>
ValuesOf(const std::vector<char> & buffer)
{
  std::vector<T> values(buffer.size() / sizeof(T));
  std::memcpy(values.data(), buffer.data(), values.size() * sizeof(T));
  return values;
}

/** Element by element, bit for bit (EXPECT_EQ would call 0.0 and -0.0 equal). */
template<typename T>
void
ExpectSameBits(const std::vector<T> & actual, const std::vector<T> & expected)
{
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t index = 0; index < actual.size(); ++index)
  {
    EXPECT_EQ(std::memcmp(&actual[index], &expected[index], sizeof(T)), 0)
      << "value " << index << ": " << actual[index] << " != " << expected[index];
  }
}

/** The 16 elements of two affines, bit for bit (EXPECT_EQ on doubles would call 0.0 and -0.0 equal). */
inline void
ExpectSameAffine(const itk::nibridge::AffineMatrix & actual, const itk::nibridge::AffineMatrix & expected)
{
  for (unsigned int row = 0; row < 4; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      EXPECT_EQ(std::memcmp(&actual[row][column], &expected[row][column], sizeof(double)), 0)
        << "[" << row << "][" << column << "]: " << actual[row][column] << " != " << expected[row][column];
    }
  }
}

/** The description of the itk::ExceptionObject that `action` throws; empty if it throws none. */
template<typename TAction>
std::string
ErrorOf(TAction && action)
{
  try
  {
    action();
  }
  catch (const itk::ExceptionObject & error)
  {
    return error.GetDescription();
  }
  return {};
}

/** Expects `action` to throw an itk::ExceptionObject whose message names `fileName` (quoted) and holds `reason`. */
template<typename TAction>
void
ExpectErrorNaming(TAction && action, const std::string & fileName, const std::string & reason)
{
  try
  {
    action();
    ADD_FAILURE() << "no exception; expected one saying: " << reason;
  }
  catch (const itk::ExceptionObject & error)
  {
    const std::string message = error.GetDescription();
    EXPECT_NE(message.find(Quoted(fileName)), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << "expected \"" << reason << "\" in: " << message;
  }
}

/** The string the dictionary holds under `key`, or "<absent>" where it holds none. */
inline std::string
MetaText(const itk::MetaDataDictionary & dictionary, const std::string & key)
{
  std::string value;
  return itk::ExposeMetaData<std::string>(dictionary, key, value) ? value : "<absent>";
}

/** The text of header field `name` in a NiBridge reader's metadata (HeaderFieldMetaDataKeyPrefix + name). */
inline std::string
HeaderField(const itk::ImageIOBase & imageIO, const std::string & name)
{
  return MetaText(imageIO.GetMetaDataDictionary(), itk::NiBridgeImageIOBase::HeaderFieldMetaDataKeyPrefix + name);
}

/** Sets an environment variable (or unsets it, for a null value) for the life of the object, then restores it. */
class ScopedEnvironmentVariable
{
public:
  ScopedEnvironmentVariable(const char * name, const char * value)
      : m_Name(name)
  {
    if (const char * previous = std::getenv(name))
    {
      m_Previous = previous;
    }
    if (value != nullptr)
    {
      setenv(name, value, 1);
    }
    else
    {
      unsetenv(name);
    }
  }
  ~ScopedEnvironmentVariable()
  {
    if (m_Previous)
    {
      setenv(m_Name.c_str(), m_Previous->c_str(), 1);
    }
    else
    {
      unsetenv(m_Name.c_str());
    }
  }
  ScopedEnvironmentVariable(const ScopedEnvironmentVariable &) = delete;
  ScopedEnvironmentVariable &
  operator=(const ScopedEnvironmentVariable &) = delete;

private:
  std::string                m_Name;
  std::optional<std::string> m_Previous;
};
} // namespace nibridge_test

#endif // nibridgeGTestSupport_h
