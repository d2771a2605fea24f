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
  // ITK names C types; long and unsigned long are the only ones whose size varies by platform.
  if (componentType == itk::IOComponentEnum::LONG)
  {
    componentType = sizeof(long) == 8 ? itk::IOComponentEnum::LONGLONG : itk::IOComponentEnum::INT;
  }
  else if (componentType == itk::IOComponentEnum::ULONG)
  {
    componentType = sizeof(unsigned long) == 8 ? itk::IOComponentEnum::ULONGLONG : itk::IOComponentEnum::UINT;
  }
  for (const auto & info : ElementTypeTable)
  {
    if (info.itkType == componentType)
    {
      type = info.type;
      return true;
    }
  }
  return false;
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
