/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeComponentType.h"

#include "itkMacro.h"

#include <array>
#include <string>

namespace itk
{
namespace nibridge
{
namespace
{
struct ComponentTypeInfo
{
  const char *                   name;
  std::size_t                    size;
  std::optional<IOComponentEnum> ioComponent;
};

// In the order of ComponentType.
constexpr std::array<ComponentTypeInfo, 13> ComponentTypeTable = { {
  { "bool", sizeof(bool), std::nullopt },
  { "int8", 1, IOComponentEnum::CHAR },
  { "uint8", 1, IOComponentEnum::UCHAR },
  { "int16", 2, IOComponentEnum::SHORT },
  { "uint16", 2, IOComponentEnum::USHORT },
  { "int32", 4, IOComponentEnum::INT },
  { "uint32", 4, IOComponentEnum::UINT },
  { "int64", 8, IOComponentEnum::LONGLONG },
  { "uint64", 8, IOComponentEnum::ULONGLONG },
  { "float32", 4, IOComponentEnum::FLOAT },
  { "float64", 8, IOComponentEnum::DOUBLE },
  { "complex64", 8, IOComponentEnum::FLOAT },
  { "complex128", 16, IOComponentEnum::DOUBLE },
} };

const ComponentTypeInfo &
InfoOf(ComponentType type)
{
  return ComponentTypeTable.at(static_cast<std::size_t>(type));
}
} // namespace

void
ThrowUnsupportedComponentType(ComponentType type)
{
  const auto  index = static_cast<std::size_t>(type);
  std::string description =
    index < ComponentTypeTable.size() ? ComponentTypeTable[index].name : "number " + std::to_string(index);
  throw ExceptionObject(__FILE__, __LINE__, "unsupported component type " + description, ITK_LOCATION);
}

std::size_t
ComponentTypeSize(ComponentType type)
{
  return InfoOf(type).size;
}

const char *
ComponentTypeName(ComponentType type)
{
  return InfoOf(type).name;
}

std::optional<ComponentType>
ComponentTypeFromName(std::string_view name)
{
  for (std::size_t index = 0; index < ComponentTypeTable.size(); ++index)
  {
    if (name == ComponentTypeTable[index].name)
    {
      return static_cast<ComponentType>(index);
    }
  }
  return std::nullopt;
}

std::optional<ComponentType>
IntegerComponentType(bool isSigned, std::size_t size)
{
  switch (size)
  {
    case 1:
      return isSigned ? ComponentType::Int8 : ComponentType::UInt8;
    case 2:
      return isSigned ? ComponentType::Int16 : ComponentType::UInt16;
    case 4:
      return isSigned ? ComponentType::Int32 : ComponentType::UInt32;
    case 8:
      return isSigned ? ComponentType::Int64 : ComponentType::UInt64;
    default:
      return std::nullopt;
  }
}

std::optional<ComponentType>
ComponentTypeFromIOComponent(IOComponentEnum component, IOPixelEnum pixel, unsigned int numberOfComponents)
{
  if (pixel == IOPixelEnum::COMPLEX)
  {
    if (numberOfComponents == 2 && component == IOComponentEnum::FLOAT)
    {
      return ComponentType::Complex64;
    }
    if (numberOfComponents == 2 && component == IOComponentEnum::DOUBLE)
    {
      return ComponentType::Complex128;
    }
    return std::nullopt;
  }
  if (component == IOComponentEnum::FLOAT || component == IOComponentEnum::DOUBLE)
  {
    return component == IOComponentEnum::FLOAT ? ComponentType::Float32 : ComponentType::Float64;
  }
  // ITK names C types: integers go by size, as (unsigned) long is 8 bytes on LP64 and 4 bytes elsewhere.
  struct IntegerComponent
  {
    IOComponentEnum component;
    bool            isSigned;
    std::size_t     size;
  };
  constexpr IntegerComponent integers[] = {
    { IOComponentEnum::CHAR, true, sizeof(signed char) },
    { IOComponentEnum::UCHAR, false, sizeof(unsigned char) },
    { IOComponentEnum::SHORT, true, sizeof(short) },
    { IOComponentEnum::USHORT, false, sizeof(unsigned short) },
    { IOComponentEnum::INT, true, sizeof(int) },
    { IOComponentEnum::UINT, false, sizeof(unsigned int) },
    { IOComponentEnum::LONG, true, sizeof(long) },
    { IOComponentEnum::ULONG, false, sizeof(unsigned long) },
    { IOComponentEnum::LONGLONG, true, sizeof(long long) },
    { IOComponentEnum::ULONGLONG, false, sizeof(unsigned long long) },
  };
  for (const auto & integer : integers)
  {
    if (integer.component == component)
    {
      return IntegerComponentType(integer.isSigned, integer.size);
    }
  }
  return std::nullopt;
}

std::optional<IOComponentEnum>
IOComponentOf(ComponentType type)
{
  return InfoOf(type).ioComponent;
}

bool
IsFloatingPoint(ComponentType type)
{
  return type == ComponentType::Float32 || type == ComponentType::Float64;
}

bool
IsComplex(ComponentType type)
{
  return type == ComponentType::Complex64 || type == ComponentType::Complex128;
}

} // namespace nibridge
} // namespace itk
