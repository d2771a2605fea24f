/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeNiftiImageIO.h"

#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeImageAffine.h"
#include "nibridgeGTestSupport.h"

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkRGBAPixel.h"
#include "itkRGBPixel.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"

#include "gtest/gtest.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace
{
using itk::IOComponentEnum;
using itk::IOPixelEnum;
using itk::NiBridgeNiftiImageIO;
using itk::nibridge::AffineMatrix;
using namespace nibridge_test;

constexpr OutputPathWithPrefix OutputPath{ "NiBridgeNiftiImageIO_" };

// Byte offsets of the NIfTI-1 header fields the tests read or edit (the NIfTI-1 standard's layout).
constexpr std::size_t Nifti1SizeofHeaderOffset = 0;
constexpr std::size_t Nifti1DimOffset = 40;
constexpr std::size_t Nifti1DatatypeOffset = 70;
constexpr std::size_t Nifti1BitpixOffset = 72;
constexpr std::size_t Nifti1IntentCodeOffset = 68;
constexpr std::size_t Nifti1PixdimOffset = 76;
constexpr std::size_t Nifti1VoxOffsetOffset = 108;
constexpr std::size_t Nifti1SlopeOffset = 112;
constexpr std::size_t Nifti1InterOffset = 116;
constexpr std::size_t Nifti1QformCodeOffset = 252;
constexpr std::size_t Nifti1SformCodeOffset = 254;
constexpr std::size_t Nifti1SrowXOffset = 280; // srow_x, srow_y, srow_z: 4 float32 each
constexpr std::size_t Nifti1MagicOffset = 344;
constexpr std::size_t Nifti1HeaderBytes = 348;
constexpr std::size_t Nifti1SingleFileDataOffset = 352;
// NIfTI-2.
constexpr std::size_t Nifti2SformCodeOffset = 348;
constexpr std::size_t Nifti2SrowXOffset = 400; // 4 float64 each
constexpr std::size_t Nifti2IntentCodeOffset = 504;
constexpr std::size_t Nifti2HeaderBytes = 540;

using FloatImage = itk::Image<float, 3>;
using ShortImage = itk::Image<std::int16_t, 3>;

/** NumPy's dtype string of a multi-byte type in this machine's byte order: "<i2" on a little-endian machine. */
std::string
NativeDType(const std::string & kindAndSize)
{
  return (MachineIsBigEndian() ? ">" : "<") + kindAndSize;
}

/** A value of type T in this machine's byte order at `offset`. */
template<typename T>
T
Peek(const std::string & bytes, std::size_t offset)
{
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

template<typename T>
void
Poke(std::string & bytes, std::size_t offset, T value)
{
  std::memcpy(&bytes[offset], &value, sizeof(T));
}

/** Overwrites a value in a file that this machine wrote (so in its byte order). */
template<typename T>
void
PokeFile(const std::string & fileName, std::size_t offset, T value)
{
  std::string bytes = ReadBytes(fileName);
  ASSERT_GE(bytes.size(), offset + sizeof(T)) << fileName;
  Poke(bytes, offset, value);
  WriteBytes(fileName, bytes);
}

/** Deterministic bytes that differ from one position to the next (a xorshift generator). */
std::string
PatternBytes(std::size_t count, std::uint32_t seed)
{
  std::string   bytes(count, '\0');
  std::uint32_t state = seed * 2654435761u + 1u;
  for (char & byte : bytes)
  {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<char>(state >> 11);
  }
  return bytes;
}

/** An image of `size` whose buffer is PatternBytes(seed), with a geometry that is not the identity. */
template<typename TImage>
typename TImage::Pointer
MakeImage(const typename TImage::SizeType & size, std::uint32_t seed)
{
  auto image = TImage::New();
  image->SetRegions(typename TImage::RegionType(size));
  image->Allocate();
  const std::size_t byteCount = image->GetBufferedRegion().GetNumberOfPixels() * sizeof(typename TImage::PixelType);
  std::memcpy(image->GetBufferPointer(), PatternBytes(byteCount, seed).data(), byteCount);
  typename TImage::SpacingType spacing;
  typename TImage::PointType   origin;
  for (unsigned int axis = 0; axis < TImage::ImageDimension; ++axis)
  {
    spacing[axis] = 0.5 + 0.25 * axis;
    origin[axis] = -3.0 + 2.5 * axis;
  }
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  return image;
}

/** A 3-D int16 image holding `values` (i fastest). */
ShortImage::Pointer
MakeShortImage(const ShortImage::SizeType & size, const std::vector<std::int16_t> & values)
{
  auto image = ShortImage::New();
  image->SetRegions(ShortImage::RegionType(size));
  image->Allocate();
  EXPECT_EQ(values.size(), image->GetBufferedRegion().GetNumberOfPixels());
  std::copy(values.begin(), values.end(), image->GetBufferPointer());
  return image;
}

/** int16 values covering the type's range, the extremes and zero included. */
std::vector<std::int16_t>
ShortValues(std::size_t count)
{
  std::vector<std::int16_t> values(count);
  for (std::size_t index = 0; index < count; ++index)
  {
    values[index] = static_cast<std::int16_t>(static_cast<std::int32_t>(index * 7919 % 65536) - 32768);
  }
  values[0] = 0;
  values[count - 1] = 32767;
  values[count / 2] = -32768;
  return values;
}

/** Gives the image nibabel's affine: the geometry of GeometryFromRASAffine, and the affine itself in its dictionary
 * (as a reader of a NIfTI file leaves it). */
template<typename TImage>
void
SetGeometryFromAffine(TImage * image, const AffineMatrix & affine)
{
  // GeometryFromRASAffine keeps the affine as the geometry's source: SetImageGeometry stores it in the dictionary.
  itk::nibridge::SetImageGeometry(*image, itk::nibridge::GeometryFromRASAffine(affine, TImage::ImageDimension));
}

/** Writes through itk::ImageFileWriter with a NiBridgeNiftiImageIO (not itk::WriteImage, which takes ITK's own). */
template<typename TImage>
void
WriteNifti(const TImage * image, const std::string & fileName, bool nifti2 = false)
{
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetWriteNIfTI2(nifti2);
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetImageIO(imageIO);
  writer->SetFileName(fileName);
  writer->SetInput(image);
  writer->Update();
}

/** Reads through itk::ImageFileReader with `imageIO` (a new NiBridgeNiftiImageIO if none). */
template<typename TImage>
typename TImage::Pointer
ReadNifti(const std::string & fileName, NiBridgeNiftiImageIO * imageIO = nullptr)
{
  auto reader = itk::ImageFileReader<TImage>::New();
  if (imageIO != nullptr)
  {
    reader->SetImageIO(imageIO);
  }
  else
  {
    reader->SetImageIO(NiBridgeNiftiImageIO::New());
  }
  reader->SetFileName(fileName);
  reader->Update();
  return reader->GetOutput();
}

/** The error of reading the whole file (header and voxels) with a new IO; empty if none. */
std::string
ReadError(const std::string & fileName)
{
  return ErrorOf([&fileName] {
    auto imageIO = NiBridgeNiftiImageIO::New();
    imageIO->SetFileName(fileName);
    imageIO->ReadImageInformation();
    ReadWhole(*imageIO);
  });
}

/** The gzip decoders NiBridge can use: NIBRIDGE_GZIP_DECODER's default (ISA-L where built with it) and zlib. */
const std::vector<std::pair<const char *, const char *>> &
GzipDecoders()
{
  static const std::vector<std::pair<const char *, const char *>> decoders = { { "default", nullptr },
                                                                               { "zlib", "zlib" } };
  return decoders;
}

/** Writes an image of PixelType through the writer and reads it back through the reader: the same bytes, geometry,
 * pixel type and NIfTI datatype. */
template<typename TPixel>
void
ExpectRoundTrip(const std::string & name, IOPixelEnum pixelType, int datatypeCode, const std::string & storedDType)
{
  SCOPED_TRACE(name);
  using ImageType = itk::Image<TPixel, 3>;
  const auto        image = MakeImage<ImageType>({ { 3, 4, 5 } }, static_cast<std::uint32_t>(datatypeCode));
  const std::string fileName = OutputPath("roundtrip-" + name + ".nii");
  WriteNifti(image.GetPointer(), fileName);

  const std::string bytes = ReadBytes(fileName);
  ASSERT_EQ(bytes.size(), Nifti1SingleFileDataOffset + 3 * 4 * 5 * sizeof(TPixel));
  EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1DatatypeOffset), datatypeCode);
  EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1BitpixOffset), static_cast<std::int16_t>(8 * sizeof(TPixel)));

  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<ImageType>(fileName, imageIO);
  EXPECT_EQ(imageIO->GetPixelType(), pixelType);
  EXPECT_EQ(imageIO->GetComponentType(),
            itk::ImageIOBase::MapPixelType<typename itk::NumericTraits<TPixel>::ValueType>::CType);
  EXPECT_FALSE(imageIO->GetValuesDifferFromStored());
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::StoredDTypeMetaDataKey), storedDType);
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValueDTypeMetaDataKey), storedDType);
  ASSERT_EQ(read->GetLargestPossibleRegion(), image->GetLargestPossibleRegion());
  EXPECT_EQ(std::memcmp(read->GetBufferPointer(), image->GetBufferPointer(), 3 * 4 * 5 * sizeof(TPixel)), 0);
  EXPECT_EQ(read->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(read->GetOrigin(), image->GetOrigin());
  EXPECT_EQ(read->GetDirection(), image->GetDirection());
}
} // namespace

TEST(NiBridgeNiftiImageIO, WritesTheAffineAsTheSformShearsIncludedAndReadsItBackBitForBit)
{
  // Every element a float32 (the sform's type in NIfTI-1); the columns neither orthogonal nor of one length.
  const AffineMatrix affine{
    { { -1.5, 0.25, 0.125, 10.5 }, { 0.5, 2.0, -0.375, -20.25 }, { 0.0625, 0.75, 3.0, 5.0 }, { 0.0, 0.0, 0.0, 1.0 } }
  };
  auto image = MakeImage<FloatImage>({ { 4, 3, 2 } }, 1);
  SetGeometryFromAffine(image.GetPointer(), affine);
  const std::string fileName = OutputPath("sheared.nii");
  WriteNifti(image.GetPointer(), fileName);

  const std::string bytes = ReadBytes(fileName);
  EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1SformCodeOffset), 2) << "aligned, nibabel's default";
  EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1QformCodeOffset), 0) << "nibabel's default";
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      EXPECT_EQ(Peek<float>(bytes, Nifti1SrowXOffset + 16 * row + 4 * column), static_cast<float>(affine[row][column]))
        << "srow " << row << ", element " << column;
    }
  }

  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<FloatImage>(fileName, imageIO);
  const auto readAffine = itk::nibridge::StoredRASAffine(imageIO->GetMetaDataDictionary());
  ASSERT_TRUE(readAffine);
  ExpectSameAffine(*readAffine, affine);
  EXPECT_EQ(read->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(read->GetOrigin(), image->GetOrigin());
  EXPECT_EQ(read->GetDirection(), image->GetDirection());
  const auto & direction = read->GetDirection();
  double       firstTwoColumns = 0.0;
  for (unsigned int row = 0; row < 3; ++row)
  {
    firstTwoColumns += direction[row][0] * direction[row][1];
  }
  EXPECT_NE(firstTwoColumns, 0.0) << "the shear is kept";

  // Without the affine in the dictionary, the sform is the float32 of the geometry's own affine.
  auto geometryOnly = MakeImage<FloatImage>({ { 4, 3, 2 } }, 1);
  geometryOnly->SetSpacing(image->GetSpacing());
  geometryOnly->SetOrigin(image->GetOrigin());
  geometryOnly->SetDirection(image->GetDirection());
  const std::string geometryFileName = OutputPath("sheared-geometry-only.nii");
  WriteNifti(geometryOnly.GetPointer(), geometryFileName);
  auto       geometryIO = NiBridgeNiftiImageIO::New();
  const auto geometryRead = ReadNifti<FloatImage>(geometryFileName, geometryIO);
  const auto geometryAffine = itk::nibridge::StoredRASAffine(geometryIO->GetMetaDataDictionary());
  ASSERT_TRUE(geometryAffine);
  itk::nibridge::ImageGeometry written = itk::nibridge::ImageGeometry::Identity(3);
  for (unsigned int row = 0; row < 3; ++row)
  {
    written.spacing[row] = image->GetSpacing()[row];
    written.origin[row] = image->GetOrigin()[row];
    for (unsigned int column = 0; column < 3; ++column)
    {
      written.direction[row][column] = image->GetDirection()[row][column];
    }
  }
  AffineMatrix expected = itk::nibridge::RASAffineFromGeometry(written);
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      expected[row][column] = static_cast<float>(expected[row][column]);
    }
  }
  ExpectSameAffine(*geometryAffine, expected);
}

TEST(NiBridgeNiftiImageIO, WriteNIfTI2OnWritesAFloat64SformThatReadsBackBitForBit)
{
  // Doubles no float32 holds: NIfTI-2 keeps them.
  const AffineMatrix affine{ { { -0.1, 1.0 / 3.0, 0.0, 12.345678901234567 },
                               { 0.2, 0.7, 0.01, -98.76543210987654 },
                               { 0.0, -0.3, 2.2, 1e-3 },
                               { 0.0, 0.0, 0.0, 1.0 } } };
  auto               image = MakeImage<FloatImage>({ { 3, 2, 2 } }, 2);
  SetGeometryFromAffine(image.GetPointer(), affine);
  const std::string fileName = OutputPath("nifti2-affine.nii");
  WriteNifti(image.GetPointer(), fileName, true);

  const std::string bytes = ReadBytes(fileName);
  EXPECT_EQ(Peek<std::int32_t>(bytes, Nifti1SizeofHeaderOffset), 540);
  EXPECT_EQ(bytes.substr(4, 8), std::string("n+2\0\r\n\x1a\n", 8));
  EXPECT_EQ(Peek<std::int32_t>(bytes, Nifti2SformCodeOffset), 2);
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      EXPECT_EQ(Peek<double>(bytes, Nifti2SrowXOffset + 32 * row + 8 * column), affine[row][column])
        << "srow " << row << ", element " << column;
    }
  }
  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<FloatImage>(fileName, imageIO);
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ImageClassMetaDataKey), "Nifti2Image");
  const auto readAffine = itk::nibridge::StoredRASAffine(imageIO->GetMetaDataDictionary());
  ASSERT_TRUE(readAffine);
  ExpectSameAffine(*readAffine, affine);
  EXPECT_EQ(std::memcmp(read->GetBufferPointer(), image->GetBufferPointer(), 3 * 2 * 2 * sizeof(float)), 0);
}

TEST(NiBridgeNiftiImageIO, ReadsWhatItWritesForEveryComponentTypeAndPixel)
{
  ExpectRoundTrip<std::int8_t>("int8", IOPixelEnum::SCALAR, 256, "|i1");
  ExpectRoundTrip<std::uint8_t>("uint8", IOPixelEnum::SCALAR, 2, "|u1");
  ExpectRoundTrip<std::int16_t>("int16", IOPixelEnum::SCALAR, 4, NativeDType("i2"));
  ExpectRoundTrip<std::uint16_t>("uint16", IOPixelEnum::SCALAR, 512, NativeDType("u2"));
  ExpectRoundTrip<std::int32_t>("int32", IOPixelEnum::SCALAR, 8, NativeDType("i4"));
  ExpectRoundTrip<std::uint32_t>("uint32", IOPixelEnum::SCALAR, 768, NativeDType("u4"));
  ExpectRoundTrip<std::int64_t>("int64", IOPixelEnum::SCALAR, 1024, NativeDType("i8"));
  ExpectRoundTrip<std::uint64_t>("uint64", IOPixelEnum::SCALAR, 1280, NativeDType("u8"));
  ExpectRoundTrip<float>("float32", IOPixelEnum::SCALAR, 16, NativeDType("f4"));
  ExpectRoundTrip<double>("float64", IOPixelEnum::SCALAR, 64, NativeDType("f8"));
  ExpectRoundTrip<std::complex<float>>("complex64", IOPixelEnum::COMPLEX, 32, NativeDType("c8"));
  ExpectRoundTrip<std::complex<double>>("complex128", IOPixelEnum::COMPLEX, 1792, NativeDType("c16"));
  ExpectRoundTrip<itk::RGBPixel<unsigned char>>("rgb24", IOPixelEnum::RGB, 128, "|V3");
  ExpectRoundTrip<itk::RGBAPixel<unsigned char>>("rgba32", IOPixelEnum::RGBA, 2304, "|V4");
}

TEST(NiBridgeNiftiImageIO, WritesAVectorImageAsAFiveDimensionalVectorIntentWithTheComponentsLast)
{
  using VectorImageType = itk::VectorImage<float, 3>;
  constexpr unsigned int Components = 4;
  constexpr std::size_t  Pixels = 3 * 4 * 2;
  auto                   image = VectorImageType::New();
  image->SetRegions(VectorImageType::RegionType(VectorImageType::SizeType{ { 3, 4, 2 } }));
  image->SetNumberOfComponentsPerPixel(Components);
  image->Allocate();
  float * buffer = image->GetBufferPointer();
  for (std::size_t pixel = 0; pixel < Pixels; ++pixel)
  {
    for (unsigned int component = 0; component < Components; ++component)
    {
      buffer[pixel * Components + component] = static_cast<float>(1000 * component + pixel) + 0.5f;
    }
  }
  const std::string fileName = OutputPath("vector.nii");
  WriteNifti(image.GetPointer(), fileName);

  // NIfTI's vectors: (i, j, k, t, c), t of 1, the components the slowest axis, intent "vector".
  const std::string bytes = ReadBytes(fileName);
  ASSERT_EQ(bytes.size(), Nifti1SingleFileDataOffset + Pixels * Components * sizeof(float));
  const std::int16_t dim[8] = { 5, 3, 4, 2, 1, Components, 1, 1 };
  for (unsigned int index = 0; index < 8; ++index)
  {
    EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1DimOffset + 2 * index), dim[index]) << "dim[" << index << "]";
  }
  EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1IntentCodeOffset), 1007);
  EXPECT_EQ(Peek<std::int16_t>(bytes, Nifti1DatatypeOffset), 16);
  for (unsigned int component = 0; component < Components; ++component)
  {
    for (std::size_t pixel = 0; pixel < Pixels; ++pixel)
    {
      EXPECT_EQ(Peek<float>(bytes, Nifti1SingleFileDataOffset + (component * Pixels + pixel) * sizeof(float)),
                buffer[pixel * Components + component])
        << "pixel " << pixel << ", component " << component;
    }
  }

  // Read back, by default, as the vector image it was.
  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<VectorImageType>(fileName, imageIO);
  EXPECT_EQ(imageIO->GetPixelType(), IOPixelEnum::VECTOR);
  EXPECT_EQ(imageIO->GetNumberOfComponents(), Components);
  EXPECT_EQ(imageIO->GetNiBabelShape(), (std::vector<std::uint64_t>{ 3, 4, 2, 1, Components }));
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::IntentMetaDataKey), "vector");
  EXPECT_EQ(read->GetLargestPossibleRegion().GetSize(), image->GetLargestPossibleRegion().GetSize());
  ASSERT_EQ(read->GetNumberOfComponentsPerPixel(), Components);
  EXPECT_EQ(std::memcmp(read->GetBufferPointer(), buffer, Pixels * Components * sizeof(float)), 0);
  EXPECT_EQ(read->GetSpacing(), image->GetSpacing());

  // With ReadFifthAxisAsComponents off, nibabel's five axes as they are.
  using FiveDimensionalImage = itk::Image<float, 5>;
  auto scalarIO = NiBridgeNiftiImageIO::New();
  scalarIO->ReadFifthAxisAsComponentsOff();
  const auto scalars = ReadNifti<FiveDimensionalImage>(fileName, scalarIO);
  EXPECT_EQ(scalarIO->GetNumberOfComponents(), 1u);
  EXPECT_EQ(scalars->GetLargestPossibleRegion().GetSize(),
            (FiveDimensionalImage::SizeType{ { 3, 4, 2, 1, Components } }));
  EXPECT_EQ(std::memcmp(scalars->GetBufferPointer(),
                        bytes.data() + Nifti1SingleFileDataOffset,
                        Pixels * Components * sizeof(float)),
            0);
}

TEST(NiBridgeNiftiImageIO, ChoosesNIfTI2ForAxesLongerThanNIfTI1Holds)
{
  using ByteImage = itk::Image<std::uint8_t, 3>;
  const auto        fits = MakeImage<ByteImage>({ { 32767, 2, 1 } }, 3);
  const std::string fitsFileName = OutputPath("longest-nifti1-axis.nii");
  WriteNifti(fits.GetPointer(), fitsFileName);
  EXPECT_EQ(Peek<std::int32_t>(ReadBytes(fitsFileName), Nifti1SizeofHeaderOffset), 348);

  const auto        tooLong = MakeImage<ByteImage>({ { 32768, 1, 2 } }, 4);
  const std::string fileName = OutputPath("too-long-for-nifti1.nii");
  WriteNifti(tooLong.GetPointer(), fileName);
  const std::string bytes = ReadBytes(fileName);
  EXPECT_EQ(Peek<std::int32_t>(bytes, Nifti1SizeofHeaderOffset), 540);
  EXPECT_EQ(bytes.size(), Nifti2HeaderBytes + 4 + 32768 * 2);
  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<ByteImage>(fileName, imageIO);
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ImageClassMetaDataKey), "Nifti2Image");
  EXPECT_EQ(read->GetLargestPossibleRegion().GetSize(), tooLong->GetLargestPossibleRegion().GetSize());
  EXPECT_EQ(std::memcmp(read->GetBufferPointer(), tooLong->GetBufferPointer(), 32768 * 2), 0);
}

TEST(NiBridgeNiftiImageIO, WriteNIfTI2OnAndAnImageReadFromNIfTI2WriteNIfTI2)
{
  const auto        image = MakeImage<ShortImage>({ { 2, 3, 4 } }, 5);
  const std::string fileName = OutputPath("asked-for-nifti2.nii");
  WriteNifti(image.GetPointer(), fileName, true);
  EXPECT_EQ(Peek<std::int32_t>(ReadBytes(fileName), Nifti1SizeofHeaderOffset), 540);

  // The dictionary of an image read from NIfTI-2 names its class: written again, it stays NIfTI-2.
  const auto        read = ReadNifti<ShortImage>(fileName);
  const std::string againFileName = OutputPath("read-from-nifti2.nii");
  WriteNifti(read.GetPointer(), againFileName);
  EXPECT_EQ(Peek<std::int32_t>(ReadBytes(againFileName), Nifti1SizeofHeaderOffset), 540);

  const std::string defaultFileName = OutputPath("nifti1-by-default.nii");
  WriteNifti(image.GetPointer(), defaultFileName);
  EXPECT_EQ(Peek<std::int32_t>(ReadBytes(defaultFileName), Nifti1SizeofHeaderOffset), 348);
}

TEST(NiBridgeNiftiImageIO, ReadsNiftiPairsAndGzippedPairs)
{
  const auto image = MakeImage<ShortImage>({ { 5, 4, 3 } }, 6);

  WriteNifti(image.GetPointer(), OutputPath("pair.hdr"));
  const std::string header = ReadBytes(OutputPath("pair.hdr"));
  ASSERT_EQ(header.size(), Nifti1HeaderBytes);
  EXPECT_EQ(header.substr(Nifti1MagicOffset, 4), std::string("ni1\0", 4));
  EXPECT_EQ(Peek<float>(header, Nifti1VoxOffsetOffset), 0.0f);
  EXPECT_EQ(ReadBytes(OutputPath("pair.img")).size(), 5u * 4 * 3 * 2) << "the voxels alone";
  for (const char * name : { "pair.hdr", "pair.img" })
  {
    SCOPED_TRACE(name);
    auto       imageIO = NiBridgeNiftiImageIO::New();
    const auto read = ReadNifti<ShortImage>(OutputPath(name), imageIO);
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ImageClassMetaDataKey), "Nifti1Pair");
    EXPECT_EQ(std::memcmp(read->GetBufferPointer(), image->GetBufferPointer(), 5 * 4 * 3 * 2), 0);
    EXPECT_EQ(read->GetSpacing(), image->GetSpacing());
    EXPECT_EQ(read->GetOrigin(), image->GetOrigin());
  }

  WriteNifti(image.GetPointer(), OutputPath("gzpair.img.gz"));
  for (const char * name : { "gzpair.hdr.gz", "gzpair.img.gz" })
  {
    SCOPED_TRACE(name);
    EXPECT_EQ(ReadBytes(OutputPath(name)).substr(0, 2), "\x1f\x8b") << "gzip-compressed";
    auto       imageIO = NiBridgeNiftiImageIO::New();
    const auto read = ReadNifti<ShortImage>(OutputPath(name), imageIO);
    EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ImageClassMetaDataKey), "Nifti1Pair");
    EXPECT_EQ(std::memcmp(read->GetBufferPointer(), image->GetBufferPointer(), 5 * 4 * 3 * 2), 0);
  }

  // The other file's extension takes the case of an all-upper-case one, as nibabel names it.
  WriteNifti(image.GetPointer(), OutputPath("UPPER.HDR"));
  EXPECT_TRUE(std::filesystem::is_regular_file(OutputPath("UPPER.IMG")));
  const auto read = ReadNifti<ShortImage>(OutputPath("UPPER.IMG"));
  EXPECT_EQ(std::memcmp(read->GetBufferPointer(), image->GetBufferPointer(), 5 * 4 * 3 * 2), 0);
}

TEST(NiBridgeNiftiImageIO, NeverReadsTheUncompressedSiblingOfAGzippedFile)
{
  const auto plain = MakeImage<ShortImage>({ { 4, 4, 4 } }, 7);
  const auto gzipped = MakeImage<ShortImage>({ { 4, 4, 4 } }, 8);
  WriteNifti(plain.GetPointer(), OutputPath("sibling.nii"));
  WriteNifti(gzipped.GetPointer(), OutputPath("sibling.nii.gz"));
  ASSERT_NE(std::memcmp(plain->GetBufferPointer(), gzipped->GetBufferPointer(), 4 * 4 * 4 * 2), 0);

  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<ShortImage>(OutputPath("sibling.nii.gz"), imageIO);
  EXPECT_EQ(std::memcmp(read->GetBufferPointer(), gzipped->GetBufferPointer(), 4 * 4 * 4 * 2), 0);
  EXPECT_NE(imageIO->GetDecoderName(), "plain read");
  const auto readPlain = ReadNifti<ShortImage>(OutputPath("sibling.nii"));
  EXPECT_EQ(std::memcmp(readPlain->GetBufferPointer(), plain->GetBufferPointer(), 4 * 4 * 4 * 2), 0);
}

TEST(NiBridgeNiftiImageIO, ScaledValuesAreFloat64TimesSlopePlusInterceptByDefault)
{
  const std::vector<std::int16_t> stored = ShortValues(5 * 4 * 3);
  const std::string               fileName = OutputPath("scaled.nii");
  WriteNifti(MakeShortImage({ { 5, 4, 3 } }, stored).GetPointer(), fileName);
  const float slope = 0.1f;
  const float inter = -3.7f;
  PokeFile(fileName, Nifti1SlopeOffset, slope);
  PokeFile(fileName, Nifti1InterOffset, inter);

  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::DOUBLE);
  EXPECT_TRUE(imageIO->GetValuesDifferFromStored());
  double slopeRead = 0.0, interRead = 0.0;
  ASSERT_TRUE(imageIO->GetStoredValueScaling(slopeRead, interRead));
  EXPECT_EQ(slopeRead, static_cast<double>(slope));
  EXPECT_EQ(interRead, static_cast<double>(inter));
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValuesMetaDataKey), "scaled");
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValueDTypeMetaDataKey), NativeDType("f8"));
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::StoredDTypeMetaDataKey),
            NativeDType("i2"));

  // nibabel's arithmetic: the stored value as float64, times the slope, then plus the intercept, two roundings.
  std::vector<double> expected;
  for (const std::int16_t value : stored)
  {
    const double product = static_cast<double>(value) * static_cast<double>(slope);
    expected.push_back(product + static_cast<double>(inter));
  }
  ExpectSameBits<double>(ValuesOf<double>(ReadWhole(*imageIO)), expected);

  // Through itk::ImageFileReader, into a double image.
  const auto read = ReadNifti<itk::Image<double, 3>>(fileName);
  ExpectSameBits<double>(std::vector<double>(read->GetBufferPointer(), read->GetBufferPointer() + expected.size()),
                         expected);
}

TEST(NiBridgeNiftiImageIO, AZeroInterceptIsNotAddedSoANegativeSlopeKeepsMinusZero)
{
  // nibabel applies each step only when it changes something: 0 * -2 is -0.0, and -0.0 + 0.0 would be +0.0.
  const std::vector<std::int16_t> stored = { 0, 1, -1, 3 };
  const std::string               fileName = OutputPath("negative-slope.nii");
  WriteNifti(MakeShortImage({ { 4, 1, 1 } }, stored).GetPointer(), fileName);
  PokeFile(fileName, Nifti1SlopeOffset, -2.0f);
  PokeFile(fileName, Nifti1InterOffset, 0.0f);
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  ExpectSameBits<double>(ValuesOf<double>(ReadWhole(*imageIO)), { -0.0, -2.0, 2.0, -6.0 });
}

TEST(NiBridgeNiftiImageIO, RawValuesAreTheStoredOnes)
{
  const std::vector<std::int16_t> stored = ShortValues(5 * 4 * 3);
  const std::string               fileName = OutputPath("scaled-raw.nii");
  WriteNifti(MakeShortImage({ { 5, 4, 3 } }, stored).GetPointer(), fileName);
  PokeFile(fileName, Nifti1SlopeOffset, 2.5f);
  PokeFile(fileName, Nifti1InterOffset, 100.0f);

  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->ReadRawValuesOn();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::SHORT);
  EXPECT_FALSE(imageIO->GetValuesDifferFromStored());
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValuesMetaDataKey), "raw");
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValueDTypeMetaDataKey), NativeDType("i2"));
  double slope = 0.0, inter = 0.0;
  ASSERT_TRUE(imageIO->GetStoredValueScaling(slope, inter)) << "so that a caller can scale them itself";
  EXPECT_EQ(slope, 2.5);
  EXPECT_EQ(inter, 100.0);
  EXPECT_EQ(ValuesOf<std::int16_t>(ReadWhole(*imageIO)), stored);
}

TEST(NiBridgeNiftiImageIO, AZeroOrNonFiniteSlopeMeansNoScaling)
{
  const std::vector<std::int16_t> stored = ShortValues(6);
  for (const float slope : { 0.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN() })
  {
    SCOPED_TRACE(slope);
    const std::string fileName = OutputPath("unusable-slope.nii");
    WriteNifti(MakeShortImage({ { 6, 1, 1 } }, stored).GetPointer(), fileName);
    PokeFile(fileName, Nifti1SlopeOffset, slope);
    PokeFile(fileName, Nifti1InterOffset, 5.0f);
    auto imageIO = NiBridgeNiftiImageIO::New();
    imageIO->SetFileName(fileName);
    imageIO->ReadImageInformation();
    EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::SHORT);
    EXPECT_EQ(ValuesOf<std::int16_t>(ReadWhole(*imageIO)), stored);
  }
}

TEST(NiBridgeNiftiImageIO, AScalingSlopeWithAnInvalidInterceptIsAnError)
{
  const std::string fileName = OutputPath("invalid-intercept.nii");
  WriteNifti(MakeShortImage({ { 6, 1, 1 } }, ShortValues(6)).GetPointer(), fileName);
  PokeFile(fileName, Nifti1SlopeOffset, 2.0f);
  PokeFile(fileName, Nifti1InterOffset, std::numeric_limits<float>::infinity());
  const std::string error = ReadError(fileName);
  EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
  EXPECT_NE(error.find("invalid intercept"), std::string::npos) << error;
}

TEST(NiBridgeNiftiImageIO, Float64ValuesOfAnUnscaledFile)
{
  const std::vector<std::int16_t> stored = ShortValues(5 * 4 * 3);
  const std::string               fileName = OutputPath("unscaled-float64.nii");
  WriteNifti(MakeShortImage({ { 5, 4, 3 } }, stored).GetPointer(), fileName);

  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::SHORT) << "by default, the stored values of an unscaled file";
  EXPECT_FALSE(imageIO->GetValuesDifferFromStored());

  imageIO->ReadAsFloat64On();
  imageIO->ReadImageInformation();
  EXPECT_EQ(imageIO->GetComponentType(), IOComponentEnum::DOUBLE);
  EXPECT_TRUE(imageIO->GetValuesDifferFromStored());
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValuesMetaDataKey), "float64");
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ValueDTypeMetaDataKey), NativeDType("f8"));
  ExpectSameBits<double>(ValuesOf<double>(ReadWhole(*imageIO)), std::vector<double>(stored.begin(), stored.end()));

  // A float64 file's float64 values are its stored ones.
  const auto        doubles = MakeImage<itk::Image<double, 3>>({ { 2, 2, 2 } }, 9);
  const std::string doubleFileName = OutputPath("unscaled-float64-stored.nii");
  WriteNifti(doubles.GetPointer(), doubleFileName);
  auto doubleIO = NiBridgeNiftiImageIO::New();
  doubleIO->ReadAsFloat64On();
  doubleIO->SetFileName(doubleFileName);
  doubleIO->ReadImageInformation();
  EXPECT_FALSE(doubleIO->GetValuesDifferFromStored());
  EXPECT_EQ(std::memcmp(ReadWhole(*doubleIO).data(), doubles->GetBufferPointer(), 8 * sizeof(double)), 0);
}

TEST(NiBridgeNiftiImageIO, RawAndFloat64ValuesExcludeEachOther)
{
  const std::string fileName = OutputPath("both-value-modes.nii");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 10).GetPointer(), fileName);
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->ReadRawValuesOn();
  imageIO->ReadAsFloat64On();
  imageIO->SetFileName(fileName);
  const std::string error = ErrorOf([&imageIO] { imageIO->ReadImageInformation(); });
  EXPECT_NE(error.find("exclude each other"), std::string::npos) << error;
}

TEST(NiBridgeNiftiImageIO, ReadsBigEndianFilesInThisMachinesByteOrder)
{
  // A hand-built NIfTI-1 file in the byte order this machine does not use: int16 values, scaled, with an sform.
  const bool  swap = true;
  std::string bytes(Nifti1SingleFileDataOffset, '\0');
  const auto  put = [&bytes, swap](std::size_t offset, auto value) {
    char raw[sizeof(value)];
    std::memcpy(raw, &value, sizeof(value));
    if (swap)
    {
      std::reverse(raw, raw + sizeof(value));
    }
    std::memcpy(&bytes[offset], raw, sizeof(value));
  };
  put(Nifti1SizeofHeaderOffset, std::int32_t{ 348 });
  const std::int16_t dim[8] = { 3, 3, 2, 2, 1, 1, 1, 1 };
  for (unsigned int index = 0; index < 8; ++index)
  {
    put(Nifti1DimOffset + 2 * index, dim[index]);
    put(Nifti1PixdimOffset + 4 * index, index == 0 ? 1.0f : 1.5f);
  }
  put(Nifti1DatatypeOffset, std::int16_t{ 4 });
  put(Nifti1BitpixOffset, std::int16_t{ 16 });
  put(Nifti1VoxOffsetOffset, 352.0f);
  put(Nifti1SlopeOffset, 0.5f);
  put(Nifti1InterOffset, 1.0f);
  put(Nifti1SformCodeOffset, std::int16_t{ 1 });
  const float rows[3][4] = { { 1.5f, 0, 0, -10 }, { 0, 1.5f, 0, 20 }, { 0, 0, 1.5f, 30.25f } };
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      put(Nifti1SrowXOffset + 16 * row + 4 * column, rows[row][column]);
    }
  }
  bytes.replace(Nifti1MagicOffset, 4, std::string("n+1\0", 4));
  const std::vector<std::int16_t> stored = { -32768, -2, -1, 0, 1, 2, 255, 256, 1000, -1000, 32767, 7 };
  for (const std::int16_t value : stored)
  {
    const std::size_t at = bytes.size();
    bytes.resize(at + 2);
    put(at, value);
  }
  const std::string fileName = OutputPath(MachineIsBigEndian() ? "little-endian.nii" : "big-endian.nii");
  WriteBytes(fileName, bytes);

  auto imageIO = NiBridgeNiftiImageIO::New();
  ASSERT_TRUE(imageIO->CanReadFile(fileName.c_str()));
  imageIO->SetFileName(fileName);
  imageIO->ReadRawValuesOn();
  imageIO->ReadImageInformation();
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::StoredDTypeMetaDataKey),
            MachineIsBigEndian() ? "<i2" : ">i2");
  EXPECT_EQ(HeaderField(*imageIO, "dim"), "3 3 2 2 1 1 1 1");
  EXPECT_EQ(ValuesOf<std::int16_t>(ReadWhole(*imageIO)), stored);
  const auto affine = itk::nibridge::StoredRASAffine(imageIO->GetMetaDataDictionary());
  ASSERT_TRUE(affine);
  ExpectSameAffine(*affine,
                   AffineMatrix{ { { 1.5, 0, 0, -10 }, { 0, 1.5, 0, 20 }, { 0, 0, 1.5, 30.25 }, { 0, 0, 0, 1 } } });

  imageIO->ReadRawValuesOff();
  imageIO->ReadImageInformation();
  std::vector<double> expected;
  for (const std::int16_t value : stored)
  {
    const double product = static_cast<double>(value) * 0.5;
    expected.push_back(product + 1.0);
  }
  ExpectSameBits<double>(ValuesOf<double>(ReadWhole(*imageIO)), expected);
}

TEST(NiBridgeNiftiImageIO, StreamedRegionsEqualTheWholeImage)
{
  const auto image = MakeImage<ShortImage>({ { 9, 7, 6 } }, 11);
  for (const char * name : { "streamed.nii", "streamed.nii.gz" })
  {
    for (const bool asFloat64 : { false, true })
    {
      SCOPED_TRACE(std::string(name) + (asFloat64 ? ", float64" : ", stored"));
      const std::string fileName = OutputPath(name);
      WriteNifti(image.GetPointer(), fileName);
      auto imageIO = NiBridgeNiftiImageIO::New();
      imageIO->SetReadAsFloat64(asFloat64);
      imageIO->SetFileName(fileName);
      imageIO->ReadImageInformation();
      const std::vector<char> whole = ReadWhole(*imageIO);
      const std::size_t       slabBytes = whole.size() / 6;

      // Slab after slab along the last axis, then backwards (each slab an earlier one: the stream is reopened).
      for (const bool backwards : { false, true })
      {
        std::vector<char> slabs(whole.size(), '\x55');
        for (unsigned int step = 0; step < 6; ++step)
        {
          const unsigned int k = backwards ? 5 - step : step;
          itk::ImageIORegion region(3);
          region.SetIndex({ 0, 0, static_cast<itk::IndexValueType>(k) });
          region.SetSize({ 9, 7, 1 });
          imageIO->SetIORegion(region);
          imageIO->Read(slabs.data() + k * slabBytes);
        }
        EXPECT_EQ(slabs, whole) << (backwards ? "backwards" : "forwards");
      }
    }
  }

  // An ITK pipeline that streams the file in pieces gets the same image.
  for (const char * name : { "streamed.nii", "streamed.nii.gz" })
  {
    SCOPED_TRACE(name);
    auto reader = itk::ImageFileReader<ShortImage>::New();
    reader->SetImageIO(NiBridgeNiftiImageIO::New());
    reader->SetFileName(OutputPath(name));
    auto streamer = itk::StreamingImageFilter<ShortImage, ShortImage>::New();
    streamer->SetInput(reader->GetOutput());
    streamer->SetNumberOfStreamDivisions(3);
    streamer->Update();
    EXPECT_EQ(std::memcmp(streamer->GetOutput()->GetBufferPointer(), image->GetBufferPointer(), 9 * 7 * 6 * 2), 0);
  }
}

TEST(NiBridgeNiftiImageIO, TruncatedFilesAreErrorsNamingTheFile)
{
  const auto image = MakeImage<ShortImage>({ { 20, 20, 20 } }, 12);

  const std::string fileName = OutputPath("truncated.nii");
  WriteNifti(image.GetPointer(), fileName);
  std::filesystem::resize_file(fileName, Nifti1SingleFileDataOffset + 5000);
  std::string error = ReadError(fileName);
  EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  const std::string headerFileName = OutputPath("truncated-header.nii");
  WriteNifti(image.GetPointer(), headerFileName);
  std::filesystem::resize_file(headerFileName, 200);
  error = ReadError(headerFileName);
  EXPECT_NE(error.find(Quoted(headerFileName)), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  for (const auto & [decoderName, decoder] : GzipDecoders())
  {
    SCOPED_TRACE(decoderName);
    const ScopedEnvironmentVariable environment("NIBRIDGE_GZIP_DECODER", decoder);
    // Cut in the middle of the voxels, and inside the 8-byte trailer after them.
    for (const bool inTrailer : { false, true })
    {
      const std::string gzipFileName =
        OutputPath(std::string("truncated-") + decoderName + (inTrailer ? "-trailer" : "") + ".nii.gz");
      WriteNifti(image.GetPointer(), gzipFileName);
      const auto size = std::filesystem::file_size(gzipFileName);
      std::filesystem::resize_file(gzipFileName, inTrailer ? size - 4 : size / 2);
      error = ReadError(gzipFileName);
      EXPECT_NE(error.find(Quoted(gzipFileName)), std::string::npos) << error;
      EXPECT_NE(error.find("truncated"), std::string::npos) << error;
    }
  }
}

namespace
{
/** A .nii.gz of extent^3 int16 voxels with one bit of its CRC-32 (the first of the 8 trailer bytes) flipped. */
std::string
WriteCorruptCrcFile(const std::string & name, itk::SizeValueType extent)
{
  const std::string fileName = OutputPath(name);
  WriteNifti(MakeImage<ShortImage>({ { extent, extent, extent } }, 13).GetPointer(), fileName);
  std::string bytes = ReadBytes(fileName);
  bytes[bytes.size() - 8] = static_cast<char>(bytes[bytes.size() - 8] ^ 0x01);
  WriteBytes(fileName, bytes);
  return fileName;
}
} // namespace

TEST(NiBridgeNiftiImageIO, ACorruptGzipTrailerIsAnError)
{
  for (const auto & [decoderName, decoder] : GzipDecoders())
  {
    SCOPED_TRACE(decoderName);
    const ScopedEnvironmentVariable environment("NIBRIDGE_GZIP_DECODER", decoder);
    const std::string               cleanFileName = OutputPath(std::string("clean-") + decoderName + ".nii.gz");
    WriteNifti(MakeImage<ShortImage>({ { 4, 4, 4 } }, 13).GetPointer(), cleanFileName);
    auto imageIO = NiBridgeNiftiImageIO::New();
    imageIO->SetFileName(cleanFileName);
    imageIO->ReadImageInformation();
    EXPECT_EQ(imageIO->GetDecoderName(), decoder ? "gzip (zlib)" : "gzip (ISA-L)") << "the variable took effect";

    // A file whose trailer lies beyond what the header's read decodes, and a small one whose header read decodes it
    // all: the error comes with the voxels or with the header, but it comes.
    for (const itk::SizeValueType extent : { 20, 4 })
    {
      const std::string fileName = WriteCorruptCrcFile(
        std::string("corrupt-crc-") + decoderName + "-" + std::to_string(extent) + ".nii.gz", extent);
      const std::string error = ReadError(fileName);
      EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
      EXPECT_NE(error.find("is corrupt"), std::string::npos) << error;
      if (decoder == nullptr)
      {
        EXPECT_NE(error.find("CRC"), std::string::npos) << error;
      }
    }
  }
}

TEST(NiBridgeNiftiImageIO, ACorruptGzipTrailerIsReportedAsACRCMismatchByEitherDecoder)
{
  // The reason a user reads should not depend on NIBRIDGE_GZIP_DECODER (nor name a file descriptor).
  for (const auto & [decoderName, decoder] : GzipDecoders())
  {
    SCOPED_TRACE(decoderName);
    const ScopedEnvironmentVariable environment("NIBRIDGE_GZIP_DECODER", decoder);
    const std::string fileName = WriteCorruptCrcFile(std::string("crc-reason-") + decoderName + ".nii.gz", 20);
    const std::string error = ReadError(fileName);
    EXPECT_NE(error.find("CRC"), std::string::npos) << error;
    EXPECT_EQ(error.find("<fd:"), std::string::npos) << error;
  }
}

namespace
{
/** A clean .nii.gz of 4^3 int16 voxels, its gzip bytes changed by `change`, and the values the clean file holds. */
template<typename TChange>
std::pair<std::string, std::vector<char>>
WriteChangedGzipFile(const std::string & name, TChange change)
{
  const std::string fileName = OutputPath(name);
  WriteNifti(MakeImage<ShortImage>({ { 4, 4, 4 } }, 15).GetPointer(), fileName);
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  const std::vector<char> values = ReadWhole(*imageIO);
  std::string             bytes = ReadBytes(fileName);
  change(bytes);
  WriteBytes(fileName, bytes);
  return { fileName, values };
}
} // namespace

TEST(NiBridgeNiftiImageIO, AnythingButZeroPaddingAfterTheLastGzipMemberIsAnErrorWithEitherDecoder)
{
  // Python's gzip module (nibabel) refuses it ("Not a gzipped file"); zlib's gzread ignored it (found by
  // nibridgeFuzzGzipStream: the two decoders disagreed).
  for (const auto & [decoderName, decoder] : GzipDecoders())
  {
    SCOPED_TRACE(decoderName);
    const ScopedEnvironmentVariable environment("NIBRIDGE_GZIP_DECODER", decoder);
    for (const std::string tail : { std::string("\x1fu"), std::string("trailing text"), std::string(3, '\0') + "x" })
    {
      const auto [fileName, values] =
        WriteChangedGzipFile(std::string("tail-") + decoderName + "-" + std::to_string(tail.size()) + ".nii.gz",
                             [&tail](std::string & bytes) { bytes += tail; });
      const std::string error = ReadError(fileName);
      EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
      EXPECT_NE(error.find("not a gzip stream"), std::string::npos) << error;
    }
    const auto [padded, values] = WriteChangedGzipFile(std::string("zero-tail-") + decoderName + ".nii.gz",
                                                       [](std::string & bytes) { bytes += std::string(7, '\0'); });
    EXPECT_EQ(ReadError(padded), "") << "zero padding is read, as Python reads it";
  }
}

TEST(NiBridgeNiftiImageIO, GzipHeadersAreReadAsPythonReadsThemWithEitherDecoder)
{
  // Python's gzip module ignores the reserved flag bits and does not check the header CRC (FHCRC); zlib's gzip
  // wrapper refused the first and ISA-L's the second (found by nibridgeFuzzGzipStream).
  for (const auto & [decoderName, decoder] : GzipDecoders())
  {
    SCOPED_TRACE(decoderName);
    const ScopedEnvironmentVariable environment("NIBRIDGE_GZIP_DECODER", decoder);
    const auto                      reservedFlags = [](std::string & bytes) { bytes[3] = static_cast<char>(0xe0); };
    const auto                      headerCrc = [](std::string & bytes) {
      bytes[3] = static_cast<char>(bytes[3] | 0x02);
      bytes.insert(10, "\x12\x34"); // not the header's CRC
    };
    const auto nameAndComment = [](std::string & bytes) {
      bytes[3] = static_cast<char>(bytes[3] | 0x04 | 0x08 | 0x10);
      bytes.insert(10, std::string("\x03\x00xyzname.nii\0a comment\0", 24));
    };
    int number = 0;
    for (const std::function<void(std::string &)> & change : { std::function<void(std::string &)>(reservedFlags),
                                                               std::function<void(std::string &)>(headerCrc),
                                                               std::function<void(std::string &)>(nameAndComment) })
    {
      const auto [fileName, values] =
        WriteChangedGzipFile(std::string("header-") + decoderName + "-" + std::to_string(number++) + ".nii.gz", change);
      auto imageIO = NiBridgeNiftiImageIO::New();
      imageIO->SetFileName(fileName);
      ASSERT_NO_THROW(imageIO->ReadImageInformation());
      EXPECT_EQ(ReadWhole(*imageIO), values);
    }
  }
}

TEST(NiBridgeNiftiImageIO, ABadMagicStringIsQuotedOnOnePrintableLine)
{
  // The magic's raw bytes went into the message: a line break split it (found by nibridgeFuzzNiftiHeader). A NIfTI-2
  // file is sniffed by its size field, then its magic is checked (bytes 4 to 8).
  const std::string fileName = OutputPath("bad-magic.nii");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 16).GetPointer(), fileName, true);
  std::string bytes = ReadBytes(fileName);
  bytes.replace(4, 4, std::string("n\n\xff\0", 4));
  WriteBytes(fileName, bytes);
  const std::string error = ReadError(fileName);
  EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
  EXPECT_NE(error.find("magic string 'n\\x0a\\xff' is not valid"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(NiBridgeNiftiImageIO, AGzipFileWhoseExtensionsPassTheLargestReadIsAnErrorNotAnOverread)
{
  // An extension too large to read again (64 MiB and more) and a vox_offset beyond it: the check of the extensions read
  // the next one's size past the bytes it held (found by nibridgeFuzzNiftiHeader under AddressSanitizer).
  const std::string plainFileName = OutputPath("huge-extension.nii");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 17).GetPointer(), plainFileName);
  std::string         bytes = ReadBytes(plainFileName);
  const std::uint32_t extensionBytes = (64u << 20) + 16;
  const float         voxOffset = static_cast<float>(Nifti1SingleFileDataOffset + 2 * std::uint64_t{ extensionBytes });
  std::memcpy(&bytes[Nifti1VoxOffsetOffset], &voxOffset, 4);
  bytes[Nifti1HeaderBytes] = 1; // extensions follow
  std::memcpy(&bytes[Nifti1SingleFileDataOffset], &extensionBytes, 4);
  const std::string fileName = OutputPath("huge-extension.nii.gz");
  gzFile            file = gzopen(fileName.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned int>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
  const std::string error = ReadError(fileName);
  EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(NiBridgeNiftiImageIO, AVoxOffsetInsideTheHeaderIsAnError)
{
  const std::string fileName = OutputPath("vox-offset-1.nii");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 14).GetPointer(), fileName);
  PokeFile(fileName, Nifti1VoxOffsetOffset, 1.0f);
  EXPECT_TRUE(NiBridgeNiftiImageIO::New()->CanReadFile(fileName.c_str())) << "the error is this reader's";
  const std::string error = ReadError(fileName);
  EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
  EXPECT_NE(error.find("vox offset 1 too low"), std::string::npos) << error;

  // nibabel accepts 0, and reads the voxels from the file's first byte on.
  PokeFile(fileName, Nifti1VoxOffsetOffset, 0.0f);
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  const std::vector<std::int16_t> values = ValuesOf<std::int16_t>(ReadWhole(*imageIO));
  const std::string               bytes = ReadBytes(fileName);
  for (std::size_t index = 0; index < values.size(); ++index)
  {
    EXPECT_EQ(values[index], Peek<std::int16_t>(bytes, 2 * index)) << index;
  }
}

TEST(NiBridgeNiftiImageIO, AnUnknownDatatypeIsAnError)
{
  const std::string fileName = OutputPath("unknown-datatype.nii");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 15).GetPointer(), fileName);
  PokeFile(fileName, Nifti1DatatypeOffset, std::int16_t{ 99 });
  EXPECT_TRUE(NiBridgeNiftiImageIO::New()->CanReadFile(fileName.c_str())) << "the error is this reader's";
  std::string error = ReadError(fileName);
  EXPECT_NE(error.find(Quoted(fileName)), std::string::npos) << error;
  EXPECT_NE(error.find("data code 99 not recognized"), std::string::npos) << error;

  // float128: a code nibabel knows but ITK holds in no pixel.
  PokeFile(fileName, Nifti1DatatypeOffset, std::int16_t{ 1536 });
  error = ReadError(fileName);
  EXPECT_NE(error.find("data code 1536 not supported"), std::string::npos) << error;
}

TEST(NiBridgeNiftiImageIO, CanReadFileDeclinesWhatNibabelReadsItsOwnWay)
{
  auto imageIO = NiBridgeNiftiImageIO::New();

  // CIFTI-2: a NIfTI-2 with an intent code of 3000 to 3099.
  const std::string ciftiFileName = OutputPath("cifti.nii");
  WriteNifti(MakeImage<FloatImage>({ { 2, 2, 2 } }, 16).GetPointer(), ciftiFileName, true);
  EXPECT_TRUE(imageIO->CanReadFile(ciftiFileName.c_str())) << "a plain NIfTI-2";
  for (const std::int32_t intent : { 3000, 3006, 3099 })
  {
    PokeFile(ciftiFileName, Nifti2IntentCodeOffset, intent);
    EXPECT_FALSE(imageIO->CanReadFile(ciftiFileName.c_str())) << intent;
  }
  const std::string error = ReadError(ciftiFileName);
  EXPECT_NE(error.find("CIFTI-2"), std::string::npos) << error;
  PokeFile(ciftiFileName, Nifti2IntentCodeOffset, std::int32_t{ 3100 });
  EXPECT_TRUE(imageIO->CanReadFile(ciftiFileName.c_str()));

  // An Analyze pair (a NIfTI-1 pair without its magic), and the same with SPM's .mat file beside it.
  const std::string analyzeHeader = OutputPath("analyze.hdr");
  const std::string analyzeImage = OutputPath("analyze.img");
  const std::string analyzeMat = OutputPath("analyze.mat");
  std::filesystem::remove(analyzeMat);
  WriteNifti(MakeImage<ShortImage>({ { 3, 2, 2 } }, 17).GetPointer(), analyzeHeader);
  PokeFile(analyzeHeader, Nifti1MagicOffset, std::int32_t{ 0 });
  EXPECT_TRUE(imageIO->CanReadFile(analyzeHeader.c_str()));
  EXPECT_TRUE(imageIO->CanReadFile(analyzeImage.c_str()));
  imageIO->SetFileName(analyzeHeader);
  imageIO->ReadImageInformation();
  EXPECT_EQ(MetaText(imageIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ImageClassMetaDataKey),
            "Spm2AnalyzeImage");
  WriteBytes(analyzeMat, "a MATLAB file");
  EXPECT_FALSE(imageIO->CanReadFile(analyzeHeader.c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(analyzeImage.c_str()));

  // Scaled RGB and complex data; unscaled ones (slope 1 and intercept 0, or an unusable slope) are read.
  const std::string rgbFileName = OutputPath("scaled-rgb.nii");
  WriteNifti(MakeImage<itk::Image<itk::RGBPixel<unsigned char>, 3>>({ { 2, 2, 2 } }, 18).GetPointer(), rgbFileName);
  EXPECT_TRUE(imageIO->CanReadFile(rgbFileName.c_str()));
  PokeFile(rgbFileName, Nifti1SlopeOffset, 2.0f);
  EXPECT_FALSE(imageIO->CanReadFile(rgbFileName.c_str()));
  PokeFile(rgbFileName, Nifti1SlopeOffset, 1.0f);
  PokeFile(rgbFileName, Nifti1InterOffset, 1.0f);
  EXPECT_FALSE(imageIO->CanReadFile(rgbFileName.c_str()));
  PokeFile(rgbFileName, Nifti1SlopeOffset, 0.0f);
  EXPECT_TRUE(imageIO->CanReadFile(rgbFileName.c_str()));
  const std::string complexFileName = OutputPath("scaled-complex.nii");
  WriteNifti(MakeImage<itk::Image<std::complex<float>, 3>>({ { 2, 2, 2 } }, 19).GetPointer(), complexFileName);
  EXPECT_TRUE(imageIO->CanReadFile(complexFileName.c_str()));
  PokeFile(complexFileName, Nifti1SlopeOffset, 3.0f);
  EXPECT_FALSE(imageIO->CanReadFile(complexFileName.c_str()));

  // Compressions nibabel opens and this reader does not.
  for (const char * name : { "other-compression.nii.bz2", "other-compression.nii.zst" })
  {
    WriteBytes(OutputPath(name), "compressed");
    EXPECT_FALSE(imageIO->CanReadFile(OutputPath(name).c_str())) << name;
  }
}

TEST(NiBridgeNiftiImageIO, ClaimsABrokenFileWithANIfTINameSoThatTheErrorIsItsOwn)
{
  auto imageIO = NiBridgeNiftiImageIO::New();

  const std::string garbage = OutputPath("garbage.nii");
  WriteBytes(garbage, std::string(400, 'x'));
  EXPECT_TRUE(imageIO->CanReadFile(garbage.c_str()));
  std::string error = ReadError(garbage);
  EXPECT_NE(error.find(Quoted(garbage)), std::string::npos) << error;
  EXPECT_NE(error.find("not a NIfTI header"), std::string::npos) << error;

  const std::string shortFile = OutputPath("ten-bytes.nii");
  WriteBytes(shortFile, std::string(10, '\0'));
  EXPECT_TRUE(imageIO->CanReadFile(shortFile.c_str()));
  error = ReadError(shortFile);
  EXPECT_NE(error.find(Quoted(shortFile)), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  const std::string notGzip = OutputPath("not-gzip.nii.gz");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 20).GetPointer(), OutputPath("not-gzip.nii"));
  std::filesystem::copy_file(OutputPath("not-gzip.nii"), notGzip, std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(imageIO->CanReadFile(notGzip.c_str()));
  error = ReadError(notGzip);
  EXPECT_NE(error.find(Quoted(notGzip)), std::string::npos) << error;
  EXPECT_NE(error.find("not gzip-compressed"), std::string::npos) << error;

  // What no reader can open is not claimed: a missing file, a directory, another name.
  EXPECT_FALSE(imageIO->CanReadFile(OutputPath("missing.nii").c_str()));
  std::filesystem::create_directories(OutputPath("directory.nii"));
  EXPECT_FALSE(imageIO->CanReadFile(OutputPath("directory.nii").c_str()));
  WriteBytes(OutputPath("garbage.txt"), std::string(400, 'x'));
  EXPECT_FALSE(imageIO->CanReadFile(OutputPath("garbage.txt").c_str()));
  EXPECT_FALSE(imageIO->CanReadFile(nullptr));
}

TEST(NiBridgeNiftiImageIO, MetaDataHoldsTheHeaderFieldsAsNibabelsLoadedHeaderDoes)
{
  auto image = MakeImage<ShortImage>({ { 4, 5, 6 } }, 21);
  SetGeometryFromAffine(image.GetPointer(),
                        AffineMatrix{ { { 2, 0, 0, -10 }, { 0, 3, 0, 20.5 }, { 0, 0, 4, 0.25 }, { 0, 0, 0, 1 } } });
  const std::string fileName = OutputPath("metadata.nii");
  WriteNifti(image.GetPointer(), fileName);
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  const itk::MetaDataDictionary & dictionary = imageIO->GetMetaDataDictionary();

  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::ImageClassMetaDataKey), "Nifti1Image");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::ValuesMetaDataKey), "scaled");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::StoredDTypeMetaDataKey), NativeDType("i2"));
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::ValueDTypeMetaDataKey), NativeDType("i2"));
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::ZoomsMetaDataKey), "2.0 3.0 4.0");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::SpatialUnitsMetaDataKey), "unknown");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::TimeUnitsMetaDataKey), "unknown");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::IntentMetaDataKey), "none");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::IntentParametersMetaDataKey), "");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::IntentNameMetaDataKey), "");
  EXPECT_EQ(MetaText(dictionary, NiBridgeNiftiImageIO::RepetitionTimeMetaDataKey), "<absent>") << "a 3-D image";

  // nibabel's loaded header: the scaling moved to the array proxy (nan), a single file's offset reset (0.0).
  EXPECT_EQ(HeaderField(*imageIO, "scl_slope"), "nan");
  EXPECT_EQ(HeaderField(*imageIO, "scl_inter"), "nan");
  EXPECT_EQ(HeaderField(*imageIO, "vox_offset"), "0.0");
  EXPECT_EQ(HeaderField(*imageIO, "sizeof_hdr"), "348");
  EXPECT_EQ(HeaderField(*imageIO, "magic"), "n+1");
  EXPECT_EQ(HeaderField(*imageIO, "dim"), "3 4 5 6 1 1 1 1");
  EXPECT_EQ(HeaderField(*imageIO, "datatype"), "4");
  EXPECT_EQ(HeaderField(*imageIO, "bitpix"), "16");
  EXPECT_EQ(HeaderField(*imageIO, "pixdim"), "1.0 2.0 3.0 4.0 1.0 1.0 1.0 1.0");
  EXPECT_EQ(HeaderField(*imageIO, "sform_code"), "2");
  EXPECT_EQ(HeaderField(*imageIO, "qform_code"), "0");
  EXPECT_EQ(HeaderField(*imageIO, "srow_y"), "0.0 3.0 0.0 20.5");
  EXPECT_EQ(HeaderField(*imageIO, "qoffset_z"), "0.25");
  EXPECT_EQ(HeaderField(*imageIO, "descrip"), "");
  EXPECT_EQ(HeaderField(*imageIO, "intent_name"), "");
  EXPECT_EQ(HeaderField(*imageIO, "no_such_field"), "<absent>");

  // A 4-D image: the TR is its time spacing, and the time origin is the header's toffset.
  using TimeSeries = itk::Image<float, 4>;
  auto series = MakeImage<TimeSeries>({ { 2, 2, 2, 3 } }, 22);
  auto spacing = series->GetSpacing();
  spacing[3] = 2.5;
  series->SetSpacing(spacing);
  auto origin = series->GetOrigin();
  origin[3] = 1.5;
  series->SetOrigin(origin);
  const std::string seriesFileName = OutputPath("metadata-4d.nii");
  WriteNifti(series.GetPointer(), seriesFileName);
  auto       seriesIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<TimeSeries>(seriesFileName, seriesIO);
  EXPECT_EQ(read->GetSpacing()[3], 2.5);
  EXPECT_EQ(read->GetOrigin()[3], 1.5);
  EXPECT_EQ(MetaText(seriesIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::RepetitionTimeMetaDataKey), "2.5");
  EXPECT_EQ(HeaderField(*seriesIO, "toffset"), "1.5");
  EXPECT_EQ(HeaderField(*seriesIO, "dim"), "4 2 2 2 3 1 1 1");

  // A pair's vox_offset is 0.0 as written.
  WriteNifti(image.GetPointer(), OutputPath("metadata-pair.hdr"));
  auto pairIO = NiBridgeNiftiImageIO::New();
  pairIO->SetFileName(OutputPath("metadata-pair.hdr"));
  pairIO->ReadImageInformation();
  EXPECT_EQ(MetaText(pairIO->GetMetaDataDictionary(), NiBridgeNiftiImageIO::ImageClassMetaDataKey), "Nifti1Pair");
  EXPECT_EQ(HeaderField(*pairIO, "vox_offset"), "0.0");
  EXPECT_EQ(HeaderField(*pairIO, "magic"), "ni1");
}

TEST(NiBridgeNiftiImageIO, TwoDimensionalImagesKeepTheStepAlongK)
{
  using SliceImage = itk::Image<float, 2>;
  // In the x-y plane, with a step of 3 along k that a 2-D ITK geometry has no place for.
  const AffineMatrix affine{ { { 0, -0.5, 0, 10 }, { 0.75, 0, 0, -5 }, { 0, 0, 3, 0 }, { 0, 0, 0, 1 } } };
  auto               slice = MakeImage<SliceImage>({ { 5, 4 } }, 23);
  SetGeometryFromAffine(slice.GetPointer(), affine);
  const std::string fileName = OutputPath("slice.nii");
  WriteNifti(slice.GetPointer(), fileName);

  auto       imageIO = NiBridgeNiftiImageIO::New();
  const auto read = ReadNifti<SliceImage>(fileName, imageIO);
  EXPECT_EQ(imageIO->GetNumberOfDimensions(), 2u);
  EXPECT_EQ(imageIO->GetNiBabelShape(), (std::vector<std::uint64_t>{ 5, 4 }));
  EXPECT_EQ(HeaderField(*imageIO, "pixdim"), "1.0 0.75 0.5 3.0 1.0 1.0 1.0 1.0");
  const auto readAffine = itk::nibridge::StoredRASAffine(read->GetMetaDataDictionary());
  ASSERT_TRUE(readAffine);
  ExpectSameAffine(*readAffine, affine);
  EXPECT_EQ(read->GetDirection(), slice->GetDirection());
  EXPECT_EQ(read->GetSpacing(), slice->GetSpacing());
  EXPECT_EQ(read->GetOrigin(), slice->GetOrigin());

  // Written again from what was read, the step is still there.
  const std::string againFileName = OutputPath("slice-again.nii");
  WriteNifti(read.GetPointer(), againFileName);
  auto againIO = NiBridgeNiftiImageIO::New();
  ReadNifti<SliceImage>(againFileName, againIO);
  const auto againAffine = itk::nibridge::StoredRASAffine(againIO->GetMetaDataDictionary());
  ASSERT_TRUE(againAffine);
  ExpectSameAffine(*againAffine, affine);

  // A 2-D image that never had an affine steps 1 along k.
  auto plain = MakeImage<SliceImage>({ { 5, 4 } }, 23);
  WriteNifti(plain.GetPointer(), OutputPath("slice-plain.nii"));
  auto plainIO = NiBridgeNiftiImageIO::New();
  ReadNifti<SliceImage>(OutputPath("slice-plain.nii"), plainIO);
  const auto plainAffine = itk::nibridge::StoredRASAffine(plainIO->GetMetaDataDictionary());
  ASSERT_TRUE(plainAffine);
  EXPECT_EQ((*plainAffine)[2][2], 1.0);
  EXPECT_EQ((*plainAffine)[0][0], -0.5) << "x flipped from LPS to RAS";
}

TEST(NiBridgeNiftiImageIO, PrintSelfDescribesTheFileLastRead)
{
  auto               imageIO = NiBridgeNiftiImageIO::New();
  std::ostringstream before;
  imageIO->Print(before);
  EXPECT_NE(before.str().find("Information: none read"), std::string::npos) << before.str();
  EXPECT_NE(before.str().find("ReadRawValues: Off"), std::string::npos) << before.str();
  EXPECT_NE(before.str().find("ReadAsFloat64: Off"), std::string::npos) << before.str();

  const std::string fileName = OutputPath("printed.nii.gz");
  WriteNifti(MakeImage<ShortImage>({ { 2, 2, 2 } }, 24).GetPointer(), fileName);
  imageIO->SetFileName(fileName);
  imageIO->ReadImageInformation();
  std::ostringstream after;
  imageIO->Print(after);
  const std::string text = after.str();
  EXPECT_NE(text.find("Information: Nifti1Image read from " + fileName), std::string::npos) << text;
  EXPECT_NE(text.find("gzip"), std::string::npos) << text;
  EXPECT_NE(text.find("offset 352"), std::string::npos) << text;
  EXPECT_NE(text.find("values scaled"), std::string::npos) << text;
  EXPECT_NE(text.find("slope 1.0, inter 0.0"), std::string::npos) << text;
  EXPECT_NE(text.find("decoder " + imageIO->GetDecoderName()), std::string::npos) << text;
}

TEST(NiBridgeNiftiImageIO, PrintSelfPrintsTheWriteNIfTI2Option)
{
  // The header promises "the options" in PrintSelf, and WriteNIfTI2 is one of them.
  auto imageIO = NiBridgeNiftiImageIO::New();
  imageIO->WriteNIfTI2On();
  std::ostringstream text;
  imageIO->Print(text);
  EXPECT_NE(text.str().find("WriteNIfTI2: On"), std::string::npos) << text.str();
}
