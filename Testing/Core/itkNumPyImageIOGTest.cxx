/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNumPyImageIO.h"
#include "itkNumPyImageIOFactory.h"

#include "nibridgeGTestSupport.h"

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include "itkMetaDataObject.h"
#include "itkRGBPixel.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"

#include "gtest/gtest.h"

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace
{
using itk::IOComponentEnum;
using itk::IOPixelEnum;
using itk::nibridge::MakeNpyHeader;
using namespace nibridge_test;

constexpr OutputPathWithPrefix OutputPath{ "NumPyImageIO_" };

char
NativeByteOrder()
{
  return MachineIsBigEndian() ? '>' : '<';
}

/** The bytes with every group of `width` bytes reversed: the other byte order. */
std::string
SwapEach(std::string bytes, std::size_t width)
{
  for (std::size_t start = 0; width > 1 && start + width <= bytes.size(); start += width)
  {
    std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                 bytes.begin() + static_cast<std::ptrdiff_t>(start + width));
  }
  return bytes;
}

/** Deterministic bytes that differ from one position to the next. */
std::string
PatternBytes(std::size_t count, std::uint32_t seed)
{
  std::string   bytes(count, '\0');
  std::uint32_t state = seed;
  for (char & byte : bytes)
  {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

template<typename TValue>
std::string
BytesOf(const std::vector<TValue> & values)
{
  return std::string(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(TValue));
}

/** float16 -> float32 computed independently of the code under test, through std::ldexp. */
float
ReferenceHalfToFloat(std::uint16_t half)
{
  const float sign = (half & 0x8000u) != 0 ? -1.0f : 1.0f;
  const int   exponent = (half >> 10) & 0x1f;
  const int   mantissa = half & 0x3ff;
  if (exponent == 0x1f)
  {
    return mantissa == 0 ? sign * std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
  }
  if (exponent == 0)
  {
    return sign * std::ldexp(static_cast<float>(mantissa), -24);
  }
  return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

void
ExpectSameFloats(const std::vector<float> & actual, const std::vector<float> & expected)
{
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t index = 0; index < actual.size(); ++index)
  {
    if (std::isnan(expected[index]))
    {
      EXPECT_TRUE(std::isnan(actual[index])) << "element " << index;
    }
    else
    {
      EXPECT_EQ(std::memcmp(&actual[index], &expected[index], sizeof(float)), 0)
        << "element " << index << ": " << actual[index] << " != " << expected[index];
    }
  }
}

std::vector<itk::SizeValueType>
DimensionsOf(const itk::ImageIOBase & imageIO)
{
  std::vector<itk::SizeValueType> dimensions;
  for (unsigned int axis = 0; axis < imageIO.GetNumberOfDimensions(); ++axis)
  {
    dimensions.push_back(imageIO.GetDimensions(axis));
  }
  return dimensions;
}

/** Reads the information and then the whole buffer, at the ImageIO level. */
std::string
ReadWholeBuffer(itk::NumPyImageIO & imageIO, const std::string & fileName)
{
  imageIO.SetFileName(fileName);
  imageIO.ReadImageInformation();
  imageIO.SetIORegion(WholeRegion(imageIO));
  std::string buffer(static_cast<std::size_t>(imageIO.GetImageSizeInBytes()), '\0');
  imageIO.Read(&buffer[0]);
  return buffer;
}

/** Writes `buffer`, described by `source`'s information and metadata, with a new NumPyImageIO. */
void
WriteLike(const itk::ImageIOBase & source, const std::string & buffer, const std::string & fileName)
{
  auto writer = itk::NumPyImageIO::New();
  writer->SetNumberOfDimensions(source.GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < source.GetNumberOfDimensions(); ++axis)
  {
    writer->SetDimensions(axis, source.GetDimensions(axis));
  }
  writer->SetComponentType(source.GetComponentType());
  writer->SetPixelType(source.GetPixelType());
  writer->SetNumberOfComponents(source.GetNumberOfComponents());
  writer->SetMetaDataDictionary(source.GetMetaDataDictionary());
  writer->SetFileName(fileName);
  writer->SetIORegion(WholeRegion(source));
  writer->WriteImageInformation();
  writer->Write(buffer.data());
}

/** Expects reading `fileName` to throw an exception whose message names the file and holds `reason`. */
void
ExpectReadError(const std::string & fileName, const std::string & reason, bool trailingAxisIsComponents = false)
{
  auto imageIO = itk::NumPyImageIO::New();
  imageIO->SetTrailingAxisIsComponents(trailingAxisIsComponents);
  imageIO->SetFileName(fileName);
  ExpectErrorNaming([&imageIO] { imageIO->ReadImageInformation(); }, fileName, reason);
}

/** Writes a file holding `dictionary` as a version 1.0 header (no padding rules) followed by `data`. */
void
ExpectHeaderRefused(const std::string & name, const std::string & dictionary, const std::string & reason)
{
  const std::string fileName = OutputPath(name + ".npy");
  std::string       bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(dictionary.size() & 0xff);
  bytes += static_cast<char>((dictionary.size() >> 8) & 0xff);
  WriteBytes(fileName, bytes + dictionary + std::string(64, '\0'));
  ExpectReadError(fileName, reason);
}

/** Names of the files in the test output directory that start with `prefix`. */
std::vector<std::string>
FilesStartingWith(const std::string & prefix)
{
  std::vector<std::string> names;
  for (const auto & entry : std::filesystem::directory_iterator(NIBRIDGE_TEST_OUTPUT_DIR))
  {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0)
    {
      names.push_back(name);
    }
  }
  return names;
}

template<typename TImage>
typename TImage::Pointer
ReadThroughImageFileReader(const std::string & fileName, bool trailingAxisIsComponents = false)
{
  itk::NumPyImageIOFactoryRegister__Private();
  auto reader = itk::ImageFileReader<TImage>::New();
  reader->SetFileName(fileName);
  if (trailingAxisIsComponents)
  {
    auto imageIO = itk::NumPyImageIO::New();
    imageIO->TrailingAxisIsComponentsOn();
    reader->SetImageIO(imageIO);
  }
  reader->Update();
  return reader->GetOutput();
}

template<typename TImage>
void
WriteThroughImageFileWriter(const TImage * image, const std::string & fileName)
{
  itk::NumPyImageIOFactoryRegister__Private();
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(fileName);
  writer->Update();
}

/** A 3-D float image of the given size whose voxel at index [i, j, k] holds i + 10 j + 100 k. */
std::vector<float>
IndexCodedValues(std::size_t sizeI, std::size_t sizeJ, std::size_t sizeK)
{
  std::vector<float> values;
  for (std::size_t k = 0; k < sizeK; ++k)
  {
    for (std::size_t j = 0; j < sizeJ; ++j)
    {
      for (std::size_t i = 0; i < sizeI; ++i)
      {
        values.push_back(static_cast<float>(i + 10 * j + 100 * k));
      }
    }
  }
  return values;
}

// ------------------------------------------------------------------------------------------------------------------
// The round-trip matrix: every dtype x byte order x memory order x format version.

struct DTypeCase
{
  const char *    name;
  const char *    code;              // the descr without its byte order, e.g. "i2"
  std::size_t     diskScalarBytes;   // one component on disk
  unsigned int    scalarsPerElement; // 2 for complex
  IOComponentEnum componentType;
  IOPixelEnum     pixelType;
  const char *    writtenCode; // what NumPyImageIO writes back
};

const std::vector<DTypeCase> &
EveryDType()
{
  static const std::vector<DTypeCase> cases{
    { "bool", "b1", 1, 1, IOComponentEnum::UCHAR, IOPixelEnum::SCALAR, "b1" },
    { "int8", "i1", 1, 1, IOComponentEnum::CHAR, IOPixelEnum::SCALAR, "i1" },
    { "int16", "i2", 2, 1, IOComponentEnum::SHORT, IOPixelEnum::SCALAR, "i2" },
    { "int32", "i4", 4, 1, IOComponentEnum::INT, IOPixelEnum::SCALAR, "i4" },
    { "int64", "i8", 8, 1, itk::ImageIOBase::MapPixelType<std::int64_t>::CType, IOPixelEnum::SCALAR, "i8" },
    { "uint8", "u1", 1, 1, IOComponentEnum::UCHAR, IOPixelEnum::SCALAR, "u1" },
    { "uint16", "u2", 2, 1, IOComponentEnum::USHORT, IOPixelEnum::SCALAR, "u2" },
    { "uint32", "u4", 4, 1, IOComponentEnum::UINT, IOPixelEnum::SCALAR, "u4" },
    { "uint64", "u8", 8, 1, itk::ImageIOBase::MapPixelType<std::uint64_t>::CType, IOPixelEnum::SCALAR, "u8" },
    { "float16", "f2", 2, 1, IOComponentEnum::FLOAT, IOPixelEnum::SCALAR, "f4" },
    { "float32", "f4", 4, 1, IOComponentEnum::FLOAT, IOPixelEnum::SCALAR, "f4" },
    { "float64", "f8", 8, 1, IOComponentEnum::DOUBLE, IOPixelEnum::SCALAR, "f8" },
    { "complex64", "c8", 4, 2, IOComponentEnum::FLOAT, IOPixelEnum::COMPLEX, "c8" },
    { "complex128", "c16", 8, 2, IOComponentEnum::DOUBLE, IOPixelEnum::COMPLEX, "c16" },
  };
  return cases;
}

std::string
Descr(const char * code, bool bigEndian)
{
  const bool singleByte = std::string(code).substr(1) == "1";
  return std::string(1, singleByte ? '|' : (bigEndian ? '>' : '<')) + code;
}

/** The bytes of 16 float16 values that cover every class of value, and their float32 form. */
const std::vector<std::uint16_t> &
InterestingHalfs()
{
  static const std::vector<std::uint16_t> halfs{ 0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x3c00, 0xbc00,
                                                 0x3555, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x5640 };
  return halfs;
}

using RoundTripParameters = std::tuple<std::size_t, bool, bool, unsigned int>; // dtype, big-endian, Fortran, version

class NumPyImageIORoundTrip : public testing::TestWithParam<RoundTripParameters>
{};

std::string
RoundTripName(const testing::TestParamInfo<RoundTripParameters> & info)
{
  return std::string(EveryDType()[std::get<0>(info.param)].name) +
         (std::get<1>(info.param) ? "_BigEndian" : "_LittleEndian") +
         (std::get<2>(info.param) ? "_FortranOrder" : "_COrder") + "_Version" + std::to_string(std::get<3>(info.param));
}
} // namespace

TEST_P(NumPyImageIORoundTrip, ReadsTheFileLayoutAsTheItkBufferAndWritesItBackAsNativeFortranOrder)
{
  const DTypeCase &                dtype = EveryDType()[std::get<0>(GetParam())];
  const bool                       bigEndian = std::get<1>(GetParam());
  const bool                       fortranOrder = std::get<2>(GetParam());
  const unsigned int               version = std::get<3>(GetParam());
  const std::string                descr = Descr(dtype.code, bigEndian);
  const std::vector<std::uint64_t> shape{ 2, 3, 4 };
  const std::size_t                numberOfElements = 24;
  const std::size_t                scalars = numberOfElements * dtype.scalarsPerElement;

  // The expected ITK buffer in this machine's byte order, and the file bytes in the file's byte order.
  std::string expectedBuffer;
  std::string fileData;
  if (std::string(dtype.code) == "f2")
  {
    std::vector<std::uint16_t> halfs;
    std::vector<float>         floats;
    for (std::size_t element = 0; element < numberOfElements; ++element)
    {
      halfs.push_back(InterestingHalfs()[element % InterestingHalfs().size()]);
      floats.push_back(ReferenceHalfToFloat(halfs.back()));
    }
    expectedBuffer = BytesOf(floats);
    fileData = bigEndian != MachineIsBigEndian() ? SwapEach(BytesOf(halfs), 2) : BytesOf(halfs);
  }
  else
  {
    expectedBuffer = PatternBytes(scalars * dtype.diskScalarBytes, static_cast<std::uint32_t>(std::get<0>(GetParam())));
    if (std::string(dtype.code) == "b1")
    {
      for (char & byte : expectedBuffer)
      {
        byte = static_cast<char>(static_cast<unsigned char>(byte) % 2);
      }
    }
    fileData = bigEndian != MachineIsBigEndian() ? SwapEach(expectedBuffer, dtype.diskScalarBytes) : expectedBuffer;
  }
  const std::string inputName = OutputPath("RoundTrip_" + RoundTripName({ GetParam(), 0 }) + ".npy");
  WriteBytes(inputName, MakeNpyHeader(descr, fortranOrder, shape, version) + fileData);

  auto              reader = itk::NumPyImageIO::New();
  const std::string buffer = ReadWholeBuffer(*reader, inputName);

  const std::vector<itk::SizeValueType> expectedDimensions =
    fortranOrder ? std::vector<itk::SizeValueType>{ 2, 3, 4 } : std::vector<itk::SizeValueType>{ 4, 3, 2 };
  EXPECT_EQ(DimensionsOf(*reader), expectedDimensions);
  EXPECT_EQ(reader->GetComponentType(), dtype.componentType);
  EXPECT_EQ(reader->GetPixelType(), dtype.pixelType);
  EXPECT_EQ(reader->GetNumberOfComponents(), dtype.scalarsPerElement);
  EXPECT_EQ(MetaText(reader->GetMetaDataDictionary(), "NumPyDType"), std::string(dtype.code) == "b1" ? "bool" : descr);
  EXPECT_EQ(MetaText(reader->GetMetaDataDictionary(), "NumPyFortranOrder"), fortranOrder ? "1" : "0");
  EXPECT_EQ(reader->GetNpyHeader().majorVersion, version);
  if (std::string(dtype.code) == "f2")
  {
    std::vector<float> actual(numberOfElements);
    std::vector<float> expected(numberOfElements);
    ASSERT_EQ(buffer.size(), actual.size() * sizeof(float));
    std::memcpy(actual.data(), buffer.data(), buffer.size());
    std::memcpy(expected.data(), expectedBuffer.data(), expectedBuffer.size());
    ExpectSameFloats(actual, expected);
  }
  else
  {
    EXPECT_EQ(buffer, expectedBuffer);
  }

  const std::string outputName = OutputPath("RoundTrip_" + RoundTripName({ GetParam(), 0 }) + "_written.npy");
  WriteLike(*reader, buffer, outputName);
  const std::string                writtenDescr = Descr(dtype.writtenCode, MachineIsBigEndian());
  const std::vector<std::uint64_t> writtenShape(expectedDimensions.begin(), expectedDimensions.end());
  EXPECT_EQ(ReadBytes(outputName), MakeNpyHeader(writtenDescr, true, writtenShape) + buffer);

  auto rereader = itk::NumPyImageIO::New();
  EXPECT_EQ(ReadWholeBuffer(*rereader, outputName), buffer);
  EXPECT_EQ(rereader->GetComponentType(), dtype.componentType);
  EXPECT_EQ(rereader->GetPixelType(), dtype.pixelType);
}

INSTANTIATE_TEST_SUITE_P(
  EveryDTypeByteOrderMemoryOrderAndVersion,
  NumPyImageIORoundTrip,
  testing::Combine(testing::Range<std::size_t>(0, 14), testing::Bool(), testing::Bool(), testing::Values(1u, 2u, 3u)),
  RoundTripName);

// ------------------------------------------------------------------------------------------------------------------
// Recognizing files

TEST(NumPyImageIO, CanReadFileNeedsTheNpyExtensionAndTheMagicString)
{
  const std::string npy = OutputPath("CanRead.npy");
  const std::string upperCase = OutputPath("CanReadUpper.NPY");
  const std::string otherExtension = OutputPath("CanRead.npz");
  const std::string notNumPy = OutputPath("CanReadNotNumPy.npy");
  const std::string tooShort = OutputPath("CanReadShort.npy");
  const std::string valid = MakeNpyHeader("<f4", false, { 1 }) + std::string(4, '\0');
  WriteBytes(npy, valid);
  WriteBytes(upperCase, valid);
  WriteBytes(otherExtension, valid);
  WriteBytes(notNumPy, "PK\x03\x04 a zip archive");
  WriteBytes(tooShort, "\x93NUM");

  auto imageIO = itk::NumPyImageIO::New();
  EXPECT_TRUE(imageIO->CanReadFile(npy.c_str()));
  EXPECT_TRUE(imageIO->CanReadFile(upperCase.c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(otherExtension.c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(notNumPy.c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(tooShort.c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(OutputPath("CanReadMissing.npy").c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(NIBRIDGE_TEST_OUTPUT_DIR));
  EXPECT_FALSE(imageIO->CanReadFile(""));
  EXPECT_FALSE(imageIO->CanReadFile(nullptr));
}

TEST(NumPyImageIO, CanWriteFileNeedsTheNpyExtension)
{
  auto imageIO = itk::NumPyImageIO::New();
  EXPECT_TRUE(imageIO->CanWriteFile("image.npy"));
  EXPECT_TRUE(imageIO->CanWriteFile("IMAGE.NPY"));
  EXPECT_FALSE(imageIO->CanWriteFile("image.npz"));
  EXPECT_FALSE(imageIO->CanWriteFile("image.nii"));
  EXPECT_FALSE(imageIO->CanWriteFile("npy"));
  EXPECT_FALSE(imageIO->CanWriteFile(nullptr));
  EXPECT_EQ(imageIO->GetSupportedReadExtensions(), std::vector<std::string>{ ".npy" });
  EXPECT_EQ(imageIO->GetSupportedWriteExtensions(), std::vector<std::string>{ ".npy" });
}

TEST(NumPyImageIO, TheFactoryMakesImageFileReaderAndWriterHandleNpyFiles)
{
  itk::NumPyImageIOFactoryRegister__Private();
  itk::NumPyImageIOFactoryRegister__Private();
  std::size_t numberOfNumPyFactories = 0;
  for (const auto & factory : itk::ObjectFactoryBase::GetRegisteredFactories())
  {
    numberOfNumPyFactories += dynamic_cast<itk::NumPyImageIOFactory *>(factory) != nullptr ? 1 : 0;
  }
  EXPECT_EQ(numberOfNumPyFactories, 1u);

  const std::string fileName = OutputPath("Factory.npy");
  WriteBytes(fileName, MakeNpyHeader("<f4", false, { 2 }) + std::string(8, '\0'));
  const auto readIO = itk::ImageIOFactory::CreateImageIO(fileName.c_str(), itk::IOFileModeEnum::ReadMode);
  ASSERT_NE(readIO.GetPointer(), nullptr);
  EXPECT_STREQ(readIO->GetNameOfClass(), "NumPyImageIO");
  const auto writeIO =
    itk::ImageIOFactory::CreateImageIO(OutputPath("FactoryNew.npy").c_str(), itk::IOFileModeEnum::WriteMode);
  ASSERT_NE(writeIO.GetPointer(), nullptr);
  EXPECT_STREQ(writeIO->GetNameOfClass(), "NumPyImageIO");
}

// ------------------------------------------------------------------------------------------------------------------
// Reading: axes, geometry, conversions

TEST(NumPyImageIO, ImageDimensionIsTheNumberOfNumPyAxesAndAZeroDimensionalArrayIsOneVoxel)
{
  struct Case
  {
    std::vector<std::uint64_t>      shape;
    bool                            fortranOrder;
    std::vector<itk::SizeValueType> dimensions;
  };
  const std::vector<Case> cases{
    { {}, false, { 1 } },
    { { 5 }, false, { 5 } },
    { { 5 }, true, { 5 } },
    { { 2, 3 }, false, { 3, 2 } },
    { { 2, 3, 1, 4, 5 }, false, { 5, 4, 1, 3, 2 } },
    { { 2, 3, 1, 4, 5 }, true, { 2, 3, 1, 4, 5 } },
  };
  for (std::size_t index = 0; index < cases.size(); ++index)
  {
    const Case &  testCase = cases[index];
    std::uint64_t numberOfElements = 1;
    for (const std::uint64_t extent : testCase.shape)
    {
      numberOfElements *= extent;
    }
    const std::string fileName = OutputPath("Dimensions" + std::to_string(index) + ".npy");
    const std::string data = PatternBytes(numberOfElements * 2, 7);
    WriteBytes(fileName,
               MakeNpyHeader("<i2", testCase.fortranOrder, testCase.shape) +
                 SwapEach(data, MachineIsBigEndian() ? 2 : 1));
    auto imageIO = itk::NumPyImageIO::New();
    EXPECT_EQ(ReadWholeBuffer(*imageIO, fileName), data);
    EXPECT_EQ(DimensionsOf(*imageIO), testCase.dimensions);
  }
}

TEST(NumPyImageIO, GeometryIsUnitSpacingZeroOriginAndIdentityDirection)
{
  const std::string fileName = OutputPath("Geometry.npy");
  WriteBytes(fileName, MakeNpyHeader("<f4", true, { 2, 3, 4 }) + std::string(96, '\0'));
  auto imageIO = itk::NumPyImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  ASSERT_EQ(imageIO->GetNumberOfDimensions(), 3u);
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    EXPECT_EQ(imageIO->GetSpacing(axis), 1.0);
    EXPECT_EQ(imageIO->GetOrigin(axis), 0.0);
    std::vector<double> unit(3, 0.0);
    unit[axis] = 1.0;
    EXPECT_EQ(imageIO->GetDirection(axis), unit);
  }
}

TEST(NumPyImageIO, AFortranOrderArrayAndItsCOrderTransposeAreTheSameItkImage)
{
  // nibabel's (i, j, k) Fortran array and itk/SimpleITK's (k, j, i) C array of one image hold the same bytes.
  const std::vector<float> values = IndexCodedValues(4, 3, 2);
  const std::string        data = SwapEach(BytesOf(values), MachineIsBigEndian() ? 4 : 1);
  const std::string        fortranName = OutputPath("SameImageFortran.npy");
  const std::string        cName = OutputPath("SameImageC.npy");
  WriteBytes(fortranName, MakeNpyHeader("<f4", true, { 4, 3, 2 }) + data);
  WriteBytes(cName, MakeNpyHeader("<f4", false, { 2, 3, 4 }) + data);

  using ImageType = itk::Image<float, 3>;
  const ImageType::Pointer fromFortran = ReadThroughImageFileReader<ImageType>(fortranName);
  const ImageType::Pointer fromC = ReadThroughImageFileReader<ImageType>(cName);
  for (const ImageType::Pointer & image : { fromFortran, fromC })
  {
    EXPECT_EQ(image->GetLargestPossibleRegion().GetSize(), (ImageType::SizeType{ { 4, 3, 2 } }));
    EXPECT_EQ(image->GetPixel({ { 3, 0, 0 } }), 3.0f);
    EXPECT_EQ(image->GetPixel({ { 0, 2, 0 } }), 20.0f);
    EXPECT_EQ(image->GetPixel({ { 1, 2, 1 } }), 121.0f);
  }
}

TEST(NumPyImageIO, FloatSixteenReadsExactlyAsFloatThirtyTwoForAllSixtyFiveThousandValues)
{
  std::vector<std::uint16_t> halfs(65536);
  std::vector<float>         expected(65536);
  for (std::size_t bits = 0; bits < halfs.size(); ++bits)
  {
    halfs[bits] = static_cast<std::uint16_t>(bits);
    expected[bits] = ReferenceHalfToFloat(halfs[bits]);
  }
  for (const bool bigEndian : { false, true })
  {
    const std::string fileName = OutputPath(std::string("EveryHalf") + (bigEndian ? "Big" : "Little") + ".npy");
    const std::string data = bigEndian != MachineIsBigEndian() ? SwapEach(BytesOf(halfs), 2) : BytesOf(halfs);
    WriteBytes(fileName, MakeNpyHeader(bigEndian ? ">f2" : "<f2", false, { 65536 }) + data);
    auto              imageIO = itk::NumPyImageIO::New();
    const std::string buffer = ReadWholeBuffer(*imageIO, fileName);
    EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::FLOAT);
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), "NumPyDType"), bigEndian ? ">f2" : "<f2");
    std::vector<float> actual(65536);
    ASSERT_EQ(buffer.size(), actual.size() * sizeof(float));
    std::memcpy(actual.data(), buffer.data(), buffer.size());
    ExpectSameFloats(actual, expected);
  }
}

TEST(NumPyImageIO, BooleansReadAsZeroOrOneAndWriteBackAsBool)
{
  const std::string fileName = OutputPath("Booleans.npy");
  WriteBytes(fileName, MakeNpyHeader("|b1", false, { 5 }) + std::string("\x00\x01\x02\xff\x01", 5));
  using ImageType = itk::Image<unsigned char, 1>;
  const ImageType::Pointer         image = ReadThroughImageFileReader<ImageType>(fileName);
  const std::vector<unsigned char> values(image->GetBufferPointer(), image->GetBufferPointer() + 5);
  EXPECT_EQ(values, (std::vector<unsigned char>{ 0, 1, 1, 1, 1 }));
  std::string recordedDType;
  EXPECT_TRUE(itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), "NumPyDType", recordedDType));
  EXPECT_EQ(recordedDType, "bool");

  // The recorded dtype makes the writer write bool again; any non-zero value is True.
  image->GetBufferPointer()[0] = 7;
  const std::string writtenName = OutputPath("BooleansWritten.npy");
  WriteThroughImageFileWriter(image.GetPointer(), writtenName);
  EXPECT_EQ(ReadBytes(writtenName), MakeNpyHeader("|b1", true, { 5 }) + std::string("\x01\x01\x01\x01\x01", 5));
}

TEST(NumPyImageIO, UnsignedCharImagesWithoutTheBoolRecordWriteUint8)
{
  using ImageType = itk::Image<unsigned char, 2>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 3, 2 } });
  image->Allocate();
  for (unsigned char value = 0; value < 6; ++value)
  {
    image->GetBufferPointer()[value] = static_cast<unsigned char>(value * 50);
  }
  const std::string fileName = OutputPath("Uint8Written.npy");
  WriteThroughImageFileWriter(image.GetPointer(), fileName);
  EXPECT_EQ(ReadBytes(fileName),
            MakeNpyHeader("|u1", true, { 3, 2 }) +
              std::string(reinterpret_cast<const char *>(image->GetBufferPointer()), 6));
}

// ------------------------------------------------------------------------------------------------------------------
// Reading: the trailing axis as components

TEST(NumPyImageIO, TheTrailingAxisOfACOrderFileBecomesInterleavedVectorComponents)
{
  // C order (k, j, i, c) = (2, 3, 4, 3): the components are already the fastest axis.
  const std::string data = PatternBytes(2 * 3 * 4 * 3 * 2, 11);
  const std::string fileName = OutputPath("TrailingC.npy");
  WriteBytes(fileName, MakeNpyHeader(MachineIsBigEndian() ? ">u2" : "<u2", false, { 2, 3, 4, 3 }) + data);

  auto imageIO = itk::NumPyImageIO::New();
  imageIO->TrailingAxisIsComponentsOn();
  EXPECT_EQ(ReadWholeBuffer(*imageIO, fileName), data);
  EXPECT_EQ(DimensionsOf(*imageIO), (std::vector<itk::SizeValueType>{ 4, 3, 2 }));
  EXPECT_EQ(imageIO->GetNumberOfComponents(), 3u);
  EXPECT_EQ(imageIO->GetPixelType(), IOPixelEnum::VECTOR);
  EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::USHORT);
}

TEST(NumPyImageIO, TheTrailingAxisOfAFortranOrderFileIsDeplanarizedOnRead)
{
  // Fortran order (i, j, k, c) = (4, 3, 2, 3): component c of pixel p sits at c * 24 + p in the file and at
  // p * 3 + c in the ITK buffer. Big-endian float32 and little-endian float16 take the converting paths.
  const std::size_t  numberOfPixels = 24;
  std::vector<float> planar(numberOfPixels * 3);
  for (std::size_t index = 0; index < planar.size(); ++index)
  {
    planar[index] = static_cast<float>(index) * 0.25f - 3.0f;
  }
  std::vector<float> interleaved(planar.size());
  for (std::size_t pixel = 0; pixel < numberOfPixels; ++pixel)
  {
    for (std::size_t component = 0; component < 3; ++component)
    {
      interleaved[pixel * 3 + component] = planar[component * numberOfPixels + pixel];
    }
  }

  const std::string bigEndianName = OutputPath("TrailingFortranBigEndian.npy");
  const std::string bigEndianData = MachineIsBigEndian() ? BytesOf(planar) : SwapEach(BytesOf(planar), 4);
  WriteBytes(bigEndianName, MakeNpyHeader(">f4", true, { 4, 3, 2, 3 }) + bigEndianData);
  auto bigEndianIO = itk::NumPyImageIO::New();
  bigEndianIO->TrailingAxisIsComponentsOn();
  EXPECT_EQ(ReadWholeBuffer(*bigEndianIO, bigEndianName), BytesOf(interleaved));
  EXPECT_EQ(DimensionsOf(*bigEndianIO), (std::vector<itk::SizeValueType>{ 4, 3, 2 }));
  EXPECT_EQ(bigEndianIO->GetNumberOfComponents(), 3u);

  // Every value above is exact in float16: 0.25 steps between -3 and 15.
  std::vector<std::uint16_t> planarHalfs;
  for (const float value : planar)
  {
    std::uint16_t found = 0;
    for (std::uint32_t bits = 0; bits < 0x10000; ++bits)
    {
      if (ReferenceHalfToFloat(static_cast<std::uint16_t>(bits)) == value)
      {
        found = static_cast<std::uint16_t>(bits);
        break;
      }
    }
    planarHalfs.push_back(found);
  }
  const std::string halfName = OutputPath("TrailingFortranHalf.npy");
  WriteBytes(halfName,
             MakeNpyHeader("<f2", true, { 4, 3, 2, 3 }) +
               (MachineIsBigEndian() ? SwapEach(BytesOf(planarHalfs), 2) : BytesOf(planarHalfs)));
  auto halfIO = itk::NumPyImageIO::New();
  halfIO->TrailingAxisIsComponentsOn();
  EXPECT_EQ(ReadWholeBuffer(*halfIO, halfName), BytesOf(interleaved));
}

TEST(NumPyImageIO, TrailingAxisIsComponentsRefusesComplexAndZeroDimensionalArrays)
{
  const std::string complexName = OutputPath("TrailingComplex.npy");
  WriteBytes(complexName, MakeNpyHeader("<c8", false, { 2, 2 }) + std::string(32, '\0'));
  ExpectReadError(
    complexName, "complex data (dtype '<c8') cannot have its trailing axis read as vector components", true);
  const std::string scalarName = OutputPath("TrailingZeroDimensional.npy");
  WriteBytes(scalarName, MakeNpyHeader("<f8", false, {}) + std::string(8, '\0'));
  ExpectReadError(scalarName, "a 0-d array has no trailing axis", true);
}

// ------------------------------------------------------------------------------------------------------------------
// Reading: streamed regions

TEST(NumPyImageIO, ImageFileReaderReadsOnlyTheRequestedRegionInEitherMemoryOrder)
{
  using ImageType = itk::Image<float, 3>;
  const std::vector<float> values = IndexCodedValues(6, 5, 4);
  const std::string        native = BytesOf(values);
  const std::string        swapped = SwapEach(native, 4);
  struct Case
  {
    std::string                descr;
    bool                       fortranOrder;
    std::vector<std::uint64_t> shape;
    std::string                data;
  };
  const std::vector<Case> cases{
    { NativeByteOrder() == '<' ? "<f4" : ">f4", true, { 6, 5, 4 }, native },
    { NativeByteOrder() == '<' ? "<f4" : ">f4", false, { 4, 5, 6 }, native },
    { NativeByteOrder() == '<' ? ">f4" : "<f4", true, { 6, 5, 4 }, swapped },
  };
  for (std::size_t index = 0; index < cases.size(); ++index)
  {
    SCOPED_TRACE(cases[index].descr + (cases[index].fortranOrder ? " Fortran" : " C"));
    const std::string fileName = OutputPath("Region" + std::to_string(index) + ".npy");
    WriteBytes(fileName,
               MakeNpyHeader(cases[index].descr, cases[index].fortranOrder, cases[index].shape) + cases[index].data);

    itk::NumPyImageIOFactoryRegister__Private();
    auto reader = itk::ImageFileReader<ImageType>::New();
    reader->SetFileName(fileName);
    reader->UpdateOutputInformation();
    const ImageType::RegionType requested({ { 1, 2, 1 } }, { { 3, 2, 2 } });
    reader->GetOutput()->SetRequestedRegion(requested);
    reader->GetOutput()->Update();

    EXPECT_EQ(reader->GetOutput()->GetBufferedRegion(), requested);
    EXPECT_EQ(reader->GetImageIO()->GetIORegion().GetNumberOfPixels(), requested.GetNumberOfPixels());
    for (itk::IndexValueType k = 1; k < 3; ++k)
    {
      for (itk::IndexValueType j = 2; j < 4; ++j)
      {
        for (itk::IndexValueType i = 1; i < 4; ++i)
        {
          EXPECT_EQ(reader->GetOutput()->GetPixel({ { i, j, k } }), static_cast<float>(i + 10 * j + 100 * k));
        }
      }
    }
  }
}

TEST(NumPyImageIO, StreamingImageFilterReadsTheImageInPiecesIdenticalToOneRead)
{
  using ImageType = itk::Image<double, 3>;
  const std::string fileName = OutputPath("StreamedPieces.npy");
  const std::string data = PatternBytes(7 * 6 * 5 * 8, 3);
  WriteBytes(fileName, MakeNpyHeader(NativeByteOrder() == '<' ? ">f8" : "<f8", false, { 5, 6, 7 }) + data);

  const ImageType::Pointer whole = ReadThroughImageFileReader<ImageType>(fileName);
  auto                     reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(fileName);
  auto streamer = itk::StreamingImageFilter<ImageType, ImageType>::New();
  streamer->SetInput(reader->GetOutput());
  streamer->SetNumberOfStreamDivisions(5);
  streamer->Update();

  EXPECT_LT(reader->GetImageIO()->GetIORegion().GetNumberOfPixels(), 7u * 6u * 5u);
  ASSERT_EQ(streamer->GetOutput()->GetBufferedRegion(), whole->GetBufferedRegion());
  EXPECT_EQ(std::memcmp(streamer->GetOutput()->GetBufferPointer(), whole->GetBufferPointer(), 7 * 6 * 5 * 8), 0);
}

TEST(NumPyImageIO, StreamedReadsOfFortranVectorFilesDeplanarizeJustTheRegion)
{
  using ImageType = itk::VectorImage<short, 2>;
  // Fortran (i, j, c) = (5, 4, 2): component c of pixel (i, j) holds 1000 c + 10 j + i.
  std::vector<short> planar;
  for (short component = 0; component < 2; ++component)
  {
    for (short j = 0; j < 4; ++j)
    {
      for (short i = 0; i < 5; ++i)
      {
        planar.push_back(static_cast<short>(1000 * component + 10 * j + i));
      }
    }
  }
  const std::string fileName = OutputPath("StreamedVector.npy");
  WriteBytes(fileName,
             MakeNpyHeader(">i2", true, { 5, 4, 2 }) +
               (MachineIsBigEndian() ? BytesOf(planar) : SwapEach(BytesOf(planar), 2)));

  auto imageIO = itk::NumPyImageIO::New();
  imageIO->TrailingAxisIsComponentsOn();
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetImageIO(imageIO);
  reader->SetFileName(fileName);
  reader->UpdateOutputInformation();
  const ImageType::RegionType requested({ { 2, 1 } }, { { 2, 3 } });
  reader->GetOutput()->SetRequestedRegion(requested);
  reader->GetOutput()->Update();

  const ImageType * image = reader->GetOutput();
  EXPECT_EQ(image->GetBufferedRegion(), requested);
  EXPECT_EQ(image->GetNumberOfComponentsPerPixel(), 2u);
  for (itk::IndexValueType j = 1; j < 4; ++j)
  {
    for (itk::IndexValueType i = 2; i < 4; ++i)
    {
      const auto pixel = image->GetPixel({ { i, j } });
      EXPECT_EQ(pixel[0], 10 * j + i);
      EXPECT_EQ(pixel[1], 1000 + 10 * j + i);
    }
  }
}

TEST(NumPyImageIO, ImagesOfOtherDimensionsReadTheFirstSliceOrPadWithUnitAxes)
{
  const std::vector<float> values = IndexCodedValues(4, 3, 2);
  const std::string        fileName = OutputPath("OtherDimensions.npy");
  WriteBytes(fileName, MakeNpyHeader(NativeByteOrder() == '<' ? "<f4" : ">f4", true, { 4, 3, 2 }) + BytesOf(values));

  using SliceType = itk::Image<float, 2>;
  const SliceType::Pointer slice = ReadThroughImageFileReader<SliceType>(fileName);
  EXPECT_EQ(slice->GetLargestPossibleRegion().GetSize(), (SliceType::SizeType{ { 4, 3 } }));
  EXPECT_EQ(slice->GetPixel({ { 3, 2 } }), 23.0f);

  using VolumeType = itk::Image<float, 4>;
  const VolumeType::Pointer volume = ReadThroughImageFileReader<VolumeType>(fileName);
  EXPECT_EQ(volume->GetLargestPossibleRegion().GetSize(), (VolumeType::SizeType{ { 4, 3, 2, 1 } }));
  EXPECT_EQ(volume->GetPixel({ { 3, 2, 1, 0 } }), 123.0f);
}

// ------------------------------------------------------------------------------------------------------------------
// Writing

TEST(NumPyImageIO, VectorImagesWriteTheirComponentsAsTheTrailingFortranAxis)
{
  using ImageType = itk::VectorImage<float, 3>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 4, 3, 2 } });
  image->SetNumberOfComponentsPerPixel(3);
  image->Allocate();
  float * buffer = image->GetBufferPointer();
  for (std::size_t index = 0; index < 24 * 3; ++index)
  {
    buffer[index] = static_cast<float>(index);
  }
  const std::string fileName = OutputPath("VectorWritten.npy");
  WriteThroughImageFileWriter(image.GetPointer(), fileName);

  std::vector<float> planar;
  for (std::size_t component = 0; component < 3; ++component)
  {
    for (std::size_t pixel = 0; pixel < 24; ++pixel)
    {
      planar.push_back(buffer[pixel * 3 + component]);
    }
  }
  EXPECT_EQ(ReadBytes(fileName),
            MakeNpyHeader(std::string(1, NativeByteOrder()) + "f4", true, { 4, 3, 2, 3 }) + BytesOf(planar));

  const ImageType::Pointer back = ReadThroughImageFileReader<ImageType>(fileName, true);
  EXPECT_EQ(back->GetLargestPossibleRegion(), image->GetLargestPossibleRegion());
  EXPECT_EQ(std::memcmp(back->GetBufferPointer(), buffer, 24 * 3 * sizeof(float)), 0);
}

TEST(NumPyImageIO, RgbImagesWriteTheirChannelsAsTheTrailingAxis)
{
  using ImageType = itk::Image<itk::RGBPixel<unsigned char>, 2>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 2, 2 } });
  image->Allocate();
  for (unsigned char pixel = 0; pixel < 4; ++pixel)
  {
    image->GetBufferPointer()[pixel].Set(
      pixel, static_cast<unsigned char>(10 + pixel), static_cast<unsigned char>(20 + pixel));
  }
  const std::string fileName = OutputPath("RgbWritten.npy");
  WriteThroughImageFileWriter(image.GetPointer(), fileName);
  EXPECT_EQ(ReadBytes(fileName),
            MakeNpyHeader("|u1", true, { 2, 2, 3 }) +
              std::string("\x00\x01\x02\x03\x0a\x0b\x0c\x0d\x14\x15\x16\x17", 12));
}

TEST(NumPyImageIO, ComplexImagesWriteComplexDTypesAndReadBack)
{
  using ImageType = itk::Image<std::complex<double>, 2>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 3, 2 } });
  image->Allocate();
  for (int index = 0; index < 6; ++index)
  {
    image->GetBufferPointer()[index] = std::complex<double>(index, -0.5 * index);
  }
  const std::string fileName = OutputPath("ComplexWritten.npy");
  WriteThroughImageFileWriter(image.GetPointer(), fileName);
  EXPECT_EQ(ReadBytes(fileName),
            MakeNpyHeader(std::string(1, NativeByteOrder()) + "c16", true, { 3, 2 }) +
              std::string(reinterpret_cast<const char *>(image->GetBufferPointer()), 6 * sizeof(std::complex<double>)));

  const ImageType::Pointer back = ReadThroughImageFileReader<ImageType>(fileName);
  for (int index = 0; index < 6; ++index)
  {
    EXPECT_EQ(back->GetBufferPointer()[index], std::complex<double>(index, -0.5 * index));
  }
}

TEST(NumPyImageIO, WritingReplacesAnExistingFileWhole)
{
  const std::string fileName = OutputPath("Replaced.npy");
  WriteBytes(fileName, std::string(100000, 'x'));
  using ImageType = itk::Image<short, 1>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 2 } });
  image->Allocate();
  image->FillBuffer(-2);
  WriteThroughImageFileWriter(image.GetPointer(), fileName);
  EXPECT_EQ(ReadBytes(fileName),
            MakeNpyHeader(std::string(1, NativeByteOrder()) + "i2", true, { 2 }) +
              std::string(reinterpret_cast<const char *>(image->GetBufferPointer()), 4));
  EXPECT_EQ(FilesStartingWith("NumPyImageIO_Replaced.npy.tmp-"), std::vector<std::string>{});
}

TEST(NumPyImageIO, FailedWritesThrowAndLeaveNoTemporaryFileBehind)
{
  const std::string buffer(16, '\0');
  auto              imageIO = itk::NumPyImageIO::New();
  imageIO->SetNumberOfDimensions(1);
  imageIO->SetDimensions(0, 4);
  imageIO->SetComponentType(IOComponentEnum::FLOAT);
  imageIO->SetNumberOfComponents(1);

  // The directory does not exist: the temporary file cannot even be created.
  const std::string missingDirectoryName = OutputPath("NoSuchDirectory/image.npy");
  imageIO->SetFileName(missingDirectoryName);
  try
  {
    imageIO->Write(buffer.data());
    ADD_FAILURE() << "writing into a missing directory succeeded";
  }
  catch (const itk::ExceptionObject & error)
  {
    const std::string message = error.GetDescription();
    EXPECT_NE(message.find('"' + missingDirectoryName + '"'), std::string::npos) << message;
    EXPECT_NE(message.find("cannot create the temporary file"), std::string::npos) << message;
  }

  // The target is a directory: the temporary file is written, then cannot replace it, and is removed.
  const std::string directoryName = OutputPath("TargetIsADirectory.npy");
  std::filesystem::create_directories(directoryName);
  std::filesystem::create_directories(directoryName + "/keep-it-non-empty");
  imageIO->SetFileName(directoryName);
  try
  {
    imageIO->Write(buffer.data());
    ADD_FAILURE() << "writing over a directory succeeded";
  }
  catch (const itk::ExceptionObject & error)
  {
    const std::string message = error.GetDescription();
    EXPECT_NE(message.find('"' + directoryName + '"'), std::string::npos) << message;
    EXPECT_NE(message.find("cannot rename the written file over it"), std::string::npos) << message;
  }
  EXPECT_TRUE(std::filesystem::is_directory(directoryName));
  EXPECT_EQ(FilesStartingWith("NumPyImageIO_TargetIsADirectory.npy.tmp-"), std::vector<std::string>{});
}

TEST(NumPyImageIO, WritingAComponentTypeDotNpyCannotExpressIsRefused)
{
  const std::string fileName = OutputPath("UnknownComponent.npy");
  std::filesystem::remove(fileName);
  const std::string buffer(16, '\0');
  auto              imageIO = itk::NumPyImageIO::New();
  imageIO->SetNumberOfDimensions(1);
  imageIO->SetDimensions(0, 4);
  imageIO->SetNumberOfComponents(1);
  imageIO->SetFileName(fileName);
  try
  {
    imageIO->Write(buffer.data());
    ADD_FAILURE() << "writing an unknown component type succeeded";
  }
  catch (const itk::ExceptionObject & error)
  {
    const std::string message = error.GetDescription();
    EXPECT_NE(message.find('"' + fileName + '"'), std::string::npos) << message;
    EXPECT_NE(message.find("has no .npy dtype"), std::string::npos) << message;
  }
  EXPECT_THROW(imageIO->WriteImageInformation(), itk::ExceptionObject);
  EXPECT_FALSE(std::filesystem::exists(fileName));
  EXPECT_EQ(FilesStartingWith("NumPyImageIO_UnknownComponent.npy"), std::vector<std::string>{});
}

TEST(NumPyImageIO, ComplexPixelsNeedTwoFloatingPointComponents)
{
  const std::string buffer(64, '\0');
  auto              imageIO = itk::NumPyImageIO::New();
  imageIO->SetNumberOfDimensions(1);
  imageIO->SetDimensions(0, 4);
  imageIO->SetPixelType(IOPixelEnum::COMPLEX);
  imageIO->SetComponentType(IOComponentEnum::INT);
  imageIO->SetNumberOfComponents(2);
  imageIO->SetFileName(OutputPath("ComplexOfInt.npy"));
  EXPECT_THROW(imageIO->Write(buffer.data()), itk::ExceptionObject);
  EXPECT_FALSE(std::filesystem::exists(OutputPath("ComplexOfInt.npy")));
}

TEST(NumPyImageIO, StreamedOrPastedWritesAreRefused)
{
  const std::string buffer(16, '\0');
  auto              imageIO = itk::NumPyImageIO::New();
  imageIO->SetNumberOfDimensions(1);
  imageIO->SetDimensions(0, 4);
  imageIO->SetComponentType(IOComponentEnum::FLOAT);
  imageIO->SetNumberOfComponents(1);
  itk::ImageIORegion half(1);
  half.SetIndex(0, 2);
  half.SetSize(0, 2);
  imageIO->SetIORegion(half);
  imageIO->SetFileName(OutputPath("Pasted.npy"));
  EXPECT_THROW(imageIO->Write(buffer.data()), itk::ExceptionObject);
  EXPECT_FALSE(imageIO->CanStreamWrite());
}

// ------------------------------------------------------------------------------------------------------------------
// Malformed files: each error names the file and the reason.

TEST(NumPyImageIO, EmptyFilesAreRefused)
{
  const std::string fileName = OutputPath("Empty.npy");
  WriteBytes(fileName, "");
  ExpectReadError(fileName, "the file is empty");
}

TEST(NumPyImageIO, MissingFilesAreRefused) { ExpectReadError(OutputPath("Missing.npy"), "cannot open for reading"); }

TEST(NumPyImageIO, DirectoriesAreRefused)
{
  const std::string directoryName = OutputPath("Directory.npy");
  std::filesystem::create_directories(directoryName);
  ExpectReadError(directoryName, "is a directory");
}

TEST(NumPyImageIO, BadMagicStringsAreRefused)
{
  const std::string fileName = OutputPath("BadMagic.npy");
  WriteBytes(fileName, "\x89PNG\r\n\x1a\n and then some more bytes of a PNG file");
  ExpectReadError(fileName, "bad magic string");
}

TEST(NumPyImageIO, UnsupportedFormatVersionsAreRefused)
{
  const std::string fileName = OutputPath("Version4.npy");
  std::string       bytes = MakeNpyHeader("<f8", false, { 1 }) + std::string(8, '\0');
  bytes[6] = '\x04';
  WriteBytes(fileName, bytes);
  ExpectReadError(fileName, "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
}

TEST(NumPyImageIO, HeaderLengthsLargerThanTheFileAreRefused)
{
  const std::string fileName = OutputPath("HeaderBeyondFile.npy");
  WriteBytes(fileName, std::string("\x93NUMPY\x01\x00\x00\x10{'descr': '<f8'", 25));
  ExpectReadError(fileName, "truncated header: header length says 4096 bytes, the file holds 15");
}

TEST(NumPyImageIO, AbsurdlyLargeHeaderLengthsAreRefused)
{
  const std::string fileName = OutputPath("HugeHeader.npy");
  WriteBytes(fileName, std::string("\x93NUMPY\x02\x00\x00\x00\x00\x7f{}", 14));
  ExpectReadError(fileName, "header length 2130706432 bytes is larger than the limit of 1048576 bytes");
}

TEST(NumPyImageIO, HeadersThatAreNotAPythonDictAreRefused)
{
  ExpectHeaderRefused("NotADict", "('descr', '<f8')", "is not a Python dict literal");
  ExpectHeaderRefused("BrokenDict", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)", "malformed header");
  ExpectHeaderRefused(
    "CodeInDict", "{'descr': open('x'), 'fortran_order': False, 'shape': (3,)}", "is not a Python literal");
}

TEST(NumPyImageIO, HeadersWithMissingOrExtraKeysAreRefused)
{
  ExpectHeaderRefused("MissingKey", "{'descr': '<f8', 'shape': (3,)}", "the key 'fortran_order' is missing");
  ExpectHeaderRefused(
    "ExtraKey", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'version': 2}", "unexpected key 'version'");
}

TEST(NumPyImageIO, UnknownDTypesAreRefused)
{
  ExpectHeaderRefused("UnknownDType",
                      "{'descr': '<x4', 'fortran_order': False, 'shape': (3,)}",
                      "unknown dtype '<x4'; supported dtypes: bool, int8, int16");
}

TEST(NumPyImageIO, ObjectArraysAreRefused)
{
  ExpectHeaderRefused("ObjectDType",
                      "{'descr': '|O', 'fortran_order': False, 'shape': (3,)}",
                      "object arrays (dtype '|O') hold pickled Python objects and cannot be read");
}

TEST(NumPyImageIO, StructuredDTypesAreRefused)
{
  ExpectHeaderRefused("StructuredDType",
                      "{'descr': [('r', '|u1'), ('g', '|u1'), ('b', '|u1')], 'fortran_order': False, 'shape': (3,)}",
                      "structured dtypes");
}

TEST(NumPyImageIO, StringAndDatetimeDTypesAreRefusedWithTheListOfSupportedDTypes)
{
  const std::string supported = "supported dtypes: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
                                "float16 (read as float32), float32, float64, complex64, complex128";
  ExpectHeaderRefused("UnicodeDType",
                      "{'descr': '<U3', 'fortran_order': False, 'shape': (3,)}",
                      "unsupported dtype '<U3' (unicode strings); " + supported);
  ExpectHeaderRefused("BytesDType",
                      "{'descr': '|S3', 'fortran_order': False, 'shape': (3,)}",
                      "unsupported dtype '|S3' (byte strings); " + supported);
  ExpectHeaderRefused("DatetimeDType",
                      "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (3,)}",
                      "unsupported dtype '<M8[ns]' (datetimes); " + supported);
}

TEST(NumPyImageIO, NegativeOrNonIntegerShapesAreRefused)
{
  ExpectHeaderRefused(
    "NegativeShape", "{'descr': '<f8', 'fortran_order': False, 'shape': (3, -1)}", "has the negative entry '-1'");
  ExpectHeaderRefused("FloatShape",
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2.0)}",
                      "has the entry '2.0', which is not an integer");
}

TEST(NumPyImageIO, ShapesWhoseSizeOverflowsAreRefused)
{
  ExpectHeaderRefused("OverflowingElements",
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2)}",
                      "the number of elements overflows 64 bits");
  ExpectHeaderRefused("OverflowingBytes",
                      "{'descr': '<c16', 'fortran_order': False, 'shape': (1152921504606846976,)}",
                      "the byte size overflows");
}

TEST(NumPyImageIO, EmptyAxesAreRefused)
{
  const std::string fileName = OutputPath("EmptyAxis.npy");
  WriteBytes(fileName, MakeNpyHeader("<f8", false, { 3, 0 }));
  ExpectReadError(fileName, "the shape (3, 0) has an empty axis; ITK images cannot be empty");
}

TEST(NumPyImageIO, TruncatedDataIsRefused)
{
  const std::string fileName = OutputPath("Truncated.npy");
  WriteBytes(fileName, MakeNpyHeader("<f8", false, { 5, 5, 5 }) + std::string(100, '\0'));
  ExpectReadError(fileName, "truncated data: header says 1000 bytes, file holds 100");
}

TEST(NumPyImageIO, ReadingAfterTheFileShrankIsRefused)
{
  const std::string fileName = OutputPath("ShrankAfterHeader.npy");
  const std::string header = MakeNpyHeader("<f8", false, { 4 });
  WriteBytes(fileName, header + std::string(32, '\0'));
  auto imageIO = itk::NumPyImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  WriteBytes(fileName, header + std::string(8, '\0'));
  imageIO->SetIORegion(WholeRegion(*imageIO));
  std::string buffer(32, '\0');
  EXPECT_THROW(imageIO->Read(&buffer[0]), itk::ExceptionObject);
}

TEST(NumPyImageIO, RegionsOutsideTheImageAreRefused)
{
  const std::string fileName = OutputPath("RegionOutside.npy");
  WriteBytes(fileName, MakeNpyHeader("<f8", false, { 4 }) + std::string(32, '\0'));
  auto imageIO = itk::NumPyImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  itk::ImageIORegion region(1);
  region.SetIndex(0, 3);
  region.SetSize(0, 2);
  imageIO->SetIORegion(region);
  std::string buffer(16, '\0');
  EXPECT_THROW(imageIO->Read(&buffer[0]), itk::ExceptionObject);
}

TEST(NumPyImageIO, PrintSelfPrintsEveryMember)
{
  const std::string fileName = OutputPath("PrintSelf.npy");
  WriteBytes(fileName, MakeNpyHeader(">i4", true, { 2, 2 }) + std::string(16, '\0'));
  auto imageIO = itk::NumPyImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  std::ostringstream printed;
  imageIO->Print(printed);
  for (const char * expected : { "TrailingAxisIsComponents: Off",
                                 "descr >i4",
                                 "fortran_order True",
                                 "shape (2, 2)",
                                 "component type int",
                                 "big-endian, item size 4",
                                 "version 1.0",
                                 "data offset 128",
                                 "NpyHeaderFileName: ",
                                 "NpyHeaderTrailingAxisIsComponents: Off" })
  {
    EXPECT_NE(printed.str().find(expected), std::string::npos) << expected << " missing in:\n" << printed.str();
  }
}
