/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeDataStream_h
#define itkNiBridgeDataStream_h

// PRIVATE to NiBridgeCore: the native readers' access to their data files.

#include "itkNiBridgeImageIOBase.h" // IsRegularFile, ReadFileStart

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <utility>

namespace itk
{
namespace nibridge
{
/** \class DataStream
 * \brief The bytes of an image's data file, read front to back: plain, or gzip-compressed.
 *
 * A short, truncated or corrupt file is an itk::ExceptionObject naming the image (and the data file, when it is
 * another one) and the reason, never silently short data. gzip streams are decoded with ISA-L where NiBridge was
 * built with it (about twice zlib's speed; NIBRIDGE_GZIP_DECODER=zlib selects zlib), member after member as gzip
 * concatenates them, each member's CRC-32 and length checked.
 * \ingroup NiBridgeCore
 */
class DataStream
{
public:
  virtual ~DataStream() = default;

  /** Reads exactly `byteCount` bytes into `target`; a shorter file is an error saying where it ends. */
  void
  Read(char * target, std::uint64_t byteCount);

  /** Moves `byteCount` bytes forward (decoded and dropped; a plain file seeks). */
  virtual void
  Skip(std::uint64_t byteCount);

  /** Reads up to `byteCount` bytes; fewer only at the end of the data. Returns how many were read. */
  virtual std::uint64_t
  ReadSome(char * target, std::uint64_t byteCount) = 0;

  /** Called after the last byte the image needs: a gzip stream must end its member with a correct trailer. */
  virtual void
  CheckEnd() = 0;

  /** The decoded position: bytes read or skipped since the start of the file. */
  virtual std::uint64_t
  GetPosition() const = 0;

protected:
  DataStream(std::string imageName, std::string fileName)
      : m_ImageName(std::move(imageName))
      , m_FileName(std::move(fileName))
  {}

  /** The image the data belong to, and the data's file (the same for single-file formats), for messages. */
  const std::string m_ImageName;
  const std::string m_FileName;

private:
  std::vector<char> m_Sink; // Skip's decoded-and-dropped bytes
};

/** Opens `dataFileName`, gzip-compressed if `gzipped` (as nibabel decides: by the file name), and moves to
 * `offset`. `imageName` names the image in messages. Refuses anything but a regular file (a FIFO would block). */
std::unique_ptr<DataStream>
OpenDataStream(const std::string & imageName, const std::string & dataFileName, bool gzipped, std::uint64_t offset);

/** The gzip decoder OpenDataStream uses: "gzip (ISA-L)" or "gzip (zlib)". */
const char *
GzipDecoderName();

} // namespace nibridge
} // namespace itk

#endif
