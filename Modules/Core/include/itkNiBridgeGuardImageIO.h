/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeGuardImageIO_h
#define itkNiBridgeGuardImageIO_h

#include "NiBridgeCoreExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeImageIOFactory.h"
#include "itkNiBridgeMacro.h"

#include <string>

namespace itk
{
/** \class NiBridgeGuardImageIO
 * \brief The read guard's first check as an ImageIO: it takes every input that exists but is no readable regular file
 * (a FIFO, a device, a directory, a socket, a file this process may not read) and refuses it with one clear error.
 *
 * ITK's ImageFileReader asks each registered ImageIO whether it can read a file, and most of ITK's own open the file
 * to look: on a FIFO that open blocks for ever, on /dev/zero a reader never ends. Registered in front of every other
 * ImageIO (first in NiBridge's ImageIOList, and by the plugin in unmodified applications, where it takes nothing away:
 * no reader reads such an input), it answers first, so that none of them opens it. Files that do not exist, and
 * regular files, are left to the other ImageIOs. Reads nothing, writes nothing.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NiBridgeGuardImageIO : public ImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeGuardImageIO);

  using Self = NiBridgeGuardImageIO;
  using Superclass = ImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBridgeGuardImageIO);

  /** For NiBridgeImageIOFactory. */
  static constexpr const char * FactoryName = "NiBridgeGuardImageIOFactory";
  static constexpr const char * FactoryDescription =
    "NiBridge's read guard: refuses an input that is no readable regular file before any reader opens it";

  /** True for an input that exists but is no readable regular file (nibridge::WhyNotReadable); never opens it, never
   * throws. */
  bool
  CanReadFile(const char * fileName) override;

  /** Throws the reason: "\"<file>\": a FIFO (named pipe), not a regular file", ... */
  void
  ReadImageInformation() override;

  /** Throws the reason, as ReadImageInformation. */
  void
  Read(void * buffer) override;

  bool
  CanWriteFile(const char *) override
  {
    return false;
  }

  /** Throws: the guard writes nothing. */
  void
  WriteImageInformation() override;

  /** Throws: the guard writes nothing. */
  void
  Write(const void * buffer) override;

protected:
  NiBridgeGuardImageIO() = default;
  ~NiBridgeGuardImageIO() override = default;
};

/** The ITK object factory of NiBridgeGuardImageIO. */
using NiBridgeGuardImageIOFactory = NiBridgeImageIOFactory<NiBridgeGuardImageIO>;
} // namespace itk

#endif
