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
#include <optional>

namespace itk
{
namespace nibridge
{
/** The header formats of NiBridgeNiftiImageIO. */
enum class NiftiFormat
{
  Nifti1,
  Nifti2,
  Analyze // read by nibabel as Spm2AnalyzeImage
};

/** The format of a NIfTI or Analyze file as nibabel's classes sniff it: by its name (.nii, .hdr/.img pairs, .gz; the
 * pair's other name as nibabel's types_filenames makes it), then its header's first bytes (NIfTI-1 magic, a NIfTI-2
 * sizeof_hdr, for pairs an Analyze sizeof_hdr). nullopt for other names, files that are not there and headers nibabel
 * does not load. Cheap; never throws. */
NiBridgeCore_EXPORT std::optional<NiftiFormat>
                    SniffNiftiFile(const std::string & fileName);
} // namespace nibridge

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
 *
 * Writing (see Write()): the image's geometry as nibabel's affine, exactly, shears included.
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


  /*-------- Writing -------- */

  /** Write NIfTI-2 (540-byte header, float64 affine). Default: off, NIfTI-1 as nibabel's Nifti1Image writes it, unless
   * the image was read from NIfTI-2 (the dictionary's NiBabel_ImageClass) or an axis is longer than NIfTI-1 holds. */
  itkSetMacro(WriteNIfTI2, bool);
  itkGetConstMacro(WriteNIfTI2, bool);
  itkBooleanMacro(WriteNIfTI2);

  /** True for .nii, .nii.gz, .hdr/.img and .hdr.gz/.img.gz names (any case). */
  bool
  CanWriteFile(const char * fileName) override;

  /** Checks that the image can be written; the header is written with the data by Write(). */
  void
  WriteImageInformation() override;

  /** Writes the whole image as nibabel's Nifti1Image (or Nifti2Image) of the image's RAS affine writes it: the affine
   * as the sform (shears included; float32 in NIfTI-1, float64 in NIfTI-2), its rotation as the qform (code 0), voxel
   * sizes as pixdim, the spacing of axes beyond the third as pixdim[4...], the 4-D origin as toffset. Scalars of
   * every component type but bool, complex float/double, RGB/RGBA of unsigned char; other multi-component pixels as
   * NIfTI's vectors (5-D, components last, intent "vector"). Through temporary files renamed over the targets. */
  void
  Write(const void * buffer) override;

  /** False: the whole image is written at once. */
  bool
  CanStreamWrite() override
  {
    return false;
  }

protected:
  NiBridgeNiftiImageIO();
  ~NiBridgeNiftiImageIO() override;

  /** Prints the options and what the last read found. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  struct Information; // the header last read and the open voxel stream, in the .cxx
  std::unique_ptr<Information> m_Information;
  bool                         m_WriteNIfTI2{ false };
};

using NiBridgeNiftiImageIOFactory = NiBridgeImageIOFactory<NiBridgeNiftiImageIO>;

/** Registers the factory once per process, however often it is called; ITK's generated factory registration
 * calls it by this name (FACTORY_NAMES of itk-module.cmake). */
NiBridgeCore_EXPORT void
NiBridgeNiftiImageIOFactoryRegister__Private();
} // namespace itk

#endif
