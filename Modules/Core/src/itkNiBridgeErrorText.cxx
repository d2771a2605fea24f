/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeErrorText.h"

namespace itk
{
namespace nibridge
{
namespace
{
/** The length of the valid UTF-8 sequence at `text[position]`, or 0 if there is none. */
std::size_t
Utf8SequenceLength(const std::string & text, std::size_t position)
{
  const auto        lead = static_cast<unsigned char>(text[position]);
  const std::size_t length = lead < 0x80           ? 1
                             : (lead >> 5) == 0x6  ? 2
                             : (lead >> 4) == 0xE  ? 3
                             : (lead >> 3) == 0x1E ? 4
                                                   : 0;
  if (length == 0 || position + length > text.size() || (length == 2 && lead < 0xC2))
  {
    return 0;
  }
  for (std::size_t next = 1; next < length; ++next)
  {
    if ((static_cast<unsigned char>(text[position + next]) >> 6) != 0x2)
    {
      return 0;
    }
  }
  return length;
}

/** The text with what a file's damaged header may put into a message made printable: bytes that are no UTF-8, and
 * control characters, as \xNN; so that every caller (a terminal, a Python str) can show it. */
std::string
PrintableText(const std::string & text)
{
  std::string printable;
  printable.reserve(text.size());
  for (std::size_t position = 0; position < text.size();)
  {
    const auto        byte = static_cast<unsigned char>(text[position]);
    const std::size_t length = Utf8SequenceLength(text, position);
    if (length == 0 || (length == 1 && (byte < 0x20 || byte == 0x7F) && byte != '\t'))
    {
      static const char digits[] = "0123456789abcdef";
      printable += "\\x";
      printable += digits[byte >> 4];
      printable += digits[byte & 0xF];
      ++position;
      continue;
    }
    printable.append(text, position, length);
    position += length;
  }
  return printable;
}
} // namespace

std::string
OneLineReason(const std::string & description, bool withTraceback)
{
  std::string result;
  std::size_t start = 0;
  while (start <= description.size())
  {
    std::size_t end = description.find('\n', start);
    if (end == std::string::npos)
    {
      end = description.size();
    }
    const std::string line = description.substr(start, end - start);
    const std::size_t first = line.find_first_not_of(" \t\r");
    const std::size_t last = line.find_last_not_of(" \t\r");
    if (first != std::string::npos)
    {
      result += (result.empty() ? "" : " ") + line.substr(first, last - first + 1);
    }
    start = end + 1;
  }
  // ITK 5's itkExceptionMacro writes "itk::ERROR: <Class>(0x...): ", older code "ITK ERROR: <Class>(0x...): ".
  for (const std::string itkPrefix : { "itk::ERROR: ", "ITK ERROR: " })
  {
    for (std::size_t found = result.find(itkPrefix); found != std::string::npos; found = result.find(itkPrefix))
    {
      result.erase(found, itkPrefix.size());
      // "<Class>(0x55d...): " after the prefix names the object, not the problem.
      const std::size_t open = result.find("(0x", found);
      const std::size_t close = open == std::string::npos ? open : result.find("): ", open);
      const bool        isClassName = open != std::string::npos && result.find(' ', found) > open;
      if (close != std::string::npos && isClassName)
      {
        result.erase(found, close + 3 - found);
      }
    }
  }
  const std::size_t traceback = result.find(" Traceback (most recent call last):");
  if (!withTraceback && traceback != std::string::npos)
  {
    result.erase(traceback);
  }
  return PrintableText(result);
}

std::string
NamingTheFile(const std::string & fileName, const std::string & reason)
{
  if (reason.find('"' + fileName + '"') != std::string::npos)
  {
    return reason;
  }
  return '"' + fileName + "\": " + reason;
}

std::string
Quoted(const std::string & text)
{
  return '"' + text + '"';
}

} // namespace nibridge
} // namespace itk
