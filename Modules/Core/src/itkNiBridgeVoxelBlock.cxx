/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeVoxelBlock.h"

#include "itkNiBridgeReadAhead.h"
#include "itkNiBridgeRegionRuns.h"

#include "itkMacro.h"

#include <algorithm>
#include <limits>

namespace itk
{
namespace nibridge
{
namespace
{
/** Stored bytes converted at a time: small enough to stay in cache between reading and converting. */
constexpr std::size_t ChunkBytes = std::size_t{ 1 } << 20;
/** Reads converted to float64 from this size on decompress on a thread of their own (smaller ones are the slabs of a
 * caller that pipelines its own reads, as ni2npy does). */
constexpr std::uint64_t PipelinedBytes = std::uint64_t{ 8 } << 20;

template<std::size_t Width>
void
SwapEach(char * data, std::size_t count)
{
  for (std::size_t element = 0; element < count; ++element)
  {
    char * bytes = data + element * Width;
    std::reverse(bytes, bytes + Width);
  }
}

template<typename TStored>
void
ScaleToFloat64(const TStored * input, double * output, std::size_t count, double slope, double inter)
{
  // nibabel's order: the multiplication only if slope != 1, the addition only if inter != 0, each rounded to
  // float64 (NiBridgeCore is built without floating-point contraction: no fused multiply-add).
  if (slope != 1.0 && inter != 0.0)
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      const double scaled = static_cast<double>(input[index]) * slope;
      output[index] = scaled + inter;
    }
  }
  else if (slope != 1.0)
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      output[index] = static_cast<double>(input[index]) * slope;
    }
  }
  else if (inter != 0.0)
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      output[index] = static_cast<double>(input[index]) + inter;
    }
  }
  else
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      output[index] = static_cast<double>(input[index]);
    }
  }
}
} // namespace

void
SwapBytes(void * data, std::size_t count, std::size_t width)
{
  auto * bytes = static_cast<char *>(data);
  switch (width)
  {
    case 2:
      SwapEach<2>(bytes, count);
      break;
    case 4:
      SwapEach<4>(bytes, count);
      break;
    case 8:
      SwapEach<8>(bytes, count);
      break;
    default:
      break;
  }
}

void
ScaleToFloat64(ComponentType type, const void * input, double * output, std::size_t count, double slope, double inter)
{
  Dispatch(type, RealComponentTypes{}, [&](auto stored) {
    using Stored = decltype(stored);
    ScaleToFloat64(static_cast<const Stored *>(input), output, count, slope, inter);
  });
}

std::uint64_t
VoxelBlock::GetNumberOfVoxels() const
{
  std::uint64_t count = 1;
  for (const std::uint64_t extent : shape)
  {
    if (extent != 0 && count > std::numeric_limits<std::uint64_t>::max() / extent)
    {
      itkGenericExceptionMacro(<< '"' << imageName << "\": the image size overflows");
    }
    count *= extent;
  }
  if (count > std::numeric_limits<std::uint64_t>::max() / GetBytesPerVoxel())
  {
    itkGenericExceptionMacro(<< '"' << imageName << "\": the image size overflows");
  }
  return count;
}

VoxelBlockReader::VoxelBlockReader(VoxelBlock block, AfterBlock afterBlock)
    : m_Block(std::move(block))
    , m_AfterBlock(std::move(afterBlock))
{}

VoxelBlockReader::~VoxelBlockReader() = default;

std::string
VoxelBlockReader::GetDecoderName() const
{
  return m_Block.gzipped ? GzipDecoderName() : "plain read";
}

DataStream &
VoxelBlockReader::StreamAt(std::uint64_t position)
{
  if (!m_Stream || m_Stream->GetPosition() > position)
  {
    m_Stream.reset();
    m_Stream = OpenDataStream(m_Block.imageName, m_Block.dataFileName, m_Block.gzipped, position);
  }
  else if (m_Stream->GetPosition() < position)
  {
    m_Stream->Skip(position - m_Stream->GetPosition());
  }
  return *m_Stream;
}

void
VoxelBlockReader::Read(const std::vector<std::uint64_t> & index,
                       const std::vector<std::uint64_t> & size,
                       bool                               asFloat64,
                       void *                             buffer)
{
  const std::size_t outputVoxelBytes =
    asFloat64 ? m_Block.scalarsPerVoxel * sizeof(double) : m_Block.GetBytesPerVoxel();
  auto * const        destination = static_cast<char *>(buffer);
  const std::uint64_t endOfBlock =
    m_Block.offset + m_Block.GetNumberOfVoxels() * m_Block.GetBytesPerVoxel(); // GetNumberOfVoxels checks the size
  ForEachContiguousRun(
    m_Block.shape, index, size, [&](std::uint64_t filePixel, std::uint64_t bufferPixel, std::uint64_t pixelCount) {
      this->ReadRun(filePixel, pixelCount, asFloat64, endOfBlock, destination + bufferPixel * outputVoxelBytes);
    });
}

void
VoxelBlockReader::ReadRun(std::uint64_t firstVoxel,
                          std::uint64_t voxelCount,
                          bool          asFloat64,
                          std::uint64_t endOfBlock,
                          char *        destination)
{
  const std::size_t voxelBytes = m_Block.GetBytesPerVoxel();
  const std::size_t scalarBytes = ComponentTypeSize(m_Block.scalarType);
  DataStream &      stream = this->StreamAt(m_Block.offset + firstVoxel * voxelBytes);
  const std::size_t chunkVoxels = std::max<std::size_t>(1, ChunkBytes / voxelBytes);
  const auto        voxelsOf = [&](std::uint64_t done) {
    return static_cast<std::size_t>(std::min<std::uint64_t>(chunkVoxels, voxelCount - done));
  };
  const auto readStored = [&](char * target, std::size_t voxels) {
    stream.Read(target, voxels * voxelBytes);
    if (m_Block.swap)
    {
      SwapBytes(target, voxels * m_Block.scalarsPerVoxel, scalarBytes);
    }
  };
  const auto convert = [&](const char * stored, std::uint64_t done, std::size_t voxels) {
    ScaleToFloat64(m_Block.scalarType,
                   stored,
                   reinterpret_cast<double *>(destination + done * m_Block.scalarsPerVoxel * sizeof(double)),
                   voxels * m_Block.scalarsPerVoxel,
                   m_Block.slope,
                   m_Block.inter);
  };
  if (!asFloat64)
  {
    // The stored values: straight into the destination.
    for (std::uint64_t done = 0; done < voxelCount; done += voxelsOf(done))
    {
      readStored(destination + done * voxelBytes, voxelsOf(done));
    }
  }
  else if (voxelCount * voxelBytes >= PipelinedBytes)
  {
    // A large read (a whole image): decompressing on a thread of its own while this one converts.
    const std::uint64_t chunks = (voxelCount + chunkVoxels - 1) / chunkVoxels;
    ReadAhead           ahead(chunks, chunkVoxels * voxelBytes, [&](std::uint64_t index, char * buffer) {
      readStored(buffer, voxelsOf(index * chunkVoxels));
    });
    for (std::uint64_t index = 0; index < chunks; ++index)
    {
      convert(ahead.Next(), index * chunkVoxels, voxelsOf(index * chunkVoxels));
    }
  }
  else
  {
    // No larger than the run needs: a small image's read neither allocates nor zero-fills a whole chunk.
    m_Scratch.resize(std::max(m_Scratch.size(), voxelsOf(0) * voxelBytes));
    for (std::uint64_t done = 0; done < voxelCount; done += voxelsOf(done))
    {
      readStored(m_Scratch.data(), voxelsOf(done));
      convert(m_Scratch.data(), done, voxelsOf(done));
    }
  }
  if (stream.GetPosition() == endOfBlock)
  {
    if (m_AfterBlock)
    {
      m_AfterBlock(stream);
    }
    stream.CheckEnd();
  }
}

} // namespace nibridge
} // namespace itk
