/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeRegionRuns_h
#define itkNiBridgeRegionRuns_h

// PRIVATE to NiBridgeCore: how the native readers walk a region of a file stored axis 0 fastest.

#include "itkImageIORegion.h"

#include <cstdint>
#include <vector>

namespace itk
{
namespace nibridge
{
/** The index and size of an ImageIO's region in an image of `dimensions`: a region of fewer axes reads the first
 * slice of the others (index 0, size 1), one of more has size 1 on its extra axes. False when it lies outside. */
inline bool
RegionInImage(const ImageIORegion &              region,
              const std::vector<std::uint64_t> & dimensions,
              std::vector<std::uint64_t> &       index,
              std::vector<std::uint64_t> &       size)
{
  index.assign(dimensions.size(), 0);
  size.assign(dimensions.size(), 1);
  for (unsigned int axis = 0; axis < region.GetImageDimension(); ++axis)
  {
    const ImageIORegion::IndexValueType start = region.GetIndex(axis);
    const ImageIORegion::SizeValueType  count = region.GetSize(axis);
    const std::uint64_t                 extent = axis < dimensions.size() ? dimensions[axis] : 1;
    if (start < 0 || count == 0 || static_cast<std::uint64_t>(start) + count > extent)
    {
      return false;
    }
    if (axis < dimensions.size())
    {
      index[axis] = static_cast<std::uint64_t>(start);
      size[axis] = count;
    }
  }
  return true;
}

/** Calls `visit(firstFilePixel, firstBufferPixel, pixelCount)` for each run of `regionSize` pixels that is contiguous
 * in a file (and buffer) of `dimensions`, axis 0 fastest. Leading axes the region spans fully merge into one run. */
template<typename TVisitor>
inline void
ForEachContiguousRun(const std::vector<std::uint64_t> & dimensions,
                     const std::vector<std::uint64_t> & regionIndex,
                     const std::vector<std::uint64_t> & regionSize,
                     TVisitor &&                        visit)
{
  const std::size_t numberOfDimensions = dimensions.size();
  std::uint64_t     runLength = 1;
  std::size_t       firstOuterAxis = 0;
  do
  {
    runLength *= regionSize[firstOuterAxis];
    ++firstOuterAxis;
  } while (firstOuterAxis < numberOfDimensions && regionSize[firstOuterAxis - 1] == dimensions[firstOuterAxis - 1]);

  std::vector<std::uint64_t> stride(numberOfDimensions, 1);
  for (std::size_t axis = 1; axis < numberOfDimensions; ++axis)
  {
    stride[axis] = stride[axis - 1] * dimensions[axis - 1];
  }
  std::vector<std::uint64_t> position(numberOfDimensions, 0); // within the region, outer axes only
  std::uint64_t              bufferPixel = 0;
  while (true)
  {
    std::uint64_t filePixel = 0;
    for (std::size_t axis = 0; axis < numberOfDimensions; ++axis)
    {
      filePixel += (regionIndex[axis] + position[axis]) * stride[axis];
    }
    visit(filePixel, bufferPixel, runLength);
    bufferPixel += runLength;

    std::size_t axis = firstOuterAxis;
    for (; axis < numberOfDimensions; ++axis)
    {
      if (++position[axis] < regionSize[axis])
      {
        break;
      }
      position[axis] = 0;
    }
    if (axis == numberOfDimensions)
    {
      return;
    }
  }
}

} // namespace nibridge
} // namespace itk

#endif
