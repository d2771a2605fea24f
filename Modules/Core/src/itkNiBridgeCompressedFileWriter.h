/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeCompressedFileWriter_h
#define itkNiBridgeCompressedFileWriter_h

// PRIVATE to NiBridgeCore: the native writers' output, plain or gzip-compressed, whole or not at all.

#include "itkNiBridgeAtomicFileWriter.h"

#include <cstdint>
#include <memory>
#include <string>

namespace itk
{
namespace nibridge
{
/** \class CompressedFileWriter
 * \brief Writes a file front to back, gzip-compressed (zlib, level 1, as nibabel writes) or not, through an
 * AtomicFileWriter: it appears whole on Commit(), or not at all.
 * \ingroup NiBridgeCore
 */
class CompressedFileWriter
{
public:
  CompressedFileWriter(const std::string & fileName, bool gzipped);
  ~CompressedFileWriter();
  CompressedFileWriter(const CompressedFileWriter &) = delete;
  CompressedFileWriter &
  operator=(const CompressedFileWriter &) = delete;

  /** Appends `byteCount` bytes. Throws itk::ExceptionObject naming the file. */
  void
  Write(const void * bytes, std::uint64_t byteCount);

  /** Ends the stream and renames the file over the target. */
  void
  Commit();

private:
  struct Deflater; // zlib's state, in the .cxx
  AtomicFileWriter          m_File;
  std::unique_ptr<Deflater> m_Deflater;
};
} // namespace nibridge
} // namespace itk

#endif
