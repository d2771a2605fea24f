/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// The NiBridge plugin's loader: the one library in the plugin's directory, the file ITK_AUTOLOAD_PATH makes every
// ITK in a process open. It links no ITK (only the C library and the unwinder), so that an ITK other than the one
// NiBridge was built against (SimpleITK's static ITK 5.4, slicer-core's ITK 5.4.5, ...) can open it harmlessly; the
// plugin itself (itkNiBridgePlugin.cxx, which links ITK) sits in a subdirectory, which ITK does not search, and is
// loaded only for the ITK it fits.
//
// Why the decision is taken when ITK looks up `itkLoad`, not when it calls it: ITK's loader
// (ObjectFactoryBase::LoadLibrariesInPath, the same from ITK 4 to 5.4) calls what it found and writes into the
// factory returned (library handle, path) before registering it, with no null check; the object must be a factory of
// the caller's ITK, laid out as that ITK lays out its classes, which a library built against another ITK cannot give.
// But a library without `itkLoad` is skipped cleanly: ITK closes it and goes on. So `itkLoad` is a GNU indirect
// function: ITK's dlsym() runs its resolver, which finds the code that asked (the first frame of the stack outside
// the C library, the dynamic loader, ITK's system library and this loader) and answers with the entry point only if
// that code is in the ITKCommon library the plugin links (by soname, already loaded in the process); otherwise it
// prints one line naming both ITK versions and answers null, so that ITK finds no `itkLoad` here.
//
// For the ITK that fits, the resolver loads the plugin (RTLD_LOCAL, never unloaded) and answers with a function
// returning what the plugin's own entry point returns: a factory of that ITK. Glibc and ELF only.

#include <dlfcn.h>
#include <link.h>
#include <unwind.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#ifndef NIBRIDGE_PLUGIN_ITK_COMMON
#  error "NIBRIDGE_PLUGIN_ITK_COMMON: the soname of the ITKCommon library the plugin links"
#endif
#ifndef NIBRIDGE_PLUGIN_ITK_VERSION
#  error "NIBRIDGE_PLUGIN_ITK_VERSION: the version of the ITK the plugin was built against"
#endif
#ifndef NIBRIDGE_PLUGIN_LIBRARY
#  error "NIBRIDGE_PLUGIN_LIBRARY: the plugin's path, relative to this loader's directory"
#endif

namespace
{
/** What ITK's loader expects `itkLoad` to be: a function returning a factory (here opaque: no ITK is linked). */
using LoadFunction = void * (*)();

/** The name under which the plugin library exports its entry point (not `itkLoad`: ITK must never load it itself). */
constexpr const char * PluginEntryPoint = "nibridgePluginLoad";

constexpr int MaximumFrames = 64;

/** The loaded object (library or program) holding `address`, or null. */
const link_map *
ObjectHolding(const void * address)
{
  Dl_info    information{};
  link_map * object = nullptr;
  if (dladdr1(address, &information, reinterpret_cast<void **>(&object), RTLD_DL_LINKMAP) == 0)
  {
    return nullptr;
  }
  return object;
}

/** The file name of a loaded object, without its directory ("" for the program). */
const char *
BaseName(const link_map * object)
{
  const char * name = object->l_name != nullptr ? object->l_name : "";
  const char * slash = std::strrchr(name, '/');
  return slash != nullptr ? slash + 1 : name;
}

bool
StartsWith(const char * text, const char * prefix)
{
  return std::strncmp(text, prefix, std::strlen(prefix)) == 0;
}

/** Whether frames in `object` belong to the lookup itself rather than to the code that asked for `itkLoad`: this
 * loader, the C library and the dynamic loader (dlsym's own frames), the unwinder, and ITK's system library (where
 * itksys::DynamicLoader calls dlsym for ITKCommon when ITK is built shared). */
bool
IsPartOfTheLookup(const link_map * object, const link_map * loader)
{
  if (object == loader)
  {
    return true;
  }
  static constexpr const char * lookupLibraries[] = { "libc.so.", "libdl.so.",    "ld-linux",
                                                      "ld64.so.", "libgcc_s.so.", "libitksys-" };
  const char *                  name = BaseName(object);
  for (const char * prefix : lookupLibraries)
  {
    if (StartsWith(name, prefix))
    {
      return true;
    }
  }
  return false;
}

struct Frames
{
  const void * returnAddresses[MaximumFrames];
  int          count = 0;
};

_Unwind_Reason_Code
CollectFrame(_Unwind_Context * context, void * frames)
{
  auto & collected = *static_cast<Frames *>(frames);
  if (collected.count == MaximumFrames)
  {
    return _URC_END_OF_STACK;
  }
  collected.returnAddresses[collected.count++] = reinterpret_cast<const void *>(_Unwind_GetIP(context));
  return _URC_NO_REASON;
}

/** The loaded object whose code looked `itkLoad` up (the ITK asking), or null if the stack cannot tell. */
const link_map *
ObjectAskingForTheEntryPoint()
{
  Frames frames;
  _Unwind_Backtrace(CollectFrame, &frames);
  const link_map * loader = ObjectHolding(reinterpret_cast<const void *>(&ObjectAskingForTheEntryPoint));
  for (int frame = 0; frame < frames.count; ++frame)
  {
    // A return address follows its call: one byte back is inside the calling function.
    const auto *     inCall = static_cast<const char *>(frames.returnAddresses[frame]) - 1;
    const link_map * object = ObjectHolding(inCall);
    if (object == nullptr)
    {
      return nullptr; // code outside any loaded object (generated at run time): not an ITK
    }
    if (!IsPartOfTheLookup(object, loader))
    {
      return object;
    }
  }
  return nullptr;
}

/** Whether `object` is the ITKCommon the plugin links, as loaded in this process (it is loaded if it is asking). */
bool
IsThePluginsITK(const link_map * object)
{
  void * itk = dlopen(NIBRIDGE_PLUGIN_ITK_COMMON, RTLD_LAZY | RTLD_NOLOAD);
  if (itk == nullptr)
  {
    return false;
  }
  link_map * itkObject = nullptr;
  const bool same = dlinfo(itk, RTLD_DI_LINKMAP, &itkObject) == 0 && itkObject == object;
  dlclose(itk);
  return same;
}

/** The ITK version compiled into `object` ("itk version X.Y.Z", ITK_SOURCE_VERSION, is in every ITKCommon, shared or
 * linked in statically), written to `version`; "unknown" if it holds none. */
void
ITKVersionIn(const link_map * object, char (&version)[32])
{
  struct Search
  {
    const link_map * object;
    char *           version;
  } search{ object, version };
  std::snprintf(version, sizeof(version), "unknown");
  dl_iterate_phdr(
    [](dl_phdr_info * information, size_t, void * argument) -> int {
      auto &       wanted = *static_cast<Search *>(argument);
      const char * name = information->dlpi_name != nullptr ? information->dlpi_name : "";
      const char * wantedName = wanted.object->l_name != nullptr ? wanted.object->l_name : "";
      if (information->dlpi_addr != wanted.object->l_addr || std::strcmp(name, wantedName) != 0)
      {
        return 0;
      }
      static constexpr char prefix[] = "itk version ";
      for (int segment = 0; segment < information->dlpi_phnum; ++segment)
      {
        const ElfW(Phdr) & header = information->dlpi_phdr[segment];
        if (header.p_type != PT_LOAD || (header.p_flags & PF_R) == 0 || (header.p_flags & PF_W) != 0)
        {
          continue;
        }
        const auto * start = reinterpret_cast<const char *>(information->dlpi_addr + header.p_vaddr);
        const auto * found = static_cast<const char *>(memmem(start, header.p_filesz, prefix, sizeof(prefix) - 1));
        if (found == nullptr)
        {
          continue;
        }
        const char * digits = found + sizeof(prefix) - 1;
        const char * end = start + header.p_filesz;
        int          length = 0;
        while (digits + length < end && length < 31 &&
               (digits[length] == '.' || (digits[length] >= '0' && digits[length] <= '9')))
        {
          ++length;
        }
        if (length > 0)
        {
          std::snprintf(wanted.version, 32, "%.*s", length, digits);
          return 1;
        }
      }
      return 1;
    },
    &search);
}

/** The directory of this loader, with its trailing slash, written to `directory`; false if it cannot be found. */
bool
LoaderDirectory(char (&directory)[4096])
{
  Dl_info information{};
  if (dladdr(reinterpret_cast<const void *>(&LoaderDirectory), &information) == 0 || information.dli_fname == nullptr)
  {
    return false;
  }
  const char * slash = std::strrchr(information.dli_fname, '/');
  const int    length = slash != nullptr ? static_cast<int>(slash - information.dli_fname + 1) : 0;
  return std::snprintf(directory, sizeof(directory), "%.*s", length, information.dli_fname) <
         static_cast<int>(sizeof(directory));
}

/** The plugin's entry point, once loaded. */
LoadFunction pluginEntryPoint = nullptr;

/** Loads the plugin (once; never unloaded) and keeps its entry point. False, having said why on stderr, if it cannot
 * be loaded (a file missing from the installation): then ITK finds no `itkLoad` either. */
bool
LoadPlugin()
{
  if (pluginEntryPoint != nullptr)
  {
    return true;
  }
  char path[4096];
  if (!LoaderDirectory(path) || std::strlen(path) + std::strlen(NIBRIDGE_PLUGIN_LIBRARY) >= sizeof(path))
  {
    std::fprintf(stderr, "NiBridge plugin: not loaded: cannot find the directory it was loaded from\n");
    return false;
  }
  std::strcat(path, NIBRIDGE_PLUGIN_LIBRARY);
  void * plugin = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  pluginEntryPoint = plugin != nullptr ? reinterpret_cast<LoadFunction>(dlsym(plugin, PluginEntryPoint)) : nullptr;
  if (pluginEntryPoint == nullptr)
  {
    const char * reason = dlerror();
    std::fprintf(stderr, "NiBridge plugin: not loaded: %s: %s\n", path, reason != nullptr ? reason : "no entry point");
    return false;
  }
  return true;
}

/** The entry point given to the ITK the plugin fits: the plugin's, which returns a factory of that ITK. */
void *
CallPlugin()
{
  return pluginEntryPoint();
}

std::atomic<bool> refusalReported{ false };

} // namespace

/** The resolver of `itkLoad`, run by dlsym() each time an ITK looks the symbol up. */
extern "C" LoadFunction
nibridgeResolveITKLoad()
{
  const link_map * asking = ObjectAskingForTheEntryPoint();
  if (asking != nullptr && IsThePluginsITK(asking))
  {
    return LoadPlugin() ? &CallPlugin : nullptr;
  }
  if (!refusalReported.exchange(true))
  {
    char version[32];
    if (asking != nullptr)
    {
      ITKVersionIn(asking, version);
    }
    else
    {
      std::snprintf(version, sizeof(version), "unknown");
    }
    const char * where = asking == nullptr                                          ? ""
                         : (asking->l_name != nullptr && asking->l_name[0] != '\0') ? asking->l_name
                                                                                    : "the program";
    std::fprintf(stderr,
                 "NiBridge plugin: not loaded: built for ITK %s (%s), asked for by ITK %s%s%s; point ITK_AUTOLOAD_PATH "
                 "at it only for programs of ITK %s\n",
                 NIBRIDGE_PLUGIN_ITK_VERSION,
                 NIBRIDGE_PLUGIN_ITK_COMMON,
                 version,
                 asking != nullptr ? " in " : "",
                 where,
                 NIBRIDGE_PLUGIN_ITK_VERSION);
  }
  return nullptr;
}

/** ITK's entry point, an indirect function resolved by nibridgeResolveITKLoad for each lookup. */
extern "C" __attribute__((visibility("default"), ifunc("nibridgeResolveITKLoad"))) void *
itkLoad();
