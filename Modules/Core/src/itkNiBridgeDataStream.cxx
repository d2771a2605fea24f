/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeDataStream.h"

#include "itkNiBridgeTransferSize.h"

#include "itkMacro.h"

#include <zlib.h>
#ifdef NIBRIDGE_HAVE_ISAL
#  include <isa-l/crc.h>
#  include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace itk
{
namespace nibridge
{
namespace
{
constexpr std::size_t CompressedBlockBytes = std::size_t{ 1 } << 20;

/** What a message says about the data: "the image data" when it is in the image's own file, else which file. */
std::string
DataText(const std::string & imageName, const std::string & fileName)
{
  return fileName == imageName ? std::string("the image data") : "the image data in \"" + fileName + "\"";
}

[[noreturn]] void
ThrowTruncated(const std::string & imageName, const std::string & fileName, std::uint64_t position)
{
  itkGenericExceptionMacro(<< '"' << imageName << "\": " << DataText(imageName, fileName) << " is truncated after "
                           << position << " bytes");
}

[[noreturn]] void
ThrowCorrupt(const std::string & imageName, const std::string & fileName, const std::string & reason)
{
  itkGenericExceptionMacro(<< '"' << imageName << "\": " << DataText(imageName, fileName) << " is corrupt (" << reason
                           << ')');
}

/** A file named as gzip-compressed that does not start as a gzip stream: nibabel decides by the name, and so does
 * NiBridge, so this is the file's error, said in its own words. */
[[noreturn]] void
ThrowNotGzip(const std::string & imageName, const std::string & fileName)
{
  itkGenericExceptionMacro(<< '"' << imageName
                           << "\": " << (fileName == imageName ? std::string("it") : "its file \"" + fileName + '"')
                           << " is not gzip-compressed, although its name ends in .gz");
}

/** An open, regular file, closed on destruction. */
class FileDescriptor
{
public:
  FileDescriptor(const std::string & imageName, const std::string & fileName)
      : m_ImageName(imageName)
  {
    // O_NONBLOCK: a FIFO must not block the open; it is refused below.
    m_Descriptor = open(fileName.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (m_Descriptor < 0)
    {
      const std::string reason = std::strerror(errno);
      itkGenericExceptionMacro(<< '"' << imageName << "\": cannot open "
                               << (fileName == imageName ? std::string("it") : '"' + fileName + '"') << ": " << reason);
    }
    struct stat status;
    if (fstat(m_Descriptor, &status) != 0 || !S_ISREG(status.st_mode))
    {
      close(m_Descriptor);
      itkGenericExceptionMacro(<< '"' << imageName
                               << "\": " << (fileName == imageName ? std::string("it") : '"' + fileName + '"')
                               << " is not a regular file");
    }
    fcntl(m_Descriptor, F_SETFL, fcntl(m_Descriptor, F_GETFL) & ~O_NONBLOCK);
    m_Size = static_cast<std::uint64_t>(status.st_size);
  }
  ~FileDescriptor() { close(m_Descriptor); }
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &
  operator=(const FileDescriptor &) = delete;

  /** Reads up to `byteCount` bytes; 0 at the end of the file. */
  std::size_t
  ReadSome(void * target, std::size_t byteCount) const
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
        const std::string reason = std::strerror(errno);
        itkGenericExceptionMacro(<< '"' << m_ImageName << "\": cannot read the image data: " << reason);
      }
    }
  }

  int
  Get() const
  {
    return m_Descriptor;
  }

  /** The bytes a buffer for the compressed input needs: a block, or the whole file when it is smaller (most headers,
   * and the many small files of a dataset, then cost no megabyte each). */
  std::size_t
  GetReadBlockBytes() const
  {
    return static_cast<std::size_t>(std::min<std::uint64_t>(m_Size + 1, CompressedBlockBytes));
  }

private:
  std::string   m_ImageName;
  int           m_Descriptor = -1;
  std::uint64_t m_Size = 0; // when opened
};

/** An uncompressed file: reads straight into the caller's buffer. */
class PlainDataStream final : public DataStream
{
public:
  PlainDataStream(const std::string & imageName, const std::string & fileName)
      : DataStream(imageName, fileName)
      , m_File(imageName, fileName)
  {}

  std::uint64_t
  ReadSome(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const auto        piece = static_cast<std::size_t>(std::min(byteCount - done, MaximumTransferBytes));
      const std::size_t got = m_File.ReadSome(target + done, piece);
      if (got == 0)
      {
        break;
      }
      done += got;
    }
    m_Position += done;
    return done;
  }

  void
  Skip(std::uint64_t byteCount) override
  {
    // A position past the end is found by the next read, as a truncation.
    if (lseek(m_File.Get(), static_cast<off_t>(m_Position + byteCount), SEEK_SET) < 0)
    {
      const std::string reason = std::strerror(errno);
      itkGenericExceptionMacro(<< '"' << m_ImageName << "\": cannot seek in " << DataText(m_ImageName, m_FileName)
                               << ": " << reason);
    }
    m_Position += byteCount;
  }

  void
  CheckEnd() override
  {}

  std::uint64_t
  GetPosition() const override
  {
    return m_Position;
  }

private:
  FileDescriptor m_File;
  std::uint64_t  m_Position = 0;
};

/** A gzip-compressed file, member after member, with the rules of Python's gzip module (and so nibabel's) whichever
 * decoder inflates the deflate data: each member's header read as Python reads it (the reserved flag bits and the
 * header CRC ignored), its CRC-32 and length checked, zero padding after a member skipped, anything else after it an
 * error. The framing is NiBridge's, not the libraries': zlib's gzread ignores whatever follows the last member, zlib's
 * gzip wrapper refuses reserved flag bits and ISA-L's checks the header CRC, each where Python reads otherwise. */
class GzipDataStream : public DataStream
{
public:
  std::uint64_t
  ReadSome(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const std::uint64_t piece = std::min(byteCount - done, MaximumTransferBytes);
      const std::uint64_t got = Decode(reinterpret_cast<unsigned char *>(target + done), piece, true);
      done += got;
      if (got < piece)
      {
        break;
      }
    }
    return done;
  }

  void
  CheckEnd() override
  {
    // Run the current member to its end, so that its trailer (CRC-32, length) is read and checked.
    unsigned char sink[4096];
    while (!m_MemberEnded)
    {
      Decode(sink, sizeof(sink), false);
    }
  }

  std::uint64_t
  GetPosition() const override
  {
    return m_Position;
  }

protected:
  GzipDataStream(const std::string & imageName, const std::string & fileName)
      : DataStream(imageName, fileName)
      , m_File(imageName, fileName)
      , m_BlockBytes(m_File.GetReadBlockBytes())
      , m_Compressed(new unsigned char[m_BlockBytes])
  {}

  /** Inflates raw deflate data from `input` (advanced past what was consumed, up to `inputBytes`) into `output` (up to
   * `outputBytes`). Returns the bytes written; sets `end` at the end of the deflate data, with `input` just after its
   * last byte. Throws (ThrowCorrupt) for invalid data. */
  virtual std::size_t
  InflateRaw(const unsigned char *& input,
             std::size_t &          inputBytes,
             unsigned char *        output,
             std::size_t            outputBytes,
             bool &                 end) = 0;

  /** Starts the raw decoder afresh, for the next member. */
  virtual void
  ResetRaw() = 0;

  /** The CRC-32 of gzip (reflected IEEE), continued over `bytes`. */
  virtual std::uint32_t
  Crc32(std::uint32_t crc, const unsigned char * bytes, std::size_t count) const = 0;

  [[noreturn]] void
  ThrowCorruptData(const std::string & reason) const
  {
    ThrowCorrupt(m_ImageName, m_FileName, reason);
  }

private:
  /** Decodes up to `byteCount` bytes; with `acrossMembers` false, stops at the end of the current member.
   * Returns the bytes decoded: fewer than asked only at the end of the input. */
  std::uint64_t
  Decode(unsigned char * target, std::uint64_t byteCount, bool acrossMembers)
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      if (m_MemberEnded)
      {
        if (!acrossMembers || !SkipZeroPadding())
        {
          break; // the end of the last member: no more data
        }
        m_MemberEnded = false;
        m_InHeader = true;
      }
      if (m_InHeader)
      {
        ReadMemberHeader(m_Position + done);
        continue;
      }
      if (m_InputBytes == 0 && !Refill())
      {
        ThrowTruncated(m_ImageName, m_FileName, m_Position + done); // the input ended inside a member
      }
      const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(byteCount - done, 1u << 30));
      const std::size_t inputBefore = m_InputBytes;
      bool              end = false;
      const std::size_t produced = InflateRaw(m_Input, m_InputBytes, target + done, wanted, end);
      if (produced == 0 && !end && m_InputBytes == inputBefore)
      {
        ThrowCorruptData("invalid deflate data: the decoder makes no progress"); // never loop on it
      }
      m_MemberCrc = Crc32(m_MemberCrc, target + done, produced);
      m_MemberLength += produced;
      done += produced;
      if (end)
      {
        ReadMemberTrailer(m_Position + done);
      }
    }
    m_Position += done;
    return done;
  }

  /** A member's header, as Python's gzip module reads it; then the deflate data start. */
  void
  ReadMemberHeader(std::uint64_t position)
  {
    // As Python: the two bytes of the magic number, or what there is of them, are no gzip stream unless they are it.
    const unsigned char first = NextByte(position);
    const bool          hasSecond = m_InputBytes > 0 || Refill();
    if (first != 0x1f || !hasSecond || NextByte(position) != 0x8b)
    {
      if (position == 0)
      {
        ThrowNotGzip(m_ImageName, m_FileName); // the first member: the file is no gzip stream at all
      }
      ThrowCorruptData("not a gzip stream");
    }
    const unsigned char method = NextByte(position);
    if (method != 8)
    {
      ThrowCorruptData("unknown compression method " + std::to_string(method));
    }
    const unsigned char flags = NextByte(position);
    SkipBytes(6, position); // modification time, extra flags, operating system
    if ((flags & 4) != 0)   // FEXTRA: a length, then the field
    {
      const unsigned int low = NextByte(position);
      SkipBytes(low | (static_cast<unsigned int>(NextByte(position)) << 8), position);
    }
    for (const unsigned char zeroTerminated : { 8, 16 }) // FNAME, FCOMMENT
    {
      bool more = (flags & zeroTerminated) != 0;
      while (more)
      {
        more = NextByte(position) != 0;
      }
    }
    if ((flags & 2) != 0) // FHCRC: Python reads it and does not check it
    {
      SkipBytes(2, position);
    }
    ResetRaw();
    m_MemberCrc = 0;
    m_MemberLength = 0;
    m_InHeader = false;
  }

  /** A member's trailer: the CRC-32 and the length (modulo 2^32) of its decoded bytes, little-endian. */
  void
  ReadMemberTrailer(std::uint64_t position)
  {
    std::uint32_t fields[2] = { 0, 0 };
    for (std::uint32_t & field : fields)
    {
      for (unsigned int byte = 0; byte < 4; ++byte)
      {
        field |= static_cast<std::uint32_t>(NextByte(position)) << (8 * byte);
      }
    }
    if (fields[0] != m_MemberCrc)
    {
      ThrowCorruptData("CRC mismatch");
    }
    if (fields[1] != static_cast<std::uint32_t>(m_MemberLength))
    {
      ThrowCorruptData("length mismatch");
    }
    m_MemberEnded = true;
  }

  /** The next byte of compressed input; the input's end here is a truncation after `position` decoded bytes. */
  unsigned char
  NextByte(std::uint64_t position)
  {
    if (m_InputBytes == 0 && !Refill())
    {
      ThrowTruncated(m_ImageName, m_FileName, position);
    }
    --m_InputBytes;
    return *m_Input++;
  }

  void
  SkipBytes(unsigned int count, std::uint64_t position)
  {
    for (unsigned int byte = 0; byte < count; ++byte)
    {
      NextByte(position);
    }
  }

  bool
  Refill()
  {
    m_InputBytes = m_File.ReadSome(m_Compressed.get(), m_BlockBytes);
    m_Input = m_Compressed.get();
    return m_InputBytes > 0;
  }

  /** After a member: skips the zero bytes gzip files may be padded with, as Python's gzip module does. True if more
   * input follows them (another member, or whatever the next member's header check makes of it). */
  bool
  SkipZeroPadding()
  {
    while (true)
    {
      if (m_InputBytes == 0 && !Refill())
      {
        return false;
      }
      while (m_InputBytes > 0 && *m_Input == 0)
      {
        ++m_Input;
        --m_InputBytes;
      }
      if (m_InputBytes > 0)
      {
        return true;
      }
    }
  }

  FileDescriptor                   m_File;
  const std::size_t                m_BlockBytes;
  std::unique_ptr<unsigned char[]> m_Compressed;
  const unsigned char *            m_Input = nullptr; // the compressed bytes read and not yet decoded
  std::size_t                      m_InputBytes = 0;
  std::uint64_t                    m_Position = 0;
  bool                             m_InHeader = true; // the next input is a member's header
  bool                             m_MemberEnded = false;
  std::uint32_t                    m_MemberCrc = 0;
  std::uint64_t                    m_MemberLength = 0;
};

#ifdef NIBRIDGE_HAVE_ISAL
/** The deflate data inflated by ISA-L (about twice zlib's speed), its CRC-32 by ISA-L too. */
class IsalGzipDataStream final : public GzipDataStream
{
public:
  IsalGzipDataStream(const std::string & imageName, const std::string & fileName)
      : GzipDataStream(imageName, fileName)
  {
    isal_inflate_init(&m_State);
  }

protected:
  std::size_t
  InflateRaw(const unsigned char *& input,
             std::size_t &          inputBytes,
             unsigned char *        output,
             std::size_t            outputBytes,
             bool &                 end) override
  {
    m_State.next_in = const_cast<unsigned char *>(input);
    m_State.avail_in = static_cast<std::uint32_t>(inputBytes);
    m_State.next_out = output;
    m_State.avail_out = static_cast<std::uint32_t>(outputBytes);
    const int status = isal_inflate(&m_State);
    if (status != ISAL_DECOMP_OK && status != ISAL_END_INPUT)
    {
      this->ThrowCorruptData("invalid deflate data, code " + std::to_string(status));
    }
    end = m_State.block_state == ISAL_BLOCK_FINISH;
    if (end)
    {
      // ISA-L reads ahead into its bit buffer: what it holds past the deflate data's end is the trailer's.
      const std::uint32_t unused = m_State.read_in_length / 8;
      m_State.next_in -= unused;
      m_State.avail_in += unused;
      m_State.read_in_length = 0;
      m_State.read_in = 0;
    }
    input = m_State.next_in;
    inputBytes = m_State.avail_in;
    return outputBytes - m_State.avail_out;
  }

  void
  ResetRaw() override
  {
    isal_inflate_reset(&m_State);
  }

  std::uint32_t
  Crc32(std::uint32_t crc, const unsigned char * bytes, std::size_t count) const override
  {
    return count == 0 ? crc : crc32_gzip_refl(crc, bytes, count);
  }

private:
  inflate_state m_State{};
};
#endif

/** The deflate data inflated by zlib, for builds without ISA-L (and NIBRIDGE_GZIP_DECODER=zlib). */
class ZlibGzipDataStream final : public GzipDataStream
{
public:
  ZlibGzipDataStream(const std::string & imageName, const std::string & fileName)
      : GzipDataStream(imageName, fileName)
  {
    if (inflateInit2(&m_Stream, -15) != Z_OK) // raw deflate: the gzip framing is GzipDataStream's
    {
      itkGenericExceptionMacro(<< '"' << imageName << "\": cannot start zlib's decoder for "
                               << DataText(imageName, fileName));
    }
  }

  ~ZlibGzipDataStream() override { inflateEnd(&m_Stream); }

protected:
  std::size_t
  InflateRaw(const unsigned char *& input,
             std::size_t &          inputBytes,
             unsigned char *        output,
             std::size_t            outputBytes,
             bool &                 end) override
  {
    m_Stream.next_in = const_cast<unsigned char *>(input);
    m_Stream.avail_in = static_cast<uInt>(inputBytes);
    m_Stream.next_out = output;
    m_Stream.avail_out = static_cast<uInt>(outputBytes);
    const int status = inflate(&m_Stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
    {
      this->ThrowCorruptData(status == Z_MEM_ERROR
                               ? std::string("out of memory")
                               : (m_Stream.msg != nullptr ? std::string(m_Stream.msg)
                                                          : "invalid deflate data, code " + std::to_string(status)));
    }
    end = status == Z_STREAM_END;
    input = m_Stream.next_in;
    inputBytes = m_Stream.avail_in;
    return outputBytes - m_Stream.avail_out;
  }

  void
  ResetRaw() override
  {
    inflateReset(&m_Stream);
  }

  std::uint32_t
  Crc32(std::uint32_t crc, const unsigned char * bytes, std::size_t count) const override
  {
    return static_cast<std::uint32_t>(crc32(crc, bytes, static_cast<uInt>(count)));
  }

private:
  z_stream m_Stream{};
};

bool
UseZlib()
{
#ifdef NIBRIDGE_HAVE_ISAL
  const char * requested = std::getenv("NIBRIDGE_GZIP_DECODER");
  return requested != nullptr && std::string(requested) == "zlib";
#else
  return true;
#endif
}
} // namespace

void
DataStream::Read(char * target, std::uint64_t byteCount)
{
  if (this->ReadSome(target, byteCount) != byteCount)
  {
    ThrowTruncated(m_ImageName, m_FileName, this->GetPosition());
  }
}

void
DataStream::Skip(std::uint64_t byteCount)
{
  // Decoded and dropped, for streams that cannot seek, through one buffer kept for the stream's later skips.
  const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(byteCount, CompressedBlockBytes));
  if (m_Sink.size() < wanted)
  {
    m_Sink.resize(wanted);
  }
  for (std::uint64_t remaining = byteCount; remaining > 0;)
  {
    const std::uint64_t piece = std::min<std::uint64_t>(remaining, m_Sink.size());
    this->Read(m_Sink.data(), piece);
    remaining -= piece;
  }
}

std::unique_ptr<DataStream>
OpenDataStream(const std::string & imageName, const std::string & dataFileName, bool gzipped, std::uint64_t offset)
{
  std::unique_ptr<DataStream> stream;
  if (!gzipped)
  {
    stream = std::make_unique<PlainDataStream>(imageName, dataFileName);
  }
  else if (UseZlib())
  {
    stream = std::make_unique<ZlibGzipDataStream>(imageName, dataFileName);
  }
  else
  {
#ifdef NIBRIDGE_HAVE_ISAL
    stream = std::make_unique<IsalGzipDataStream>(imageName, dataFileName);
#endif
  }
  stream->Skip(offset);
  return stream;
}

const char *
GzipDecoderName()
{
  return UseZlib() ? "gzip (zlib)" : "gzip (ISA-L)";
}

bool
IsRegularFile(const std::string & fileName)
{
  struct stat status;
  return stat(fileName.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

std::string
ReadFileStart(const std::string & fileName, std::size_t count, bool gzipped)
{
  if (!IsRegularFile(fileName))
  {
    return {};
  }
  std::string bytes(count, '\0');
  if (gzipped)
  {
    // The first bytes of the decoded stream, decoded here with zlib's inflate and no further: a damaged trailer (the
    // reader's error to report) must not hide what the file starts with, as gzread would for a small file.
    const std::string compressed = ReadFileStart(fileName, std::max<std::size_t>(count, 4096) + 1024, false);
    if (compressed.compare(0, 2, "\x1f\x8b") != 0)
    {
      return {}; // not gzip: zlib would hand out the plain bytes
    }
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
    {
      return {};
    }
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    stream.next_out = reinterpret_cast<Bytef *>(bytes.data());
    stream.avail_out = static_cast<uInt>(count);
    while (stream.avail_out > 0 && stream.avail_in > 0)
    {
      const int status = inflate(&stream, Z_NO_FLUSH);
      if (status != Z_OK)
      {
        break;
      }
    }
    bytes.resize(count - stream.avail_out);
    inflateEnd(&stream);
    return bytes;
  }
  const int descriptor = open(fileName.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (descriptor < 0)
  {
    return {};
  }
  std::size_t done = 0;
  while (done < count)
  {
    const ssize_t got = read(descriptor, bytes.data() + done, count - done);
    if (got <= 0 && !(got < 0 && errno == EINTR))
    {
      break;
    }
    done += got > 0 ? static_cast<std::size_t>(got) : 0;
  }
  close(descriptor);
  bytes.resize(done);
  return bytes;
}

} // namespace nibridge
} // namespace itk
