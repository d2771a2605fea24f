/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "ni2npyVolumeSource.h"

#include "ni2npyDataStream.h"

#include "itkMetaDataObject.h"
#include "itkNumPyImageIO.h"

#include <dlfcn.h>
#include <unistd.h>

#include <nifti1_io.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace ni2npy
{
namespace
{
std::runtime_error
Error(const std::string & fileName, const std::string & reason)
{
  return std::runtime_error("\"" + fileName + "\": " + reason);
}

template<typename T>
T
CheckedProduct(const std::vector<std::uint64_t> & values, const std::string & fileName)
{
  std::uint64_t product = 1;
  for (std::uint64_t value : values)
  {
    if (value != 0 && product > std::numeric_limits<std::uint64_t>::max() / value)
    {
      throw Error(fileName, "the image size overflows");
    }
    product *= value;
  }
  return static_cast<T>(product);
}

void
SwapBytes(void * buffer, std::uint64_t count, std::size_t elementSize)
{
  auto * bytes = static_cast<unsigned char *>(buffer);
  for (std::uint64_t index = 0; index < count; ++index, bytes += elementSize)
  {
    std::reverse(bytes, bytes + elementSize);
  }
}

/** The first bytes of a NIfTI / Analyze header as stored (the header file of a pair). */
std::vector<unsigned char>
ReadRawHeaderBytes(const std::string & name, std::size_t count)
{
  char *            headerName = nifti_findhdrname(name.c_str());
  const std::string headerFile = headerName ? headerName : name;
  free(headerName);
  znzFile file = znzopen(headerFile.c_str(), "rb", nifti_is_gzfile(headerFile.c_str()));
  if (znz_isnull(file))
  {
    throw Error(name, "cannot open the header file \"" + headerFile + "\"");
  }
  std::vector<unsigned char> bytes(count);
  const std::size_t          got = znzread(bytes.data(), 1, count, file);
  znzclose(file);
  bytes.resize(got);
  return bytes;
}

/** A volume whose voxels are one contiguous block of a data file, read front to back (with the
 * stream's end checked after the last voxel) and swapped to this machine's byte order if need be. */
class StreamVolumeSource : public VolumeSource
{
public:
  void
  ReadNext(void * buffer, std::uint64_t voxelCount) override
  {
    const std::uint64_t bytes = voxelCount * GetBytesPerVoxel();
    m_Data->Read(static_cast<char *>(buffer), bytes);
    m_BytesRead += bytes;
    if (m_BytesRead == GetNumberOfVoxels() * GetBytesPerVoxel())
    {
      m_Data->CheckEnd();
    }
    if (m_SwapElements && itk::nibridge::ComponentTypeSize(storedType) > 1)
    {
      SwapBytes(buffer, voxelCount * components * (complex ? 2 : 1), itk::nibridge::ComponentTypeSize(storedType));
    }
  }

protected:
  /** Opens the block (from `offset` in `dataFileName`) once the subclass knows where it is. */
  void
  OpenData(const std::string & dataFileName, std::uint64_t offset)
  {
    m_Data = OpenDataStream(fileName, dataFileName, offset);
    readerName += std::string(", ") + m_Data->GetDecoderName();
  }

  bool m_SwapElements = false;

private:
  std::unique_ptr<DataStream> m_Data;
  std::uint64_t               m_BytesRead = 0;
};

/** NIfTI-1 (.nii, .nii.gz, .hdr/.img pairs) and Analyze 7.5, through the NIfTI reference library
 * (the one ITK's NiftiImageIO wraps), with nibabel's affine and scaling. ITK's own reader returns
 * scaled data as float32, picks the qform over most sforms and refuses sheared affines; nibabel
 * does none of these. */
class NiftiVolumeSource final : public StreamVolumeSource
{
public:
  explicit NiftiVolumeSource(const std::string & name)
  {
    fileName = name;
    readerName = "NIfTI reference library (nibabel's affine and scaling rules)";
    nifti_set_debug_level(0);
    const std::vector<unsigned char> rawBytes = ReadRawHeaderBytes(name, 348);
    std::int32_t                     headerSize = 0;
    if (rawBytes.size() >= 4)
    {
      std::memcpy(&headerSize, rawBytes.data(), 4);
    }
    if (headerSize == 540 || headerSize == 0x1C020000)
    {
      throw Error(name, "a NIfTI-2 file: ITK 5.2 and the native reader read NIfTI-1 and Analyze only");
    }
    if (rawBytes.size() < 348)
    {
      throw Error(name, "the header is truncated: " + std::to_string(rawBytes.size()) + " of 348 bytes");
    }
    if (headerSize != 348 && headerSize != 0x5C010000)
    {
      throw Error(
        name, "not a NIfTI-1 or Analyze file: the header size field is " + std::to_string(headerSize) + ", not 348");
    }
    int              swapped = 0;
    nifti_1_header * header = nifti_read_header(name.c_str(), &swapped, 1);
    if (header == nullptr)
    {
      throw Error(name, "not a valid NIfTI-1 or Analyze header (unreadable, truncated or inconsistent)");
    }
    const nifti_1_header raw = *header;
    free(header);
    const bool isNifti = NIFTI_VERSION(raw) != 0;

    const int dimensions = raw.dim[0];
    if (dimensions < 1 || dimensions > 7)
    {
      throw Error(name, "dim[0] is " + std::to_string(dimensions) + "; it must be 1 to 7");
    }
    for (int axis = 1; axis <= dimensions; ++axis)
    {
      if (raw.dim[axis] < 1)
      {
        throw Error(name, "dim[" + std::to_string(axis) + "] is " + std::to_string(raw.dim[axis]));
      }
      shape.push_back(static_cast<std::uint64_t>(raw.dim[axis]));
    }
    SetType(raw.datatype);

    if (isNifti)
    {
      const double headerSlope = raw.scl_slope;
      const double headerIntercept = raw.scl_inter;
      // nibabel: a zero or non-finite slope means "no scaling"; a valid slope needs a finite intercept.
      if (headerSlope != 0.0 && std::isfinite(headerSlope))
      {
        if (!std::isfinite(headerIntercept))
        {
          throw Error(name, "valid scl_slope but invalid scl_inter");
        }
        slope = headerSlope;
        intercept = headerIntercept;
        scaled = !(slope == 1.0 && intercept == 0.0);
      }
      itk::nibridge::NiftiAffineFields fields;
      for (int index = 0; index < 8; ++index)
      {
        fields.dim[index] = raw.dim[index];
        fields.pixdim[index] = raw.pixdim[index];
      }
      fields.qformCode = raw.qform_code;
      fields.sformCode = raw.sform_code;
      fields.quaternB = raw.quatern_b;
      fields.quaternC = raw.quatern_c;
      fields.quaternD = raw.quatern_d;
      fields.qoffsetX = raw.qoffset_x;
      fields.qoffsetY = raw.qoffset_y;
      fields.qoffsetZ = raw.qoffset_z;
      std::copy(raw.srow_x, raw.srow_x + 4, fields.srowX.begin());
      std::copy(raw.srow_y, raw.srow_y + 4, fields.srowY.begin());
      std::copy(raw.srow_z, raw.srow_z + 4, fields.srowZ.begin());
      affine = itk::nibridge::NiBabelAffineFromNiftiFields(fields, "\"" + name + "\"");
    }
    else
    {
      SetAnalyzeAffine(rawBytes, raw, swapped != 0);
    }
    itk::nibridge::ValidateRASAffine(affine, "\"" + name + "\"");

    nifti_image * image = nifti_image_read(name.c_str(), 0);
    if (image == nullptr)
    {
      throw Error(name, "the NIfTI library could not read the header");
    }
    m_ImageFileName = image->iname ? image->iname : "";
    m_SwapElements = image->byteorder != nifti_short_order();
    nifti_image_free(image);

    // nibabel reads from int(vox_offset) as stored, even where the NIfTI library would correct it.
    if (!(raw.vox_offset >= 0.0f) || !std::isfinite(raw.vox_offset))
    {
      throw Error(name, "vox_offset is " + std::to_string(raw.vox_offset) + "; it must be a byte offset");
    }
    OpenData(m_ImageFileName, static_cast<std::uint64_t>(raw.vox_offset));
  }

private:
  void
  SetType(int datatype)
  {
    switch (datatype)
    {
      case DT_INT8:
        storedType = ElementType::Int8;
        break;
      case DT_UINT8:
        storedType = ElementType::UInt8;
        break;
      case DT_INT16:
        storedType = ElementType::Int16;
        break;
      case DT_UINT16:
        storedType = ElementType::UInt16;
        break;
      case DT_INT32:
        storedType = ElementType::Int32;
        break;
      case DT_UINT32:
        storedType = ElementType::UInt32;
        break;
      case DT_INT64:
        storedType = ElementType::Int64;
        break;
      case DT_UINT64:
        storedType = ElementType::UInt64;
        break;
      case DT_FLOAT32:
        storedType = ElementType::Float32;
        break;
      case DT_FLOAT64:
        storedType = ElementType::Float64;
        break;
      case DT_COMPLEX64:
        storedType = ElementType::Float32;
        complex = true;
        break;
      case DT_COMPLEX128:
        storedType = ElementType::Float64;
        complex = true;
        break;
      case DT_RGB24:
        storedType = ElementType::UInt8;
        components = 3;
        break;
      case DT_RGBA32:
        storedType = ElementType::UInt8;
        components = 4;
        break;
      default:
        throw Error(fileName,
                    std::string("NIfTI datatype ") + std::to_string(datatype) + " (" + nifti_datatype_string(datatype) +
                      ") is not supported");
    }
  }

  /** nibabel loads a plain Analyze header as an SPM2 image: the scale factor is funused1 (with
   * funused2 as intercept), else derived from the glmax/glmin and cal_max/cal_min ranges. */
  void
  SetSpm2Scaling(const nifti_1_header & raw)
  {
    const double headerSlope = raw.scl_slope; // SPM's funused1
    if (std::isfinite(headerSlope) && headerSlope != 0.0)
    {
      slope = headerSlope;
      intercept = std::isfinite(raw.scl_inter) ? static_cast<double>(raw.scl_inter) : 0.0;
    }
    else
    {
      const std::int64_t unscaledRange = static_cast<std::int64_t>(raw.glmax) - raw.glmin;
      const float        scaledRange = raw.cal_max - raw.cal_min; // float32 arithmetic, as in nibabel
      if (unscaledRange == 0 || scaledRange == 0.0f)
      {
        return;
      }
      slope = static_cast<double>(scaledRange) / static_cast<double>(unscaledRange);
      intercept = static_cast<double>(raw.cal_min) - slope * static_cast<double>(raw.glmin);
    }
    scaled = !(slope == 1.0 && intercept == 0.0);
  }

  /** The SPM2 affine: from the SPM origin field (1-based voxel of the origin), else the volume's
   * centre; x flipped. */
  void
  SetAnalyzeAffine(const std::vector<unsigned char> & bytes, const nifti_1_header & raw, bool swapped)
  {
    // The 'originator' field sits at bytes 253..262 of the Analyze header, unaligned: read the raw bytes.
    SetSpm2Scaling(raw);
    double origin[3];
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      unsigned char pair[2] = { bytes[253 + 2 * axis], bytes[254 + 2 * axis] };
      if (swapped)
      {
        std::swap(pair[0], pair[1]);
      }
      std::int16_t value;
      std::memcpy(&value, pair, 2);
      origin[axis] = value;
    }
    double dims[3], zooms[3];
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      dims[axis] = axis < static_cast<unsigned int>(raw.dim[0]) ? raw.dim[axis + 1] : 1;
      // nibabel fixes negative and zero pixdims on load.
      float zoom = std::abs(raw.pixdim[axis + 1]);
      zooms[axis] = zoom == 0.0f ? 1.0 : static_cast<double>(zoom);
    }
    zooms[0] = -zooms[0];
    bool anyOrigin = false, originInside = true;
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      anyOrigin = anyOrigin || origin[axis] != 0.0;
      originInside = originInside && origin[axis] > -dims[axis] && origin[axis] < dims[axis] * 2;
    }
    affine = itk::nibridge::AffineMatrix{};
    affine[3][3] = 1.0;
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      const double originVoxel = (anyOrigin && originInside) ? origin[axis] - 1.0 : (dims[axis] - 1.0) / 2.0;
      affine[axis][axis] = zooms[axis];
      affine[axis][3] = -originVoxel * zooms[axis];
    }
  }

  std::string m_ImageFileName;
};

/** Every other format ITK 5.2 reads, through its ImageIO factory: the whole image is read once,
 * then handed out in chunks. The affine is the image's geometry in nibabel's RAS+ convention. */
class ITKVolumeSource final : public VolumeSource
{
public:
  ITKVolumeSource(const std::string & name, itk::ImageIOBase * imageIO)
      : m_ImageIO(imageIO)
  {
    fileName = name;
    m_ImageIO->SetFileName(name);
    m_ImageIO->ReadImageInformation();
    readerName = std::string("ITK ") + m_ImageIO->GetNameOfClass();

    const auto stored = itk::nibridge::ComponentTypeFromIOComponent(m_ImageIO->GetComponentType());
    if (!stored)
    {
      throw Error(name,
                  std::string("ITK component type ") +
                    itk::ImageIOBase::GetComponentTypeAsString(m_ImageIO->GetComponentType()) + " is not supported");
    }
    storedType = *stored;
    const unsigned int dimension = m_ImageIO->GetNumberOfDimensions();
    if (dimension < 1)
    {
      throw Error(name, "the image has no dimensions");
    }
    itk::nibridge::ImageGeometry geometry = itk::nibridge::ImageGeometry::Identity(dimension);
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      shape.push_back(m_ImageIO->GetDimensions(axis));
      geometry.spacing[axis] = m_ImageIO->GetSpacing(axis);
      geometry.origin[axis] = m_ImageIO->GetOrigin(axis);
      const std::vector<double> column = m_ImageIO->GetDirection(axis);
      for (unsigned int row = 0; row < dimension && row < column.size(); ++row)
      {
        geometry.direction[row][axis] = column[row];
      }
    }
    if (m_ImageIO->GetPixelType() == itk::IOPixelEnum::COMPLEX)
    {
      if (m_ImageIO->GetNumberOfComponents() != 2 || !itk::nibridge::IsFloatingPoint(storedType))
      {
        throw Error(name, "complex pixels must be pairs of float32 or float64");
      }
      complex = true;
    }
    else
    {
      components = m_ImageIO->GetNumberOfComponents();
    }
    // A reader that keeps the file's own affine (NiBabelImageIO) is taken at its word, bit for bit.
    const itk::MetaDataDictionary & dictionary = m_ImageIO->GetMetaDataDictionary();
    if (const auto stored = itk::nibridge::StoredRASAffine(dictionary))
    {
      affine = *stored;
    }
    else
    {
      affine = itk::nibridge::RASAffineFromGeometry(geometry, "\"" + name + "\"");
      // nibabel images without an affine (CIFTI-2) get an identity geometry that is no real placement.
      std::string imageClass;
      hasAffine = !itk::ExposeMetaData<std::string>(dictionary, "NiBabel_ImageClass", imageClass);
      if (!hasAffine)
      {
        readerName += " (" + imageClass + ": no voxel-to-world affine)";
      }
    }

    m_Buffer.resize(CheckedProduct<std::size_t>(shape, name) * GetBytesPerVoxel());
    itk::ImageIORegion region(dimension);
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      region.SetIndex(axis, 0);
      region.SetSize(axis, shape[axis]);
    }
    m_ImageIO->SetIORegion(region);
    m_ImageIO->Read(m_Buffer.data());
  }

  void
  ReadNext(void * buffer, std::uint64_t voxelCount) override
  {
    const std::size_t bytes = static_cast<std::size_t>(voxelCount) * GetBytesPerVoxel();
    if (m_Position + bytes > m_Buffer.size())
    {
      throw Error(fileName, "read past the end of the image");
    }
    std::memcpy(buffer, m_Buffer.data() + m_Position, bytes);
    m_Position += bytes;
  }

private:
  itk::ImageIOBase::Pointer m_ImageIO;
  std::vector<char>         m_Buffer;
  std::size_t               m_Position = 0;
};

/** A function of the module of ITK's readers (and of the nibabel reader), loaded on first use. */
void *
ITKReadersFunction(const char * name)
{
  static void * module = [] {
    std::string modulePath;
    if (const char * overridden = std::getenv("NI2NPY_ITK_READERS"))
    {
      modulePath = overridden;
    }
    else
    {
      std::vector<char> executable(4096, '\0');
      const ssize_t     length = readlink("/proc/self/exe", executable.data(), executable.size() - 1);
      const std::string executablePath(executable.data(), length > 0 ? static_cast<std::size_t>(length) : 0);
      modulePath = executablePath.substr(0, executablePath.find_last_of('/') + 1) + NI2NPY_ITK_READERS_RELATIVE_PATH;
    }
    void * handle = dlopen(modulePath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
    {
      throw std::runtime_error(std::string("the module of ITK's readers cannot be loaded: ") + dlerror());
    }
    return handle;
  }();
  void * function = dlsym(module, name);
  if (function == nullptr)
  {
    throw std::runtime_error(std::string("the module of ITK's readers has no ") + name);
  }
  return function;
}

/** The ImageIO for `fileName` from the module of ITK's readers. */
itk::ImageIOBase::Pointer
CreateImageIOWithITKReaders(const std::string & fileName, bool readAsFloat64)
{
  using CreateFunction = itk::ImageIOBase * (*)(const char *, int);
  static auto               create = reinterpret_cast<CreateFunction>(ITKReadersFunction("ni2npyCreateImageIO"));
  itk::ImageIOBase::Pointer imageIO = create(fileName.c_str(), readAsFloat64 ? 1 : 0);
  if (imageIO)
  {
    imageIO->UnRegister(); // adopt the reference the module held for us
  }
  return imageIO;
}

/** nibabel's description of the one contiguous block its array proxy would read (JSON), or empty. */
std::string
DescribeNiBabelProxy(const std::string & fileName)
{
  using DescribeFunction = int (*)(const char *, std::string *);
  static auto describe = reinterpret_cast<DescribeFunction>(ITKReadersFunction("ni2npyDescribeNiBabelProxy"));
  std::string description;
  return describe(fileName.c_str(), &description) ? description : std::string();
}

/** A file nibabel parsed whose voxels lie in one contiguous block of a plain or gzip file (nibabel's
 * plain ArrayProxy: MGH/MGZ, NIfTI-2, ...): nibabel gives the block, the affine and the scaling; ni2npy
 * reads the block as the proxy would, with nibabel's scaling, without a Python copy of the data. */
class NiBabelProxyVolumeSource final : public StreamVolumeSource
{
public:
  NiBabelProxyVolumeSource(const std::string & name, const std::string & descriptionText)
  {
    fileName = name;
    const nlohmann::json description = nlohmann::json::parse(descriptionText);
    readerName = "nibabel (" + description.at("image_class").get<std::string>() + "), voxels read natively";
    for (const auto & extent : description.at("shape"))
    {
      shape.push_back(extent.get<std::uint64_t>());
    }
    const std::string dtype = description.at("dtype");
    const char        kind = dtype.at(1);
    const int         size = std::stoi(dtype.substr(2));
    complex = kind == 'c';
    const int  elementSize = complex ? size / 2 : size;
    const char numpyKind = complex ? 'f' : kind;
    const auto stored = itk::nibridge::ComponentTypeFromName(std::string(numpyKind == 'f'   ? "float"
                                                                         : numpyKind == 'u' ? "uint"
                                                                                            : "int") +
                                                             std::to_string(8 * elementSize));
    if (!stored)
    {
      throw Error(name, "nibabel's dtype " + dtype + " is not supported");
    }
    storedType = *stored;
    m_SwapElements = dtype[0] == '>' && elementSize > 1; // this machine is little-endian (x86-64, arm64)
    slope = std::stod(description.at("slope").get<std::string>());
    intercept = std::stod(description.at("inter").get<std::string>());
    scaled = !(slope == 1.0 && intercept == 0.0);
    const auto & affineTexts = description.at("affine");
    for (unsigned int element = 0; element < 16; ++element)
    {
      affine[element / 4][element % 4] = std::stod(affineTexts.at(element).get<std::string>());
    }
    OpenData(description.at("file"), description.at("offset").get<std::uint64_t>());
  }
};

bool
HasSuffix(const std::string & fileName, const std::string & suffix)
{
  std::string lower = fileName;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.size() > suffix.size() && lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/** True if the header's size field says NIfTI-2 (540, in either byte order). */
bool
IsNifti2(const std::string & fileName)
{
  const std::vector<unsigned char> bytes = ReadRawHeaderBytes(fileName, 4);
  std::int32_t                     headerSize = 0;
  if (bytes.size() == 4)
  {
    std::memcpy(&headerSize, bytes.data(), 4);
  }
  return headerSize == 540 || headerSize == 0x1C020000;
}

bool
HasNiftiExtension(const std::string & fileName)
{
  const char * const extensions[] = { ".nii", ".nii.gz", ".hdr", ".img", ".hdr.gz", ".img.gz" };
  return std::any_of(std::begin(extensions), std::end(extensions), [&fileName](const char * extension) {
    return HasSuffix(fileName, extension);
  });
}
} // namespace

std::uint64_t
VolumeSource::GetNumberOfVoxels() const
{
  return CheckedProduct<std::uint64_t>(shape, fileName);
}

std::unique_ptr<VolumeSource>
OpenVolume(const std::string & fileName, bool preferFloat64)
{
  {
    std::ifstream probe(fileName, std::ios::binary);
    if (!probe)
    {
      throw Error(fileName, std::string("cannot open: ") + std::strerror(errno));
    }
  }
  const bool nifti = HasNiftiExtension(fileName);
  if (nifti && !IsNifti2(fileName))
  {
    return std::make_unique<NiftiVolumeSource>(fileName);
  }
  itk::ImageIOBase::Pointer imageIO;
  if (HasSuffix(fileName, ".npy"))
  {
    imageIO = itk::NumPyImageIO::New();
  }
  else
  {
    const std::string proxy = DescribeNiBabelProxy(fileName);
    if (!proxy.empty())
    {
      return std::make_unique<NiBabelProxyVolumeSource>(fileName, proxy);
    }
    imageIO = CreateImageIOWithITKReaders(fileName, preferFloat64);
  }
  if (!imageIO)
  {
    throw Error(fileName,
                nifti ? "a NIfTI-2 file, and this build has no nibabel reader for it"
                      : "no reader recognises this file (not an image format ITK or NiBridge reads)");
  }
  try
  {
    return std::make_unique<ITKVolumeSource>(fileName, imageIO);
  }
  catch (const itk::ExceptionObject & exception)
  {
    // NiBridge's readers name the file themselves; ITK's do not.
    const std::string description = exception.GetDescription();
    const std::string quotedName = "\"" + fileName + "\"";
    if (description.find(quotedName) != std::string::npos)
    {
      throw std::runtime_error(description);
    }
    throw Error(fileName, description);
  }
}

} // namespace ni2npy
