/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeDataStream.h"

#include "itkMacro.h"

#include <zlib.h>
#ifdef NIBRIDGE_HAVE_ISAL
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
// Linux moves at most about 2 GiB per read; stay well below.
constexpr std::uint64_t MaximumTransferBytes = std::uint64_t{ 1 } << 30;

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

private:
  std::string m_ImageName;
  int         m_Descriptor = -1;
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

#ifdef NIBRIDGE_HAVE_ISAL
/** gzip through ISA-L's inflate, one member after another as gzip concatenates them; each member's CRC-32
 * and length are checked by the library. */
class IsalGzipDataStream final : public DataStream
{
public:
  IsalGzipDataStream(const std::string & imageName, const std::string & fileName)
      : DataStream(imageName, fileName)
      , m_File(imageName, fileName)
      , m_Compressed(new unsigned char[CompressedBlockBytes])
  {
    isal_inflate_init(&m_State);
    m_State.crc_flag = ISAL_GZIP;
  }

  std::uint64_t
  ReadSome(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const std::uint64_t piece = std::min(byteCount - done, MaximumTransferBytes);
      const std::uint64_t got = Inflate(reinterpret_cast<unsigned char *>(target + done), piece, true);
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
    // Run the current member to its end, so that its trailer (CRC-32, length) is read and checked:
    // isal_inflate reports ISAL_BLOCK_FINISH once it has been.
    unsigned char sink[4096];
    while (m_State.block_state != ISAL_BLOCK_FINISH)
    {
      if (Inflate(sink, sizeof(sink), false) == 0 && m_State.block_state != ISAL_BLOCK_FINISH && m_EndOfInput)
      {
        ThrowTruncated(m_ImageName, m_FileName, m_Position);
      }
    }
  }

  std::uint64_t
  GetPosition() const override
  {
    return m_Position;
  }

private:
  /** Decodes up to `byteCount` bytes; with `acrossMembers` false, stops at the end of the current member.
   * Returns the bytes decoded: fewer than asked only at the end of the input. */
  std::uint64_t
  Inflate(unsigned char * target, std::uint64_t byteCount, bool acrossMembers)
  {
    m_State.next_out = target;
    m_State.avail_out = static_cast<std::uint32_t>(byteCount);
    while (m_State.avail_out > 0)
    {
      if (m_State.block_state == ISAL_BLOCK_FINISH)
      {
        if (!acrossMembers || !SkipZeroPadding())
        {
          break; // the end of the last member: no more data
        }
        StartNextMember();
      }
      if (m_State.avail_in == 0 && !Refill())
      {
        // The input ended inside a member.
        ThrowTruncated(m_ImageName, m_FileName, m_Position + (byteCount - m_State.avail_out));
      }
      const int status = isal_inflate(&m_State);
      if (status == ISAL_INVALID_WRAPPER && m_Position + (byteCount - m_State.avail_out) == 0)
      {
        ThrowNotGzip(m_ImageName, m_FileName); // the first member's header: the file is no gzip stream at all
      }
      if (status != ISAL_DECOMP_OK && status != ISAL_END_INPUT)
      {
        ThrowCorrupt(m_ImageName, m_FileName, Describe(status));
      }
    }
    const std::uint64_t done = byteCount - m_State.avail_out;
    m_Position += done;
    return done;
  }

  bool
  Refill()
  {
    const std::size_t got = m_File.ReadSome(m_Compressed.get(), CompressedBlockBytes);
    m_State.next_in = m_Compressed.get();
    m_State.avail_in = static_cast<std::uint32_t>(got);
    m_EndOfInput = got == 0;
    return got > 0;
  }

  /** After a member: skips the zero bytes gzip files may be padded with, as Python's gzip module (and so nibabel)
   * does. True if more input follows them (another member, or whatever the next member's header check makes of it). */
  bool
  SkipZeroPadding()
  {
    while (true)
    {
      if (m_State.avail_in == 0 && !Refill())
      {
        return false;
      }
      while (m_State.avail_in > 0 && *m_State.next_in == 0)
      {
        ++m_State.next_in;
        --m_State.avail_in;
      }
      if (m_State.avail_in > 0)
      {
        return true;
      }
    }
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

  FileDescriptor                   m_File;
  std::unique_ptr<unsigned char[]> m_Compressed;
  inflate_state                    m_State{};
  std::uint64_t                    m_Position = 0;
  bool                             m_EndOfInput = false;
};
#endif

/** gzip through zlib, for builds without ISA-L (and NIBRIDGE_GZIP_DECODER=zlib). */
class ZlibGzipDataStream final : public DataStream
{
public:
  ZlibGzipDataStream(const std::string & imageName, const std::string & fileName)
      : DataStream(imageName, fileName)
      , m_Checked(imageName, fileName) // the regular-file check; gzdopen takes a descriptor of its own
  {
    const int descriptor = dup(m_Checked.Get());
    m_File = descriptor < 0 ? nullptr : gzdopen(descriptor, "rb");
    if (m_File == nullptr)
    {
      if (descriptor >= 0)
      {
        close(descriptor);
      }
      itkGenericExceptionMacro(<< '"' << imageName << "\": cannot open " << DataText(imageName, fileName)
                               << " for decompression");
    }
    gzbuffer(m_File, static_cast<unsigned int>(CompressedBlockBytes));
    if (gzdirect(m_File))
    {
      gzclose_r(m_File);
      ThrowNotGzip(imageName, fileName);
    }
  }

  ~ZlibGzipDataStream() override { gzclose_r(m_File); }

  std::uint64_t
  ReadSome(char * target, std::uint64_t byteCount) override
  {
    std::uint64_t done = 0;
    while (done < byteCount)
    {
      const auto piece = static_cast<unsigned int>(std::min(byteCount - done, MaximumTransferBytes));
      const int  got = gzread(m_File, target + done, piece);
      if (got < 0)
      {
        ThrowReadError(m_Position + done);
      }
      if (got == 0)
      {
        int errorNumber = Z_OK;
        gzerror(m_File, &errorNumber);
        if (errorNumber != Z_OK)
        {
          ThrowReadError(m_Position + done);
        }
        break;
      }
      done += static_cast<std::uint64_t>(got);
    }
    m_Position += done;
    return done;
  }

  void
  CheckEnd() override
  {
    // One more byte: zlib then reads and checks the member's trailer (and reports a truncated one).
    char byte;
    int  errorNumber = Z_OK;
    if (gzread(m_File, &byte, 1) < 0 || (gzerror(m_File, &errorNumber), errorNumber != Z_OK))
    {
      ThrowReadError(m_Position);
    }
  }

  std::uint64_t
  GetPosition() const override
  {
    return m_Position;
  }

private:
  [[noreturn]] void
  ThrowReadError(std::uint64_t position) const
  {
    int          errorNumber = Z_OK;
    const char * message = gzerror(m_File, &errorNumber);
    if (errorNumber == Z_OK || errorNumber == Z_BUF_ERROR)
    {
      ThrowTruncated(m_ImageName, m_FileName, position);
    }
    ThrowCorrupt(m_ImageName, m_FileName, Describe(message));
  }

  /** zlib's reason in the words the ISA-L decoder uses, without the name gzdopen gives the stream ("<fd:N>: "). */
  static std::string
  Describe(const char * message)
  {
    std::string reason = message != nullptr ? message : "";
    if (reason.rfind("<fd:", 0) == 0 && reason.find(">: ") != std::string::npos)
    {
      reason.erase(0, reason.find(">: ") + 3);
    }
    if (reason == "incorrect data check")
    {
      return "CRC mismatch";
    }
    if (reason == "incorrect length check")
    {
      return "length mismatch";
    }
    return reason.empty() ? "invalid deflate data" : reason;
  }

  FileDescriptor m_Checked;
  gzFile         m_File = nullptr;
  std::uint64_t  m_Position = 0;
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
