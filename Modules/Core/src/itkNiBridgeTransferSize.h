/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeTransferSize_h
#define itkNiBridgeTransferSize_h

// PRIVATE to NiBridgeCore.

#include <cstdint>

namespace itk
{
namespace nibridge
{
/** Bytes moved by one read() or write() call at most: Linux moves at most about 2 GiB per call, and some systems
 * refuse more than 2 GiB at once. Larger transfers are split. */
constexpr std::uint64_t MaximumTransferBytes = std::uint64_t{ 1 } << 30;
} // namespace nibridge
} // namespace itk

#endif
