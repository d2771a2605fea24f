/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// libFuzzer target: the native readers' gzip data stream (itkNiBridgeDataStream.cxx), both decoders. The input's first
// byte chooses where the reads start (bits 0-3: an offset, skipped as the readers skip a header) and how much each
// read asks for (bits 4-6); the rest is the file, a gzip stream or not. The ISA-L and the zlib stream must each deliver
// the decoded bytes and a clean end (CheckEnd), or throw one clear itk::ExceptionObject naming the file; and they must
// agree: both succeed with the same bytes, or both fail (nibabel, through Python's gzip module, reads one way).

#include "itkNiBridgeDataStream.h"

#include "nibridgeFuzzSupport.h"

#include <cstdlib>

namespace
{
/** A gzip bomb stops here: far more than any seed decodes to, small enough for the fuzzer's memory limit. */
constexpr std::uint64_t MaximumDecodedBytes = std::uint64_t{ 1 } << 26;
constexpr std::size_t   MaximumReadBytes = std::size_t{ 1 } << 22;

struct Outcome
{
  bool        completed = false;
  std::string decoded;
};

Outcome
Decode(const std::string & fileName, const char * decoder, std::uint64_t offset, std::size_t readBytes)
{
  if (decoder != nullptr)
  {
    setenv("NIBRIDGE_GZIP_DECODER", decoder, 1);
  }
  else
  {
    unsetenv("NIBRIDGE_GZIP_DECODER");
  }
  Outcome outcome;
  outcome.completed = nibridge_fuzz::RunExpectingClearErrors(fileName, [&]() {
    const auto               stream = itk::nibridge::OpenDataStream(fileName, fileName, true, offset);
    static std::vector<char> chunk(MaximumReadBytes); // allocated once: the targets test the stream, not malloc
    while (outcome.decoded.size() < MaximumDecodedBytes)
    {
      const std::uint64_t got = stream->ReadSome(chunk.data(), readBytes);
      if (got > readBytes)
      {
        nibridge_fuzz::Finding("ReadSome delivered more than it was asked for");
      }
      outcome.decoded.append(chunk.data(), static_cast<std::size_t>(got));
      if (got < readBytes)
      {
        break;
      }
    }
    if (stream->GetPosition() != offset + outcome.decoded.size())
    {
      nibridge_fuzz::Finding("GetPosition is not the offset plus the bytes read");
    }
    stream->CheckEnd();
  });
  return outcome;
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  if (size < 1)
  {
    return 0;
  }
  static constexpr std::size_t readSizes[] = { 1, 3, 64, 348, 4096, 65536, 1 << 20, MaximumReadBytes };
  const std::uint8_t           control = data[0];
  const std::uint64_t          offset = (control & 15u) * 29u;
  const std::size_t            readBytes = readSizes[(control >> 4) & 7u];
  const std::string            fileName =
    nibridge_fuzz::ScratchDirectory::Write("data.gz", std::string(reinterpret_cast<const char *>(data) + 1, size - 1));

  const Outcome isal = Decode(fileName, nullptr, offset, readBytes);
  const Outcome zlib = Decode(fileName, "zlib", offset, readBytes);
  if (isal.completed != zlib.completed)
  {
    nibridge_fuzz::Finding(std::string("the ISA-L and zlib streams disagree: ") + (isal.completed ? "ISA-L" : "zlib") +
                           " reads the file, the other refuses it");
  }
  if (isal.completed && isal.decoded != zlib.decoded)
  {
    nibridge_fuzz::Finding("the ISA-L and zlib streams decode the file to different bytes");
  }
  return 0;
}
