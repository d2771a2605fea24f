/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeComponentType.h"

#include "itkImageIOBase.h"
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
  char                           numpyKind;
  std::optional<IOComponentEnum> ioComponent;
  int                            niftiDataType; // 0: none
  int                            mghType;       // -1: none
};

// The one table: NumPy's name, size and kind, ITK's IO component (the one ITK maps the fixed-width type to: LONG for
// int64 on LP64 systems; of the parts, for complex), NIfTI's datatype
// code (nibabel's data_type_codes) and MGH's type code (nibabel's MGH data_type_codes). In the order of
// ComponentType.
constexpr std::array<ComponentTypeInfo, 13> ComponentTypeTable = { {
  { "bool", sizeof(bool), 'b', std::nullopt, 0, -1 },
  { "int8", 1, 'i', ImageIOBase::MapPixelType<std::int8_t>::CType, 256, -1 },
  { "uint8", 1, 'u', ImageIOBase::MapPixelType<std::uint8_t>::CType, 2, 0 },
  { "int16", 2, 'i', ImageIOBase::MapPixelType<std::int16_t>::CType, 4, 4 },
  { "uint16", 2, 'u', ImageIOBase::MapPixelType<std::uint16_t>::CType, 512, 10 },
  { "int32", 4, 'i', ImageIOBase::MapPixelType<std::int32_t>::CType, 8, 1 },
  { "uint32", 4, 'u', ImageIOBase::MapPixelType<std::uint32_t>::CType, 768, -1 },
  { "int64", 8, 'i', ImageIOBase::MapPixelType<std::int64_t>::CType, 1024, -1 },
  { "uint64", 8, 'u', ImageIOBase::MapPixelType<std::uint64_t>::CType, 1280, -1 },
  { "float32", 4, 'f', IOComponentEnum::FLOAT, 16, 3 },
  { "float64", 8, 'f', IOComponentEnum::DOUBLE, 64, -1 },
  { "complex64", 8, 'c', IOComponentEnum::FLOAT, 32, -1 },
  { "complex128", 16, 'c', IOComponentEnum::DOUBLE, 1792, -1 },
} };

// NIfTI's colour datatypes: uint8 channels.
constexpr int NiftiRGB24 = 128;
constexpr int NiftiRGBA32 = 2304;

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

std::optional<ComponentType>
ComponentTypeFromNumPyKind(char kind, std::size_t size)
{
  for (std::size_t index = 0; index < ComponentTypeTable.size(); ++index)
  {
    if (ComponentTypeTable[index].numpyKind == kind && ComponentTypeTable[index].size == size)
    {
      return static_cast<ComponentType>(index);
    }
  }
  return std::nullopt;
}

std::string
NumPyDTypeString(ComponentType type, bool bigEndian)
{
  const auto & info = InfoOf(type);
  const char   order = (info.size == 1 && info.numpyKind != 'c') ? '|' : (bigEndian ? '>' : '<');
  return std::string(1, order) + info.numpyKind + std::to_string(info.size);
}

std::optional<NiftiDataType>
NiftiDataTypeFromCode(int code)
{
  if (code == NiftiRGB24 || code == NiftiRGBA32)
  {
    return NiftiDataType{ ComponentType::UInt8, code == NiftiRGB24 ? 3u : 4u };
  }
  for (std::size_t index = 0; index < ComponentTypeTable.size(); ++index)
  {
    if (ComponentTypeTable[index].niftiDataType == code && code != 0)
    {
      return NiftiDataType{ static_cast<ComponentType>(index), 1 };
    }
  }
  return std::nullopt;
}

std::optional<int>
NiftiDataTypeCode(ComponentType type, unsigned int channels)
{
  if (channels == 3 || channels == 4)
  {
    return type == ComponentType::UInt8 ? std::optional<int>(channels == 3 ? NiftiRGB24 : NiftiRGBA32) : std::nullopt;
  }
  const int code = InfoOf(type).niftiDataType;
  return channels == 1 && code != 0 ? std::optional<int>(code) : std::nullopt;
}

std::optional<ComponentType>
ComponentTypeFromMGHType(int code)
{
  for (std::size_t index = 0; index < ComponentTypeTable.size(); ++index)
  {
    if (ComponentTypeTable[index].mghType == code && code >= 0)
    {
      return static_cast<ComponentType>(index);
    }
  }
  return std::nullopt;
}

} // namespace nibridge
} // namespace itk
