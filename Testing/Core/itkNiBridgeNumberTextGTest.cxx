/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeNumberText.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <string>

// The expected texts are Python's repr(float(x)) (= str(numpy.float64(x))) and NumPy's str(numpy.float32(x)).

namespace
{
using itk::nibridge::NumPyFloat32Text;
using itk::nibridge::PythonFloatText;
} // namespace

TEST(NiBridgeNumberText, PythonFloatTextIsTheShortestTextThatReadsBack)
{
  EXPECT_EQ(PythonFloatText(1.0), "1.0");
  EXPECT_EQ(PythonFloatText(0.5), "0.5");
  EXPECT_EQ(PythonFloatText(100.0), "100.0");
  EXPECT_EQ(PythonFloatText(0.1), "0.1");
  EXPECT_EQ(PythonFloatText(0.3), "0.3");
  EXPECT_EQ(PythonFloatText(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(PythonFloatText(123.456), "123.456");
  EXPECT_EQ(PythonFloatText(123456789.0), "123456789.0");
  EXPECT_EQ(PythonFloatText(-2.5), "-2.5");
  EXPECT_EQ(PythonFloatText(static_cast<double>(0.1f)), "0.10000000149011612") << "a float32 widened";
}

TEST(NiBridgeNumberText, PythonFloatTextIsPositionalFromOneTenThousandthToBelowTenToTheSixteen)
{
  EXPECT_EQ(PythonFloatText(1e-4), "0.0001");
  EXPECT_EQ(PythonFloatText(std::nextafter(1e-4, 0.0)), "9.999999999999999e-05");
  EXPECT_EQ(PythonFloatText(1e-5), "1e-05");
  EXPECT_EQ(PythonFloatText(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(PythonFloatText(1e15), "1000000000000000.0");
  EXPECT_EQ(PythonFloatText(9007199254740992.0), "9007199254740992.0");
  EXPECT_EQ(PythonFloatText(std::nextafter(1e16, 0.0)), "9999999999999998.0");
  EXPECT_EQ(PythonFloatText(1e16), "1e+16");
  EXPECT_EQ(PythonFloatText(1.5e16), "1.5e+16");
  EXPECT_EQ(PythonFloatText(12345678901234567.0), "1.2345678901234568e+16");
  EXPECT_EQ(PythonFloatText(1e22), "1e+22");
}

TEST(NiBridgeNumberText, PythonFloatTextOfTheExtremesZerosAndNonFiniteValues)
{
  EXPECT_EQ(PythonFloatText(0.0), "0.0");
  EXPECT_EQ(PythonFloatText(-0.0), "-0.0");
  EXPECT_EQ(PythonFloatText(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(PythonFloatText(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(PythonFloatText(-std::numeric_limits<double>::max()), "-1.7976931348623157e+308");
  EXPECT_EQ(PythonFloatText(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(PythonFloatText(-std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(PythonFloatText(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(PythonFloatText(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(NiBridgeNumberText, NumPyFloat32TextIsTheShortestTextThatReadsBackAsTheSameFloat32)
{
  EXPECT_EQ(NumPyFloat32Text(1.0f), "1.0");
  EXPECT_EQ(NumPyFloat32Text(0.1f), "0.1");
  EXPECT_EQ(NumPyFloat32Text(0.36f), "0.36");
  EXPECT_EQ(NumPyFloat32Text(1.1f), "1.1");
  EXPECT_EQ(NumPyFloat32Text(1.0f / 3.0f), "0.33333334");
  EXPECT_EQ(NumPyFloat32Text(2.5f), "2.5");
  EXPECT_EQ(NumPyFloat32Text(-123.25f), "-123.25");
  EXPECT_EQ(NumPyFloat32Text(123456.7f), "123456.7");
  EXPECT_EQ(NumPyFloat32Text(0.00012345f), "0.00012345");
}

TEST(NiBridgeNumberText, NumPyFloat32TextIsPositionalFromOneTenThousandthToBelowAMillion)
{
  EXPECT_EQ(NumPyFloat32Text(999999.0f), "999999.0");
  EXPECT_EQ(NumPyFloat32Text(std::nextafter(1e6f, 0.0f)), "999999.94");
  EXPECT_EQ(NumPyFloat32Text(1e6f), "1e+06");
  EXPECT_EQ(NumPyFloat32Text(-1e6f), "-1e+06");
  EXPECT_EQ(NumPyFloat32Text(16777216.0f), "1.6777216e+07");
  EXPECT_EQ(NumPyFloat32Text(123456789.0f), "1.2345679e+08");
  EXPECT_EQ(NumPyFloat32Text(1e16f), "1e+16");
  EXPECT_EQ(NumPyFloat32Text(1e38f), "1e+38");
  EXPECT_EQ(NumPyFloat32Text(1e5f), "100000.0");
  // float32(1e-4) lies just below 1e-4: scientific. The next float32 up is positional.
  EXPECT_EQ(NumPyFloat32Text(1e-4f), "1e-04");
  EXPECT_EQ(NumPyFloat32Text(std::nextafter(1e-4f, 1.0f)), "0.000100000005");
  EXPECT_EQ(NumPyFloat32Text(5e-5f), "5e-05");
  EXPECT_EQ(NumPyFloat32Text(-1e-5f), "-1e-05");
}

TEST(NiBridgeNumberText, NumPyFloat32TextOfTheExtremesZerosAndNonFiniteValues)
{
  EXPECT_EQ(NumPyFloat32Text(0.0f), "0.0");
  EXPECT_EQ(NumPyFloat32Text(-0.0f), "-0.0");
  EXPECT_EQ(NumPyFloat32Text(std::numeric_limits<float>::denorm_min()), "1e-45");
  EXPECT_EQ(NumPyFloat32Text(std::numeric_limits<float>::max()), "3.4028235e+38");
  EXPECT_EQ(NumPyFloat32Text(std::numeric_limits<float>::quiet_NaN()), "nan");
  EXPECT_EQ(NumPyFloat32Text(std::numeric_limits<float>::infinity()), "inf");
  EXPECT_EQ(NumPyFloat32Text(-std::numeric_limits<float>::infinity()), "-inf");
}
