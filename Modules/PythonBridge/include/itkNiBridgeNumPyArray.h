/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeNumPyArray_h
#define itkNiBridgeNumPyArray_h

#include "NiBridgePythonExport.h"
#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeImageAffine.h"
#include "itkNiBridgeMacro.h"
#include "itkNiBridgePythonObject.h"

#include "itkFixedArray.h"
#include "itkImportImageContainer.h"
#include "itkLightObject.h"
#include "itkVectorImage.h"

#include <complex>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace itk
{
namespace nibridge
{
/** The layout of an image's pixel buffer, in the terms of a NumPy array. */
struct PixelBufferLayout
{
  /** The type of one component of a pixel. */
  ComponentType component = ComponentType::Float32;
  /** Components per pixel: 1 for scalar pixels; 0, when importing, for "any number" (itk::VectorImage). */
  unsigned int numberOfComponents = 1;
  /** Whether pixels have components, as a trailing axis of the array (even of length 1: an itk::VectorImage). */
  bool componentAxis = false;
  /** The number of image axes. */
  unsigned int dimension = 3;
};

/** How NiBridge's arrays order their axes and own their memory (DESIGN.md, Axes and Lifetime). */
struct NumPyArrayOptions
{
  /** False: shape (k, j, i[, c]), C-contiguous, as itk.array_view_from_image and SimpleITK. True: shape (i, j, k[, c]),
   * nibabel's voxel order, a strided view of the same memory. */
  bool keepAxes = false;
  /** Image to array: a copy the array owns instead of a view. Array to image: an image over a copy of the array,
   * also taken when the array cannot be a view (read-only, another byte order, other strides); without it those
   * are errors. */
  bool copy = false;
  /** Array to image: a view where the array can be one, else a copy (for arrays a Python function returned). */
  bool copyIfNeeded = false;
  /** Image to array: a writable view (writes go to the image's pixels). Views are read-only otherwise, as an ITK
   * filter's input is. */
  bool writable = false;
};

/** A NumPy array over the pixel buffer at `buffer` (of the given buffered `size`, ITK's axis order i, j, k), a view
 * that holds a reference to `pin` (the image's pixel container) for as long as the array or any array made from it
 * lives, so that it stays valid whatever happens to the image; or a copy, if `options.copy`. Starts Python if needed
 * and takes the GIL itself. Throws itk::ExceptionObject naming `what`. */
NiBridgePython_EXPORT PythonObject
NumPyArrayOfPixelBuffer(void *                             buffer,
                        const PixelBufferLayout &          layout,
                        const std::vector<SizeValueType> & size,
                        LightObject *                      pin,
                        const NumPyArrayOptions &          options,
                        const std::string &                what);

/** A box of voxels in ITK's axis order (i, j, k), relative to an array's first voxel. */
struct ArrayRegion
{
  std::vector<IndexValueType> start;
  std::vector<SizeValueType>  size;
};

/** The view `array[region]` of an image's array (axes as `options.keepAxes` says; a trailing component axis is
 * kept whole). Takes the GIL itself; throws itk::ExceptionObject naming `what`. */
NiBridgePython_EXPORT PythonObject
NumPyArrayRegion(const PythonObject & array, const ArrayRegion & region, bool keepAxes, const std::string & what);

/** A Python buffer export (a `Py_buffer` of an array): released, under the GIL, when the last owner drops it, from
 * whichever thread that is. */
class NumPyBufferExport;

/** An array's memory, ready to be an image's pixel buffer. */
struct ImportedNumPyArray
{
  /** Holds the array's memory; the pixel container keeps it. */
  std::shared_ptr<const NumPyBufferExport> bufferExport;
  void *                                   buffer = nullptr;
  /** The image's size, ITK's axis order (i, j, k). */
  std::vector<SizeValueType> size;
  unsigned int               numberOfComponents = 1;
};

/** The memory of a NumPy array (or of anything numpy.asarray takes without copying) as the pixel buffer of an image
 * with `expected` layout: the same memory, or a copy (see NumPyArrayOptions::copy). Checks the array's dtype, number
 * of axes, components, size (`expectedSize`, ITK's order, if not empty), byte order, strides and writability, and
 * throws itk::ExceptionObject naming `what`, the array's shape and dtype, and what was expected. With `crop`, the
 * image is of that region of the array only. Starts Python if needed and takes the GIL itself. */
NiBridgePython_EXPORT ImportedNumPyArray
ImportNumPyArray(const PythonObject &               array,
                 const PixelBufferLayout &          expected,
                 const NumPyArrayOptions &          options,
                 const std::string &                what,
                 const std::vector<SizeValueType> & expectedSize = {},
                 const ArrayRegion *                crop = nullptr);

/** A Python dict of NumPy float64 arrays: "spacing", "origin" (ITK's axis order), "direction" (rows and columns in
 * ITK's order, LPS) and "affine" (nibabel's 4x4 voxel-to-RAS+ affine: RASAffineFromGeometry(geometry), which the
 * caller has). Takes the GIL itself. */
NiBridgePython_EXPORT PythonObject
GeometryDictionary(const ImageGeometry & geometry, const AffineMatrix & affine, const std::string & what);

/** The geometry of the array of an image's voxels from index `first` on: the image's, with the origin at `first`
 * (and the reader's affine only while `first` is the index origin). */
template<typename TImage>
ImageGeometry
GeometryFromIndex(const TImage & image, const typename TImage::IndexType & first)
{
  ImageGeometry              geometry = GeometryOfImage(image);
  typename TImage::PointType point;
  image.TransformIndexToPhysicalPoint(first, point);
  for (unsigned int axis = 0; axis < TImage::ImageDimension; ++axis)
  {
    if (first[axis] != 0)
    {
      geometry.sourceAffine.reset();
    }
    geometry.origin[axis] = point[axis];
  }
  return geometry;
}

/** Writes a 4x4 affine on one line, row by row: "[a, b, c, d] [...] ..." (for PrintSelf). */
inline void
PrintAffine(std::ostream & os, const AffineMatrix & affine)
{
  for (const auto & row : affine)
  {
    os << " [" << row[0] << ", " << row[1] << ", " << row[2] << ", " << row[3] << "]";
  }
}

/** The component type and layout of the pixels of an ITK image type: itk::Image of a NiBridge component type
 * (bool, integers, float, double, std::complex), of a fixed-length pixel made of them (itk::Vector,
 * itk::CovariantVector, itk::RGBPixel, itk::RGBAPixel, itk::FixedArray: a trailing axis), or itk::VectorImage. */
template<typename TImage>
struct PixelBufferLayoutOf
{
  using PixelType = typename TImage::PixelType;
  static constexpr bool IsVectorImage =
    std::is_same_v<TImage, VectorImage<typename TImage::InternalPixelType, TImage::ImageDimension>>;

private:
  template<typename T>
  struct Traits
  {
    // A fixed-length pixel: itk::FixedArray and its subclasses.
    using ComponentType = typename T::ValueType;
    static constexpr unsigned int Length = T::Dimension;
    static_assert(sizeof(T) == Length * sizeof(ComponentType), "a pixel of packed components");
  };
  template<typename T>
  struct ScalarTraits
  {
    using ComponentType = T;
    static constexpr unsigned int Length = 1;
  };
  static constexpr bool IsScalar = std::is_arithmetic_v<PixelType> || std::is_same_v<PixelType, std::complex<float>> ||
                                   std::is_same_v<PixelType, std::complex<double>>;
  using PixelTraits = std::conditional_t<IsScalar || IsVectorImage,
                                         ScalarTraits<typename TImage::InternalPixelType>,
                                         Traits<typename TImage::InternalPixelType>>;

public:
  /** The C++ type of one component. */
  using ComponentCxxType = typename PixelTraits::ComponentType;

  static PixelBufferLayout
  Get(unsigned int numberOfComponents = 0)
  {
    PixelBufferLayout layout;
    layout.component = ComponentTypeOf<ComponentCxxType>();
    layout.componentAxis = IsVectorImage || !IsScalar;
    layout.numberOfComponents = IsVectorImage ? numberOfComponents : PixelTraits::Length;
    layout.dimension = TImage::ImageDimension;
    return layout;
  }
};

/** \class NumPyArrayPixelContainer
 * \brief A pixel container over the memory of a NumPy array, which it holds (the buffer export) for as long as an
 * image, or any image grafted from it, uses it.
 * \ingroup NiBridgePython
 */
template<typename TElement>
class NumPyArrayPixelContainer final : public ImportImageContainer<SizeValueType, TElement>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NumPyArrayPixelContainer);

  using Self = NumPyArrayPixelContainer;
  using Superclass = ImportImageContainer<SizeValueType, TElement>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkFactorylessNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NumPyArrayPixelContainer);

  /** Uses the imported array's memory. */
  void
  SetImportedArray(const ImportedNumPyArray & array, SizeValueType numberOfElements)
  {
    this->SetImportPointer(static_cast<TElement *>(array.buffer), numberOfElements, false);
    m_Export = array.bufferExport;
  }

protected:
  NumPyArrayPixelContainer() = default;
  ~NumPyArrayPixelContainer() override = default;

private:
  std::shared_ptr<const NumPyBufferExport> m_Export;
};

} // namespace nibridge
} // namespace itk

#endif
