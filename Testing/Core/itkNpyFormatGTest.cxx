/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNpyFormat.h"

#include "itkByteSwapper.h"
#include "itkImageIOBase.h"
#include "nibridgeGTestSupport.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace
{
using itk::IOComponentEnum;
using itk::nibridge::MakeNpyHeader;
using itk::nibridge::NpyDescrFor;
using itk::nibridge::NpyHeader;
using itk::nibridge::ReadNpyHeader;

constexpr const char * TestFileName = "header-under-test.npy";

/** A string holding every byte of a literal, NULs included. */
template<std::size_t Length>
std::string
Bytes(const char (&literal)[Length])
{
  return std::string(literal, Length - 1);
}

NpyHeader
ParseBytes(const std::string & bytes)
{
  std::istringstream stream(bytes);
  return ReadNpyHeader(stream, TestFileName);
}

/** The bytes of a version 1.0 header holding `dictionary` as is (no padding rules applied). */
std::string
RawHeader(const std::string & dictionary, unsigned int major = 1, unsigned int minor = 0)
{
  std::string bytes = Bytes("\x93NUMPY");
  bytes += static_cast<char>(major);
  bytes += static_cast<char>(minor);
  const std::size_t length = dictionary.size();
  bytes += static_cast<char>(length & 0xff);
  bytes += static_cast<char>((length >> 8) & 0xff);
  if (major != 1)
  {
    bytes += static_cast<char>((length >> 16) & 0xff);
    bytes += static_cast<char>((length >> 24) & 0xff);
  }
  return bytes + dictionary;
}

/** Expects `action` to throw an itk::ExceptionObject whose message names the test file and holds `reason`. */
void
ExpectNpyError(const std::function<void()> & action, const std::string & reason)
{
  nibridge_test::ExpectErrorNaming(action, TestFileName, reason);
}

void
ExpectMalformedDictionary(const std::string & dictionary, const std::string & reason)
{
  SCOPED_TRACE(dictionary);
  ExpectNpyError([&]() { ParseBytes(RawHeader(dictionary)); }, reason);
}

struct NumPyHeaderBytes
{
  std::string                descr;
  bool                       fortranOrder;
  std::vector<std::uint64_t> shape;
  unsigned int               forcedVersion; // 0: numpy's choice
  std::string                prefix;        // magic, version and header length
  std::string                dictionary;
  std::size_t                paddingSpaces; // then one '\n'
};

/** Headers numpy 2.4 writes (np.lib.format.write_array), byte for byte. */
std::vector<NumPyHeaderBytes>
HeadersWrittenByNumPy()
{
  return {
    { "<f8",
      false,
      { 3, 4 },
      0,
      Bytes("\x93NUMPY\x01\x00v\x00"),
      "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }",
      58 },
    { "|u1",
      false,
      { 5 },
      0,
      Bytes("\x93NUMPY\x01\x00v\x00"),
      "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }",
      60 },
    { "<i4",
      false,
      {},
      0,
      Bytes("\x93NUMPY\x01\x00v\x00"),
      "{'descr': '<i4', 'fortran_order': False, 'shape': (), }",
      62 },
    { "|b1",
      true,
      { 2, 3, 4 },
      0,
      Bytes("\x93NUMPY\x01\x00v\x00"),
      "{'descr': '|b1', 'fortran_order': True, 'shape': (2, 3, 4), }",
      56 },
    { ">c16",
      false,
      { 2, 1 },
      2,
      Bytes("\x93NUMPY\x02\x00t\x00\x00\x00"),
      "{'descr': '>c16', 'fortran_order': False, 'shape': (2, 1), }",
      55 },
    { "<f2",
      false,
      { 7 },
      3,
      Bytes("\x93NUMPY\x03\x00t\x00\x00\x00"),
      "{'descr': '<f2', 'fortran_order': False, 'shape': (7,), }",
      58 },
    { "<u8",
      true,
      { 2, 3, 4, 5, 6 },
      0,
      Bytes("\x93NUMPY\x01\x00v\x00"),
      "{'descr': '<u8', 'fortran_order': True, 'shape': (2, 3, 4, 5, 6), }",
      50 },
    { "<i2",
      false,
      { 123456789, 0 },
      0,
      Bytes("\x93NUMPY\x01\x00v\x00"),
      "{'descr': '<i2', 'fortran_order': False, 'shape': (123456789, 0), }",
      50 },
    { "<f4",
      false,
      { 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 3 },
      0,
      Bytes("\x93NUMPY\x01\x00\xb6\x00"),
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, "
      "3), }",
      65 },
  };
}
} // namespace

TEST(NpyFormat, MakeNpyHeaderWritesExactlyTheBytesNumPyWrites)
{
  for (const NumPyHeaderBytes & expected : HeadersWrittenByNumPy())
  {
    SCOPED_TRACE(expected.dictionary);
    const std::string bytes =
      expected.forcedVersion == 0
        ? MakeNpyHeader(expected.descr, expected.fortranOrder, expected.shape)
        : MakeNpyHeader(expected.descr, expected.fortranOrder, expected.shape, expected.forcedVersion);
    EXPECT_EQ(bytes, expected.prefix + expected.dictionary + std::string(expected.paddingSpaces, ' ') + "\n");
    EXPECT_EQ(bytes.size() % 64, 0u);
  }
}

TEST(NpyFormat, ReadNpyHeaderReadsEveryHeaderNumPyWrites)
{
  for (const NumPyHeaderBytes & expected : HeadersWrittenByNumPy())
  {
    SCOPED_TRACE(expected.dictionary);
    const std::string bytes = expected.prefix + expected.dictionary + std::string(expected.paddingSpaces, ' ') + "\n";
    const NpyHeader   header = ParseBytes(bytes);
    EXPECT_EQ(header.descr, expected.descr);
    EXPECT_EQ(header.fortranOrder, expected.fortranOrder);
    EXPECT_EQ(header.shape, expected.shape);
    EXPECT_EQ(header.majorVersion, expected.forcedVersion == 0 ? 1u : expected.forcedVersion);
    EXPECT_EQ(header.dataOffset, bytes.size());
  }
}

TEST(NpyFormat, MakeNpyHeaderChoosesVersion2OnlyWhenTheHeaderOutgrows64KiB)
{
  const std::string shortHeader = MakeNpyHeader("<f8", false, { 3 });
  EXPECT_EQ(shortHeader[6], '\x01');

  // No real dtype needs it, but a 70000-character descr does not fit a 16-bit header length.
  const std::string longDescr(70000, 'x');
  const std::string longHeader = MakeNpyHeader(longDescr, false, { 3 });
  EXPECT_EQ(longHeader[6], '\x02');
  EXPECT_EQ(longHeader.size() % 64, 0u);
  EXPECT_EQ(longHeader.back(), '\n');
  EXPECT_THROW(MakeNpyHeader(longDescr, false, { 3 }, 1), itk::ExceptionObject);
}

TEST(NpyFormat, MakeNpyHeaderChoosesVersion3ForUtf8Text)
{
  const std::string header = MakeNpyHeader("<f8\xc3\xa9", false, { 3 });
  EXPECT_EQ(header[6], '\x03');
  EXPECT_THROW(MakeNpyHeader("<f8\xc3\xa9", false, { 3 }, 2), itk::ExceptionObject);
  EXPECT_THROW(MakeNpyHeader("<f8", false, { 3 }, 4), itk::ExceptionObject);
}

TEST(NpyFormat, HeadersOfEveryVersionReadBackAsWritten)
{
  for (unsigned int version = 1; version <= 3; ++version)
  {
    for (const bool fortranOrder : { false, true })
    {
      const std::vector<std::uint64_t> shape{ 4, 1, 7 };
      const std::string                bytes = MakeNpyHeader(">i2", fortranOrder, shape, version);
      const NpyHeader                  header = ParseBytes(bytes + std::string(56, '\0'));
      EXPECT_EQ(header.majorVersion, version);
      EXPECT_EQ(header.fortranOrder, fortranOrder);
      EXPECT_EQ(header.shape, shape);
      EXPECT_EQ(header.dataOffset, bytes.size());
      EXPECT_EQ(header.GetNumberOfElements(), 28u);
    }
  }
}

TEST(NpyFormat, EveryDTypeMapsToItsItkComponentType)
{
  struct Expectation
  {
    std::string     descr;
    IOComponentEnum componentType;
    std::size_t     itemSize;
    bool            complex;
    bool            halfFloat;
    bool            bigEndian;
  };
  const std::vector<Expectation> expectations{
    { "|b1", IOComponentEnum::UCHAR, 1, false, false, false },
    { "|i1", IOComponentEnum::CHAR, 1, false, false, false },
    { "|u1", IOComponentEnum::UCHAR, 1, false, false, false },
    { "<i2", IOComponentEnum::SHORT, 2, false, false, false },
    { ">u2", IOComponentEnum::USHORT, 2, false, false, true },
    { "<i4", IOComponentEnum::INT, 4, false, false, false },
    { ">u4", IOComponentEnum::UINT, 4, false, false, true },
    { "<i8", itk::ImageIOBase::MapPixelType<std::int64_t>::CType, 8, false, false, false },
    { ">u8", itk::ImageIOBase::MapPixelType<std::uint64_t>::CType, 8, false, false, true },
    { "<f2", IOComponentEnum::FLOAT, 2, false, true, false },
    { ">f4", IOComponentEnum::FLOAT, 4, false, false, true },
    { "<f8", IOComponentEnum::DOUBLE, 8, false, false, false },
    { ">c8", IOComponentEnum::FLOAT, 8, true, false, true },
    { "<c16", IOComponentEnum::DOUBLE, 16, true, false, false },
  };
  for (const Expectation & expected : expectations)
  {
    SCOPED_TRACE(expected.descr);
    const NpyHeader header = ParseBytes(MakeNpyHeader(expected.descr, false, { 1 }));
    EXPECT_EQ(header.descr, expected.descr);
    EXPECT_EQ(header.componentType, expected.componentType);
    EXPECT_EQ(header.itemSize, expected.itemSize);
    EXPECT_EQ(header.complex, expected.complex);
    EXPECT_EQ(header.halfFloat, expected.halfFloat);
    EXPECT_EQ(header.bigEndian, expected.bigEndian);
  }
}

TEST(NpyFormat, NpyDescrForNamesEveryItkComponentTypeInThisMachinesByteOrder)
{
  const char order = itk::ByteSwapper<int>::SystemIsBigEndian() ? '>' : '<';
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::UCHAR), "|u1");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::CHAR), "|i1");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::USHORT), std::string(1, order) + "u2");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::SHORT), std::string(1, order) + "i2");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::UINT), std::string(1, order) + "u4");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::INT), std::string(1, order) + "i4");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::ULONG), std::string(1, order) + "u" + std::to_string(sizeof(unsigned long)));
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::LONG), std::string(1, order) + "i" + std::to_string(sizeof(long)));
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::ULONGLONG), std::string(1, order) + "u8");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::LONGLONG), std::string(1, order) + "i8");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::FLOAT), std::string(1, order) + "f4");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::DOUBLE), std::string(1, order) + "f8");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::FLOAT, true), std::string(1, order) + "c8");
  EXPECT_EQ(NpyDescrFor(IOComponentEnum::DOUBLE, true), std::string(1, order) + "c16");
}

TEST(NpyFormat, NpyDescrForRefusesTypesDotNpyCannotHold)
{
  EXPECT_THROW(NpyDescrFor(IOComponentEnum::UNKNOWNCOMPONENTTYPE), itk::ExceptionObject);
  EXPECT_THROW(NpyDescrFor(IOComponentEnum::INT, true), itk::ExceptionObject);
}

TEST(NpyFormat, TheDictionaryParserAcceptsEverythingNumPyAndPython2Wrote)
{
  const std::vector<std::string> dictionaries{
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }",
    "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3, 4)}",
    "{'descr':'<f8','fortran_order':False,'shape':(3,4,),}",
    "  {  'shape' : ( 3 , 4 ) , 'fortran_order' : False , 'descr' : '<f8' }  \n",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }",
    "{u'descr': u'<f8', 'fortran_order': False, 'shape': (3, 4), }\t\r\n",
  };
  for (const std::string & dictionary : dictionaries)
  {
    SCOPED_TRACE(dictionary);
    const NpyHeader header = ParseBytes(RawHeader(dictionary));
    EXPECT_EQ(header.descr, "<f8");
    EXPECT_FALSE(header.fortranOrder);
    EXPECT_EQ(header.shape, (std::vector<std::uint64_t>{ 3, 4 }));
  }
  EXPECT_EQ(ParseBytes(RawHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (5,), }")).shape,
            std::vector<std::uint64_t>{ 5 });
  EXPECT_TRUE(ParseBytes(RawHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (5,), }")).fortranOrder);
  EXPECT_TRUE(ParseBytes(RawHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (), }")).shape.empty());
}

TEST(NpyFormat, TheDictionaryParserRefusesAnythingThatIsNotTheThreeKeyDict)
{
  ExpectMalformedDictionary("['descr', '<f8']", "is not a Python dict literal");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False}", "the key 'shape' is missing");
  ExpectMalformedDictionary("{'shape': (3,), 'fortran_order': False}", "the key 'descr' is missing");
  ExpectMalformedDictionary("{'descr': '<f8', 'shape': (3,)}", "the key 'fortran_order' is missing");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
                            "unexpected key 'extra'");
  ExpectMalformedDictionary("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
                            "duplicate key 'descr'");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} junk", "unexpected text");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (3,)", "expected ',' or '}'");
  ExpectMalformedDictionary("{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}", "malformed header");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': false, 'shape': (3,)}", "is not a Python literal");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}", "not True or False");
  ExpectMalformedDictionary("{'descr': 5, 'fortran_order': False, 'shape': (3,)}", "not a dtype string");
  ExpectMalformedDictionary("{descr: '<f8', 'fortran_order': False, 'shape': (3,)}", "is not a Python literal");
  ExpectMalformedDictionary("{'descr': __import__('os'), 'fortran_order': False, 'shape': (3,)}",
                            "is not a Python literal");
  ExpectMalformedDictionary("", "unexpected end");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': " + std::string(1000, '(') + "3" +
                              std::string(1000, ')') + "}",
                            "nested too deeply");
}

TEST(NpyFormat, ShapesMustBeTuplesOfNonNegativeIntegers)
{
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (3, -4), }", "negative entry '-4'");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (3.5, 4), }",
                            "entry '3.5', which is not an integer");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (1e3,), }", "not an integer");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (0x10,), }", "not an integer");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (None,), }", "not an integer");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': ('3',), }", "not an integer");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4], }", "not a tuple");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (5), }", "not a tuple");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': 5, }", "not a tuple");
  std::string sixtyFiveAxes;
  for (int axis = 0; axis < 65; ++axis)
  {
    sixtyFiveAxes += "1, ";
  }
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (" + sixtyFiveAxes + "), }",
                            "has 65 axes, more than 64");
}

TEST(NpyFormat, ShapesWhoseSizeOverflowsAreRefused)
{
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551616,), }",
                            "overflows 64 bits");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                            "the number of elements overflows 64 bits");
  ExpectMalformedDictionary("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }",
                            "the byte size overflows");
  ExpectMalformedDictionary("{'descr': '<f2', 'fortran_order': False, 'shape': (3000000000000000000,), }",
                            "the byte size overflows");
  // A zero anywhere makes the array empty, whatever the other axes say.
  EXPECT_EQ(ParseBytes(RawHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 18446744073709551615, 3), }"))
              .GetNumberOfElements(),
            0u);
}

TEST(NpyFormat, AShapeWithAZeroHoldsNoElementsWhateverItsOtherAxes)
{
  // GetNumberOfElements saturated at the first overflowing product, before it reached the zero: a header the parser
  // accepts (its byte size is 0) claimed 2^64 - 1 elements (found by nibridgeFuzzNpyHeader).
  for (const std::string shape : { "(9011, 6963953000001, 917696395384193026, 0)", "(0, 18446744073709551615, 2)" })
  {
    SCOPED_TRACE(shape);
    const NpyHeader header = ParseBytes(RawHeader("{'descr': '<f8', 'fortran_order': True, 'shape': " + shape + ", }"));
    EXPECT_EQ(header.GetNumberOfElements(), 0u);
  }
}

TEST(NpyFormat, UnsupportedDTypesAreRefusedWithTheListOfSupportedOnes)
{
  const std::string                                      supportedList = "supported dtypes: bool, int8";
  const std::vector<std::pair<std::string, std::string>> cases{
    { "<x4", "unknown dtype '<x4'" },
    { "|O", "object arrays" },
    { "<U3", "unsupported dtype '<U3' (unicode strings)" },
    { "|S3", "unsupported dtype '|S3' (byte strings)" },
    { "<M8[ns]", "unsupported dtype '<M8[ns]' (datetimes)" },
    { "<m8[s]", "(timedeltas)" },
    { "|V16", "(raw bytes (void))" },
    { "<f16", "unsupported dtype '<f16'" },
    { "<c32", "unsupported dtype '<c32'" },
    { "<i3", "unsupported dtype '<i3'" },
    { "|b2", "unsupported dtype '|b2'" },
    { "", "unknown dtype ''" },
    { "<", "unknown dtype '<'" },
    { "<f", "unknown dtype '<f'" },
  };
  for (const auto & testCase : cases)
  {
    ExpectMalformedDictionary("{'descr': '" + testCase.first + "', 'fortran_order': False, 'shape': (3,), }",
                              testCase.second);
    ExpectMalformedDictionary("{'descr': '" + testCase.first + "', 'fortran_order': False, 'shape': (3,), }",
                              supportedList);
  }
}

TEST(NpyFormat, StructuredDTypesAreRefused)
{
  ExpectMalformedDictionary("{'descr': [('x', '<f8'), ('y', '<i4')], 'fortran_order': False, 'shape': (3,), }",
                            "structured dtypes");
}

TEST(NpyFormat, HeaderTextInAMessageIsOnePrintableAsciiLine)
{
  // A header may hold line breaks, NULs and bytes that are no UTF-8: a message quoting it stays one line that a
  // terminal or a Python str can hold (found by nibridgeFuzzNpyHeader's check of every message).
  for (const std::string descr : { Bytes("<\xff\xfe"
                                         "8"),
                                   Bytes("a\nb"),
                                   Bytes("\xc3\xa9"
                                         "t\x00") })
  {
    SCOPED_TRACE(descr);
    std::string message;
    try
    {
      ParseBytes(RawHeader("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (), }"));
    }
    catch (const itk::ExceptionObject & error)
    {
      message = error.GetDescription();
    }
    ASSERT_NE(message.find(TestFileName), std::string::npos) << message;
    for (const char character : message)
    {
      EXPECT_TRUE(character >= 0x20 && character < 0x7f) << "byte " << static_cast<int>(character) << " in " << message;
    }
    EXPECT_NE(message.find("\\x"), std::string::npos) << message;
  }
}

TEST(NpyFormat, BadMagicStringsAreRefused)
{
  ExpectNpyError([]() { ParseBytes(Bytes("\x93NUMPX\x01\x00\x10\x00")); }, "bad magic string");
  ExpectNpyError([]() { ParseBytes("PK\x03\x04 this is a zip"); }, "bad magic string");
  ExpectNpyError([]() { ParseBytes("\x93NU"); }, "bad magic string");
}

TEST(NpyFormat, EmptyStreamsAreRefused)
{
  ExpectNpyError([]() { ParseBytes(""); }, "the file is empty");
}

TEST(NpyFormat, UnknownFormatVersionsAreRefused)
{
  const std::string dictionary = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
  ExpectNpyError([&]() { ParseBytes(RawHeader(dictionary, 4, 0)); }, "unsupported .npy format version 4.0");
  ExpectNpyError([&]() { ParseBytes(RawHeader(dictionary, 1, 1)); }, "unsupported .npy format version 1.1");
  ExpectNpyError([&]() { ParseBytes(RawHeader(dictionary, 0, 0)); }, "unsupported .npy format version 0.0");
}

TEST(NpyFormat, HeaderLengthsBeyondTheFileOrBeyondOneMebibyteAreRefused)
{
  ExpectNpyError([]() { ParseBytes(Bytes("\x93NUMPY\x01\x00\xff\xff{'descr'")); },
                 "truncated header: header length says 65535 bytes, the file holds 8");
  ExpectNpyError([]() { ParseBytes(Bytes("\x93NUMPY\x02\x00\x00\x00\x00\x40{}")); },
                 "header length 1073741824 bytes is larger than the limit");
  ExpectNpyError([]() { ParseBytes(Bytes("\x93NUMPY\x02\x00\x10")); }, "the file ends inside the header length");
  ExpectNpyError([]() { ParseBytes(Bytes("\x93NUMPY\x01")); }, "the file ends inside the format version");
}
