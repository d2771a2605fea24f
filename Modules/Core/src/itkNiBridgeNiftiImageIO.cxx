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
#include "itkMetaDataObject.h"
#include "itkNiBridgeCompressedFileWriter.h"

#include <algorithm>
#include <cstring>
#include <limits>

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
  std::string           fileName;
  std::string           values;
  nibridge::NiftiHeader header;
  bool                  deliversFloat64 = false;
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
  os << indent << "WriteNIfTI2: " << (m_WriteNIfTI2 ? "On" : "Off") << std::endl;
  if (!m_Information)
  {
    os << indent << "Information: none read" << std::endl;
    return;
  }
  const nibridge::NiftiHeader & header = m_Information->header;
  os << indent << "Information: " << header.imageClass << " read from " << m_Information->fileName << " (header "
     << header.files.header << ", data " << header.files.data << (header.files.gzipped ? ", gzip" : "") << ", offset "
     << header.dataOffset << "), values " << m_Information->values << ", slope "
     << nibridge::PythonFloatText(header.slope) << ", inter " << nibridge::PythonFloatText(header.inter) << ", decoder "
     << this->GetDecoderName() << std::endl;
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

  const bool complex = nibridge::IsComplex(header.dataType.component);
  // NIfTI's vectors, (i, j, k, t, c) of real numbers: a vector image of c components (NiBridgeImageIOBase).
  const bool vectors =
    this->GetReadFifthAxisAsComponents() && header.shape.size() == 5 && !complex && header.dataType.channels == 1;
  this->SetNiBabelGeometry(header.shape, header.affine, header.zooms, vectors, header.timeOffset);
  const auto scalarType = information->deliversFloat64 ? nibridge::ComponentType::Float64 : block.scalarType;
  this->SetComponentType(*nibridge::IOComponentOf(scalarType));
  this->SetNumberOfComponents(vectors ? static_cast<unsigned int>(header.shape[4]) : block.scalarsPerVoxel);
  this->SetPixelType(complex
                       ? IOPixelEnum::COMPLEX
                       : (header.dataType.channels == 3
                            ? IOPixelEnum::RGB
                            : (header.dataType.channels == 4
                                 ? IOPixelEnum::RGBA
                                 : (vectors && header.shape[4] > 1 ? IOPixelEnum::VECTOR : IOPixelEnum::SCALAR))));
  this->SetByteOrder(ByteSwapper<int>::SystemIsBigEndian() ? IOByteOrderEnum::BigEndian
                                                           : IOByteOrderEnum::LittleEndian);

  // The metadata NiBabelImageIO's Python side gives for the same file (nibridge_nibabel_io.image_metadata).
  const std::string storedDType = StoredDTypeString(header.dataType, header.bigEndian);
  this->SetMetaDataText(ImageClassMetaDataKey, header.imageClass);
  this->SetMetaDataText(ValuesMetaDataKey, values);
  this->SetMetaDataText(ValueDTypeMetaDataKey, information->deliversFloat64 ? (complex ? "<c16" : "<f8") : storedDType);
  this->SetMetaDataText(StoredDTypeMetaDataKey, storedDType);
  this->SetMetaDataText(ZoomsMetaDataKey, nibridge::PythonFloatTexts(header.zooms));
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
    this->SetMetaDataText(IntentMetaDataKey, header.intentLabel);
    this->SetMetaDataText(IntentParametersMetaDataKey, nibridge::PythonFloatTexts(header.intentParameters));
    this->SetMetaDataText(IntentNameMetaDataKey, header.intentName);
  }
  this->SetVoxelBlock(std::make_unique<nibridge::VoxelBlockReader>(block), information->deliversFloat64);
  m_Information = std::move(information);
}

void
NiBridgeNiftiImageIO::Read(void * buffer)
{
  this->ReadVoxelBlockRegion(buffer);
}

bool
NiBridgeNiftiImageIO::CanWriteFile(const char * fileName)
{
  nibridge::NiftiFiles files;
  return fileName != nullptr && nibridge::NiftiFilesOf(fileName, files);
}

void
NiBridgeNiftiImageIO::WriteImageInformation()
{
  // Everything is written by Write(); this checks early that the image has a NIfTI form.
  if (!nibridge::ComponentTypeFromIOComponent(
        this->GetComponentType(), this->GetPixelType(), this->GetNumberOfComponents()))
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": NIfTI holds no " << GetPixelTypeAsString(this->GetPixelType())
                      << " pixels of " << this->GetNumberOfComponents() << ' '
                      << GetComponentTypeAsString(this->GetComponentType()) << " components");
  }
}

void
NiBridgeNiftiImageIO::Write(const void * buffer)
{
  this->WriteImageInformation();
  nibridge::NiftiFiles files;
  if (!nibridge::NiftiFilesOf(m_FileName, files))
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": not a NIfTI file name (.nii, .nii.gz, .hdr, .img)");
  }
  const unsigned int dimension = this->GetNumberOfDimensions();
  const IOPixelEnum  pixel = this->GetPixelType();
  const unsigned int components = this->GetNumberOfComponents();
  const auto         component = *nibridge::ComponentTypeFromIOComponent(this->GetComponentType(), pixel, components);
  const bool         complex = nibridge::IsComplex(component);
  const bool color = component == nibridge::ComponentType::UInt8 && ((pixel == IOPixelEnum::RGB && components == 3) ||
                                                                     (pixel == IOPixelEnum::RGBA && components == 4));
  const bool vector = !complex && !color && components > 1; // NIfTI's vectors: 5-D, components last
  if (component == nibridge::ComponentType::Bool || dimension < 1 || dimension > (vector ? 4u : 7u))
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": NIfTI holds 1 to 7 axes of numbers (up to 4 of vectors), not "
                      << dimension << " axes of " << nibridge::ComponentTypeName(component));
  }
  if (m_IORegion.GetNumberOfPixels() != 0 && m_IORegion.GetNumberOfPixels() != this->GetImageSizeInPixels())
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": NiBridgeNiftiImageIO writes whole images, not regions");
  }

  nibridge::NiftiWriteDescription description;
  description.pair = files.pair;
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    description.shape.push_back(this->GetDimensions(axis));
  }
  if (vector)
  {
    description.shape.resize(4, 1);
    description.shape.push_back(components);
    description.intentCode = 1007; // vector
  }
  std::string imageClass;
  ExposeMetaData<std::string>(this->GetMetaDataDictionary(), ImageClassMetaDataKey, imageClass);
  const bool tooLong = std::any_of(description.shape.begin(), description.shape.end(), [](std::uint64_t extent) {
    return extent > static_cast<std::uint64_t>(std::numeric_limits<std::int16_t>::max());
  });
  description.nifti2 = m_WriteNIfTI2 || tooLong || imageClass == "Nifti2Image" || imageClass == "Nifti2Pair";
  description.datatypeCode = *nibridge::NiftiDataTypeCode(component, color ? components : 1);
  const std::size_t             scalarBytes = this->GetComponentSize();
  const nibridge::ImageGeometry geometry = nibridge::GeometryOf(*this);
  description.affine = nibridge::RASAffineFromGeometry(geometry, this->QuotedFileName() + ": the image geometry");
  for (unsigned int axis = 3; axis < dimension; ++axis)
  {
    description.extraZooms.push_back(geometry.spacing[axis]);
  }
  if (dimension > 3)
  {
    description.timeOffset = geometry.origin[3];
  }
  const std::string header = nibridge::MakeNiftiHeader(description);

  // The data: ITK's buffer is nibabel's Fortran order, but for vectors, whose components become the slowest axis.
  const std::uint64_t pixels = this->GetImageSizeInPixels();
  const auto *        source = static_cast<const char *>(buffer);
  const auto          writeData = [&](nibridge::CompressedFileWriter & file) {
    if (!vector)
    {
      file.Write(source, pixels * scalarBytes * components);
      return;
    }
    std::vector<char> plane(static_cast<std::size_t>(std::min<std::uint64_t>(pixels, std::uint64_t{ 1 } << 20)) *
                            scalarBytes);
    const std::size_t planePixels = plane.size() / scalarBytes;
    for (unsigned int channel = 0; channel < components; ++channel)
    {
      for (std::uint64_t done = 0; done < pixels; done += planePixels)
      {
        const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(planePixels, pixels - done));
        for (std::size_t index = 0; index < count; ++index)
        {
          std::memcpy(plane.data() + index * scalarBytes,
                      source + ((done + index) * components + channel) * scalarBytes,
                      scalarBytes);
        }
        file.Write(plane.data(), count * scalarBytes);
      }
    }
  };
  if (files.pair)
  {
    nibridge::CompressedFileWriter headerFile(files.header, files.gzipped);
    headerFile.Write(header.data(), header.size());
    nibridge::CompressedFileWriter dataFile(files.data, files.gzipped);
    writeData(dataFile);
    dataFile.Commit();
    headerFile.Commit();
    return;
  }
  nibridge::CompressedFileWriter file(files.data, files.gzipped);
  file.Write(header.data(), header.size());
  const char noExtensions[4] = { 0, 0, 0, 0 };
  file.Write(noExtensions, sizeof(noExtensions));
  writeData(file);
  file.Commit();
}

} // namespace itk
