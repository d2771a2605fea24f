/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "ni2npyDataStream.h"

#include <zlib.h>
#ifdef NI2NPY_HAVE_ISAL
#  include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace ni2npy
{
namespace
{
constexpr std::size_t CompressedBlockBytes = std::size_t{ 1 } << 20;
// Linux moves at most about 2 GiB per read; stay well below.
constexpr std::uint64_t MaximumTransferBytes = std::uint64_t{ 1 } << 30;

std::runtime_error
Error(const std::string & imageName, const std::string & reason)
{
  return std::runtime_error("\"" + imageName + "\": " + reason);
}

/** An open file descriptor, closed on destruction. */
class FileDescriptor
{
public:
  FileDescriptor(const std::string & imageName, const std::string & fileName)
      : m_Descriptor(open(fileName.c_str(), O_RDONLY | O_CLOEXEC))
  {
    if (m_Descriptor < 0)
    {
      throw Error(imageName, "cannot open the image data file \"" + fileName + "\": " + std::strerror(errno));
    }
  }
  ~FileDescriptor() { close(m_Descriptor); }
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &
  operator=(const FileDescriptor &) = delete;

  /** Reads up to `byteCount` bytes; 0 at the end of the file. */
  std::size_t
  ReadSome(void * target, std::size_t byteCount, const std::string & imageName) const
  {
    for (;;)
    {
      const ssize_t got = read(m_Descriptor, target, byteCount);
      if (got >= 0)
      {
        return static_cast<std::size_t>(got);
      }
      if (errno != EINTR)
      {
        throw Error(imageName, std::string("cannot read the image data: ") + std::strerror(errno));
      }
    }
  }

private:
  int m_Descriptor;
};

std::runtime_error
TruncatedError(const std::string & imageName, const std::string & fileName, std::uint64_t position)
{
  return Error(imageName,
               "the image data in \"" + fileName + "\" is truncated after " + std::to_string(position) + " bytes");
}

/** An uncompressed file: reads straight into the caller's buffer. */
class PlainDataStream final : public DataStream
{
public:
  PlainDataStream(const std::string & imageName, const std::string & fileName)
      : m_ImageName(imageName)
      , m_FileName(fileName)
      , m_File(imageName, fileName)
  {}

  void
  Read(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const auto        piece = static_cast<std::size_t>(std::min(byteCount - done, MaximumTransferBytes));
      const std::size_t got = m_File.ReadSome(target + done, piece, m_ImageName);
      if (got == 0)
      {
        throw TruncatedError(m_ImageName, m_FileName, m_Position + done);
      }
      done += got;
    }
    m_Position += byteCount;
  }

  void
  CheckEnd() override
  {}

  const char *
  GetDecoderName() const override
  {
    return "plain read";
  }

private:
  std::string    m_ImageName;
  std::string    m_FileName;
  FileDescriptor m_File;
  std::uint64_t  m_Position = 0;
};

#ifdef NI2NPY_HAVE_ISAL
/** gzip through ISA-L's inflate (about twice zlib's speed), one member after another as gzip
 * concatenates them; each member's CRC-32 and length are checked by the library. */
class IsalGzipDataStream final : public DataStream
{
public:
  IsalGzipDataStream(const std::string & imageName, const std::string & fileName)
      : m_ImageName(imageName)
      , m_FileName(fileName)
      , m_File(imageName, fileName)
      , m_Compressed(new unsigned char[CompressedBlockBytes])
  {
    isal_inflate_init(&m_State);
    m_State.crc_flag = ISAL_GZIP;
  }

  void
  Read(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const std::uint64_t piece = std::min(byteCount - done, MaximumTransferBytes);
      Inflate(reinterpret_cast<unsigned char *>(target + done), piece, true);
      done += piece;
    }
  }

  void
  CheckEnd() override
  {
    // Run the current member to its end so that its trailer (CRC-32, length) is read and checked.
    unsigned char sink[4096];
    while (m_State.block_state != ISAL_BLOCK_FINISH)
    {
      Inflate(sink, sizeof(sink), false);
    }
    // isal_inflate reports ISAL_BLOCK_FINISH once the trailer is read and its CRC-32 checked.
  }

  const char *
  GetDecoderName() const override
  {
    return "gzip (ISA-L)";
  }

private:
  /** Fills `byteCount` bytes; with `exact` false, stops early at the end of the current member. */
  void
  Inflate(unsigned char * target, std::uint64_t byteCount, bool exact)
  {
    m_State.next_out = target;
    m_State.avail_out = static_cast<std::uint32_t>(byteCount);
    while (m_State.avail_out > 0)
    {
      if (m_State.block_state == ISAL_BLOCK_FINISH)
      {
        if (!exact)
        {
          return;
        }
        StartNextMember();
      }
      if (m_State.avail_in == 0 && !Refill())
      {
        throw TruncatedError(m_ImageName, m_FileName, m_Position + (byteCount - m_State.avail_out));
      }
      const int status = isal_inflate(&m_State);
      if (status != ISAL_DECOMP_OK && status != ISAL_END_INPUT)
      {
        throw Error(m_ImageName, "the image data in \"" + m_FileName + "\" is corrupt (" + Describe(status) + ")");
      }
    }
    m_Position += byteCount - m_State.avail_out;
  }

  bool
  Refill()
  {
    const std::size_t got = m_File.ReadSome(m_Compressed.get(), CompressedBlockBytes, m_ImageName);
    m_State.next_in = m_Compressed.get();
    m_State.avail_in = static_cast<std::uint32_t>(got);
    return got > 0;
  }

  void
  StartNextMember()
  {
    // Keep the unread input: the next member starts there.
    unsigned char * const nextIn = m_State.next_in;
    const std::uint32_t   availableIn = m_State.avail_in;
    isal_inflate_reset(&m_State);
    m_State.crc_flag = ISAL_GZIP;
    m_State.next_in = nextIn;
    m_State.avail_in = availableIn;
  }

  static std::string
  Describe(int status)
  {
    switch (status)
    {
      case ISAL_INCORRECT_CHECKSUM:
        return "CRC mismatch";
      case ISAL_INVALID_WRAPPER:
        return "not a gzip stream";
      default:
        return "invalid deflate data, code " + std::to_string(status);
    }
  }

  std::string                      m_ImageName;
  std::string                      m_FileName;
  FileDescriptor                   m_File;
  std::unique_ptr<unsigned char[]> m_Compressed;
  inflate_state                    m_State{};
  std::uint64_t                    m_Position = 0;
};
#endif

/** gzip through zlib, for builds without ISA-L. */
class ZlibGzipDataStream final : public DataStream
{
public:
  ZlibGzipDataStream(const std::string & imageName, const std::string & fileName)
      : m_ImageName(imageName)
      , m_FileName(fileName)
      , m_File(gzopen(fileName.c_str(), "rb"))
  {
    if (m_File == nullptr)
    {
      throw Error(imageName, "cannot open the image data file \"" + fileName + "\": " + std::strerror(errno));
    }
    gzbuffer(m_File, static_cast<unsigned int>(CompressedBlockBytes));
  }

  ~ZlibGzipDataStream() override { gzclose_r(m_File); }

  void
  Read(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const auto piece = static_cast<unsigned int>(std::min(byteCount - done, MaximumTransferBytes));
      const int  got = gzread(m_File, target + done, piece);
      if (got <= 0)
      {
        ThrowReadError(m_Position + done);
      }
      done += static_cast<std::uint64_t>(got);
    }
    m_Position += byteCount;
  }

  void
  CheckEnd() override
  {
    char byte;
    int  errorNumber = Z_OK;
    if (gzread(m_File, &byte, 1) < 0 || (gzerror(m_File, &errorNumber), errorNumber != Z_OK))
    {
      ThrowReadError(m_Position);
    }
  }

  const char *
  GetDecoderName() const override
  {
    return "gzip (zlib)";
  }

private:
  [[noreturn]] void
  ThrowReadError(std::uint64_t position) const
  {
    int          errorNumber = Z_OK;
    const char * message = gzerror(m_File, &errorNumber);
    if (errorNumber == Z_OK || errorNumber == Z_BUF_ERROR)
    {
      throw TruncatedError(m_ImageName, m_FileName, position);
    }
    throw Error(m_ImageName, "the image data in \"" + m_FileName + "\" is corrupt: " + message);
  }

  std::string   m_ImageName;
  std::string   m_FileName;
  gzFile        m_File;
  std::uint64_t m_Position = 0;
};

bool
StartsWithGzipMagic(const std::string & imageName, const std::string & fileName)
{
  unsigned char        magic[2] = { 0, 0 };
  const FileDescriptor file(imageName, fileName);
  return file.ReadSome(magic, 2, imageName) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}
} // namespace

std::unique_ptr<DataStream>
OpenDataStream(const std::string & imageName, const std::string & dataFileName, std::uint64_t offset)
{
  std::unique_ptr<DataStream> stream;
  if (!StartsWithGzipMagic(imageName, dataFileName))
  {
    stream = std::make_unique<PlainDataStream>(imageName, dataFileName);
  }
  else
  {
    // NI2NPY_GZIP_DECODER=zlib selects zlib where ISA-L is built in: tests cover both, benchmarks compare them.
    const char * requested = std::getenv("NI2NPY_GZIP_DECODER");
#ifdef NI2NPY_HAVE_ISAL
    if (requested == nullptr || std::string(requested) != "zlib")
    {
      stream = std::make_unique<IsalGzipDataStream>(imageName, dataFileName);
    }
#endif
    if (!stream)
    {
      stream = std::make_unique<ZlibGzipDataStream>(imageName, dataFileName);
    }
    static_cast<void>(requested);
  }
  // Skip to the data.
  std::vector<char> skipped(static_cast<std::size_t>(std::min<std::uint64_t>(offset, CompressedBlockBytes)));
  for (std::uint64_t remaining = offset; remaining > 0;)
  {
    const std::uint64_t piece = std::min<std::uint64_t>(remaining, skipped.size());
    stream->Read(skipped.data(), piece);
    remaining -= piece;
  }
  return stream;
}

} // namespace ni2npy
