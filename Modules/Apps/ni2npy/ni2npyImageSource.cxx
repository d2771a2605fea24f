/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "ni2npyImageSource.h"

#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeImageIOList.h"
#include "itkNumPyImageIO.h"

#include "itkMetaDataObject.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <mutex>

namespace ni2npy
{
namespace
{
/** The most a slab (what the readers are asked for at a time) holds, unless one row of axis 0 is more. */
constexpr std::uint64_t SlabBytes = std::uint64_t{ 1 } << 20;

[[noreturn]] void
ThrowError(const std::string & fileName, const std::string & reason)
{
  itkGenericExceptionMacro(<< itk::nibridge::NamingTheFile(fileName, reason));
}

/** The module of ITK's readers and of NiBabelImageIO (with its embedded Python), loaded only when a file reaches
 * those entries of the list: loading ITK's 21 IO libraries costs about 40 ms, as much as converting a 256^3 volume.
 * It hands over its ImageIO classes; ni2npy provides them to its own list. */
void
ProvideFromModule()
{
  static std::once_flag loaded;
  std::call_once(loaded, [] {
    std::string modulePath;
    if (const char * overridden = std::getenv("NI2NPY_IMAGEIO_MODULE"))
    {
      modulePath = overridden;
    }
    else
    {
      std::vector<char> executable(4096, '\0');
      const ssize_t     length = readlink("/proc/self/exe", executable.data(), executable.size() - 1);
      const std::string executablePath(executable.data(), length > 0 ? static_cast<std::size_t>(length) : 0);
      modulePath = executablePath.substr(0, executablePath.find_last_of('/') + 1) + NI2NPY_IMAGEIO_MODULE_RELATIVE_PATH;
    }
    void * module = dlopen(modulePath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr)
    {
      // The native readers keep working; the formats of the module are unavailable, and say why when asked for.
      std::cerr << "ni2npy: warning: the module of ITK's and nibabel's readers cannot be loaded: " << dlerror() << '\n';
      return;
    }
    using ImageIOsFunction = void (*)(itk::nibridge::ImageIOProvider, std::vector<itk::nibridge::ProvidedImageIO> *);
    const auto imageIOs = reinterpret_cast<ImageIOsFunction>(dlsym(module, "ni2npyModuleImageIOs"));
    if (imageIOs == nullptr)
    {
      std::cerr << "ni2npy: warning: " << modulePath << " has no ni2npyModuleImageIOs\n";
      return;
    }
    for (const auto provider : { itk::nibridge::ImageIOProvider::PythonBridge, itk::nibridge::ImageIOProvider::ITK })
    {
      std::vector<itk::nibridge::ProvidedImageIO> provided;
      imageIOs(provider, &provided);
      itk::nibridge::ImageIOList::Provide(provider, std::move(provided));
    }
  });
}

/** ITK's component type of a pixel, as ni2npy's element type (complex pixels: their parts' type). */
void
DescribePixels(const itk::ImageIOBase & imageIO, ImageSource & source)
{
  const auto component = itk::nibridge::ComponentTypeFromIOComponent(
    imageIO.GetComponentType(), imageIO.GetPixelType(), imageIO.GetNumberOfComponents());
  if (!component)
  {
    ThrowError(source.fileName,
               std::string("its pixels (") + itk::ImageIOBase::GetPixelTypeAsString(imageIO.GetPixelType()) + " of " +
                 itk::ImageIOBase::GetComponentTypeAsString(imageIO.GetComponentType()) +
                 ") are not supported; complex pixels must be pairs of float32 or float64");
  }
  source.complex = itk::nibridge::IsComplex(*component);
  source.valueType =
    source.complex ? (*component == ElementType::Complex64 ? ElementType::Float32 : ElementType::Float64) : *component;
  source.components = source.complex ? 1 : imageIO.GetNumberOfComponents();
  if (source.components == 0)
  {
    ThrowError(source.fileName, "its pixels have no components");
  }
}

/** Whether the reader reads any region on its own, cheaply: NiBridge's native readers (`native`) and NumPyImageIO.
 * ITK's and nibabel's would decompress a .gz file from its start for every slab, so they are read whole. */
bool
StreamsSlabs(itk::ImageIOBase & imageIO, bool native)
{
  return (native || dynamic_cast<itk::NumPyImageIO *>(&imageIO) != nullptr) && imageIO.CanStreamRead();
}
} // namespace

ImageSource::ImageSource(const std::string & name, bool float64)
    : fileName(name)
{
  static std::once_flag lazy;
  std::call_once(lazy, [] {
    itk::nibridge::ImageIOList::SetLazyProvider(itk::nibridge::ImageIOProvider::PythonBridge, ProvideFromModule);
    itk::nibridge::ImageIOList::SetLazyProvider(itk::nibridge::ImageIOProvider::ITK, ProvideFromModule);
  });
  m_ImageIO = itk::nibridge::ImageIOList::CreateImageIO(fileName, itk::IOFileModeEnum::ReadMode); // guards it first
  if (!m_ImageIO)
  {
    ThrowError(fileName, "no reader recognises this file (not an image format ITK or NiBridge reads)");
  }
  auto * nibabelRule = dynamic_cast<itk::NiBridgeImageIOBase *>(m_ImageIO.GetPointer());
  itk::nibridge::TakeMetaDataAfterRead(*m_ImageIO); // ni2npy reads no more of the dictionary than Read() completes
  readerName = m_ImageIO->GetNameOfClass();
  m_ImageIO->SetFileName(fileName);
  // For float64: the native readers' stored values, scaled here (as nibabel's get_fdata), so that scaling runs on the
  // converting thread; other readers' get_fdata() values as they give them. For other dtypes: nibabel's values.
  const bool native = nibabelRule != nullptr && std::string(readerName) != "NiBabelImageIO";
  if (nibabelRule != nullptr)
  {
    nibabelRule->SetValuesName(float64 ? (native ? "raw" : "float64") : "scaled");
    nibabelRule->ReadFifthAxisAsComponentsOff(); // the .npy has nibabel's axes, a 5-D file's five
  }
  // Readers that stream slabs never hold the image whole here: the guard's memory limit is for whole-image reads.
  if (native)
  {
    nibabelRule->CheckMemoryLimitOff();
  }
  if (auto * numPy = dynamic_cast<itk::NumPyImageIO *>(m_ImageIO.GetPointer()))
  {
    numPy->CheckMemoryLimitOff();
  }
  m_ImageIO->ReadImageInformation();
  // Unscaled stored values convert as any others, 64-bit integers checked for exactness.
  storedWithScaling =
    float64 && native && nibabelRule->GetStoredValueScaling(slope, intercept) && !(slope == 1.0 && intercept == 0.0);
  std::string storedDType;
  if (nibabelRule != nullptr && float64 && !native &&
      itk::ExposeMetaData<std::string>(
        m_ImageIO->GetMetaDataDictionary(), itk::NiBridgeImageIOBase::StoredDTypeMetaDataKey, storedDType) &&
      (storedDType.substr(1) == "i8" || storedDType.substr(1) == "u8"))
  {
    // get_fdata() rounds 64-bit integers to float64: read the stored values instead, so that the conversion to
    // float64 refuses the ones it would change (unless --allow-lossy). Scaled files give float64 values either way.
    nibabelRule->SetReadAsFloat64(false);
    m_ImageIO->ReadImageInformation();
  }
  DescribePixels(*m_ImageIO, *this);
  if (nibabelRule != nullptr && !nibabelRule->GetDecoderName().empty())
  {
    readerName += " (" + nibabelRule->GetDecoderName() + ")";
  }

  const unsigned int dimension = m_ImageIO->GetNumberOfDimensions();
  if (dimension < 1)
  {
    ThrowError(fileName, "the image has no dimensions");
  }
  if (nibabelRule != nullptr)
  {
    shape = nibabelRule->GetNiBabelShape();
    scaled = nibabelRule->GetValuesDifferFromStored() || storedWithScaling;
  }
  else
  {
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      shape.push_back(m_ImageIO->GetDimensions(axis));
    }
  }
  // A reader that keeps the file's own affine (NiBridge's) is taken at its word, bit for bit.
  const itk::MetaDataDictionary &    dictionary = m_ImageIO->GetMetaDataDictionary();
  const itk::nibridge::ImageGeometry geometry = itk::nibridge::GeometryOf(*m_ImageIO);
  std::string                        imageClass;
  hasAffine =
    geometry.sourceAffine.has_value() ||
    !itk::ExposeMetaData<std::string>(dictionary, itk::NiBridgeImageIOBase::ImageClassMetaDataKey, imageClass);
  if (!hasAffine)
  {
    readerName += " (" + imageClass + ": no voxel-to-world affine)";
  }
  else
  {
    affine = itk::nibridge::RASAffineFromGeometry(geometry, '"' + fileName + '"');
  }
  // Slabs of the highest axis whose slab holds at most SlabBytes: the whole last axis for a 3-D volume, single
  // volumes' planes for a 4-D one, so that chunks stay about a megabyte whatever the number of volumes.
  m_SlabAxis = dimension - 1;
  while (m_SlabAxis > 0 && GetVoxelsPerSlab() * GetBytesPerVoxel() > SlabBytes)
  {
    --m_SlabAxis;
  }
  if (!StreamsSlabs(*m_ImageIO, native))
  {
    // Not zero-filled (new char[], not a vector): the reader writes every byte, or throws.
    const auto              bytes = static_cast<std::size_t>(GetNumberOfVoxels() * GetBytesPerVoxel());
    std::unique_ptr<char[]> whole(new char[bytes]);
    ReadNext(whole.get(), GetNumberOfVoxels());
    m_Whole = std::move(whole);
    m_WholeBytes = bytes;
    m_Position = 0;
  }
}

ImageSource::~ImageSource() = default;

std::uint64_t
ImageSource::GetNumberOfVoxels() const
{
  std::uint64_t count = 1;
  for (const std::uint64_t extent : shape)
  {
    if (extent != 0 && count > std::numeric_limits<std::uint64_t>::max() / extent)
    {
      ThrowError(fileName, "the image size overflows");
    }
    count *= extent;
  }
  if (count > std::numeric_limits<std::uint64_t>::max() / GetBytesPerVoxel())
  {
    ThrowError(fileName, "the image size overflows");
  }
  return count;
}

std::uint64_t
ImageSource::GetVoxelsPerSlab() const
{
  std::uint64_t voxels = 1;
  for (unsigned int axis = 0; axis < m_SlabAxis; ++axis)
  {
    voxels *= m_ImageIO->GetDimensions(axis);
  }
  return voxels;
}

void
ImageSource::ReadNext(void * buffer, std::uint64_t voxelCount)
{
  const std::size_t bytes = static_cast<std::size_t>(voxelCount) * GetBytesPerVoxel();
  if (m_Whole != nullptr)
  {
    if (m_Position * GetBytesPerVoxel() + bytes > m_WholeBytes)
    {
      ThrowError(fileName, "read past the end of the image");
    }
    std::memcpy(buffer, m_Whole.get() + m_Position * GetBytesPerVoxel(), bytes);
    m_Position += voxelCount;
    return;
  }
  const unsigned int  dimension = m_ImageIO->GetNumberOfDimensions();
  const std::uint64_t slab = GetVoxelsPerSlab();
  const std::uint64_t line = slab * m_ImageIO->GetDimensions(m_SlabAxis); // every slab at one index of the higher axes
  auto * const        target = static_cast<char *>(buffer);
  for (std::uint64_t done = 0; done < voxelCount;)
  {
    // One region per line: whole slabs of the slab axis, at one index of each higher axis.
    const std::uint64_t position = m_Position + done;
    const std::uint64_t count = std::min(voxelCount - done, line - position % line);
    itk::ImageIORegion  region(dimension);
    std::uint64_t       higher = position / line;
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      const std::uint64_t extent = m_ImageIO->GetDimensions(axis);
      std::uint64_t       index = 0;
      std::uint64_t       size = extent;
      if (axis == m_SlabAxis)
      {
        index = position % line / slab;
        size = (count + slab - 1) / slab;
      }
      else if (axis > m_SlabAxis)
      {
        index = higher % extent;
        higher /= extent;
        size = 1;
      }
      region.SetIndex(axis, static_cast<itk::IndexValueType>(index));
      region.SetSize(axis, static_cast<itk::SizeValueType>(size));
    }
    m_ImageIO->SetIORegion(region);
    m_ImageIO->Read(target + done * GetBytesPerVoxel());
    done += count;
  }
  m_Position += voxelCount;
}

} // namespace ni2npy
