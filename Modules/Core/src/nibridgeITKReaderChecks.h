/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef nibridgeITKReaderChecks_h
#define nibridgeITKReaderChecks_h

// PRIVATE to nibridge-itk-reader: what the helper checks of the two text-header formats whose libraries trust their
// header (MetaIO, NrrdIO) before they read a file. MetaIO loops for ever on a negative NDims and returns zeros for
// truncated or corrupt zlib data; NrrdIO returns what a damaged gzip stream decodes to; both open a data file named
// by the header, which may be a FIFO or a device. Other formats get no checks here (the guard's checks and the helper
// process stand for them).

#include "itkNiBridgeReadGuard.h"

#include <cstdint>
#include <optional>
#include <string>

namespace nibridge_itk_reader
{
/** \class HeaderChecks
 * \brief A MetaImage (.mha, .mhd) or NRRD (.nrrd, .nhdr) header, read and checked before ITK's reader sees it.
 */
class HeaderChecks
{
public:
  /** Reads the header of `fileName` if it is a MetaImage or NRRD file (by its name) and refuses, with an
   * itk::ExceptionObject naming the file, what would send its library astray: MetaImage NDims outside 1 to 32,
   * non-positive DimSize or ElementNumberOfChannels; a data file (MetaImage ElementDataFile, NRRD "data file") that is
   * no readable regular file. Nothing for other files. */
  explicit HeaderChecks(const std::string & fileName);

  /** Where the voxels are, for the guard's checks of the file's size (uncompressed) or of what its deflate stream can
   * hold (compressed), once ITK's reader says the image has `bytes` bytes; nothing where the header does not say
   * simply (a list of slice files, a skipped header, an encoding other than raw or gzip/zlib). */
  std::optional<itk::nibridge::StoredVoxels>
  StoredVoxelsOf(std::uint64_t bytes) const;

  /** For zlib (MetaImage) or gzip (NRRD) data: decodes the whole stream, without keeping it, before ITK's reader
   * reads it; throws unless it is undamaged (checksums, trailer) and decodes to at least `bytes` bytes. */
  void
  CheckCompressedData(std::uint64_t bytes) const;

private:
  enum class Format
  {
    Other,
    MetaImage,
    Nrrd
  };

  Format        m_Format = Format::Other;
  std::string   m_FileName;
  std::string   m_DataFileName; // empty where the header names several files, or none the checks understand
  std::uint64_t m_DataOffset = 0;
  bool          m_Compressed = false;
  bool          m_Simple = true; // no skipped header bytes or lines, one data file
};
} // namespace nibridge_itk_reader

#endif
