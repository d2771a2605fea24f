/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef nibridgeImage_h
#define nibridgeImage_h

// Private to the extension: pybind11 types appear here, so no public header includes this one.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "itkDataObject.h"
#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeGeometry.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nibridge
{
namespace py = pybind11;

/** The component types an Image can hold: all of NiBridge's. */
using itk::nibridge::ComponentType;
using itk::nibridge::ComponentTypeName;

/** The ITK template arguments of an image: itk::Image<component, dimension>, or itk::VectorImage when isVector. */
struct ImageKind
{
  ComponentType component;
  unsigned int  dimension;
  bool          isVector;
};

/** \brief What NiBridge does with an ITK image of one kind, behind a virtual interface so that only this
 * table is instantiated for every kind (13 component types x 3 dimensions x scalar/vector).
 *
 * Sizes, indices, spacing, origin and direction are in ITK's index order (i, j, k); the direction is
 * row-major, column c being the physical direction of index axis c (LPS).
 */
class ImageOperations
{
public:
  virtual ~ImageOperations() = default;

  virtual ImageKind
  Kind() const = 0;
  virtual py::dtype
  DType() const = 0;
  virtual std::size_t
  ItemSize() const = 0;

  /** A new image with the given buffered region size and component count, and no pixel buffer yet. */
  virtual itk::DataObject::Pointer
  New(const std::vector<itk::SizeValueType> & size, unsigned int numberOfComponents) const = 0;
  /** Gives the image a new pixel container for its buffered region: uninitialized memory, or zero-filled. */
  virtual void
  Allocate(itk::DataObject & image, bool zeroFilled) const = 0;
  /** Gives the image a pixel container over a Python buffer export, released (under the GIL) with the container. */
  virtual void
  Import(itk::DataObject & image, std::unique_ptr<py::buffer_info> bufferExport) const = 0;

  virtual void *
  Buffer(const itk::DataObject & image) const = 0;
  virtual itk::LightObject::Pointer
  PixelContainer(const itk::DataObject & image) const = 0;
  virtual unsigned int
  NumberOfComponents(const itk::DataObject & image) const = 0;

  virtual std::vector<itk::IndexValueType>
  BufferedIndex(const itk::DataObject & image) const = 0;
  virtual std::vector<itk::SizeValueType>
  BufferedSize(const itk::DataObject & image) const = 0;
  virtual std::vector<double>
  Spacing(const itk::DataObject & image) const = 0;
  virtual void
  SetSpacing(itk::DataObject & image, const double * spacing) const = 0;
  virtual std::vector<double>
  Origin(const itk::DataObject & image) const = 0;
  virtual void
  SetOrigin(itk::DataObject & image, const double * origin) const = 0;
  virtual std::vector<double>
  Direction(const itk::DataObject & image) const = 0;
  /** Throws itk::ExceptionObject for a singular direction. */
  virtual void
  SetDirection(itk::DataObject & image, const double * direction) const = 0;
};

/** The operations for an image kind; throws py::type_error for a kind NiBridge does not instantiate. */
const ImageOperations &
OperationsFor(const ImageKind & kind);

/** The component type of a NumPy dtype. Throws py::type_error naming `function` and listing the supported
 * dtypes (float16 with the advice to use astype(float32)). Byte order is not checked here. */
ComponentType
ComponentTypeOf(const py::dtype & dtype, const char * function);

/** The NumPy shape and byte strides of an image's buffer: (k, j, i[, c]) C-contiguous, or with keepAxes
 * (i, j, k[, c]) over the same memory (i fastest after the components). */
void
BufferLayout(const std::vector<itk::SizeValueType> & size,
             unsigned int                            numberOfComponents,
             bool                                    isVector,
             std::size_t                             itemSize,
             bool                                    keepAxes,
             std::vector<py::ssize_t> &              shape,
             std::vector<py::ssize_t> &              strides);

/** What the components of a pixel mean: ITK's IOPixelEnum for the kinds an Image holds. A scalar image is
 * Scalar; a vector image is Vector, or RGB / RGBA (3 / 4 components) when they are colour channels. */
enum class PixelType
{
  Scalar,
  Vector,
  RGB,
  RGBA
};

/** "scalar", "vector", "rgb" or "rgba". */
const char *
PixelTypeName(PixelType type);

/** \brief nibridge.Image: an ITK image of a runtime pixel type, with its geometry.
 *
 * Holds the itk::Image or itk::VectorImage and the operations of its kind. Its NumPy views pin the pixel
 * container, not this object, so they outlive it and any re-allocation.
 */
class Image
{
public:
  Image(const ImageOperations & operations, itk::DataObject::Pointer image);

  const ImageOperations &
  Operations() const
  {
    return *m_Operations;
  }
  itk::DataObject &
  ItkImage() const
  {
    return *m_Image;
  }

  bool
  IsWriteable() const
  {
    return m_Writeable;
  }
  void
  SetWriteable(bool writeable)
  {
    m_Writeable = writeable;
  }

  /** Scalar for a scalar image, Vector unless set to RGB or RGBA for a vector image. */
  PixelType
  GetPixelType() const;
  /** Throws py::value_error (naming `function`) for a type that does not fit the image's components. */
  void
  SetPixelType(PixelType type, const char * function);

  unsigned int
  NumberOfComponents() const;
  std::size_t
  NumberOfBytes() const;
  void
  Layout(bool keepAxes, std::vector<py::ssize_t> & shape, std::vector<py::ssize_t> & strides) const;

  /** A NumPy array over the pixel buffer whose base is a capsule owning the pixel container. */
  py::array
  ArrayView(bool keepAxes) const;
  /** A new NumPy array with the layout of ArrayView(keepAxes), filled by one memcpy without the GIL. */
  py::array
  ArrayCopy(bool keepAxes) const;

private:
  const ImageOperations *  m_Operations;
  itk::DataObject::Pointer m_Image;
  bool                     m_Writeable = true;
  bool                     m_IsColor = false; // a vector image's components are RGB or RGBA channels
};

/** Sets spacing, origin and direction from Python values (None keeps the current one), with clear
 * ValueErrors naming `function`. */
void
SetGeometry(Image &            image,
            const py::object & spacing,
            const py::object & origin,
            const py::object & direction,
            const char *       function);

/** The image's geometry (ITK's index order, LPS), with the RAS+ affine it keeps (Image.affine) as its source. */
itk::nibridge::ImageGeometry
GeometryOf(const Image & image);

/** Gives the image the spacing, origin and direction of `geometry` (of the image's dimension). Throws
 * itk::ExceptionObject for a singular direction. */
void
SetGeometry(Image & image, const itk::nibridge::ImageGeometry & geometry);

/** Image.affine: nibabel's RAS+ affine of the first three axes, the one the image keeps while its geometry
 * agrees, else computed from the geometry. Throws py::value_error where Core cannot compute it (non-finite
 * values, a singular direction). */
py::array_t<double>
RASAffine(const Image & image);

/** Sets the spatial geometry from a nibabel affine (DESIGN's rule, in Core) and keeps the affine, so that
 * Image.affine gives it back bit for bit while the geometry is not edited. Axes beyond the third keep
 * their spacing and origin. */
void
SetRASAffine(Image & image, const py::object & value);

/** The MetaDataDictionary entries Python can hold: strings, numbers and bools, by key. Entries of other
 * types (ITK arrays, matrices...) are left out. */
py::dict
MetaData(const Image & image);

/** nibridge.Image itself. */
void
init_image(py::module_ & module);
/** The pixel containers' hooks for the lifetime tests (after init_image). */
void
init_pixel_containers(py::module_ & module);
/** _set_metadata (after init_image). */
void
init_metadata(py::module_ & module);
/** _kept_affine and _keep_affine, for pickling (after init_image). */
void
init_geometry(py::module_ & module);
void
init_conversions(py::module_ & module);
void
init_io(py::module_ & module);
/** Pickling and DLPack on nibridge.Image (after init_image). */
void
init_protocols(py::module_ & module);

} // namespace nibridge

#endif
