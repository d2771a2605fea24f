/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgePythonSupport.h" // Python.h first, as Python asks

#include "itkNiBabelImageIO.h"
#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeNiftiImageIO.h"
#include "itkNiBridgeText.h"
#include "itkNpyFormat.h"
#include "itkNiBridgePythonInterpreter.h"

#include "itkByteSwapper.h"
#include "itkMetaDataObject.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

namespace itk
{
namespace
{
bool &
DefaultLeavesNIfTIToITK()
{
  static bool leaves = false;
  return leaves;
}

using nibridge::Quoted;
using nibridge::python::Checked;
using nibridge::python::GILGuard;
using nibridge::python::Reference;
using nibridge::python::ThrowPythonError;

using nibridge::EndsWith;
using nibridge::LowerCase;

// ----------------------------------------------------------------------------------------------------------------
// CanReadFile: names and first bytes only.

// Core's sniffing: nibridge::IsRegularFile and nibridge::ReadFileStart (decoded no further than needed, empty for a
// file named .gz that is not gzip).
using nibridge::IsRegularFile;

/** MGH's first field is its version, a big-endian int32 equal to 1. */
bool
IsMGH(const std::string & fileName, bool gzipped)
{
  return nibridge::ReadFileStart(fileName, 4, gzipped) == std::string("\0\0\0\1", 4);
}

bool
IsMINC(const std::string & fileName)
{
  const std::string bytes = nibridge::ReadFileStart(fileName, 8, false);
  return bytes.compare(0, 4, "CDF\x01") == 0 || bytes.compare(0, 4, "CDF\x02") == 0 || bytes == "\x89HDF\r\n\x1a\n";
}

/** A PAR file is text starting with a '#' comment line. */
bool
IsPAR(const std::string & fileName)
{
  const std::string bytes = nibridge::ReadFileStart(fileName, 64, false);
  const auto        first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string::npos && bytes[first] == '#';
}

/** An AFNI HEAD file is text of "type = ..." attribute blocks. */
bool
IsAFNIHead(const std::string & fileName)
{
  return nibridge::ReadFileStart(fileName, 256, false).find("type = ") != std::string::npos;
}

/** The file named `stem` + one of the spellings of `extension` that exists, or "". */
std::string
Sibling(const std::string & stem, const std::string & extension)
{
  for (const std::string & candidate : { stem + LowerCase(extension), stem + extension })
  {
    if (IsRegularFile(candidate))
    {
      return candidate;
    }
  }
  std::string upper = extension;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  return IsRegularFile(stem + upper) ? stem + upper : std::string();
}

/** A NIfTI / Analyze file nibabel loads: .nii, .hdr or .img (the header of a pair is the .hdr), uncompressed or
 * .gz-compressed (.bz2 and .zst are nibabel's too, but are not looked into: claimed by name). */
bool
ClaimsNIfTI(const std::string & fileName, const std::string & lower, bool leavesNIfTI1ToITK)
{
  for (const char * compression : { ".bz2", ".zst" })
  {
    if (EndsWith(lower, compression))
    {
      const std::string inner = lower.substr(0, lower.size() - std::strlen(compression));
      return !leavesNIfTI1ToITK && (EndsWith(inner, ".nii") || EndsWith(inner, ".hdr") || EndsWith(inner, ".img"));
    }
  }
  const auto format = nibridge::SniffNiftiFile(fileName);
  return format && !(leavesNIfTI1ToITK && *format != nibridge::NiftiFormat::Nifti2);
}

bool
ClaimsFile(const std::string & fileName, bool leavesNIfTI1ToITK)
{
  if (!IsRegularFile(fileName))
  {
    return false;
  }
  const std::string lower = LowerCase(fileName);
  auto stem = [&fileName](std::size_t suffixLength) { return fileName.substr(0, fileName.size() - suffixLength); };
  if (EndsWith(lower, ".mgz"))
  {
    return IsMGH(fileName, true);
  }
  if (EndsWith(lower, ".mgh"))
  {
    return IsMGH(fileName, false);
  }
  if (EndsWith(lower, ".mnc"))
  {
    return IsMINC(fileName);
  }
  if (EndsWith(lower, ".par"))
  {
    return IsPAR(fileName);
  }
  if (EndsWith(lower, ".rec"))
  {
    const std::string header = Sibling(stem(4), ".PAR");
    return !header.empty() && IsPAR(header);
  }
  if (EndsWith(lower, ".head"))
  {
    return IsAFNIHead(fileName);
  }
  if (EndsWith(lower, ".brik") || EndsWith(lower, ".brik.gz"))
  {
    const std::string header = Sibling(stem(EndsWith(lower, ".gz") ? 8 : 5), ".HEAD");
    return !header.empty() && IsAFNIHead(header);
  }
  if (EndsWith(lower, ".v"))
  {
    return nibridge::ReadFileStart(fileName, 6, false) == "MATRIX";
  }
  return ClaimsNIfTI(fileName, lower, leavesNIfTI1ToITK);
}

// ----------------------------------------------------------------------------------------------------------------
// Reading

/** Parses a float sent as text ("1.5", "nan", "inf"); `what` names it in the error. */
double
ParseFloat(const nlohmann::json & text, const std::string & what)
{
  const std::string value = text.get<std::string>();
  char *            end = nullptr;
  const double      number = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size())
  {
    itkGenericExceptionMacro(<< what << ": \"" << value << "\" is not a number");
  }
  return number;
}

Reference
IntegerTuple(const std::vector<long long> & values, const std::string & context)
{
  Reference tuple = Checked(PyTuple_New(static_cast<Py_ssize_t>(values.size())), context);
  for (std::size_t index = 0; index < values.size(); ++index)
  {
    PyObject * item = PyLong_FromLongLong(values[index]);
    if (item == nullptr)
    {
      ThrowPythonError(context);
    }
    PyTuple_SET_ITEM(tuple.get(), static_cast<Py_ssize_t>(index), item); // steals the reference
  }
  return tuple;
}

std::string
RegionText(const std::vector<long long> & start, const std::vector<long long> & size)
{
  std::ostringstream text;
  text << "index [";
  for (std::size_t axis = 0; axis < start.size(); ++axis)
  {
    text << (axis ? ", " : "") << start[axis];
  }
  text << "] size [";
  for (std::size_t axis = 0; axis < size.size(); ++axis)
  {
    text << (axis ? ", " : "") << size[axis];
  }
  text << ']';
  return text.str();
}

/** Calls `release()` on a memoryview so that nothing in Python can reach the C++ buffer afterwards. */
void
ReleaseMemoryView(PyObject * view)
{
  Reference result(PyObject_CallMethod(view, "release", nullptr));
  PyErr_Clear();
}

// ----------------------------------------------------------------------------------------------------------------
// Writing

std::string
FloatText(double value)
{
  char number[32];
  std::snprintf(number, sizeof(number), "%.17g", value);
  return number;
}
} // namespace

/** The nibabel volume opened by ReadImageInformation(), kept for Read(). Python objects: touched, and
 * dropped, only with the GIL held. */
struct NiBabelImageIO::Impl
{
  Reference volume;

  ~Impl() { this->Reset(); }

  void
  Reset()
  {
    if (volume && Py_IsInitialized())
    {
      GILGuard gil;
      volume.reset();
    }
    volume.release(); // Python is gone (a host finalized it): nothing left to drop
  }
};

NiBabelImageIO::NiBabelImageIO()
    : m_Impl(std::make_unique<Impl>())
{
  for (const char * extension : { ".mgh",
                                  ".mgz",
                                  ".mnc",
                                  ".par",
                                  ".PAR",
                                  ".rec",
                                  ".REC",
                                  ".HEAD",
                                  ".BRIK",
                                  ".v",
                                  ".nii",
                                  ".hdr",
                                  ".img",
                                  ".BRIK.gz",
                                  ".nii.gz",
                                  ".hdr.gz",
                                  ".img.gz" })
  {
    this->AddSupportedReadExtension(extension);
  }
  for (const char * extension : { ".mgh", ".mgz", ".nii", ".nii.gz" })
  {
    this->AddSupportedWriteExtension(extension);
  }
  m_LeavesNIfTIToITK = DefaultLeavesNIfTIToITK();
}

NiBabelImageIO::~NiBabelImageIO() = default;

void
NiBabelImageIO::SetDefaultLeavesNIfTIToITK(bool leaves)
{
  DefaultLeavesNIfTIToITK() = leaves;
}

void
NiBabelImageIO::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "LeavesNIfTIToITK: " << (m_LeavesNIfTIToITK ? "On" : "Off") << std::endl;
  os << indent << "WriteNIfTI2: " << (m_WriteNIfTI2 ? "On" : "Off") << std::endl;
  os << indent << "ImageClassName: " << m_ImageClassName << std::endl;
  os << indent << "Streamable: " << (m_Streamable ? "yes" : "no") << std::endl;
  os << indent << "InformationFileName: " << m_InformationFileName << std::endl;
  os << indent << "InformationValues: " << m_InformationValues << std::endl;
  os << indent << "NiBabelWarnings: " << (m_NiBabelWarnings.empty() ? "none" : m_NiBabelWarnings) << std::endl;
  os << indent << "NiBabel volume: " << (m_Impl->volume ? "open" : "none") << std::endl;
  os << indent << "Python: "
     << (nibridge::PythonInterpreter::IsRunning()
           ? (nibridge::PythonInterpreter::WasStartedByNiBridge() ? "started by NiBridge" : "the host's")
           : "not running")
     << ", home " << nibridge::PythonInterpreter::GetHome() << std::endl;
}

// ------------------------------------------------------------------------------------------------------------------
// Reading

bool
NiBabelImageIO::CanReadFile(const char * fileName)
{
  try
  {
    return fileName != nullptr && ClaimsFile(fileName, m_LeavesNIfTIToITK);
  }
  catch (...)
  {
    return false;
  }
}

bool
NiBabelImageIO::CanStreamRead()
{
  if (!m_InformationFileName.empty() && m_InformationFileName == m_FileName)
  {
    return m_Streamable;
  }
  return !EndsWith(LowerCase(m_FileName), ".v");
}

ImageIORegion
NiBabelImageIO::GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const
{
  if (m_UseStreamedReading && m_Streamable)
  {
    return requested;
  }
  return Superclass::GenerateStreamableReadRegionFromRequestedRegion(requested);
}

void
NiBabelImageIO::ReadImageInformation()
{
  m_InformationFileName.clear();
  m_ImageClassName.clear();
  this->GetMetaDataDictionary().Clear();
  const std::string values = this->GetValuesName();

  std::string infoText;
  try
  {
    nibridge::PythonInterpreter::Initialize();
    GILGuard   gil;
    PyObject * helper = nibridge::python::NiBabelHelperModule();
    m_Impl->volume.reset();
    const std::string context = Quoted(m_FileName) + ": nibabel cannot read it";
    Reference         volume =
      Checked(PyObject_CallMethod(helper, "NiBabelVolume", "(ss)", m_FileName.c_str(), values.c_str()), context);
    Reference info = Checked(PyObject_CallMethod(volume.get(), "info_json", nullptr), context);
    infoText = nibridge::python::Text(info.get());
    m_Impl->volume = std::move(volume);
  }
  catch (const ExceptionObject & error)
  {
    const std::string description = error.GetDescription();
    if (description.rfind(Quoted(m_FileName), 0) == 0)
    {
      throw;
    }
    itkExceptionMacro(<< Quoted(m_FileName) << ": " << description); // Python did not start, or lacks a module
  }

  const nlohmann::json info = nlohmann::json::parse(infoText);
  const auto           shape = info.at("shape").get<std::vector<long long>>();
  const std::string    pixel = info.at("pixel").get<std::string>();
  const auto           numberOfComponents = info.at("components").get<unsigned int>();

  std::optional<nibridge::AffineMatrix> affine;
  if (!info.at("affine").is_null())
  {
    const auto & numbers = info.at("affine");
    if (numbers.size() != 16)
    {
      itkExceptionMacro(<< Quoted(m_FileName) << ": nibabel's affine is not 4x4");
    }
    affine.emplace();
    for (unsigned int element = 0; element < 16; ++element)
    {
      (*affine)[element / 4][element % 4] = ParseFloat(numbers[element], Quoted(m_FileName) + ": nibabel's affine");
    }
  }
  std::vector<double> zooms;
  for (const auto & zoom : info.at("zooms"))
  {
    zooms.push_back(ParseFloat(zoom, Quoted(m_FileName) + ": the header's zooms"));
  }

  for (const long long extent : shape)
  {
    if (extent <= 0)
    {
      itkExceptionMacro(<< Quoted(m_FileName) << ": nibabel gives the image a shape with an axis of " << extent);
    }
  }
  std::vector<std::uint64_t> nibabelShape(shape.begin(), shape.end());
  this->SetNiBabelGeometry(nibabelShape, affine, zooms);
  const int componentCode = info.at("component").get<int>();
  if (componentCode < 0 || componentCode > static_cast<int>(nibridge::ComponentType::Complex128) ||
      !nibridge::IOComponentOf(static_cast<nibridge::ComponentType>(componentCode)))
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": nibabel's values have component type code " << componentCode
                      << ", which no ITK pixel holds");
  }
  this->SetComponentType(*nibridge::IOComponentOf(static_cast<nibridge::ComponentType>(componentCode)));
  this->SetNumberOfComponents(numberOfComponents);
  if (pixel == "complex")
  {
    this->SetPixelType(IOPixelEnum::COMPLEX);
  }
  else if (pixel == "rgb")
  {
    this->SetPixelType(IOPixelEnum::RGB);
  }
  else if (pixel == "rgba")
  {
    this->SetPixelType(IOPixelEnum::RGBA);
  }
  else
  {
    this->SetPixelType(IOPixelEnum::SCALAR);
  }
  this->SetByteOrder(ByteSwapper<int>::SystemIsBigEndian() ? IOByteOrderEnum::BigEndian
                                                           : IOByteOrderEnum::LittleEndian);

  MetaDataDictionary & dictionary = this->GetMetaDataDictionary();
  for (const auto & [key, value] : info.at("metadata").items())
  {
    EncapsulateMetaData<std::string>(dictionary, key, value.get<std::string>());
  }
  m_NiBabelWarnings.clear();
  for (const auto & warning : info.at("warnings"))
  {
    m_NiBabelWarnings += (m_NiBabelWarnings.empty() ? "" : "\n") + warning.get<std::string>();
  }
  if (!m_NiBabelWarnings.empty())
  {
    EncapsulateMetaData<std::string>(dictionary, WarningsMetaDataKey, m_NiBabelWarnings);
  }
  this->CheckImageInformation(); // nibabel reads the voxels whole: the memory limit applies
  m_ImageClassName = info.at("metadata").value(ImageClassMetaDataKey, "");
  m_Streamable = info.at("streamable").get<bool>();
  m_ValuesDifferFromStored = info.at("differ_from_stored").get<bool>();
  m_InformationFileName = m_FileName;
  m_InformationValues = values;
}

void
NiBabelImageIO::Read(void * buffer)
{
  const std::string values = this->GetValuesName();
  if (m_InformationFileName != m_FileName || m_InformationValues != values || !m_Impl->volume)
  {
    this->ReadImageInformation();
  }
  // The IO region may have fewer axes than the image (the first slice of the others) or more (each of size 1).
  const unsigned int     numberOfDimensions = this->GetNumberOfDimensions();
  std::vector<long long> start(numberOfDimensions, 0);
  std::vector<long long> size(numberOfDimensions, 1);
  for (unsigned int axis = 0; axis < m_IORegion.GetImageDimension(); ++axis)
  {
    const auto index = static_cast<long long>(m_IORegion.GetIndex(axis));
    const auto count = static_cast<long long>(m_IORegion.GetSize(axis));
    const auto extent = static_cast<long long>(axis < numberOfDimensions ? this->GetDimensions(axis) : 1);
    if (index < 0 || count < 1 || index + count > extent)
    {
      std::ostringstream region;
      region << m_IORegion;
      itkExceptionMacro(<< Quoted(m_FileName) << ": the requested region lies outside the image: " << region.str());
    }
    if (axis < numberOfDimensions)
    {
      start[axis] = index;
      size[axis] = count;
    }
  }
  std::size_t bytes = this->GetComponentSize() * this->GetNumberOfComponents();
  for (const long long count : size)
  {
    bytes *= static_cast<std::size_t>(count);
  }

  const std::string context = Quoted(m_FileName) + ": nibabel cannot read the region " + RegionText(start, size);
  GILGuard          gil;
  Reference         view =
    Checked(PyMemoryView_FromMemory(static_cast<char *>(buffer), static_cast<Py_ssize_t>(bytes), PyBUF_WRITE), context);
  Reference startTuple = IntegerTuple(start, context);
  Reference sizeTuple = IntegerTuple(size, context);
  Reference result(
    PyObject_CallMethod(m_Impl->volume.get(), "read_into", "(OOO)", view.get(), startTuple.get(), sizeTuple.get()));
  if (!result)
  {
    ThrowPythonError(context);
  }
  ReleaseMemoryView(view.get());
  const std::string warnings = nibridge::python::Text(result.get());
  if (!warnings.empty())
  {
    m_NiBabelWarnings += (m_NiBabelWarnings.empty() ? "" : "\n") + warnings;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Writing

bool
NiBabelImageIO::CanWriteFile(const char * fileName)
{
  if (fileName == nullptr)
  {
    return false;
  }
  const std::string lower = LowerCase(fileName);
  if (EndsWith(lower, ".mgh") || EndsWith(lower, ".mgz"))
  {
    return true;
  }
  return m_WriteNIfTI2 && (EndsWith(lower, ".nii") || EndsWith(lower, ".nii.gz"));
}

void
NiBabelImageIO::WriteImageInformation()
{
  // Everything is written by Write().
}

void
NiBabelImageIO::Write(const void * buffer)
{
  const std::string lower = LowerCase(m_FileName);
  std::string       format;
  if (EndsWith(lower, ".mgh") || EndsWith(lower, ".mgz"))
  {
    format = "mgh";
  }
  else if (m_WriteNIfTI2 && (EndsWith(lower, ".nii") || EndsWith(lower, ".nii.gz")))
  {
    format = "nifti2";
  }
  else
  {
    itkExceptionMacro(<< Quoted(m_FileName)
                      << ": NiBabelImageIO writes .mgh and .mgz, and .nii/.nii.gz as NIfTI-2 with WriteNIfTI2 on");
  }

  const unsigned int numberOfDimensions = this->GetNumberOfDimensions();
  if (numberOfDimensions == 0)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write an image with no dimensions");
  }
  const IOComponentEnum componentType = this->GetComponentType();
  const IOPixelEnum     pixelType = this->GetPixelType();
  const unsigned int    numberOfComponents = this->GetNumberOfComponents();
  std::string           pixel;
  bool                  pixelFits = false;
  switch (pixelType)
  {
    case IOPixelEnum::SCALAR:
      pixel = "scalar";
      pixelFits = numberOfComponents == 1;
      break;
    case IOPixelEnum::COMPLEX:
      pixel = "complex";
      pixelFits = numberOfComponents == 2 &&
                  (componentType == IOComponentEnum::FLOAT || componentType == IOComponentEnum::DOUBLE);
      break;
    case IOPixelEnum::RGB:
    case IOPixelEnum::RGBA:
      pixel = pixelType == IOPixelEnum::RGB ? "rgb" : "rgba";
      pixelFits = componentType == IOComponentEnum::UCHAR && numberOfComponents == (pixel == "rgb" ? 3u : 4u);
      break;
    default:
      break;
  }
  std::string dtype;
  try
  {
    dtype = nibridge::NpyDescrFor(componentType, pixel == "complex");
  }
  catch (const ExceptionObject &)
  {
    // No NumPy dtype: refused below with the rest.
  }
  if (!pixelFits || dtype.empty())
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write " << ImageIOBase::GetPixelTypeAsString(pixelType)
                      << " pixels of " << numberOfComponents << ' '
                      << ImageIOBase::GetComponentTypeAsString(componentType)
                      << " components: nibabel's formats take scalars, complex float/double and RGB/RGBA of "
                         "unsigned char");
  }

  const nibridge::ImageGeometry geometry = nibridge::GeometryOf(*this);
  std::size_t                   numberOfPixels = 1;
  nlohmann::json                shape = nlohmann::json::array();
  nlohmann::json                zooms = nlohmann::json::array();
  for (unsigned int axis = 0; axis < numberOfDimensions; ++axis)
  {
    numberOfPixels *= this->GetDimensions(axis);
    shape.push_back(this->GetDimensions(axis));
    zooms.push_back(FloatText(this->GetSpacing(axis)));
  }
  if (m_IORegion.GetNumberOfPixels() != 0 && m_IORegion.GetNumberOfPixels() != numberOfPixels)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": NiBabelImageIO writes whole images, not regions");
  }
  const nibridge::AffineMatrix affine =
    nibridge::RASAffineFromGeometry(geometry, Quoted(m_FileName) + ": the image geometry");
  nlohmann::json affineTexts = nlohmann::json::array();
  for (const auto & row : affine)
  {
    for (const double value : row)
    {
      affineTexts.push_back(FloatText(value));
    }
  }
  std::string                timeUnits = "unknown";
  std::string                imageClass;
  const MetaDataDictionary & dictionary = this->GetMetaDataDictionary();
  ExposeMetaData<std::string>(dictionary, TimeUnitsMetaDataKey, timeUnits);
  ExposeMetaData<std::string>(dictionary, ImageClassMetaDataKey, imageClass);
  nlohmann::json    headerTexts = nlohmann::json::object();
  const std::string prefix = HeaderFieldMetaDataKeyPrefix;
  for (const std::string & key : dictionary.GetKeys())
  {
    std::string value;
    if (key.rfind(prefix, 0) == 0 && ExposeMetaData<std::string>(dictionary, key, value))
    {
      headerTexts[key.substr(prefix.size())] = value;
    }
  }
  nlohmann::json description = { { "format", format },       { "shape", shape },        { "dtype", dtype },
                                 { "pixel", pixel },         { "affine", affineTexts }, { "zooms", zooms },
                                 { "time_units", timeUnits } };
  description["image_class"] = imageClass;
  description["header"] = headerTexts;
  std::string ciftiXml; // an image read from CIFTI-2 is written back as CIFTI-2, its axes included
  if (ExposeMetaData<std::string>(dictionary, "NiBabel_CIFTI2_XML", ciftiXml))
  {
    description["cifti2_xml"] = ciftiXml;
  }
  const std::string descriptionText = description.dump();
  const std::size_t bytes = numberOfPixels * this->GetComponentSize() * numberOfComponents;

  const std::string context = Quoted(m_FileName) + ": nibabel cannot write it";
  try
  {
    nibridge::PythonInterpreter::Initialize();
  }
  catch (const ExceptionObject & error)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": " << error.GetDescription());
  }
  GILGuard   gil;
  PyObject * helper = nullptr;
  try
  {
    helper = nibridge::python::NiBabelHelperModule();
  }
  catch (const ExceptionObject & error)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": " << error.GetDescription());
  }
  Reference view =
    Checked(PyMemoryView_FromMemory(
              static_cast<char *>(const_cast<void *>(buffer)), static_cast<Py_ssize_t>(bytes), PyBUF_READ),
            context);
  Reference result(
    PyObject_CallMethod(helper, "write_volume", "(sOs)", m_FileName.c_str(), view.get(), descriptionText.c_str()));
  if (!result)
  {
    ThrowPythonError(context);
  }
  ReleaseMemoryView(view.get());
}

} // namespace itk
