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
  return result;
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

} // namespace nibridge
} // namespace itk
