/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeNiftiHeader_h
#define itkNiBridgeNiftiHeader_h

// PRIVATE to NiBridgeCore: NIfTI-1, NIfTI-2 and Analyze (SPM2) headers, read as nibabel loads them.

#include "itkNiBridgeComponentType.h"
#include "itkNiBridgeGeometry.h"
#include "itkNiBridgeNiftiImageIO.h"
#include "itkNiBridgeVoxelBlock.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace itk
{
namespace nibridge
{
/** \class NiftiFiles
 * \brief The files of a NIfTI / Analyze image as nibabel names them: the header file and the data file (the same
 * for single files), each gzip-compressed when its name ends in ".gz". Never the sibling with another compression:
 * "x.nii.gz" is read, even when "x.nii" exists.
 */
struct NiftiFiles
{
  std::string header;
  std::string data;
  bool        gzipped = false; // both files of a pair
  bool        pair = false;    // .hdr/.img
};

/** The files of `fileName` by its name (.nii, .nii.gz, .hdr, .img, .hdr.gz, .img.gz, any case); false for other
 * names. Does not touch the file system. */
bool
NiftiFilesOf(const std::string & fileName, NiftiFiles & files);

/** \class NiftiHeader
 * \brief What nibabel makes of a NIfTI-1, NIfTI-2 or Analyze header when it loads the image.
 *
 * nibabel's load-time checks are applied as nibabel applies them: problems it fixes silently are fixed (sizeof_hdr,
 * bitpix, zero or negative pixdim[1..3], qfac not +-1, unknown sform/qform codes), those it raises for are errors
 * (unknown datatype, bad magic, a vox_offset inside a single file's header, a scaling slope with an invalid
 * intercept).
 */
struct NiftiHeader
{
  NiftiFormat                format = NiftiFormat::Nifti1;
  NiftiFiles                 files;
  bool                       bigEndian = false; // the file's byte order
  std::string                imageClass;        // nibabel's: "Nifti1Image", "Nifti1Pair", "Nifti2Image", ...
  std::vector<std::uint64_t> shape;             // nibabel's get_data_shape()
  NiftiDataType              dataType{ ComponentType::UInt8, 1 };
  std::uint64_t              dataOffset = 0;
  double                     slope = 1.0; // the array proxy's scaling (1, 0 where the header has none)
  double                     inter = 0.0;
  AffineMatrix               affine{};         // img.affine
  std::vector<double>        zooms;            // header.get_zooms()
  double                     timeOffset = 0.0; // NIfTI's toffset (0 for Analyze)
  int                        intentCode = 0;
  std::string                spatialUnits = "unknown"; // NIfTI: get_xyzt_units()
  std::string                timeUnits = "unknown";
  /** The header's fields as nibabel's loaded `img.header` holds them, as text: (name, text), in header order. */
  std::vector<std::pair<std::string, std::string>> fieldTexts;
  /** NIfTI only: get_intent(): label, parameters, name. */
  std::string         intentLabel;
  std::vector<double> intentParameters;
  std::string         intentName;

  /** The voxel block this header describes. */
  VoxelBlock
  GetVoxelBlock(const std::string & imageName) const;
};

/** Reads the header of `fileName` (whose files NiftiFilesOf gave) as nibabel loads it. Throws itk::ExceptionObject
 * naming the file and the reason. */
NiftiHeader
ReadNiftiHeader(const std::string & fileName, const NiftiFiles & files);

/** \class NiftiWriteDescription
 * \brief What a NIfTI-1 or NIfTI-2 header written by NiBridgeNiftiImageIO says: nibabel's fresh-image header
 * (Nifti1Image(data, affine) before to_filename), with the affine as the sform (code 2, aligned) and its
 * shear-stripped rotation as the qform (code 0, as nibabel's default), voxel sizes from the affine's columns.
 */
struct NiftiWriteDescription
{
  bool                       nifti2 = false;
  bool                       pair = false;
  std::vector<std::uint64_t> shape;            // nibabel's, up to 7 axes
  int                        datatypeCode = 0; // a code NiftiDataTypeFromCode knows: it also decides bitpix
  AffineMatrix               affine{};
  std::vector<double>        extraZooms; // pixdim[4...]: the spacing of the axes beyond the third
  int                        intentCode = 0;
  int                        xyztUnits = 0;
  double                     timeOffset = 0.0;
};

/** The header bytes (348 or 540, native byte order) for `description`; vox_offset is 352/544 for single files
 * (header and 4 bytes of no extensions) and 0 for pairs. */
std::string
MakeNiftiHeader(const NiftiWriteDescription & description);

/** The data offset of a single NIfTI-1 (352) or NIfTI-2 (544) file written by MakeNiftiHeader. */
std::uint64_t
SingleFileDataOffset(bool nifti2);

/** Whether NiBridgeNiftiImageIO reads `fileName` as nibabel would: its name is a NIfTI / Analyze name, its header is
 * one nibabel loads as Nifti1Image, Nifti1Pair, Nifti2Image, Nifti2Pair or Spm2AnalyzeImage (not CIFTI-2, no SPM
 * .mat file beside it), of a datatype NiBridge holds and without scaling nibabel applies to complex or RGB data.
 * Reads at most the first 548 bytes of the header. Never throws. */
bool
IsNativelyReadNifti(const std::string & fileName);

} // namespace nibridge
} // namespace itk

#endif
