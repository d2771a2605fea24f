/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeReaderProcess.h"

#include "itkArray.h"
#include "itkMatrix.h"
#include "itkMetaDataObject.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <sys/socket.h>

namespace itk
{
namespace nibridge
{
namespace readerprocess
{
namespace
{
using Json = nlohmann::json;

/** A number as JSON; JSON has no NaN or infinity, so those are the strings "nan", "inf" and "-inf". */
Json
NumberJson(double value)
{
  if (std::isfinite(value))
  {
    return Json(value);
  }
  return Json(std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf"));
}

double
NumberOf(const Json & value)
{
  if (value.is_string())
  {
    const std::string text = value.get<std::string>();
    if (text == "inf" || text == "-inf")
    {
      return text == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    }
    return std::numeric_limits<double>::quiet_NaN();
  }
  return value.get<double>();
}

template<typename T>
struct IsMatrix : std::false_type
{};
template<typename E, unsigned int Rows, unsigned int Columns>
struct IsMatrix<Matrix<E, Rows, Columns>> : std::true_type
{};
template<typename T>
struct IsArray : std::false_type
{};
template<typename E>
struct IsArray<Array<E>> : std::true_type
{};

/** One value of an entry (text, a truth value or a number) as JSON: integers stay exact, floats are NumberJson. */
template<typename E>
Json
ElementJson(const E & element)
{
  if constexpr (std::is_floating_point_v<E>)
  {
    return NumberJson(element);
  }
  else
  {
    return Json(element);
  }
}

template<typename E>
E
ElementOf(const Json & value)
{
  if constexpr (std::is_floating_point_v<E>)
  {
    return static_cast<E>(NumberOf(value));
  }
  else
  {
    return value.get<E>();
  }
}

/** Encodes a dictionary entry of one of the types T as {"type": name, "value": ...}; false if it is none of them.
 * A value is a JSON scalar; a sequence (std::vector, itk::Array) an array; a matrix, and a vector of vectors, an
 * array of rows. */
template<typename T>
bool
EncodeEntry(const MetaDataObjectBase * entry, const char * typeName, Json & encoded)
{
  const auto * typed = dynamic_cast<const MetaDataObject<T> *>(entry);
  if (typed == nullptr)
  {
    return false;
  }
  const T & value = typed->GetMetaDataObjectValue();
  Json      json = Json::array();
  if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T>)
  {
    json = ElementJson(value);
  }
  else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>)
  {
    for (const auto & row : value)
    {
      json.push_back(Json::array());
      for (const double number : row)
      {
        json.back().push_back(NumberJson(number));
      }
    }
  }
  else if constexpr (IsMatrix<T>::value)
  {
    for (unsigned int row = 0; row < T::RowDimensions; ++row)
    {
      json.push_back(Json::array());
      for (unsigned int column = 0; column < T::ColumnDimensions; ++column)
      {
        json.back().push_back(NumberJson(value(row, column)));
      }
    }
  }
  else
  {
    for (const auto & element : value)
    {
      json.push_back(ElementJson(element));
    }
  }
  encoded = { { "type", typeName }, { "value", json } };
  return true;
}

template<typename T>
void
DecodeEntry(MetaDataDictionary & dictionary, const std::string & key, const Json & value)
{
  T decoded{};
  if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T>)
  {
    decoded = ElementOf<T>(value);
  }
  else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>)
  {
    for (const auto & row : value)
    {
      decoded.emplace_back();
      for (const auto & number : row)
      {
        decoded.back().push_back(NumberOf(number));
      }
    }
  }
  else if constexpr (IsMatrix<T>::value)
  {
    for (unsigned int row = 0; row < T::RowDimensions; ++row)
    {
      for (unsigned int column = 0; column < T::ColumnDimensions; ++column)
      {
        decoded(row, column) = NumberOf(value.at(row).at(column));
      }
    }
  }
  else if constexpr (IsArray<T>::value)
  {
    decoded.SetSize(static_cast<typename T::SizeValueType>(value.size()));
    for (std::size_t index = 0; index < value.size(); ++index)
    {
      decoded[index] = ElementOf<typename T::ValueType>(value[index]);
    }
  }
  else
  {
    for (const auto & element : value)
    {
      decoded.push_back(ElementOf<typename T::value_type>(element));
    }
  }
  EncapsulateMetaData<T>(dictionary, key, decoded);
}

/** The dictionary value types carried across, with their names on the wire. */
template<typename T>
struct EntryType
{
  using Type = T;
  const char * name;
};

template<typename Visitor>
void
ForEachEntryType(Visitor && visit)
{
  visit(EntryType<std::string>{ "string" });
  visit(EntryType<double>{ "double" });
  visit(EntryType<float>{ "float" });
  visit(EntryType<bool>{ "bool" });
  visit(EntryType<char>{ "char" });
  visit(EntryType<signed char>{ "schar" });
  visit(EntryType<unsigned char>{ "uchar" });
  visit(EntryType<short>{ "short" });
  visit(EntryType<unsigned short>{ "ushort" });
  visit(EntryType<int>{ "int" });
  visit(EntryType<unsigned int>{ "uint" });
  visit(EntryType<long>{ "long" });
  visit(EntryType<unsigned long>{ "ulong" });
  visit(EntryType<long long>{ "longlong" });
  visit(EntryType<unsigned long long>{ "ulonglong" });
  visit(EntryType<std::vector<double>>{ "vector<double>" });
  visit(EntryType<std::vector<float>>{ "vector<float>" });
  visit(EntryType<std::vector<std::vector<double>>>{ "vector<vector<double>>" });
  visit(EntryType<std::vector<std::string>>{ "vector<string>" });
  visit(EntryType<std::vector<int>>{ "vector<int>" });
  visit(EntryType<std::vector<unsigned int>>{ "vector<uint>" });
  visit(EntryType<std::vector<long>>{ "vector<long>" });
  visit(EntryType<Array<double>>{ "Array<double>" });
  visit(EntryType<Array<float>>{ "Array<float>" });
  visit(EntryType<Matrix<double, 3, 3>>{ "Matrix<double,3,3>" });
  visit(EntryType<Matrix<double, 4, 4>>{ "Matrix<double,4,4>" });
}
} // namespace

std::string
EncodeInformation(const ImageIOBase & imageIO)
{
  const unsigned int dimension = imageIO.GetNumberOfDimensions();
  Json               dimensions = Json::array(), spacing = Json::array(), origin = Json::array();
  Json               direction = Json::array();
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    dimensions.push_back(static_cast<std::uint64_t>(imageIO.GetDimensions(axis)));
    spacing.push_back(NumberJson(imageIO.GetSpacing(axis)));
    origin.push_back(NumberJson(imageIO.GetOrigin(axis)));
    Json column = Json::array();
    for (const double element : imageIO.GetDirection(axis))
    {
      column.push_back(NumberJson(element));
    }
    direction.push_back(column);
  }
  Json                       metadata = Json::object();
  const MetaDataDictionary & dictionary = imageIO.GetMetaDataDictionary();
  for (const std::string & key : dictionary.GetKeys())
  {
    const MetaDataObjectBase * entry = dictionary.Get(key);
    Json                       encoded;
    bool                       done = false;
    ForEachEntryType([&](auto type) {
      using T = typename decltype(type)::Type;
      done = done || EncodeEntry<T>(entry, type.name, encoded);
    });
    if (done)
    {
      metadata[key] = encoded;
    }
  }
  const Json information = {
    { "imageIO", imageIO.GetNameOfClass() },
    { "dimensions", dimensions },
    { "spacing", spacing },
    { "origin", origin },
    { "direction", direction },
    { "pixelType", static_cast<int>(imageIO.GetPixelType()) },
    { "componentType", static_cast<int>(imageIO.GetComponentType()) },
    { "components", imageIO.GetNumberOfComponents() },
    { "metadata", metadata },
  };
  // Invalid UTF-8 in a header's text (it is the file's, not ours) is replaced, not refused.
  return information.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string
DecodeInformation(const std::string & text, ImageIOBase & target)
{
  try
  {
    const Json   information = Json::parse(text);
    const auto & dimensions = information.at("dimensions");
    const auto   dimension = static_cast<unsigned int>(dimensions.size());
    const auto & spacing = information.at("spacing");
    const auto & origin = information.at("origin");
    const auto & direction = information.at("direction");
    target.SetNumberOfDimensions(dimension);
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      target.SetDimensions(axis, dimensions.at(axis).get<std::uint64_t>());
      target.SetSpacing(axis, NumberOf(spacing.at(axis)));
      target.SetOrigin(axis, NumberOf(origin.at(axis)));
      std::vector<double> column;
      for (const auto & element : direction.at(axis))
      {
        column.push_back(NumberOf(element));
      }
      target.SetDirection(axis, column);
    }
    target.SetPixelType(static_cast<IOPixelEnum>(information.at("pixelType").get<int>()));
    target.SetComponentType(static_cast<IOComponentEnum>(information.at("componentType").get<int>()));
    target.SetNumberOfComponents(information.at("components").get<unsigned int>());
    MetaDataDictionary dictionary;
    for (const auto & item : information.at("metadata").items())
    {
      // Not a structured binding: a lambda may not capture one in C++17 (clang refuses; GCC allows it).
      const std::string &    key = item.key();
      const nlohmann::json & entry = item.value();
      const std::string      typeName = entry.at("type").get<std::string>();
      ForEachEntryType([&](auto type) {
        using T = typename decltype(type)::Type;
        if (typeName == type.name)
        {
          DecodeEntry<T>(dictionary, key, entry.at("value"));
        }
      });
    }
    target.SetMetaDataDictionary(dictionary);
    return information.at("imageIO").get<std::string>();
  }
  catch (const nlohmann::json::exception & error)
  {
    itkGenericExceptionMacro(<< "the reader process sent malformed image information: " << error.what());
  }
}

bool
SendAll(int descriptor, const void * bytes, std::uint64_t byteCount)
{
  const auto * next = static_cast<const char *>(bytes);
  while (byteCount > 0)
  {
    const ssize_t sent =
      send(descriptor, next, static_cast<std::size_t>(std::min<std::uint64_t>(byteCount, 1 << 20)), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR)
    {
      continue;
    }
    if (sent <= 0)
    {
      return false;
    }
    next += sent;
    byteCount -= static_cast<std::uint64_t>(sent);
  }
  return true;
}

bool
SendFrameStart(int descriptor, char tag, std::uint64_t byteCount)
{
  char start[1 + sizeof(std::uint64_t)];
  start[0] = tag;
  std::memcpy(start + 1, &byteCount, sizeof(byteCount));
  return SendAll(descriptor, start, sizeof(start));
}

bool
SendFrame(int descriptor, char tag, const void * bytes, std::uint64_t byteCount)
{
  return SendFrameStart(descriptor, tag, byteCount) && SendAll(descriptor, bytes, byteCount);
}
} // namespace readerprocess
} // namespace nibridge
} // namespace itk
