/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// The NiBridge plugin: the shared library that unmodified ITK 5.2 applications (elastix, plastimatch, any
// program linked against the same ITK) load when ITK_AUTOLOAD_PATH names its directory. ITK opens the plugin's
// loader (itkNiBridgePluginLoader.cxx, which links no ITK), and the loader loads this library from its subdirectory
// and calls nibridgePluginLoad() only when the ITK asking is the one this library links: any other ITK in the process
// (SimpleITK's, slicer-core's) finds no entry point and skips the plugin.
//
// How ITK 5.2 loads it (Modules/Core/Common/src/itkObjectFactoryBase.cxx, v5.2.1): the first time the
// application asks the object factories for anything, ObjectFactoryBase::Initialize() registers the
// application's own factories (the ImageIO factories its ImageFileReader/Writer registered at static
// initialization), then dlopen()s every file ending in ".so" in each directory of ITK_AUTOLOAD_PATH, calls
// its `itkLoad` (here: nibridgePluginLoad, through the loader), sets the library handle and path on the factory
// returned and registers it at the back of the list. A version string differing from the application's ITK only prints
// a warning (unless strict version checking is on). itkLoad must return a factory: ITK dereferences the pointer without
// checking it.
//
// What that means here:
// - ImageIOFactory asks the ImageIOs in factory order and takes the first whose CanReadFile() says yes. itkLoad
//   registers NiBridge's factories in front of the application's, in the order of NiBridge's one list
//   (itk::nibridge::ImageIOList, registration kind Plugin): the native MGH reader, NumPyImageIO and NiBabelImageIO.
//   NiBabelImageIO must come first, or ITK's MINCImageIO takes .mnc files and mirrors x and y (it never converts
//   MINC's RAS to LPS). NIfTI-1 and Analyze files stay with ITK's NiftiImageIO, so that results in elastix or
//   plastimatch never change silently: NiBabelImageIO leaves them alone, and NiBridge's native NIfTI reader is left
//   out, unless the user opts in with NIBRIDGE_PLUGIN_NIFTI=nibabel (then both take NIfTI in nibabel's way).
// - Loading never fails because of Python. This library does not link Python: NiBabelImageIO (which links
//   libpython) is in a module beside it (nibabel/ under the plugin's directory, which ITK does not search),
//   loaded by nibridgePluginLoad; if that fails (libpython gone, ...) the plugin says why on stderr and keeps the
//   native readers. Nor does loading start Python: the factories only construct ImageIOs, whose constructors and
//   CanReadFile() do not touch it. The interpreter starts on the first read of a nibabel file; a broken Python then
//   fails that read with an itk::ExceptionObject, and every other format keeps working.
// - ITK may call itkLoad again (after a ReHash()); the factories are registered again only if missing.
// - In a process that uses NiBridge itself (ni2npy, the Python package, a C++ program), the plugin registers nothing:
//   the program claimed ITK first (ImageIOList::ClaimITK), and has NiBridge's readers in its own order.
// - Only nibridgePluginLoad is exported (hidden visibility; static libraries linked in stay private), and the library
//   is never unloaded (-z nodelete): ITK dlclose()s plugins while the process exits, and an embedded Python
//   must not lose its code under it.

#include "itkNiBridgeImageIOList.h"
#include "itkNiBridgeMacro.h"
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
/** \class NiBridgePluginFactory
 * \brief The factory itkLoad hands to ITK, which registers it after the application's own: it overrides nothing (the
 * plugin registered NiBridge's ImageIO factories in front already) and names the plugin among ITK's factories.
 * \ingroup NiBridgePlugin
 */
class NiBridgePluginFactory : public ObjectFactoryBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NiBridgePluginFactory);

  using Self = NiBridgePluginFactory;
  using Superclass = ObjectFactoryBase;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkFactorylessNewMacro(Self);
  itkOverrideGetNameOfClassMacro(NiBridgePluginFactory);

  /** The ITK version the plugin was built against, compared by ITK with the application's. */
  const char *
  GetITKSourceVersion() const override
  {
    return ITK_SOURCE_VERSION;
  }

  /** A one-line description of the plugin. */
  const char *
  GetDescription() const override
  {
    return "NiBridge plugin: nibabel's formats and .npy (its ImageIO factories are registered in front)";
  }

protected:
  NiBridgePluginFactory() = default;
  ~NiBridgePluginFactory() override = default;
};

#ifdef NIBRIDGE_PLUGIN_NIBABEL_MODULE
/** The function of the nibabel module that hands over NiBabelImageIO, set for the plugin. */
using NiBabelImageIOsFunction = void (*)(std::vector<nibridge::ProvidedImageIO> *);

/** Loads the nibabel module (NIBRIDGE_PLUGIN_NIBABEL_MODULE, relative to this library's directory) and provides its
 * NiBabelImageIO to the list. Any failure is reported on stderr and costs only the formats nibabel reads. */
void
ProvideNiBabelFormats()
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
  const auto imageIOs = reinterpret_cast<NiBabelImageIOsFunction>(dlsym(module, "nibridgePluginNiBabelImageIOs"));
  if (imageIOs == nullptr)
  {
    fail(modulePath + " has no nibridgePluginNiBabelImageIOs");
    return;
  }
  std::vector<nibridge::ProvidedImageIO> provided;
  imageIOs(&provided);
  nibridge::ImageIOList::Provide(nibridge::ImageIOProvider::PythonBridge, std::move(provided));
}
#endif

} // namespace
} // namespace itk

/** What ITK's loader expects itkLoad to return (its ITK_LOAD_FUNCTION type). */
using ObjectFactoryPointer = itk::ObjectFactoryBase *;

/** The plugin's entry point, returned by the loader's `itkLoad` to the ITK this library links. Registers NiBridge's
 * ImageIO factories in front of the application's (ImageIOList::RegisterFactories for the plugin) and returns the
 * plugin's one NiBridgePluginFactory (ITK registers it at the back and takes its own reference). Never throws: ITK
 * would not catch the exception. */
extern "C" ITK_ABI_EXPORT ObjectFactoryPointer
nibridgePluginLoad()
{
  // Held for the life of the process: ITK may register it again after a ReHash().
  static const itk::NiBridgePluginFactory::Pointer factory = itk::NiBridgePluginFactory::New();
  try
  {
    if (!itk::nibridge::ImageIOList::ClaimITK(itk::nibridge::ImageIORegistration::Plugin))
    {
      return factory.GetPointer(); // a NiBridge program: its own list has NiBridge's readers already
    }
#ifdef NIBRIDGE_PLUGIN_NIBABEL_MODULE
    static const bool provided = (itk::ProvideNiBabelFormats(), true);
    static_cast<void>(provided);
#endif
    itk::nibridge::ImageIOList::RegisterFactories(itk::nibridge::ImageIORegistration::Plugin);
  }
  catch (const std::exception & error)
  {
    std::cerr << "NiBridge plugin: its readers are not available: " << error.what() << std::endl;
  }
  return factory.GetPointer();
}
