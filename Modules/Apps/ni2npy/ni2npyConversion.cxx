/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "ni2npyConversion.h"

#include "ni2npyVolumeSource.h"
#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNpyFormat.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <future>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

namespace ni2npy
{
namespace
{
constexpr std::uint64_t ChunkBytes = std::uint64_t{ 8 } << 20;

std::runtime_error
Error(const std::string & fileName, const std::string & reason)
{
  return std::runtime_error("\"" + fileName + "\": " + reason);
}

/** The requested output: an element type, and whether elements are (real, imaginary) pairs. */
struct TargetType
{
  ElementType element = ElementType::Float64;
  bool        complex = false;
};

TargetType
ChooseTarget(const VolumeSource & source, const std::string & dtype)
{
  TargetType target;
  if (dtype == "keep")
  {
    // Stored values as stored; scaled files hold nibabel's float64 values (get_fdata's).
    target.element = source.scaled ? ElementType::Float64 : source.storedType;
    target.complex = source.complex;
    return target;
  }
  if (dtype == "complex64" || dtype == "complex128")
  {
    target.element = dtype == "complex64" ? ElementType::Float32 : ElementType::Float64;
    target.complex = true;
    return target;
  }
  if (!ElementTypeFromName(dtype, target.element))
  {
    throw std::invalid_argument("unknown dtype \"" + dtype + "\"");
  }
  if (source.complex)
  {
    throw Error(source.fileName,
                "the data are complex and --dtype " + dtype +
                  " would drop the imaginary part; use --dtype keep, complex64 or complex128");
  }
  return target;
}

/** True if every value of S converts to T exactly, so no value needs checking. */
template<typename S, typename T>
constexpr bool
EveryValueFits()
{
  if constexpr (std::is_same_v<S, T>)
  {
    return true;
  }
  else if constexpr (std::is_floating_point_v<T>)
  {
    if constexpr (std::is_floating_point_v<S>)
    {
      return sizeof(T) >= sizeof(S);
    }
    else
    {
      return std::numeric_limits<S>::digits <= std::numeric_limits<T>::digits;
    }
  }
  else if constexpr (std::is_floating_point_v<S>)
  {
    return false;
  }
  else
  {
    return static_cast<long double>(std::numeric_limits<S>::lowest()) >=
             static_cast<long double>(std::numeric_limits<T>::lowest()) &&
           static_cast<long double>(std::numeric_limits<S>::max()) <=
             static_cast<long double>(std::numeric_limits<T>::max());
  }
}

/** True if `value` (of type S) is exactly representable in T. long double holds every 64-bit integer. */
template<typename S, typename T>
bool
ConvertsExactly(S value)
{
  if constexpr (std::is_floating_point_v<T>)
  {
    if constexpr (std::is_floating_point_v<S>)
    {
      if (std::isnan(value))
      {
        return true;
      }
    }
    return static_cast<long double>(static_cast<T>(value)) == static_cast<long double>(value);
  }
  else
  {
    if constexpr (std::is_floating_point_v<S>)
    {
      if (!(value == std::trunc(value)))
      {
        return false; // fractions and NaN
      }
    }
    const auto wide = static_cast<long double>(value);
    return wide >= static_cast<long double>(std::numeric_limits<T>::lowest()) &&
           wide <= static_cast<long double>(std::numeric_limits<T>::max());
  }
}

/** The --allow-lossy conversion: floats round to nearest and saturate (NaN becomes 0), integers saturate. */
template<typename S, typename T>
T
ConvertSaturating(S value)
{
  if constexpr (std::is_floating_point_v<T>)
  {
    return static_cast<T>(value);
  }
  else
  {
    long double wide = static_cast<long double>(value);
    if constexpr (std::is_floating_point_v<S>)
    {
      if (std::isnan(value))
      {
        return T{ 0 };
      }
      wide = std::nearbyint(wide);
    }
    if (wide <= static_cast<long double>(std::numeric_limits<T>::lowest()))
    {
      return std::numeric_limits<T>::lowest();
    }
    if (wide >= static_cast<long double>(std::numeric_limits<T>::max()))
    {
      return std::numeric_limits<T>::max();
    }
    return static_cast<T>(wide);
  }
}

/** Converts `count` elements; returns the index of the first value that does not convert exactly
 * (only looked for when lossy conversions are refused), or `count`. */
template<typename S, typename T>
std::size_t
ConvertElements(const S * input, T * output, std::size_t count, bool allowLossy)
{
  if constexpr (EveryValueFits<S, T>())
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      output[index] = static_cast<T>(input[index]);
    }
  }
  else if (allowLossy)
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      output[index] = ConvertSaturating<S, T>(input[index]);
    }
  }
  else
  {
    for (std::size_t index = 0; index < count; ++index)
    {
      if (!ConvertsExactly<S, T>(input[index]))
      {
        return index;
      }
      output[index] = static_cast<T>(input[index]);
    }
  }
  return count;
}

/** nibabel's read scaling, in float64 and in its order: multiply, then add (two roundings, no FMA). */
template<typename S>
void
ScaleElements(const S * input, double * output, std::size_t count, double slope, double intercept)
{
  for (std::size_t index = 0; index < count; ++index)
  {
    double value = static_cast<double>(input[index]);
    if (slope != 1.0)
    {
      value = value * slope;
    }
    if (intercept != 0.0)
    {
      value = value + intercept;
    }
    output[index] = value;
  }
}

template<typename T>
std::string
DescribeValue(const void * elements, std::size_t index)
{
  std::ostringstream text;
  text.precision(17);
  const T value = static_cast<const T *>(elements)[index];
  if constexpr (sizeof(T) == 1)
  {
    text << static_cast<int>(value);
  }
  else
  {
    text << value;
  }
  return text.str();
}

void
RefuseExistingOutput(const std::string & path, bool force)
{
  if (path.empty())
  {
    return;
  }
  struct stat status;
  if (stat(path.c_str(), &status) == 0)
  {
    if (!force)
    {
      throw Error(path, "the output exists; not overwritten (use --force)");
    }
    if (S_ISDIR(status.st_mode))
    {
      throw Error(path, "the output is a directory");
    }
  }
}

/** Converts one chunk of interleaved source elements to the target type, planar per component. */
class ChunkConverter
{
public:
  ChunkConverter(const VolumeSource & source, const TargetType & target, bool allowLossy)
      : m_Source(source)
      , m_Target(target)
      , m_AllowLossy(allowLossy)
  {}

  /** Converts `elementCount` elements of `input`; the result is in `output` (interleaved as the input). */
  void
  Convert(const void * input, std::size_t elementCount, std::vector<char> & output, std::uint64_t firstElement)
  {
    output.resize(elementCount * ElementSize(m_Target.element));
    const void * values = input;
    ElementType  valueType = m_Source.storedType;
    if (m_Source.scaled)
    {
      m_Scaled.resize(elementCount);
      Dispatch(valueType, [&](auto stored) {
        using S = decltype(stored);
        ScaleElements(static_cast<const S *>(input), m_Scaled.data(), elementCount, m_Source.slope, m_Source.intercept);
      });
      values = m_Scaled.data();
      valueType = ElementType::Float64;
    }
    Dispatch(valueType, [&](auto sourceValue) {
      using S = decltype(sourceValue);
      Dispatch(m_Target.element, [&](auto targetValue) {
        using T = decltype(targetValue);
        const std::size_t failed = ConvertElements(
          static_cast<const S *>(values), reinterpret_cast<T *>(output.data()), elementCount, m_AllowLossy);
        if (failed != elementCount)
        {
          throw Error(m_Source.fileName,
                      "converting to " + ElementTypeName(m_Target.element) + " would change values (element " +
                        std::to_string(firstElement + failed) + " is " + DescribeValue<S>(values, failed) +
                        "); choose another --dtype or pass --allow-lossy");
        }
      });
    });
  }

private:
  const VolumeSource & m_Source;
  TargetType           m_Target;
  bool                 m_AllowLossy;
  std::vector<double>  m_Scaled;
};

/** Writes the 4x4 RAS+ affine (float64, C order, as nibabel's `img.affine`) to a temporary file,
 * left for the caller to commit once the image itself is in place. */
std::unique_ptr<itk::nibridge::AtomicFileWriter>
WriteAffine(const VolumeSource & source, const ConversionOptions & options)
{
  auto              file = std::make_unique<itk::nibridge::AtomicFileWriter>(options.affineOutput);
  const std::string header =
    itk::nibridge::MakeNpyHeader(itk::nibridge::NpyDescrFor(itk::IOComponentEnum::DOUBLE), false, { 4, 4 });
  file->Write(header.data(), header.size());
  file->Write(source.affine.data(), sizeof(source.affine));
  return file;
}
} // namespace

const char *
SupportedDTypeNames()
{
  return "float64, float32, int8, uint8, int16, uint16, int32, uint32, int64, uint64, complex64, complex128, keep";
}

void
Convert(const ConversionOptions & options)
{
  RefuseExistingOutput(options.output, options.force);
  RefuseExistingOutput(options.affineOutput, options.force);

  std::unique_ptr<VolumeSource> source = OpenVolume(options.input);
  const TargetType              target = ChooseTarget(*source, options.dtype);

  std::vector<std::uint64_t> shape = source->shape;
  if (source->components > 1)
  {
    shape.push_back(source->components);
  }
  const std::uint64_t voxelCount = source->GetNumberOfVoxels();
  const unsigned int  elementsPerVoxel = source->components * (source->complex ? 2 : 1);
  const std::size_t   targetSize = ElementSize(target.element);
  const bool          planar = source->components > 1; // components trailing: one plane per component

  if (options.verbose)
  {
    std::cerr << "ni2npy: " << options.input << " read by " << source->readerName << "; stored "
              << (source->complex ? "complex " : "") << ElementTypeName(source->storedType)
              << (source->scaled ? " (scaled)" : "") << " -> " << (target.complex ? "complex " : "")
              << ElementTypeName(target.element) << '\n';
  }

  itk::nibridge::AtomicFileWriter file(options.output);
  const std::string               header = itk::nibridge::MakeNpyHeader(
    itk::nibridge::NpyDescrFor(ITKComponentTypeOf(target.element), target.complex), true, shape);
  file.WriteAt(header.data(), header.size(), 0);

  // Decompression (reading) of the next chunk overlaps conversion and writing of this one.
  const std::uint64_t voxelsPerChunk =
    std::max<std::uint64_t>(1, ChunkBytes / std::max<std::size_t>(1, source->GetBytesPerVoxel()));
  std::vector<char> readBuffers[2];
  auto              startRead = [&](int bufferIndex, std::uint64_t count) {
    readBuffers[bufferIndex].resize(static_cast<std::size_t>(count) * source->GetBytesPerVoxel());
    return std::async(std::launch::async, [&source, &readBuffers, bufferIndex, count] {
      source->ReadNext(readBuffers[bufferIndex].data(), count);
    });
  };

  ChunkConverter    converter(*source, target, options.allowLossy);
  std::vector<char> converted;
  std::vector<char> plane;
  std::uint64_t     firstVoxel = 0;
  int               current = 0;
  std::future<void> pending = startRead(current, std::min(voxelsPerChunk, voxelCount));
  while (firstVoxel < voxelCount)
  {
    const std::uint64_t count = std::min(voxelsPerChunk, voxelCount - firstVoxel);
    pending.get();
    const std::uint64_t nextFirst = firstVoxel + count;
    if (nextFirst < voxelCount)
    {
      pending = startRead(1 - current, std::min(voxelsPerChunk, voxelCount - nextFirst));
    }
    const std::size_t elementCount = static_cast<std::size_t>(count) * elementsPerVoxel;
    converter.Convert(readBuffers[current].data(), elementCount, converted, firstVoxel * elementsPerVoxel);
    if (!planar)
    {
      file.WriteAt(converted.data(), converted.size(), header.size() + firstVoxel * elementsPerVoxel * targetSize);
    }
    else
    {
      plane.resize(static_cast<std::size_t>(count) * targetSize);
      for (unsigned int component = 0; component < source->components; ++component)
      {
        for (std::uint64_t voxel = 0; voxel < count; ++voxel)
        {
          std::memcpy(plane.data() + voxel * targetSize,
                      converted.data() + (voxel * source->components + component) * targetSize,
                      targetSize);
        }
        file.WriteAt(plane.data(), plane.size(), header.size() + (component * voxelCount + firstVoxel) * targetSize);
      }
    }
    firstVoxel = nextFirst;
    current = 1 - current;
  }
  std::unique_ptr<itk::nibridge::AtomicFileWriter> affineFile;
  if (!options.affineOutput.empty())
  {
    affineFile = WriteAffine(*source, options);
  }
  file.Commit(options.force);
  if (affineFile)
  {
    affineFile->Commit(options.force);
  }
}

} // namespace ni2npy
