/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyDataStream_h
#define ni2npyDataStream_h

#include <cstdint>
#include <memory>
#include <string>

namespace ni2npy
{
/** \class DataStream
 * \brief The bytes of an image data file, read front to back: plain, or gzip-compressed.
 *
 * A short, truncated or corrupt file is an error naming the image and the reason, never silently
 * short data.
 */
class DataStream
{
public:
  virtual ~DataStream() = default;

  /** Reads exactly `byteCount` bytes into `target`. Throws std::runtime_error. */
  virtual void
  Read(char * target, std::uint64_t byteCount) = 0;

  /** Called after the last byte the image needs: a gzip stream must end with a correct trailer. */
  virtual void
  CheckEnd() = 0;

  /** The decompressor in use, for --verbose. */
  virtual const char *
  GetDecoderName() const = 0;
};

/** Opens `dataFileName` (gzip if it starts with the gzip magic bytes) and skips `offset` bytes.
 * `imageName` names the image in messages. */
std::unique_ptr<DataStream>
OpenDataStream(const std::string & imageName, const std::string & dataFileName, std::uint64_t offset);

} // namespace ni2npy

#endif
