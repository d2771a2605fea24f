/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeReadAhead.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace itk
{
namespace nibridge
{
struct ReadAhead::State
{
  std::uint64_t                        chunkCount;
  Fill                                 fill;
  std::vector<std::unique_ptr<char[]>> buffers;
  std::mutex                           mutex;
  std::condition_variable              changed;
  std::uint64_t                        filled = 0;   // chunks filled
  std::uint64_t                        consumed = 0; // chunks handed back
  bool                                 handedOut = false;
  bool                                 stopping = false;
  std::exception_ptr                   failure;
  std::thread                          thread;

  void
  FillAll()
  {
    try
    {
      for (std::uint64_t index = 0; index < chunkCount; ++index)
      {
        {
          std::unique_lock<std::mutex> lock(mutex);
          changed.wait(lock, [&] { return stopping || index - consumed < buffers.size(); });
          if (stopping)
          {
            return;
          }
        }
        fill(index, buffers[index % buffers.size()].get());
        {
          std::lock_guard<std::mutex> lock(mutex);
          filled = index + 1;
        }
        changed.notify_all();
      }
    }
    catch (...)
    {
      {
        std::lock_guard<std::mutex> lock(mutex);
        failure = std::current_exception();
      }
      changed.notify_all();
    }
  }
};

ReadAhead::ReadAhead(std::uint64_t chunkCount, std::size_t chunkBytes, Fill fill, unsigned int depth)
    : m_State(std::make_unique<State>())
{
  m_State->chunkCount = chunkCount;
  m_State->fill = std::move(fill);
  // One chunk leaves nothing to overlap: it is filled by the Next() that asks for it, without a thread (a small file's
  // whole read, where a thread's start would cost more than it could win).
  const unsigned int bufferCount = chunkCount <= 1 ? 1u : (depth < 1 ? 1u : depth);
  for (unsigned int buffer = 0; buffer < bufferCount; ++buffer)
  {
    m_State->buffers.emplace_back(new char[chunkBytes > 0 ? chunkBytes : 1]);
  }
  if (chunkCount > 1)
  {
    m_State->thread = std::thread([state = m_State.get()] { state->FillAll(); });
  }
}

ReadAhead::~ReadAhead()
{
  {
    std::lock_guard<std::mutex> lock(m_State->mutex);
    m_State->stopping = true;
  }
  m_State->changed.notify_all();
  if (m_State->thread.joinable())
  {
    m_State->thread.join();
  }
}

const char *
ReadAhead::Next()
{
  State &                      state = *m_State;
  std::unique_lock<std::mutex> lock(state.mutex);
  if (state.handedOut)
  {
    ++state.consumed; // the previous buffer goes back to the filling thread
    state.handedOut = false;
    state.changed.notify_all();
  }
  if (state.consumed >= state.chunkCount)
  {
    return nullptr;
  }
  if (!state.thread.joinable() && state.filled == state.consumed)
  {
    lock.unlock();
    state.fill(state.consumed, state.buffers.front().get()); // throws as the filling thread's failure would
    lock.lock();
    state.filled = state.consumed + 1;
  }
  state.changed.wait(lock, [&state] { return state.filled > state.consumed || state.failure; });
  if (state.failure && state.filled <= state.consumed)
  {
    std::rethrow_exception(state.failure);
  }
  state.handedOut = true;
  return state.buffers[state.consumed % state.buffers.size()].get();
}

} // namespace nibridge
} // namespace itk
