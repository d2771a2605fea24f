/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeImageIOFactory_h
#define itkNiBridgeImageIOFactory_h

#include "itkNiBridgeMacro.h"
#include "itkObjectFactoryBase.h"
#include "itkVersion.h"

#include <algorithm>
#include <list>
#include <string>

namespace itk
{
namespace nibridge
{
/** Whether a factory of this class name is in ITK's registry: NiBridge registers each of its factories once, by
 * content, however many times it is asked (and again after ITK's ReHash() has emptied the registry). */
inline bool
IsFactoryRegistered(const char * name)
{
  const std::list<ObjectFactoryBase *> registered = ObjectFactoryBase::GetRegisteredFactories();
  return std::any_of(registered.begin(), registered.end(), [name](ObjectFactoryBase * factory) {
    return std::string(factory->GetNameOfClass()) == name;
  });
}
} // namespace nibridge

/** \class NiBridgeImageIOFactory
 * \brief The ITK object factory of one of NiBridge's ImageIOs, so that itk::ImageFileReader and itk::ImageFileWriter
 * use it: `NiBridgeImageIOFactory<TImageIO>::RegisterOneFactory()`, or all of NiBridge's at once, in the priority
 * order of itk::nibridge::ImageIOList, with itk::nibridge::RegisterImageIOFactories().
 *
 * TImageIO names itself to its factory with two static members: `FactoryName` ("NumPyImageIOFactory", the class name
 * ITK reports) and `FactoryDescription` (one line). Each ImageIO header defines the usual alias
 * (`using NumPyImageIOFactory = NiBridgeImageIOFactory<NumPyImageIO>`).
 * \ingroup NiBridgeCore
 */
template<typename TImageIO>
class NiBridgeImageIOFactory : public ObjectFactoryBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeImageIOFactory);

  using Self = NiBridgeImageIOFactory;
  using Superclass = ObjectFactoryBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkFactorylessNewMacro(Self);

  /** The factory's name, the ImageIO's with "Factory" appended. */
  const char *
  GetNameOfClass() const override
  {
    return TImageIO::FactoryName;
  }

  /** The ITK version this factory was built against. */
  const char *
  GetITKSourceVersion() const override
  {
    return ITK_SOURCE_VERSION;
  }

  /** A one-line description of what the factory creates. */
  const char *
  GetDescription() const override
  {
    return TImageIO::FactoryDescription;
  }

  /** Registers one factory in front of ITK's object factories, unless one of its name is registered already: its
   * ImageIOs are asked before ITK's own (so that, for instance, NiBabelImageIO reads .mnc files rather than ITK's
   * MINCImageIO, which mirrors x and y). */
  static void
  RegisterOneFactory()
  {
    if (!nibridge::IsFactoryRegistered(TImageIO::FactoryName))
    {
      ObjectFactoryBase::RegisterFactory(Self::New(), ObjectFactoryBase::INSERT_AT_FRONT);
    }
  }

protected:
  NiBridgeImageIOFactory()
  {
    const std::string className = std::string("itk") + TImageIO::New()->GetNameOfClass();
    this->RegisterOverride(
      "itkImageIOBase", className.c_str(), TImageIO::FactoryDescription, true, CreateObjectFunction<TImageIO>::New());
  }
  ~NiBridgeImageIOFactory() override = default;
};
} // namespace itk

#endif
