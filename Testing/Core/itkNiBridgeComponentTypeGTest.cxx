/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeComponentType.h"

#include "itkMacro.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace
{
using itk::IOComponentEnum;
using itk::IOPixelEnum;
using itk::nibridge::ComponentType;

/** Every component type, in order. */
std::vector<ComponentType>
AllComponentTypes()
{
  std::vector<ComponentType> types;
  for (int index = 0; index <= static_cast<int>(ComponentType::Complex128); ++index)
  {
    types.push_back(static_cast<ComponentType>(index));
  }
  return types;
}

/** The type Dispatch calls with, found through ComponentTypeOf of the argument's C++ type. */
template<typename TypeList>
ComponentType
DispatchedType(ComponentType type, TypeList list)
{
  ComponentType dispatched = ComponentType::Bool;
  int           calls = 0;
  itk::nibridge::Dispatch(type, list, [&](auto value) {
    dispatched = itk::nibridge::ComponentTypeOf<decltype(value)>();
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  return dispatched;
}
} // namespace

TEST(NiBridgeComponentType, EveryNameReadsBackAsItsType)
{
  const std::vector<std::string> numpyNames = { "bool",    "int8",      "uint8",     "int16",  "uint16",
                                                "int32",   "uint32",    "int64",     "uint64", "float32",
                                                "float64", "complex64", "complex128" };
  const auto                     types = AllComponentTypes();
  ASSERT_EQ(types.size(), numpyNames.size());
  for (std::size_t index = 0; index < types.size(); ++index)
  {
    EXPECT_EQ(itk::nibridge::ComponentTypeName(types[index]), numpyNames[index]);
    EXPECT_EQ(itk::nibridge::ComponentTypeFromName(numpyNames[index]), types[index]);
  }
  for (const char * other : { "", "float16", "float", "Int8", "int8 ", "object", "keep" })
  {
    EXPECT_FALSE(itk::nibridge::ComponentTypeFromName(other).has_value()) << other;
  }
}

TEST(NiBridgeComponentType, SizesEqualSizeofOfTheCppType)
{
  for (const auto type : AllComponentTypes())
  {
    itk::nibridge::Dispatch(type, [type](auto value) {
      EXPECT_EQ(itk::nibridge::ComponentTypeSize(type), sizeof(value)) << itk::nibridge::ComponentTypeName(type);
    });
  }
}

TEST(NiBridgeComponentType, IntegerTypesGoBySignednessAndSize)
{
  EXPECT_EQ(itk::nibridge::IntegerComponentType(true, 1), ComponentType::Int8);
  EXPECT_EQ(itk::nibridge::IntegerComponentType(false, 2), ComponentType::UInt16);
  EXPECT_EQ(itk::nibridge::IntegerComponentType(true, 4), ComponentType::Int32);
  EXPECT_EQ(itk::nibridge::IntegerComponentType(false, 8), ComponentType::UInt64);
  EXPECT_FALSE(itk::nibridge::IntegerComponentType(true, 3).has_value());
  EXPECT_FALSE(itk::nibridge::IntegerComponentType(false, 16).has_value());
}

TEST(NiBridgeComponentType, EveryITKIOComponentMapsLongAndULongBySize)
{
  const auto ofSize = [](bool isSigned, std::size_t size) {
    return itk::nibridge::IntegerComponentType(isSigned, size);
  };
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::CHAR), ComponentType::Int8);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::UCHAR), ComponentType::UInt8);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::SHORT), ComponentType::Int16);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::USHORT), ComponentType::UInt16);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::INT), ComponentType::Int32);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::UINT), ComponentType::UInt32);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::LONG), ofSize(true, sizeof(long)));
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::ULONG), ofSize(false, sizeof(unsigned long)));
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::LONGLONG), ComponentType::Int64);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::ULONGLONG), ComponentType::UInt64);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::FLOAT), ComponentType::Float32);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::DOUBLE), ComponentType::Float64);
  EXPECT_FALSE(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::UNKNOWNCOMPONENTTYPE).has_value());
  EXPECT_FALSE(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::LDOUBLE).has_value());

  // Back again: every type but bool has an IO component, and the real types read back as themselves.
  EXPECT_FALSE(itk::nibridge::IOComponentOf(ComponentType::Bool).has_value());
  for (const auto type : AllComponentTypes())
  {
    if (type == ComponentType::Bool || itk::nibridge::IsComplex(type))
    {
      continue;
    }
    const auto component = itk::nibridge::IOComponentOf(type);
    ASSERT_TRUE(component.has_value()) << itk::nibridge::ComponentTypeName(type);
    EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(*component), type);
  }
}

TEST(NiBridgeComponentType, ComplexComesFromACOMPLEXPixelOfTwoFloatOrDoubleComponents)
{
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::FLOAT, IOPixelEnum::COMPLEX, 2),
            ComponentType::Complex64);
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::DOUBLE, IOPixelEnum::COMPLEX, 2),
            ComponentType::Complex128);
  EXPECT_FALSE(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::SHORT, IOPixelEnum::COMPLEX, 2));
  EXPECT_FALSE(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::FLOAT, IOPixelEnum::COMPLEX, 1));
  EXPECT_FALSE(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::DOUBLE, IOPixelEnum::COMPLEX, 4));
  // A vector of two floats stays float.
  EXPECT_EQ(itk::nibridge::ComponentTypeFromIOComponent(IOComponentEnum::FLOAT, IOPixelEnum::VECTOR, 2),
            ComponentType::Float32);
  // Written back, a complex type is a COMPLEX pixel of its real part's component.
  EXPECT_EQ(itk::nibridge::IOComponentOf(ComponentType::Complex64), IOComponentEnum::FLOAT);
  EXPECT_EQ(itk::nibridge::IOComponentOf(ComponentType::Complex128), IOComponentEnum::DOUBLE);
  EXPECT_TRUE(itk::nibridge::IsComplex(ComponentType::Complex64));
  EXPECT_FALSE(itk::nibridge::IsComplex(ComponentType::Float64));
  EXPECT_TRUE(itk::nibridge::IsFloatingPoint(ComponentType::Float32));
  EXPECT_FALSE(itk::nibridge::IsFloatingPoint(ComponentType::Complex128));
  EXPECT_FALSE(itk::nibridge::IsFloatingPoint(ComponentType::Int64));
}

TEST(NiBridgeComponentType, DispatchCallsWithTheCppTypeOfEveryValue)
{
  for (const auto type : AllComponentTypes())
  {
    EXPECT_EQ(DispatchedType(type, itk::nibridge::ComponentTypes{}), type) << itk::nibridge::ComponentTypeName(type);
    if (type != ComponentType::Bool && !itk::nibridge::IsComplex(type))
    {
      EXPECT_EQ(DispatchedType(type, itk::nibridge::RealComponentTypes{}), type)
        << itk::nibridge::ComponentTypeName(type);
    }
  }
}

TEST(NiBridgeComponentType, DispatchThrowsForATypeOutsideItsSubList)
{
  for (const auto type : { ComponentType::Bool, ComponentType::Complex64, ComponentType::Complex128 })
  {
    bool called = false;
    try
    {
      itk::nibridge::Dispatch(type, itk::nibridge::RealComponentTypes{}, [&](auto) { called = true; });
      ADD_FAILURE() << "no exception for " << itk::nibridge::ComponentTypeName(type);
    }
    catch (const itk::ExceptionObject & exception)
    {
      EXPECT_NE(std::string(exception.GetDescription())
                  .find(std::string("unsupported component type ") + itk::nibridge::ComponentTypeName(type)),
                std::string::npos)
        << exception.GetDescription();
    }
    EXPECT_FALSE(called);
  }
  EXPECT_THROW(itk::nibridge::Dispatch(static_cast<ComponentType>(99), [](auto) {}), itk::ExceptionObject);
}
