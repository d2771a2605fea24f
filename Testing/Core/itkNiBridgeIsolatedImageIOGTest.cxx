/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeIsolatedImageIO.h"
#include "itkNiBridgeReaderProcess.h"

#include "itkImageFileReader.h"
#include "itkMetaDataObject.h"
#include "itkNiBridgeImageIOList.h"
#include "itkNrrdImageIO.h"
#include "nibridgeGTestSupport.h"

#include "gtest/gtest.h"

#include <chrono>
#include <limits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace
{
using nibridge_test::ErrorOf;
using nibridge_test::ExpectErrorNaming;
using nibridge_test::ScopedEnvironmentVariable;

constexpr nibridge_test::OutputPathWithPrefix OutputPath{ "isolated-" };

std::string
Int16Bytes(std::size_t count)
{
  std::string bytes(count * 2, '\0');
  for (std::size_t index = 0; index < count; ++index)
  {
    const auto value = static_cast<std::int16_t>(index * 37 - 500);
    std::memcpy(&bytes[index * 2], &value, 2);
  }
  return bytes;
}

/** An oblique 4 x 3 x 2 int16 NRRD, with a key/value pair. */
std::string
WriteNrrd(const std::string & name)
{
  const std::string fileName = OutputPath(name);
  nibridge_test::WriteBytes(fileName,
                            "NRRD0004\ntype: short\ndimension: 3\nsizes: 4 3 2\nencoding: raw\nendian: little\n"
                            "space: left-posterior-superior\n"
                            "space directions: (0,1.5,0) (-2,0,0) (0,0,2.5)\nspace origin: (10,-20,30.5)\n"
                            "patient name:=nobody\n\n" +
                              Int16Bytes(24));
  return fileName;
}

std::string
WriteMetaImage(const std::string & name, const std::string & header, const std::string & data)
{
  const std::string fileName = OutputPath(name);
  nibridge_test::WriteBytes(fileName, "ObjectType = Image\n" + header + "ElementDataFile = LOCAL\n" + data);
  return fileName;
}

/** A shell script standing in for the helper program. */
std::string
WriteHelperStandIn(const std::string & name, const std::string & body)
{
  const std::string fileName = OutputPath(name);
  nibridge_test::WriteBytes(fileName, "#!/bin/sh\n" + body + "\n");
  std::filesystem::permissions(fileName, std::filesystem::perms::owner_all);
  return fileName;
}

itk::NiBridgeIsolatedImageIO::Pointer
IsolatedReaderOf(const std::string & fileName)
{
  auto imageIO = itk::NiBridgeIsolatedImageIO::New();
  EXPECT_TRUE(imageIO->CanReadFile(fileName.c_str())) << fileName;
  imageIO->SetFileName(fileName);
  return imageIO;
}
} // namespace

TEST(NiBridgeIsolatedImageIO, FindsItsHelperProgramBesideTheLibrary)
{
  const std::string program = itk::NiBridgeIsolatedImageIO::FindHelperProgram();
  ASSERT_FALSE(program.empty()) << "nibridge-itk-reader is not beside libNiBridgeCore: build it";
  EXPECT_EQ(std::filesystem::path(program).filename(), "nibridge-itk-reader");
}

TEST(NiBridgeIsolatedImageIO, GivesWhatITKsOwnReaderGivesInTheCallingProcess)
{
  const std::string nrrd = WriteNrrd("oblique.nrrd");
  auto              isolated = IsolatedReaderOf(nrrd);
  isolated->ReadImageInformation();
  auto inProcess = itk::NrrdImageIO::New();
  inProcess->SetFileName(nrrd);
  inProcess->ReadImageInformation();
  EXPECT_EQ(isolated->GetITKImageIOName(), "NrrdImageIO");
  ASSERT_EQ(isolated->GetNumberOfDimensions(), inProcess->GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    EXPECT_EQ(isolated->GetDimensions(axis), inProcess->GetDimensions(axis));
    EXPECT_EQ(isolated->GetSpacing(axis), inProcess->GetSpacing(axis));
    EXPECT_EQ(isolated->GetOrigin(axis), inProcess->GetOrigin(axis));
    EXPECT_EQ(isolated->GetDirection(axis), inProcess->GetDirection(axis));
  }
  EXPECT_EQ(isolated->GetComponentType(), inProcess->GetComponentType());
  EXPECT_EQ(isolated->GetPixelType(), inProcess->GetPixelType());
  EXPECT_EQ(nibridge_test::MetaText(isolated->GetMetaDataDictionary(), "patient name"), "nobody");
  EXPECT_EQ(nibridge_test::MetaText(isolated->GetMetaDataDictionary(), "NRRD_space"),
            nibridge_test::MetaText(inProcess->GetMetaDataDictionary(), "NRRD_space"));
  EXPECT_EQ(nibridge_test::ReadWhole(*isolated), nibridge_test::ReadWhole(*inProcess));
  // A second read of the same file starts the helper again.
  EXPECT_EQ(nibridge_test::ReadWhole(*isolated), nibridge_test::ReadWhole(*inProcess));
}

TEST(NiBridgeIsolatedImageIO, CarriesEveryDictionaryTypeITKsReadersWriteAcrossTheProcessBoundary)
{
  // The types ITK 5.2's readers put in a dictionary: text, numbers, vectors (NRRD's measurement frame, MINC's and
  // Bruker's attributes), itk::Array and itk::Matrix. Each comes back with its type and value; NaN as NaN.
  auto source = itk::NrrdImageIO::New();
  source->SetNumberOfDimensions(2);
  source->SetDimensions(0, 3);
  source->SetDimensions(1, 2);
  itk::MetaDataDictionary & dictionary = source->GetMetaDataDictionary();
  itk::EncapsulateMetaData<std::string>(dictionary, "text", "a \"quoted\"\nline");
  itk::EncapsulateMetaData<double>(dictionary, "double", -0.1);
  itk::EncapsulateMetaData<float>(dictionary, "nan", std::numeric_limits<float>::quiet_NaN());
  itk::EncapsulateMetaData<bool>(dictionary, "bool", true);
  itk::EncapsulateMetaData<long long>(dictionary, "int64", std::numeric_limits<long long>::min());
  itk::EncapsulateMetaData<unsigned long>(dictionary, "uint64", std::numeric_limits<unsigned long>::max());
  itk::EncapsulateMetaData<std::vector<std::vector<double>>>(dictionary, "frame", { { 1, 0 }, { 0, -1.5 } });
  itk::EncapsulateMetaData<std::vector<std::string>>(dictionary, "words", { "x", "", "z" });
  itk::EncapsulateMetaData<std::vector<int>>(dictionary, "ints", { -3, 0, 2147483647 });
  itk::EncapsulateMetaData<std::vector<long>>(dictionary, "longs", { std::numeric_limits<long>::min() });
  itk::Array<double> array(2);
  array[0] = 0.25;
  array[1] = std::numeric_limits<double>::infinity();
  itk::EncapsulateMetaData<itk::Array<double>>(dictionary, "array", array);
  itk::Matrix<double, 3, 3> matrix;
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      matrix(row, column) = row * 3.0 + column + 0.5;
    }
  }
  itk::EncapsulateMetaData<itk::Matrix<double, 3, 3>>(dictionary, "matrix", matrix);

  auto target = itk::NrrdImageIO::New();
  itk::nibridge::readerprocess::DecodeInformation(itk::nibridge::readerprocess::EncodeInformation(*source), *target);
  const itk::MetaDataDictionary & decoded = target->GetMetaDataDictionary();
  EXPECT_EQ(decoded.GetKeys().size(), dictionary.GetKeys().size());
  std::string text;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "text", text));
  EXPECT_EQ(text, "a \"quoted\"\nline");
  double number = 0;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "double", number));
  EXPECT_EQ(number, -0.1);
  float nan = 0;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "nan", nan));
  EXPECT_TRUE(std::isnan(nan));
  bool truth = false;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "bool", truth));
  EXPECT_TRUE(truth);
  long long int64 = 0;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "int64", int64));
  EXPECT_EQ(int64, std::numeric_limits<long long>::min());
  unsigned long uint64 = 0;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "uint64", uint64));
  EXPECT_EQ(uint64, std::numeric_limits<unsigned long>::max());
  std::vector<std::vector<double>> frame;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "frame", frame));
  EXPECT_EQ(frame, (std::vector<std::vector<double>>{ { 1, 0 }, { 0, -1.5 } }));
  std::vector<std::string> words;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "words", words));
  EXPECT_EQ(words, (std::vector<std::string>{ "x", "", "z" }));
  std::vector<int> ints;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "ints", ints));
  EXPECT_EQ(ints, (std::vector<int>{ -3, 0, 2147483647 }));
  std::vector<long> longs;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "longs", longs));
  EXPECT_EQ(longs, (std::vector<long>{ std::numeric_limits<long>::min() }));
  itk::Array<double> decodedArray;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "array", decodedArray));
  ASSERT_EQ(decodedArray.GetSize(), 2u);
  EXPECT_EQ(decodedArray[0], 0.25);
  EXPECT_EQ(decodedArray[1], std::numeric_limits<double>::infinity());
  itk::Matrix<double, 3, 3> decodedMatrix;
  EXPECT_TRUE(itk::ExposeMetaData(decoded, "matrix", decodedMatrix));
  EXPECT_EQ(decodedMatrix, matrix);
}

TEST(NiBridgeIsolatedImageIO, GivesSubnormalDirectionElementsOfAHeaderAsZerosThatITKInverts)
{
  // NRRD's space directions with a subnormal: ITK's NrrdImageIO keeps it, and ITK's inversion of the direction (vnl's
  // SVD) then gave NaN.
  const std::string fileName = OutputPath("subnormal-direction.nrrd");
  nibridge_test::WriteBytes(fileName,
                            "NRRD0004\ntype: short\ndimension: 3\nsizes: 4 3 2\nencoding: raw\nendian: little\n"
                            "space: left-posterior-superior\n"
                            "space directions: (1,1e-310,0) (0,1,0) (0,0,1)\nspace origin: (0,0,0)\n\n" +
                              Int16Bytes(24));
  auto imageIO = IsolatedReaderOf(fileName);
  imageIO->ReadImageInformation();
  EXPECT_EQ(imageIO->GetDirection(0)[1], 0.0);
  using ImageType = itk::Image<short, 3>;
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(fileName);
  reader->SetImageIO(imageIO);
  reader->Update();
  const auto & inverse = reader->GetOutput()->GetInverseDirection();
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      EXPECT_TRUE(std::isfinite(inverse[row][column])) << row << ", " << column;
    }
  }
}

TEST(NiBridgeIsolatedImageIO, DoesNotClaimAFileNoneOfITKsReadersTakes)
{
  const std::string text = OutputPath("notes.txt");
  nibridge_test::WriteBytes(text, "not an image\n");
  EXPECT_FALSE(itk::NiBridgeIsolatedImageIO::New()->CanReadFile(text.c_str()));
  EXPECT_FALSE(itk::NiBridgeIsolatedImageIO::New()->CanReadFile(OutputPath("missing.nrrd").c_str()));
}

TEST(NiBridgeIsolatedImageIO, ClaimsAFifoToSayItIsNoRegularFile)
{
  const std::string fifo = OutputPath("pipe.mha");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto imageIO = IsolatedReaderOf(fifo);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, fifo, "a FIFO (named pipe), not a regular file");
}

TEST(NiBridgeIsolatedImageIO, RefusesAMetaImageWhoseNDimsWouldSendMetaIOIntoALoop)
{
  const std::string mha =
    WriteMetaImage("negative-ndims.mha", "NDims = -1\nDimSize = 4 3 2\nElementType = MET_SHORT\n", Int16Bytes(24));
  const auto started = std::chrono::steady_clock::now();
  auto       imageIO = IsolatedReaderOf(mha);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, mha, "NDims holds -1, outside 1 to 32");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(NiBridgeIsolatedImageIO, RefusesAMetaImageClaimingMoreVoxelsThanItHoldsBeforeAllocating)
{
  // About 700 bytes that claim 2^32 voxels: never 4 GiB of zeros.
  const std::string mha = WriteMetaImage(
    "claims-4-GiB.mha", "NDims = 3\nDimSize = 65536 65536 1\nElementType = MET_UCHAR\n", std::string(600, '\0'));
  auto imageIO = IsolatedReaderOf(mha);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, mha, "the file is truncated: the header promises");
}

TEST(NiBridgeIsolatedImageIO, RefusesTruncatedAndCorruptCompressedMetaImageData)
{
  const std::string truncated = WriteMetaImage(
    "truncated.mha", "NDims = 3\nDimSize = 4 3 2\nElementType = MET_SHORT\n", Int16Bytes(24).substr(0, 20));
  auto imageIO = IsolatedReaderOf(truncated);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, truncated, "truncated");
  const std::string corrupt =
    WriteMetaImage("corrupt-zlib.mha",
                   "NDims = 3\nDimSize = 4 3 2\nElementType = MET_SHORT\nCompressedData = True\n"
                   "CompressedDataSize = 30\n",
                   std::string("\x78\x9c", 2) + std::string(28, '\x55'));
  auto corruptIO = IsolatedReaderOf(corrupt);
  corruptIO->ReadImageInformation();
  const std::string message = ErrorOf([&] { nibridge_test::ReadWhole(*corruptIO); });
  EXPECT_NE(message.find(nibridge_test::Quoted(corrupt)), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(NiBridgeIsolatedImageIO, ReportsAHelperThatCrashesAsAnErrorNamingTheFile)
{
  const std::string         nrrd = WriteNrrd("crash.nrrd");
  ScopedEnvironmentVariable helper(
    "NIBRIDGE_ITK_READER",
    WriteHelperStandIn("crashing-helper", "echo 'libfoo: bad chunk' >&2; kill -SEGV $$").c_str());
  auto imageIO = IsolatedReaderOf(nrrd);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); },
                    nrrd,
                    "crashed (Segmentation fault, signal 11) while identifying the file");
  EXPECT_NE(ErrorOf([&] { imageIO->ReadImageInformation(); }).find("(it said: libfoo: bad chunk)"), std::string::npos);
}

TEST(NiBridgeIsolatedImageIO, StopsAHelperThatHangsAfterTheTimeout)
{
  const std::string         nrrd = WriteNrrd("hang.nrrd");
  ScopedEnvironmentVariable helper("NIBRIDGE_ITK_READER",
                                   WriteHelperStandIn("hanging-helper", "exec sleep 60").c_str());
  ScopedEnvironmentVariable timeout("NIBRIDGE_READ_TIMEOUT", "0.5");
  const auto                started = std::chrono::steady_clock::now();
  auto                      imageIO = IsolatedReaderOf(nrrd);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, nrrd, "did not finish while identifying the file");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(NiBridgeIsolatedImageIO, SaysSoWhenTheHelperProgramIsMissing)
{
  const std::string         nrrd = WriteNrrd("no-helper.nrrd");
  ScopedEnvironmentVariable helper("NIBRIDGE_ITK_READER", OutputPath("no-such-helper").c_str());
  auto                      imageIO = IsolatedReaderOf(nrrd);
  ExpectErrorNaming([&] { imageIO->ReadImageInformation(); }, nrrd, "cannot start the reader process");
}

TEST(NiBridgeIsolatedImageIO, IsWhatAProgramsImageFileReaderUsesOnceNiBridgesFactoriesAreRegistered)
{
  itk::nibridge::RegisterImageIOFactories();
  const std::string nrrd = WriteNrrd("factory.nrrd");
  using ImageType = itk::Image<std::int16_t, 3>;
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(nrrd);
  reader->Update();
  EXPECT_STREQ(reader->GetImageIO()->GetNameOfClass(), "NiBridgeIsolatedImageIO");
  const std::string expected = Int16Bytes(24);
  EXPECT_EQ(std::memcmp(reader->GetOutput()->GetBufferPointer(), expected.data(), expected.size()), 0);
  EXPECT_EQ(reader->GetOutput()->GetOrigin()[2], 30.5);
}

TEST(NiBridgeIsolatedImageIO, StandsAsideWhenTheUserAsksForITKsReadersInProcess)
{
  const std::string         nrrd = WriteNrrd("in-process.nrrd");
  ScopedEnvironmentVariable choice("NIBRIDGE_ITK_READERS", "in-process");
  EXPECT_FALSE(itk::NiBridgeIsolatedImageIO::IsolationIsOn());
  auto imageIO = itk::nibridge::ImageIOList::CreateImageIO(nrrd, itk::IOFileModeEnum::ReadMode);
  if (imageIO) // ITK's readers are provided to the list by whoever links them; this driver does not
  {
    EXPECT_STRNE(imageIO->GetNameOfClass(), "NiBridgeIsolatedImageIO");
  }
}

TEST(NiBridgeIsolatedImageIO, PrintsItsState)
{
  auto               imageIO = itk::NiBridgeIsolatedImageIO::New();
  std::ostringstream text;
  imageIO->Print(text);
  EXPECT_NE(text.str().find("ITKImageIOName: (none yet)"), std::string::npos);
  EXPECT_NE(text.str().find("HelperRunning: no"), std::string::npos);
}
