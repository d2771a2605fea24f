/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeVoxelBlock_h
#define itkNiBridgeVoxelBlock_h

// PRIVATE to NiBridgeCore: the voxels of the native readers' formats, and how they become nibabel's values.

#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeDataStream.h"
#include "itkNiBridgeImageIOBase.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** \class VoxelBlock
 * \brief Where a native reader's voxels are: one contiguous block of a plain or gzip file, as nibabel's ArrayProxy
 * reads it.
 *
 * The block is in nibabel's axis order, the first axis fastest (Fortran order); each voxel is `scalarsPerVoxel`
 * scalars of `scalarType` (2 for complex, 3 or 4 for RGB/RGBA), in the file's byte order (`swap` if it is not this
 * machine's). nibabel's scaling is `value = stored * slope + inter` in float64, each step only when it changes
 * something (slope != 1, inter != 0), two roundings: `apply_read_scaling`.
 * \ingroup NiBridgeCore
 */
struct VoxelBlock
{
  std::string                imageName; // for messages
  std::string                dataFileName;
  bool                       gzipped = false;
  std::uint64_t              offset = 0;
  std::vector<std::uint64_t> shape;
  ComponentType              scalarType = ComponentType::UInt8; // a real type
  unsigned int               scalarsPerVoxel = 1;
  bool                       swap = false;
  double                     slope = 1.0;
  double                     inter = 0.0;

  /** Whether reading applies a scaling: (slope, inter) is not (1, 0). */
  bool
  IsScaled() const
  {
    return !(slope == 1.0 && inter == 0.0);
  }

  /** The number of voxels; throws (naming the image) if it overflows. */
  std::uint64_t
  GetNumberOfVoxels() const;

  std::size_t
  GetBytesPerVoxel() const
  {
    return static_cast<std::size_t>(scalarsPerVoxel) * ComponentTypeSize(scalarType);
  }
};

/** \class VoxelBlockReader
 * \brief Reads regions of a VoxelBlock into ITK buffers, keeping its stream open between reads.
 *
 * A region that starts at or after where the last read ended continues the same stream (ITK's streamed reads ask for
 * slabs in file order: a gzip file is decompressed once in all); an earlier one reopens it. When a read reaches the
 * block's end, `afterBlock` reads what follows (MGH's footer), then the stream's end is checked (a gzip member's
 * CRC-32 and length).
 * \ingroup NiBridgeCore
 */
class VoxelBlockReader
{
public:
  using AfterBlock = std::function<void(DataStream &)>;

  explicit VoxelBlockReader(VoxelBlock block, AfterBlock afterBlock = {});
  ~VoxelBlockReader();
  VoxelBlockReader(const VoxelBlockReader &) = delete;
  VoxelBlockReader &
  operator=(const VoxelBlockReader &) = delete;

  const VoxelBlock &
  GetBlock() const
  {
    return m_Block;
  }

  /** Reads the region [index, index + size) of the block's axes into `buffer`, Fortran order: the stored scalars in
   * this machine's byte order, or with `asFloat64` float64 values, scaled as nibabel scales. */
  void
  Read(const std::vector<std::uint64_t> & index,
       const std::vector<std::uint64_t> & size,
       bool                               asFloat64,
       void *                             buffer);

  /** The decoder of the last read ("plain read", "gzip (ISA-L)", "gzip (zlib)"). */
  std::string
  GetDecoderName() const;

private:
  /** A stream positioned at byte `position` of the data file. */
  DataStream &
  StreamAt(std::uint64_t position);

  /** Reads one contiguous run of voxels; `endOfBlock` is the stream position after the block's last byte. */
  void
  ReadRun(std::uint64_t firstVoxel,
          std::uint64_t voxelCount,
          bool          asFloat64,
          std::uint64_t endOfBlock,
          char *        destination);

  VoxelBlock                  m_Block;
  AfterBlock                  m_AfterBlock;
  std::unique_ptr<DataStream> m_Stream;
  std::vector<char>           m_Scratch;
};

/** Reverses the bytes of each of `count` elements of `width` bytes, in place. */
void
SwapBytes(void * data, std::size_t count, std::size_t width);

} // namespace nibridge
} // namespace itk

#endif
