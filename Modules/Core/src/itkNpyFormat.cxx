/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNpyFormat.h"

#include "itkNiBridgeComponentType.h"

#include "itkByteSwapper.h"
#include "itkImageIOBase.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <istream>
#include <limits>
#include <sstream>
#include <type_traits>
#include <utility>

namespace itk
{
namespace nibridge
{
namespace
{
constexpr char          MagicString[] = "\x93NUMPY";
constexpr std::size_t   MagicLength = 6;
constexpr std::size_t   HeaderAlignment = 64;     // numpy's ARRAY_ALIGN
constexpr std::size_t   GrowthAxisMaxDigits = 21; // numpy's spare room to grow the shape in place
constexpr std::uint64_t MaximumHeaderLength = 1024 * 1024;
constexpr unsigned int  MaximumLiteralDepth = 32;
constexpr std::size_t   MaximumNumberOfDimensions = 64; // numpy 2's NPY_MAXDIMS

constexpr const char * SupportedDTypes = "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
                                         "float16 (read as float32), float32, float64, complex64, complex128";

[[noreturn]] void
ThrowNpyError(const std::string & fileName, const std::string & reason)
{
  itkGenericExceptionMacro(<< '"' << fileName << "\": " << reason);
}

/** Quotes a piece of header text for a message, cut short so that a 1 MiB header never becomes a 1 MiB message, every
 * byte outside printable ASCII as \xNN: a header may hold anything (line breaks, bytes that are no UTF-8, a UTF-8
 * character the cut would split), and the message must stay one line that any caller can show. */
std::string
Quote(const std::string & text)
{
  constexpr std::size_t maximumLength = 80;
  std::string           shown = text.size() > maximumLength ? text.substr(0, maximumLength) + "..." : text;
  std::string           quoted = "'";
  for (const char character : shown)
  {
    const auto byte = static_cast<unsigned char>(character);
    if (byte < 0x20 || byte >= 0x7f)
    {
      static constexpr char hexDigits[] = "0123456789abcdef";
      quoted += "\\x";
      quoted += hexDigits[byte >> 4];
      quoted += hexDigits[byte & 0xf];
    }
    else
    {
      quoted += character;
    }
  }
  return quoted + "'";
}

// ----------------------------------------------------------------------------------------------------------------
// The header dictionary: a strict recursive-descent parser for the Python literals numpy writes.

/** One Python literal of the header: a string, a number, True/False/None, a tuple, a list or a dict. */
struct PythonLiteral
{
  enum class Kind
  {
    String,
    Integer, // digits with an optional sign and an optional Python 2 'L' suffix
    OtherNumber,
    Boolean,
    None,
    Tuple,
    List,
    Dict
  };

  Kind                                               kind = Kind::None;
  std::string                                        source; // the literal as written, for messages
  std::string                                        text;   // the value of a string, the digits of an integer
  bool                                               negative = false;
  bool                                               boolean = false;
  std::vector<PythonLiteral>                         items;   // of a tuple or list
  std::vector<std::pair<std::string, PythonLiteral>> entries; // of a dict (string keys only)
};

class PythonLiteralParser
{
public:
  PythonLiteralParser(const std::string & text, const std::string & fileName)
      : m_Text(text)
      , m_FileName(fileName)
  {}

  /** Parses the whole text as one literal, surrounded by nothing but whitespace. */
  PythonLiteral
  ParseAll()
  {
    PythonLiteral literal = this->ParseValue(0);
    this->SkipWhitespace();
    if (m_Position != m_Text.size())
    {
      this->Fail("unexpected text after the dictionary");
    }
    return literal;
  }

private:
  [[noreturn]] void
  Fail(const std::string & reason) const
  {
    ThrowNpyError(m_FileName,
                  "malformed header: " + reason + " at offset " + std::to_string(m_Position) + " of the header " +
                    Quote(m_Text));
  }

  void
  SkipWhitespace()
  {
    while (m_Position < m_Text.size() &&
           (m_Text[m_Position] == ' ' || m_Text[m_Position] == '\t' || m_Text[m_Position] == '\n' ||
            m_Text[m_Position] == '\r' || m_Text[m_Position] == '\f' || m_Text[m_Position] == '\v'))
    {
      ++m_Position;
    }
  }

  bool
  AtEnd() const
  {
    return m_Position >= m_Text.size();
  }

  char
  Peek() const
  {
    return m_Position < m_Text.size() ? m_Text[m_Position] : '\0';
  }

  PythonLiteral
  ParseValue(unsigned int depth)
  {
    if (depth > MaximumLiteralDepth)
    {
      this->Fail("literals nested too deeply");
    }
    this->SkipWhitespace();
    if (this->AtEnd())
    {
      this->Fail("unexpected end");
    }
    const std::size_t start = m_Position;
    PythonLiteral     literal;
    const char        next = this->Peek();
    if (next == '{')
    {
      literal = this->ParseDict(depth);
    }
    else if (next == '(')
    {
      literal = this->ParseTupleOrParenthesized(depth);
    }
    else if (next == '[')
    {
      literal = this->ParseList(depth);
    }
    else if (next == '\'' || next == '"' ||
             ((next == 'u' || next == 'b') && m_Position + 1 < m_Text.size() &&
              (m_Text[m_Position + 1] == '\'' || m_Text[m_Position + 1] == '"')))
    {
      literal = this->ParseString();
    }
    else if (next == '-' || next == '+' || next == '.' || std::isdigit(static_cast<unsigned char>(next)))
    {
      literal = this->ParseNumber();
    }
    else if (std::isalpha(static_cast<unsigned char>(next)) || next == '_')
    {
      literal = this->ParseName();
    }
    else
    {
      this->Fail(std::string("unexpected character ") + Quote(std::string(1, next)));
    }
    literal.source = m_Text.substr(start, m_Position - start);
    return literal;
  }

  PythonLiteral
  ParseDict(unsigned int depth)
  {
    PythonLiteral literal;
    literal.kind = PythonLiteral::Kind::Dict;
    ++m_Position; // '{'
    while (true)
    {
      this->SkipWhitespace();
      if (this->Peek() == '}')
      {
        ++m_Position;
        return literal;
      }
      PythonLiteral key = this->ParseValue(depth + 1);
      if (key.kind != PythonLiteral::Kind::String)
      {
        this->Fail("dictionary key " + Quote(key.source) + " is not a string");
      }
      for (const auto & entry : literal.entries)
      {
        if (entry.first == key.text)
        {
          this->Fail("duplicate key " + Quote(key.text));
        }
      }
      this->SkipWhitespace();
      if (this->Peek() != ':')
      {
        this->Fail("expected ':' after a dictionary key");
      }
      ++m_Position;
      literal.entries.emplace_back(key.text, this->ParseValue(depth + 1));
      this->SkipWhitespace();
      if (this->Peek() == ',')
      {
        ++m_Position;
      }
      else if (this->Peek() != '}')
      {
        this->Fail("expected ',' or '}' in the dictionary");
      }
    }
  }

  /** Parses `(items)`: `()` and `(x,)` are tuples, `(x)` is just x, as in Python. */
  PythonLiteral
  ParseTupleOrParenthesized(unsigned int depth)
  {
    ++m_Position; // '('
    PythonLiteral tuple;
    tuple.kind = PythonLiteral::Kind::Tuple;
    bool sawComma = false;
    while (true)
    {
      this->SkipWhitespace();
      if (this->Peek() == ')')
      {
        ++m_Position;
        if (tuple.items.size() == 1 && !sawComma)
        {
          return tuple.items.front();
        }
        return tuple;
      }
      tuple.items.push_back(this->ParseValue(depth + 1));
      this->SkipWhitespace();
      if (this->Peek() == ',')
      {
        ++m_Position;
        sawComma = true;
      }
      else if (this->Peek() != ')')
      {
        this->Fail("expected ',' or ')' in a tuple");
      }
    }
  }

  PythonLiteral
  ParseList(unsigned int depth)
  {
    ++m_Position; // '['
    PythonLiteral list;
    list.kind = PythonLiteral::Kind::List;
    while (true)
    {
      this->SkipWhitespace();
      if (this->Peek() == ']')
      {
        ++m_Position;
        return list;
      }
      list.items.push_back(this->ParseValue(depth + 1));
      this->SkipWhitespace();
      if (this->Peek() == ',')
      {
        ++m_Position;
      }
      else if (this->Peek() != ']')
      {
        this->Fail("expected ',' or ']' in a list");
      }
    }
  }

  PythonLiteral
  ParseString()
  {
    PythonLiteral literal;
    literal.kind = PythonLiteral::Kind::String;
    if (this->Peek() == 'u' || this->Peek() == 'b')
    {
      ++m_Position; // Python 2's u'' and b'' prefixes
    }
    const char quote = m_Text[m_Position++];
    while (true)
    {
      if (this->AtEnd())
      {
        this->Fail("unterminated string");
      }
      const char character = m_Text[m_Position++];
      if (character == quote)
      {
        return literal;
      }
      if (character == '\n')
      {
        this->Fail("line break inside a string");
      }
      if (character == '\\')
      {
        if (this->AtEnd())
        {
          this->Fail("unterminated string");
        }
        // Escapes only appear in field names of structured dtypes, which are refused later anyway.
        literal.text += m_Text[m_Position++];
        continue;
      }
      literal.text += character;
    }
  }

  PythonLiteral
  ParseNumber()
  {
    PythonLiteral literal;
    literal.kind = PythonLiteral::Kind::Integer;
    if (this->Peek() == '-' || this->Peek() == '+')
    {
      literal.negative = this->Peek() == '-';
      ++m_Position;
    }
    while (std::isdigit(static_cast<unsigned char>(this->Peek())))
    {
      literal.text += m_Text[m_Position++];
    }
    if (!literal.text.empty() && (this->Peek() == 'L' || this->Peek() == 'l'))
    {
      ++m_Position; // Python 2's long integers, e.g. 3L
    }
    // Anything else a Python number may hold (a point, an exponent, a base prefix) makes it a non-integer.
    while (std::isalnum(static_cast<unsigned char>(this->Peek())) || this->Peek() == '.' || this->Peek() == '_' ||
           ((this->Peek() == '+' || this->Peek() == '-') &&
            (m_Text[m_Position - 1] == 'e' || m_Text[m_Position - 1] == 'E')))
    {
      literal.kind = PythonLiteral::Kind::OtherNumber;
      ++m_Position;
    }
    if (literal.text.empty() && literal.kind == PythonLiteral::Kind::Integer)
    {
      this->Fail("a sign without digits");
    }
    return literal;
  }

  PythonLiteral
  ParseName()
  {
    const std::size_t start = m_Position;
    while (std::isalnum(static_cast<unsigned char>(this->Peek())) || this->Peek() == '_')
    {
      ++m_Position;
    }
    const std::string name = m_Text.substr(start, m_Position - start);
    PythonLiteral     literal;
    if (name == "True" || name == "False")
    {
      literal.kind = PythonLiteral::Kind::Boolean;
      literal.boolean = name == "True";
    }
    else if (name == "None")
    {
      literal.kind = PythonLiteral::Kind::None;
    }
    else
    {
      m_Position = start;
      this->Fail("the name " + Quote(name) + " is not a Python literal");
    }
    return literal;
  }

  const std::string & m_Text;
  const std::string & m_FileName;
  std::size_t         m_Position = 0;
};

/** The ITK component type of a NumPy kind and item size, from Core's one table (complex: that of its parts);
 * UNKNOWNCOMPONENTTYPE for the others. */
IOComponentEnum
ComponentOfNumPyKind(char kind, std::size_t itemSize)
{
  const auto type = ComponentTypeFromNumPyKind(kind, itemSize);
  const auto component = type ? IOComponentOf(*type) : std::nullopt;
  return component ? *component : IOComponentEnum::UNKNOWNCOMPONENTTYPE;
}

/** What a dtype string that NiBridge does not read holds, for the message; empty if it is not a known dtype. */
std::string
DescribeUnsupportedKind(char kind)
{
  switch (kind)
  {
    case 'U':
      return "unicode strings";
    case 'S':
    case 'a':
      return "byte strings";
    case 'V':
      return "raw bytes (void)";
    case 'M':
      return "datetimes";
    case 'm':
      return "timedeltas";
    case 'T':
      return "variable-width strings";
    default:
      return "";
  }
}

bool
IsAllDigits(const std::string & text)
{
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

/** Fills the dtype fields of `header` from its descr string. */
void
ParseDescr(NpyHeader & header, const std::string & fileName)
{
  const std::string & descr = header.descr;
  std::size_t         position = 0;
  bool                bigEndian = ByteSwapper<int>::SystemIsBigEndian();
  if (!descr.empty() && (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=' || descr[0] == '!'))
  {
    if (descr[0] == '<')
    {
      bigEndian = false;
    }
    else if (descr[0] == '>' || descr[0] == '!')
    {
      bigEndian = true;
    }
    position = 1;
  }
  if (position >= descr.size())
  {
    ThrowNpyError(fileName, "unknown dtype " + Quote(descr) + "; supported dtypes: " + SupportedDTypes);
  }
  const char        kind = descr[position];
  const std::string sizeText = descr.substr(position + 1);

  if (kind == 'O')
  {
    ThrowNpyError(fileName,
                  "object arrays (dtype " + Quote(descr) +
                    ") hold pickled Python objects and cannot be read; supported dtypes: " + SupportedDTypes);
  }
  const std::string unsupportedKind = DescribeUnsupportedKind(kind);
  if (!unsupportedKind.empty())
  {
    ThrowNpyError(fileName,
                  "unsupported dtype " + Quote(descr) + " (" + unsupportedKind +
                    "); supported dtypes: " + SupportedDTypes);
  }
  if ((kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f' && kind != 'c') || !IsAllDigits(sizeText) ||
      sizeText.size() > 2)
  {
    ThrowNpyError(fileName, "unknown dtype " + Quote(descr) + "; supported dtypes: " + SupportedDTypes);
  }
  const auto itemSize = static_cast<std::size_t>(std::stoul(sizeText));
  const auto unsupportedSize = [&]() {
    ThrowNpyError(fileName,
                  "unsupported dtype " + Quote(descr) +
                    " (no ITK component type of that size); supported dtypes: " + SupportedDTypes);
  };

  header.itemSize = itemSize;
  header.bigEndian = itemSize > 1 && bigEndian;
  header.complex = false;
  header.halfFloat = false;
  switch (kind)
  {
    case 'b':
      if (itemSize != 1)
      {
        unsupportedSize();
      }
      header.componentType = IOComponentEnum::UCHAR;
      break;
    case 'f':
      if (itemSize == 2)
      {
        header.halfFloat = true;
        header.componentType = IOComponentEnum::FLOAT;
        break;
      }
      header.componentType = ComponentOfNumPyKind(kind, itemSize);
      break;
    case 'c':
      header.complex = true;
      [[fallthrough]];
    default:
      header.componentType = ComponentOfNumPyKind(kind, itemSize);
      break;
  }
  if (header.componentType == IOComponentEnum::UNKNOWNCOMPONENTTYPE)
  {
    unsupportedSize();
  }
}

void
ParseShape(NpyHeader & header, const PythonLiteral & literal, const std::string & fileName)
{
  if (literal.kind != PythonLiteral::Kind::Tuple)
  {
    ThrowNpyError(fileName, "malformed header: 'shape' is " + Quote(literal.source) + ", not a tuple of integers");
  }
  if (literal.items.size() > MaximumNumberOfDimensions)
  {
    ThrowNpyError(fileName,
                  "malformed header: 'shape' has " + std::to_string(literal.items.size()) + " axes, more than " +
                    std::to_string(MaximumNumberOfDimensions));
  }
  header.shape.clear();
  for (const PythonLiteral & entry : literal.items)
  {
    if (entry.kind != PythonLiteral::Kind::Integer)
    {
      ThrowNpyError(fileName,
                    "malformed header: shape " + Quote(literal.source) + " has the entry " + Quote(entry.source) +
                      ", which is not an integer");
    }
    const bool isZero = entry.text.find_first_not_of('0') == std::string::npos;
    if (entry.negative && !isZero)
    {
      ThrowNpyError(fileName,
                    "malformed header: shape " + Quote(literal.source) + " has the negative entry " +
                      Quote(entry.source));
    }
    std::uint64_t value = 0;
    for (const char digit : entry.text)
    {
      const auto digitValue = static_cast<std::uint64_t>(digit - '0');
      if (value > (std::numeric_limits<std::uint64_t>::max() - digitValue) / 10)
      {
        ThrowNpyError(fileName,
                      "shape " + Quote(literal.source) + " has the entry " + Quote(entry.source) +
                        ", which overflows 64 bits");
      }
      value = value * 10 + digitValue;
    }
    header.shape.push_back(value);
  }
}

/** Checks that the data's byte size fits in 64 bits, in size_t and in a file offset. */
void
CheckByteSize(const NpyHeader & header, const std::string & fileName)
{
  std::uint64_t numberOfElements = 1;
  for (const std::uint64_t extent : header.shape)
  {
    if (extent != 0 && numberOfElements > std::numeric_limits<std::uint64_t>::max() / extent)
    {
      // A zero anywhere makes the product zero, so only report an overflow if no entry is zero.
      bool hasZero = false;
      for (const std::uint64_t other : header.shape)
      {
        hasZero = hasZero || other == 0;
      }
      if (hasZero)
      {
        return;
      }
      ThrowNpyError(fileName, "shape " + NpyShapeRepr(header.shape) + ": the number of elements overflows 64 bits");
    }
    numberOfElements *= extent;
  }
  const std::uint64_t maximumBytes =
    std::min<std::uint64_t>(static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                            static_cast<std::uint64_t>(std::numeric_limits<std::size_t>::max())) -
    header.dataOffset;
  const std::uint64_t memoryItemSize = header.halfFloat ? 4 : header.itemSize; // float16 grows to float32 in memory
  if (memoryItemSize != 0 && numberOfElements > maximumBytes / memoryItemSize)
  {
    ThrowNpyError(fileName,
                  "shape " + NpyShapeRepr(header.shape) + " of " + std::to_string(memoryItemSize) +
                    "-byte elements: the byte size overflows what this machine can address");
  }
}

std::uint32_t
LittleEndianUnsigned(const unsigned char * bytes, std::size_t count)
{
  std::uint32_t value = 0;
  for (std::size_t index = count; index > 0; --index)
  {
    value = (value << 8) | bytes[index - 1];
  }
  return value;
}

/** Reads up to `count` bytes; returns how many were read. */
std::size_t
ReadUpTo(std::istream & stream, char * destination, std::size_t count)
{
  stream.read(destination, static_cast<std::streamsize>(count));
  return static_cast<std::size_t>(stream.gcount());
}

/** numpy's header dictionary text (before padding), with the spare spaces numpy leaves to grow the shape. */
std::string
MakeHeaderDictionary(const std::string & descr, bool fortranOrder, const std::vector<std::uint64_t> & shape)
{
  std::string dictionary = "{'descr': '" + descr + "', 'fortran_order': " + (fortranOrder ? "True" : "False") +
                           ", 'shape': " + NpyShapeRepr(shape) + ", }";
  if (!shape.empty())
  {
    const std::size_t growthAxisDigits = std::to_string(fortranOrder ? shape.back() : shape.front()).size();
    if (growthAxisDigits < GrowthAxisMaxDigits)
    {
      dictionary.append(GrowthAxisMaxDigits - growthAxisDigits, ' ');
    }
  }
  return dictionary;
}

/** The header bytes of one version, or an empty string if the dictionary does not fit that version. */
std::string
WrapHeaderDictionary(const std::string & dictionary, unsigned int majorVersion)
{
  const std::size_t   lengthFieldSize = majorVersion == 1 ? 2 : 4;
  const std::size_t   textLength = dictionary.size() + 1; // + the final '\n'
  const std::size_t   padding = HeaderAlignment - ((MagicLength + 2 + lengthFieldSize + textLength) % HeaderAlignment);
  const std::uint64_t headerLength = static_cast<std::uint64_t>(textLength) + padding;
  const std::uint64_t maximumLength = majorVersion == 1 ? 0xffffu : 0xffffffffu;
  if (headerLength > maximumLength)
  {
    return {};
  }
  std::string bytes(MagicString, MagicLength);
  bytes += static_cast<char>(majorVersion);
  bytes += '\0';
  for (std::size_t byte = 0; byte < lengthFieldSize; ++byte)
  {
    bytes += static_cast<char>((headerLength >> (8 * byte)) & 0xff);
  }
  bytes += dictionary;
  bytes.append(padding, ' ');
  bytes += '\n';
  return bytes;
}

bool
IsAscii(const std::string & text)
{
  for (const char character : text)
  {
    if (static_cast<unsigned char>(character) >= 0x80)
    {
      return false;
    }
  }
  return true;
}
} // namespace

std::uint64_t
NpyHeader::GetNumberOfElements() const
{
  // A zero anywhere makes the product zero, even after axes whose product alone would overflow.
  if (std::find(shape.begin(), shape.end(), std::uint64_t{ 0 }) != shape.end())
  {
    return 0;
  }
  std::uint64_t numberOfElements = 1;
  for (const std::uint64_t extent : shape)
  {
    if (extent != 0 && numberOfElements > std::numeric_limits<std::uint64_t>::max() / extent)
    {
      return std::numeric_limits<std::uint64_t>::max(); // saturates: ReadNpyHeader refuses such shapes
    }
    numberOfElements *= extent;
  }
  return numberOfElements;
}

NpyHeader
ReadNpyHeader(std::istream & stream, const std::string & fileName)
{
  unsigned char     prefix[MagicLength + 2 + 4] = {};
  const std::size_t magicRead = ReadUpTo(stream, reinterpret_cast<char *>(prefix), MagicLength + 2);
  if (magicRead == 0)
  {
    ThrowNpyError(fileName, "the file is empty");
  }
  if (magicRead < MagicLength || std::memcmp(prefix, MagicString, MagicLength) != 0)
  {
    ThrowNpyError(fileName, "bad magic string: a .npy file starts with \\x93NUMPY");
  }
  if (magicRead < MagicLength + 2)
  {
    ThrowNpyError(fileName, "truncated header: the file ends inside the format version");
  }
  NpyHeader          header;
  const unsigned int majorVersion = prefix[MagicLength];
  const unsigned int minorVersion = prefix[MagicLength + 1];
  if (majorVersion < 1 || majorVersion > 3 || minorVersion != 0)
  {
    ThrowNpyError(fileName,
                  "unsupported .npy format version " + std::to_string(majorVersion) + "." +
                    std::to_string(minorVersion) + " (supported: 1.0, 2.0, 3.0)");
  }
  header.majorVersion = majorVersion;

  const std::size_t lengthFieldSize = majorVersion == 1 ? 2 : 4;
  if (ReadUpTo(stream, reinterpret_cast<char *>(prefix + MagicLength + 2), lengthFieldSize) != lengthFieldSize)
  {
    ThrowNpyError(fileName, "truncated header: the file ends inside the header length");
  }
  const std::uint64_t headerLength = LittleEndianUnsigned(prefix + MagicLength + 2, lengthFieldSize);
  if (headerLength > MaximumHeaderLength)
  {
    ThrowNpyError(fileName,
                  "header length " + std::to_string(headerLength) + " bytes is larger than the limit of " +
                    std::to_string(MaximumHeaderLength) + " bytes");
  }
  std::string       text(static_cast<std::size_t>(headerLength), '\0');
  const std::size_t textRead = ReadUpTo(stream, &text[0], text.size());
  if (textRead != text.size())
  {
    ThrowNpyError(fileName,
                  "truncated header: header length says " + std::to_string(headerLength) + " bytes, the file holds " +
                    std::to_string(textRead));
  }
  header.dataOffset = MagicLength + 2 + lengthFieldSize + headerLength;

  const PythonLiteral dictionary = PythonLiteralParser(text, fileName).ParseAll();
  if (dictionary.kind != PythonLiteral::Kind::Dict)
  {
    ThrowNpyError(fileName, "malformed header: " + Quote(dictionary.source) + " is not a Python dict literal");
  }
  const PythonLiteral * descr = nullptr;
  const PythonLiteral * fortranOrder = nullptr;
  const PythonLiteral * shape = nullptr;
  for (const auto & entry : dictionary.entries)
  {
    if (entry.first == "descr")
    {
      descr = &entry.second;
    }
    else if (entry.first == "fortran_order")
    {
      fortranOrder = &entry.second;
    }
    else if (entry.first == "shape")
    {
      shape = &entry.second;
    }
    else
    {
      ThrowNpyError(fileName,
                    "malformed header: unexpected key " + Quote(entry.first) +
                      " (a .npy header has exactly 'descr', 'fortran_order' and 'shape')");
    }
  }
  for (const auto & required : { std::make_pair(descr, "descr"),
                                 std::make_pair(fortranOrder, "fortran_order"),
                                 std::make_pair(shape, "shape") })
  {
    if (required.first == nullptr)
    {
      ThrowNpyError(fileName, std::string("malformed header: the key '") + required.second + "' is missing");
    }
  }

  if (descr->kind == PythonLiteral::Kind::List)
  {
    ThrowNpyError(fileName,
                  "structured dtypes (a list of fields as 'descr': " + Quote(descr->source) +
                    ") are not supported; supported dtypes: " + SupportedDTypes);
  }
  if (descr->kind != PythonLiteral::Kind::String)
  {
    ThrowNpyError(fileName,
                  "malformed header: 'descr' is " + Quote(descr->source) +
                    ", not a dtype string; supported dtypes: " + SupportedDTypes);
  }
  if (fortranOrder->kind != PythonLiteral::Kind::Boolean)
  {
    ThrowNpyError(fileName,
                  "malformed header: 'fortran_order' is " + Quote(fortranOrder->source) + ", not True or False");
  }
  header.descr = descr->text;
  header.fortranOrder = fortranOrder->boolean;
  ParseDescr(header, fileName);
  ParseShape(header, *shape, fileName);
  CheckByteSize(header, fileName);
  return header;
}

std::string
NpyDescrFor(IOComponentEnum componentType, bool complex)
{
  if (!ComponentTypeFromIOComponent(componentType))
  {
    itkGenericExceptionMacro(<< "the component type " << ImageIOBase::GetComponentTypeAsString(componentType)
                             << " has no .npy dtype");
  }
  const auto type = complex ? ComponentTypeFromIOComponent(componentType, IOPixelEnum::COMPLEX, 2)
                            : ComponentTypeFromIOComponent(componentType);
  if (!type)
  {
    itkGenericExceptionMacro(<< "complex pixels of " << ImageIOBase::GetComponentTypeAsString(componentType)
                             << " have no .npy dtype (only complex64 and complex128)");
  }
  return NumPyDTypeString(*type, ByteSwapper<int>::SystemIsBigEndian());
}

std::string
MakeNpyHeader(const std::string & descr, bool fortranOrder, const std::vector<std::uint64_t> & shape)
{
  const std::string dictionary = MakeHeaderDictionary(descr, fortranOrder, shape);
  if (!IsAscii(dictionary))
  {
    return WrapHeaderDictionary(dictionary, 3); // utf-8 only fits version 3.0
  }
  std::string bytes = WrapHeaderDictionary(dictionary, 1);
  return bytes.empty() ? WrapHeaderDictionary(dictionary, 2) : bytes;
}

std::string
MakeNpyHeader(const std::string &                descr,
              bool                               fortranOrder,
              const std::vector<std::uint64_t> & shape,
              unsigned int                       majorVersion)
{
  if (majorVersion < 1 || majorVersion > 3)
  {
    itkGenericExceptionMacro(<< ".npy format version " << majorVersion << ".0 does not exist (1.0, 2.0, 3.0 do)");
  }
  const std::string dictionary = MakeHeaderDictionary(descr, fortranOrder, shape);
  if (majorVersion < 3 && !IsAscii(dictionary))
  {
    itkGenericExceptionMacro(<< "the dtype " << descr << " needs .npy format version 3.0 (utf-8)");
  }
  std::string bytes = WrapHeaderDictionary(dictionary, majorVersion);
  if (bytes.empty())
  {
    itkGenericExceptionMacro(<< "a header of " << dictionary.size() << " bytes does not fit .npy format version "
                             << majorVersion << ".0");
  }
  return bytes;
}

std::string
NpyShapeRepr(const std::vector<std::uint64_t> & shape)
{
  std::string repr = "(";
  for (std::size_t axis = 0; axis < shape.size(); ++axis)
  {
    repr += (axis == 0 ? "" : ", ") + std::to_string(shape[axis]);
  }
  return repr + (shape.size() == 1 ? ",)" : ")");
}

} // namespace nibridge
} // namespace itk
