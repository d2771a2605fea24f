/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeReadAhead_h
#define itkNiBridgeReadAhead_h

#include "NiBridgeCoreExport.h"

#include <cstdint>
#include <functional>
#include <memory>

namespace itk
{
namespace nibridge
{
/** \class ReadAhead
 * \brief Fills a sequence of chunks on a thread of its own, a few chunks ahead of the consumer, so that reading (and
 * decompressing) overlaps what the consumer does with them (converting, writing).
 *
 * `fill(index, buffer)` fills chunk `index` (0, 1, ... in order) into a buffer of `chunkBytes`; Next() hands the chunks
 * out in order. An exception of `fill` is thrown again by the Next() that reaches its chunk; the destructor stops the
 * thread (after the chunk it is filling) and joins it. Buffers are allocated once and never zero-filled. A single
 * chunk has nothing to overlap with: it is filled by Next(), on the caller's thread, and no thread is started.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT ReadAhead
{
public:
  using Fill = std::function<void(std::uint64_t index, char * buffer)>;

  ReadAhead(std::uint64_t chunkCount, std::size_t chunkBytes, Fill fill, unsigned int depth = 3);
  ~ReadAhead();
  ReadAhead(const ReadAhead &) = delete;
  ReadAhead &
  operator=(const ReadAhead &) = delete;

  /** Waits for the next chunk and returns its buffer, valid until the next call; null when all are consumed. */
  const char *
  Next();

private:
  struct State; // the thread, the buffers and their bookkeeping, in the .cxx
  std::unique_ptr<State> m_State;
};
} // namespace nibridge
} // namespace itk

#endif
