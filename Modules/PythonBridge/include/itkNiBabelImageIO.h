/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBabelImageIO_h
#define itkNiBabelImageIO_h

#include "NiBridgePythonExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeMacro.h"

#include <memory>
#include <string>

namespace itk
{
/** \class NiBabelImageIO
 * \brief Reads every image format nibabel reads, and writes the ones ITK cannot, through embedded Python.
 *
 * Design. nibabel does the format parsing; this class never parses a format in C++ (CanReadFile's magic bytes
 * aside). The nibabel side is Modules/PythonBridge/python/nibridge_nibabel_io.py, compiled into the library; it runs
 * in the process's one Python (itk::nibridge::PythonInterpreter: started on the first read, or the host's).
 * Python lives behind a PIMPL: this header has no Python in it, the library links libpython privately.
 * Python runs only inside ReadImageInformation(), Read() and Write(), with the GIL held for just the Python
 * calls; numpy copies straight into (or out of) ITK's buffer, with the GIL released during the copy.
 *
 * Formats read: NIfTI-1 and -2, Analyze, SPM99/SPM2 (with .mat), MGH/MGZ, MINC1, MINC2 (h5py), PAR/REC,
 * AFNI BRIK/HEAD (.BRIK.gz too), CIFTI-2 (as an N-D image without geometry; its axes in the metadata), ECAT
 * (.v, through nibabel.ecat.load since nibabel.load does not dispatch it).
 *
 * Factory priority (CanReadFile). The factory is registered in front of ITK's own, but CanReadFile claims only
 * what ITK 5.2 cannot read or reads wrong: .mgh/.mgz, .mnc (ITK's MINCImageIO takes MINC's RAS world
 * coordinates as LPS: x and y mirrored), .PAR/.REC, AFNI .HEAD/.BRIK(.gz), ECAT .v, and .nii/.nii.gz/.hdr files
 * whose header is NIfTI-2 (CIFTI-2 included). NIfTI-1 and Analyze stay with ITK's NiftiImageIO; set this IO on
 * a reader explicitly (ImageFileReader::SetImageIO) to read them through nibabel. CanReadFile looks at the
 * name and at most the first bytes (gzip decompressed for .mgz/.nii.gz), never starts Python and never throws.
 *
 * Axes: nibabel's array axes (i, j, k, ...) are ITK's index axes, i fastest; no transposes.
 *
 * Geometry: nibabel's img.affine (RAS+) is the truth, converted by itk::nibridge::GeometryFromRASAffine:
 * LPS origin, spacing and direction of the first three axes. Axes beyond the third keep the header's zooms as
 * spacing (4D: the TR, in the header's time units; 1 where the header has none or a non-positive one). A 2D
 * image whose affine leaves the x-y plane (and a 1D image) is read as 3D with size 1 on the missing axes.
 * CIFTI-2 files have no affine: identity geometry.
 *
 * Values: by default exactly numpy.asarray(img.dataobj): nibabel's scaled values in nibabel's dtype.
 * ReadRawValues gives the stored values (dataobj.get_unscaled()); ReadAsFloat64 gives exactly img.get_fdata().
 * Pixels: bool -> UCHAR, float16 -> FLOAT (exact), complex64/128 -> COMPLEX of FLOAT/DOUBLE, nibabel's RGB24
 * and RGBA32 -> RGB/RGBA of UCHAR; native byte order. float128/complex256 are refused unless ReadAsFloat64.
 *
 * Streaming: where nibabel's array proxy slices (NIfTI, Analyze, MGH, AFNI, MINC, PAR/REC, CIFTI-2), Read()
 * reads only GetIORegion(), so a streamed pipeline never holds the whole file; ECAT is read whole.
 *
 * MetaDataDictionary after a read (std::string values):
 * - itk::nibridge::RASAffineMetaDataKey() ("NiBridge_RASAffine"): nibabel's 4x4 affine, 16 numbers in row
 *   order printed with 17 significant digits (exact); absent for CIFTI-2;
 * - "NiBabel_ImageClass" (e.g. "MGHImage"), "NiBabel_Values" ("scaled", "raw", "float64"),
 *   "NiBabel_ValueDType" and "NiBabel_StoredDType" (numpy dtype strings), "NiBabel_Zooms";
 * - "NiBabel_SpatialUnits" ("mm", ...), "NiBabel_TimeUnits" ("sec", "msec", ..., "unknown"),
 *   "NiBabel_RepetitionTime" (in the time units; 4D NIfTI, MGH, PAR/REC, AFNI);
 * - "NiBabel_Intent", "NiBabel_IntentParameters", "NiBabel_IntentName" (NIfTI, CIFTI-2);
 * - "NiBabel_Header_<field>" for every header field (NIfTI/Analyze/MGH/ECAT header fields, PAR general
 *   info, AFNI attributes), as text;
 * - "NiBabel_MINC_Dimensions" (MINC's dimension names, in array order); "NiBabel_CIFTI2_Axis<i>" (one line per
 *   axis) and "NiBabel_CIFTI2_XML" (CIFTI-2);
 * - "NiBabel_Warnings": the warnings nibabel raised while reading the header, one a line. When NiBridge started
 *   Python (an ITK program), nibabel's warnings are collected there (and by GetNiBabelWarnings()) instead of
 *   being printed on the program's stderr; in a Python program they are Python's, as usual.
 *
 * Writing: .mgh/.mgz always; .nii/.nii.gz as NIfTI-2 when WriteNIfTI2 is on (the factory's IOs leave .nii to
 * ITK's NiftiImageIO, which writes NIfTI-1), as CIFTI-2 when the dictionary holds "NiBabel_CIFTI2_XML" (an
 * image read from CIFTI-2). The affine is itk::nibridge::RASAffineFromGeometry of the image's
 * geometry, which is the dictionary's NiBridge_RASAffine unchanged while the geometry still agrees with it:
 * reading and writing back is exact. NIfTI-2 stores the affine in float64 (always exact); MGH stores float32
 * fields (exact for geometry that came from an MGH file, float32-rounded otherwise). MGH holds uint8, int16,
 * int32 and float32 scalars up to 4D: other types are converted only when every value survives exactly
 * (uint16 -> int32, double -> float32 when exact, ...), otherwise the write is refused. The file is written to
 * a temporary name beside the target and renamed over it: a failed write leaves no file behind.
 *
 * Errors: everything (nibabel refusing a file, a truncated file, numpy or nibabel missing from the Python
 * found, Python failing to start) is an itk::ExceptionObject naming the file, the Python exception type and
 * message, and the traceback; raised at read time, never when the library loads.
 *
 * Thread safety: as every ImageIO, one object per reader; any number of readers may run in parallel threads.
 *
 * \ingroup NiBridgePython
 */
class NiBridgePython_EXPORT NiBabelImageIO : public ImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBabelImageIO);

  using Self = NiBabelImageIO;
  using Superclass = ImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBabelImageIO);

  /** Dictionary keys (see the class comment); the affine's is itk::nibridge::RASAffineMetaDataKey(). */
  static constexpr const char * ImageClassMetaDataKey = "NiBabel_ImageClass";
  static constexpr const char * ValuesMetaDataKey = "NiBabel_Values";
  static constexpr const char * SpatialUnitsMetaDataKey = "NiBabel_SpatialUnits";
  static constexpr const char * TimeUnitsMetaDataKey = "NiBabel_TimeUnits";
  static constexpr const char * RepetitionTimeMetaDataKey = "NiBabel_RepetitionTime";
  static constexpr const char * IntentMetaDataKey = "NiBabel_Intent";
  static constexpr const char * HeaderFieldMetaDataKeyPrefix = "NiBabel_Header_";
  static constexpr const char * WarningsMetaDataKey = "NiBabel_Warnings";

  /** Read the stored values (img.dataobj.get_unscaled()) instead of nibabel's scaled ones. Default: off. */
  itkSetMacro(ReadRawValues, bool);
  itkGetConstMacro(ReadRawValues, bool);
  itkBooleanMacro(ReadRawValues);

  /** Read exactly img.get_fdata(): float64 values. Excludes ReadRawValues. Default: off. */
  itkSetMacro(ReadAsFloat64, bool);
  itkGetConstMacro(ReadAsFloat64, bool);
  itkBooleanMacro(ReadAsFloat64);

  /** Write .nii/.nii.gz files as NIfTI-2. Default: off (CanWriteFile then refuses .nii). */
  itkSetMacro(WriteNIfTI2, bool);
  itkGetConstMacro(WriteNIfTI2, bool);
  itkBooleanMacro(WriteNIfTI2);

  /** nibabel's image class of the file last read ("MGHImage", ...); empty before a read. */
  const std::string &
  GetImageClassName() const
  {
    return m_ImageClassName;
  }

  /** The warnings nibabel raised while reading the file last read (header and data; one a line), when NiBridge
   * started Python; empty if none. In a Python program, warnings are left to Python. */
  const std::string &
  GetNiBabelWarnings() const
  {
    return m_NiBabelWarnings;
  }

  /*-------- Reading -------- */

  /** True for the files this IO should read rather than ITK's own IOs (see the class comment), judged by the
   * name and the first bytes. Cheap; never starts Python; never throws. */
  bool
  CanReadFile(const char * fileName) override;

  /** Opens the file with nibabel: dimensions, pixel type, geometry and metadata. */
  void
  ReadImageInformation() override;

  /** Reads the values of GetIORegion() into `buffer`, slicing nibabel's array proxy where it slices. */
  void
  Read(void * buffer) override;

  /** True where nibabel's array proxy reads a region without reading the whole (everything but ECAT);
   * before ReadImageInformation(), judged by the file name. */
  bool
  CanStreamRead() override;

  /** The requested region itself when streamed reading is on and the proxy slices, else the whole image. */
  ImageIORegion
  GenerateStreamableReadRegionFromRequestedRegion(const ImageIORegion & requested) const override;

  /** The real direction of a spatial axis, where ITK's default is the identity: ImageFileReader asks
   * for it when it reads a 4-D (or higher) file into a 3-D image (a 3-D application reading a series
   * or a single volume with a time axis of size 1). The spatial block of a nibabel geometry never
   * mixes with the extra axes, so its first three columns are a 3-D direction as they stand. */
  std::vector<double>
  GetDefaultDirection(unsigned int axis) const override;

  /** nibabel images have 1 to 7 axes; ITK's side has no limit. */
  bool
  SupportsDimension(unsigned long) override
  {
    return true;
  }

  /*-------- Writing -------- */

  /** True for .mgh and .mgz, and for .nii/.nii.gz when WriteNIfTI2 is on (any case). */
  bool
  CanWriteFile(const char * fileName) override;

  /** Checks that the image can be written; the header is written with the data by Write(). */
  void
  WriteImageInformation() override;

  /** Writes the whole image with nibabel, through a temporary file renamed over the target. */
  void
  Write(const void * buffer) override;

  /** False: the whole image is written at once. */
  bool
  CanStreamWrite() override
  {
    return false;
  }

protected:
  NiBabelImageIO();
  ~NiBabelImageIO() override;

  /** Prints the options, what the last read found and the Python home in use. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  struct Impl; // the nibabel volume of the last ReadImageInformation() (Python objects), in the .cxx
  std::unique_ptr<Impl> m_Impl;

  bool        m_ReadRawValues{ false };
  bool        m_ReadAsFloat64{ false };
  bool        m_WriteNIfTI2{ false };
  std::string m_ImageClassName;
  bool        m_Streamable{ false }; // nibabel's proxy of the file last read slices
  std::string m_InformationFileName; // the file m_Impl was opened from
  std::string m_InformationValues;   // "scaled", "raw" or "float64": the values m_Impl reads
  std::string m_NiBabelWarnings;     // raised while reading m_InformationFileName
};
} // namespace itk

#endif
