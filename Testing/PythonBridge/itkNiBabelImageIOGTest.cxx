/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBabelImageIO.h"
#include "itkNiBabelImageIOFactory.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgePythonInterpreter.h"
#include "itkNiBridgePythonTestSupport.h"
#include "itkNumPyImageIO.h"

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkMINCImageIO.h"
#include "itkMetaDataObject.h"
#include "itkRGBPixel.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace
{
using itk::IOComponentEnum;
using itk::IOPixelEnum;
using itk::nibridge::PythonInterpreter;
using nibridge_test::ExceptionDescription;
using nibridge_test::Generated;
using nibridge_test::Manifest;
using nibridge_test::OutputPath;
using nibridge_test::ReadWhole;
using nibridge_test::WholeRead;

std::string
NiBabelFile(const std::string & name)
{
  return Manifest().at("data_path").get<std::string>() + "/" + name;
}

/** The manifest's name of one of nibabel's files (as nibridge_python_test_data.py names it). */
std::string
CaseName(std::string fileName)
{
  std::replace_if(
    fileName.begin(), fileName.end(), [](unsigned char c) { return !std::isalnum(c); }, '_');
  return fileName;
}

bool
Contains(const std::string & text, const std::string & part)
{
  return text.find(part) != std::string::npos;
}


std::string
MetaData(const WholeRead & read, const std::string & key)
{
  std::string value;
  itk::ExposeMetaData<std::string>(read.dictionary, key, value);
  return value;
}

itk::nibridge::AffineMatrix
AffineOf(const nlohmann::json & entry)
{
  itk::nibridge::AffineMatrix affine{};
  for (unsigned int element = 0; element < 16; ++element)
  {
    affine[element / 4][element % 4] = std::stod(entry.at("affine").at(element).get<std::string>());
  }
  return affine;
}

/** A Python string literal of `text` (for file names in Python snippets). */
std::string
PythonString(const std::string & text)
{
  std::string literal = "'";
  for (const char character : text)
  {
    if (character == '\\' || character == '\'')
    {
      literal += '\\';
    }
    literal += character;
  }
  return literal + "'";
}

/** Reads a .npy reference with NumPyImageIO (optionally its last axis as components). */
WholeRead
ReadReference(const std::string & fileName, bool trailingAxisIsComponents = false)
{
  auto imageIO = itk::NumPyImageIO::New();
  imageIO->SetTrailingAxisIsComponents(trailingAxisIsComponents);
  return ReadWhole(imageIO, fileName);
}

/** Reads through an explicit NiBabelImageIO with the given value option. */
WholeRead
ReadWithNiBabel(const std::string & fileName, bool raw = false, bool float64 = false)
{
  auto imageIO = itk::NiBabelImageIO::New();
  imageIO->SetReadRawValues(raw);
  imageIO->SetReadAsFloat64(float64);
  return ReadWhole(imageIO, fileName);
}

void
ExpectSameGeometry(const WholeRead & read, const itk::nibridge::ImageGeometry & expected)
{
  EXPECT_EQ(read.spacing, expected.spacing);
  EXPECT_EQ(read.origin, expected.origin);
  EXPECT_EQ(read.direction, expected.direction);
}

/** True if no temporary file of a write to `target` was left beside it. */
bool
NoTemporaryFilesBeside(const std::string & target)
{
  const std::filesystem::path path(target);
  for (const auto & entry : std::filesystem::directory_iterator(path.parent_path()))
  {
    if (Contains(entry.path().filename().string(), "." + path.filename().string() + ".tmp-"))
    {
      return false;
    }
  }
  return true;
}

template<typename TImage>
typename TImage::Pointer
MakeImage(const typename TImage::SizeType & size)
{
  auto image = TImage::New();
  image->SetRegions(size);
  image->Allocate();
  return image;
}

/** An oblique geometry as ITK would have it (from a random-looking rotation), set on `image`. */
template<typename TImage>
void
SetObliqueGeometry(TImage * image)
{
  const itk::nibridge::AffineMatrix affine{ { { 0.8660254037844387, -0.5, 0.0, -12.25 },
                                              { 0.35355339059327373, 0.6123724356957945, -0.7071067811865476, 33.5 },
                                              { 0.35355339059327373, 0.6123724356957945, 0.7071067811865476, 7.125 },
                                              { 0, 0, 0, 1 } } };
  const auto                        geometry = itk::nibridge::GeometryFromRASAffine(affine, 3);
  typename TImage::DirectionType    direction;
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      direction[row][column] = geometry.direction[row][column];
    }
  }
  typename TImage::SpacingType spacing;
  typename TImage::PointType   origin;
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    spacing[axis] = geometry.spacing[axis] * (1.0 + axis * 0.25);
    origin[axis] = geometry.origin[axis];
  }
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
}

/** nibabel's affine of an ITK image's geometry (what NiBabelImageIO writes), as a Python list literal. */
template<typename TImage>
std::string
ExpectedAffineLiteral(const TImage * image)
{
  itk::nibridge::ImageGeometry geometry = itk::nibridge::ImageGeometry::Identity(3);
  for (unsigned int row = 0; row < 3; ++row)
  {
    geometry.spacing[row] = image->GetSpacing()[row];
    geometry.origin[row] = image->GetOrigin()[row];
    for (unsigned int column = 0; column < 3; ++column)
    {
      geometry.direction[row][column] = image->GetDirection()[row][column];
    }
  }
  const auto         affine = itk::nibridge::RASAffineFromGeometry(geometry);
  std::ostringstream literal;
  literal.precision(17);
  literal << '[';
  for (const auto & row : affine)
  {
    literal << '[' << row[0] << ", " << row[1] << ", " << row[2] << ", " << row[3] << "], ";
  }
  literal << ']';
  return literal.str();
}
} // namespace

// ------------------------------------------------------------------------------------------------------------------
// Which files NiBabelImageIO claims

TEST(NiBabelImageIO, ClaimsEveryFormatNiBabelReadsAndLeavesNIfTI1ToITKWhenAsked)
{
  auto imageIO = itk::NiBabelImageIO::New();
  for (const char * nifti : { "anatomical.nii", "example4d.nii.gz", "standard.nii.gz", "analyze.hdr" })
  {
    EXPECT_TRUE(imageIO->CanReadFile(NiBabelFile(nifti).c_str())) << nifti;
  }
  EXPECT_FALSE(imageIO->CanReadFile(NiBabelFile("0.dcm").c_str())) << "not a format nibabel reads";
  imageIO->LeavesNIfTIToITKOn();
  for (const char * claimed : { "test.mgz",
                                "tiny.mnc",
                                "minc2_1_scale.mnc",
                                "phantom_EPI_asc_CLEAR_2_1.PAR",
                                "phantom_EPI_asc_CLEAR_2_1.REC",
                                "example4d+orig.HEAD",
                                "example4d+orig.BRIK.gz",
                                "scaled+tlrc.BRIK",
                                "tinypet.v",
                                "example_nifti2.nii.gz",
                                "row_major.dconn.nii" })
  {
    EXPECT_TRUE(imageIO->CanReadFile(NiBabelFile(claimed).c_str())) << claimed;
  }
  for (const char * left : { "anatomical.nii", "example4d.nii.gz", "standard.nii.gz", "analyze.hdr", "0.dcm" })
  {
    EXPECT_FALSE(imageIO->CanReadFile(NiBabelFile(left).c_str())) << left << " is ITK's to read";
  }
  EXPECT_TRUE(imageIO->CanReadFile(Generated("large").at("file").get<std::string>().c_str())) << ".mgh";
}

TEST(NiBabelImageIO, CanReadFileRefusesWithoutThrowingWhatItCannotOpen)
{
  auto imageIO = itk::NiBabelImageIO::New();
  EXPECT_FALSE(imageIO->CanReadFile(nullptr));
  EXPECT_FALSE(imageIO->CanReadFile(""));
  EXPECT_FALSE(imageIO->CanReadFile("no such file.mgz"));
  EXPECT_FALSE(imageIO->CanReadFile(Manifest().at("data_path").get<std::string>().c_str())) << "a directory";
  // A name that promises MGZ but holds something else.
  const std::string notGzip = OutputPath("not_gzip.mgz");
  std::ofstream(notGzip) << "plain text";
  EXPECT_FALSE(imageIO->CanReadFile(notGzip.c_str()));
  // A .REC without its .PAR, a .BRIK without its .HEAD.
  const std::string lonelyRec = OutputPath("lonely.REC");
  std::ofstream(lonelyRec) << "data";
  EXPECT_FALSE(imageIO->CanReadFile(lonelyRec.c_str()));
  const std::string lonelyBrik = OutputPath("lonely+orig.BRIK");
  std::ofstream(lonelyBrik) << "data";
  EXPECT_FALSE(imageIO->CanReadFile(lonelyBrik.c_str()));
}

TEST(NiBabelImageIO, FactoryInFrontTakesMINCFromITKsMINCImageIOAndLeavesNIfTI1ToITKWhenAsked)
{
  itk::NiBabelImageIO::SetDefaultLeavesNIfTIToITK(true); // as the plugin does
  itk::NiBabelImageIOFactoryRegister__Private();
  auto mincIO = itk::MINCImageIO::New();
  ASSERT_TRUE(mincIO->CanReadFile(NiBabelFile("tiny.mnc").c_str())) << "ITK's MINCImageIO would read it";
  const auto create = [](const std::string & fileName) {
    itk::ImageIOBase::Pointer imageIO =
      itk::ImageIOFactory::CreateImageIO(fileName.c_str(), itk::ImageIOFactory::IOFileModeEnum::ReadMode);
    return std::string(imageIO ? imageIO->GetNameOfClass() : "none");
  };
  EXPECT_EQ(create(NiBabelFile("tiny.mnc")), "NiBabelImageIO");
  EXPECT_EQ(create(NiBabelFile("test.mgz")), "NiBabelImageIO");
  EXPECT_EQ(create(NiBabelFile("example_nifti2.nii.gz")), "NiBabelImageIO");
  EXPECT_EQ(create(NiBabelFile("anatomical.nii")), "NiftiImageIO");
  EXPECT_EQ(create(NiBabelFile("example4d.nii.gz")), "NiftiImageIO");
  itk::NiBabelImageIO::SetDefaultLeavesNIfTIToITK(false);
  EXPECT_EQ(create(NiBabelFile("anatomical.nii")), "NiBabelImageIO");
}

// ------------------------------------------------------------------------------------------------------------------
// Geometry

TEST(NiBabelImageIO, MINCGeometryIsNiBabelsAffineInLPSWhereITKsMINCImageIOMirrorsXAndY)
{
  for (const char * name : { "tiny.mnc", "minc1_1_scale.mnc", "minc2_1_scale.mnc" })
  {
    const std::string fileName = NiBabelFile(name);
    auto              itkIO = itk::MINCImageIO::New();
    const WholeRead   itkRead = ReadWhole(itkIO, fileName);
    const WholeRead   ours = ReadWithNiBabel(fileName);
    ExpectSameGeometry(ours,
                       itk::nibridge::GeometryFromRASAffine(AffineOf(Manifest().at("corpus").at(CaseName(name))), 3));

    // MINC's dimensions are (z, y, x) here: ITK's index (x, y, z) is nibabel's (k, j, i), the same voxel.
    ASSERT_EQ(itkRead.size.size(), 3u);
    ASSERT_EQ(ours.size, (std::vector<itk::SizeValueType>{ itkRead.size[2], itkRead.size[1], itkRead.size[0] }));
    for (const std::array<unsigned int, 3> & itkIndex : { std::array<unsigned int, 3>{ 0, 0, 0 },
                                                          std::array<unsigned int, 3>{ 3, 7, 2 },
                                                          std::array<unsigned int, 3>{ 19, 19, 9 } })
    {
      const std::array<unsigned int, 3> ourIndex{ itkIndex[2], itkIndex[1], itkIndex[0] };
      double                            itkPoint[3], ourPoint[3];
      for (unsigned int row = 0; row < 3; ++row)
      {
        itkPoint[row] = itkRead.origin[row];
        ourPoint[row] = ours.origin[row];
        for (unsigned int column = 0; column < 3; ++column)
        {
          itkPoint[row] += itkRead.direction[row][column] * itkRead.spacing[column] * itkIndex[column];
          ourPoint[row] += ours.direction[row][column] * ours.spacing[column] * ourIndex[column];
        }
      }
      // The same voxel (the same value)...
      const std::size_t itkOffset = itkIndex[0] + itkRead.size[0] * (itkIndex[1] + itkRead.size[1] * itkIndex[2]);
      const std::size_t ourOffset = ourIndex[0] + ours.size[0] * (ourIndex[1] + ours.size[1] * ourIndex[2]);
      float             itkValue = 0;
      double            ourValue = 0;
      std::memcpy(&itkValue, itkRead.bytes.data() + itkOffset * sizeof(float), sizeof(float));
      std::memcpy(&ourValue, ours.bytes.data() + ourOffset * sizeof(double), sizeof(double));
      EXPECT_NEAR(itkValue, ourValue, 1e-5 * (1.0 + std::abs(ourValue))) << name;
      // ...is at a point mirrored in x and y by ITK's MINCImageIO: it takes MINC's RAS coordinates as LPS.
      EXPECT_DOUBLE_EQ(itkPoint[0], -ourPoint[0]) << name;
      EXPECT_DOUBLE_EQ(itkPoint[1], -ourPoint[1]) << name;
      EXPECT_DOUBLE_EQ(itkPoint[2], ourPoint[2]) << name;
    }
  }
}

TEST(NiBabelImageIO, ReadsA2DImageInItsPlaneAs2DAndAnObliqueOneAs3DWithOneSlice)
{
  const auto &    inPlane = Generated("two_d_in_plane");
  const WholeRead flat = ReadWithNiBabel(inPlane.at("file"));
  ASSERT_EQ(flat.size, (std::vector<itk::SizeValueType>{ 5, 4 }));
  ExpectSameGeometry(flat, itk::nibridge::GeometryFromRASAffine(AffineOf(inPlane), 2));

  const auto &    oblique = Generated("two_d_oblique");
  const WholeRead slice = ReadWithNiBabel(oblique.at("file"));
  ASSERT_EQ(slice.size, (std::vector<itk::SizeValueType>{ 5, 4, 1 }));
  ExpectSameGeometry(slice, itk::nibridge::GeometryFromRASAffine(AffineOf(oblique), 3));
  EXPECT_EQ(slice.bytes, ReadReference(oblique.at("values")).bytes);
}

TEST(NiBabelImageIO, ReadsFiveDimensionsWithTheHeadersZoomsAsTheExtraAxesSpacing)
{
  const auto &    fiveD = Generated("five_d");
  const WholeRead read = ReadWithNiBabel(fiveD.at("file"));
  ASSERT_EQ(read.size, (std::vector<itk::SizeValueType>{ 3, 4, 5, 2, 3 }));
  EXPECT_EQ(read.spacing[3], 0.75);
  EXPECT_EQ(read.spacing[4], 3.0);
  ExpectSameGeometry(read, itk::nibridge::GeometryFromRASAffine(AffineOf(fiveD), 5, { 0.75, 3.0 }));
  EXPECT_EQ(read.bytes, ReadReference(fiveD.at("values")).bytes);
}

TEST(NiBabelImageIO, ReadsTheTimeAxisOfAn4DMGZWithTheTRAsSpacing)
{
  using ImageType = itk::Image<float, 4>;
  itk::NiBabelImageIOFactoryRegister__Private();
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(NiBabelFile("test.mgz"));
  reader->Update();
  EXPECT_STREQ(reader->GetImageIO()->GetNameOfClass(), "NiBabelImageIO");
  const ImageType * image = reader->GetOutput();
  EXPECT_EQ(image->GetLargestPossibleRegion().GetSize(), (ImageType::SizeType{ { 3, 4, 5, 2 } }));
  EXPECT_EQ(image->GetSpacing()[3], 2.0);
  std::string timeUnits;
  itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), "NiBabel_TimeUnits", timeUnits);
  EXPECT_EQ(timeUnits, "msec");
}

// ------------------------------------------------------------------------------------------------------------------
// Values and pixels

TEST(NiBabelImageIO, ReadsScaledValuesByDefaultStoredValuesOrGetFDataOnRequest)
{
  const auto &    scaled = Generated("scaled_int16_nifti1");
  const WholeRead values = ReadWithNiBabel(scaled.at("file"));
  const WholeRead raw = ReadWithNiBabel(scaled.at("file"), true, false);
  const WholeRead fdata = ReadWithNiBabel(scaled.at("file"), false, true);
  EXPECT_EQ(raw.componentType, IOComponentEnum::SHORT);
  EXPECT_EQ(fdata.componentType, IOComponentEnum::DOUBLE);
  EXPECT_EQ(values.bytes, ReadReference(scaled.at("values")).bytes);
  EXPECT_EQ(raw.bytes, ReadReference(scaled.at("raw")).bytes);
  EXPECT_EQ(fdata.bytes, ReadReference(scaled.at("fdata")).bytes);
  EXPECT_EQ(MetaData(raw, "NiBabel_Values"), "raw");
  EXPECT_EQ(MetaData(fdata, "NiBabel_Values"), "float64");

  const std::string both = ExceptionDescription([&scaled]() { ReadWithNiBabel(scaled.at("file"), true, true); });
  EXPECT_TRUE(Contains(both, "ReadRawValues and ReadAsFloat64 exclude each other")) << both;
  const std::string minc = ExceptionDescription([]() { ReadWithNiBabel(NiBabelFile("tiny.mnc"), true); });
  EXPECT_TRUE(Contains(minc, "no stored (unscaled) values for Minc1Image files")) << minc;
}

TEST(NiBabelImageIO, ReadsComplexAsComplexPixels)
{
  for (const auto & [name, component] :
       { std::pair{ "complex64", IOComponentEnum::FLOAT }, std::pair{ "complex128", IOComponentEnum::DOUBLE } })
  {
    const WholeRead read = ReadWithNiBabel(Generated(name).at("file"));
    EXPECT_EQ(read.pixelType, IOPixelEnum::COMPLEX) << name;
    EXPECT_EQ(read.componentType, component) << name;
    EXPECT_EQ(read.numberOfComponents, 2u) << name;
    EXPECT_EQ(read.bytes, ReadReference(Generated(name).at("values")).bytes) << name;
  }
}

TEST(NiBabelImageIO, ReadsNiBabelsRGBAndRGBAStructuresAsRGBAndRGBAPixels)
{
  for (const auto & [name, pixel, components] :
       { std::tuple{ "rgb24", IOPixelEnum::RGB, 3u }, std::tuple{ "rgba32", IOPixelEnum::RGBA, 4u } })
  {
    const WholeRead read = ReadWithNiBabel(Generated(name).at("file"));
    EXPECT_EQ(read.pixelType, pixel) << name;
    EXPECT_EQ(read.componentType, IOComponentEnum::UCHAR) << name;
    EXPECT_EQ(read.numberOfComponents, components) << name;
    EXPECT_EQ(read.bytes, ReadReference(Generated(name).at("components"), true).bytes) << name;
  }
}

TEST(NiBabelImageIO, MapsBoolFloat16AndRefusesLongDoubleInTheNiBabelHelper)
{
  ReadWithNiBabel(Generated("tiny").at("file")); // creates the helper module
  PythonInterpreter::Execute(R"python(
import numpy as np
import _nibridge_nibabel_io as helper

# Components are named by Core's codes, which NiBridge gave the helper (uint8 is code 2, float32 code 9).
assert helper.component_type(np.uint8) == 2 and helper.component_type(np.float32) == 9
assert helper.pixel_of_dtype(np.bool_)[:3] == ("scalar", 2, 1)
assert helper.pixel_of_dtype(np.float16)[1] == 9 and helper.pixel_of_dtype(np.float16)[3] == np.float32
assert helper.pixel_of_dtype(np.dtype(">i2"))[3] == np.dtype("=i2")
for unsupported in (np.longdouble, np.clongdouble):
    try:
        helper.pixel_of_dtype(unsupported)
    except TypeError as error:
        assert "no ITK pixel holds" in str(error)
    else:
        raise AssertionError(unsupported)
)python",
                             "pixel mapping");
}

// ------------------------------------------------------------------------------------------------------------------
// Metadata

TEST(NiBabelImageIO, KeepsTheAffineUnitsTRIntentAndHeaderFieldsInTheMetaDataDictionary)
{
  const WholeRead mgh = ReadWithNiBabel(NiBabelFile("test.mgz"));
  EXPECT_EQ(MetaData(mgh, "NiBabel_ImageClass"), "MGHImage");
  EXPECT_EQ(MetaData(mgh, "NiBabel_RepetitionTime"), "2.0");
  EXPECT_EQ(MetaData(mgh, "NiBabel_TimeUnits"), "msec");
  EXPECT_EQ(MetaData(mgh, "NiBabel_SpatialUnits"), "mm");
  EXPECT_EQ(MetaData(mgh, "NiBabel_Header_dims"), "3 4 5 2");
  EXPECT_EQ(MetaData(mgh, itk::nibridge::RASAffineMetaDataKey()), "1 2 3 -13 2 3 1 -11.5 3 1 2 -11.5 0 0 0 1");

  const WholeRead nifti = ReadWithNiBabel(NiBabelFile("example4d.nii.gz"));
  EXPECT_EQ(MetaData(nifti, "NiBabel_SpatialUnits"), "mm");
  EXPECT_EQ(MetaData(nifti, "NiBabel_TimeUnits"), "sec");
  EXPECT_EQ(MetaData(nifti, "NiBabel_Intent"), "none");
  EXPECT_EQ(MetaData(nifti, "NiBabel_Header_descrip"),
            PythonInterpreter::Evaluate("__import__('nibabel').load(" + PythonString(NiBabelFile("example4d.nii.gz")) +
                                        ").header['descrip'].item().decode('latin-1')"));
  EXPECT_EQ(MetaData(nifti, "NiBabel_Header_sform_code"), "1");

  const WholeRead par = ReadWithNiBabel(NiBabelFile("phantom_EPI_asc_CLEAR_2_1.PAR"));
  EXPECT_EQ(MetaData(par, "NiBabel_ImageClass"), "PARRECImage");
  EXPECT_EQ(MetaData(par, "NiBabel_TimeUnits"), "msec");
  EXPECT_FALSE(MetaData(par, "NiBabel_Header_patient_name").empty());

  const WholeRead afni = ReadWithNiBabel(NiBabelFile("example4d+orig.HEAD"));
  EXPECT_EQ(MetaData(afni, "NiBabel_ImageClass"), "AFNIImage");
  EXPECT_EQ(MetaData(afni, "NiBabel_Header_DATASET_DIMENSIONS").rfind("33 41 25", 0), 0u);
}

TEST(NiBabelImageIO, ReadsCIFTI2AsAnNDImageWithItsAxesInTheMetaData)
{
  const WholeRead cifti = ReadWithNiBabel(NiBabelFile("row_major.dconn.nii"));
  EXPECT_EQ(cifti.size, (std::vector<itk::SizeValueType>{ 10, 10 }));
  ExpectSameGeometry(cifti, itk::nibridge::ImageGeometry::Identity(2));
  EXPECT_EQ(MetaData(cifti, "NiBabel_ImageClass"), "Cifti2Image");
  EXPECT_EQ(MetaData(cifti, "NiBabel_CIFTI2_Axis0").rfind("BrainModelAxis of 10 grayordinates", 0), 0u)
    << MetaData(cifti, "NiBabel_CIFTI2_Axis0");
  EXPECT_TRUE(Contains(MetaData(cifti, "NiBabel_CIFTI2_XML"), "CIFTI"));
  EXPECT_FALSE(MetaData(cifti, "NiBabel_Intent").empty());
  EXPECT_TRUE(MetaData(cifti, itk::nibridge::RASAffineMetaDataKey()).empty()) << "CIFTI-2 has no affine";
}

TEST(NiBabelImageIO, KeepsNiBabelsWarningsWithTheImageInsteadOfPrintingThem)
{
  const std::string fileName = NiBabelFile("minc2_baddim.mnc");
  auto              imageIO = itk::NiBabelImageIO::New();
  const WholeRead   read = ReadWhole(imageIO, fileName);
  EXPECT_TRUE(Contains(MetaData(read, "NiBabel_Warnings"), "UserWarning: Invalid spacing declaration"))
    << MetaData(read, "NiBabel_Warnings");
  EXPECT_TRUE(Contains(imageIO->GetNiBabelWarnings(), "UserWarning: Invalid spacing declaration"));
  // Every read, not once per process.
  EXPECT_EQ(MetaData(ReadWithNiBabel(fileName), "NiBabel_Warnings"), MetaData(read, "NiBabel_Warnings"));
  // And nothing on the program's stderr.
  const nibridge_test::ChildResult child = nibridge_test::RunHelper({ "read", fileName });
  EXPECT_EQ(child.exitCode, 0) << child.output;
  EXPECT_EQ(child.output, "read NiBabelImageIO size [10, 10, 10, 1]\n");
}

// ------------------------------------------------------------------------------------------------------------------
// Writing

TEST(NiBabelImageIO, WritesMGZBackWithNiBabelsAffineValuesAndTRExactly)
{
  using ImageType = itk::Image<float, 4>;
  itk::NiBabelImageIOFactoryRegister__Private();
  const std::string source = NiBabelFile("test.mgz");
  const std::string target = OutputPath("test.mgz");
  auto              reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(source);
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(reader->GetOutput());
  writer->SetFileName(target);
  writer->Update();
  EXPECT_STREQ(writer->GetImageIO()->GetNameOfClass(), "NiBabelImageIO");
  EXPECT_EQ(PythonInterpreter::Evaluate("(lambda np, nib, a, b: np.array_equal(a.affine, b.affine) and "
                                        "np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj)) and "
                                        "a.header['tr'] == b.header['tr'] and b.get_data_dtype() == a.get_data_dtype())"
                                        "(__import__('numpy'), __import__('nibabel'), __import__('nibabel').load(" +
                                        PythonString(source) + "), __import__('nibabel').load(" + PythonString(target) +
                                        "))"),
            "True");
  EXPECT_TRUE(NoTemporaryFilesBeside(target));
}

TEST(NiBabelImageIO, WritesNIfTI2WhenAskedWithTheGeometrysAffineExactly)
{
  using ImageType = itk::Image<short, 3>;
  auto image = MakeImage<ImageType>({ { 7, 5, 3 } });
  SetObliqueGeometry(image.GetPointer());
  short value = -300;
  for (itk::ImageRegionIteratorWithIndex<ImageType> pixel(image, image->GetBufferedRegion()); !pixel.IsAtEnd(); ++pixel)
  {
    pixel.Set(value);
    value += 7;
  }
  const std::string target = OutputPath("oblique.nii.gz");
  auto              imageIO = itk::NiBabelImageIO::New();
  EXPECT_FALSE(imageIO->CanWriteFile(target.c_str())) << ".nii stays with ITK's NiftiImageIO unless asked";
  imageIO->WriteNIfTI2On();
  EXPECT_TRUE(imageIO->CanWriteFile(target.c_str()));
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetImageIO(imageIO);
  writer->SetInput(image);
  writer->SetFileName(target);
  writer->Update();

  EXPECT_EQ(
    PythonInterpreter::Evaluate(
      "(lambda image: (image.header.sizeof_hdr, image.affine.tolist() == " + ExpectedAffineLiteral(image.GetPointer()) +
      ", image.get_data_dtype().name))(__import__('nibabel').load(" + PythonString(target) + "))"),
    "(540, True, 'int16')");
  const WholeRead back = ReadWithNiBabel(target);
  EXPECT_EQ(back.size, (std::vector<itk::SizeValueType>{ 7, 5, 3 }));
  ASSERT_EQ(back.bytes.size(), image->GetBufferedRegion().GetNumberOfPixels() * sizeof(short));
  EXPECT_EQ(std::memcmp(back.bytes.data(), image->GetBufferPointer(), back.bytes.size()), 0);
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    EXPECT_NEAR(back.spacing[axis], image->GetSpacing()[axis], 1e-12);
    EXPECT_NEAR(back.origin[axis], image->GetOrigin()[axis], 1e-12);
  }
}

TEST(NiBabelImageIO, WritesAnImageReadFromCIFTI2BackAsCIFTI2WithItsAxes)
{
  const std::string source = NiBabelFile("row_major.dconn.nii");
  const std::string target = OutputPath("copy.dconn.nii");
  using ImageType = itk::Image<float, 2>;
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetImageIO(itk::NiBabelImageIO::New());
  reader->SetFileName(source);
  reader->Update();
  auto writerIO = itk::NiBabelImageIO::New();
  writerIO->WriteNIfTI2On();
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetImageIO(writerIO);
  writer->SetInput(reader->GetOutput());
  writer->SetFileName(target);
  writer->Update();

  EXPECT_EQ(PythonInterpreter::Evaluate("(lambda nibabel, numpy: (lambda a, b: (type(b).__name__, "
                                        "a.header.to_xml() == b.header.to_xml(), "
                                        "bool(numpy.array_equal(numpy.asarray(a.dataobj), numpy.asarray(b.dataobj)))))"
                                        "(nibabel.load(" +
                                        PythonString(source) + "), nibabel.load(" + PythonString(target) +
                                        ")))(__import__('nibabel'), __import__('numpy'))"),
            "('Cifti2Image', True, True)");
  EXPECT_TRUE(NoTemporaryFilesBeside(target));
}

TEST(NiBabelImageIO, WritesComplexAndRGBImagesAsNIfTI2)
{
  for (const char * name : { "complex128", "rgba32" })
  {
    const std::string source = Generated(name).at("file");
    const std::string target = OutputPath(std::string(name) + ".nii");
    auto              reader = itk::NiBabelImageIO::New();
    const WholeRead   read = ReadWhole(reader, source);
    auto              imageIO = itk::NiBabelImageIO::New();
    imageIO->WriteNIfTI2On();
    imageIO->SetFileName(target);
    imageIO->SetNumberOfDimensions(3);
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      imageIO->SetDimensions(axis, read.size[axis]);
      imageIO->SetSpacing(axis, read.spacing[axis]);
      imageIO->SetOrigin(axis, read.origin[axis]);
      imageIO->SetDirection(
        axis, std::vector<double>{ read.direction[0][axis], read.direction[1][axis], read.direction[2][axis] });
    }
    imageIO->SetPixelType(read.pixelType);
    imageIO->SetComponentType(read.componentType);
    imageIO->SetNumberOfComponents(read.numberOfComponents);
    imageIO->SetMetaDataDictionary(read.dictionary);
    imageIO->WriteImageInformation();
    imageIO->Write(read.bytes.data());
    EXPECT_EQ(PythonInterpreter::Evaluate("(lambda np, nib, a, b: np.array_equal(a.affine, b.affine) and "
                                          "np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj)))"
                                          "(__import__('numpy'), __import__('nibabel'), __import__('nibabel').load(" +
                                          PythonString(source) + "), __import__('nibabel').load(" +
                                          PythonString(target) + "))"),
              "True")
      << name;
  }
}

TEST(NiBabelImageIO, WritesMGHOnlyInTypesThatHoldEveryValueExactly)
{
  using ImageType = itk::Image<double, 3>;
  auto image = MakeImage<ImageType>({ { 4, 3, 2 } });
  image->FillBuffer(1.5); // exact in float32: written as float32
  const std::string exact = OutputPath("exact.mgh");
  auto              writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetImageIO(itk::NiBabelImageIO::New());
  writer->SetInput(image);
  writer->SetFileName(exact);
  writer->Update();
  EXPECT_EQ(
    PythonInterpreter::Evaluate("__import__('nibabel').load(" + PythonString(exact) + ").get_data_dtype().name"),
    "float32");

  image->FillBuffer(0.1); // not a float32: refused, and no file left behind
  const std::string inexact = OutputPath("inexact.mgz");
  writer->SetFileName(inexact);
  writer->Modified();
  const std::string description = ExceptionDescription([&writer]() { writer->Update(); });
  EXPECT_TRUE(Contains(description, '"' + inexact + '"')) << description;
  EXPECT_TRUE(Contains(description, "MGH stores uint8, int16, int32 and float32")) << description;
  EXPECT_TRUE(Contains(description, "cast the image first")) << description;
  EXPECT_FALSE(std::filesystem::exists(inexact));
  EXPECT_TRUE(NoTemporaryFilesBeside(inexact));

  using UnsignedImageType = itk::Image<unsigned short, 3>;
  auto unsignedImage = MakeImage<UnsignedImageType>({ { 4, 3, 2 } });
  unsignedImage->FillBuffer(40000); // beyond int16: int32
  const std::string widened = OutputPath("widened.mgz");
  auto              unsignedWriter = itk::ImageFileWriter<UnsignedImageType>::New();
  unsignedWriter->SetImageIO(itk::NiBabelImageIO::New());
  unsignedWriter->SetInput(unsignedImage);
  unsignedWriter->SetFileName(widened);
  unsignedWriter->Update();
  EXPECT_EQ(PythonInterpreter::Evaluate("(lambda image: (image.get_data_dtype().name, int(image.get_fdata().max())))"
                                        "(__import__('nibabel').load(" +
                                        PythonString(widened) + "))"),
            "('int32', 40000)");
}

// ------------------------------------------------------------------------------------------------------------------
// Bad input: a clear exception naming the file and the reason, at read time.

TEST(NiBabelImageIO, RefusesBadFilesNamingTheFileAndNiBabelsReason)
{
  const auto &                                bad = Generated("bad");
  const std::pair<const char *, const char *> cases[] = {
    { "truncated_mgz", "EOFError: Compressed file ended before the end-of-stream marker was reached" },
    { "par_without_rec", "FileNotFoundError: [Errno 2] No such file or directory" },
    { "broken_afni_head", "KeyError: 'DATASET_DIMENSIONS'" },
    { "bad_type_mgh", "KeyError: 99" },
    { "nan_affine", "the affine has a non-finite element" },
  };
  for (const auto & [name, reason] : cases)
  {
    const std::string fileName = bad.at(name);
    using ImageType = itk::Image<float, 3>;
    auto reader = itk::ImageFileReader<ImageType>::New();
    reader->SetImageIO(itk::NiBabelImageIO::New());
    reader->SetFileName(fileName);
    const std::string description = ExceptionDescription([&reader]() { reader->Update(); });
    EXPECT_TRUE(Contains(description, '"' + fileName + '"')) << name << ": " << description;
    EXPECT_TRUE(Contains(description, reason)) << name << ": " << description;
  }
}

TEST(NiBabelImageIO, RefusesAMissingFileAndARegionOutsideTheImage)
{
  const std::string missing = OutputPath("missing.mgz");
  const std::string description = ExceptionDescription([&missing]() { ReadWithNiBabel(missing); });
  EXPECT_TRUE(Contains(description, '"' + missing + '"')) << description;
  EXPECT_TRUE(Contains(description, "FileNotFoundError")) << description;

  auto imageIO = itk::NiBabelImageIO::New();
  imageIO->SetFileName(Generated("tiny").at("file").get<std::string>());
  imageIO->ReadImageInformation();
  itk::ImageIORegion region(3);
  region.SetIndex({ 1, 0, 0 });
  region.SetSize({ 2, 3, 4 }); // one beyond the first axis
  imageIO->SetIORegion(region);
  std::vector<char> buffer(2 * 3 * 4 * sizeof(short));
  const std::string outside = ExceptionDescription([&]() { imageIO->Read(buffer.data()); });
  EXPECT_TRUE(Contains(outside, "the requested region lies outside the image")) << outside;
}

TEST(NiBabelImageIO, PrintsEveryMember)
{
  auto imageIO = itk::NiBabelImageIO::New();
  imageIO->SetReadAsFloat64(true);
  ReadWhole(imageIO, NiBabelFile("test.mgz"));
  std::ostringstream text;
  imageIO->Print(text);
  for (const char * member : { "ReadRawValues: Off",
                               "ReadAsFloat64: On",
                               "WriteNIfTI2: Off",
                               "ImageClassName: MGHImage",
                               "Streamable: yes",
                               "InformationValues: float64",
                               "NiBabel volume: open",
                               "Python: started by NiBridge" })
  {
    EXPECT_TRUE(Contains(text.str(), member)) << member << " in\n" << text.str();
  }
}
