/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeText_h
#define itkNiBridgeText_h

#include <algorithm>
#include <cctype>
#include <string>

namespace itk
{
namespace nibridge
{
/** `text` with its ASCII letters in lower case: how file name extensions are compared. */
inline std::string
LowerCase(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

/** Whether `text` ends with `suffix` (as it is: lower `text` first for extensions). */
inline bool
EndsWith(const std::string & text, const std::string & suffix)
{
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace nibridge
} // namespace itk

#endif
