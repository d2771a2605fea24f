/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeITKReaderChecks.h"

#include "itkMacro.h"
#include "itkNiBridgeText.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

namespace nibridge_itk_reader
{
namespace
{
using itk::nibridge::LowerCase;

bool
EndsWith(const std::string & name, const std::string & extension)
{
  const std::string lower = LowerCase(name);
  return lower.size() > extension.size() &&
         lower.compare(lower.size() - extension.size(), extension.size(), extension) == 0;
}

std::string
Trim(const std::string & text)
{
  const auto first = text.find_first_not_of(" \t\r");
  const auto last = text.find_last_not_of(" \t\r");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

/** "Key = value" (MetaImage) or "key: value" (NRRD) lines up to the end of the header, and where it ends. */
struct TextHeader
{
  std::map<std::string, std::string> fields;
  std::uint64_t                      end = 0;
  bool                               ended = false;

  std::string
  Field(const std::string & key) const
  {
    const auto found = fields.find(key);
    return found == fields.end() ? std::string() : found->second;
  }
};

constexpr std::uint64_t LargestHeader = 1 << 20;

/** A MetaImage header: its fields up to ElementDataFile, which ends it (LOCAL data starts on the next byte). */
TextHeader
ReadMetaImageHeader(std::istream & file)
{
  TextHeader  header;
  std::string line;
  while (header.end < LargestHeader && std::getline(file, line))
  {
    header.end += line.size() + (file.eof() ? 0 : 1);
    const auto equals = line.find('=');
    if (equals == std::string::npos)
    {
      continue;
    }
    const std::string key = Trim(line.substr(0, equals));
    header.fields[key] = Trim(line.substr(equals + 1));
    if (key == "ElementDataFile")
    {
      header.ended = true;
      break;
    }
  }
  return header;
}

/** An NRRD header: "field: value" lines (keys in lower case; "key:=value" pairs and comments left out) up to the
 * first empty line, after which attached data start. */
TextHeader
ReadNrrdHeader(std::istream & file)
{
  TextHeader  header;
  std::string line;
  bool        first = true;
  while (header.end < LargestHeader && std::getline(file, line))
  {
    header.end += line.size() + (file.eof() ? 0 : 1);
    if (!line.empty() && line.back() == '\r')
    {
      line.pop_back();
    }
    if (first)
    {
      first = false;
      continue; // NRRD000X
    }
    if (line.empty())
    {
      header.ended = true;
      break;
    }
    if (line[0] == '#' || line.find(":=") != std::string::npos)
    {
      continue;
    }
    const auto colon = line.find(": ");
    if (colon != std::string::npos)
    {
      header.fields[LowerCase(Trim(line.substr(0, colon)))] = Trim(line.substr(colon + 2));
    }
  }
  return header;
}

[[noreturn]] void
Refuse(const std::string & fileName, const std::string & reason)
{
  itkGenericExceptionMacro(<< '"' << fileName << "\": " << reason);
}

/** The data file a header names, next to the header where it is relative. */
std::string
BesideHeader(const std::string & headerFileName, const std::string & dataFileName)
{
  std::filesystem::path data(dataFileName);
  if (data.is_relative())
  {
    data = std::filesystem::path(headerFileName).parent_path() / data;
  }
  return data.string();
}
} // namespace

HeaderChecks::HeaderChecks(const std::string & fileName)
    : m_FileName(fileName)
{
  const bool metaImage = EndsWith(fileName, ".mha") || EndsWith(fileName, ".mhd");
  const bool nrrd = EndsWith(fileName, ".nrrd") || EndsWith(fileName, ".nhdr");
  if (!metaImage && !nrrd)
  {
    return;
  }
  std::ifstream file(fileName, std::ios::binary);
  if (metaImage)
  {
    m_Format = Format::MetaImage;
    const TextHeader header = ReadMetaImageHeader(file);
    const auto       integers = [&](const char * key, long long lowest, long long highest) {
      std::istringstream values(header.Field(key));
      long long          value = 0;
      while (values >> value)
      {
        if (value < lowest || value > highest)
        {
          Refuse(fileName,
                 std::string("the MetaImage header's ") + key + " holds " + std::to_string(value) + ", outside " +
                   std::to_string(lowest) + " to " + std::to_string(highest));
        }
      }
    };
    integers("NDims", 1, 32);
    integers("DimSize", 1, std::numeric_limits<std::int64_t>::max());
    integers("ElementNumberOfChannels", 1, 1 << 20);
    const std::string compressed = LowerCase(header.Field("CompressedData"));
    m_Compressed = compressed == "true" || compressed == "1";
    const std::string dataFile = header.Field("ElementDataFile");
    const std::string headerSize = header.Field("HeaderSize");
    m_Simple = headerSize.empty() || headerSize == "0";
    if (LowerCase(dataFile) == "local")
    {
      m_DataFileName = fileName;
      m_DataOffset = header.end;
    }
    else if (!dataFile.empty() && dataFile != "LIST" && dataFile.find('%') == std::string::npos &&
             dataFile.find(' ') == std::string::npos)
    {
      m_DataFileName = BesideHeader(fileName, dataFile);
    }
  }
  else
  {
    m_Format = Format::Nrrd;
    const TextHeader  header = ReadNrrdHeader(file);
    const std::string encoding = LowerCase(header.Field("encoding"));
    m_Compressed = encoding == "gzip" || encoding == "gz";
    m_Simple =
      (encoding == "raw" || m_Compressed) && header.Field("byte skip").empty() && header.Field("line skip").empty();
    std::string dataFile = header.Field("data file");
    if (dataFile.empty())
    {
      dataFile = header.Field("datafile");
    }
    if (dataFile.empty())
    {
      m_DataFileName = fileName;
      m_DataOffset = header.end;
      m_Simple = m_Simple && header.ended;
    }
    else if (dataFile.find(' ') == std::string::npos && dataFile != "LIST")
    {
      m_DataFileName = BesideHeader(fileName, dataFile);
    }
  }
  if (!m_DataFileName.empty() && m_DataFileName != fileName)
  {
    if (const auto reason = itk::nibridge::WhyNotReadable(m_DataFileName))
    {
      Refuse(fileName, "its data file \"" + m_DataFileName + "\" is " + *reason);
    }
  }
}

std::optional<itk::nibridge::StoredVoxels>
HeaderChecks::StoredVoxelsOf(std::uint64_t bytes) const
{
  if (m_Format == Format::Other || m_DataFileName.empty() || !m_Simple)
  {
    return std::nullopt;
  }
  if (!m_Compressed)
  {
    return itk::nibridge::StoredVoxels{ m_DataFileName, m_DataOffset, bytes, false };
  }
  std::error_code     error;
  const std::uint64_t fileBytes = std::filesystem::file_size(m_DataFileName, error);
  if (error || fileBytes <= m_DataOffset)
  {
    return std::nullopt;
  }
  // What the deflate stream decodes to is bounded by its own bytes (the offset lies before it, not in it).
  return itk::nibridge::StoredVoxels{ m_DataFileName, 0, bytes, true, fileBytes - m_DataOffset };
}

void
HeaderChecks::CheckCompressedData(std::uint64_t bytes) const
{
  if (m_Format == Format::Other || m_DataFileName.empty() || !m_Simple || !m_Compressed)
  {
    return;
  }
  std::ifstream file(m_DataFileName, std::ios::binary);
  file.seekg(static_cast<std::streamoff>(m_DataOffset));
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) // zlib or gzip, as the header says
  {
    Refuse(m_FileName, "zlib cannot start");
  }
  std::vector<unsigned char> input(1 << 16), output(1 << 18);
  std::uint64_t              decoded = 0;
  int                        status = Z_OK;
  bool                       endOfFile = false;
  while (true)
  {
    if (stream.avail_in == 0 && !endOfFile)
    {
      file.read(reinterpret_cast<char *>(input.data()), static_cast<std::streamsize>(input.size()));
      stream.next_in = input.data();
      stream.avail_in = static_cast<uInt>(file.gcount());
      endOfFile = file.gcount() == 0;
    }
    if (stream.avail_in == 0 && endOfFile)
    {
      break;
    }
    stream.next_out = output.data();
    stream.avail_out = static_cast<uInt>(output.size());
    status = inflate(&stream, Z_NO_FLUSH);
    decoded += output.size() - stream.avail_out;
    if (status == Z_STREAM_END)
    {
      // Another gzip member may follow (gzip concatenates them); zero padding or nothing else ends the data.
      if (stream.avail_in == 0 && !endOfFile)
      {
        file.read(reinterpret_cast<char *>(input.data()), static_cast<std::streamsize>(input.size()));
        stream.next_in = input.data();
        stream.avail_in = static_cast<uInt>(file.gcount());
        endOfFile = file.gcount() == 0;
      }
      if (stream.avail_in < 2 || stream.next_in[0] != 0x1f || stream.next_in[1] != 0x8b)
      {
        break;
      }
      inflateReset(&stream);
      status = Z_OK;
      continue;
    }
    if (status != Z_OK && status != Z_BUF_ERROR)
    {
      const std::string message = stream.msg != nullptr ? stream.msg : "undecodable data";
      inflateEnd(&stream);
      Refuse(m_FileName, "its compressed data are damaged (zlib: " + message + ")");
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && endOfFile)
    {
      break;
    }
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END)
  {
    Refuse(m_FileName,
           "its compressed data are cut short: the stream ends after " + std::to_string(decoded) + " of the " +
             std::to_string(bytes) + " bytes the header promises");
  }
  if (decoded < bytes)
  {
    Refuse(m_FileName,
           "its compressed data decode to " + std::to_string(decoded) + " bytes, not the " + std::to_string(bytes) +
             " the header promises");
  }
}
} // namespace nibridge_itk_reader
