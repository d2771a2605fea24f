/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeReadGuard.h"

#include "itkNiBridgeNiftiImageIO.h"
#include "itkNumPyImageIO.h"
#include "nibridgeGTestSupport.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <filesystem>
#include <string>

#include <sys/stat.h>

namespace
{
using nibridge_test::ErrorOf;
using nibridge_test::ExpectErrorNaming;
using nibridge_test::ScopedEnvironmentVariable;

constexpr nibridge_test::OutputPathWithPrefix OutputPath{ "read-guard-" };

/** An ImageIO holding only image information, for CheckImageInformation. */
itk::ImageIOBase::Pointer
Information(std::initializer_list<itk::SizeValueType> sizes,
            itk::IOComponentEnum                      component = itk::IOComponentEnum::SHORT,
            unsigned int                              components = 1)
{
  itk::ImageIOBase::Pointer imageIO = itk::NumPyImageIO::New();
  imageIO->SetNumberOfDimensions(static_cast<unsigned int>(sizes.size()));
  unsigned int axis = 0;
  for (const auto size : sizes)
  {
    imageIO->SetDimensions(axis++, size);
  }
  imageIO->SetComponentType(component);
  imageIO->SetNumberOfComponents(components);
  return imageIO;
}

/** A minimal .npy of int16 zeros whose header claims `shape` but which holds `dataBytes` bytes of data. */
std::string
WriteNpy(const std::string & name, const std::string & shape, std::size_t dataBytes)
{
  std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': " + shape + ", }";
  header.resize(118, ' ');
  header += '\n';
  const std::string fileName = OutputPath(name);
  nibridge_test::WriteBytes(fileName,
                            std::string("\x93NUMPY\x01\x00\x76\x00", 10) + header + std::string(dataBytes, '\0'));
  return fileName;
}
} // namespace

TEST(ReadGuard, TakesTheMemoryLimitFromTheEnvironmentWithBinarySuffixes)
{
  {
    ScopedEnvironmentVariable limit("NIBRIDGE_MEMORY_LIMIT", "3K");
    EXPECT_EQ(itk::nibridge::GetReadMemoryLimit(), 3u * 1024u);
  }
  {
    ScopedEnvironmentVariable limit("NIBRIDGE_MEMORY_LIMIT", "2g");
    EXPECT_EQ(itk::nibridge::GetReadMemoryLimit(), 2ull << 30);
  }
  {
    ScopedEnvironmentVariable limit("NIBRIDGE_MEMORY_LIMIT", "12345");
    EXPECT_EQ(itk::nibridge::GetReadMemoryLimit(), 12345u);
  }
  {
    ScopedEnvironmentVariable limit("NIBRIDGE_MEMORY_LIMIT", "lots");
    EXPECT_NE(ErrorOf([] { itk::nibridge::GetReadMemoryLimit(); }).find("NIBRIDGE_MEMORY_LIMIT=\"lots\""),
              std::string::npos);
  }
  ScopedEnvironmentVariable unset("NIBRIDGE_MEMORY_LIMIT", nullptr);
  EXPECT_GT(itk::nibridge::GetReadMemoryLimit(), 0u); // the memory available now
}

TEST(ReadGuard, TakesTheTimeoutFromTheEnvironment)
{
  {
    ScopedEnvironmentVariable timeout("NIBRIDGE_READ_TIMEOUT", "2.5");
    EXPECT_EQ(itk::nibridge::GetReadTimeout(), 2.5);
  }
  {
    ScopedEnvironmentVariable timeout("NIBRIDGE_READ_TIMEOUT", "-1");
    EXPECT_NE(ErrorOf([] { itk::nibridge::GetReadTimeout(); }).find("not a positive number of seconds"),
              std::string::npos);
  }
  ScopedEnvironmentVariable unset("NIBRIDGE_READ_TIMEOUT", nullptr);
  EXPECT_EQ(itk::nibridge::GetReadTimeout(), 600.0);
}

TEST(ReadGuard, SaysWhyAnInputIsNoReadableRegularFile)
{
  const std::string file = OutputPath("regular.npy");
  nibridge_test::WriteBytes(file, "x");
  EXPECT_FALSE(itk::nibridge::WhyNotReadable(file));
  EXPECT_EQ(itk::nibridge::WhyNotReadable(OutputPath("missing.npy")).value_or(""), "no such file");
  const std::string dangling = OutputPath("dangling.npy");
  std::filesystem::remove(dangling);
  std::filesystem::create_symlink(OutputPath("nothing-there"), dangling);
  EXPECT_EQ(itk::nibridge::WhyNotReadable(dangling).value_or(""), "a symbolic link to a file that does not exist");
  const std::string loop = OutputPath("loop.npy");
  std::filesystem::remove(loop);
  std::filesystem::create_symlink(loop, loop);
  EXPECT_NE(itk::nibridge::WhyNotReadable(loop).value_or("").find("cannot open"), std::string::npos);
  EXPECT_EQ(itk::nibridge::WhyNotReadable("/dev/null").value_or(""), "a character device, not a regular file");
  ExpectErrorNaming([&] { itk::nibridge::CheckInputFile(NIBRIDGE_TEST_OUTPUT_DIR); },
                    NIBRIDGE_TEST_OUTPUT_DIR,
                    "a directory, not a file");
}

TEST(ReadGuard, RefusesSizesOfZeroAndSizesWhoseProductOverflows)
{
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 4, 0, 3 }), "zero.nrrd");
    },
    "zero.nrrd",
    "gives axis 1 a size of 0");
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 1ull << 32, 1ull << 32 }), "overflow.nrrd");
    },
    "overflow.nrrd",
    "overflows 64 bits");
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 1ull << 31, 1ull << 31 }, itk::IOComponentEnum::DOUBLE, 8),
                                           "overflow.mha");
    },
    "overflow.mha",
    "overflows 64 bits");
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 4, 4 }, itk::IOComponentEnum::SHORT, 0), "none.mha");
    },
    "none.mha",
    "no components");
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 4, 4 }, itk::IOComponentEnum::UNKNOWNCOMPONENTTYPE),
                                           "unknown.mha");
    },
    "unknown.mha",
    "no known pixel component type");
  EXPECT_EQ(itk::nibridge::CheckImageInformation(*Information({ 4, 5, 6 }, itk::IOComponentEnum::FLOAT, 2), "a.mha"),
            4u * 5u * 6u * 4u * 2u);
}

TEST(ReadGuard, RefusesAnImageLargerThanTheMemoryLimitUnlessTheCallerStreams)
{
  ScopedEnvironmentVariable limit("NIBRIDGE_MEMORY_LIMIT", "1M");
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 1024, 1024 }), "big.mha");
    },
    "big.mha",
    "an image of 2 MiB, more than the memory limit of 1 MiB");
  EXPECT_EQ(itk::nibridge::CheckImageInformation(*Information({ 1024, 1024 }), "big.mha", std::nullopt, false),
            2u << 20);
}

TEST(ReadGuard, RefusesUncompressedVoxelsTheFileDoesNotHoldBeforeAllocating)
{
  const std::string file = OutputPath("short.raw");
  nibridge_test::WriteBytes(file, std::string(700, '\0'));
  ExpectErrorNaming(
    [&] {
      itk::nibridge::CheckImageInformation(
        *Information({ 1ull << 16, 1ull << 16 }), file, itk::nibridge::StoredVoxels{ file, 100, 1ull << 33, false });
    },
    file,
    "the file is truncated: the header promises 8589934592 bytes of voxels from byte 100, the file holds 700 bytes");
  // Compressed voxels are bounded by the memory limit only.
  ScopedEnvironmentVariable limit("NIBRIDGE_MEMORY_LIMIT", "1T");
  EXPECT_EQ(itk::nibridge::CheckImageInformation(*Information({ 1ull << 16, 1ull << 16 }),
                                                 file,
                                                 itk::nibridge::StoredVoxels{ file, 100, 1ull << 33, true }),
            1ull << 33);
}

TEST(ReadGuard, RefusesCompressedVoxelsTheirDeflateStreamCannotHold)
{
  // 282 bytes of deflate decode to at most about 290 KB: never the 4 GiB a header may claim.
  ExpectErrorNaming(
    [] {
      itk::nibridge::CheckImageInformation(*Information({ 2048, 2048, 1024 }, itk::IOComponentEnum::UCHAR),
                                           "tiny.mha",
                                           itk::nibridge::StoredVoxels{ "tiny.mha", 0, 1ull << 32, true, 282 },
                                           false);
    },
    "tiny.mha",
    "more than its 282 bytes of compressed data can hold (deflate expands at most 1032 times)");
  EXPECT_EQ(itk::nibridge::CheckImageInformation(*Information({ 1000, 100 }, itk::IOComponentEnum::UCHAR),
                                                 "dense.mha",
                                                 itk::nibridge::StoredVoxels{ "dense.mha", 0, 100000, true, 100 },
                                                 false),
            100000u);
}

TEST(ReadGuard, NativeReadersRefuseAHeaderPromisingMoreThanTheFileHolds)
{
  // A 700-byte-ish .npy claiming 2^32 int16 values: refused by its header, nothing allocated.
  const std::string          npy = WriteNpy("claims-8-GiB.npy", "(65536, 65536)", 16);
  itk::NumPyImageIO::Pointer imageIO = itk::NumPyImageIO::New();
  imageIO->SetFileName(npy);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, npy, "truncated");
}

TEST(ReadGuard, NativeReadersApplyTheMemoryLimitToWholeImageReadsOnly)
{
  const std::string          npy = WriteNpy("two-mib.npy", "(1024, 1024)", 2u << 20);
  ScopedEnvironmentVariable  limit("NIBRIDGE_MEMORY_LIMIT", "1M");
  itk::NumPyImageIO::Pointer imageIO = itk::NumPyImageIO::New();
  imageIO->SetFileName(npy);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, npy, "more than the memory limit of 1 MiB");
  imageIO->CheckMemoryLimitOff(); // a caller that reads region by region
  EXPECT_EQ(ErrorOf([&] { imageIO->ReadImageInformation(); }), "");
}
