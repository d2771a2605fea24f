/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBabelImageIO_h
#define itkNiBabelImageIO_h

#include "NiBridgePythonExport.h"

#include "itkNiBridgeImageIOBase.h"

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
 * Files (CanReadFile): every format nibabel reads: NIfTI-1/-2 and Analyze (also .bz2/.zst-compressed), CIFTI-2,
 * MGH/MGZ, MINC1/2 (.mnc), PAR/REC, AFNI HEAD/BRIK(.gz), ECAT (.v). In NiBridge's priority list
 * (itk::nibridge::ImageIOList) the native readers come first, so this IO gets the NIfTI and MGH files they leave to
 * nibabel. With LeavesNIfTIToITK on (the plugin's default, so that results in existing ITK applications do not
 * change), NIfTI-1 and Analyze files are left to ITK's own NiftiImageIO. CanReadFile looks at the name and at most
 * the first bytes (gzip decompressed for .mgz/.nii.gz), never starts Python and never throws.
 *
 * Values, axes, geometry and metadata: NiBridgeImageIOBase (the same as the native readers'). In addition,
 * "NiBabel_MINC_Dimensions" (MINC's dimension names, in array order), "NiBabel_CIFTI2_Axis<i>" (one line per axis)
 * and "NiBabel_CIFTI2_XML" (CIFTI-2), and "NiBabel_Warnings": the warnings nibabel raised while reading the header,
 * one a line. When NiBridge started Python (an ITK program), nibabel's warnings are collected there (and by
 * GetNiBabelWarnings()) instead of being printed on the program's stderr; in a Python program they are Python's.
 * Pixels: bool -> UCHAR, float16 -> FLOAT (exact), complex64/128 -> COMPLEX of FLOAT/DOUBLE (with ReadAsFloat64:
 * COMPLEX of DOUBLE), nibabel's RGB24 and RGBA32 -> RGB/RGBA of UCHAR; native byte order.
 *
 * Streaming: where nibabel's array proxy slices (NIfTI, Analyze, MGH, AFNI, MINC, PAR/REC, CIFTI-2), Read()
 * reads only GetIORegion(), so a streamed pipeline never holds the whole file; ECAT is read whole.
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
class NiBridgePython_EXPORT NiBabelImageIO : public NiBridgeImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBabelImageIO);

  using Self = NiBabelImageIO;
  using Superclass = NiBridgeImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBabelImageIO);

  static constexpr const char * FactoryName = "NiBabelImageIOFactory";
  static constexpr const char * FactoryDescription = "every format nibabel reads, through embedded Python (NiBridge)";

  /** Leave NIfTI-1 and Analyze files to ITK's NiftiImageIO (CanReadFile says no). Default: the process-wide default,
   * itself off unless SetDefaultLeavesNIfTIToITK(true) (the plugin does). */
  itkSetMacro(LeavesNIfTIToITK, bool);
  itkGetConstMacro(LeavesNIfTIToITK, bool);
  itkBooleanMacro(LeavesNIfTIToITK);

  /** The LeavesNIfTIToITK of NiBabelImageIOs created from now on. */
  static void
  SetDefaultLeavesNIfTIToITK(bool leaves);

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

  bool        m_WriteNIfTI2{ false };
  bool        m_LeavesNIfTIToITK{ false };
  std::string m_ImageClassName;
  bool        m_Streamable{ false }; // nibabel's proxy of the file last read slices
  std::string m_InformationFileName; // the file m_Impl was opened from
  std::string m_InformationValues;   // "scaled", "raw" or "float64": the values m_Impl reads
  std::string m_NiBabelWarnings;     // raised while reading m_InformationFileName
};
} // namespace itk

#endif
