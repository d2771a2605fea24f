/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNpyFormat_h
#define itkNpyFormat_h

#include "NiBridgeCoreExport.h"

#include "itkIOCommon.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** \class NpyHeader
 * \brief The header of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0), parsed or to write.
 *
 * The shape is in NumPy's order; `fortranOrder` tells which axis is fastest in memory (the first
 * one if true, the last one otherwise). `componentType` is the ITK component type of one element;
 * `complex` is true for complex64/complex128, whose elements hold two components of that type.
 * \ingroup NiBridgeCore
 */
struct NiBridgeCore_EXPORT NpyHeader
{
  std::string                descr; // the dtype string as written, e.g. "<f8"
  bool                       fortranOrder = false;
  std::vector<std::uint64_t> shape;
  IOComponentEnum            componentType = IOComponentEnum::UNKNOWNCOMPONENTTYPE;
  bool                       complex = false;
  bool                       halfFloat = false; // float16 on disk, read as float32
  bool                       bigEndian = false; // the data bytes are big-endian
  std::size_t                itemSize = 0;      // bytes of one element on disk
  unsigned int               majorVersion = 1;
  std::uint64_t              dataOffset = 0; // bytes before the data

  /** Number of elements: the product of the shape (1 for a 0-d array). */
  std::uint64_t
  GetNumberOfElements() const;
};

/** Parses the header at the start of `stream`. Throws `itk::ExceptionObject` naming `fileName`
 * and the reason for a bad magic string, an unknown version, an oversized or truncated header,
 * a malformed dictionary, an unknown or object dtype, or a shape whose byte size overflows. */
NiBridgeCore_EXPORT NpyHeader
ReadNpyHeader(std::istream & stream, const std::string & fileName);

/** The dtype string NumPy writes for an ITK component type in this machine's byte order
 * (e.g. "<f8"); `complex` asks for complex64/complex128 from FLOAT/DOUBLE.
 * Throws for a type .npy cannot hold. */
NiBridgeCore_EXPORT std::string
                    NpyDescrFor(IOComponentEnum componentType, bool complex = false);

/** The complete header bytes (magic, version, dictionary, padding to a multiple of 64) for a
 * file with the given dtype string, memory order and shape; the smallest version that fits. */
NiBridgeCore_EXPORT std::string
MakeNpyHeader(const std::string & descr, bool fortranOrder, const std::vector<std::uint64_t> & shape);

/** The same header in the given format version (1, 2 or 3), as `np.lib.format.write_array(...,
 * version=(majorVersion, 0))` writes it. Throws if the header does not fit that version. */
NiBridgeCore_EXPORT std::string
                    MakeNpyHeader(const std::string &                descr,
                                  bool                               fortranOrder,
                                  const std::vector<std::uint64_t> & shape,
                                  unsigned int                       majorVersion);

/** The shape as Python writes a tuple: "(3, 4)", "(5,)", "()". */
NiBridgeCore_EXPORT std::string
                    NpyShapeRepr(const std::vector<std::uint64_t> & shape);

} // namespace nibridge
} // namespace itk

#endif
