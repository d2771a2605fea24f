/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeReadGuard_h
#define itkNiBridgeReadGuard_h

#include "NiBridgeCoreExport.h"

#include "itkImageIOBase.h"

#include <cstdint>
#include <optional>
#include <string>

namespace itk
{
namespace nibridge
{
/** \file
 * The read guard: what NiBridge checks before and after any reader (its own or ITK's) allocates or reads, so that a
 * bad file ends in one clear error naming it, never in a crash, a hang, an exhausted machine or silent zeros.
 *
 * 1. The input (CheckInputFile): an existing regular file the process may read. A FIFO, a device, a directory or a
 *    socket is refused before any reader opens it (opening a FIFO blocks for ever; /dev/zero never ends).
 * 2. What the header promises (CheckImageInformation, after ReadImageInformation and before any allocation): at
 *    least one axis, every size positive, a number of bytes that does not overflow 64 bits, at most the memory
 *    limit (GetReadMemoryLimit), and, where the voxels are stored uncompressed, no more bytes than the file holds
 *    after the data offset.
 * 3. ITK's own readers (NrrdIO, libpng, MetaIO, GDCM, ...), which can abort, crash or loop on a damaged file, are run
 *    in a helper process (NiBridgeIsolatedImageIO), under the same checks and a time limit (GetReadTimeout).
 * 4. After reading, the readers check that the data was complete (a truncated or CRC-damaged stream is an error).
 */

/** The largest image, in bytes, a reader may be asked to allocate: NIBRIDGE_MEMORY_LIMIT when set (a number of
 * bytes, with an optional K, M, G or T suffix, powers of 1024), else the memory the system has available now
 * (MemAvailable of /proc/meminfo; no limit where that cannot be read). */
NiBridgeCore_EXPORT std::uint64_t
                    GetReadMemoryLimit();

/** Seconds a reader in a helper process may take for one step (identifying the file and reading its header, or
 * reading its voxels) before it is stopped and the read fails: NIBRIDGE_READ_TIMEOUT when set, else 600. */
NiBridgeCore_EXPORT double
GetReadTimeout();

/** The reason `fileName` cannot be read, or nothing if it names an existing regular file (after symbolic links) this
 * process may open for reading: "no such file", "a directory, not a file", "a FIFO (named pipe), not a regular
 * file", "cannot open: Permission denied", ... Never throws. */
NiBridgeCore_EXPORT std::optional<std::string>
                    WhyNotReadable(const std::string & fileName);

/** Throws an itk::ExceptionObject "\"<fileName>\": <reason>" unless WhyNotReadable(fileName) is empty. */
NiBridgeCore_EXPORT void
CheckInputFile(const std::string & fileName);

/** Where an image's voxels are stored, for CheckImageInformation: the file that holds them (a pair's .img), the offset
 * of the first voxel, the bytes they take there, and whether they are compressed (then only the memory limit
 * applies). */
struct StoredVoxels
{
  std::string   dataFileName;
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  bool          compressed = false;
  /** For deflate-compressed voxels (gzip, zlib): the compressed bytes that hold them (and the offset before them),
   * when known. Deflate expands data at most 1032 times, so a header promising more than that is refused. */
  std::uint64_t deflateBytes = 0;
};

/** The bytes of the image an ImageIO describes after ReadImageInformation (dimensions, components, component type),
 * or an itk::ExceptionObject naming `fileName` if it cannot be held: no axes, a size of 0, an unknown component type,
 * no components, a byte count that overflows, more than GetReadMemoryLimit(), or (with `stored`) more bytes than the
 * data file holds after the offset (uncompressed) or than its deflate stream can decode to (compressed). Without
 * `applyMemoryLimit` (for a caller that reads regions and never holds the whole image) the memory limit is not checked.
 */
NiBridgeCore_EXPORT std::uint64_t
                    CheckImageInformation(const ImageIOBase &                 imageIO,
                                          const std::string &                 fileName,
                                          const std::optional<StoredVoxels> & stored = std::nullopt,
                                          bool                                applyMemoryLimit = true);

} // namespace nibridge
} // namespace itk

#endif
