/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeComponentType_h
#define itkNiBridgeComponentType_h

#include "NiBridgeCoreExport.h"

#include "itkCommonEnums.h"

#include <complex>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace itk
{
namespace nibridge
{
/** \brief The pixel component types NiBridge holds, named as NumPy names them ("bool", "int8", ...,
 * "complex128"). The order is the order of ComponentTypes, the C++ type list every dispatch folds over.
 * \ingroup NiBridgeCore
 */
enum class ComponentType
{
  Bool,
  Int8,
  UInt8,
  Int16,
  UInt16,
  Int32,
  UInt32,
  Int64,
  UInt64,
  Float32,
  Float64,
  Complex64,
  Complex128
};

/** Every component type, in the table's order: their codes are 0, 1, 2, ... */
inline constexpr std::array<ComponentType, 13> AllComponentTypes = {
  ComponentType::Bool,      ComponentType::Int8,    ComponentType::UInt8,   ComponentType::Int16,
  ComponentType::UInt16,    ComponentType::Int32,   ComponentType::UInt32,  ComponentType::Int64,
  ComponentType::UInt64,    ComponentType::Float32, ComponentType::Float64, ComponentType::Complex64,
  ComponentType::Complex128
};
static_assert(static_cast<int>(AllComponentTypes.back()) == AllComponentTypes.size() - 1, "one entry per type");

/** A list of C++ component types: what Dispatch folds over. */
template<typename... T>
struct TypeList
{};

/** The real numbers among the component types, in ComponentType's order: a sub-list for dispatch where
 * neither bool nor complex values make sense. */
using RealComponentTypes = TypeList<std::int8_t,
                                    std::uint8_t,
                                    std::int16_t,
                                    std::uint16_t,
                                    std::int32_t,
                                    std::uint32_t,
                                    std::int64_t,
                                    std::uint64_t,
                                    float,
                                    double>;

namespace detail
{
template<typename... First, typename... Second>
TypeList<First..., Second...> Join(TypeList<First...>, TypeList<Second...>);

template<typename T, typename... List>
constexpr std::size_t
IndexOf(TypeList<List...>)
{
  std::size_t index = 0;
  bool        found = false;
  ((found = found || std::is_same_v<T, List>, index += found ? 0 : 1), ...);
  return index;
}
} // namespace detail

/** The C++ types behind ComponentType, in its order. */
using ComponentTypes = decltype(detail::Join(detail::Join(TypeList<bool>{}, RealComponentTypes{}),
                                             TypeList<std::complex<float>, std::complex<double>>{}));

/** The ComponentType of the C++ type T (one of ComponentTypes). */
template<typename T>
constexpr ComponentType
ComponentTypeOf()
{
  constexpr std::size_t index = detail::IndexOf<T>(ComponentTypes{});
  static_assert(index <= static_cast<std::size_t>(ComponentType::Complex128), "not a NiBridge component type");
  return static_cast<ComponentType>(index);
}

static_assert(ComponentTypeOf<bool>() == ComponentType::Bool && ComponentTypeOf<double>() == ComponentType::Float64 &&
                ComponentTypeOf<std::complex<double>>() == ComponentType::Complex128,
              "ComponentTypes follows the order of ComponentType");

/** Throws the itk::ExceptionObject "unsupported component type <name>" that ends every failed dispatch. */
[[noreturn]] NiBridgeCore_EXPORT void
ThrowUnsupportedComponentType(ComponentType type);

/** Calls `function(T{})` with the C++ type T of `type`, T from the given sub-list of ComponentTypes.
 * Throws itk::ExceptionObject ("unsupported component type ...") for a type outside the list. */
template<typename... T, typename Function>
void
Dispatch(ComponentType type, TypeList<T...>, Function && function)
{
  const bool called = ((type == ComponentTypeOf<T>() && (static_cast<void>(function(T{})), true)) || ...);
  if (!called)
  {
    ThrowUnsupportedComponentType(type);
  }
}

/** Calls `function(T{})` with the C++ type T of `type`, over every component type. */
template<typename Function>
void
Dispatch(ComponentType type, Function && function)
{
  Dispatch(type, ComponentTypes{}, std::forward<Function>(function));
}

/** Bytes of one component: sizeof of its C++ type (complex: both parts). */
NiBridgeCore_EXPORT std::size_t
                    ComponentTypeSize(ComponentType type);

/** NumPy's name of the type: "bool", "int8", ..., "float64", "complex64", "complex128". */
NiBridgeCore_EXPORT const char *
ComponentTypeName(ComponentType type);

/** The type NumPy names `name` (as ComponentTypeName writes it); nullopt for any other name. */
NiBridgeCore_EXPORT std::optional<ComponentType>
                    ComponentTypeFromName(std::string_view name);

/** The integer type of a signedness and a byte size (1, 2, 4, 8); nullopt for other sizes. */
NiBridgeCore_EXPORT std::optional<ComponentType>
                    IntegerComponentType(bool isSigned, std::size_t size);

/** The type of an ITK IO component. Integers go by their C type's size on this platform (ITK's (U)LONG is
 * 8 bytes on LP64, 4 elsewhere). A COMPLEX pixel of 2 FLOAT or DOUBLE components is Complex64 or
 * Complex128; nullopt for any other COMPLEX pixel and for components NiBridge does not hold. */
NiBridgeCore_EXPORT std::optional<ComponentType>
                    ComponentTypeFromIOComponent(IOComponentEnum component,
                                                 IOPixelEnum     pixel = IOPixelEnum::SCALAR,
                                                 unsigned int    numberOfComponents = 1);

/** The ITK IO component of a type; for complex types, that of their real and imaginary parts (with a
 * COMPLEX pixel of 2 components). nullopt for bool, which ITK's files cannot hold. */
NiBridgeCore_EXPORT std::optional<IOComponentEnum>
                    IOComponentOf(ComponentType type);

/** Whether the type is Float32 or Float64 (real floating point, not complex). */
NiBridgeCore_EXPORT bool
IsFloatingPoint(ComponentType type);

/** Whether the type is Complex64 or Complex128. */
NiBridgeCore_EXPORT bool
IsComplex(ComponentType type);

/** The type of NumPy kind `kind` ('b', 'i', 'u', 'f', 'c') and item size `size`; nullopt for the others. */
NiBridgeCore_EXPORT std::optional<ComponentType>
                    ComponentTypeFromNumPyKind(char kind, std::size_t size);

/** NumPy's dtype string (`dtype.str`) of the type in the given byte order: "<i2", ">f8", "|u1", "|b1". */
NiBridgeCore_EXPORT std::string
                    NumPyDTypeString(ComponentType type, bool bigEndian);

/** What a NIfTI datatype code holds (nibabel's data_type_codes): the component type, and 3 or 4 channels
 * for RGB24 / RGBA32, else 1. */
struct NiftiDataType
{
  ComponentType component;
  unsigned int  channels;
};

/** The NIfTI datatype of a code; nullopt for codes nibabel cannot hold in an ITK pixel (binary, float128,
 * complex256) and unknown ones. */
NiBridgeCore_EXPORT std::optional<NiftiDataType>
                    NiftiDataTypeFromCode(int code);

/** The NIfTI datatype code of a component type with 1 channel, or of uint8 with 3 (RGB24) or 4 (RGBA32). */
NiBridgeCore_EXPORT std::optional<int>
                    NiftiDataTypeCode(ComponentType type, unsigned int channels = 1);

/** The component type of an MGH type code (uint8, int32, float32, int16, uint16); nullopt for others. */
NiBridgeCore_EXPORT std::optional<ComponentType>
                    ComponentTypeFromMGHType(int code);

} // namespace nibridge
} // namespace itk

#endif
