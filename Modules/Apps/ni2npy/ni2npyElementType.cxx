/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "ni2npyElementType.h"

#include <array>

namespace ni2npy
{
namespace
{
struct ElementTypeInfo
{
  ElementType          type;
  const char *         name;
  std::size_t          size;
  itk::IOComponentEnum itkType;
};

constexpr std::array<ElementTypeInfo, 10> ElementTypeTable = { {
  { ElementType::Int8, "int8", 1, itk::IOComponentEnum::CHAR },
  { ElementType::UInt8, "uint8", 1, itk::IOComponentEnum::UCHAR },
  { ElementType::Int16, "int16", 2, itk::IOComponentEnum::SHORT },
  { ElementType::UInt16, "uint16", 2, itk::IOComponentEnum::USHORT },
  { ElementType::Int32, "int32", 4, itk::IOComponentEnum::INT },
  { ElementType::UInt32, "uint32", 4, itk::IOComponentEnum::UINT },
  { ElementType::Int64, "int64", 8, itk::IOComponentEnum::LONGLONG },
  { ElementType::UInt64, "uint64", 8, itk::IOComponentEnum::ULONGLONG },
  { ElementType::Float32, "float32", 4, itk::IOComponentEnum::FLOAT },
  { ElementType::Float64, "float64", 8, itk::IOComponentEnum::DOUBLE },
} };

const ElementTypeInfo &
InfoOf(ElementType type)
{
  return ElementTypeTable[static_cast<std::size_t>(type)];
}
} // namespace

std::size_t
ElementSize(ElementType type)
{
  return InfoOf(type).size;
}

std::string
ElementTypeName(ElementType type)
{
  return InfoOf(type).name;
}

bool
ElementTypeFromName(const std::string & name, ElementType & type)
{
  for (const auto & info : ElementTypeTable)
  {
    if (name == info.name)
    {
      type = info.type;
      return true;
    }
  }
  return false;
}

bool
ElementTypeFromITK(itk::IOComponentEnum componentType, ElementType & type)
{
  // ITK names C types (char, long, ...): classify them by size and signedness.
  switch (componentType)
  {
    case itk::IOComponentEnum::CHAR:
      type = ElementType::Int8;
      return true;
    case itk::IOComponentEnum::UCHAR:
      type = ElementType::UInt8;
      return true;
    case itk::IOComponentEnum::SHORT:
      type = ElementType::Int16;
      return true;
    case itk::IOComponentEnum::USHORT:
      type = ElementType::UInt16;
      return true;
    case itk::IOComponentEnum::INT:
      type = ElementType::Int32;
      return true;
    case itk::IOComponentEnum::UINT:
      type = ElementType::UInt32;
      return true;
    case itk::IOComponentEnum::LONG:
      type = sizeof(long) == 8 ? ElementType::Int64 : ElementType::Int32;
      return true;
    case itk::IOComponentEnum::ULONG:
      type = sizeof(unsigned long) == 8 ? ElementType::UInt64 : ElementType::UInt32;
      return true;
    case itk::IOComponentEnum::LONGLONG:
      type = ElementType::Int64;
      return true;
    case itk::IOComponentEnum::ULONGLONG:
      type = ElementType::UInt64;
      return true;
    case itk::IOComponentEnum::FLOAT:
      type = ElementType::Float32;
      return true;
    case itk::IOComponentEnum::DOUBLE:
      type = ElementType::Float64;
      return true;
    default:
      return false;
  }
}

itk::IOComponentEnum
ITKComponentTypeOf(ElementType type)
{
  return InfoOf(type).itkType;
}

bool
IsFloatingPoint(ElementType type)
{
  return type == ElementType::Float32 || type == ElementType::Float64;
}

} // namespace ni2npy
