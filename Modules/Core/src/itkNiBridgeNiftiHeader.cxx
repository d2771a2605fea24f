/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeNiftiHeader.h"

#include "itkNiBridgeDeterminant.h"

#include "itkNiBridgeDataStream.h"
#include "itkNiBridgeNumberText.h"

#include "itkByteSwapper.h"
#include "itkMacro.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <array>
#include <cstring>
#include <limits>

#include <sys/stat.h>

namespace itk
{
namespace nibridge
{
namespace
{
/** One field of a header layout: its name (nibabel's), byte offset, NumPy kind ('i', 'u', 'f'; 'S' for bytes),
 * element size and number of elements. */
struct HeaderField
{
  const char *  name;
  std::uint16_t offset;
  char          kind;
  std::uint8_t  size;
  std::uint8_t  count;
};

// The layouts of nibabel's nifti1.header_dtype, nifti2.header_dtype and Spm2AnalyzeHeader's, in field order.
constexpr HeaderField Nifti1Layout[] = {
  { "sizeof_hdr", 0, 'i', 4, 1 },       { "data_type", 4, 'S', 10, 1 },     { "db_name", 14, 'S', 18, 1 },
  { "extents", 32, 'i', 4, 1 },         { "session_error", 36, 'i', 2, 1 }, { "regular", 38, 'S', 1, 1 },
  { "dim_info", 39, 'u', 1, 1 },        { "dim", 40, 'i', 2, 8 },           { "intent_p1", 56, 'f', 4, 1 },
  { "intent_p2", 60, 'f', 4, 1 },       { "intent_p3", 64, 'f', 4, 1 },     { "intent_code", 68, 'i', 2, 1 },
  { "datatype", 70, 'i', 2, 1 },        { "bitpix", 72, 'i', 2, 1 },        { "slice_start", 74, 'i', 2, 1 },
  { "pixdim", 76, 'f', 4, 8 },          { "vox_offset", 108, 'f', 4, 1 },   { "scl_slope", 112, 'f', 4, 1 },
  { "scl_inter", 116, 'f', 4, 1 },      { "slice_end", 120, 'i', 2, 1 },    { "slice_code", 122, 'u', 1, 1 },
  { "xyzt_units", 123, 'u', 1, 1 },     { "cal_max", 124, 'f', 4, 1 },      { "cal_min", 128, 'f', 4, 1 },
  { "slice_duration", 132, 'f', 4, 1 }, { "toffset", 136, 'f', 4, 1 },      { "glmax", 140, 'i', 4, 1 },
  { "glmin", 144, 'i', 4, 1 },          { "descrip", 148, 'S', 80, 1 },     { "aux_file", 228, 'S', 24, 1 },
  { "qform_code", 252, 'i', 2, 1 },     { "sform_code", 254, 'i', 2, 1 },   { "quatern_b", 256, 'f', 4, 1 },
  { "quatern_c", 260, 'f', 4, 1 },      { "quatern_d", 264, 'f', 4, 1 },    { "qoffset_x", 268, 'f', 4, 1 },
  { "qoffset_y", 272, 'f', 4, 1 },      { "qoffset_z", 276, 'f', 4, 1 },    { "srow_x", 280, 'f', 4, 4 },
  { "srow_y", 296, 'f', 4, 4 },         { "srow_z", 312, 'f', 4, 4 },       { "intent_name", 328, 'S', 16, 1 },
  { "magic", 344, 'S', 4, 1 },
};
constexpr HeaderField Nifti2Layout[] = {
  { "sizeof_hdr", 0, 'i', 4, 1 },       { "magic", 4, 'S', 4, 1 },         { "eol_check", 8, 'i', 1, 4 },
  { "datatype", 12, 'i', 2, 1 },        { "bitpix", 14, 'i', 2, 1 },       { "dim", 16, 'i', 8, 8 },
  { "intent_p1", 80, 'f', 8, 1 },       { "intent_p2", 88, 'f', 8, 1 },    { "intent_p3", 96, 'f', 8, 1 },
  { "pixdim", 104, 'f', 8, 8 },         { "vox_offset", 168, 'i', 8, 1 },  { "scl_slope", 176, 'f', 8, 1 },
  { "scl_inter", 184, 'f', 8, 1 },      { "cal_max", 192, 'f', 8, 1 },     { "cal_min", 200, 'f', 8, 1 },
  { "slice_duration", 208, 'f', 8, 1 }, { "toffset", 216, 'f', 8, 1 },     { "slice_start", 224, 'i', 8, 1 },
  { "slice_end", 232, 'i', 8, 1 },      { "descrip", 240, 'S', 80, 1 },    { "aux_file", 320, 'S', 24, 1 },
  { "qform_code", 344, 'i', 4, 1 },     { "sform_code", 348, 'i', 4, 1 },  { "quatern_b", 352, 'f', 8, 1 },
  { "quatern_c", 360, 'f', 8, 1 },      { "quatern_d", 368, 'f', 8, 1 },   { "qoffset_x", 376, 'f', 8, 1 },
  { "qoffset_y", 384, 'f', 8, 1 },      { "qoffset_z", 392, 'f', 8, 1 },   { "srow_x", 400, 'f', 8, 4 },
  { "srow_y", 432, 'f', 8, 4 },         { "srow_z", 464, 'f', 8, 4 },      { "slice_code", 496, 'i', 4, 1 },
  { "xyzt_units", 500, 'i', 4, 1 },     { "intent_code", 504, 'i', 4, 1 }, { "intent_name", 508, 'S', 16, 1 },
  { "dim_info", 524, 'u', 1, 1 },       { "unused_str", 525, 'S', 15, 1 },
};
constexpr HeaderField AnalyzeLayout[] = {
  { "sizeof_hdr", 0, 'i', 4, 1 },   { "data_type", 4, 'S', 10, 1 },     { "db_name", 14, 'S', 18, 1 },
  { "extents", 32, 'i', 4, 1 },     { "session_error", 36, 'i', 2, 1 }, { "regular", 38, 'S', 1, 1 },
  { "hkey_un0", 39, 'S', 1, 1 },    { "dim", 40, 'i', 2, 8 },           { "vox_units", 56, 'S', 4, 1 },
  { "cal_units", 60, 'S', 8, 1 },   { "unused1", 68, 'i', 2, 1 },       { "datatype", 70, 'i', 2, 1 },
  { "bitpix", 72, 'i', 2, 1 },      { "dim_un0", 74, 'i', 2, 1 },       { "pixdim", 76, 'f', 4, 8 },
  { "vox_offset", 108, 'f', 4, 1 }, { "scl_slope", 112, 'f', 4, 1 },    { "scl_inter", 116, 'f', 4, 1 },
  { "funused3", 120, 'f', 4, 1 },   { "cal_max", 124, 'f', 4, 1 },      { "cal_min", 128, 'f', 4, 1 },
  { "compressed", 132, 'i', 4, 1 }, { "verified", 136, 'i', 4, 1 },     { "glmax", 140, 'i', 4, 1 },
  { "glmin", 144, 'i', 4, 1 },      { "descrip", 148, 'S', 80, 1 },     { "aux_file", 228, 'S', 24, 1 },
  { "orient", 252, 'S', 1, 1 },     { "origin", 253, 'i', 2, 5 },       { "generated", 263, 'S', 10, 1 },
  { "scannum", 273, 'S', 10, 1 },   { "patient_id", 283, 'S', 10, 1 },  { "exp_date", 293, 'S', 10, 1 },
  { "exp_time", 303, 'S', 10, 1 },  { "hist_un0", 313, 'S', 3, 1 },     { "views", 316, 'i', 4, 1 },
  { "vols_added", 320, 'i', 4, 1 }, { "start_field", 324, 'i', 4, 1 },  { "field_skip", 328, 'i', 4, 1 },
  { "omax", 332, 'i', 4, 1 },       { "omin", 336, 'i', 4, 1 },         { "smax", 340, 'i', 4, 1 },
  { "smin", 344, 'i', 4, 1 },
};

constexpr std::size_t Nifti1HeaderBytes = 348;
constexpr std::size_t Nifti2HeaderBytes = 540;
constexpr std::size_t Nifti1SingleDataOffset = 352; // nibabel's single_vox_offset: the header and 4 extension bytes

/** NIfTI intent codes with nibabel's labels (Recoder intent_codes) and their number of parameters. */
struct Intent
{
  int          code;
  const char * label;
  unsigned int parameters;
};
constexpr Intent Intents[] = {
  { 0, "none", 0 },
  { 2, "correlation", 1 },
  { 3, "t test", 1 },
  { 4, "f test", 2 },
  { 5, "z score", 0 },
  { 6, "chi2", 1 },
  { 7, "beta", 2 },
  { 8, "binomial", 2 },
  { 9, "gamma", 2 },
  { 10, "poisson", 1 },
  { 11, "normal", 2 },
  { 12, "non central f test", 3 },
  { 13, "non central chi2", 2 },
  { 14, "logistic", 2 },
  { 15, "laplace", 2 },
  { 16, "uniform", 2 },
  { 17, "non central t test", 2 },
  { 18, "weibull", 2 },
  { 19, "chi", 1 },
  { 20, "inverse gaussian", 2 },
  { 21, "extreme value 1", 2 },
  { 22, "p value", 0 },
  { 23, "log p value", 0 },
  { 24, "log10 p value", 0 },
  { 1001, "estimate", 0 },
  { 1002, "label", 0 },
  { 1003, "neuroname", 0 },
  { 1004, "general matrix", 2 },
  { 1005, "symmetric matrix", 1 },
  { 1006, "displacement vector", 0 },
  { 1007, "vector", 0 },
  { 1008, "pointset", 0 },
  { 1009, "triangle", 0 },
  { 1010, "quaternion", 0 },
  { 1011, "dimensionless", 0 },
  { 2001, "time series", 0 },
  { 2002, "node index", 0 },
  { 2003, "rgb vector", 0 },
  { 2004, "rgba vector", 0 },
  { 2005, "shape", 0 },
  { 2006, "fnirt disp field", 0 },
  { 2007, "fnirt cubic spline coef", 0 },
  { 2008, "fnirt dct coef", 0 },
  { 2009, "fnirt quad spline coef", 0 },
  { 2016, "topup cubic spline coef ", 0 },
  { 2017, "topup quad spline coef", 0 },
  { 2018, "topup field", 0 },
  { 3000, "ConnUnknown", 0 },
  { 3001, "ConnDense", 0 },
  { 3002, "ConnDenseSeries", 0 },
  { 3003, "ConnParcels", 0 },
  { 3004, "ConnParcelSries", 0 },
  { 3006, "ConnDenseScalar", 0 },
  { 3007, "ConnDenseLabel", 0 },
  { 3008, "ConnParcelScalr", 0 },
  { 3009, "ConnParcelDense", 0 },
  { 3010, "ConnDenseParcel", 0 },
  { 3011, "ConnPPSr", 0 },
  { 3012, "ConnPPSc", 0 },
};

/** NIfTI unit codes (xyzt_units) with nibabel's labels. */
const char *
UnitLabel(int code)
{
  switch (code)
  {
    case 0:
      return "unknown";
    case 1:
      return "meter";
    case 2:
      return "mm";
    case 3:
      return "micron";
    case 8:
      return "sec";
    case 16:
      return "msec";
    case 24:
      return "usec";
    case 32:
      return "hz";
    case 40:
      return "ppm";
    case 48:
      return "rads";
    default:
      return nullptr;
  }
}

bool
EndsWithIgnoringCase(const std::string & text, const std::string & suffix)
{
  if (text.size() < suffix.size())
  {
    return false;
  }
  for (std::size_t index = 0; index < suffix.size(); ++index)
  {
    if (std::tolower(static_cast<unsigned char>(text[text.size() - suffix.size() + index])) != suffix[index])
    {
      return false;
    }
  }
  return true;
}

/** The bytes of a header in this machine's byte order, read through its layout. */
class HeaderBytes
{
public:
  template<std::size_t N>
  HeaderBytes(const std::string & raw, const HeaderField (&layout)[N], bool swapped)
      : m_Bytes(raw)
      , m_Layout(layout)
      , m_LayoutSize(N)
  {
    if (swapped)
    {
      for (const HeaderField & field : layout)
      {
        if (field.kind != 'S')
        {
          SwapBytes(&m_Bytes[field.offset], field.count, field.size);
        }
      }
    }
  }

  const HeaderField &
  Field(const char * name) const
  {
    for (std::size_t index = 0; index < m_LayoutSize; ++index)
    {
      if (std::strcmp(m_Layout[index].name, name) == 0)
      {
        return m_Layout[index];
      }
    }
    itkGenericExceptionMacro(<< "no header field " << name);
  }

  /** Element `element` of a numeric field, as a double (exact for every stored value but 64-bit integers). */
  double
  Number(const char * name, unsigned int element = 0) const
  {
    const HeaderField & field = Field(name);
    const char *        bytes = &m_Bytes[field.offset + element * field.size];
    if (field.kind == 'f')
    {
      if (field.size == 4)
      {
        float value;
        std::memcpy(&value, bytes, 4);
        return value;
      }
      double value;
      std::memcpy(&value, bytes, 8);
      return value;
    }
    return static_cast<double>(Integer(name, element));
  }

  std::int64_t
  Integer(const char * name, unsigned int element = 0) const
  {
    const HeaderField & field = Field(name);
    const char *        bytes = &m_Bytes[field.offset + element * field.size];
    if (field.kind == 'u')
    {
      return static_cast<unsigned char>(bytes[0]);
    }
    switch (field.size)
    {
      case 1:
        return static_cast<signed char>(bytes[0]);
      case 2:
      {
        std::int16_t value;
        std::memcpy(&value, bytes, 2);
        return value;
      }
      case 4:
      {
        std::int32_t value;
        std::memcpy(&value, bytes, 4);
        return value;
      }
      default:
      {
        std::int64_t value;
        std::memcpy(&value, bytes, 8);
        return value;
      }
    }
  }

  /** Writes element `element` of a numeric field (for nibabel's load-time fixes). */
  void
  SetNumber(const char * name, unsigned int element, double value)
  {
    const HeaderField & field = Field(name);
    char *              bytes = &m_Bytes[field.offset + element * field.size];
    if (field.kind == 'f' && field.size == 4)
    {
      const auto single = static_cast<float>(value);
      std::memcpy(bytes, &single, 4);
    }
    else if (field.kind == 'f')
    {
      std::memcpy(bytes, &value, 8);
    }
    else
    {
      const auto integer = static_cast<std::int64_t>(value);
      const auto i16 = static_cast<std::int16_t>(integer);
      const auto i32 = static_cast<std::int32_t>(integer);
      switch (field.size)
      {
        case 1:
          bytes[0] = static_cast<char>(integer);
          break;
        case 2:
          std::memcpy(bytes, &i16, 2);
          break;
        case 4:
          std::memcpy(bytes, &i32, 4);
          break;
        default:
          std::memcpy(bytes, &integer, 8);
          break;
      }
    }
  }

  /** Writes the raw bytes of a field (at most its size). */
  void
  SetBytes(const char * name, const std::string & bytes)
  {
    const HeaderField & field = Field(name);
    std::memcpy(&m_Bytes[field.offset], bytes.data(), std::min<std::size_t>(bytes.size(), field.size * field.count));
  }

  const std::string &
  Raw() const
  {
    return m_Bytes;
  }

  /** A bytes field as NumPy's bytes scalar holds it: trailing NULs dropped. */
  std::string
  Bytes(const char * name) const
  {
    const HeaderField & field = Field(name);
    std::string         value = m_Bytes.substr(field.offset, field.size);
    value.erase(value.find_last_not_of('\0') + 1);
    return value;
  }

  /** What nibridge_nibabel_io.as_text makes of the field: bytes decoded as latin-1, numbers as NumPy prints them,
   * arrays as their elements separated by spaces. The result is UTF-8. */
  std::string
  Text(const HeaderField & field) const
  {
    if (field.kind == 'S')
    {
      std::string text;
      for (const unsigned char byte : Bytes(field.name))
      {
        if (byte < 0x80)
        {
          text += static_cast<char>(byte);
        }
        else
        {
          text += static_cast<char>(0xC0 | (byte >> 6));
          text += static_cast<char>(0x80 | (byte & 0x3F));
        }
      }
      return text;
    }
    std::string text;
    for (unsigned int element = 0; element < field.count; ++element)
    {
      text += element ? " " : "";
      if (field.kind == 'f')
      {
        const double value = Number(field.name, element);
        text += field.size == 4 ? NumPyFloat32Text(static_cast<float>(value)) : PythonFloatText(value);
      }
      else
      {
        text += std::to_string(Integer(field.name, element));
      }
    }
    return text;
  }

  std::vector<std::pair<std::string, std::string>>
  Texts() const
  {
    std::vector<std::pair<std::string, std::string>> texts;
    for (std::size_t index = 0; index < m_LayoutSize; ++index)
    {
      texts.emplace_back(m_Layout[index].name, Text(m_Layout[index]));
    }
    return texts;
  }

private:
  std::string         m_Bytes;
  const HeaderField * m_Layout;
  std::size_t         m_LayoutSize;
};

std::int32_t
RawInt32(const std::string & bytes, std::size_t offset, bool swapped)
{
  std::int32_t value;
  std::memcpy(&value, bytes.data() + offset, 4);
  if (swapped)
  {
    SwapBytes(&value, 1, 4);
  }
  return value;
}

/** The layout of a header of this format, read through in this machine's byte order. */
HeaderBytes
HeaderOf(const std::string & raw, NiftiFormat format, bool swapped)
{
  if (format == NiftiFormat::Nifti2)
  {
    return HeaderBytes(raw.substr(0, Nifti2HeaderBytes), Nifti2Layout, swapped);
  }
  return format == NiftiFormat::Nifti1 ? HeaderBytes(raw.substr(0, Nifti1HeaderBytes), Nifti1Layout, swapped)
                                       : HeaderBytes(raw.substr(0, Nifti1HeaderBytes), AnalyzeLayout, swapped);
}

/** A NIfTI-2 header with a CIFTI-2 intent (3000-3099): nibabel reads it as a Cifti2Image. */
bool
IsCifti2(NiftiFormat format, std::int64_t intentCode)
{
  return format == NiftiFormat::Nifti2 && intentCode >= 3000 && intentCode < 3100;
}

/** The format the first bytes of a header file say, as nibabel's classes sniff them (may_contain_header), in
 * nibabel's order: NIfTI-1 magic, then a NIfTI-2 sizeof_hdr, then (pairs only) an Analyze sizeof_hdr. */
std::optional<NiftiFormat>
SniffFormat(const std::string & bytes, bool pair)
{
  if (bytes.size() >= Nifti1HeaderBytes)
  {
    const std::string magic = bytes.substr(344, 4);
    if (magic == std::string("ni1\0", 4) || magic == std::string("n+1\0", 4))
    {
      return NiftiFormat::Nifti1;
    }
  }
  if (bytes.size() >= 4)
  {
    const std::int32_t size = RawInt32(bytes, 0, false);
    if (bytes.size() >= Nifti2HeaderBytes && (size == 540 || RawInt32(bytes, 0, true) == 540))
    {
      return NiftiFormat::Nifti2;
    }
    if (pair && bytes.size() >= Nifti1HeaderBytes && (size == 348 || RawInt32(bytes, 0, true) == 348))
    {
      return NiftiFormat::Analyze;
    }
  }
  return std::nullopt;
}

/** nibabel's guessed_endian: dim[0] as stored decides (1..7: native), a zero dim[0] the sizeof_hdr. */
bool
GuessSwapped(const std::string & bytes, NiftiFormat format)
{
  const std::size_t dimOffset = format == NiftiFormat::Nifti2 ? 16 : 40;
  std::int64_t      dim0 = 0;
  if (format == NiftiFormat::Nifti2)
  {
    std::memcpy(&dim0, bytes.data() + dimOffset, 8);
  }
  else
  {
    std::int16_t value;
    std::memcpy(&value, bytes.data() + dimOffset, 2);
    dim0 = value;
  }
  if (dim0 == 0)
  {
    return RawInt32(bytes, 0, true) == (format == NiftiFormat::Nifti2 ? 540 : 348);
  }
  return !(dim0 >= 1 && dim0 <= 7);
}

/** The SPM .mat file nibabel reads beside an Analyze pair (its affine overrides the header's). */
bool
HasSpmMatFile(const NiftiFiles & files)
{
  std::string stem = files.header;
  if (EndsWithIgnoringCase(stem, ".gz"))
  {
    stem.resize(stem.size() - 3);
  }
  stem.resize(stem.size() - 4);
  return IsRegularFile(stem + ".mat") || IsRegularFile(stem + ".MAT");
}

[[noreturn]] void
ThrowHeaderError(const std::string & fileName, const std::string & reason)
{
  itkGenericExceptionMacro(<< '"' << fileName << "\": " << reason);
}

/** A header field's raw bytes for a message, as Python's bytes repr writes them: printable ASCII as it is, any other
 * byte (a line break, a NUL, a byte that is no UTF-8) as \xNN, so that the message stays one printable line. */
std::string
EscapedBytes(const std::string & bytes)
{
  static constexpr char digits[] = "0123456789abcdef";
  std::string           text;
  for (const char character : bytes)
  {
    const auto byte = static_cast<unsigned char>(character);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\')
    {
      text += character;
    }
    else
    {
      text += byte == '\\' ? std::string("\\\\") : std::string("\\x") + digits[byte >> 4] + digits[byte & 0xf];
    }
  }
  return text;
}

/** nibabel's SPM2 scaling (Spm2AnalyzeHeader.get_slope_inter): the scale factor (funused1, with funused2 as
 * intercept), else the gl/cal ranges; none (1, 0) when neither is usable. */
void
SetSpm2Scaling(const HeaderBytes & header, NiftiHeader & result)
{
  const double slope = header.Number("scl_slope");
  if (std::isfinite(slope) && slope != 0.0)
  {
    const double inter = header.Number("scl_inter");
    result.slope = slope;
    result.inter = std::isfinite(inter) ? inter : 0.0;
    return;
  }
  // int32 arithmetic, wrapping as NumPy's does; float32 for the calibrated range.
  const auto glmax = static_cast<std::int32_t>(header.Integer("glmax"));
  const auto glmin = static_cast<std::int32_t>(header.Integer("glmin"));
  const auto unscaledRange =
    static_cast<std::int32_t>(static_cast<std::uint32_t>(glmax) - static_cast<std::uint32_t>(glmin));
  const float scaledRange = static_cast<float>(header.Number("cal_max")) - static_cast<float>(header.Number("cal_min"));
  if (unscaledRange != 0 && scaledRange != 0.0f)
  {
    result.slope = static_cast<double>(scaledRange) / static_cast<double>(unscaledRange);
    result.inter = header.Number("cal_min") - result.slope * static_cast<double>(glmin);
  }
}

/** nibabel's Spm99AnalyzeHeader.get_origin_affine, in NumPy's types: float32 zooms, and a float32 translation where
 * the SPM origin field is used (int16 times float32), float64 where the volume's centre is. */
AffineMatrix
Spm2Affine(const HeaderBytes & header)
{
  float        zooms[3];
  std::int16_t origin[3];
  std::int16_t dims[3];
  bool         anyOrigin = false;
  bool         originInside = true;
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    zooms[axis] = static_cast<float>(header.Number("pixdim", axis + 1));
    origin[axis] = static_cast<std::int16_t>(header.Integer("origin", axis));
    dims[axis] = static_cast<std::int16_t>(header.Integer("dim", axis + 1));
    anyOrigin = anyOrigin || origin[axis] != 0;
    // NumPy's int16 arithmetic: -dims and dims * 2 wrap.
    const auto negativeDim = static_cast<std::int16_t>(-dims[axis]);
    const auto doubleDim = static_cast<std::int16_t>(dims[axis] * 2);
    originInside = originInside && origin[axis] > negativeDim && origin[axis] < doubleDim;
  }
  zooms[0] = -zooms[0];
  AffineMatrix affine{};
  affine[3][3] = 1.0;
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    affine[axis][axis] = zooms[axis];
    if (anyOrigin && originInside)
    {
      const auto originVoxel = static_cast<std::int16_t>(origin[axis] - 1);
      const auto negated = static_cast<std::int16_t>(-originVoxel);
      affine[axis][3] = static_cast<float>(static_cast<float>(negated) * zooms[axis]);
    }
    else
    {
      const double centre = (static_cast<double>(dims[axis]) - 1.0) / 2.0;
      affine[axis][3] = -centre * static_cast<double>(zooms[axis]);
    }
  }
  return affine;
}

std::string
ReadHeaderBytes(const NiftiFiles & files, const std::string & fileName, std::size_t count)
{
  std::unique_ptr<DataStream> stream = OpenDataStream(fileName, files.header, files.gzipped, 0);
  std::string                 bytes(count, '\0');
  bytes.resize(static_cast<std::size_t>(stream->ReadSome(bytes.data(), count)));
  return bytes;
}

/** The rotation nearest to `matrix` (its polar decomposition's orthogonal factor), by Newton's iteration
 * R <- (R + R^-T) / 2, which converges quadratically for any invertible matrix. */
void
NearestOrthogonal(double matrix[3][3])
{
  for (unsigned int iteration = 0; iteration < 100; ++iteration)
  {
    const double determinant = Determinant3(matrix);
    if (determinant == 0.0)
    {
      return;
    }
    // The inverse transposed is the cofactor matrix over the determinant.
    double next[3][3];
    double change = 0.0;
    for (unsigned int row = 0; row < 3; ++row)
    {
      for (unsigned int column = 0; column < 3; ++column)
      {
        const unsigned int r1 = (row + 1) % 3, r2 = (row + 2) % 3, c1 = (column + 1) % 3, c2 = (column + 2) % 3;
        const double       cofactor = matrix[r1][c1] * matrix[r2][c2] - matrix[r1][c2] * matrix[r2][c1];
        next[row][column] = 0.5 * (matrix[row][column] + cofactor / determinant);
        change = std::max(change, std::abs(next[row][column] - matrix[row][column]));
      }
    }
    std::memcpy(matrix, next, sizeof(next));
    if (change < 1e-15)
    {
      return;
    }
  }
}

/** The unit quaternion (w >= 0) of a rotation matrix. */
std::array<double, 4>
QuaternionOf(const double rotation[3][3])
{
  const double trace = rotation[0][0] + rotation[1][1] + rotation[2][2];
  double       w, x, y, z;
  if (trace > 0.0)
  {
    const double s = 2.0 * std::sqrt(1.0 + trace);
    w = 0.25 * s;
    x = (rotation[2][1] - rotation[1][2]) / s;
    y = (rotation[0][2] - rotation[2][0]) / s;
    z = (rotation[1][0] - rotation[0][1]) / s;
  }
  else if (rotation[0][0] > rotation[1][1] && rotation[0][0] > rotation[2][2])
  {
    const double s = 2.0 * std::sqrt(1.0 + rotation[0][0] - rotation[1][1] - rotation[2][2]);
    w = (rotation[2][1] - rotation[1][2]) / s;
    x = 0.25 * s;
    y = (rotation[0][1] + rotation[1][0]) / s;
    z = (rotation[0][2] + rotation[2][0]) / s;
  }
  else if (rotation[1][1] > rotation[2][2])
  {
    const double s = 2.0 * std::sqrt(1.0 + rotation[1][1] - rotation[0][0] - rotation[2][2]);
    w = (rotation[0][2] - rotation[2][0]) / s;
    x = (rotation[0][1] + rotation[1][0]) / s;
    y = 0.25 * s;
    z = (rotation[1][2] + rotation[2][1]) / s;
  }
  else
  {
    const double s = 2.0 * std::sqrt(1.0 + rotation[2][2] - rotation[0][0] - rotation[1][1]);
    w = (rotation[1][0] - rotation[0][1]) / s;
    x = (rotation[0][2] + rotation[2][0]) / s;
    y = (rotation[1][2] + rotation[2][1]) / s;
    z = 0.25 * s;
  }
  if (w < 0.0)
  {
    w = -w, x = -x, y = -y, z = -z;
  }
  return { w, x, y, z };
}
} // namespace

std::uint64_t
SingleFileDataOffset(bool nifti2)
{
  return (nifti2 ? Nifti2HeaderBytes : Nifti1HeaderBytes) + 4;
}

std::string
MakeNiftiHeader(const NiftiWriteDescription & description)
{
  const bool        nifti2 = description.nifti2;
  const std::size_t headerSize = nifti2 ? Nifti2HeaderBytes : Nifti1HeaderBytes;
  HeaderBytes       header =
    HeaderOf(std::string(headerSize, '\0'), nifti2 ? NiftiFormat::Nifti2 : NiftiFormat::Nifti1, false);
  header.SetNumber("sizeof_hdr", 0, static_cast<double>(headerSize));
  header.SetNumber("dim", 0, static_cast<double>(description.shape.size()));
  for (unsigned int axis = 1; axis < 8; ++axis)
  {
    header.SetNumber(
      "dim", axis, axis <= description.shape.size() ? static_cast<double>(description.shape[axis - 1]) : 1.0);
    header.SetNumber("pixdim", axis, 1.0);
  }
  header.SetNumber("datatype", 0, description.datatypeCode);
  const NiftiDataType dataType = *NiftiDataTypeFromCode(description.datatypeCode);
  header.SetNumber("bitpix", 0, static_cast<double>(ComponentTypeSize(dataType.component) * dataType.channels * 8));
  header.SetNumber("intent_code", 0, description.intentCode);
  header.SetNumber("xyzt_units", 0, description.xyztUnits);
  header.SetNumber("toffset", 0, description.timeOffset);
  header.SetNumber("vox_offset", 0, description.pair ? 0.0 : static_cast<double>(SingleFileDataOffset(nifti2)));
  header.SetNumber("scl_slope", 0, 1.0);
  header.SetNumber("scl_inter", 0, 0.0);

  // The sform: the affine itself (float32 in NIfTI-1, as nibabel stores it; float64 in NIfTI-2), shears included.
  const AffineMatrix & affine = description.affine;
  const char *         rows[3] = { "srow_x", "srow_y", "srow_z" };
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 4; ++column)
    {
      header.SetNumber(rows[row], column, affine[row][column]);
    }
  }
  header.SetNumber("sform_code", 0, 2.0); // aligned, nibabel's default

  // The qform as nibabel's set_qform fills it: voxel sizes from the columns, qfac from the handedness, the rotation
  // nearest to the direction (shears stripped). Its code stays 0, nibabel's default, so readers take the sform.
  double rotation[3][3];
  double zooms[3];
  for (unsigned int column = 0; column < 3; ++column)
  {
    zooms[column] = std::sqrt(affine[0][column] * affine[0][column] + affine[1][column] * affine[1][column] +
                              affine[2][column] * affine[2][column]);
    for (unsigned int row = 0; row < 3; ++row)
    {
      rotation[row][column] = zooms[column] > 0.0 ? affine[row][column] / zooms[column] : (row == column ? 1.0 : 0.0);
    }
  }
  const double qfac = Determinant3(rotation) > 0.0 ? 1.0 : -1.0;
  for (unsigned int row = 0; row < 3; ++row)
  {
    rotation[row][2] *= qfac;
  }
  NearestOrthogonal(rotation);
  const std::array<double, 4> quaternion = QuaternionOf(rotation);
  header.SetNumber("pixdim", 0, qfac);
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    header.SetNumber("pixdim", axis + 1, zooms[axis]);
  }
  for (std::size_t axis = 0; axis < description.extraZooms.size() && axis + 4 < 8; ++axis)
  {
    header.SetNumber("pixdim", static_cast<unsigned int>(axis + 4), description.extraZooms[axis]);
  }
  header.SetNumber("quatern_b", 0, quaternion[1]);
  header.SetNumber("quatern_c", 0, quaternion[2]);
  header.SetNumber("quatern_d", 0, quaternion[3]);
  header.SetNumber("qoffset_x", 0, affine[0][3]);
  header.SetNumber("qoffset_y", 0, affine[1][3]);
  header.SetNumber("qoffset_z", 0, affine[2][3]);
  header.SetNumber("qform_code", 0, 0.0);
  const std::string magic =
    nifti2 ? (description.pair ? std::string("ni2\0\r\n\x1a\n", 8) : std::string("n+2\0\r\n\x1a\n", 8))
           : (description.pair ? std::string("ni1\0", 4) : std::string("n+1\0", 4));
  header.SetBytes("magic", magic.substr(0, 4));
  if (nifti2)
  {
    header.SetBytes("eol_check", magic.substr(4, 4));
  }
  return header.Raw();
}

bool
NiftiFilesOf(const std::string & fileName, NiftiFiles & files)
{
  const bool        gzipped = EndsWithIgnoringCase(fileName, ".gz");
  const std::string name = gzipped ? fileName.substr(0, fileName.size() - 3) : fileName;
  const std::string suffix = gzipped ? fileName.substr(fileName.size() - 3) : std::string();
  files = NiftiFiles{};
  if (EndsWithIgnoringCase(name, ".nii"))
  {
    files.header = files.data = fileName;
    files.gzipped = gzipped;
    return true;
  }
  const bool isHeader = EndsWithIgnoringCase(name, ".hdr");
  if (!isHeader && !EndsWithIgnoringCase(name, ".img"))
  {
    return false;
  }
  // nibabel's types_filenames: the other file's extension takes the case of this one when that is all upper or
  // all lower case, else lower case; the compression suffix is kept as written.
  const std::string extension = name.substr(name.size() - 4);
  std::string       other = isHeader ? ".img" : ".hdr";
  if (std::all_of(extension.begin() + 1, extension.end(), [](unsigned char c) { return std::isupper(c); }))
  {
    std::transform(other.begin(), other.end(), other.begin(), [](unsigned char c) { return std::toupper(c); });
  }
  const std::string otherName = name.substr(0, name.size() - 4) + other + suffix;
  files.header = isHeader ? fileName : otherName;
  files.data = isHeader ? otherName : fileName;
  files.gzipped = gzipped;
  files.pair = true;
  return true;
}

VoxelBlock
NiftiHeader::GetVoxelBlock(const std::string & imageName) const
{
  VoxelBlock block;
  block.imageName = imageName;
  block.dataFileName = files.data;
  block.gzipped = files.gzipped;
  block.offset = dataOffset;
  block.shape = shape;
  const bool complex = IsComplex(dataType.component);
  block.scalarType =
    complex ? (dataType.component == ComponentType::Complex64 ? ComponentType::Float32 : ComponentType::Float64)
            : dataType.component;
  block.scalarsPerVoxel = complex ? 2 : dataType.channels;
  block.swap = bigEndian != ByteSwapper<int>::SystemIsBigEndian();
  block.slope = slope;
  block.inter = inter;
  return block;
}

namespace
{
/** nibabel's reading of a single file's header extensions (Nifti1Extensions.from_fileobj), for its errors: when the
 * four bytes after the header say there are extensions, they are read one after the other while at least 16 bytes
 * remain before vox_offset, each an esize (which counts its own 8 bytes) and an ecode, then esize - 8 bytes of
 * content, which nibabel reads from the file whatever vox_offset says. A size below 8, or content past the end of the
 * file, is nibabel's error, and so NiBridge's. (A pair's header is read to its end, where nibabel reads none.) */
void
CheckExtensions(const std::string & fileName,
                const NiftiFiles &  files,
                std::string         raw,
                std::size_t         headerSize,
                std::uint64_t       dataOffset,
                bool                swapped)
{
  if (raw.size() < headerSize + 4 || raw[headerSize] == '\0')
  {
    return;
  }
  // The file's decoded bytes up to `end`, read again where the first read did not reach; whether there are as many.
  constexpr std::uint64_t LargestRead = 64 << 20;
  const auto              holds = [&](std::uint64_t end) {
    if (end <= raw.size())
    {
      return true;
    }
    if (end <= LargestRead)
    {
      raw = ReadHeaderBytes(files, fileName, static_cast<std::size_t>(end));
      return end <= raw.size();
    }
    struct stat status;
    return files.gzipped ||
           (stat(files.header.c_str(), &status) == 0 && end <= static_cast<std::uint64_t>(status.st_size));
  };
  std::int64_t  size = static_cast<std::int64_t>(dataOffset) - static_cast<std::int64_t>(headerSize + 4);
  std::uint64_t position = headerSize + 4;
  while (size >= 16)
  {
    if (!holds(position + 8))
    {
      ThrowHeaderError(fileName, "failed to read extension header (the file ends inside it)");
    }
    if (position + 8 > raw.size())
    {
      // Past the largest read, after an extension too large to read again here (a gzip file is not decoded that far):
      // the rest is not checked, and a file that ends before vox_offset is the data read's error.
      return;
    }
    const std::int64_t esize = RawInt32(raw, position, swapped);
    if (esize < 8)
    {
      ThrowHeaderError(fileName,
                       "an extension's size is " + std::to_string(esize) +
                         " (nibabel: read length must be non-negative), so its content cannot be read");
    }
    if (!holds(position + static_cast<std::uint64_t>(esize)))
    {
      ThrowHeaderError(fileName,
                       "failed to read extension content: an extension of " + std::to_string(esize) +
                         " bytes runs past the end of the file");
    }
    size -= esize;
    position += static_cast<std::uint64_t>(esize);
  }
}
} // namespace

NiftiHeader
ReadNiftiHeader(const std::string & fileName, const NiftiFiles & files)
{
  NiftiHeader result;
  result.files = files;
  const std::string raw = ReadHeaderBytes(files, fileName, 4096);
  const auto        format = SniffFormat(raw, files.pair);
  if (!format)
  {
    if (raw.size() < Nifti1HeaderBytes)
    {
      ThrowHeaderError(fileName,
                       "the header is truncated: " + std::to_string(raw.size()) + " of " +
                         std::to_string(Nifti1HeaderBytes) + " bytes");
    }
    ThrowHeaderError(fileName,
                     files.pair ? "not a NIfTI or Analyze header (its size field is neither 348 nor 540)"
                                : "not a NIfTI header (no NIfTI-1 magic, and the size field is not 540)");
  }
  result.format = *format;
  const bool        isNifti2 = result.format == NiftiFormat::Nifti2;
  const bool        isNifti = result.format != NiftiFormat::Analyze;
  const std::size_t headerSize = isNifti2 ? Nifti2HeaderBytes : Nifti1HeaderBytes;
  const bool        swapped = GuessSwapped(raw, result.format);
  result.bigEndian = ByteSwapper<int>::SystemIsBigEndian() != swapped;

  HeaderBytes header = HeaderOf(raw, result.format, swapped);

  // nibabel's load-time checks (check_fix at error level 40): fixes first, as nibabel's header then holds them.
  header.SetNumber("sizeof_hdr", 0, static_cast<double>(headerSize));
  const int  code = static_cast<int>(header.Integer("datatype"));
  const auto dataType = NiftiDataTypeFromCode(code);
  // nibabel's codes: those it knows but holds in no array type (none, binary, float128, complex256) are "not
  // supported"; Analyze knows the first eight NIfTI-1 types only.
  const bool analyzeKnows = code == 0 || code == 1 || code == 2 || code == 4 || code == 8 || code == 16 || code == 32 ||
                            code == 64 || code == 128 || code == 255;
  const bool niftiKnows = code == 0 || code == 1 || code == 255 || code == 1536 || code == 2048 || dataType.has_value();
  if (!dataType || (!isNifti && !(analyzeKnows && dataType)))
  {
    const bool known = isNifti ? niftiKnows : analyzeKnows;
    ThrowHeaderError(fileName, "data code " + std::to_string(code) + (known ? " not supported" : " not recognized"));
  }
  result.dataType = *dataType;
  const std::size_t itemSize = ComponentTypeSize(dataType->component) * dataType->channels;
  header.SetNumber("bitpix", 0, static_cast<double>(itemSize * 8));
  for (unsigned int axis = 1; axis <= 3; ++axis)
  {
    const double zoom = header.Number("pixdim", axis);
    header.SetNumber("pixdim", axis, zoom == 0.0 ? 1.0 : std::abs(zoom));
  }
  if (isNifti)
  {
    const double qfac = header.Number("pixdim", 0);
    if (qfac != 1.0 && qfac != -1.0)
    {
      header.SetNumber("pixdim", 0, 1.0);
    }
    for (const char * name : { "qform_code", "sform_code" })
    {
      const std::int64_t xform = header.Integer(name);
      if (xform < 0 || xform > 5)
      {
        header.SetNumber(name, 0, 0.0);
      }
    }
  }

  // The shape (nibabel's get_data_shape, with its FreeSurfer exceptions for NIfTI-1).
  const std::int64_t dimensions = header.Integer("dim", 0);
  if (dimensions < 1 || dimensions > 7)
  {
    ThrowHeaderError(fileName, "dim[0] is " + std::to_string(dimensions) + "; it must be 1 to 7");
  }
  const bool freeSurferVector = result.format == NiftiFormat::Nifti1 && dimensions >= 3 &&
                                header.Integer("dim", 1) == -1 && header.Integer("dim", 2) == 1 &&
                                header.Integer("dim", 3) == 1;
  for (unsigned int axis = 1; axis <= dimensions; ++axis)
  {
    const std::int64_t extent = header.Integer("dim", axis);
    if (axis == 1 && freeSurferVector)
    {
      const std::int64_t length = header.Integer("glmin");
      if (length <= 0)
      {
        ThrowHeaderError(fileName, "-1 in dim[1] but " + std::to_string(length) + " in glmin (a FreeSurfer vector)");
      }
      result.shape.push_back(static_cast<std::uint64_t>(length));
      continue;
    }
    if (extent < 1)
    {
      ThrowHeaderError(fileName, "dim[" + std::to_string(axis) + "] is " + std::to_string(extent));
    }
    result.shape.push_back(static_cast<std::uint64_t>(extent));
  }
  if (result.format == NiftiFormat::Nifti1 && result.shape.size() >= 3 && result.shape[0] == 27307 &&
      result.shape[1] == 1 && result.shape[2] == 6)
  {
    result.shape[0] = 163842; // FreeSurfer's ico7 surface
    result.shape[2] = 1;
  }

  // Where the data are.
  const double offset = header.Number("vox_offset");
  if (std::isnan(offset) || offset < 0.0)
  {
    ThrowHeaderError(fileName, "vox_offset is " + PythonFloatText(offset) + "; it must be a byte offset");
  }
  if (!(offset < 9.2e18))
  {
    ThrowHeaderError(fileName, "vox_offset " + PythonFloatText(offset) + " lies past the end of any file");
  }
  result.dataOffset = static_cast<std::uint64_t>(offset); // nibabel: int(vox_offset), 0 included
  if (isNifti && !files.pair && result.dataOffset != 0 && result.dataOffset < headerSize + 4)
  {
    ThrowHeaderError(fileName,
                     "vox offset " + std::to_string(result.dataOffset) + " too low for single file nifti" +
                       (isNifti2 ? "2" : "1") + " (the data would start inside the header)");
  }
  if (isNifti && !files.pair)
  {
    CheckExtensions(fileName, files, raw, headerSize, result.dataOffset, swapped);
  }
  if (isNifti)
  {
    const std::string magic = header.Bytes("magic");
    const bool        valid = isNifti2 ? (magic == "ni2" || magic == "n+2") : (magic == "ni1" || magic == "n+1");
    if (!valid)
    {
      ThrowHeaderError(fileName, "magic string '" + EscapedBytes(magic) + "' is not valid");
    }
  }

  // The scaling the array proxy applies.
  if (isNifti)
  {
    const double slope = header.Number("scl_slope");
    const double inter = header.Number("scl_inter");
    if (slope != 0.0 && std::isfinite(slope))
    {
      if (!std::isfinite(inter))
      {
        ThrowHeaderError(fileName, "valid slope but invalid intercept " + PythonFloatText(inter));
      }
      result.slope = slope;
      result.inter = inter;
    }
  }
  else
  {
    SetSpm2Scaling(header, result);
    // nibabel scales integers in the first float type that holds slope * (type's min and max) + inter finitely; a
    // NaN scale (from a NaN calibrated range) fits none: "Overflow using highest floating point type".
    const bool integers = result.dataType.channels == 1 && !IsComplex(result.dataType.component) &&
                          result.dataType.component != ComponentType::Float32 &&
                          result.dataType.component != ComponentType::Float64;
    if (integers && (!std::isfinite(result.slope) || !std::isfinite(result.inter)))
    {
      ThrowHeaderError(fileName,
                       "its SPM scaling (slope " + PythonFloatText(result.slope) + ", intercept " +
                         PythonFloatText(result.inter) +
                         ") is not finite: Overflow using highest floating point type (nibabel)");
    }
  }

  // The affine and zooms.
  for (unsigned int axis = 1; axis <= dimensions; ++axis)
  {
    result.zooms.push_back(header.Number("pixdim", axis));
  }
  if (isNifti)
  {
    NiftiAffineFields fields;
    fields.singlePrecision = !isNifti2;
    for (unsigned int index = 0; index < 8; ++index)
    {
      fields.dim[index] = header.Integer("dim", index);
      fields.pixdim[index] = header.Number("pixdim", index);
    }
    fields.qformCode = static_cast<int>(header.Integer("qform_code"));
    fields.sformCode = static_cast<int>(header.Integer("sform_code"));
    fields.quaternB = header.Number("quatern_b");
    fields.quaternC = header.Number("quatern_c");
    fields.quaternD = header.Number("quatern_d");
    fields.qoffsetX = header.Number("qoffset_x");
    fields.qoffsetY = header.Number("qoffset_y");
    fields.qoffsetZ = header.Number("qoffset_z");
    for (unsigned int column = 0; column < 4; ++column)
    {
      fields.srowX[column] = header.Number("srow_x", column);
      fields.srowY[column] = header.Number("srow_y", column);
      fields.srowZ[column] = header.Number("srow_z", column);
    }
    result.affine = NiBabelAffineFromNiftiFields(fields, '"' + fileName + '"');

    result.timeOffset = header.Number("toffset");
    result.intentCode = static_cast<int>(header.Integer("intent_code"));
    const auto intent = std::find_if(std::begin(Intents), std::end(Intents), [&result](const Intent & entry) {
      return entry.code == result.intentCode;
    });
    result.intentLabel =
      intent != std::end(Intents) ? std::string(intent->label) : "unknown code " + std::to_string(result.intentCode);
    for (unsigned int parameter = 1; intent != std::end(Intents) && parameter <= intent->parameters; ++parameter)
    {
      result.intentParameters.push_back(header.Number(("intent_p" + std::to_string(parameter)).c_str()));
    }
    result.intentName = header.Text(header.Field("intent_name"));
    const auto   units = static_cast<int>(header.Integer("xyzt_units"));
    const char * spatial = UnitLabel(units & 7);
    const char * time = UnitLabel(units & 56);
    result.spatialUnits = spatial ? spatial : "unknown";
    result.timeUnits = time ? time : "unknown";
  }
  else
  {
    result.affine = Spm2Affine(header);
  }
  ValidateRASAffine(result.affine, '"' + fileName + '"');

  if (IsCifti2(result.format, result.intentCode))
  {
    ThrowHeaderError(fileName, "a CIFTI-2 file: nibabel reads it (NiBabelImageIO)");
  }
  result.imageClass = isNifti2 ? (files.pair ? "Nifti2Pair" : "Nifti2Image")
                               : (isNifti ? (files.pair ? "Nifti1Pair" : "Nifti1Image") : "Spm2AnalyzeImage");

  // The header as nibabel's loaded image holds it: the scaling moved to the array proxy, a single file's offset
  // reset to be recomputed on save.
  header.SetNumber("scl_slope", 0, std::numeric_limits<double>::quiet_NaN());
  if (isNifti)
  {
    header.SetNumber("scl_inter", 0, std::numeric_limits<double>::quiet_NaN());
    if (!files.pair)
    {
      header.SetNumber("vox_offset", 0, 0.0);
    }
  }
  result.fieldTexts = header.Texts();
  return result;
}

std::optional<NiftiFormat>
SniffNiftiFile(const std::string & fileName)
{
  NiftiFiles files;
  if (!NiftiFilesOf(fileName, files) || !IsRegularFile(fileName))
  {
    return std::nullopt;
  }
  return SniffFormat(ReadFileStart(files.header, Nifti2HeaderBytes, files.gzipped), files.pair);
}

bool
IsNativelyReadNifti(const std::string & fileName)
{
  try
  {
    NiftiFiles files;
    if (!NiftiFilesOf(fileName, files) || !IsRegularFile(fileName))
    {
      return false;
    }
    // Every file with a NIfTI name is this reader's (a bad one gets nibabel's error here, never a more lenient reader's
    // guess), but for what nibabel reads in ways of its own.
    const std::string bytes = ReadFileStart(files.header, Nifti2HeaderBytes + 8, files.gzipped);
    const auto        format = SniffFormat(bytes, files.pair);
    if (!format)
    {
      return true;
    }
    if (*format == NiftiFormat::Analyze && HasSpmMatFile(files))
    {
      return false; // nibabel takes the affine from the .mat file (with SciPy)
    }
    const HeaderBytes header = HeaderOf(bytes, *format, GuessSwapped(bytes, *format));
    if (*format == NiftiFormat::Nifti2 && IsCifti2(*format, header.Integer("intent_code")))
    {
      return false;
    }
    const auto dataType = NiftiDataTypeFromCode(static_cast<int>(header.Integer("datatype")));
    if (dataType && (IsComplex(dataType->component) || dataType->channels > 1))
    {
      // nibabel scales complex and RGB values in ways of its own (or refuses to): leave scaled ones to it, and
      // Analyze ones, whose scaling may also come from the gl/cal fields.
      if (*format == NiftiFormat::Analyze)
      {
        return false;
      }
      const double slope = header.Number("scl_slope");
      const double inter = header.Number("scl_inter");
      return !(std::isfinite(slope) && slope != 0.0 && !(slope == 1.0 && inter == 0.0));
    }
    return true;
  }
  catch (...)
  {
    return false;
  }
}

} // namespace nibridge
} // namespace itk
