/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeNiftiImageIO.h"

#include "itkNiBridgeNiftiHeader.h"
#include "itkNiBridgeNumberText.h"
#include "itkNiBridgeVoxelBlock.h"

#include "itkByteSwapper.h"

namespace itk
{
namespace
{
/** NumPy's dtype string of nibabel's array for a header's datatype in the file's byte order. */
std::string
StoredDTypeString(const nibridge::NiftiDataType & dataType, bool bigEndian)
{
  if (dataType.channels > 1)
  {
    return "|V" + std::to_string(dataType.channels); // nibabel's RGB24 / RGBA32 structured dtypes
  }
  return nibridge::NumPyDTypeString(dataType.component, bigEndian);
}
} // namespace

struct NiBridgeNiftiImageIO::Information
{
  std::string                                 fileName;
  std::string                                 values;
  nibridge::NiftiHeader                       header;
  bool                                        deliversFloat64 = false;
  std::unique_ptr<nibridge::VoxelBlockReader> reader;
};

NiBridgeNiftiImageIO::NiBridgeNiftiImageIO()
{
  for (const char * extension : { ".nii", ".nii.gz", ".hdr", ".img", ".hdr.gz", ".img.gz" })
  {
    this->AddSupportedReadExtension(extension);
  }
}

NiBridgeNiftiImageIO::~NiBridgeNiftiImageIO() = default;

void
NiBridgeNiftiImageIO::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  if (!m_Information)
  {
    os << indent << "Information: none read" << std::endl;
    return;
  }
  const nibridge::NiftiHeader & header = m_Information->header;
  os << indent << "Information: " << header.imageClass << " read from " << m_Information->fileName << " (header "
     << header.files.header << ", data " << header.files.data << (header.files.dataGzipped ? ", gzip" : "")
     << ", offset " << header.dataOffset << "), values " << m_Information->values << ", slope "
     << nibridge::PythonFloatText(header.slope) << ", inter " << nibridge::PythonFloatText(header.inter)
     << (m_Information->reader ? ", decoder " + m_Information->reader->GetDecoderName() : std::string()) << std::endl;
}

bool
NiBridgeNiftiImageIO::CanReadFile(const char * fileName)
{
  return fileName != nullptr && nibridge::IsNativelyReadNifti(fileName);
}

void
NiBridgeNiftiImageIO::ReadImageInformation()
{
  m_Information.reset();
  this->GetMetaDataDictionary().Clear();
  const std::string    values = this->GetValuesName();
  nibridge::NiftiFiles files;
  if (!nibridge::NiftiFilesOf(m_FileName, files))
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": not a NIfTI or Analyze file name (.nii, .nii.gz, .hdr, .img)");
  }
  auto information = std::make_unique<Information>();
  information->fileName = m_FileName;
  information->values = values;
  information->header = nibridge::ReadNiftiHeader(m_FileName, files);
  const nibridge::NiftiHeader & header = information->header;
  const nibridge::VoxelBlock    block = header.GetVoxelBlock(m_FileName);
  information->deliversFloat64 = values == "float64" || (values == "scaled" && block.IsScaled());
  m_ValuesDifferFromStored =
    information->deliversFloat64 && (block.IsScaled() || block.scalarType != nibridge::ComponentType::Float64);

  this->SetNiBabelGeometry(header.shape, header.affine, header.zooms);
  const bool complex = nibridge::IsComplex(header.dataType.component);
  const auto scalarType = information->deliversFloat64 ? nibridge::ComponentType::Float64 : block.scalarType;
  this->SetComponentType(*nibridge::IOComponentOf(scalarType));
  this->SetNumberOfComponents(block.scalarsPerVoxel);
  this->SetPixelType(complex ? IOPixelEnum::COMPLEX
                             : (header.dataType.channels == 3
                                  ? IOPixelEnum::RGB
                                  : (header.dataType.channels == 4 ? IOPixelEnum::RGBA : IOPixelEnum::SCALAR)));
  this->SetByteOrder(ByteSwapper<int>::SystemIsBigEndian() ? IOByteOrderEnum::BigEndian
                                                           : IOByteOrderEnum::LittleEndian);

  // The metadata NiBabelImageIO's Python side gives for the same file (nibridge_nibabel_io.image_metadata).
  const std::string storedDType = StoredDTypeString(header.dataType, header.bigEndian);
  this->SetMetaDataText(ImageClassMetaDataKey, header.imageClass);
  this->SetMetaDataText(ValuesMetaDataKey, values);
  this->SetMetaDataText(ValueDTypeMetaDataKey, information->deliversFloat64 ? (complex ? "<c16" : "<f8") : storedDType);
  this->SetMetaDataText(StoredDTypeMetaDataKey, storedDType);
  std::string zooms;
  for (const double zoom : header.zooms)
  {
    zooms += (zooms.empty() ? "" : " ") + nibridge::PythonFloatText(zoom);
  }
  this->SetMetaDataText(ZoomsMetaDataKey, zooms);
  for (const auto & [name, text] : header.fieldTexts)
  {
    this->SetMetaDataText(HeaderFieldMetaDataKeyPrefix + name, text);
  }
  const bool isNifti = header.format != nibridge::NiftiFormat::Analyze;
  this->SetMetaDataText(SpatialUnitsMetaDataKey, isNifti ? header.spatialUnits : "mm");
  this->SetMetaDataText(TimeUnitsMetaDataKey, isNifti ? header.timeUnits : "unknown");
  if (isNifti && header.shape.size() > 3)
  {
    this->SetMetaDataText(RepetitionTimeMetaDataKey, nibridge::PythonFloatText(header.zooms[3]));
  }
  if (isNifti)
  {
    std::string parameters;
    for (const double parameter : header.intentParameters)
    {
      parameters += (parameters.empty() ? "" : " ") + nibridge::PythonFloatText(parameter);
    }
    this->SetMetaDataText(IntentMetaDataKey, header.intentLabel);
    this->SetMetaDataText(IntentParametersMetaDataKey, parameters);
    this->SetMetaDataText(IntentNameMetaDataKey, header.intentName);
  }
  information->reader = std::make_unique<nibridge::VoxelBlockReader>(block);
  m_Information = std::move(information);
}

std::string
NiBridgeNiftiImageIO::GetDecoderName() const
{
  return m_Information ? m_Information->reader->GetDecoderName() : std::string();
}

ImageIORegion
NiBridgeNiftiImageIO::GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const
{
  if (m_UseStreamedReading)
  {
    return requested;
  }
  return Superclass::GenerateStreamableReadRegionFromRequestedRegion(requested);
}

void
NiBridgeNiftiImageIO::Read(void * buffer)
{
  if (!m_Information || m_Information->fileName != m_FileName || m_Information->values != this->GetValuesName())
  {
    this->ReadImageInformation();
  }
  std::vector<std::uint64_t> index, size;
  this->RegionInImage(index, size);
  // ITK's extra axes of 1D and out-of-plane 2D images have size 1: the block has nibabel's axes only.
  const std::size_t axes = m_Information->header.shape.size();
  index.resize(axes);
  size.resize(axes);
  m_Information->reader->Read(index, size, m_Information->deliversFloat64, buffer);
}

void
NiBridgeNiftiImageIO::WriteImageInformation()
{
  itkExceptionMacro(<< this->QuotedFileName() << ": NiBridgeNiftiImageIO reads NIfTI files; it does not write them");
}

void
NiBridgeNiftiImageIO::Write(const void *)
{
  this->WriteImageInformation();
}

} // namespace itk
