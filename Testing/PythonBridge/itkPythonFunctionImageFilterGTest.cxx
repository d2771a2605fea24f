/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// PythonFunctionImageFilter in a C++ program (NiBridge starts Python): functions by name and by source, the geometry
// keyword, results taken without a copy, the errors, streaming with a padding radius, and several threads running
// pipelines of Python steps at once.
#include "itkPythonFunctionImageFilter.h"

#include "itkNiBridgePythonInterpreter.h"

#include "itkImage.h"
#include "itkImageRegionConstIterator.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkShiftScaleImageFilter.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"

#include "itkNiBridgePythonTestSupport.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace
{
using itk::nibridge::PythonInterpreter;
using nibridge_test::ExceptionDescription;

using FloatImage = itk::Image<float, 3>;
using Filter = itk::PythonFunctionImageFilter<FloatImage>;

/** An image of `size`^3 voxels whose value at (i, j, k) is i + 10 j + 100 k, spacing (0.5, 1, 2). */
FloatImage::Pointer
RampImage(itk::SizeValueType size)
{
  auto image = FloatImage::New();
  image->SetRegions(FloatImage::SizeType{ { size, size, size } });
  image->Allocate();
  for (itk::ImageRegionIteratorWithIndex<FloatImage> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    const auto index = it.GetIndex();
    it.Set(static_cast<float>(index[0] + 10 * index[1] + 100 * index[2]));
  }
  FloatImage::SpacingType spacing;
  spacing[0] = 0.5;
  spacing[1] = 1.0;
  spacing[2] = 2.0;
  image->SetSpacing(spacing);
  return image;
}

FloatImage::Pointer
RunSource(const std::string & source, const FloatImage * input)
{
  auto filter = Filter::New();
  filter->SetInput(input);
  filter->SetFunctionSource(source);
  filter->Update();
  return filter->GetOutput();
}

/** The largest absolute difference of two images of one size. */
double
MaximumDifference(const FloatImage * first, const FloatImage * second)
{
  itk::ImageRegionConstIterator<FloatImage> a(first, first->GetBufferedRegion());
  itk::ImageRegionConstIterator<FloatImage> b(second, second->GetBufferedRegion());
  double                                    largest = 0;
  for (; !a.IsAtEnd() && !b.IsAtEnd(); ++a, ++b)
  {
    largest = std::max(largest, std::abs(static_cast<double>(a.Get()) - b.Get()));
  }
  EXPECT_TRUE(a.IsAtEnd() && b.IsAtEnd()) << "images of different sizes";
  return largest;
}

std::size_t
ResidentBytes()
{
  std::ifstream statm("/proc/self/statm");
  std::size_t   pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}
} // namespace

TEST(PythonFunctionImageFilter, RunsFunctionSourceOnTheViewAndTakesItsResultWithoutACopy)
{
  const auto image = RampImage(4);
  const auto output = RunSource("import sys\n"
                                "def function(a):\n"
                                "    assert not a.flags.writeable and a.shape == (4, 4, 4)\n"
                                "    result = a * 2\n"
                                "    sys._nibridge_test_result = result.ctypes.data\n"
                                "    return result\n",
                                image);
  EXPECT_EQ(output->GetPixel({ { 3, 2, 1 } }), 2.0f * 123);
  EXPECT_EQ(PythonInterpreter::Evaluate("__import__('sys')._nibridge_test_result"),
            std::to_string(reinterpret_cast<std::uintptr_t>(output->GetBufferPointer())))
    << "the output's pixels are the result's memory";
  EXPECT_EQ(output->GetSpacing(), image->GetSpacing());
}

TEST(PythonFunctionImageFilter, CopiesAResultThatCannotBeAView)
{
  const auto image = RampImage(4);
  const auto same = RunSource("def function(a):\n    return a\n", image); // the read-only input itself
  EXPECT_EQ(MaximumDifference(same, image), 0.0);
  EXPECT_NE(same->GetBufferPointer(), image->GetBufferPointer()) << "never the input's memory";
  const auto transposed =
    RunSource("import numpy as np\ndef function(a):\n    return np.ascontiguousarray(a.T).T + 1\n", image); // strided
  EXPECT_EQ(transposed->GetPixel({ { 3, 2, 1 } }), 124.0f);
}

TEST(PythonFunctionImageFilter, FindsModuleFunctionsAndPassesTheGeometryToFunctionsThatTakeIt)
{
  const auto image = RampImage(4);
  auto       filter = Filter::New();
  filter->SetInput(image);
  filter->SetFunctionName("numpy:negative");
  filter->Update();
  EXPECT_EQ(filter->GetOutput()->GetPixel({ { 3, 2, 1 } }), -123.0f);

  const auto output =
    RunSource("def function(a, geometry):\n"
              "    return (a + geometry['spacing'][2] * 1000 + geometry['affine'][0, 0]).astype(a.dtype)\n",
              image);
  EXPECT_EQ(output->GetPixel({ { 3, 2, 1 } }), 123.0f + 2000.0f - 0.5f) << "spacing (0.5, 1, 2); affine[0, 0] = -0.5";

  const auto keyworded = RunSource("def function(*arrays, **options):\n"
                                   "    return arrays[0] + float(options['geometry']['origin'][0] == 0)\n",
                                   image);
  EXPECT_EQ(keyworded->GetPixel({ { 3, 2, 1 } }), 124.0f);
}

TEST(PythonFunctionImageFilter, GivesEveryInputToTheFunction)
{
  const auto first = RampImage(4);
  const auto second = RampImage(4);
  auto       filter = Filter::New();
  filter->SetInput(0, first);
  filter->SetInput(1, second);
  filter->SetFunctionSource("def combine(a, b):\n    return a * 10 + b\n", "combine");
  filter->Update();
  EXPECT_EQ(filter->GetOutput()->GetPixel({ { 3, 2, 1 } }), 1353.0f);
}

TEST(PythonFunctionImageFilter, SaysWhatWasReturnedAndWhatWasExpected)
{
  const auto  image = RampImage(4);
  std::string error =
    ExceptionDescription([&]() { RunSource("def function(a):\n    return a.astype('float64')\n", image); });
  EXPECT_NE(error.find("PythonFunctionImageFilter (<PythonFunction source>:function), its result"), std::string::npos)
    << error;
  EXPECT_NE(error.find("shape (4, 4, 4) and dtype float64"), std::string::npos) << error;
  EXPECT_NE(error.find("of dtype float32"), std::string::npos) << error;

  error = ExceptionDescription([&]() { RunSource("def function(a):\n    return a[1:]\n", image); });
  EXPECT_NE(error.find("its shape is not the image region's, (4, 4, 4)"), std::string::npos) << error;

  error = ExceptionDescription([&]() { RunSource("def function(a):\n    return a[0]\n", image); });
  EXPECT_NE(error.find("it has 2 axes"), std::string::npos) << error;

  error = ExceptionDescription([&]() { RunSource("def function(a):\n    return None\n", image); });
  EXPECT_NE(error.find("its result"), std::string::npos) << error;
}

TEST(PythonFunctionImageFilter, TurnsAPythonExceptionIntoAnExceptionObjectWithTheTraceback)
{
  const auto        image = RampImage(4);
  const std::string error = ExceptionDescription([&]() {
    RunSource("def check(a):\n"
              "    raise ValueError('no good: ' + str(a.shape))\n"
              "def function(a):\n"
              "    check(a)\n",
              image);
  });
  EXPECT_NE(error.find("ValueError: no good: (4, 4, 4)"), std::string::npos) << error;
  EXPECT_NE(error.find("Traceback"), std::string::npos) << error;
  EXPECT_NE(error.find("in check"), std::string::npos) << error;
  EXPECT_NE(error.find("raise ValueError('no good: ' + str(a.shape))"), std::string::npos)
    << "the source's lines in the traceback\n"
    << error;
}

TEST(PythonFunctionImageFilter, NamesAMissingModuleAMissingFunctionAndWhatIsNotCallable)
{
  const auto image = RampImage(2);
  const auto run = [&](const std::string & name) {
    return ExceptionDescription([&]() {
      auto filter = Filter::New();
      filter->SetInput(image);
      filter->SetFunctionName(name);
      filter->Update();
    });
  };
  std::string error = run("nibridge_no_such_module:function");
  EXPECT_NE(error.find("the module nibridge_no_such_module is not importable from the Python at"), std::string::npos)
    << error;
  EXPECT_NE(error.find("ModuleNotFoundError"), std::string::npos) << error;
  error = run("numpy:no_such_function");
  EXPECT_NE(error.find("numpy has no no_such_function"), std::string::npos) << error;
  error = run("numpy:pi");
  EXPECT_NE(error.find("numpy:pi is not callable: it is a float"), std::string::npos) << error;
  error = run("numpy");
  EXPECT_NE(error.find("expected module:function"), std::string::npos) << error;
  error = ExceptionDescription([&]() { RunSource("x = 1\n", image); });
  EXPECT_NE(error.find("the source defines no function"), std::string::npos) << error;
  error = ExceptionDescription([&]() { RunSource("def function(a):\n  return a\n return\n", image); });
  EXPECT_NE(error.find("IndentationError"), std::string::npos) << error;
  error = ExceptionDescription([&]() {
    auto filter = Filter::New();
    filter->SetInput(image);
    filter->Update();
  });
  EXPECT_NE(error.find("no Python function given"), std::string::npos) << error;
}

TEST(PythonFunctionImageFilter, StreamedSeesEachRequestedRegionPlusItsPaddingAndGivesTheWholeImagesResult)
{
  // A 3x3x3 box mean, edges repeated at the array's border: streamed with a padding of 1, every chunk's kept voxels
  // see their true neighbours, so the result is the unstreamed one to the bit.
  const std::string source = "import numpy as np, sys\n"
                             "def function(a):\n"
                             "    sys._nibridge_test_shapes.append(a.shape)\n"
                             "    p = np.pad(a, 1, mode='edge')\n"
                             "    n = a.shape\n"
                             "    total = sum(p[z:z + n[0], y:y + n[1], x:x + n[2]]\n"
                             "                for z in range(3) for y in range(3) for x in range(3))\n"
                             "    return (total / 27).astype(a.dtype)\n";
  PythonInterpreter::Execute("import sys; sys._nibridge_test_shapes = []");
  const auto image = RampImage(8);
  auto       whole = Filter::New();
  whole->SetInput(image);
  whole->SetFunctionSource(source);
  FloatImage::SizeType radius{ { 1, 1, 1 } };
  whole->SetPaddingRadius(radius);
  whole->Update();
  EXPECT_EQ(PythonInterpreter::Evaluate("__import__('sys')._nibridge_test_shapes"), "[(8, 8, 8)]");

  PythonInterpreter::Execute("import sys; sys._nibridge_test_shapes = []");
  auto streamed = Filter::New();
  streamed->SetInput(image);
  streamed->SetFunctionSource(source);
  streamed->SetPaddingRadius(radius);
  auto streamer = itk::StreamingImageFilter<FloatImage, FloatImage>::New();
  streamer->SetInput(streamed->GetOutput());
  streamer->SetNumberOfStreamDivisions(4);
  streamer->Update();
  // Four chunks of two k-slices each, padded by one slice where the image goes on, and one voxel within it elsewhere.
  EXPECT_EQ(PythonInterpreter::Evaluate("__import__('sys')._nibridge_test_shapes"),
            "[(3, 8, 8), (4, 8, 8), (4, 8, 8), (3, 8, 8)]");
  EXPECT_EQ(MaximumDifference(streamer->GetOutput(), whole->GetOutput()), 0.0);
  EXPECT_NE(MaximumDifference(streamer->GetOutput(), image), 0.0) << "the mean changed something";
}

TEST(PythonFunctionImageFilter, RunsManyPipelinesOfPythonStepsOnManyThreadsWithoutDeadlockDifferenceOrLeak)
{
  const auto image = RampImage(64); // 1 MiB of float32
  const auto pipeline = [&image]() {
    auto doubled = Filter::New();
    doubled->SetInput(image);
    doubled->SetFunctionSource("def function(a):\n    return a * 2\n");
    auto shifted = itk::ShiftScaleImageFilter<FloatImage, FloatImage>::New(); // ITK's threads, between the steps
    shifted->SetInput(doubled->GetOutput());
    shifted->SetShift(1.0);
    auto negated = Filter::New();
    negated->SetInput(shifted->GetOutput());
    negated->SetFunctionName("numpy:negative");
    auto squared = Filter::New();
    squared->SetInput(negated->GetOutput());
    squared->SetFunctionSource("import numpy as np\ndef function(a):\n    return np.square(a)\n");
    squared->Update();
    FloatImage::Pointer result = squared->GetOutput();
    result->DisconnectPipeline();
    return result;
  };
  const FloatImage::Pointer reference = pipeline();
  EXPECT_EQ(reference->GetPixel({ { 3, 2, 1 } }), 247.0f * 247.0f);

  const auto runMany = [&](int repetitions) {
    std::vector<std::thread> threads;
    std::vector<double>      differences(4, -1.0);
    for (std::size_t thread = 0; thread < differences.size(); ++thread)
    {
      threads.emplace_back([&, thread]() {
        double largest = 0;
        for (int repetition = 0; repetition < repetitions; ++repetition)
        {
          largest = std::max(largest, MaximumDifference(pipeline(), reference));
        }
        differences[thread] = largest;
      });
    }
    for (auto & thread : threads)
    {
      thread.join();
    }
    for (const double difference : differences)
    {
      EXPECT_EQ(difference, 0.0) << "every thread's every run gives the reference";
    }
  };
  runMany(5); // allocators and caches settle
  const std::size_t before = ResidentBytes();
  runMany(50); // 200 pipelines of 3 Python steps, 800 MiB of images made and released
  const std::size_t after = ResidentBytes();
  EXPECT_LT(after, before + 24 * 1024 * 1024) << "resident memory grew from " << before << " to " << after << " bytes";
}

TEST(PythonFunctionImageFilter, GivesAVectorImagesComponentsAsATrailingAxis)
{
  using VectorImage = itk::VectorImage<float, 2>;
  auto image = VectorImage::New();
  image->SetRegions(VectorImage::SizeType{ { 3, 2 } });
  image->SetNumberOfComponentsPerPixel(2);
  image->Allocate();
  itk::VariableLengthVector<float> pixel(2);
  pixel[0] = 1;
  pixel[1] = 2;
  image->FillBuffer(pixel);
  auto filter = itk::PythonFunctionImageFilter<VectorImage>::New();
  filter->SetInput(image);
  filter->SetFunctionSource("import numpy as np\n"
                            "def function(a):\n"
                            "    return np.concatenate([a, a.sum(axis=-1, keepdims=True)], axis=-1)\n");
  filter->Update();
  EXPECT_EQ(filter->GetOutput()->GetNumberOfComponentsPerPixel(), 3u);
  EXPECT_EQ(filter->GetOutput()->GetPixel({ { 2, 1 } })[2], 3.0f);
}
