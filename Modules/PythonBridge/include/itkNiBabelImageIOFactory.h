/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBabelImageIOFactory_h
#define itkNiBabelImageIOFactory_h

#include "NiBridgePythonExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeMacro.h"
#include "itkObjectFactoryBase.h"

namespace itk
{
/** \class NiBabelImageIOFactory
 * \brief Creates NiBabelImageIO objects, so that itk::ImageFileReader and itk::ImageFileWriter handle the formats
 * only nibabel reads (MGH/MGZ, MINC, PAR/REC, AFNI, ECAT, NIfTI-2, CIFTI-2) and write .mgh/.mgz.
 *
 * RegisterOneFactory() puts it in front of the factories already registered, so that .mnc files go to
 * NiBabelImageIO rather than ITK's MINCImageIO (which mirrors x and y); NiBabelImageIO::CanReadFile leaves the
 * formats ITK reads correctly (NIfTI-1, Analyze, NRRD, MetaImage, ...) to ITK. Creating the factory or its IOs
 * never starts Python.
 * \ingroup NiBridgePython
 */
class NiBridgePython_EXPORT NiBabelImageIOFactory : public ObjectFactoryBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBabelImageIOFactory);

  using Self = NiBabelImageIOFactory;
  using Superclass = ObjectFactoryBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  /** The ITK version this factory was built against. */
  const char *
  GetITKSourceVersion() const override;

  /** A one-line description of what the factory creates. */
  const char *
  GetDescription() const override;

  itkFactorylessNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBabelImageIOFactory);

  /** Registers one NiBabelImageIOFactory in front of ITK's object factories. */
  static void
  RegisterOneFactory();

protected:
  NiBabelImageIOFactory();
  ~NiBabelImageIOFactory() override;
};

/** Registers the factory once per process, however often it is called; ITK's generated factory registration
 * calls it by this name. */
NiBridgePython_EXPORT void
NiBabelImageIOFactoryRegister__Private();

} // namespace itk

#endif
