/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeMGHImageIO_h
#define itkNiBridgeMGHImageIO_h

#include "NiBridgeCoreExport.h"

#include "itkNiBridgeImageIOBase.h"
#include "itkNiBridgeImageIOFactory.h"

#include <memory>

namespace itk
{
namespace nibridge
{
class DataStream;
} // namespace nibridge

/** \class NiBridgeMGHImageIO
 * \brief Reads FreeSurfer's MGH (`.mgh`) and gzip-compressed MGH (`.mgz`) files natively, exactly as nibabel
 * reads them.
 *
 * One pass over the stream: the header, the voxel block, then the footer (TR, flip angle, TE, TI, FoV) that follows
 * it, so a `.mgz` is decompressed once (nibabel decompresses it twice: once to reach the footer). The footer's fields
 * go into the metadata when the header is read for `.mgh` files and 4-D images (whose TR is their time spacing);
 * for a 3-D `.mgz` they are added to the dictionary by Read() unless ReadFooterWithHeader is on (then the stream is
 * decoded once for the header, and again for the voxels).
 *
 * nibabel's rules (see NiBridgeImageIOBase for values, axes, geometry and metadata): version 1 only, non-zero
 * dimensions, the type codes uint8, int16, int32, float32 and uint16 (big-endian); goodRASFlag 0 means nibabel's
 * default geometry; the affine is nibabel's float32 `MGHHeader.get_affine()`; a fourth dimension of 1 is dropped.
 * A truncated or corrupt file is an error, never zeros.
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NiBridgeMGHImageIO : public NiBridgeImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeMGHImageIO);

  using Self = NiBridgeMGHImageIO;
  using Superclass = NiBridgeImageIOBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBridgeMGHImageIO);

  static constexpr const char * FactoryName = "NiBridgeMGHImageIOFactory";
  static constexpr const char * FactoryDescription = "MGH/MGZ ImageIO, native, with nibabel's rules (NiBridge)";

  /** Read a `.mgz`'s footer while reading its header (a second pass over the stream), so that the dictionary is
   * complete before Read(), as itk::ImageFileReader copies it. Default: on; NiBridge's own callers, which take the
   * dictionary after Read(), turn it off. */
  itkSetMacro(ReadFooterWithHeader, bool);
  itkGetConstMacro(ReadFooterWithHeader, bool);
  itkBooleanMacro(ReadFooterWithHeader);

  /*-------- Reading -------- */

  /** True for regular `.mgh` / `.mgz` files (any case) with at least one byte (after gzip, for `.mgz`): every such
   * file is nibabel's to read (MGHImage sniffs nothing), so a bad one gets this reader's error naming it. Cheap;
   * never throws. */
  bool
  CanReadFile(const char * fileName) override;

  /** Reads the header (and, see ReadFooterWithHeader, the footer): dimensions, pixel type, geometry, metadata. */
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

  /** False: MGH files are written by NiBabelImageIO. */
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
  NiBridgeMGHImageIO();
  ~NiBridgeMGHImageIO() override;

  /** Prints the options and what the last read found. */
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  /** Reads the footer where the stream has reached it, after the voxels, and adds its fields to the dictionary. */
  void
  TakeFooter(nibridge::DataStream & data);

  struct Information; // the header last read and the open voxel stream, in the .cxx
  std::unique_ptr<Information> m_Information;
  bool                         m_ReadFooterWithHeader{ true };
};

using NiBridgeMGHImageIOFactory = NiBridgeImageIOFactory<NiBridgeMGHImageIO>;

/** Registers the factory once per process, however often it is called; ITK's generated factory registration
 * calls it by this name (FACTORY_NAMES of itk-module.cmake). */
NiBridgeCore_EXPORT void
NiBridgeMGHImageIOFactoryRegister__Private();
} // namespace itk

#endif
