/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeNumberText.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace itk
{
namespace nibridge
{
namespace
{
/** Lays out the shortest round-trip digits of `value` as Python and NumPy do: positional when
 * 1e-4 <= |value| < `positionalBelow`, else scientific with a signed exponent of at least two digits. */
template<typename T>
std::string
ShortestText(T value, double positionalBelow)
{
  if (std::isnan(value))
  {
    return "nan";
  }
  if (std::isinf(value))
  {
    return value < 0 ? "-inf" : "inf";
  }
  char       scientific[64];
  const auto result = std::to_chars(scientific, scientific + sizeof(scientific), value, std::chars_format::scientific);
  const std::string text(scientific, result.ptr);
  // "-d.ddde+XX": the sign, the digits without the point, the exponent.
  const bool        negative = text[0] == '-';
  const std::size_t exponentAt = text.find('e');
  std::string       digits;
  for (std::size_t index = negative ? 1 : 0; index < exponentAt; ++index)
  {
    if (text[index] != '.')
    {
      digits += text[index];
    }
  }
  const int    exponent = std::atoi(text.c_str() + exponentAt + 1);
  const double magnitude = std::abs(static_cast<double>(value));
  std::string  out = negative ? "-" : "";
  if (magnitude == 0.0 || (magnitude >= 1e-4 && magnitude < positionalBelow))
  {
    if (exponent < 0)
    {
      out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    }
    else if (static_cast<std::size_t>(exponent) + 1 >= digits.size())
    {
      out += digits + std::string(static_cast<std::size_t>(exponent) + 1 - digits.size(), '0') + ".0";
    }
    else
    {
      out += digits.substr(0, static_cast<std::size_t>(exponent) + 1) + "." +
             digits.substr(static_cast<std::size_t>(exponent) + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1)
  {
    out += "." + digits.substr(1);
  }
  const int  absoluteExponent = std::abs(exponent);
  const auto exponentText = std::to_string(absoluteExponent);
  return out + (exponent < 0 ? "e-" : "e+") + (absoluteExponent < 10 ? "0" : "") + exponentText;
}
} // namespace

std::string
PythonFloatText(double value)
{
  return ShortestText(value, 1e16);
}

std::string
NumPyFloat32Text(float value)
{
  return ShortestText(value, 1e6);
}

std::string
PythonFloatTexts(const std::vector<double> & values)
{
  std::string text;
  for (const double value : values)
  {
    text += (text.empty() ? "" : " ") + PythonFloatText(value);
  }
  return text;
}

std::string
NumPyFloat32Texts(const float * values, std::size_t count)
{
  std::string text;
  for (std::size_t index = 0; index < count; ++index)
  {
    text += (index == 0 ? "" : " ") + NumPyFloat32Text(values[index]);
  }
  return text;
}

} // namespace nibridge
} // namespace itk
