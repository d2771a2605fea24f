/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeImageIOBase.h"

#include "itkNiBridgeReadGuard.h"
#include "itkNiBridgeRegionRuns.h"
#include "itkNiBridgeVoxelBlock.h"

#include "itkByteSwapper.h"
#include "itkMetaDataObject.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include <sys/stat.h>

namespace itk
{
namespace
{
/** A 2D affine that a 2D ITK image can hold (GeometryFromRASAffine's condition). */
bool
AffineStaysInPlane(const nibridge::AffineMatrix & affine)
{
  return affine[2][0] == 0.0 && affine[2][1] == 0.0 && affine[0][2] == 0.0 && affine[1][2] == 0.0 &&
         affine[2][3] == 0.0;
}
} // namespace

NiBridgeImageIOBase::NiBridgeImageIOBase()
{
  this->SetNumberOfDimensions(3);
  this->SetFileType(IOFileEnum::Binary);
  this->SetByteOrder(ByteSwapper<int>::SystemIsBigEndian() ? IOByteOrderEnum::BigEndian
                                                           : IOByteOrderEnum::LittleEndian);
}

NiBridgeImageIOBase::~NiBridgeImageIOBase() = default;

void
NiBridgeImageIOBase::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ReadRawValues: " << (m_ReadRawValues ? "On" : "Off") << std::endl;
  os << indent << "ReadAsFloat64: " << (m_ReadAsFloat64 ? "On" : "Off") << std::endl;
  os << indent << "ReadFifthAxisAsComponents: " << (m_ReadFifthAxisAsComponents ? "On" : "Off") << std::endl;
  os << indent << "ValuesDifferFromStored: " << (m_ValuesDifferFromStored ? "yes" : "no") << std::endl;
  os << indent << "CheckMemoryLimit: " << (m_CheckMemoryLimit ? "On" : "Off") << std::endl;
}

std::string
NiBridgeImageIOBase::GetValuesName() const
{
  if (m_ReadRawValues && m_ReadAsFloat64)
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": ReadRawValues and ReadAsFloat64 exclude each other");
  }
  return m_ReadAsFloat64 ? "float64" : (m_ReadRawValues ? "raw" : "scaled");
}

void
NiBridgeImageIOBase::SetValuesName(const std::string & values)
{
  if (values != "scaled" && values != "raw" && values != "float64")
  {
    itkExceptionMacro(<< this->QuotedFileName() << ": values must be \"scaled\", \"raw\" or \"float64\", not \""
                      << values << '"');
  }
  this->SetReadRawValues(values == "raw");
  this->SetReadAsFloat64(values == "float64");
}

std::string
NiBridgeImageIOBase::VoxelBlockKey() const
{
  return this->GetValuesName() + (m_ReadFifthAxisAsComponents ? " vectors" : "");
}

bool
NiBridgeImageIOBase::GetValuesDifferFromStored() const
{
  return m_ValuesDifferFromStored;
}

void
NiBridgeImageIOBase::CheckImageInformation(const std::optional<nibridge::StoredVoxels> & stored) const
{
  nibridge::CheckImageInformation(*this, m_FileName, stored, m_CheckMemoryLimit);
}

std::string
NiBridgeImageIOBase::QuotedFileName() const
{
  return '"' + m_FileName + '"';
}

std::vector<double>
NiBridgeImageIOBase::GetDefaultDirection(unsigned int axis) const
{
  if (this->GetNumberOfDimensions() > 3 && axis < 3)
  {
    return this->GetDirection(axis);
  }
  return Superclass::GetDefaultDirection(axis);
}

bool
NiBridgeImageIOBase::GetStoredValueScaling(double & slope, double & intercept) const
{
  if (!m_VoxelBlockReader)
  {
    return false;
  }
  slope = m_VoxelBlockReader->GetBlock().slope;
  intercept = m_VoxelBlockReader->GetBlock().inter;
  return true;
}

std::string
NiBridgeImageIOBase::GetDecoderName() const
{
  return m_VoxelBlockReader ? m_VoxelBlockReader->GetDecoderName() : std::string();
}

ImageIORegion
NiBridgeImageIOBase::GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const
{
  if (m_UseStreamedReading && m_VoxelBlockReader)
  {
    return requested;
  }
  return Superclass::GenerateStreamableReadRegionFromRequestedRegion(requested);
}

void
NiBridgeImageIOBase::SetVoxelBlock(std::unique_ptr<nibridge::VoxelBlockReader> reader, bool deliversFloat64)
{
  const nibridge::VoxelBlock & block = reader->GetBlock();
  nibridge::StoredVoxels       stored{
    block.dataFileName, block.offset, block.GetNumberOfVoxels() * block.GetBytesPerVoxel(), block.gzipped
  };
  struct stat status;
  if (block.gzipped && stat(block.dataFileName.c_str(), &status) == 0)
  {
    stored.deflateBytes = static_cast<std::uint64_t>(status.st_size);
  }
  this->CheckImageInformation(stored);
  m_VoxelBlockReader = std::move(reader);
  m_VoxelBlockFileName = m_FileName;
  m_VoxelBlockValues = this->VoxelBlockKey();
  m_DeliversFloat64 = deliversFloat64;
}

void
NiBridgeImageIOBase::ReadVoxelBlockRegion(void * buffer)
{
  if (!m_VoxelBlockReader || m_VoxelBlockFileName != m_FileName || m_VoxelBlockValues != this->VoxelBlockKey())
  {
    this->ReadImageInformation();
  }
  std::vector<std::uint64_t> index, size;
  std::vector<std::uint64_t> dimensions(this->GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < dimensions.size(); ++axis)
  {
    dimensions[axis] = this->GetDimensions(axis);
  }
  if (!nibridge::RegionInImage(m_IORegion, dimensions, index, size))
  {
    std::ostringstream region;
    region << m_IORegion;
    itkExceptionMacro(<< this->QuotedFileName() << ": the requested region lies outside the image: " << region.str());
  }
  // ITK's extra axes of 1D and out-of-plane 2D images have size 1: the block has nibabel's axes only.
  const std::size_t axes = m_VoxelBlockReader->GetBlock().shape.size();
  if (!m_LastAxisIsComponents)
  {
    index.resize(axes);
    size.resize(axes);
    m_VoxelBlockReader->Read(index, size, m_DeliversFloat64, buffer);
    return;
  }
  // Vectors: the region's voxels for all c of the file's fifth axis (its slowest), then each voxel's c values
  // together, as ITK's vector pixels hold them.
  const std::uint64_t components = m_NiBabelShape[4];
  index.resize(axes, 0);
  size.resize(axes, 1);
  size[4] = components;
  std::uint64_t voxels = 1;
  for (std::size_t axis = 0; axis < 4; ++axis)
  {
    voxels *= size[axis];
  }
  const std::size_t scalarBytes = this->GetComponentSize();
  std::vector<char> planes(static_cast<std::size_t>(voxels * components) * scalarBytes);
  m_VoxelBlockReader->Read(index, size, m_DeliversFloat64, planes.data());
  auto * pixels = static_cast<char *>(buffer);
  for (std::uint64_t component = 0; component < components; ++component)
  {
    const char * plane = planes.data() + component * voxels * scalarBytes;
    for (std::uint64_t voxel = 0; voxel < voxels; ++voxel)
    {
      std::memcpy(pixels + (voxel * components + component) * scalarBytes, plane + voxel * scalarBytes, scalarBytes);
    }
  }
}

void
NiBridgeImageIOBase::SetMetaDataText(const std::string & key, const std::string & value)
{
  EncapsulateMetaData<std::string>(this->GetMetaDataDictionary(), key, value);
}

void
NiBridgeImageIOBase::SetNiBabelGeometry(const std::vector<std::uint64_t> &            shape,
                                        const std::optional<nibridge::AffineMatrix> & affine,
                                        const std::vector<double> &                   zooms,
                                        bool                                          lastAxisIsComponents,
                                        double                                        fourthAxisOrigin)
{
  m_NiBabelShape = shape;
  m_LastAxisIsComponents = lastAxisIsComponents && shape.size() == 5;
  // ITK's axes: nibabel's, and for 1D and out-of-plane 2D images a third of size 1 (with their geometry); a 5-D
  // image of vectors has (i, j, k), and t where it is not 1.
  auto numberOfDimensions = static_cast<unsigned int>(shape.size());
  if (affine && (numberOfDimensions == 1 || (numberOfDimensions == 2 && !AffineStaysInPlane(*affine))))
  {
    numberOfDimensions = 3;
  }
  if (m_LastAxisIsComponents)
  {
    numberOfDimensions = shape[3] == 1 ? 3 : 4;
  }
  nibridge::ImageGeometry geometry = nibridge::ImageGeometry::Identity(numberOfDimensions);
  if (affine)
  {
    std::vector<double> extraAxisSpacing;
    for (unsigned int axis = 3; axis < numberOfDimensions; ++axis)
    {
      const double zoom = axis < zooms.size() ? zooms[axis] : 1.0;
      extraAxisSpacing.push_back(std::isfinite(zoom) && zoom > 0.0 ? zoom : 1.0);
    }
    const std::string what = this->QuotedFileName() + " (nibabel's affine)";
    if (numberOfDimensions <= 5)
    {
      geometry = nibridge::GeometryFromRASAffine(*affine, numberOfDimensions, extraAxisSpacing, what);
    }
    else
    {
      const nibridge::ImageGeometry spatial = nibridge::GeometryFromRASAffine(*affine, 3, {}, what);
      for (unsigned int row = 0; row < 3; ++row)
      {
        geometry.spacing[row] = spatial.spacing[row];
        geometry.origin[row] = spatial.origin[row];
        std::copy(spatial.direction[row].begin(), spatial.direction[row].end(), geometry.direction[row].begin());
      }
      std::copy(extraAxisSpacing.begin(), extraAxisSpacing.end(), geometry.spacing.begin() + 3);
    }
  }
  if (numberOfDimensions > 3 && std::isfinite(fourthAxisOrigin))
  {
    geometry.origin[3] = fourthAxisOrigin;
  }
  this->SetNumberOfDimensions(numberOfDimensions);
  for (unsigned int axis = 0; axis < numberOfDimensions; ++axis)
  {
    this->SetDimensions(axis, axis < shape.size() ? static_cast<SizeValueType>(shape[axis]) : 1);
  }
  nibridge::SetGeometry(*this, geometry);
  if (affine)
  {
    nibridge::StoreRASAffine(this->GetMetaDataDictionary(), *affine);
  }
}

namespace nibridge
{
ImageGeometry
GeometryOf(const ImageIOBase & imageIO)
{
  const unsigned int dimension = imageIO.GetNumberOfDimensions();
  ImageGeometry      geometry = ImageGeometry::Identity(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    geometry.spacing[axis] = imageIO.GetSpacing(axis);
    geometry.origin[axis] = imageIO.GetOrigin(axis);
    const std::vector<double> column = imageIO.GetDirection(axis);
    for (unsigned int row = 0; row < dimension && row < column.size(); ++row)
    {
      geometry.direction[row][axis] = column[row];
    }
  }
  geometry.sourceAffine = StoredRASAffine(imageIO.GetMetaDataDictionary());
  return geometry;
}

void
SetGeometry(ImageIOBase & imageIO, const ImageGeometry & geometry)
{
  const unsigned int dimension = geometry.GetDimension();
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    imageIO.SetSpacing(axis, geometry.spacing[axis]);
    imageIO.SetOrigin(axis, geometry.origin[axis]);
    std::vector<double> column(dimension);
    for (unsigned int row = 0; row < dimension; ++row)
    {
      column[row] = geometry.direction[row][axis];
    }
    imageIO.SetDirection(axis, column);
  }
}
} // namespace nibridge
} // namespace itk
