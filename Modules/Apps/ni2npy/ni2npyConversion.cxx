/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "ni2npyConversion.h"

#include "ni2npyImageSource.h"
#include "itkNiBridgeAtomicFileWriter.h"
#include "itkNiBridgeErrorText.h"
#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeReadAhead.h"
#include "itkNpyFormat.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace ni2npy
{
namespace
{
constexpr std::uint64_t OutputChunkBytes = std::uint64_t{ 1 } << 20;

constexpr const char * StandardOutput = "-";

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
ChooseTarget(const ImageSource & source, const std::string & dtype)
{
  TargetType target;
  if (dtype == "keep")
  {
    // nibabel's values in nibabel's dtype: the stored ones, float64 for scaled NIfTI files.
    target.element = source.valueType;
    target.complex = source.complex;
    return target;
  }
  if (dtype == "complex64" || dtype == "complex128")
  {
    target.element = dtype == "complex64" ? ElementType::Float32 : ElementType::Float64;
    target.complex = true;
    return target;
  }
  const auto element = itk::nibridge::ComponentTypeFromName(dtype);
  if (!element || *element == ElementType::Bool || itk::nibridge::IsComplex(*element))
  {
    throw std::invalid_argument("unknown dtype \"" + dtype + "\"");
  }
  target.element = *element;
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
  if (path.empty() || path == StandardOutput)
  {
    return;
  }
  // A FIFO or a device holds no file to lose: written to without --force.
  struct stat status;
  if (stat(path.c_str(), &status) == 0 && (S_ISREG(status.st_mode) || S_ISDIR(status.st_mode)))
  {
    if (S_ISDIR(status.st_mode))
    {
      throw Error(path, "the output is a directory");
    }
    if (!force)
    {
      throw OutputExists("\"" + path + "\": the output exists; not overwritten (use --force or --skip-existing)");
    }
  }
}

std::unique_ptr<itk::nibridge::AtomicFileWriter>
OpenOutput(const std::string & path)
{
  return path == StandardOutput ? std::make_unique<itk::nibridge::AtomicFileWriter>(STDOUT_FILENO, "standard output")
                                : std::make_unique<itk::nibridge::AtomicFileWriter>(path);
}

/** A buffer that is not zero-filled: every byte is written before it is read. */
class Buffer
{
public:
  explicit Buffer(std::size_t byteCount = 0)
      : m_Bytes(byteCount ? new char[byteCount] : nullptr)
  {}
  char *
  data() const
  {
    return m_Bytes.get();
  }

private:
  std::unique_ptr<char[]> m_Bytes;
};

/** Converts chunks of interleaved source elements (nibabel's values, as the reader delivers them) to the target type.
 */
class ChunkConverter
{
public:
  ChunkConverter(const ImageSource & source, const TargetType & target, bool allowLossy)
      : m_Source(source)
      , m_Target(target)
      , m_AllowLossy(allowLossy)
  {}

  /** Whether the target holds the source's values as they are: no conversion, the chunk is written itself. */
  bool
  IsIdentity() const
  {
    return !m_Source.storedWithScaling && m_Target.element == m_Source.valueType &&
           m_Target.complex == m_Source.complex;
  }

  /** Converts `elementCount` elements of `input` into `output` (interleaved as the input). */
  void
  Convert(const void * input, std::size_t elementCount, char * output, std::uint64_t firstElement) const
  {
    if (m_Source.storedWithScaling)
    {
      // nibabel's get_fdata(): Core's scaling of the stored values, the target being float64.
      itk::nibridge::ScaleToFloat64(m_Source.valueType,
                                    input,
                                    reinterpret_cast<double *>(output),
                                    elementCount,
                                    m_Source.slope,
                                    m_Source.intercept);
      return;
    }
    itk::nibridge::Dispatch(m_Source.valueType, ElementTypes{}, [&](auto sourceValue) {
      using S = decltype(sourceValue);
      itk::nibridge::Dispatch(m_Target.element, ElementTypes{}, [&](auto targetValue) {
        using T = decltype(targetValue);
        const std::size_t failed =
          ConvertElements(static_cast<const S *>(input), reinterpret_cast<T *>(output), elementCount, m_AllowLossy);
        if (failed != elementCount)
        {
          itkGenericExceptionMacro(<< '"' << m_Source.fileName << "\": converting to "
                                   << itk::nibridge::ComponentTypeName(m_Target.element)
                                   << " would change values (element " << firstElement + failed << " is "
                                   << DescribeValue<S>(input, failed)
                                   << "); choose another --dtype or pass --allow-lossy");
        }
      });
    });
  }

private:
  const ImageSource & m_Source;
  TargetType          m_Target;
  bool                m_AllowLossy;
};

/** Writes the 4x4 RAS+ affine (float64, C order, as nibabel's `img.affine`) to a temporary file,
 * left for the caller to commit once the image itself is in place. */
std::unique_ptr<itk::nibridge::AtomicFileWriter>
WriteAffine(const ImageSource & source, const ConversionOptions & options)
{
  auto              file = OpenOutput(options.affineOutput);
  const std::string header =
    itk::nibridge::MakeNpyHeader(itk::nibridge::NpyDescrFor(itk::IOComponentEnum::DOUBLE), false, { 4, 4 });
  file->Write(header.data(), header.size());
  file->Write(source.affine.data(), sizeof(source.affine));
  return file;
}
} // namespace

std::string
FailureLine(std::exception_ptr error, const std::string & input, bool verbose)
{
  try
  {
    std::rethrow_exception(error);
  }
  catch (const itk::ExceptionObject & exception)
  {
    return itk::nibridge::NamingTheFile(input, itk::nibridge::OneLineReason(exception.GetDescription(), verbose));
  }
  catch (const std::exception & exception)
  {
    // ni2npy's own errors name their file, the output's among them ("\"<file>\": <reason>"); others are the input's.
    const std::string reason = itk::nibridge::OneLineReason(exception.what(), verbose);
    return reason.rfind('"', 0) == 0 ? reason : itk::nibridge::NamingTheFile(input, reason);
  }
  catch (...)
  {
    return itk::nibridge::NamingTheFile(input, "an unknown error");
  }
}

std::vector<std::string>
SupportedDTypeNames()
{
  // Core's table, float64 (the default) first; bool has no place in a conversion's output.
  std::vector<std::string> names = { "float64" };
  for (const ElementType type : itk::nibridge::AllComponentTypes)
  {
    if (type != ElementType::Bool && type != ElementType::Float64)
    {
      names.emplace_back(itk::nibridge::ComponentTypeName(type));
    }
  }
  names.emplace_back("keep");
  return names;
}

ConversionResult
Convert(const ConversionOptions & options)
{
  RefuseExistingOutput(options.output, options.force);
  RefuseExistingOutput(options.affineOutput, options.force);

  const auto       source = std::make_unique<ImageSource>(options.input, options.dtype == "float64");
  const TargetType target = ChooseTarget(*source, options.dtype);
  if (!options.affineOutput.empty() && !source->hasAffine)
  {
    throw Error(options.input,
                "the image has no voxel-to-world affine (CIFTI-2 axes are in its metadata); "
                "convert it without --affine");
  }

  std::vector<std::uint64_t> shape = source->shape;
  if (source->components > 1)
  {
    shape.push_back(source->components);
  }
  const std::uint64_t voxelCount = source->GetNumberOfVoxels();
  const unsigned int  elementsPerVoxel = source->components * (source->complex ? 2 : 1);
  const std::size_t   targetSize = itk::nibridge::ComponentTypeSize(target.element);
  const bool          planar = source->components > 1; // components trailing: one plane per component

  if (options.verbose)
  {
    std::cerr << "ni2npy: " << options.input << " read by " << source->readerName << "; values "
              << (source->complex ? "complex " : "") << itk::nibridge::ComponentTypeName(source->valueType)
              << (source->scaled ? " (not the stored ones: scaled or widened)" : "") << " -> "
              << (target.complex ? "complex " : "") << itk::nibridge::ComponentTypeName(target.element) << '\n';
  }

  const auto        output = OpenOutput(options.output);
  auto &            file = *output;
  const std::string header = itk::nibridge::MakeNpyHeader(
    itk::nibridge::NpyDescrFor(*itk::nibridge::IOComponentOf(target.element), target.complex), true, shape);
  file.Write(header.data(), header.size());

  // Chunks of about 1 MiB of output stay in cache between conversion and writing; whole slabs of the source's slab
  // axis, as the readers read regions.
  const std::uint64_t slab = source->GetVoxelsPerSlab();
  const std::uint64_t outputVoxels =
    std::max<std::uint64_t>(1, OutputChunkBytes / (static_cast<std::uint64_t>(elementsPerVoxel) * targetSize));
  const std::uint64_t voxelsPerChunk = std::max<std::uint64_t>(1, outputVoxels / slab) * slab;
  const std::size_t maximumElements = static_cast<std::size_t>(std::min(voxelsPerChunk, voxelCount)) * elementsPerVoxel;
  const ChunkConverter converter(*source, target, options.allowLossy);
  Buffer               converted(converter.IsIdentity() ? 0 : maximumElements * targetSize);
  Buffer               plane(planar ? static_cast<std::size_t>(std::min(voxelsPerChunk, voxelCount)) * targetSize : 0);
  // The source's chunks are read on a thread of their own, a few ahead: decompression overlaps conversion and writing.
  const std::uint64_t chunks = (voxelCount + voxelsPerChunk - 1) / voxelsPerChunk;
  const auto          voxelsOf = [&](std::uint64_t index) {
    return std::min(voxelsPerChunk, voxelCount - index * voxelsPerChunk);
  };
  itk::nibridge::ReadAhead ahead(
    chunks,
    static_cast<std::size_t>(std::min(voxelsPerChunk, voxelCount)) * source->GetBytesPerVoxel(),
    [&](std::uint64_t index, char * buffer) { source->ReadNext(buffer, voxelsOf(index)); });
  for (std::uint64_t index = 0; index < chunks; ++index)
  {
    struct
    {
      const char *  data;
      std::uint64_t firstVoxel;
      std::uint64_t voxelCount;
    } const chunk{ ahead.Next(), index * voxelsPerChunk, voxelsOf(index) };
    const std::size_t elementCount = static_cast<std::size_t>(chunk.voxelCount) * elementsPerVoxel;
    const char *      values = chunk.data;
    if (!converter.IsIdentity())
    {
      converter.Convert(chunk.data, elementCount, converted.data(), chunk.firstVoxel * elementsPerVoxel);
      values = converted.data();
    }
    if (!planar)
    {
      file.WriteAt(values, elementCount * targetSize, header.size() + chunk.firstVoxel * elementsPerVoxel * targetSize);
      continue;
    }
    // Components trailing: each component's values of this chunk go to its own plane of the file.
    for (unsigned int component = 0; component < source->components; ++component)
    {
      for (std::uint64_t voxel = 0; voxel < chunk.voxelCount; ++voxel)
      {
        std::memcpy(plane.data() + voxel * targetSize,
                    values + (voxel * source->components + component) * targetSize,
                    targetSize);
      }
      file.WriteAt(plane.data(),
                   chunk.voxelCount * targetSize,
                   header.size() + (component * voxelCount + chunk.firstVoxel) * targetSize);
    }
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
  ConversionResult result;
  result.shape = std::move(shape);
  result.dtype = target.complex ? (target.element == ElementType::Float32 ? "complex64" : "complex128")
                                : itk::nibridge::ComponentTypeName(target.element);
  result.affine = source->affine;
  result.hasAffine = source->hasAffine;
  return result;
}

} // namespace ni2npy
