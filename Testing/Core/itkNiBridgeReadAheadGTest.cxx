/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeReadAhead.h"

#include "gtest/gtest.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace
{
using itk::nibridge::ReadAhead;

constexpr std::size_t ChunkBytes = 64;

/** Fills chunk `index` with bytes that say which chunk it is: the index, then a pattern of it. */
void
FillChunk(std::uint64_t index, char * buffer)
{
  std::memcpy(buffer, &index, sizeof(index));
  for (std::size_t at = sizeof(index); at < ChunkBytes; ++at)
  {
    buffer[at] = static_cast<char>(index * 31 + at);
  }
}

/** Whether `buffer` holds chunk `index` as FillChunk fills it. */
bool
HoldsChunk(const char * buffer, std::uint64_t index)
{
  std::vector<char> expected(ChunkBytes);
  FillChunk(index, expected.data());
  return std::memcmp(buffer, expected.data(), ChunkBytes) == 0;
}
} // namespace

TEST(NiBridgeReadAhead, DeliversEveryChunkInOrder)
{
  for (const unsigned int depth : { 1u, 2u, 3u, 8u })
  {
    SCOPED_TRACE("depth " + std::to_string(depth));
    constexpr std::uint64_t    Chunks = 200;
    std::atomic<std::uint64_t> nextToFill{ 0 };
    ReadAhead                  ahead(
      Chunks,
      ChunkBytes,
      [&nextToFill](std::uint64_t index, char * buffer) {
        EXPECT_EQ(index, nextToFill.load()) << "filled in order";
        nextToFill = index + 1;
        FillChunk(index, buffer);
      },
      depth);
    for (std::uint64_t index = 0; index < Chunks; ++index)
    {
      const char * chunk = ahead.Next();
      ASSERT_NE(chunk, nullptr) << index;
      EXPECT_TRUE(HoldsChunk(chunk, index)) << index;
      if (index % 17 == 0)
      {
        // A slow consumer: the filler waits for a free buffer, never overwrites the one handed out.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EXPECT_TRUE(HoldsChunk(chunk, index)) << index;
      }
    }
    EXPECT_EQ(ahead.Next(), nullptr) << "all consumed";
    EXPECT_EQ(ahead.Next(), nullptr);
  }
}

TEST(NiBridgeReadAhead, ASingleChunkIsFilledOnTheCallersThreadAndItsErrorThrownByNext)
{
  const auto      caller = std::this_thread::get_id();
  std::thread::id filler;
  ReadAhead       one(1, 4, [&](std::uint64_t, char * buffer) {
    filler = std::this_thread::get_id();
    std::memcpy(buffer, "abcd", 4);
  });
  const char *    chunk = one.Next();
  ASSERT_NE(chunk, nullptr);
  EXPECT_EQ(std::string(chunk, 4), "abcd");
  EXPECT_EQ(filler, caller) << "a thread was started for one chunk";
  EXPECT_EQ(one.Next(), nullptr);
  ReadAhead failing(1, 4, [](std::uint64_t, char *) { throw std::runtime_error("truncated"); });
  EXPECT_THROW(failing.Next(), std::runtime_error);
}

TEST(NiBridgeReadAhead, NoChunksMeansNullAtOnce)
{
  bool      called = false;
  ReadAhead ahead(0, ChunkBytes, [&called](std::uint64_t, char *) { called = true; });
  EXPECT_EQ(ahead.Next(), nullptr);
  EXPECT_FALSE(called);
}

TEST(NiBridgeReadAhead, AnExceptionOfTheFillerSurfacesInNextAtItsChunk)
{
  constexpr std::uint64_t FailingChunk = 5;
  ReadAhead               ahead(20, ChunkBytes, [](std::uint64_t index, char * buffer) {
    if (index == FailingChunk)
    {
      throw std::runtime_error("cannot fill chunk " + std::to_string(index));
    }
    FillChunk(index, buffer);
  });
  for (std::uint64_t index = 0; index < FailingChunk; ++index)
  {
    const char * chunk = ahead.Next();
    ASSERT_NE(chunk, nullptr) << index;
    EXPECT_TRUE(HoldsChunk(chunk, index)) << "the chunks before the failure are delivered: " << index;
  }
  try
  {
    ahead.Next();
    FAIL() << "chunk " << FailingChunk << " was handed out";
  }
  catch (const std::runtime_error & error)
  {
    EXPECT_EQ(std::string(error.what()), "cannot fill chunk 5");
  }
  EXPECT_THROW(ahead.Next(), std::runtime_error) << "and again on the next call";
}

TEST(NiBridgeReadAhead, TheDestructorStopsAFillerThatIsAhead)
{
  constexpr unsigned int     Depth = 3;
  std::atomic<std::uint64_t> filled{ 0 };
  {
    // Far more chunks than could be filled in the test's time: only a stopped filler lets the destructor return.
    ReadAhead ahead(
      std::uint64_t{ 1 } << 40,
      ChunkBytes,
      [&filled](std::uint64_t index, char * buffer) {
        FillChunk(index, buffer);
        ++filled;
      },
      Depth);
    const char * first = ahead.Next();
    ASSERT_NE(first, nullptr);
    EXPECT_TRUE(HoldsChunk(first, 0));
    // Let the filler run as far ahead as its buffers allow.
    for (int wait = 0; wait < 200 && filled < Depth; ++wait)
    {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // The chunk handed out and the buffers ahead of it: the filler never overwrites the one in use.
  EXPECT_LE(filled.load(), Depth);
  EXPECT_GE(filled.load(), 1u);
}

TEST(NiBridgeReadAhead, TheDestructorWaitsForTheChunkBeingFilled)
{
  std::atomic<bool> filling{ false };
  std::atomic<bool> finished{ false };
  {
    ReadAhead ahead(4, ChunkBytes, [&](std::uint64_t index, char * buffer) {
      filling = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      FillChunk(index, buffer);
      finished = true;
    });
    while (!filling)
    {
      std::this_thread::yield();
    }
  }
  EXPECT_TRUE(finished) << "joined after the chunk it was filling";
}
