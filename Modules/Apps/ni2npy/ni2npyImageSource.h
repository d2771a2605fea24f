/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyImageSource_h
#define ni2npyImageSource_h

#include "itkImageIOBase.h"
#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeGeometry.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ni2npy
{
/** The type of one element: one of ElementTypes (complex values are pairs of Float32 or Float64). */
using ElementType = itk::nibridge::ComponentType;

/** The element types ni2npy reads and writes, the list its conversions dispatch over. */
using ElementTypes = itk::nibridge::RealComponentTypes;

/** \class ImageSource
 * \brief One input image, read front to back, slab by slab, through the ImageIO that NiBridge's ImageIOList picks for
 * it (itk::nibridge::ImageIOList: the native readers first, then nibabel, then ITK's).
 *
 * The voxels come in the file's own memory order, which for every reader is ITK's and nibabel's: the first axis
 * fastest. `shape` is nibabel's shape (i, j, k, ...); multi-component pixels that are not complex have `components`
 * interleaved (fastest) values. Values are what the reader delivers in this machine's byte order: nibabel's
 * `get_fdata()` with `float64`, else `numpy.asarray(img.dataobj)`.
 */
class ImageSource
{
public:
  ImageSource(const std::string & fileName, bool float64);
  ~ImageSource();
  ImageSource(const ImageSource &) = delete;
  ImageSource &
  operator=(const ImageSource &) = delete;

  std::string                fileName;
  std::vector<std::uint64_t> shape;
  unsigned int               components = 1;
  ElementType                valueType = ElementType::Float64;
  bool                       complex = false; // each element is a (real, imaginary) pair of valueType
  bool                       scaled = false;  // the values are not the stored ones (scaled, or widened to float64)
  /** The stored values come as they are and become nibabel's float64 ones as `value * slope + intercept`
   * (itk::nibridge::ScaleToFloat64): the native readers' values for a float64 output, scaled on the converting thread
   * while the reading thread decompresses. */
  bool                        storedWithScaling = false;
  double                      slope = 1.0;
  double                      intercept = 0.0;
  itk::nibridge::AffineMatrix affine{};
  bool                        hasAffine = true; // false for images without a voxel-to-world affine (CIFTI-2)
  std::string                 readerName;       // which ImageIO decoded the file, for messages and --verbose

  /** Bytes of one voxel as delivered: components x (complex ? 2 : 1) x element size. */
  std::size_t
  GetBytesPerVoxel() const
  {
    return static_cast<std::size_t>(components) * (complex ? 2u : 1u) * itk::nibridge::ComponentTypeSize(valueType);
  }

  std::uint64_t
  GetNumberOfVoxels() const;

  /** The voxels of one slab (a plane, a volume, ...: the axes below the slab axis, chosen so that a slab holds about a
   * megabyte at most): every chunk ReadNext is asked for is a multiple of it, except perhaps the last. */
  std::uint64_t
  GetVoxelsPerSlab() const;

  /** Reads the next `voxelCount` voxels (a multiple of GetVoxelsPerSlab(), or what is left) into `buffer`.
   * Throws itk::ExceptionObject naming the file on a read error or premature end. */
  void
  ReadNext(void * buffer, std::uint64_t voxelCount);

private:
  itk::ImageIOBase::Pointer m_ImageIO;
  std::unique_ptr<char[]>   m_Whole; // the whole image, for readers that cannot read regions
  std::size_t               m_WholeBytes = 0;
  std::uint64_t             m_Position = 0;
  unsigned int              m_SlabAxis = 0;
};

} // namespace ni2npy

#endif
