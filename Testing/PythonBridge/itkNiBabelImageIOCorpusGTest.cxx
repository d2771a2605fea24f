/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// Every file of nibabel's own test data (nibabel/tests/data) with an image extension, one test each: what
// NiBabelImageIO reads equals what nibabel reads (references by nibridge_python_test_data.py, in another process).

#include "itkNiBabelImageIO.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgePythonTestSupport.h"
#include "itkNumPyImageIO.h"

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkMetaDataObject.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace
{
using nibridge_test::Manifest;
using nibridge_test::ReadWhole;
using nibridge_test::WholeRead;

/** The cases: nibabel's test files with an image extension, named as nibridge_python_test_data.py names them. */
std::vector<std::string>
CorpusCases()
{
  static const char * const suffixes[] = { ".nii", ".nii.gz", ".hdr",  ".mgh",  ".mgz",     ".mnc",
                                           ".par", ".rec",    ".head", ".brik", ".brik.gz", ".v" };
  std::vector<std::string>  cases;
  std::error_code           ignored;
  for (const auto & entry : std::filesystem::directory_iterator(NIBRIDGE_NIBABEL_DATA_DIR, ignored))
  {
    std::string name = entry.path().filename().string();
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool image = std::any_of(std::begin(suffixes), std::end(suffixes), [&lower](const std::string & suffix) {
      return lower.size() > suffix.size() && lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
    });
    if (entry.is_regular_file() && image)
    {
      std::replace_if(
        name.begin(), name.end(), [](unsigned char c) { return !std::isalnum(c); }, '_');
      cases.push_back(name);
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

itk::nibridge::AffineMatrix
AffineOf(const nlohmann::json & texts)
{
  itk::nibridge::AffineMatrix affine{};
  for (unsigned int element = 0; element < 16; ++element)
  {
    affine[element / 4][element % 4] = std::stod(texts.at(element).get<std::string>());
  }
  return affine;
}

std::vector<double>
Doubles(const nlohmann::json & texts)
{
  std::vector<double> values;
  for (const auto & text : texts)
  {
    values.push_back(text.is_string() ? std::stod(text.get<std::string>()) : text.get<double>());
  }
  return values;
}

/** Expects the buffer and pixel description of `actual` to be those of the .npy reference, byte for byte. */
void
ExpectSameValues(const WholeRead & actual, const std::string & referenceFile, const std::string & what)
{
  auto            referenceIO = itk::NumPyImageIO::New();
  const WholeRead reference = ReadWhole(referenceIO, referenceFile);
  EXPECT_EQ(actual.componentType, reference.componentType) << what;
  EXPECT_EQ(actual.numberOfComponents, reference.numberOfComponents) << what;
  ASSERT_EQ(actual.bytes.size(), reference.bytes.size()) << what;
  EXPECT_TRUE(std::memcmp(actual.bytes.data(), reference.bytes.data(), actual.bytes.size()) == 0)
    << what << ": the values differ from nibabel's";
}

class NiBabelCorpus : public ::testing::TestWithParam<std::string>
{};
} // namespace

TEST_P(NiBabelCorpus, ReadsWhatNiBabelReadsWithItsGeometryAndValues)
{
  const nlohmann::json & entry = Manifest().at("corpus").at(GetParam());
  const std::string      fileName = entry.at("file");
  auto                   imageIO = itk::NiBabelImageIO::New();

  if (!entry.at("loads").get<bool>())
  {
    // nibabel refuses it: NiBabelImageIO too, naming the file and nibabel's reason.
    const std::string nibabelError = entry.at("error");
    try
    {
      ReadWhole(imageIO, fileName);
      ADD_FAILURE() << "read a file nibabel refuses: " << nibabelError;
    }
    catch (const itk::ExceptionObject & error)
    {
      const std::string description = error.GetDescription();
      EXPECT_NE(description.find('"' + fileName + '"'), std::string::npos) << description;
      EXPECT_NE(description.find(nibabelError.substr(0, nibabelError.find('\n'))), std::string::npos)
        << description << "\nnibabel: " << nibabelError;
    }
    return;
  }

  const WholeRead actual = ReadWhole(imageIO, fileName);
  EXPECT_EQ(imageIO->GetImageClassName(), entry.at("image_class").get<std::string>());
  const auto expectedSize = entry.at("itk_size").get<std::vector<itk::SizeValueType>>();
  ASSERT_EQ(actual.size, expectedSize);
  ExpectSameValues(actual, entry.at("values"), "numpy.asarray(img.dataobj)");

  // Geometry: GeometryFromRASAffine of nibabel's affine, bit for bit; and DESIGN.md's formulas computed by numpy.
  const auto dimension = static_cast<unsigned int>(expectedSize.size());
  if (entry.at("affine").is_null())
  {
    const auto identity = itk::nibridge::ImageGeometry::Identity(dimension);
    EXPECT_EQ(actual.spacing, identity.spacing);
    EXPECT_EQ(actual.origin, identity.origin);
    EXPECT_EQ(actual.direction, identity.direction);
  }
  else
  {
    const auto affine = AffineOf(entry.at("affine"));
    const auto expected =
      itk::nibridge::GeometryFromRASAffine(affine, dimension, Doubles(entry.at("extra_spacing")), fileName);
    EXPECT_EQ(actual.spacing, expected.spacing);
    EXPECT_EQ(actual.origin, expected.origin);
    EXPECT_EQ(actual.direction, expected.direction);
    const std::vector<double> spacing = Doubles(entry.at("lps").at("spacing"));
    const std::vector<double> origin = Doubles(entry.at("lps").at("origin"));
    const std::vector<double> direction = Doubles(entry.at("lps").at("direction"));
    const unsigned int        spatial = static_cast<unsigned int>(spacing.size());
    for (unsigned int row = 0; row < spatial; ++row)
    {
      EXPECT_NEAR(actual.spacing[row], spacing[row], 1e-12 * spacing[row]);
      EXPECT_NEAR(actual.origin[row], origin[row], 1e-12 * (1.0 + std::abs(origin[row])));
      for (unsigned int column = 0; column < spatial; ++column)
      {
        EXPECT_NEAR(actual.direction[row][column], direction[row * spatial + column], 1e-14);
      }
    }
    std::string affineText;
    ASSERT_TRUE(itk::ExposeMetaData<std::string>(actual.dictionary, itk::nibridge::RASAffineMetaDataKey(), affineText));
    std::istringstream stream(affineText);
    for (const auto & row : affine)
    {
      for (const double value : row)
      {
        std::string number;
        stream >> number;
        EXPECT_EQ(std::stod(number), value) << "the stored affine is not exact: " << affineText;
      }
    }
  }

  // img.get_fdata(), through itk::ImageFileReader.
  using FloatImageType = itk::Image<double, 4>;
  auto float64IO = itk::NiBabelImageIO::New();
  float64IO->SetReadAsFloat64(true);
  auto reader = itk::ImageFileReader<FloatImageType>::New();
  reader->SetImageIO(float64IO);
  reader->SetFileName(fileName);
  reader->Update();
  auto            fdataIO = itk::NumPyImageIO::New();
  const WholeRead fdata = ReadWhole(fdataIO, entry.at("fdata"));
  const auto *    image = reader->GetOutput();
  ASSERT_EQ(image->GetBufferedRegion().GetNumberOfPixels() * sizeof(double), fdata.bytes.size());
  EXPECT_TRUE(std::memcmp(image->GetBufferPointer(), fdata.bytes.data(), fdata.bytes.size()) == 0)
    << "the float64 values differ from img.get_fdata()";
  for (unsigned int axis = 0; axis < std::min(dimension, 4u); ++axis)
  {
    EXPECT_EQ(image->GetSpacing()[axis], actual.spacing[axis]);
    EXPECT_EQ(image->GetOrigin()[axis], actual.origin[axis]);
  }

  // The stored values, where nibabel has them.
  if (!entry.at("raw").is_null())
  {
    auto rawIO = itk::NiBabelImageIO::New();
    rawIO->SetReadRawValues(true);
    ExpectSameValues(ReadWhole(rawIO, fileName), entry.at("raw"), "img.dataobj.get_unscaled()");
  }
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(NiBabelCorpus); // nibabel missing when CMake ran

INSTANTIATE_TEST_SUITE_P(NiBabelTestData,
                         NiBabelCorpus,
                         ::testing::ValuesIn(CorpusCases()),
                         [](const ::testing::TestParamInfo<std::string> & info) { return info.param; });
