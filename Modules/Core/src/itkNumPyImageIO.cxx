/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNumPyImageIO.h"
#include "itkNiBridgeErrorText.h"

#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiBridgeReadGuard.h"
#include "itkNiBridgeRegionRuns.h"
#include "itkNiBridgeTransferSize.h"
#include "itkNiBridgeVoxelBlock.h"

#include "itkByteSwapper.h"
#include "itkMetaDataObject.h"
#include "itksys/SystemTools.hxx"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>

#ifdef _WIN32
#  include <process.h>
#else
#  include <unistd.h>
#endif

namespace itk
{
namespace
{
/** Bytes converted (swapped, widened, de-planarized) at a time: small enough to stay in cache. */
constexpr std::size_t ConversionChunkBytes = std::size_t{ 1 } << 22;

using nibridge::Quoted;

std::string
LastSystemError()
{
  return std::strerror(errno);
}

bool
HasNpyExtension(const std::string & fileName)
{
  return itksys::SystemTools::LowerCase(itksys::SystemTools::GetFilenameLastExtension(fileName)) == ".npy";
}

bool
IsBooleanDescr(const std::string & descr)
{
  return descr == "|b1" || descr == "<b1" || descr == ">b1" || descr == "=b1" || descr == "b1";
}

// ----------------------------------------------------------------------------------------------------------------
// Element conversions: tight loops over plain bytes, no per-element virtual calls.

/** The float32 bit pattern of a float16 bit pattern; exact for every value, subnormals, infinities and NaNs. */
std::uint32_t
FloatBitsOfHalf(std::uint16_t half)
{
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  std::uint32_t       exponent = (half >> 10) & 0x1fu;
  std::uint32_t       mantissa = half & 0x3ffu;
  if (exponent == 0x1f)
  {
    return sign | 0x7f800000u | (mantissa << 13);
  }
  if (exponent == 0)
  {
    if (mantissa == 0)
    {
      return sign;
    }
    // A subnormal half is a normal float: shift the mantissa up to its leading one.
    exponent = 1;
    while ((mantissa & 0x400u) == 0)
    {
      mantissa <<= 1;
      --exponent;
    }
    mantissa &= 0x3ffu;
  }
  return sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
}

void
ConvertHalfsToFloats(const char * halfs, char * floats, std::size_t count, bool swap)
{
  for (std::size_t element = 0; element < count; ++element)
  {
    unsigned char bytes[2];
    std::memcpy(bytes, halfs + 2 * element, 2);
    if (swap)
    {
      std::swap(bytes[0], bytes[1]);
    }
    std::uint16_t half = 0;
    std::memcpy(&half, bytes, 2);
    const std::uint32_t floatBits = FloatBitsOfHalf(half);
    std::memcpy(floats + 4 * element, &floatBits, 4);
  }
}

void
NormalizeBooleans(char * data, std::size_t count)
{
  for (std::size_t element = 0; element < count; ++element)
  {
    data[element] = data[element] != 0 ? 1 : 0;
  }
}

template<std::size_t Width>
void
ScatterEach(const char * source, char * destination, std::size_t count, std::size_t destinationStride)
{
  for (std::size_t element = 0; element < count; ++element)
  {
    std::memcpy(destination + element * destinationStride, source + element * Width, Width);
  }
}

template<std::size_t Width>
void
GatherEach(const char * source, std::size_t sourceStride, char * destination, std::size_t count)
{
  for (std::size_t element = 0; element < count; ++element)
  {
    std::memcpy(destination + element * Width, source + element * sourceStride, Width);
  }
}

/** Copies `count` elements of `width` bytes from a packed array into every `stride`-th place of `destination`. */
void
Scatter(const char * source, char * destination, std::size_t count, std::size_t width, std::size_t stride)
{
  switch (width)
  {
    case 1:
      ScatterEach<1>(source, destination, count, stride);
      break;
    case 2:
      ScatterEach<2>(source, destination, count, stride);
      break;
    case 4:
      ScatterEach<4>(source, destination, count, stride);
      break;
    default:
      ScatterEach<8>(source, destination, count, stride);
      break;
  }
}

/** Copies every `stride`-th element of `width` bytes of `source` into a packed array. */
void
Gather(const char * source, std::size_t stride, char * destination, std::size_t count, std::size_t width)
{
  switch (width)
  {
    case 1:
      GatherEach<1>(source, stride, destination, count);
      break;
    case 2:
      GatherEach<2>(source, stride, destination, count);
      break;
    case 4:
      GatherEach<4>(source, stride, destination, count);
      break;
    default:
      GatherEach<8>(source, stride, destination, count);
      break;
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Reading

/** How the file's elements become the ITK buffer. */
struct ReadLayout
{
  std::vector<std::uint64_t> dimensions;              // ITK order: axis 0 fastest, in the file and in the buffer
  unsigned int               numberOfComponents = 1;  // per ITK pixel (2 for complex)
  bool                       planar = false;          // components are the slowest file axis (Fortran order + trailing)
  std::size_t                diskScalarBytes = 0;     // one component on disk
  std::size_t                memoryScalarBytes = 0;   // one component in memory (float16 grows to 4)
  std::size_t                scalarsPerDiskPixel = 1; // within one plane
  bool                       swap = false;
  bool                       halfFloat = false;
  bool                       booleans = false;
  std::uint64_t              pixelsPerPlane = 1;

  std::size_t
  DiskPixelBytes() const
  {
    return scalarsPerDiskPixel * diskScalarBytes;
  }
  std::size_t
  MemoryPixelBytes() const
  {
    return numberOfComponents * memoryScalarBytes;
  }
};

std::string
RegionText(const ImageIORegion & region)
{
  std::string index;
  std::string size;
  for (unsigned int axis = 0; axis < region.GetImageDimension(); ++axis)
  {
    index += (axis == 0 ? "" : ", ") + std::to_string(region.GetIndex(axis));
    size += (axis == 0 ? "" : ", ") + std::to_string(region.GetSize(axis));
  }
  return "index [" + index + "] size [" + size + "]";
}

ReadLayout
MakeReadLayout(const nibridge::NpyHeader & header, bool trailingAxisIsComponents, const std::string & fileName)
{
  std::vector<std::uint64_t> imageShape = header.shape;
  ReadLayout                 layout;
  std::uint64_t              componentAxisLength = 1;
  if (trailingAxisIsComponents)
  {
    if (header.complex)
    {
      itkGenericExceptionMacro(<< Quoted(fileName) << ": complex data (dtype '" << header.descr
                               << "') cannot have its trailing axis read as vector components");
    }
    if (imageShape.empty())
    {
      itkGenericExceptionMacro(<< Quoted(fileName) << ": a 0-d array has no trailing axis to read as components");
    }
    componentAxisLength = imageShape.back();
    imageShape.pop_back();
  }
  for (const std::uint64_t extent : header.shape)
  {
    if (extent == 0)
    {
      itkGenericExceptionMacro(<< Quoted(fileName) << ": the shape " << nibridge::NpyShapeRepr(header.shape)
                               << " has an empty axis; ITK images cannot be empty");
    }
    if (extent > std::numeric_limits<SizeValueType>::max())
    {
      itkGenericExceptionMacro(<< Quoted(fileName) << ": the shape " << nibridge::NpyShapeRepr(header.shape)
                               << " has an axis longer than ITK can index");
    }
  }
  if (componentAxisLength > std::numeric_limits<unsigned int>::max())
  {
    itkGenericExceptionMacro(<< Quoted(fileName) << ": " << componentAxisLength
                             << " components per pixel are more than ITK can hold");
  }
  if (!header.fortranOrder)
  {
    std::reverse(imageShape.begin(), imageShape.end());
  }
  if (imageShape.empty())
  {
    imageShape.push_back(1);
  }
  layout.dimensions = imageShape;
  for (const std::uint64_t extent : imageShape)
  {
    layout.pixelsPerPlane *= extent;
  }

  layout.halfFloat = header.halfFloat;
  layout.booleans = IsBooleanDescr(header.descr);
  layout.diskScalarBytes = header.complex ? header.itemSize / 2 : header.itemSize;
  layout.memoryScalarBytes = header.halfFloat ? sizeof(float) : layout.diskScalarBytes;
  layout.swap = layout.diskScalarBytes > 1 && header.bigEndian != ByteSwapper<int>::SystemIsBigEndian();
  if (header.complex)
  {
    layout.numberOfComponents = 2;
    layout.scalarsPerDiskPixel = 2;
  }
  else
  {
    layout.numberOfComponents = static_cast<unsigned int>(componentAxisLength);
    layout.planar = header.fortranOrder && componentAxisLength > 1;
    layout.scalarsPerDiskPixel = layout.planar ? 1 : layout.numberOfComponents;
  }
  return layout;
}

/** Reads exactly `count` bytes, in pieces small enough for every system. */
void
ReadExactly(std::istream & file, char * destination, std::uint64_t count, const std::string & fileName)
{
  while (count > 0)
  {
    const std::uint64_t piece = std::min(count, nibridge::MaximumTransferBytes);
    file.read(destination, static_cast<std::streamsize>(piece));
    if (static_cast<std::uint64_t>(file.gcount()) != piece)
    {
      itkGenericExceptionMacro(<< Quoted(fileName) << ": truncated data: the file ended early while reading pixels");
    }
    destination += piece;
    count -= piece;
  }
}

void
SeekTo(std::istream & file, std::uint64_t offset, const std::string & fileName)
{
  file.clear();
  file.seekg(static_cast<std::streamoff>(offset), std::ios::beg);
  if (!file)
  {
    itkGenericExceptionMacro(<< Quoted(fileName) << ": cannot seek to byte " << offset);
  }
}

/** Turns `count` scalars read from disk into their in-memory form; `disk` may be `memory` unless half floats. */
void
ConvertScalars(const char * disk, char * memory, std::size_t count, const ReadLayout & layout)
{
  if (layout.halfFloat)
  {
    ConvertHalfsToFloats(disk, memory, count, layout.swap);
    return;
  }
  if (disk != memory)
  {
    std::memcpy(memory, disk, count * layout.diskScalarBytes);
  }
  if (layout.swap)
  {
    nibridge::SwapBytes(memory, count, layout.diskScalarBytes);
  }
  if (layout.booleans)
  {
    NormalizeBooleans(memory, count);
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Writing

/** What Write() puts in the file for the image described by an ImageIO. */
struct WritePlan
{
  std::string                descr;
  std::vector<std::uint64_t> shape; // NumPy's order, Fortran memory order
  std::size_t                componentBytes = 0;
  unsigned int               numberOfComponents = 1; // per ITK pixel
  bool                       planarize = false;      // components become the slowest axis
  bool                       booleans = false;
  std::uint64_t              numberOfPixels = 1;
};

} // namespace

NumPyImageIO::NumPyImageIO()
{
  this->AddSupportedReadExtension(".npy");
  this->AddSupportedWriteExtension(".npy");
  this->SetNumberOfDimensions(1);
  this->SetFileType(IOFileEnum::Binary);
  this->SetByteOrder(ByteSwapper<int>::SystemIsBigEndian() ? IOByteOrderEnum::BigEndian
                                                           : IOByteOrderEnum::LittleEndian);
}

NumPyImageIO::~NumPyImageIO() = default;

void
NumPyImageIO::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "TrailingAxisIsComponents: " << (m_TrailingAxisIsComponents ? "On" : "Off") << std::endl;
  os << indent << "CheckMemoryLimit: " << (m_CheckMemoryLimit ? "On" : "Off") << std::endl;
  os << indent << "NpyHeader: descr " << m_NpyHeader.descr << ", fortran_order "
     << (m_NpyHeader.fortranOrder ? "True" : "False") << ", shape " << nibridge::NpyShapeRepr(m_NpyHeader.shape)
     << ", component type " << ImageIOBase::GetComponentTypeAsString(m_NpyHeader.componentType) << ", complex "
     << (m_NpyHeader.complex ? "yes" : "no") << ", float16 " << (m_NpyHeader.halfFloat ? "yes" : "no") << ", "
     << (m_NpyHeader.bigEndian ? "big" : "little") << "-endian, item size " << m_NpyHeader.itemSize << ", version "
     << m_NpyHeader.majorVersion << ".0, data offset " << m_NpyHeader.dataOffset << std::endl;
  os << indent << "NpyHeaderFileName: " << m_NpyHeaderFileName << std::endl;
  os << indent << "NpyHeaderTrailingAxisIsComponents: " << (m_NpyHeaderTrailingAxisIsComponents ? "On" : "Off")
     << std::endl;
}

// ------------------------------------------------------------------------------------------------------------------
// Reading

bool
NumPyImageIO::CanReadFile(const char * fileName)
{
  try
  {
    if (fileName == nullptr || !HasNpyExtension(fileName) || !nibridge::IsRegularFile(fileName))
    {
      return false; // a FIFO would block the open below for ever
    }
    std::ifstream file(fileName, std::ios::in | std::ios::binary);
    char          magic[6] = {};
    file.read(magic, sizeof(magic));
    return file.gcount() == static_cast<std::streamsize>(sizeof(magic)) &&
           std::memcmp(magic, "\x93NUMPY", sizeof(magic)) == 0;
  }
  catch (...)
  {
    return false;
  }
}

void
NumPyImageIO::ReadImageInformation()
{
  m_NpyHeaderFileName.clear();
  this->GetMetaDataDictionary().Clear();

  std::error_code ignored;
  if (std::filesystem::is_directory(m_FileName, ignored))
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": is a directory, not a .npy file");
  }
  std::ifstream file(m_FileName, std::ios::in | std::ios::binary);
  if (!file)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot open for reading: " << LastSystemError());
  }
  file.seekg(0, std::ios::end);
  const auto fileSize = static_cast<std::uint64_t>(file.tellg());
  file.seekg(0, std::ios::beg);

  const nibridge::NpyHeader header = nibridge::ReadNpyHeader(file, m_FileName);
  const ReadLayout          layout = MakeReadLayout(header, m_TrailingAxisIsComponents, m_FileName);
  const std::uint64_t       dataBytes = header.GetNumberOfElements() * header.itemSize;
  if (header.dataOffset + dataBytes > fileSize)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": truncated data: header says " << dataBytes << " bytes, file holds "
                      << (fileSize > header.dataOffset ? fileSize - header.dataOffset : 0));
  }

  const auto numberOfDimensions = static_cast<unsigned int>(layout.dimensions.size());
  this->SetNumberOfDimensions(numberOfDimensions);
  for (unsigned int axis = 0; axis < numberOfDimensions; ++axis)
  {
    this->SetDimensions(axis, static_cast<SizeValueType>(layout.dimensions[axis]));
    this->SetSpacing(axis, 1.0);
    this->SetOrigin(axis, 0.0);
    std::vector<double> direction(numberOfDimensions, 0.0);
    direction[axis] = 1.0;
    this->SetDirection(axis, direction);
  }
  this->SetComponentType(header.componentType);
  this->SetNumberOfComponents(layout.numberOfComponents);
  if (header.complex)
  {
    this->SetPixelType(IOPixelEnum::COMPLEX);
  }
  else if (m_TrailingAxisIsComponents)
  {
    this->SetPixelType(IOPixelEnum::VECTOR);
  }
  else
  {
    this->SetPixelType(IOPixelEnum::SCALAR);
  }
  this->SetByteOrder(header.bigEndian ? IOByteOrderEnum::BigEndian : IOByteOrderEnum::LittleEndian);
  this->SetFileType(IOFileEnum::Binary);

  MetaDataDictionary & dictionary = this->GetMetaDataDictionary();
  EncapsulateMetaData<std::string>(dictionary, DTypeMetaDataKey, layout.booleans ? "bool" : header.descr);
  EncapsulateMetaData<std::string>(dictionary, FortranOrderMetaDataKey, header.fortranOrder ? "1" : "0");

  nibridge::CheckImageInformation(
    *this, m_FileName, nibridge::StoredVoxels{ m_FileName, header.dataOffset, dataBytes, false }, m_CheckMemoryLimit);
  m_NpyHeader = header;
  m_NpyHeaderFileName = m_FileName;
  m_NpyHeaderTrailingAxisIsComponents = m_TrailingAxisIsComponents;
}

ImageIORegion
NumPyImageIO::GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const
{
  if (!m_UseStreamedReading)
  {
    return Superclass::GenerateStreamableReadRegionFromRequestedRegion(requested);
  }
  return requested;
}

void
NumPyImageIO::Read(void * buffer)
{
  if (m_NpyHeaderFileName != m_FileName || m_NpyHeaderTrailingAxisIsComponents != m_TrailingAxisIsComponents)
  {
    this->ReadImageInformation();
  }
  const ReadLayout layout = MakeReadLayout(m_NpyHeader, m_NpyHeaderTrailingAxisIsComponents, m_FileName);

  std::vector<std::uint64_t> regionIndex;
  std::vector<std::uint64_t> regionSize;
  if (!nibridge::RegionInImage(m_IORegion, layout.dimensions, regionIndex, regionSize))
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": the requested region " << RegionText(m_IORegion)
                      << " lies outside the image of size " << nibridge::NpyShapeRepr(layout.dimensions));
  }

  std::ifstream file(m_FileName, std::ios::in | std::ios::binary);
  if (!file)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot open for reading: " << LastSystemError());
  }
  auto * const      destination = static_cast<char *>(buffer);
  const std::size_t diskPixelBytes = layout.DiskPixelBytes();
  const std::size_t memoryPixelBytes = layout.MemoryPixelBytes();
  const std::size_t chunkPixels = std::max<std::size_t>(1, ConversionChunkBytes / diskPixelBytes);
  std::vector<char> diskChunk;   // only for conversions that cannot happen in place
  std::vector<char> memoryChunk; // only for de-planarizing float16

  const unsigned int numberOfPlanes = layout.planar ? layout.numberOfComponents : 1;
  for (unsigned int plane = 0; plane < numberOfPlanes; ++plane)
  {
    const std::uint64_t planeOffset =
      m_NpyHeader.dataOffset + std::uint64_t{ plane } * layout.pixelsPerPlane * diskPixelBytes;
    nibridge::ForEachContiguousRun(
      layout.dimensions,
      regionIndex,
      regionSize,
      [&](std::uint64_t filePixel, std::uint64_t bufferPixel, std::uint64_t pixelCount) {
        SeekTo(file, planeOffset + filePixel * diskPixelBytes, m_FileName);
        char * runDestination = destination + bufferPixel * memoryPixelBytes;
        if (!layout.planar && !layout.halfFloat && !layout.swap && !layout.booleans)
        {
          ReadExactly(file, runDestination, pixelCount * diskPixelBytes, m_FileName); // straight into the buffer
          return;
        }
        for (std::uint64_t done = 0; done < pixelCount; done += chunkPixels)
        {
          const auto        pixels = static_cast<std::size_t>(std::min<std::uint64_t>(chunkPixels, pixelCount - done));
          const std::size_t scalars = pixels * layout.scalarsPerDiskPixel;
          char *            chunkDestination = runDestination + done * memoryPixelBytes;
          if (!layout.planar && !layout.halfFloat)
          {
            ReadExactly(file, chunkDestination, pixels * diskPixelBytes, m_FileName);
            ConvertScalars(chunkDestination, chunkDestination, scalars, layout); // in place, while in cache
            continue;
          }
          diskChunk.resize(chunkPixels * diskPixelBytes);
          ReadExactly(file, diskChunk.data(), pixels * diskPixelBytes, m_FileName);
          if (!layout.planar)
          {
            ConvertScalars(diskChunk.data(), chunkDestination, scalars, layout);
            continue;
          }
          const char * converted = diskChunk.data();
          if (layout.halfFloat)
          {
            memoryChunk.resize(chunkPixels * layout.memoryScalarBytes);
            ConvertScalars(diskChunk.data(), memoryChunk.data(), scalars, layout);
            converted = memoryChunk.data();
          }
          else
          {
            ConvertScalars(diskChunk.data(), diskChunk.data(), scalars, layout);
          }
          Scatter(converted,
                  chunkDestination + plane * layout.memoryScalarBytes,
                  pixels,
                  layout.memoryScalarBytes,
                  memoryPixelBytes);
        }
      });
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Writing

bool
NumPyImageIO::CanWriteFile(const char * fileName)
{
  return fileName != nullptr && HasNpyExtension(fileName);
}

void
NumPyImageIO::WriteImageInformation()
{
  // Everything is written by Write(); this only checks early that the image has a .npy form.
  if (this->GetComponentType() == IOComponentEnum::UNKNOWNCOMPONENTTYPE)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write: the component type is unknown");
  }
}

void
NumPyImageIO::Write(const void * buffer)
{
  WritePlan                  plan;
  const IOComponentEnum      componentType = this->GetComponentType();
  const bool                 complex = this->GetPixelType() == IOPixelEnum::COMPLEX;
  const unsigned int         numberOfDimensions = this->GetNumberOfDimensions();
  const MetaDataDictionary & dictionary = this->GetMetaDataDictionary();
  std::string                recordedDType;
  ExposeMetaData<std::string>(dictionary, DTypeMetaDataKey, recordedDType);

  if (numberOfDimensions == 0)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write an image with no dimensions");
  }
  plan.numberOfComponents = this->GetNumberOfComponents();
  if (complex && (plan.numberOfComponents != 2 ||
                  (componentType != IOComponentEnum::FLOAT && componentType != IOComponentEnum::DOUBLE)))
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write complex pixels of " << plan.numberOfComponents << ' '
                      << ImageIOBase::GetComponentTypeAsString(componentType)
                      << " components (only complex64 and complex128)");
  }
  if (plan.numberOfComponents == 0)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write pixels of 0 components");
  }
  try
  {
    plan.descr = nibridge::NpyDescrFor(componentType, complex);
  }
  catch (const ExceptionObject & error)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write: " << error.GetDescription());
  }
  plan.booleans = componentType == IOComponentEnum::UCHAR && recordedDType == "bool";
  if (plan.booleans)
  {
    plan.descr = "|b1";
  }
  plan.componentBytes = this->GetComponentSize();
  for (unsigned int axis = 0; axis < numberOfDimensions; ++axis)
  {
    plan.shape.push_back(this->GetDimensions(axis));
    plan.numberOfPixels *= this->GetDimensions(axis);
  }
  plan.planarize = !complex && plan.numberOfComponents > 1;
  if (plan.planarize)
  {
    plan.shape.push_back(plan.numberOfComponents);
  }
  if (plan.numberOfPixels == 0)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write an empty image of size "
                      << nibridge::NpyShapeRepr(plan.shape));
  }
  const ImageIORegion & region = m_IORegion;
  if (region.GetNumberOfPixels() != 0 && region.GetNumberOfPixels() != plan.numberOfPixels)
  {
    itkExceptionMacro(<< Quoted(m_FileName) << ": cannot write the region " << RegionText(region)
                      << ": .npy files are written whole (no streamed or pasted writes)");
  }

  const std::string          header = nibridge::MakeNpyHeader(plan.descr, true, plan.shape);
  nibridge::AtomicFileWriter file(m_FileName);
  file.Write(header.data(), header.size());

  const auto *        source = static_cast<const char *>(buffer);
  const std::size_t   pixelBytes = plan.componentBytes * plan.numberOfComponents;
  const std::uint64_t imageBytes = plan.numberOfPixels * pixelBytes;
  if (!plan.planarize && !plan.booleans)
  {
    file.Write(source, imageBytes); // the ITK buffer is the Fortran-order array
  }
  else
  {
    // Components become the slowest axis: one pass per component, a cache-sized chunk at a time.
    const std::size_t  chunkPixels = std::max<std::size_t>(1, ConversionChunkBytes / plan.componentBytes);
    std::vector<char>  chunk(static_cast<std::size_t>(std::min<std::uint64_t>(chunkPixels, plan.numberOfPixels)) *
                            plan.componentBytes);
    const unsigned int numberOfPlanes = plan.planarize ? plan.numberOfComponents : 1;
    const unsigned int componentsPerPlane = plan.planarize ? 1 : plan.numberOfComponents;
    for (unsigned int component = 0; component < numberOfPlanes; ++component)
    {
      for (std::uint64_t done = 0; done < plan.numberOfPixels; done += chunkPixels)
      {
        const auto pixels = static_cast<std::size_t>(std::min<std::uint64_t>(chunkPixels, plan.numberOfPixels - done));
        const std::size_t elements = pixels * componentsPerPlane;
        const char *      chunkSource = source + done * pixelBytes + component * plan.componentBytes;
        if (plan.planarize)
        {
          Gather(chunkSource, pixelBytes, chunk.data(), pixels, plan.componentBytes);
        }
        else
        {
          chunk.resize(elements * plan.componentBytes);
          std::memcpy(chunk.data(), chunkSource, elements * plan.componentBytes);
        }
        if (plan.booleans)
        {
          NormalizeBooleans(chunk.data(), elements);
        }
        file.Write(chunk.data(), elements * plan.componentBytes);
      }
    }
  }
  file.Commit();
}

} // namespace itk
