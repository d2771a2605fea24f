/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// ImageToNumPyArrayFilter and NumPyArrayToImageFilter in a C++ program (NiBridge starts Python): the same memory
// both ways, the axes, the pins that keep either side's memory alive, releases from threads without the GIL, the
// geometry, and the errors for arrays that cannot be an image.
#include "itkImageToNumPyArrayFilter.h"
#include "itkNiBridgePythonInterpreter.h"
#include "itkNumPyArrayToImageFilter.h"

#include "itkImage.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkRGBPixel.h"
#include "itkVector.h"
#include "itkVectorImage.h"

#include "itkNiBridgePythonTestSupport.h"

#include "gtest/gtest.h"

#include <sstream>
#include <string>
#include <thread>

namespace
{
using itk::nibridge::PythonInterpreter;
using itk::nibridge::PythonObject;
using nibridge_test::ExceptionDescription;

using FloatImage = itk::Image<float, 3>;

/** The value of str(expression) with `a` (and `b`) bound. */
std::string
Ask(const std::string & expression, const PythonObject & a, const PythonObject & b = {})
{
  const PythonObject value = PythonInterpreter::EvaluateObject(expression, { { "a", a }, { "b", b } });
  return value.Repr();
}

PythonObject
Array(const std::string & expression, const PythonObject & a = {})
{
  return PythonInterpreter::EvaluateObject(
    expression, { { "np", PythonInterpreter::EvaluateObject("__import__('numpy')") }, { "a", a } });
}

/** A 4 x 3 x 2 (i, j, k) float image whose pixel at (i, j, k) is 100 i + 10 j + k, with an oblique geometry. */
FloatImage::Pointer
IndexedImage()
{
  auto                   image = FloatImage::New();
  FloatImage::RegionType region({ { 0, 0, 0 } }, { { 4, 3, 2 } });
  image->SetRegions(region);
  image->Allocate();
  for (itk::ImageRegionIteratorWithIndex<FloatImage> it(image, region); !it.IsAtEnd(); ++it)
  {
    const auto index = it.GetIndex();
    it.Set(static_cast<float>(100 * index[0] + 10 * index[1] + index[2]));
  }
  FloatImage::SpacingType spacing;
  spacing[0] = 0.5;
  spacing[1] = 2.0;
  spacing[2] = 3.0;
  image->SetSpacing(spacing);
  FloatImage::PointType origin;
  origin[0] = 10.0;
  origin[1] = -20.0;
  origin[2] = 30.0;
  image->SetOrigin(origin);
  FloatImage::DirectionType direction;
  direction.Fill(0.0);
  direction[0][1] = 1.0; // index axis j goes along x (L)
  direction[1][0] = -1.0;
  direction[2][2] = 1.0;
  image->SetDirection(direction);
  return image;
}

PythonObject
ViewOf(const FloatImage * image, bool keepAxes = false, bool writable = false, bool copy = false)
{
  auto filter = itk::ImageToNumPyArrayFilter<FloatImage>::New();
  filter->SetInput(image);
  filter->SetKeepAxes(keepAxes);
  filter->SetWritable(writable);
  filter->SetCopy(copy);
  filter->Update();
  return filter->GetArray();
}

template<typename TImage = FloatImage>
typename TImage::Pointer
ImageOf(const PythonObject & array, bool keepAxes = false, bool copy = false)
{
  auto filter = itk::NumPyArrayToImageFilter<TImage>::New();
  filter->SetArray(array);
  filter->SetKeepAxes(keepAxes);
  filter->SetCopy(copy);
  filter->Update();
  return filter->GetOutput();
}
} // namespace

TEST(ImageToNumPyArrayFilter, GivesAReadOnlyViewOfThePixelsInKJIOrder)
{
  const auto         image = IndexedImage();
  const PythonObject a = ViewOf(image);
  EXPECT_EQ(Ask("a.shape", a), "(2, 3, 4)");
  EXPECT_EQ(Ask("str(a.dtype)", a), "'float32'");
  EXPECT_EQ(Ask("float(a[1, 2, 3])", a), "321.0"); // (k, j, i) = (1, 2, 3) is index (3, 2, 1)
  EXPECT_EQ(Ask("bool(a.flags.c_contiguous) and not a.flags.writeable", a), "True");
  EXPECT_EQ(
    Ask("a.ctypes.data == b",
        a,
        PythonInterpreter::EvaluateObject(std::to_string(reinterpret_cast<std::uintptr_t>(image->GetBufferPointer())))),
    "True")
    << "a view is the image's own memory";
}

TEST(ImageToNumPyArrayFilter, KeepsNiBabelsVoxelOrderAsAStridedViewOfTheSameMemory)
{
  const auto         image = IndexedImage();
  const PythonObject a = ViewOf(image, true);
  EXPECT_EQ(Ask("a.shape", a), "(4, 3, 2)");
  EXPECT_EQ(Ask("float(a[3, 2, 1])", a), "321.0");
  EXPECT_EQ(Ask("bool(a.flags.f_contiguous)", a), "True");
  EXPECT_EQ(
    Ask("a.ctypes.data == b",
        a,
        PythonInterpreter::EvaluateObject(std::to_string(reinterpret_cast<std::uintptr_t>(image->GetBufferPointer())))),
    "True");
}

TEST(ImageToNumPyArrayFilter, WritesThroughAWritableViewAndNotThroughACopy)
{
  const auto image = IndexedImage();
  Array("a.__setitem__((1, 2, 3), -5.0)", ViewOf(image, false, true));
  EXPECT_EQ(image->GetPixel({ { 3, 2, 1 } }), -5.0f);
  const PythonObject copy = ViewOf(image, false, false, true);
  EXPECT_EQ(Ask("bool(a.flags.writeable and a.flags.owndata)", copy), "True");
  Array("a.__setitem__((1, 2, 3), 7.0)", copy);
  EXPECT_EQ(image->GetPixel({ { 3, 2, 1 } }), -5.0f) << "a copy is not the image's memory";
  EXPECT_EQ(Ask("float(a[1, 2, 3])", copy), "7.0");
  EXPECT_NE(ExceptionDescription([&]() { Array("a.__setitem__((0, 0, 0), 1.0)", ViewOf(image)); }).find("read-only"),
            std::string::npos);
}

TEST(ImageToNumPyArrayFilter, AViewPinsThePixelBufferItselfPastTheImageAndItsReallocation)
{
  auto               image = IndexedImage();
  auto *             container = image->GetPixelContainer();
  const int          unpinned = container->GetReferenceCount();
  const PythonObject a = ViewOf(image);
  EXPECT_EQ(container->GetReferenceCount(), unpinned + 1) << "the view holds the pixel container";

  image->Initialize(); // the image lets go of its pixel buffer (an empty one instead): the view keeps it
  EXPECT_EQ(Ask("float(a[1, 2, 3])", a), "321.0");
  EXPECT_EQ(container->GetReferenceCount(), 1) << "the view is the buffer's one owner";
  image->SetRegions(FloatImage::SizeType{ { 4, 3, 2 } });
  image->Allocate(); // a new buffer, zero-filled here: the view's stays as it was
  image->FillBuffer(0.0f);
  EXPECT_EQ(Ask("float(a[1, 2, 3])", a), "321.0");
  image = nullptr; // the image is gone, the memory is not
  EXPECT_EQ(Ask("float(a.sum()) == sum(100 * i + 10 * j + k for i in range(4) for j in range(3) for k in range(2))", a),
            "True");
  EXPECT_EQ(Ask("float((a + 0)[1, 2, 3]), float(a[:, ::2].sum())", a), "(321.0, 2568.0)");
}

TEST(ImageToNumPyArrayFilter, GivesTheGeometryAndNiBabelsAffine)
{
  const auto image = IndexedImage();
  auto       filter = itk::ImageToNumPyArrayFilter<FloatImage>::New();
  filter->SetInput(image);
  filter->Update();
  const auto expected = itk::nibridge::RASAffineOfImage(*image);
  EXPECT_EQ(filter->GetRASAffine(), expected);
  const PythonObject geometry = filter->GetGeometry();
  EXPECT_EQ(Ask("a['spacing'].tolist(), a['origin'].tolist()", geometry), "([0.5, 2.0, 3.0], [10.0, -20.0, 30.0])");
  EXPECT_EQ(Ask("a['direction'].tolist() == [[0, 1, 0], [-1, 0, 0], [0, 0, 1]]", geometry), "True");
  // RAS = diag(-1, -1, 1) LPS: i runs along -y LPS = +A, j along +x LPS = -R.
  EXPECT_EQ(Ask("a['affine'].tolist() == [[0, -2, 0, -10], [0.5, 0, 0, 20], [0, 0, 3, 30], [0, 0, 0, 1]]", geometry),
            "True");
}

TEST(ImageToNumPyArrayFilter, GivesComponentsAsATrailingAxis)
{
  using RGBImage = itk::Image<itk::RGBPixel<std::uint8_t>, 2>;
  auto image = RGBImage::New();
  image->SetRegions(RGBImage::RegionType({ { 0, 0 } }, { { 3, 2 } }));
  image->Allocate();
  itk::RGBPixel<std::uint8_t> pixel;
  pixel[0] = 1;
  pixel[1] = 2;
  pixel[2] = 3;
  image->FillBuffer(pixel);
  auto filter = itk::ImageToNumPyArrayFilter<RGBImage>::New();
  filter->SetInput(image);
  filter->Update();
  EXPECT_EQ(Ask("a.shape, str(a.dtype), a[1, 2].tolist()", filter->GetArray()), "((2, 3, 3), 'uint8', [1, 2, 3])");

  using VectorImage = itk::VectorImage<double, 3>;
  auto vectors = VectorImage::New();
  vectors->SetRegions(VectorImage::RegionType({ { 0, 0, 0 } }, { { 2, 2, 2 } }));
  vectors->SetNumberOfComponentsPerPixel(5);
  vectors->Allocate();
  auto vectorFilter = itk::ImageToNumPyArrayFilter<VectorImage>::New();
  vectorFilter->SetInput(vectors);
  vectorFilter->SetKeepAxes(true);
  vectorFilter->Update();
  EXPECT_EQ(Ask("a.shape, a.strides", vectorFilter->GetArray()), "((2, 2, 2, 5), (40, 80, 160, 8))");
}

TEST(NumPyArrayToImageFilter, MakesAnImageOverTheArraysMemory)
{
  const PythonObject a = Array("np.arange(24, dtype='float32').reshape(2, 3, 4)");
  const auto         image = ImageOf(a);
  EXPECT_EQ(image->GetLargestPossibleRegion().GetSize(), (FloatImage::SizeType{ { 4, 3, 2 } }));
  EXPECT_EQ(image->GetPixel({ { 3, 2, 1 } }), 23.0f);
  EXPECT_EQ(std::to_string(reinterpret_cast<std::uintptr_t>(image->GetBufferPointer())), Ask("a.ctypes.data", a))
    << "no copy";
  image->SetPixel({ { 0, 1, 0 } }, -1.0f);
  EXPECT_EQ(Ask("float(a[0, 1, 0])", a), "-1.0") << "the image's pixels are the array's";
}

TEST(NumPyArrayToImageFilter, TakesNiBabelsFortranOrderedArraysWithKeepAxes)
{
  const PythonObject a = Array("np.asfortranarray(np.arange(24, dtype='float32').reshape(4, 3, 2))");
  const auto         image = ImageOf(a, true);
  EXPECT_EQ(image->GetLargestPossibleRegion().GetSize(), (FloatImage::SizeType{ { 4, 3, 2 } }));
  EXPECT_EQ(image->GetPixel({ { 3, 2, 1 } }), 23.0f);
  EXPECT_EQ(image->GetPixel({ { 1, 0, 0 } }), 6.0f);
  EXPECT_EQ(std::to_string(reinterpret_cast<std::uintptr_t>(image->GetBufferPointer())), Ask("a.ctypes.data", a));
  const std::string error = ExceptionDescription([&]() { ImageOf(a); });
  EXPECT_NE(error.find("not laid out as an image's"), std::string::npos) << error;
}

TEST(NumPyArrayToImageFilter, OutlivesTheArrayAndReleasesItOnAThreadWithoutTheGIL)
{
  PythonObject        a = Array("np.full((5, 6, 7), 3.5, dtype='float32')");
  const std::string   before = Ask("__import__('sys').getrefcount(a)", a);
  FloatImage::Pointer image = ImageOf(a);
  EXPECT_NE(Ask("__import__('sys').getrefcount(a)", a), before) << "the image holds the array";
  const PythonObject weak = Array("__import__('weakref').ref(a)", a);
  a.Reset();
  EXPECT_EQ(Ask("a() is not None", weak), "True") << "the image keeps the array alive";
  EXPECT_EQ(image->GetPixel({ { 6, 5, 4 } }), 3.5f);

  // This thread holds no GIL (NiBridge released it after starting Python); another drops the image.
  std::thread([image = std::move(image)]() mutable { image = nullptr; }).join();
  EXPECT_EQ(Ask("a() is None", weak), "True") << "the last image released the array";
}

TEST(NumPyArrayToImageFilter, CopiesOnlyWhenAskedAndSaysWhyAViewCannotBe)
{
  const PythonObject readOnly = Array("np.ones((2, 3, 4), dtype='float32')");
  Array("a.setflags(write=False)", readOnly);
  std::string error = ExceptionDescription([&]() { ImageOf(readOnly); });
  EXPECT_NE(error.find("read-only"), std::string::npos) << error;
  EXPECT_NE(error.find("SetCopy(true)"), std::string::npos) << error;
  const auto copy = ImageOf(readOnly, false, true);
  EXPECT_EQ(copy->GetPixel({ { 3, 2, 1 } }), 1.0f);
  EXPECT_NE(std::to_string(reinterpret_cast<std::uintptr_t>(copy->GetBufferPointer())), Ask("a.ctypes.data", readOnly));

  const PythonObject strided = Array("np.arange(48, dtype='float32').reshape(2, 3, 8)[:, :, ::2]");
  error = ExceptionDescription([&]() { ImageOf(strided); });
  EXPECT_NE(error.find("strides (96, 32, 8)"), std::string::npos) << error;
  EXPECT_EQ(ImageOf(strided, false, true)->GetPixel({ { 3, 2, 1 } }), 46.0f);

  const PythonObject swapped = Array("np.arange(24, dtype='>f4').reshape(2, 3, 4)");
  error = ExceptionDescription([&]() { ImageOf(swapped); });
  EXPECT_NE(error.find("byte order"), std::string::npos) << error;
  EXPECT_EQ(ImageOf(swapped, false, true)->GetPixel({ { 3, 2, 1 } }), 23.0f);

  const PythonObject fortran = Array("np.asfortranarray(np.arange(24, dtype='float32').reshape(4, 3, 2))");
  const auto         copied = ImageOf(fortran, true, true);
  EXPECT_EQ(copied->GetPixel({ { 3, 2, 1 } }), 23.0f);
  EXPECT_EQ(copied->GetPixel({ { 1, 0, 0 } }), 6.0f);
}

TEST(NumPyArrayToImageFilter, RefusesArraysThatCannotBeTheImageAndSaysWhatItExpected)
{
  std::string error = ExceptionDescription([&]() { ImageOf(Array("np.zeros((2, 3, 4))")); });
  EXPECT_NE(error.find("the array of shape (2, 3, 4) and dtype float64"), std::string::npos) << error;
  EXPECT_NE(error.find("of dtype float32"), std::string::npos) << error;
  EXPECT_NE(error.find("NiBridge casts nothing"), std::string::npos) << error;

  error = ExceptionDescription([&]() { ImageOf(Array("np.zeros((3, 4), dtype='float32')")); });
  EXPECT_NE(error.find("it has 2 axes"), std::string::npos) << error;
  EXPECT_NE(error.find("3 axes (k, j, i)"), std::string::npos) << error;

  error = ExceptionDescription([&]() { ImageOf(Array("np.zeros((0, 3, 4), dtype='float32')")); });
  EXPECT_NE(error.find("at least one voxel"), std::string::npos) << error;

  using VectorFieldImage = itk::Image<itk::Vector<float, 3>, 3>;
  error = ExceptionDescription([&]() { ImageOf<VectorFieldImage>(Array("np.zeros((2, 3, 4, 2), dtype='float32')")); });
  EXPECT_NE(error.find("its last axis has 2 components"), std::string::npos) << error;
  EXPECT_NE(error.find("(k, j, i, c)"), std::string::npos) << error;
  const auto field = ImageOf<VectorFieldImage>(Array("np.arange(72, dtype='float32').reshape(2, 3, 4, 3)"));
  EXPECT_EQ(field->GetPixel({ { 3, 2, 1 } })[2], 71.0f);

  error = ExceptionDescription([&]() { ImageOf(PythonObject{}); });
  EXPECT_NE(error.find("no array given"), std::string::npos) << error;
  error = ExceptionDescription([&]() { ImageOf(Array("'not an array'")); });
  EXPECT_NE(error.find("NumPyArrayToImageFilter"), std::string::npos) << error;
}

TEST(NumPyArrayToImageFilter, TakesAnyNumberOfComponentsForAVectorImage)
{
  using VectorImage = itk::VectorImage<std::int16_t, 2>;
  const auto image = ImageOf<VectorImage>(Array("np.arange(30, dtype='int16').reshape(2, 3, 5)"));
  EXPECT_EQ(image->GetNumberOfComponentsPerPixel(), 5u);
  EXPECT_EQ(image->GetPixel({ { 2, 1 } })[4], 29);
}

TEST(NumPyArrayFilters, RoundTripValuesAndGeometryThroughNiBabelsAxesAndAffine)
{
  const auto image = IndexedImage();
  auto       toArray = itk::ImageToNumPyArrayFilter<FloatImage>::New();
  toArray->SetInput(image);
  toArray->SetKeepAxes(true);
  toArray->Update();
  auto toImage = itk::NumPyArrayToImageFilter<FloatImage>::New();
  toImage->SetArray(Array("a * 2", toArray->GetArray()));
  toImage->SetKeepAxes(true);
  toImage->SetRASAffine(toArray->GetRASAffine());
  toImage->Update();
  const FloatImage * doubled = toImage->GetOutput();
  EXPECT_EQ(doubled->GetPixel({ { 3, 2, 1 } }), 642.0f);
  EXPECT_EQ(doubled->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(doubled->GetOrigin(), image->GetOrigin());
  EXPECT_EQ(doubled->GetDirection(), image->GetDirection());
  EXPECT_EQ(itk::nibridge::RASAffineOfImage(*doubled), toArray->GetRASAffine());
}

TEST(NumPyArrayToImageFilter, AGraftOfItsOutputHoldsTheArrayAfterTheFilterAndTheOutputAreGone)
{
  PythonObject       a = Array("np.full((2, 3, 4), 9.0, dtype='float32')");
  const PythonObject weak = Array("__import__('weakref').ref(a)", a);
  auto               grafted = FloatImage::New();
  {
    auto filter = itk::NumPyArrayToImageFilter<FloatImage>::New();
    filter->SetArray(a);
    filter->Update();
    grafted->Graft(filter->GetOutput());
    std::ostringstream printed;
    filter->Print(printed);
    EXPECT_NE(printed.str().find("Array: array("), std::string::npos) << printed.str();
  }
  a.Reset();
  EXPECT_EQ(Ask("a() is not None", weak), "True") << "the graft shares the pixel container, and with it the array";
  EXPECT_EQ(grafted->GetPixel({ { 3, 2, 1 } }), 9.0f);
  grafted = nullptr;
  EXPECT_EQ(Ask("a() is None", weak), "True");
}

TEST(ImageToNumPyArrayFilter, PrintsItsSettingsTheGeometryAndTheAffine)
{
  auto filter = itk::ImageToNumPyArrayFilter<FloatImage>::New();
  filter->SetInput(IndexedImage());
  filter->KeepAxesOn();
  filter->Update();
  std::ostringstream printed;
  filter->Print(printed);
  EXPECT_NE(printed.str().find("KeepAxes: 1"), std::string::npos) << printed.str();
  EXPECT_NE(printed.str().find("'spacing': array([0.5, 2. , 3. ])"), std::string::npos) << printed.str();
  EXPECT_NE(printed.str().find("RASAffine: [-0, -2, -0, -10] [0.5"), std::string::npos) << printed.str();
}
