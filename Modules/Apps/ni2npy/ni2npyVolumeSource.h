/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyVolumeSource_h
#define ni2npyVolumeSource_h

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

/** \class VolumeSource
 * \brief One input image, read front to back in chunks of whole voxels.
 *
 * The voxels come in the file's own memory order, which for every source here is ITK's and
 * nibabel's: the first axis fastest. `shape` is nibabel's shape (i, j, k, ...), and for
 * multi-component pixels that are not complex the component count is `components`, interleaved
 * (fastest) in the chunks. Values are the stored ones, in native byte order; nibabel's scaling
 * (`value = stored * slope + intercept`, in float64) is described by `slope` and `intercept`.
 */
class VolumeSource
{
public:
  virtual ~VolumeSource() = default;

  std::string                 fileName;
  std::vector<std::uint64_t>  shape;
  unsigned int                components = 1; // interleaved components per voxel (complex: 1)
  ElementType                 storedType = ElementType::Float64;
  bool                        complex = false; // each element is a (real, imaginary) pair of storedType
  bool                        scaled = false;
  double                      slope = 1.0;
  double                      intercept = 0.0;
  itk::nibridge::AffineMatrix affine{};
  bool                        hasAffine = true; // false for images without a voxel-to-world affine (CIFTI-2)
  std::string                 readerName;       // which reader decoded the file, for messages and --verbose

  /** Bytes of one voxel as delivered: components x (complex ? 2 : 1) x element size. */
  std::size_t
  GetBytesPerVoxel() const
  {
    return static_cast<std::size_t>(components) * (complex ? 2u : 1u) * itk::nibridge::ComponentTypeSize(storedType);
  }

  std::uint64_t
  GetNumberOfVoxels() const;

  /** Reads the next `voxelCount` voxels into `buffer` (at least voxelCount * GetBytesPerVoxel() bytes).
   * Throws std::runtime_error naming the file on a read error or premature end. */
  virtual void
  ReadNext(void * buffer, std::uint64_t voxelCount) = 0;
};

/** Opens `fileName`: NIfTI-1 and Analyze files through the NIfTI reference library with nibabel's
 * affine and scaling rules, .npy natively, every other format through ITK's ImageIO factory (which
 * holds NiBridge's nibabel reader where it is built; with `preferFloat64` that reader gives
 * get_fdata()'s float64 values). Throws std::runtime_error with a one-line reason. */
std::unique_ptr<VolumeSource>
OpenVolume(const std::string & fileName, bool preferFloat64);

} // namespace ni2npy

#endif
