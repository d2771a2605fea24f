/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeMGHImageIO.h"

#include "itkNiBridgeGeometry.h"
#include "nibridgeGTestSupport.h"

#include "gtest/gtest.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace
{
using itk::IOComponentEnum;
using itk::NiBridgeMGHImageIO;
using itk::nibridge::AffineMatrix;
using namespace nibridge_test;

constexpr OutputPathWithPrefix OutputPath{ "NiBridgeMGHImageIO_" };

constexpr std::size_t MGHHeaderBytes = 284; // the voxels start here

/** The big-endian bytes of a value, as MGH stores every field and voxel. */
template<typename T>
std::string
BigEndian(T value)
{
  std::string bytes(sizeof(T), '\0');
  std::memcpy(bytes.data(), &value, sizeof(T));
  if (!MachineIsBigEndian())
  {
    std::reverse(bytes.begin(), bytes.end());
  }
  return bytes;
}

template<typename T>
std::string
BigEndianValues(const std::vector<T> & values)
{
  std::string bytes;
  for (const T value : values)
  {
    bytes += BigEndian(value);
  }
  return bytes;
}

/** What an MGH file holds, field by field (FreeSurfer's layout, as nibabel's MGHHeader reads it). */
struct MGHContents
{
  std::int32_t                        version = 1;
  std::array<std::int32_t, 4>         dims{ { 4, 3, 2, 1 } };
  std::int32_t                        type = 3; // float32
  std::int32_t                        dof = 0;
  std::int16_t                        goodRASFlag = 1;
  std::array<float, 3>                delta{ { 1.0f, 1.0f, 1.0f } };
  std::array<float, 9>                mdc{ { 1, 0, 0, 0, 1, 0, 0, 0, 1 } }; // row r: the direction of voxel axis r
  std::array<float, 3>                center{ { 0.0f, 0.0f, 0.0f } };       // Pxyz_c
  std::string                         voxels;                               // big-endian
  std::optional<std::array<float, 5>> footer = std::array<float, 5>{ { 2.5f, 0.5f, 3.25f, 900.0f, 256.0f } };
};

std::string
MGHBytes(const MGHContents & contents)
{
  std::string header = BigEndian(contents.version);
  for (const std::int32_t extent : contents.dims)
  {
    header += BigEndian(extent);
  }
  header += BigEndian(contents.type) + BigEndian(contents.dof) + BigEndian(contents.goodRASFlag);
  for (const float value : contents.delta)
  {
    header += BigEndian(value);
  }
  for (const float value : contents.mdc)
  {
    header += BigEndian(value);
  }
  for (const float value : contents.center)
  {
    header += BigEndian(value);
  }
  EXPECT_EQ(header.size(), 90u) << "the fixed fields";
  header.resize(MGHHeaderBytes, '\0');
  std::string bytes = header + contents.voxels;
  if (contents.footer)
  {
    for (const float value : *contents.footer)
    {
      bytes += BigEndian(value);
    }
  }
  return bytes;
}

/** Writes the bytes as they are, or gzip-compressed (zlib's gz* functions) when the name ends in ".mgz". */
void
WriteMGH(const std::string & fileName, const std::string & bytes)
{
  if (fileName.size() >= 4 && fileName.compare(fileName.size() - 4, 4, ".mgz") == 0)
  {
    gzFile file = gzopen(fileName.c_str(), "wb");
    ASSERT_NE(file, nullptr) << fileName;
    EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned int>(bytes.size())), static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(file), Z_OK) << fileName;
    return;
  }
  WriteBytes(fileName, bytes);
}

std::string
WriteMGH(const std::string & name, const MGHContents & contents)
{
  const std::string fileName = OutputPath(name);
  WriteMGH(fileName, MGHBytes(contents));
  return fileName;
}

/** A new IO that has read the header of `fileName`. */
NiBridgeMGHImageIO::Pointer
ReadInformation(const std::string & fileName, bool footerWithHeader = true, bool asFloat64 = false)
{
  auto imageIO = NiBridgeMGHImageIO::New();
  imageIO->SetReadFooterWithHeader(footerWithHeader);
  imageIO->SetReadAsFloat64(asFloat64);
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  return imageIO;
}

/** Writes `values` as MGH type `code` (4 x 3 x 2), as .mgh and .mgz, and reads them back as stored and as float64. */
template<typename T>
void
ExpectTypeReads(const std::string &    name,
                std::int32_t           code,
                const std::vector<T> & values,
                IOComponentEnum        component,
                const std::string &    storedDType)
{
  ASSERT_EQ(values.size(), 24u);
  MGHContents contents;
  contents.type = code;
  contents.voxels = BigEndianValues(values);
  for (const char * extension : { ".mgh", ".mgz" })
  {
    SCOPED_TRACE(name + extension);
    const std::string fileName = WriteMGH("type-" + name + extension, contents);
    ASSERT_TRUE(NiBridgeMGHImageIO::New()->CanReadFile(fileName.c_str()));

    const auto stored = ReadInformation(fileName);
    EXPECT_EQ(stored->GetComponentType(), component);
    EXPECT_EQ(stored->GetPixelType(), itk::IOPixelEnum::SCALAR);
    ASSERT_EQ(stored->GetNumberOfDimensions(), 3u) << "a fourth dimension of 1 is dropped";
    EXPECT_EQ(stored->GetDimensions(0), 4u);
    EXPECT_EQ(stored->GetDimensions(1), 3u);
    EXPECT_EQ(stored->GetDimensions(2), 2u);
    EXPECT_FALSE(stored->GetValuesDifferFromStored());
    EXPECT_EQ(MetaText(stored->GetMetaDataDictionary(), NiBridgeMGHImageIO::ImageClassMetaDataKey), "MGHImage");
    EXPECT_EQ(MetaText(stored->GetMetaDataDictionary(), NiBridgeMGHImageIO::StoredDTypeMetaDataKey), storedDType);
    EXPECT_EQ(MetaText(stored->GetMetaDataDictionary(), NiBridgeMGHImageIO::ValueDTypeMetaDataKey), storedDType);
    EXPECT_EQ(HeaderField(*stored, "type"), std::to_string(code));
    ExpectSameBits(ValuesOf<T>(ReadWhole(*stored)), values);

    const auto asFloat64 = ReadInformation(fileName, true, true);
    EXPECT_EQ(asFloat64->GetComponentType(), IOComponentEnum::DOUBLE);
    EXPECT_TRUE(asFloat64->GetValuesDifferFromStored());
    EXPECT_EQ(MetaText(asFloat64->GetMetaDataDictionary(), NiBridgeMGHImageIO::ValueDTypeMetaDataKey), "<f8");
    ExpectSameBits(ValuesOf<double>(ReadWhole(*asFloat64)), std::vector<double>(values.begin(), values.end()));
  }
}

/** 24 values of T spread over its range, its extremes included. */
template<typename T>
std::vector<T>
SpreadValues()
{
  std::vector<T> values;
  const double   lowest = static_cast<double>(std::numeric_limits<T>::lowest());
  const double   highest = static_cast<double>(std::numeric_limits<T>::max());
  for (unsigned int index = 0; index < 24; ++index)
  {
    values.push_back(static_cast<T>(lowest + (highest - lowest) * index / 23.0));
  }
  values[1] = 0;
  values[2] = 1;
  values.back() = std::numeric_limits<T>::max();
  return values;
}
} // namespace

TEST(NiBridgeMGHImageIO, ReadsEveryMGHTypeAsStoredAndAsFloat64)
{
  ExpectTypeReads<std::uint8_t>("uint8", 0, SpreadValues<std::uint8_t>(), IOComponentEnum::UCHAR, "|u1");
  ExpectTypeReads<std::int32_t>("int32", 1, SpreadValues<std::int32_t>(), IOComponentEnum::INT, ">i4");
  std::vector<float> floats = SpreadValues<float>();
  floats[3] = -0.0f;
  floats[4] = 1e-30f;
  floats[5] = std::numeric_limits<float>::denorm_min();
  floats[6] = 0.1f;
  ExpectTypeReads<float>("float32", 3, floats, IOComponentEnum::FLOAT, ">f4");
  ExpectTypeReads<std::int16_t>("int16", 4, SpreadValues<std::int16_t>(), IOComponentEnum::SHORT, ">i2");
  ExpectTypeReads<std::uint16_t>("uint16", 10, SpreadValues<std::uint16_t>(), IOComponentEnum::USHORT, ">u2");
}

TEST(NiBridgeMGHImageIO, TheAffineIsNibabelsFloat32GetAffine)
{
  MGHContents contents;
  contents.dims = { { 5, 7, 3, 1 } };
  contents.delta = { { 1.1f, 0.9f, 2.3f } };
  // An oblique rotation whose elements float32 rounds.
  contents.mdc = { { 0.36f, 0.48f, -0.8f, -0.8f, 0.6f, 0.0f, 0.48f, 0.64f, 0.6f } };
  contents.center = { { 10.3f, -20.7f, 33.1f } };
  contents.voxels = BigEndianValues(std::vector<float>(5 * 7 * 3, 1.0f));
  const std::string fileName = WriteMGH("oblique.mgh", contents);

  // nibabel's MGHHeader.get_affine: MdcD = Mdc.T * delta (float32), centre = MdcD . dims / 2 (float64), the
  // translation Pxyz_c - centre rounded to float32, as the whole affine is.
  float mdcD[3][3];
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      mdcD[row][column] = contents.mdc[3 * column + row] * contents.delta[column];
    }
  }
  AffineMatrix expected{};
  expected[3][3] = 1.0;
  for (unsigned int row = 0; row < 3; ++row)
  {
    double centre = 0.0;
    for (unsigned int column = 0; column < 3; ++column)
    {
      centre += static_cast<double>(mdcD[row][column]) * static_cast<double>(contents.dims[column]);
      expected[row][column] = static_cast<double>(mdcD[row][column]);
    }
    centre /= 2.0;
    expected[row][3] = static_cast<double>(static_cast<float>(static_cast<double>(contents.center[row]) - centre));
  }

  const auto imageIO = ReadInformation(fileName);
  const auto affine = itk::nibridge::StoredRASAffine(imageIO->GetMetaDataDictionary());
  ASSERT_TRUE(affine);
  ExpectSameAffine(*affine, expected);
  // ITK's LPS origin is the affine's translation with x and y negated.
  EXPECT_EQ(imageIO->GetOrigin(0), -expected[0][3]);
  EXPECT_EQ(imageIO->GetOrigin(1), -expected[1][3]);
  EXPECT_EQ(imageIO->GetOrigin(2), expected[2][3]);
  EXPECT_EQ(HeaderField(*imageIO, "delta"), "1.1 0.9 2.3");
  EXPECT_EQ(HeaderField(*imageIO, "Mdc"), "0.36 0.48 -0.8 -0.8 0.6 0.0 0.48 0.64 0.6");
  EXPECT_EQ(HeaderField(*imageIO, "Pxyz_c"), "10.3 -20.7 33.1");
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::ZoomsMetaDataKey),
            "1.100000023841858 0.8999999761581421 2.299999952316284")
    << "float32 zooms as float64 text";
}

TEST(NiBridgeMGHImageIO, AZeroGoodRASFlagMeansNibabelsDefaultGeometry)
{
  MGHContents contents;
  contents.dims = { { 4, 6, 8, 1 } };
  contents.goodRASFlag = 0;
  // Ignored: nibabel's default replaces them.
  contents.delta = { { 5.0f, 6.0f, 7.0f } };
  contents.mdc = { { 0.36f, 0.48f, -0.8f, -0.8f, 0.6f, 0.0f, 0.48f, 0.64f, 0.6f } };
  contents.center = { { 100.0f, 200.0f, 300.0f } };
  contents.type = 0;
  contents.voxels = std::string(4 * 6 * 8, '\x07');
  const std::string fileName = WriteMGH("good-ras-flag-0.mgz", contents);

  const auto imageIO = ReadInformation(fileName);
  const auto affine = itk::nibridge::StoredRASAffine(imageIO->GetMetaDataDictionary());
  ASSERT_TRUE(affine);
  // FreeSurfer's coronal LIA orientation, unit voxels, centred: Mdc = [[-1, 0, 0], [0, 0, 1], [0, -1, 0]], Pxyz_c 0.
  ExpectSameAffine(*affine, AffineMatrix{ { { -1, 0, 0, 2 }, { 0, 0, -1, 4 }, { 0, 1, 0, -3 }, { 0, 0, 0, 1 } } });
  EXPECT_EQ(HeaderField(*imageIO, "goodRASFlag"), "1") << "nibabel's loaded header holds its default";
  EXPECT_EQ(HeaderField(*imageIO, "delta"), "1.0 1.0 1.0");
  EXPECT_EQ(HeaderField(*imageIO, "Mdc"), "-1.0 0.0 0.0 0.0 0.0 1.0 0.0 -1.0 0.0");
  EXPECT_EQ(HeaderField(*imageIO, "Pxyz_c"), "0.0 0.0 0.0");
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    EXPECT_EQ(imageIO->GetSpacing(axis), 1.0);
  }
}

TEST(NiBridgeMGHImageIO, TheFooterIsInTheMetaDataAfterReadWhenNotReadWithTheHeader)
{
  MGHContents contents;
  contents.dims = { { 3, 3, 3, 1 } };
  contents.voxels = BigEndianValues(std::vector<float>(27, 2.0f));
  const std::string fileName = WriteMGH("footer-after-read.mgz", contents);

  const auto imageIO = ReadInformation(fileName, false);
  EXPECT_EQ(HeaderField(*imageIO, "tr"), "<absent>");
  EXPECT_EQ(HeaderField(*imageIO, "fov"), "<absent>");
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::RepetitionTimeMetaDataKey), "<absent>");

  // A region that stops short of the end does not reach the footer.
  itk::ImageIORegion firstSlice(3);
  firstSlice.SetIndex({ 0, 0, 0 });
  firstSlice.SetSize({ 3, 3, 1 });
  imageIO->SetIORegion(firstSlice);
  std::vector<float> slice(9);
  imageIO->Read(slice.data());
  EXPECT_EQ(HeaderField(*imageIO, "tr"), "<absent>");

  ReadWhole(*imageIO);
  EXPECT_EQ(HeaderField(*imageIO, "tr"), "2.5");
  EXPECT_EQ(HeaderField(*imageIO, "flip_angle"), "0.5");
  EXPECT_EQ(HeaderField(*imageIO, "te"), "3.25");
  EXPECT_EQ(HeaderField(*imageIO, "ti"), "900.0");
  EXPECT_EQ(HeaderField(*imageIO, "fov"), "256.0");
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::RepetitionTimeMetaDataKey), "2.5");
}

TEST(NiBridgeMGHImageIO, TheFooterIsInTheMetaDataAfterReadImageInformationWithTheHeaderByDefault)
{
  MGHContents contents;
  contents.dims = { { 3, 3, 3, 1 } };
  contents.voxels = BigEndianValues(std::vector<float>(27, 2.0f));
  for (const char * name : { "footer-with-header.mgz", "footer-with-header.mgh" })
  {
    SCOPED_TRACE(name);
    const std::string fileName = WriteMGH(name, contents);
    const auto        imageIO = ReadInformation(fileName);
    EXPECT_TRUE(imageIO->GetReadFooterWithHeader()) << "the default";
    EXPECT_EQ(HeaderField(*imageIO, "tr"), "2.5");
    EXPECT_EQ(HeaderField(*imageIO, "ti"), "900.0");
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::RepetitionTimeMetaDataKey), "2.5");
  }
  // A plain file's footer is a seek away: it is read with the header whatever the option says.
  const auto plainIO = ReadInformation(OutputPath("footer-with-header.mgh"), false);
  EXPECT_EQ(HeaderField(*plainIO, "tr"), "2.5");

  // A file that ends with its voxels has a footer of zeros, as nibabel pads it.
  contents.footer.reset();
  const auto noFooterIO = ReadInformation(WriteMGH("no-footer.mgz", contents));
  EXPECT_EQ(HeaderField(*noFooterIO, "tr"), "0.0");
  EXPECT_EQ(HeaderField(*noFooterIO, "fov"), "0.0");
  EXPECT_EQ(ValuesOf<float>(ReadWhole(*noFooterIO)), std::vector<float>(27, 2.0f));
}

TEST(NiBridgeMGHImageIO, AFourDimensionalImageTakesItsTRAsTimeSpacing)
{
  MGHContents contents;
  contents.dims = { { 2, 3, 2, 3 } };
  contents.type = 0;
  std::string voxels;
  for (unsigned int index = 0; index < 2 * 3 * 2 * 3; ++index)
  {
    voxels += static_cast<char>(index * 7);
  }
  contents.voxels = voxels;
  contents.footer = std::array<float, 5>{ { 2000.0f, 90.0f, 30.0f, 0.0f, 0.0f } };
  for (const char * name : { "series.mgh", "series.mgz" })
  {
    SCOPED_TRACE(name);
    const std::string fileName = WriteMGH(name, contents);
    // Even when the footer is not to be read with the header: the TR is part of the geometry.
    const auto imageIO = ReadInformation(fileName, false);
    ASSERT_EQ(imageIO->GetNumberOfDimensions(), 4u);
    EXPECT_EQ(imageIO->GetDimensions(3), 3u);
    EXPECT_EQ(imageIO->GetSpacing(3), 2000.0);
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::RepetitionTimeMetaDataKey), "2000.0");
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::ZoomsMetaDataKey), "1.0 1.0 1.0 2000.0");
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::TimeUnitsMetaDataKey), "msec");
    const std::vector<char> read = ReadWhole(*imageIO);
    EXPECT_EQ(std::string(read.begin(), read.end()), voxels);
  }

  // A TR of 0 gives the time axis ITK's unit spacing; the zooms keep nibabel's 0.
  contents.footer = std::array<float, 5>{ { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f } };
  const auto zeroIO = ReadInformation(WriteMGH("series-tr-0.mgh", contents));
  EXPECT_EQ(zeroIO->GetSpacing(3), 1.0);
  EXPECT_EQ(MetaText(zeroIO->GetMetaDataDictionary(), NiBridgeMGHImageIO::ZoomsMetaDataKey), "1.0 1.0 1.0 0.0");
}

TEST(NiBridgeMGHImageIO, VersionZeroDimensionsAndUnknownTypesAreErrors)
{
  const auto expectError = [](const std::string & name, const MGHContents & contents, const std::string & reason) {
    SCOPED_TRACE(name);
    const std::string fileName = WriteMGH(name, contents);
    EXPECT_TRUE(NiBridgeMGHImageIO::New()->CanReadFile(fileName.c_str())) << "the error is this reader's";
    const std::string error = ErrorOf([&fileName] { ReadInformation(fileName); });
    EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
    EXPECT_NE(error.find(reason), std::string::npos) << error;
  };
  MGHContents good;
  good.voxels = BigEndianValues(std::vector<float>(24, 0.0f));
  ASSERT_EQ(ErrorOf([&good] { ReadInformation(WriteMGH("good.mgh", good)); }), "");

  MGHContents version = good;
  version.version = 0;
  expectError("version-0.mgh", version, "unknown MGH format version 0");
  version.version = 2;
  expectError("version-2.mgz", version, "unknown MGH format version 2");

  MGHContents zero = good;
  zero.dims = { { 4, 0, 2, 1 } };
  expectError("zero-dimension.mgh", zero, "dimensions of the data should be non-zero");
  zero.dims = { { 4, 3, 2, 0 } };
  expectError("zero-frames.mgh", zero, "dimensions of the data should be non-zero");

  MGHContents negative = good;
  negative.dims = { { 4, -3, 2, 1 } };
  expectError("negative-dimension.mgh", negative, "dimension 1 is -3");

  MGHContents type = good;
  type.type = 2;
  expectError("type-2.mgh", type, "unknown MGH data type code 2");
  type.type = 11;
  expectError("type-11.mgz", type, "unknown MGH data type code 11");

  const std::string shortFileName = OutputPath("short-header.mgh");
  WriteMGH(shortFileName, MGHBytes(good).substr(0, 50));
  const std::string error = ErrorOf([&shortFileName] { ReadInformation(shortFileName); });
  EXPECT_NE(error.find(Quoted(shortFileName)), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(NiBridgeMGHImageIO, ATruncatedMgzIsAnError)
{
  MGHContents contents;
  contents.dims = { { 10, 10, 10, 1 } };
  std::vector<float> values(1000);
  for (std::size_t index = 0; index < values.size(); ++index)
  {
    values[index] = static_cast<float>(index) * 0.25f;
  }
  contents.voxels = BigEndianValues(values);
  const std::string cut = MGHBytes(contents).substr(0, MGHHeaderBytes + 2000); // half the voxels, no footer

  for (const char * decoder : { static_cast<const char *>(nullptr), "zlib" })
  {
    SCOPED_TRACE(decoder ? decoder : "default decoder");
    const ScopedEnvironmentVariable environment("NIBRIDGE_GZIP_DECODER", decoder);
    const std::string fileName = OutputPath(std::string("truncated-") + (decoder ? decoder : "default") + ".mgz");
    WriteMGH(fileName, cut);

    // Reading the footer with the header runs into the end.
    std::string error = ErrorOf([&fileName] { ReadInformation(fileName); });
    EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;

    // Without it, the header reads, and the voxels do not.
    NiBridgeMGHImageIO::Pointer imageIO;
    ASSERT_EQ(ErrorOf([&] { imageIO = ReadInformation(fileName, false); }), "");
    error = ErrorOf([&imageIO] { ReadWhole(*imageIO); });
    EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;

    // A gzip stream cut short (a complete file, compressed, then half of it lost).
    const std::string cutStreamFileName =
      OutputPath(std::string("truncated-stream-") + (decoder ? decoder : "default") + ".mgz");
    WriteMGH(cutStreamFileName, MGHBytes(contents));
    std::string compressed;
    {
      std::ifstream file(cutStreamFileName, std::ios::binary);
      compressed.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    {
      std::ofstream file(cutStreamFileName, std::ios::binary | std::ios::trunc);
      file.write(compressed.data(), static_cast<std::streamsize>(compressed.size() / 2));
    }
    error = ErrorOf([&cutStreamFileName] { ReadWhole(*ReadInformation(cutStreamFileName, false)); });
    EXPECT_NE(error.find(Quoted(cutStreamFileName)), std::string::npos) << error;
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  }

  // A plain .mgh cut short: the read guard compares the voxels its header promises with the file's size, before
  // anything is allocated, whether or not the footer is read with the header.
  const std::string plainFileName = OutputPath("truncated.mgh");
  WriteMGH(plainFileName, cut);
  for (const bool withFooter : { true, false })
  {
    const std::string error = ErrorOf([&] { ReadInformation(plainFileName, withFooter); });
    EXPECT_NE(error.find(Quoted(plainFileName) + ": the file is truncated: the header promises 4000 bytes of voxels"),
              std::string::npos)
      << error;
  }
}

TEST(NiBridgeMGHImageIO, WritingIsLeftToNiBabelImageIO)
{
  auto imageIO = NiBridgeMGHImageIO::New();
  EXPECT_FALSE(imageIO->CanWriteFile(OutputPath("written.mgz").c_str()));
  imageIO->SetFileName(OutputPath("written.mgz"));
  const std::string error = ErrorOf([&imageIO] { imageIO->WriteImageInformation(); });
  EXPECT_NE(error.find("NiBabelImageIO writes them"), std::string::npos) << error;
  const char voxel = 0;
  EXPECT_NE(ErrorOf([&imageIO, &voxel] { imageIO->Write(&voxel); }), "");
}

TEST(NiBridgeMGHImageIO, PrintSelfDescribesTheFileLastRead)
{
  auto               imageIO = NiBridgeMGHImageIO::New();
  std::ostringstream before;
  imageIO->Print(before);
  EXPECT_NE(before.str().find("ReadFooterWithHeader: On"), std::string::npos) << before.str();
  EXPECT_NE(before.str().find("Information: none read"), std::string::npos) << before.str();

  MGHContents contents;
  contents.voxels = BigEndianValues(std::vector<float>(24, 0.0f));
  const std::string fileName = WriteMGH("printed.mgz", contents);
  imageIO->ReadFooterWithHeaderOff();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  std::ostringstream after;
  imageIO->Print(after);
  EXPECT_NE(after.str().find("ReadFooterWithHeader: Off"), std::string::npos) << after.str();
  EXPECT_NE(after.str().find("Information: read from " + fileName + ", type 3, values scaled, footer not read yet"),
            std::string::npos)
    << after.str();
}
