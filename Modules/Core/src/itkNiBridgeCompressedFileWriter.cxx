/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeCompressedFileWriter.h"

#include "itkMacro.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

namespace itk
{
namespace nibridge
{
namespace
{
constexpr std::size_t OutputBlockBytes = std::size_t{ 1 } << 20;
} // namespace

struct CompressedFileWriter::Deflater
{
  z_stream          stream{};
  std::vector<char> output = std::vector<char>(OutputBlockBytes);
};

CompressedFileWriter::CompressedFileWriter(const std::string & fileName, bool gzipped)
    : m_File(fileName)
{
  if (gzipped)
  {
    m_Deflater = std::make_unique<Deflater>();
    // windowBits 15 + 16: a gzip wrapper.
    if (deflateInit2(&m_Deflater->stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    {
      m_Deflater.reset();
      itkGenericExceptionMacro(<< '"' << fileName << "\": cannot start gzip compression");
    }
  }
}

CompressedFileWriter::~CompressedFileWriter()
{
  if (m_Deflater)
  {
    deflateEnd(&m_Deflater->stream);
  }
}

void
CompressedFileWriter::Write(const void * bytes, std::uint64_t byteCount)
{
  if (!m_Deflater)
  {
    m_File.Write(bytes, byteCount);
    return;
  }
  z_stream &   stream = m_Deflater->stream;
  const auto * input = static_cast<const unsigned char *>(bytes);
  for (std::uint64_t done = 0; done < byteCount;)
  {
    const auto piece = static_cast<uInt>(std::min<std::uint64_t>(byteCount - done, std::uint64_t{ 1 } << 30));
    stream.next_in = const_cast<unsigned char *>(input + done);
    stream.avail_in = piece;
    while (stream.avail_in > 0)
    {
      stream.next_out = reinterpret_cast<unsigned char *>(m_Deflater->output.data());
      stream.avail_out = static_cast<uInt>(m_Deflater->output.size());
      deflate(&stream, Z_NO_FLUSH);
      m_File.Write(m_Deflater->output.data(), m_Deflater->output.size() - stream.avail_out);
    }
    done += piece;
  }
}

void
CompressedFileWriter::Commit()
{
  if (m_Deflater)
  {
    z_stream & stream = m_Deflater->stream;
    stream.next_in = nullptr;
    stream.avail_in = 0;
    int status = Z_OK;
    while (status != Z_STREAM_END)
    {
      stream.next_out = reinterpret_cast<unsigned char *>(m_Deflater->output.data());
      stream.avail_out = static_cast<uInt>(m_Deflater->output.size());
      status = deflate(&stream, Z_FINISH);
      if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
      {
        itkGenericExceptionMacro(<< '"' << m_File.GetTargetFileName() << "\": gzip compression failed");
      }
      m_File.Write(m_Deflater->output.data(), m_Deflater->output.size() - stream.avail_out);
    }
  }
  m_File.Commit();
}

} // namespace nibridge
} // namespace itk
