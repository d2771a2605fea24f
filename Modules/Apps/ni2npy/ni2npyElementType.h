/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyElementType_h
#define ni2npyElementType_h

#include "itkIOCommon.h"

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>

namespace ni2npy
{
/** The element types ni2npy reads and writes (complex values are pairs of Float32 or Float64). */
enum class ElementType
{
  Int8,
  UInt8,
  Int16,
  UInt16,
  Int32,
  UInt32,
  Int64,
  UInt64,
  Float32,
  Float64
};

/** The C++ types behind ElementType, in the same order: the type list every dispatch folds over. */
using ElementTypeList = std::tuple<std::int8_t,
                                   std::uint8_t,
                                   std::int16_t,
                                   std::uint16_t,
                                   std::int32_t,
                                   std::uint32_t,
                                   std::int64_t,
                                   std::uint64_t,
                                   float,
                                   double>;

template<typename T>
constexpr ElementType
ElementTypeOf()
{
  if constexpr (std::is_same_v<T, float>)
  {
    return ElementType::Float32;
  }
  else if constexpr (std::is_same_v<T, double>)
  {
    return ElementType::Float64;
  }
  else
  {
    static_assert(std::is_integral_v<T> && sizeof(T) <= 8, "not an element type");
    constexpr int sizeIndex = sizeof(T) == 1 ? 0 : sizeof(T) == 2 ? 1 : sizeof(T) == 4 ? 2 : 3;
    return static_cast<ElementType>(2 * sizeIndex + (std::is_signed_v<T> ? 0 : 1));
  }
}

namespace detail
{
template<typename Function, typename... Types>
void
DispatchOver(ElementType type, Function && function, std::tuple<Types...> *)
{
  const bool dispatched = ((type == ElementTypeOf<Types>() ? (function(Types{}), true) : false) || ...);
  if (!dispatched)
  {
    throw std::logic_error("unsupported element type");
  }
}
} // namespace detail

/** Calls `function(T{})` with the C++ type T of `type`. */
template<typename Function>
void
Dispatch(ElementType type, Function && function)
{
  detail::DispatchOver(type, std::forward<Function>(function), static_cast<ElementTypeList *>(nullptr));
}

std::size_t
ElementSize(ElementType type);

/** NumPy's name: "int8", ..., "float64". */
std::string
ElementTypeName(ElementType type);

/** The element type of a NumPy name ("int16", "float32", ...); false if there is none. */
bool
ElementTypeFromName(const std::string & name, ElementType & type);

/** The element type of an ITK component type; false for types ni2npy cannot hold. */
bool
ElementTypeFromITK(itk::IOComponentEnum componentType, ElementType & type);

itk::IOComponentEnum
ITKComponentTypeOf(ElementType type);

bool
IsFloatingPoint(ElementType type);

} // namespace ni2npy

#endif
