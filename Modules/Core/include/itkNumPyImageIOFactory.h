/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNumPyImageIOFactory_h
#define itkNumPyImageIOFactory_h

#include "NiBridgeCoreExport.h"

#include "itkImageIOBase.h"
#include "itkNiBridgeMacro.h"
#include "itkObjectFactoryBase.h"

namespace itk
{
/** \class NumPyImageIOFactory
 * \brief Creates NumPyImageIO objects, so that itk::ImageFileReader and itk::ImageFileWriter handle `.npy` files.
 *
 * Register it once with RegisterOneFactory() (or through NumPyImageIOFactoryRegister__Private(), which ITK's
 * factory registration calls for the FACTORY_NAMES of itk-module.cmake).
 * \ingroup NiBridgeCore
 */
class NiBridgeCore_EXPORT NumPyImageIOFactory : public ObjectFactoryBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NumPyImageIOFactory);

  using Self = NumPyImageIOFactory;
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
  itkOverrideGetNameOfClassMacro(NumPyImageIOFactory);

  /** Registers one NumPyImageIOFactory with ITK's object factories. */
  static void
  RegisterOneFactory()
  {
    auto factory = NumPyImageIOFactory::New();
    ObjectFactoryBase::RegisterFactoryInternal(factory);
  }

protected:
  NumPyImageIOFactory();
  ~NumPyImageIOFactory() override;
};

/** Registers the factory once per process, however often it is called; ITK's generated factory registration
 * calls it by this name. */
NiBridgeCore_EXPORT void
NumPyImageIOFactoryRegister__Private();

} // namespace itk

#endif
