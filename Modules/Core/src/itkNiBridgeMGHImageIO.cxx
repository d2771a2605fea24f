/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeMGHImageIO.h"

#include "itkNiBridgeDataStream.h"
#include "itkNiBridgeNumberText.h"
#include "itkNiBridgeVoxelBlock.h"

#include "itkByteSwapper.h"
#include "itkMetaDataObject.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace itk
{
namespace
{
constexpr std::size_t MGHFixedHeaderBytes = 90; // version ... Pxyz_c; the header block is 284 bytes
constexpr std::size_t MGHDataOffset = 284;
constexpr std::size_t MGHFooterBytes = 20; // tr, flip_angle, te, ti, fov

bool
HasMGHName(const std::string & fileName, bool & gzipped)
{
  std::string lower = fileName.size() >= 4 ? fileName.substr(fileName.size() - 4) : std::string();
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  gzipped = lower == ".mgz";
  return gzipped || lower == ".mgh";
}

/** A big-endian field. */
template<typename T>
T
BigEndian(const char * bytes)
{
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  if (!ByteSwapper<int>::SystemIsBigEndian())
  {
    nibridge::SwapBytes(&value, 1, sizeof(T));
  }
  return value;
}

/** nibabel's MGHHeader: the fixed fields and the footer. */
struct MGHHeader
{
  std::int32_t                version = 0;
  std::array<std::int32_t, 4> dims{};
  std::int32_t                type = 0;
  std::int32_t                dof = 0;
  std::int16_t                goodRASFlag = 0;
  std::array<float, 3>        delta{};
  std::array<float, 9>        mdc{}; // as stored: the transpose of the direction cosines, row-major
  std::array<float, 3>        pxyzC{};
  std::array<float, 5>        footer{}; // tr, flip_angle, te, ti, fov; zeros where the file ends before them
};

MGHHeader
ParseHeader(const std::string & bytes)
{
  MGHHeader header;
  header.version = BigEndian<std::int32_t>(bytes.data());
  for (unsigned int axis = 0; axis < 4; ++axis)
  {
    header.dims[axis] = BigEndian<std::int32_t>(bytes.data() + 4 + 4 * axis);
  }
  header.type = BigEndian<std::int32_t>(bytes.data() + 20);
  header.dof = BigEndian<std::int32_t>(bytes.data() + 24);
  header.goodRASFlag = BigEndian<std::int16_t>(bytes.data() + 28);
  for (unsigned int index = 0; index < 3; ++index)
  {
    header.delta[index] = BigEndian<float>(bytes.data() + 30 + 4 * index);
    header.pxyzC[index] = BigEndian<float>(bytes.data() + 78 + 4 * index);
  }
  for (unsigned int index = 0; index < 9; ++index)
  {
    header.mdc[index] = BigEndian<float>(bytes.data() + 42 + 4 * index);
  }
  if (header.goodRASFlag == 0)
  {
    // nibabel's _set_affine_default, which its loaded header then holds.
    header.goodRASFlag = 1;
    header.delta = { 1.0f, 1.0f, 1.0f };
    header.mdc = { -1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, -1.0f, 0.0f };
    header.pxyzC = { 0.0f, 0.0f, 0.0f };
  }
  return header;
}

/** nibabel's MGHHeader.get_affine(), in its types: MdcD = Mdc.T * delta in float32, the volume centre in float64,
 * the result rounded to float32 (from_matvec keeps MdcD's dtype). */
nibridge::AffineMatrix
MGHAffine(const MGHHeader & header)
{
  float mdcD[3][3];
  for (unsigned int row = 0; row < 3; ++row)
  {
    for (unsigned int column = 0; column < 3; ++column)
    {
      mdcD[row][column] = header.mdc[column * 3 + row] * header.delta[column];
    }
  }
  nibridge::AffineMatrix affine{};
  affine[3][3] = 1.0;
  for (unsigned int row = 0; row < 3; ++row)
  {
    double centre = 0.0;
    for (unsigned int column = 0; column < 3; ++column)
    {
      centre += static_cast<double>(mdcD[row][column]) * static_cast<double>(header.dims[column]);
      affine[row][column] = mdcD[row][column];
    }
    centre /= 2.0;
    affine[row][3] = static_cast<float>(static_cast<double>(header.pxyzC[row]) - centre);
  }
  return affine;
}

template<std::size_t N>
std::string
Float32Texts(const std::array<float, N> & values)
{
  return nibridge::NumPyFloat32Texts(values.data(), N);
}

/** Reads the footer where `data` stands, after the voxels (zeros where the file ends before it), into the header, and
 * puts its fields in the dictionary as nibabel's header holds them, with the TR nibabel reports. */
void
ReadFooter(nibridge::DataStream & data, MGHHeader & header, MetaDataDictionary & dictionary)
{
  char footer[MGHFooterBytes] = {};
  data.ReadSome(footer, MGHFooterBytes);
  const std::string prefix = NiBridgeImageIOBase::HeaderFieldMetaDataKeyPrefix;
  const char *      names[5] = { "tr", "flip_angle", "te", "ti", "fov" };
  for (unsigned int index = 0; index < 5; ++index)
  {
    header.footer[index] = BigEndian<float>(footer + 4 * index);
    EncapsulateMetaData<std::string>(
      dictionary, prefix + names[index], nibridge::NumPyFloat32Text(header.footer[index]));
  }
  EncapsulateMetaData<std::string>(
    dictionary, NiBridgeImageIOBase::RepetitionTimeMetaDataKey, nibridge::PythonFloatText(header.footer[0]));
}
} // namespace

struct NiBridgeMGHImageIO::Information
{
  std::string                fileName;
  std::string                values;
  MGHHeader                  header;
  std::vector<std::uint64_t> shape;
  bool                       footerRead = false;
  bool                       deliversFloat64 = false;
};

NiBridgeMGHImageIO::NiBridgeMGHImageIO()
{
  for (const char * extension : { ".mgh", ".mgz" })
  {
    this->AddSupportedReadExtension(extension);
  }
}

NiBridgeMGHImageIO::~NiBridgeMGHImageIO() = default;

void
NiBridgeMGHImageIO::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ReadFooterWithHeader: " << (m_ReadFooterWithHeader ? "On" : "Off") << std::endl;
  if (m_Information)
  {
    os << indent << "Information: read from " << m_Information->fileName << ", type " << m_Information->header.type
       << ", values " << m_Information->values << ", footer " << (m_Information->footerRead ? "read" : "not read yet")
       << std::endl;
  }
  else
  {
    os << indent << "Information: none read" << std::endl;
  }
}

bool
NiBridgeMGHImageIO::CanReadFile(const char * fileName)
{
  bool gzipped = false;
  if (fileName == nullptr || !HasMGHName(fileName, gzipped) || !nibridge::IsRegularFile(fileName))
  {
    return false;
  }
  // Every MGH-named file is nibabel's to read (MGHImage sniffs nothing): claimed, so that a bad one gets nibabel's
  // error here; a .mgz that is not gzip at all is not claimed.
  return !nibridge::ReadFileStart(fileName, 4, gzipped).empty();
}

void
NiBridgeMGHImageIO::ReadImageInformation()
{
  m_Information.reset();
  this->GetMetaDataDictionary().Clear();
  const std::string values = this->GetValuesName();
  bool              gzipped = false;
  if (!HasMGHName(m_FileName, gzipped))
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": not an MGH file name (.mgh, .mgz)");
  }
  auto information = std::make_unique<Information>();
  information->fileName = m_FileName;
  information->values = values;
  std::unique_ptr<nibridge::DataStream> stream = nibridge::OpenDataStream(m_FileName, m_FileName, gzipped, 0);
  std::string                           bytes(MGHDataOffset, '\0');
  bytes.resize(static_cast<std::size_t>(stream->ReadSome(bytes.data(), MGHDataOffset)));
  if (bytes.size() < MGHFixedHeaderBytes)
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": the MGH header is truncated: " << bytes.size() << " of "
                      << MGHFixedHeaderBytes << " bytes");
  }
  MGHHeader & header = information->header;
  header = ParseHeader(bytes);
  if (std::any_of(header.dims.begin(), header.dims.end(), [](std::int32_t extent) { return extent == 0; }))
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": dimensions of the data should be non-zero");
  }
  const auto stored = nibridge::ComponentTypeFromMGHType(header.type);
  if (!stored)
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": unknown MGH data type code " << header.type);
  }
  if (header.version != 1)
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": unknown MGH format version " << header.version);
  }
  for (unsigned int axis = 0; axis < 4; ++axis)
  {
    if (header.dims[axis] < 0)
    {
      itkExceptionMacro(<< this->QuotedFileName() << ": dimension " << axis << " is " << header.dims[axis]);
    }
    if (axis < 3 || header.dims[3] > 1)
    {
      information->shape.push_back(static_cast<std::uint64_t>(header.dims[axis]));
    }
  }

  nibridge::VoxelBlock block;
  block.imageName = m_FileName;
  block.dataFileName = m_FileName;
  block.gzipped = gzipped;
  block.offset = MGHDataOffset;
  block.shape = information->shape;
  block.scalarType = *stored;
  block.swap = !ByteSwapper<int>::SystemIsBigEndian() && nibridge::ComponentTypeSize(*stored) > 1;
  const std::uint64_t dataBytes = block.GetNumberOfVoxels() * block.GetBytesPerVoxel();

  // The footer: by seeking in a plain file; in a .mgz by a pass over the voxels when the header must be complete
  // now (4-D images, whose TR is their time spacing, or ReadFooterWithHeader), else when Read() passes them.
  const bool is4D = information->shape.size() == 4;
  if (!gzipped || is4D || m_ReadFooterWithHeader)
  {
    stream->Skip(MGHDataOffset + dataBytes - stream->GetPosition());
    ReadFooter(*stream, header, this->GetMetaDataDictionary());
    information->footerRead = true;
  }
  stream.reset();

  information->deliversFloat64 = values == "float64";
  m_ValuesDifferFromStored = information->deliversFloat64 && *stored != nibridge::ComponentType::Float64;
  std::vector<double> zooms(header.delta.begin(), header.delta.end());
  if (is4D)
  {
    zooms.push_back(header.footer[0]);
  }
  this->SetNiBabelGeometry(information->shape, MGHAffine(header), zooms);
  this->SetComponentType(
    *nibridge::IOComponentOf(information->deliversFloat64 ? nibridge::ComponentType::Float64 : *stored));
  this->SetNumberOfComponents(1);
  this->SetPixelType(IOPixelEnum::SCALAR);

  const std::string storedDType = nibridge::NumPyDTypeString(*stored, true);
  this->SetMetaDataText(ImageClassMetaDataKey, "MGHImage");
  this->SetMetaDataText(ValuesMetaDataKey, values);
  this->SetMetaDataText(ValueDTypeMetaDataKey, information->deliversFloat64 ? "<f8" : storedDType);
  this->SetMetaDataText(StoredDTypeMetaDataKey, storedDType);
  this->SetMetaDataText(ZoomsMetaDataKey, nibridge::PythonFloatTexts(zooms));
  const std::string prefix = HeaderFieldMetaDataKeyPrefix;
  this->SetMetaDataText(prefix + "version", std::to_string(header.version));
  std::string dims;
  for (const std::int32_t extent : header.dims)
  {
    dims += (dims.empty() ? "" : " ") + std::to_string(extent);
  }
  this->SetMetaDataText(prefix + "dims", dims);
  this->SetMetaDataText(prefix + "type", std::to_string(header.type));
  this->SetMetaDataText(prefix + "dof", std::to_string(header.dof));
  this->SetMetaDataText(prefix + "goodRASFlag", std::to_string(header.goodRASFlag));
  this->SetMetaDataText(prefix + "delta", Float32Texts(header.delta));
  this->SetMetaDataText(prefix + "Mdc", Float32Texts(header.mdc));
  this->SetMetaDataText(prefix + "Pxyz_c", Float32Texts(header.pxyzC));
  this->SetMetaDataText(SpatialUnitsMetaDataKey, "mm");
  this->SetMetaDataText(TimeUnitsMetaDataKey, "msec");
  const bool deliversFloat64 = information->deliversFloat64;
  m_Information = std::move(information);
  // Read() passes the footer on its way: the fields still missing are added then.
  this->SetVoxelBlock(std::make_unique<nibridge::VoxelBlockReader>(
                        block, [this](nibridge::DataStream & data) { this->TakeFooter(data); }),
                      deliversFloat64);
}

void
NiBridgeMGHImageIO::TakeFooter(nibridge::DataStream & data)
{
  if (!m_Information->footerRead)
  {
    ReadFooter(data, m_Information->header, this->GetMetaDataDictionary());
    m_Information->footerRead = true;
  }
}

void
NiBridgeMGHImageIO::Read(void * buffer)
{
  this->ReadVoxelBlockRegion(buffer);
}

void
NiBridgeMGHImageIO::WriteImageInformation()
{
  itkExceptionMacro(<< this->QuotedFileName() << ": NiBridgeMGHImageIO reads MGH files; NiBabelImageIO writes them");
}

void
NiBridgeMGHImageIO::Write(const void *)
{
  this->WriteImageInformation();
}

} // namespace itk
