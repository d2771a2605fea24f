/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeNiftiImageIO_h
#define itkNiBridgeNiftiImageIO_h

#include "NiBridgeCoreExport.h"

#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeImageIOFactory.h"

#include <memory>

namespace itk
{
/** \class NiBridgeNiftiImageIO
 * \brief Reads NIfTI-1, NIfTI-2 and Analyze (SPM2) files natively, exactly as nibabel reads them.
 *
 * Files: `.nii`, `.nii.gz`, and `.hdr`/`.img` pairs (`.hdr.gz`/`.img.gz` too), any case, the other file of a pair
 * named as nibabel names it. The name decides the compression, as in nibabel: "x.nii.gz" is decompressed, and never
 * read from a sibling "x.nii". gzip is decoded with ISA-L (zlib where NiBridge was built without it), member after
 * member, each CRC-checked; a truncated or corrupt file is an error, never zeros.
 *
 * What nibabel does, this does (see NiBridgeImageIOBase for values, axes, geometry and metadata): nibabel's choice of
 * class (NIfTI-1 magic, then a NIfTI-2 size field, then Analyze for pairs), its load-time header fixes and errors, its
 * affine (`img.affine`: sform, else qform, else the centred fallback; SPM2's origin field for Analyze), its scaling
 * rules (NIfTI's scl_slope/scl_inter; SPM2's funused1 or gl/cal ranges) and its float64 arithmetic. A corpus test
 * proves every value and affine bit-identical to nibabel's.
 *
 * CanReadFile leaves to nibabel (NiBabelImageIO) what nibabel reads differently from a plain NIfTI: CIFTI-2 (intent
 * codes 3000-3099), Analyze pairs with an SPM `.mat` file, scaled complex or RGB data, other compressions (`.bz2`,
 * `.zst`), and datatypes no ITK pixel holds.
 *
 * Pixels: the stored values in this machine's byte order (RGB24/RGBA32 as RGB/RGBA of unsigned char, complex as
 * COMPLEX of float/double), or float64 values (scaled files by default, every file with ReadAsFloat64; complex data
 * as COMPLEX of double, RGB as RGB of double).
 *
 * Streaming: any region is read on its own; consecutive regions continue one pass over a gzip stream.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NiBridgeNiftiImageIO : public NiBridgeImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeNiftiImageIO);

  using Self = NiBridgeNiftiImageIO;
  using Superclass = NiBridgeImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBridgeNiftiImageIO);

  static constexpr const char * FactoryName = "NiBridgeNiftiImageIOFactory";
  static constexpr const char * FactoryDescription =
    "NIfTI-1, NIfTI-2 and Analyze ImageIO, native, with nibabel's rules (NiBridge)";

  /*-------- Reading -------- */

  /** True for the NIfTI and Analyze files nibabel loads as plain NIfTI / SPM2 images (see the class comment), judged
   * by the name and the header's first bytes. Cheap; never throws. */
  bool
  CanReadFile(const char * fileName) override;

  /** Reads the header: dimensions, pixel type, nibabel's geometry and metadata. */
  void
  ReadImageInformation() override;

  /** Reads the values of GetIORegion() into `buffer`. */
  void
  Read(void * buffer) override;

  /** True: any region is read on its own. */
  bool
  CanStreamRead() override
  {
    return true;
  }

  /** The requested region itself when streamed reading is on, else the whole image. */
  ImageIORegion
  GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const override;

  /** "plain read", "gzip (ISA-L)" or "gzip (zlib)" for the file last read. */
  std::string
  GetDecoderName() const override;

  /*-------- Writing -------- */

  /** False: this IO reads; NIfTI files are written by ITK's NiftiImageIO or NiBabelImageIO. */
  bool
  CanWriteFile(const char *) override
  {
    return false;
  }

  /** Throws: this IO does not write. */
  void
  WriteImageInformation() override;

  /** Throws: this IO does not write. */
  void
  Write(const void * buffer) override;

protected:
  NiBridgeNiftiImageIO();
  ~NiBridgeNiftiImageIO() override;

  /** Prints the options and what the last read found. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  struct Information; // the header last read and the open voxel stream, in the .cxx
  std::unique_ptr<Information> m_Information;
};

using NiBridgeNiftiImageIOFactory = NiBridgeImageIOFactory<NiBridgeNiftiImageIO>;
} // namespace itk

#endif
