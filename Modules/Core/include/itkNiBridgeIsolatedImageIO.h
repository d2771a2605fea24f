/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeIsolatedImageIO_h
#define itkNiBridgeIsolatedImageIO_h

#include "NiBridgeCoreExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeImageIOFactory.h"
#include "itkNiBridgeMacro.h"

#include <memory>
#include <string>

namespace itk
{
/** \class NiBridgeIsolatedImageIO
 * \brief Reads every format of ITK's own ImageIOs (NRRD, MetaImage, PNG, TIFF, DICOM, VTK, ...) in a helper process,
 * behind NiBridge's read guard.
 *
 * ITK's readers rest on libraries that can abort the process (libpng on a truncated file, vnl on a non-finite
 * matrix), overflow a buffer (NrrdIO on sizes whose product overflows) or loop for ever (MetaIO on a negative
 * NDims) when a file is damaged. This ImageIO runs them in `nibridge-itk-reader`, a small program beside NiBridge's
 * libraries: a crash, an abort or a hang there ends that process only, and becomes an itk::ExceptionObject naming the
 * file and what happened ("ITK's NrrdImageIO crashed (Segmentation fault) reading it"). The helper applies the guard
 * (itkNiBridgeReadGuard.h) before it allocates anything, and is stopped after GetReadTimeout() seconds per step.
 * What the libraries print goes to the parent, which leaves it out, or sums it up in the error's one line.
 *
 * The helper picks the ImageIO exactly as ITK's ImageIOFactory does (the first of ITK's ImageIOs, in ITK's order,
 * whose CanReadFile takes the file), reads the whole image in this machine's byte order, and hands it over through a
 * socket: the values, geometry, pixel type and dictionary (text, numbers and vectors of numbers) are ITK's, as an
 * in-process read would give them. The cost is a process start (about 30 ms) and one copy of the voxels.
 *
 * Reading only, the whole image at a time (no streaming). Writers stay ITK's own, in the calling process. In
 * NiBridge's ImageIOList this entry stands in front of ITK's for reading; NIBRIDGE_ITK_READERS=in-process reads
 * ITK's formats in the calling process instead (no isolation). The helper program is found beside the library that
 * holds this class (its bin/, ../bin/, ../../bin/ or ../libexec/nibridge/ folder), or at NIBRIDGE_ITK_READER.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NiBridgeIsolatedImageIO : public ImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeIsolatedImageIO);

  using Self = NiBridgeIsolatedImageIO;
  using Superclass = ImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBridgeIsolatedImageIO);

  /** For NiBridgeImageIOFactory. */
  static constexpr const char * FactoryName = "NiBridgeIsolatedImageIOFactory";
  static constexpr const char * FactoryDescription =
    "ITK's own readers, run in a helper process behind NiBridge's read guard";

  /*-------- Reading -------- */

  /** Whether one of ITK's ImageIOs reads the file (asked in the helper process, which stays up for the read). Also
   * true for a file the helper failed on (a crash, a time-out, an error of the guard) and for an existing file that is
   * no regular file, so that ReadImageInformation reports why. Never throws. */
  bool
  CanReadFile(const char * fileName) override;

  /** The image information ITK's ImageIO read in the helper; throws if the helper failed, naming the file. */
  void
  ReadImageInformation() override;

  /** The whole image, read in the helper and handed over; the IO region must be the whole image. */
  void
  Read(void * buffer) override;

  /** The ITK ImageIO class that read the last file in the helper ("NrrdImageIO", ...); empty before a read. */
  const std::string &
  GetITKImageIOName() const
  {
    return m_ITKImageIOName;
  }

  /** Where the helper program is: NIBRIDGE_ITK_READER, else the first of the places beside this library that holds
   * it; empty if none does. */
  static std::string
  FindHelperProgram();

  /** Whether ITK's formats are read in the helper (the default) rather than in the calling process
   * (NIBRIDGE_ITK_READERS=in-process). */
  static bool
  IsolationIsOn();

  /*-------- Writing: none -------- */

  bool
  CanWriteFile(const char *) override
  {
    return false;
  }

  /** Throws: this ImageIO does not write. */
  void
  WriteImageInformation() override;

  /** Throws: this ImageIO does not write. */
  void
  Write(const void * buffer) override;

  /** ITK's readers decide; the helper takes any number of axes. */
  bool
  SupportsDimension(unsigned long) override
  {
    return true;
  }

protected:
  NiBridgeIsolatedImageIO();
  ~NiBridgeIsolatedImageIO() override;

  /** Prints the ITK ImageIO of the last read and whether a helper is running. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  /** Starts the helper for m_FileName and takes its first answer (unless it is running for it already). */
  void
  StartSession();

  struct Session;
  std::unique_ptr<Session> m_Session;
  std::string              m_SessionFileName;
  std::string              m_ITKImageIOName;
  std::string              m_Failure;     // why the helper failed on m_SessionFileName; empty if it did not
  bool                     m_HasReader{}; // whether an ITK ImageIO took m_SessionFileName
  std::string              m_Information; // the helper's image information (readerprocess::EncodeInformation)
};

/** The ITK object factory of NiBridgeIsolatedImageIO. */
using NiBridgeIsolatedImageIOFactory = NiBridgeImageIOFactory<NiBridgeIsolatedImageIO>;
} // namespace itk

#endif
