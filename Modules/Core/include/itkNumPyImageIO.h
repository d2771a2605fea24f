/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNumPyImageIO_h
#define itkNumPyImageIO_h

#include "NiBridgeCoreExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeMacro.h"
#include "itkNpyFormat.h"

#include <string>

namespace itk
{
/** \class NumPyImageIO
 * \brief Reads and writes NumPy `.npy` files natively (no Python).
 *
 * Reading: format versions 1.0, 2.0 and 3.0; dtypes bool (as UCHAR 0/1), int8-int64, uint8-uint64,
 * float16 (converted to FLOAT), float32, float64, complex64 and complex128 (COMPLEX pixels of two
 * FLOAT/DOUBLE components); little- and big-endian (swapped to this machine's order); C and Fortran
 * order.
 *
 * Axes: the file's memory layout is the ITK buffer, never reordered. ITK axis d is NumPy axis
 * ndim-1-d of a C-order array and NumPy axis d of a Fortran-order array, so a C-order (k, j, i)
 * array (itk/SimpleITK's view) and a Fortran-order (i, j, k) array (nibabel's) are both the image
 * [i, j, k]. A 0-d array is a 1-D image of size 1. With TrailingAxisIsComponents on, the last NumPy
 * axis holds the components of VECTOR pixels (de-planarized on read for Fortran order).
 *
 * Geometry: .npy has none; spacing 1, origin 0, identity direction.
 *
 * MetaDataDictionary after a read: "NumPyDType" holds the file's dtype string ("<i2", ">f8", "<f2",
 * ...; "bool" for bool files) and "NumPyFortranOrder" holds "1" or "0".
 *
 * Writing: Fortran order with shape (size[0], ..., size[N-1]) for scalar and COMPLEX pixels and
 * (size[0], ..., size[N-1], components) for other multi-component pixels, in this machine's byte
 * order, so `np.load` gives nibabel's voxel order. UCHAR writes "|u1", or "|b1" if the dictionary's
 * "NumPyDType" is "bool". The file is written to a temporary file beside the target and renamed
 * over it at the end; a failed write leaves no file behind.
 *
 * Every malformed file or unsupported case throws an itk::ExceptionObject naming the file and the reason.
 *
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NumPyImageIO : public ImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NumPyImageIO);

  using Self = NumPyImageIO;
  using Superclass = ImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NumPyImageIO);

  static constexpr const char * FactoryName = "NumPyImageIOFactory";
  static constexpr const char * FactoryDescription = "NumPy .npy ImageIO, native (NiBridge)";

  /** The dictionary key holding the dtype string of the file read ("bool" for bool files). */
  static constexpr const char * DTypeMetaDataKey = "NumPyDType";
  /** The dictionary key holding "1" if the file read was in Fortran order, "0" if in C order. */
  static constexpr const char * FortranOrderMetaDataKey = "NumPyFortranOrder";

  /** Read the last NumPy axis as the components of VECTOR pixels instead of an image axis. Default: off. */
  itkSetMacro(TrailingAxisIsComponents, bool);
  itkGetConstMacro(TrailingAxisIsComponents, bool);
  itkBooleanMacro(TrailingAxisIsComponents);

  /** Whether ReadImageInformation refuses an array larger than the read guard's memory limit
   * (nibridge::GetReadMemoryLimit), as NiBridgeImageIOBase::SetCheckMemoryLimit. Default: on. */
  itkSetMacro(CheckMemoryLimit, bool);
  itkGetConstMacro(CheckMemoryLimit, bool);
  itkBooleanMacro(CheckMemoryLimit);

  /** The header of the file last read by ReadImageInformation(). */
  const nibridge::NpyHeader &
  GetNpyHeader() const
  {
    return m_NpyHeader;
  }

  /*-------- Reading -------- */

  /** True if the name ends in ".npy" (any case) and the file starts with "\x93NUMPY". Never throws. */
  bool
  CanReadFile(const char * fileName) override;

  /** Parses the header: dimensions, component and pixel type, metadata. */
  void
  ReadImageInformation() override;

  /** Reads the pixels of GetIORegion() into `buffer`, seeking in the file. */
  void
  Read(void * buffer) override;

  /** True: any region of the file can be read on its own. */
  bool
  CanStreamRead() override
  {
    return true;
  }

  /** The requested region itself when streamed reading is on, else the whole image. */
  ImageIORegion
  GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const override;

  /** .npy arrays have any number of dimensions. */
  bool
  SupportsDimension(unsigned long) override
  {
    return true;
  }

  /*-------- Writing -------- */

  /** True if the name ends in ".npy" (any case). */
  bool
  CanWriteFile(const char * fileName) override;

  /** Checks that the image can be written; the header is written with the data by Write(). */
  void
  WriteImageInformation() override;

  /** Writes the whole image (header and data) through a temporary file renamed over the target. */
  void
  Write(const void * buffer) override;

  /** False: the whole image is written at once. */
  bool
  CanStreamWrite() override
  {
    return false;
  }

protected:
  NumPyImageIO();
  ~NumPyImageIO() override;

  /** Prints the option, the header last read and the file it came from. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  bool                m_TrailingAxisIsComponents{ false };
  bool                m_CheckMemoryLimit{ true };
  nibridge::NpyHeader m_NpyHeader;
  std::string         m_NpyHeaderFileName;                          // the file m_NpyHeader was read from
  bool                m_NpyHeaderTrailingAxisIsComponents{ false }; // the option when it was read
};
} // namespace itk

#endif
