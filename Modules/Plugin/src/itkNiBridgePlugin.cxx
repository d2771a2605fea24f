/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// The NiBridge plugin: the shared library that unmodified ITK 5.2 applications (elastix, plastimatch, any
// program linked against the same ITK) load when ITK_AUTOLOAD_PATH names its directory.
//
// How ITK 5.2 loads it (Modules/Core/Common/src/itkObjectFactoryBase.cxx, v5.2.1): the first time the
// application asks the object factories for anything, ObjectFactoryBase::Initialize() registers the
// application's own factories (the ImageIO factories its ImageFileReader/Writer registered at static
// initialization), then dlopen()s every file ending in ".so" in each directory of ITK_AUTOLOAD_PATH, calls
// its `itkLoad`, sets the library handle and path on the factory returned and registers it at the back of the
// list. A version string differing from the application's ITK only prints a warning (unless strict version
// checking is on). itkLoad must return a factory: ITK dereferences the pointer without checking it.
//
// What that means here:
// - ImageIOFactory asks the ImageIOs in factory order and takes the first whose CanReadFile() says yes. The
//   factory itkLoad returns (NumPyImageIO) sits at the back: .npy is read by nothing else.
// - NiBabelImageIO must come first, or ITK's MINCImageIO takes .mnc files and mirrors x and y (it never
//   converts MINC's RAS to LPS). So itkLoad also registers NiBabelImageIOFactory at the front of the list,
//   as its RegisterOneFactory() does in NiBridge's own programs; NiBabelImageIO::CanReadFile() claims only
//   what ITK 5.2 cannot read or reads wrong, so NIfTI-1, Analyze, NRRD, MetaImage, ... stay with ITK.
// - Loading never fails because of Python. This library does not link Python: NiBabelImageIO (which links
//   libpython) is in a module beside it (nibabel/ under the plugin's directory, which ITK does not search),
//   loaded by itkLoad; if that fails (libpython gone, ...) the plugin says why on stderr and keeps .npy. Nor
//   does loading start Python: the factories only construct ImageIOs, whose constructors and CanReadFile()
//   do not touch it. The interpreter starts on the first read of a nibabel file; a broken Python then fails
//   that read with an itk::ExceptionObject, and every other format keeps working.
// - Only itkLoad is exported (hidden visibility; static libraries linked in stay private), and the library
//   is never unloaded (-z nodelete): ITK dlclose()s plugins while the process exits, and an embedded Python
//   must not lose its code under it.

#include "itkNiBridgeMacro.h"
#include "itkNumPyImageIO.h"
#include "itkObjectFactoryBase.h"
#include "itkVersion.h"

#ifdef NIBRIDGE_PLUGIN_NIBABEL_MODULE
#  include <dlfcn.h>

#  include <iostream>
#  include <string>
#endif

namespace itk
{
namespace
{
/** \class NiBridgeImageIOFactory
 * \brief The factory the plugin hands to ITK, which registers it after the application's own ImageIO factories:
 * NumPyImageIO (.npy). NiBabelImageIO comes from NiBabelImageIOFactory, registered at the front by itkLoad.
 * \ingroup NiBridgePlugin
 */
class NiBridgeImageIOFactory : public ObjectFactoryBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgeImageIOFactory);

  using Self = NiBridgeImageIOFactory;
  using Superclass = ObjectFactoryBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkFactorylessNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBridgeImageIOFactory);

  /** The ITK version the plugin was built against, compared by ITK with the application's. */
  const char *
  GetITKSourceVersion() const override
  {
    return ITK_SOURCE_VERSION;
  }

  /** A one-line description of what the factory creates. */
  const char *
  GetDescription() const override
  {
    return "NiBridge plugin: NumPy .npy files";
  }

protected:
  NiBridgeImageIOFactory()
  {
    this->RegisterOverride("itkImageIOBase",
                           "itkNumPyImageIO",
                           "NumPy .npy Image IO (NiBridge plugin)",
                           true,
                           CreateObjectFunction<NumPyImageIO>::New());
  }
  ~NiBridgeImageIOFactory() override = default;
};

#ifdef NIBRIDGE_PLUGIN_NIBABEL_MODULE
/** The function of the nibabel module that registers NiBabelImageIOFactory at the front of ITK's list. */
using RegisterNiBabelFormatsFunction = void (*)();

/** Loads the nibabel module (NIBRIDGE_PLUGIN_NIBABEL_MODULE, relative to this library's directory) and lets it
 * register NiBabelImageIOFactory. Any failure is reported on stderr and costs only the nibabel formats. */
void
LoadNiBabelFormats()
{
  const auto fail = [](const std::string & reason) {
    std::cerr << "NiBridge plugin: the formats read through nibabel are not available: " << reason << std::endl;
  };
  static const int inThisLibrary = 0;
  Dl_info          thisLibrary{};
  if (dladdr(&inThisLibrary, &thisLibrary) == 0 || thisLibrary.dli_fname == nullptr)
  {
    fail("cannot find where the plugin was loaded from");
    return;
  }
  const std::string pluginPath = thisLibrary.dli_fname;
  const std::string modulePath =
    pluginPath.substr(0, pluginPath.find_last_of('/') + 1) + NIBRIDGE_PLUGIN_NIBABEL_MODULE;
  // Never unloaded either: once Python has run, its code must stay.
  void * module = dlopen(modulePath.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (module == nullptr)
  {
    const char * reason = dlerror();
    fail(reason != nullptr ? reason : modulePath + " cannot be loaded");
    return;
  }
  const auto registerNiBabelFormats =
    reinterpret_cast<RegisterNiBabelFormatsFunction>(dlsym(module, "nibridgePluginRegisterNiBabelFormats"));
  if (registerNiBabelFormats == nullptr)
  {
    fail(modulePath + " has no nibridgePluginRegisterNiBabelFormats");
    return;
  }
  registerNiBabelFormats();
}
#endif

} // namespace
} // namespace itk

/** What ITK's loader expects itkLoad to return (its ITK_LOAD_FUNCTION type). */
using ObjectFactoryPointer = itk::ObjectFactoryBase *;

/** The entry point ITK's LoadDynamicFactories() looks up. Has NiBabelImageIOFactory registered at the front and
 * returns the plugin's one NiBridgeImageIOFactory (ITK registers it at the back and takes its own reference). */
extern "C" ITK_ABI_EXPORT ObjectFactoryPointer
itkLoad()
{
#ifdef NIBRIDGE_PLUGIN_NIBABEL_MODULE
  itk::LoadNiBabelFormats();
#endif
  // Held for the life of the process: ITK may register it again after a ReHash().
  static const itk::NiBridgeImageIOFactory::Pointer factory = itk::NiBridgeImageIOFactory::New();
  return factory.GetPointer();
}
