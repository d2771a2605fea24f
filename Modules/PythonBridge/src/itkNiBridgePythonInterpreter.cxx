/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgePythonSupport.h" // Python.h first, as Python asks

#include "itkNiBridgePythonInterpreter.h"

#include "itkNiBridgeComponentType.h"
#include "itkNiBridgePythonBuild.h"
#include "itkNiBridgeText.h"

#include "itkMacro.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

#include <dlfcn.h>

namespace itk
{
namespace nibridge
{
namespace
{
using python::Checked;
using python::Reference;
using python::Text;
using python::ThrowPythonError;

constexpr const char * HelperModuleName = "_nibridge_nibabel_io";
constexpr const char * HelperFileName = "nibridge_nibabel_io.py";

/** What happened when NiBridge tried to start Python (once per process). */
struct StartState
{
  std::once_flag    once;
  std::atomic<bool> startedByNiBridge{ false };
  std::string       failure; // empty: running (written inside `once` only)
};

StartState &
GetStartState()
{
  static StartState state;
  return state;
}

std::string
EnvironmentValue(const char * name)
{
  const char * value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::vector<std::string>
SplitPathList(const std::string & list)
{
  std::vector<std::string> entries;
  std::string::size_type   begin = 0;
  while (begin <= list.size())
  {
    const std::string::size_type end = std::min(list.find(':', begin), list.size());
    if (end > begin)
    {
      entries.push_back(list.substr(begin, end - begin));
    }
    begin = end + 1;
  }
  return entries;
}

/** The Python version NiBridge was compiled for, "3.11". */
std::string
PythonVersion()
{
  return std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION);
}

/** The virtual environment NiBridge is installed into (by pip, with the wheel), if it is. */
struct VirtualEnvironment
{
  std::string prefix;                     // the venv's directory (sys.prefix of its Python)
  std::string sitePackages;               // <prefix>/lib/pythonX.Y/site-packages
  std::string home;                       // its base Python's prefix, from pyvenv.cfg's `home`; empty if unknown
  bool        systemSitePackages = false; // pyvenv.cfg's include-system-site-packages
};

/** The settings of a pyvenv.cfg ("key = value" lines, keys in lower case, as Python's own site.py reads them). */
std::map<std::string, std::string>
VirtualEnvironmentSettings(const std::filesystem::path & configuration)
{
  std::ifstream                      stream(configuration);
  std::map<std::string, std::string> settings;
  std::string                        line;
  const auto                         trimmed = [](std::string text) {
    const auto first = text.find_first_not_of(" \t\r");
    const auto last = text.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  };
  while (std::getline(stream, line))
  {
    const auto equals = line.find('=');
    if (equals != std::string::npos)
    {
      settings[LowerCase(trimmed(line.substr(0, equals)))] = trimmed(line.substr(equals + 1)); // the last counts
    }
  }
  return settings;
}

/** The venv whose site-packages hold the file this code was loaded from (the wheel's extension, tools or modules),
 * found by its pyvenv.cfg; none if NiBridge is not inside one (a build tree, an installed prefix). */
std::optional<VirtualEnvironment>
FindVirtualEnvironment()
{
  Dl_info thisCode{};
  if (dladdr(reinterpret_cast<const void *>(&FindVirtualEnvironment), &thisCode) == 0 || thisCode.dli_fname == nullptr)
  {
    return std::nullopt;
  }
  std::error_code             ignored;
  const std::filesystem::path file = std::filesystem::weakly_canonical(thisCode.dli_fname, ignored);
  for (std::filesystem::path directory = file.parent_path(); directory.has_relative_path();
       directory = directory.parent_path())
  {
    const std::filesystem::path configuration = directory / "pyvenv.cfg";
    if (!std::filesystem::is_regular_file(configuration, ignored))
    {
      continue;
    }
    const std::filesystem::path sitePackages =
      std::filesystem::weakly_canonical(directory / "lib" / ("python" + PythonVersion()) / "site-packages", ignored);
    const std::string inside = file.lexically_relative(sitePackages).string();
    if (inside.empty() || inside.rfind("..", 0) == 0)
    {
      return std::nullopt; // a venv around NiBridge, but NiBridge is not installed in it
    }
    VirtualEnvironment environment;
    environment.prefix = directory.string();
    environment.sitePackages = sitePackages.string();
    const auto settings = VirtualEnvironmentSettings(configuration);
    const auto home = settings.find("home"); // the base Python's bin/
    if (home != settings.end() && !home->second.empty())
    {
      environment.home = std::filesystem::path(home->second).parent_path().string();
    }
    const auto system = settings.find("include-system-site-packages");
    environment.systemSitePackages = system != settings.end() && LowerCase(system->second) == "true";
    return environment;
  }
  return std::nullopt;
}

/** FindVirtualEnvironment(), once per process. */
const std::optional<VirtualEnvironment> &
ThisVirtualEnvironment()
{
  static const std::optional<VirtualEnvironment> environment = FindVirtualEnvironment();
  return environment;
}

/** The prefix of the Python whose library runs in this process: the nearest folder above libpython (or above the
 * program, where Python is linked into it) that holds this version's standard library; empty if none does. Found at
 * run time, so that NiBridge follows its libpython wherever the loader found it, not where it was at build time. */
std::string
LoadedPythonHome()
{
  Dl_info loaded{};
  if (dladdr(reinterpret_cast<void *>(&Py_IsInitialized), &loaded) == 0 || loaded.dli_fname == nullptr)
  {
    return {};
  }
  std::error_code             failed;
  const std::filesystem::path file = std::filesystem::canonical(loaded.dli_fname, failed);
  if (failed)
  {
    return {};
  }
  const std::filesystem::path landmark = std::filesystem::path("lib") / ("python" + PythonVersion()) / "os.py";
  for (std::filesystem::path directory = file.parent_path(); !directory.empty(); directory = directory.parent_path())
  {
    if (std::filesystem::is_regular_file(directory / landmark, failed))
    {
      return directory.string();
    }
    if (!directory.has_relative_path())
    {
      break; // the root, checked
    }
  }
  return {};
}

[[noreturn]] void
ThrowStartFailure(const std::string & reason)
{
  throw ExceptionObject(__FILE__,
                        __LINE__,
                        "cannot start the embedded Python (home " + PythonInterpreter::GetHome() + "): " + reason,
                        ITK_LOCATION);
}

/** Makes libpython's symbols global, so that extension modules loaded later (NumPy's do not link libpython)
 * resolve them even when this library, and libpython with it, were loaded with RTLD_LOCAL (an ITK plugin). */
void
PromoteLibPythonToGlobal()
{
  std::vector<std::string> candidates;
  Dl_info                  loaded{};
  // The libpython actually in the process first; then the one found at build time.
  if (dladdr(reinterpret_cast<void *>(&Py_IsInitialized), &loaded) != 0 && loaded.dli_fname != nullptr)
  {
    candidates.emplace_back(loaded.dli_fname);
  }
  candidates.emplace_back(build::PythonLibraryPath);
  candidates.emplace_back(build::PythonLibrarySOName);
  for (const int flags : { RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD, RTLD_NOW | RTLD_GLOBAL })
  {
    for (const std::string & candidate : candidates)
    {
      if (!candidate.empty() && dlopen(candidate.c_str(), flags) != nullptr)
      {
        return; // never closed: Python stays for the life of the process
      }
    }
  }
  // Not fatal: an executable linked to libpython already has its symbols global.
}

/** Checks that `home` holds this Python version's standard library before Python tries (and, failing,
 * prints its path configuration to stderr). */
void
CheckHome(const std::string & home)
{
  const std::string           version = PythonVersion();
  const std::string           landmark = "lib/python" + version + "/os.py";
  std::error_code             ignored;
  const std::filesystem::path path = std::filesystem::path(home) / landmark;
  if (!std::filesystem::is_regular_file(path, ignored))
  {
    ThrowStartFailure("it has no standard library of Python " + version + " (no " + landmark +
                      "); set NIBRIDGE_PYTHONHOME to the prefix (sys.base_prefix) of a Python " + version +
                      " installation");
  }
}

Reference
StringList(const std::vector<std::string> & entries)
{
  Reference list = Checked(PyList_New(0), "sys.path setup");
  for (const std::string & entry : entries)
  {
    Reference item = Checked(PyUnicode_DecodeFSDefault(entry.c_str()), "sys.path setup");
    if (PyList_Append(list.get(), item.get()) != 0)
    {
      ThrowPythonError("sys.path setup");
    }
  }
  return list;
}

/** sys.path = NIBRIDGE_PYTHONPATH entries + the standard library + `siteDirectories` and, if `homeSitePackages`, the
 * home's site-packages (with their .pth files). With a venv prefix, sys.prefix and sys.exec_prefix are the venv's, as
 * Python's own site.py sets them. */
void
SetUpSysPath(const std::vector<std::string> & extraPaths,
             const std::vector<std::string> & siteDirectories,
             bool                             homeSitePackages,
             const std::string &              venvPrefix)
{
  static const char * const code = R"python(
import site
import sys

sys.path[0:0] = [entry for entry in extra_paths if entry not in sys.path]
for directory in site_directories + (site.getsitepackages() if home_site_packages else []):
    site.addsitedir(directory)
if venv_prefix:
    sys.prefix = sys.exec_prefix = venv_prefix
)python";
  Reference                 globals = Checked(PyDict_New(), "sys.path setup");
  Reference                 prefix = Checked(PyUnicode_DecodeFSDefault(venvPrefix.c_str()), "sys.path setup");
  if (PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0 ||
      PyDict_SetItemString(globals.get(), "extra_paths", StringList(extraPaths).get()) != 0 ||
      PyDict_SetItemString(globals.get(), "site_directories", StringList(siteDirectories).get()) != 0 ||
      PyDict_SetItemString(globals.get(), "home_site_packages", homeSitePackages ? Py_True : Py_False) != 0 ||
      PyDict_SetItemString(globals.get(), "venv_prefix", prefix.get()) != 0)
  {
    ThrowPythonError("sys.path setup");
  }
  Checked(PyRun_String(code, Py_file_input, globals.get(), globals.get()), "sys.path setup");
}

/** Initializes Python (the calling thread then holds the GIL) and sets up sys.path. */
void
StartPython()
{
  const std::string home = PythonInterpreter::GetHome();
  CheckHome(home);
  PromoteLibPythonToGlobal();

  PyConfig config;
  // Isolated: PYTHONHOME, PYTHONPATH and the user's site-packages belong to whatever Python the host's
  // environment is set up for, not to this one. No signal handlers, no argv parsing, no stdio changes.
  PyConfig_InitIsolatedConfig(&config);
  config.install_signal_handlers = 0;
  config.site_import = 0; // SetUpSysPath adds site-packages in NiBridge's order
  config.parse_argv = 0;
  config.configure_c_stdio = 0;
  PyStatus          status = PyConfig_SetBytesString(&config, &config.home, home.c_str());
  const std::string program = home + "/bin/python" + std::to_string(PY_MAJOR_VERSION);
  std::error_code   ignored;
  if (!PyStatus_Exception(status) && std::filesystem::exists(program, ignored))
  {
    status = PyConfig_SetBytesString(&config, &config.program_name, program.c_str());
  }
  if (!PyStatus_Exception(status))
  {
    status = Py_InitializeFromConfig(&config);
  }
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status))
  {
    // Never Py_ExitStatusException: it would end the host process.
    ThrowStartFailure(std::string(status.func != nullptr ? status.func : "Py_InitializeFromConfig") + ": " +
                      (status.err_msg != nullptr ? status.err_msg : "failed"));
  }

  // From here on Python runs and this thread holds the GIL: release it whatever happens next, so that any
  // thread can take it with PyGILState_Ensure. The thread state is kept for the life of the process.
  struct ReleaseAtExit
  {
    ~ReleaseAtExit() { PyEval_SaveThread(); }
  } releaseAtExit;
  // Site-packages: NIBRIDGE_PYTHONHOME's alone; else those of the venv NiBridge is installed into (and its base
  // Python's only if the venv includes them); else the home's, and the build venv's if NiBridge was built in one.
  std::vector<std::string> siteDirectories;
  bool                     homeSitePackages = true;
  std::string              venvPrefix;
  if (EnvironmentValue("NIBRIDGE_PYTHONHOME").empty())
  {
    if (const auto & environment = ThisVirtualEnvironment())
    {
      siteDirectories = { environment->sitePackages };
      homeSitePackages = environment->systemSitePackages;
      venvPrefix = environment->prefix;
    }
    else
    {
      siteDirectories = PythonInterpreter::GetBuildSitePackages();
    }
  }
  SetUpSysPath(PythonInterpreter::GetExtraPaths(), siteDirectories, homeSitePackages, venvPrefix);
}

/** "module.QualifiedName" of an exception type ("ZeroDivisionError" for builtins). */
std::string
ExceptionTypeName(PyObject * type)
{
  if (type == nullptr)
  {
    return "unknown exception";
  }
  std::string name = reinterpret_cast<PyTypeObject *>(type)->tp_name;
  Reference   qualifiedName(PyObject_GetAttrString(type, "__qualname__"));
  Reference   module(PyObject_GetAttrString(type, "__module__"));
  PyErr_Clear();
  if (qualifiedName && PyUnicode_Check(qualifiedName.get()))
  {
    name = PyUnicode_AsUTF8(qualifiedName.get());
    if (module && PyUnicode_Check(module.get()) && std::string(PyUnicode_AsUTF8(module.get())) != "builtins")
    {
      name = std::string(PyUnicode_AsUTF8(module.get())) + "." + name;
    }
  }
  PyErr_Clear();
  return name;
}

std::string
FormattedTraceback(PyObject * type, PyObject * value, PyObject * traceback)
{
  if (traceback == nullptr)
  {
    return {};
  }
  Reference tracebackModule(PyImport_ImportModule("traceback"));
  Reference lines(tracebackModule
                    ? PyObject_CallMethod(tracebackModule.get(), "format_exception", "OOO", type, value, traceback)
                    : nullptr);
  Reference empty(PyUnicode_FromString(""));
  Reference joined(lines && empty ? PyUnicode_Join(empty.get(), lines.get()) : nullptr);
  if (!joined)
  {
    PyErr_Clear();
    return {};
  }
  std::string text = Text(joined.get());
  while (!text.empty() && text.back() == '\n')
  {
    text.pop_back();
  }
  return text;
}

/** str(sys.prefix) of the running Python. GIL held. */
std::string
RunningPrefix()
{
  PyObject * prefix = PySys_GetObject("prefix"); // borrowed
  return prefix != nullptr ? Text(prefix) : PythonInterpreter::GetHome();
}

/** Imports h5py (which nibabel imports for MINC2) with RTLD_DEEPBIND, unless it is imported already.
 *
 * Why: h5py's wheel carries its own libhdf5, and its extension modules call it by the plain HDF5 symbol names.
 * In a process where another libhdf5 is already global (every program linked to Debian's ITK: ITKIOHDF5 and
 * ITKIOMINC load the system's libhdf5_serial), those names resolve to that library, of another version, and
 * h5py fails ("ValueError: Not a datatype") — taking nibabel's import down with it. Deep binding makes h5py's
 * extensions look in their own dependencies first. A missing h5py is not an error here (nibabel then reads
 * everything but MINC2). AddressSanitizer refuses RTLD_DEEPBIND (it would bypass its interceptors), so the sanitizer
 * build imports h5py plainly: right where no other libhdf5 is global, as in ni2npy, which loads ITK's readers
 * RTLD_LOCAL. GIL held. */
void
ImportH5pyWithDeepBinding()
{
#if defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define NIBRIDGE_ADDRESS_SANITIZER
#  endif
#endif
#ifdef NIBRIDGE_ADDRESS_SANITIZER
  PyObject * const deepBinding = Py_False;
#else
  PyObject * const deepBinding = Py_True;
#endif
  static const char * const code = R"python(
import os
import sys

if "h5py" not in sys.modules:
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | (os.RTLD_DEEPBIND if deep_binding else 0))
    try:
        import h5py  # noqa: F401
    except ImportError:
        pass
    finally:
        sys.setdlopenflags(flags)
)python";
  Reference                 globals = Checked(PyDict_New(), "importing h5py");
  if (PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0 ||
      PyDict_SetItemString(globals.get(), "deep_binding", deepBinding) != 0)
  {
    ThrowPythonError("importing h5py");
  }
  Checked(PyRun_String(code, Py_file_input, globals.get(), globals.get()), "h5py is not importable");
}

/** Runs the helper's source into a fresh module. GIL held. */
Reference
CreateHelperModule()
{
  const std::string source(reinterpret_cast<const char *>(build::NiBabelHelperSource), build::NiBabelHelperSourceSize);
  return python::ModuleFromSource(
    source, HelperFileName, HelperModuleName, std::string("creating the nibabel helper (") + HelperFileName + ")");
}
} // namespace

namespace python
{
Reference
ImportModule(const std::string & name, const std::string & context)
{
  Reference module(PyImport_ImportModule(name.c_str()));
  if (!module)
  {
    ThrowPythonError(context + name + " is not importable from the Python at " + RunningPrefix());
  }
  return module;
}

Reference
ModuleFromSource(const std::string & source,
                 const std::string & fileName,
                 const std::string & moduleName,
                 const std::string & context)
{
  Reference  code = Checked(Py_CompileString(source.c_str(), fileName.c_str(), Py_file_input), context);
  Reference  module = Checked(PyModule_New(moduleName.c_str()), context);
  PyObject * namespaceDictionary = PyModule_GetDict(module.get()); // borrowed
  Reference  fileNameObject = Checked(PyUnicode_FromString(fileName.c_str()), context);
  if (PyDict_SetItemString(namespaceDictionary, "__builtins__", PyEval_GetBuiltins()) != 0 ||
      PyDict_SetItemString(namespaceDictionary, "__file__", fileNameObject.get()) != 0)
  {
    ThrowPythonError(context);
  }
  Checked(PyEval_EvalCode(code.get(), namespaceDictionary, namespaceDictionary), context);

  Reference linecache(PyImport_ImportModule("linecache"));
  Reference cache(linecache ? PyObject_GetAttrString(linecache.get(), "cache") : nullptr);
  Reference sourceText(PyUnicode_DecodeUTF8(source.data(), static_cast<Py_ssize_t>(source.size()), "replace"));
  Reference lines(sourceText ? PyObject_CallMethod(sourceText.get(), "splitlines", "O", Py_True) : nullptr);
  Reference entry(
    lines ? Py_BuildValue("(nOOO)", static_cast<Py_ssize_t>(source.size()), Py_None, lines.get(), fileNameObject.get())
          : nullptr);
  if (!cache || !entry || PyObject_SetItem(cache.get(), fileNameObject.get(), entry.get()) != 0)
  {
    PyErr_Clear(); // tracebacks without source lines: not worth failing for
  }
  return module;
}

Reference
Checked(PyObject * newReference, const std::string & context)
{
  if (newReference == nullptr)
  {
    ThrowPythonError(context);
  }
  return Reference(newReference);
}

std::string
Text(PyObject * object)
{
  Reference    text(object != nullptr ? PyObject_Str(object) : nullptr);
  Py_ssize_t   size = 0;
  const char * utf8 = text ? PyUnicode_AsUTF8AndSize(text.get(), &size) : nullptr;
  if (utf8 == nullptr)
  {
    PyErr_Clear();
    return "<unprintable>";
  }
  return std::string(utf8, static_cast<std::size_t>(size));
}

void
ThrowPythonError(const std::string & context)
{
  PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  if (type == nullptr)
  {
    itkGenericExceptionMacro(<< context << ": a Python call failed without setting an exception");
  }
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr && value != nullptr)
  {
    PyException_SetTraceback(value, traceback);
  }
  // Owned here and dropped while unwinding, with the caller's GILGuard still held.
  Reference         ownedType(type), ownedValue(value), ownedTraceback(traceback);
  const std::string typeName = ExceptionTypeName(type);
  const std::string message = value != nullptr ? Text(value) : std::string();
  const std::string formatted = FormattedTraceback(type, value, traceback);
  std::string       description = context + ": " + typeName + (message.empty() ? "" : ": " + message);
  if (!formatted.empty())
  {
    description += "\n" + formatted;
  }
  throw ExceptionObject(__FILE__, __LINE__, description, ITK_LOCATION);
}

PyObject *
NiBabelHelperModule()
{
  static PyObject * helper = nullptr; // read and written only with the GIL held
  if (helper != nullptr)
  {
    return helper;
  }
  // Imported first on their own for a clear message when either is missing.
  python::ImportModule("numpy");
  ImportH5pyWithDeepBinding();
  python::ImportModule("nibabel");
  Reference module = CreateHelperModule();
  // The imports above release the GIL: another thread may have finished first. Either module is fine.
  if (helper == nullptr)
  {
    // The one component-type table is Core's: the helper names components by its codes.
    Reference codes = Checked(PyDict_New(), "setting up the nibabel helper");
    for (const ComponentType type : AllComponentTypes)
    {
      Reference value = Checked(PyLong_FromLong(static_cast<long>(type)), "setting up the nibabel helper");
      if (PyDict_SetItemString(codes.get(), ComponentTypeName(type), value.get()) != 0)
      {
        ThrowPythonError("setting up the nibabel helper");
      }
    }
    Checked(PyObject_CallMethod(module.get(), "set_component_types", "(O)", codes.get()),
            "setting up the nibabel helper");
    // In an ITK program, nibabel's warnings belong to the image read, not on the program's stderr.
    if (GetStartState().startedByNiBridge.load())
    {
      Checked(PyObject_CallMethod(module.get(), "capture_warnings", nullptr), "setting up the nibabel helper");
    }
    PyObject * modules = PyImport_GetModuleDict(); // borrowed
    if (PyDict_SetItemString(modules, HelperModuleName, module.get()) != 0)
    {
      ThrowPythonError("registering the nibabel helper");
    }
    helper = module.release(); // kept for the life of the process
  }
  return helper;
}
} // namespace python

// ----------------------------------------------------------------------------------------------------------------

void
PythonInterpreter::Initialize()
{
  StartState & state = GetStartState();
  std::call_once(state.once, [&state]() {
    if (Py_IsInitialized())
    {
      return; // the host's Python: use it as it is
    }
    try
    {
      StartPython();
      state.startedByNiBridge = true;
    }
    catch (const ExceptionObject & error)
    {
      state.failure = error.GetDescription();
    }
  });
  if (!state.failure.empty())
  {
    throw ExceptionObject(__FILE__, __LINE__, state.failure, ITK_LOCATION);
  }
}

bool
PythonInterpreter::IsRunning()
{
  return Py_IsInitialized() != 0;
}

bool
PythonInterpreter::WasStartedByNiBridge()
{
  return GetStartState().startedByNiBridge.load();
}

std::string
PythonInterpreter::GetHome()
{
  const std::string home = EnvironmentValue("NIBRIDGE_PYTHONHOME");
  if (!home.empty())
  {
    return home;
  }
  const auto & environment = ThisVirtualEnvironment();
  if (environment && !environment->home.empty())
  {
    return environment->home;
  }
  static const std::string loadedHome = LoadedPythonHome();
  return loadedHome.empty() ? GetBuildHome() : loadedHome;
}

std::string
PythonInterpreter::GetBuildHome()
{
  return build::PythonHome;
}

std::vector<std::string>
PythonInterpreter::GetBuildSitePackages()
{
  return { build::PythonSitePackages, build::PythonSitePackages + build::NumberOfPythonSitePackages };
}

std::vector<std::string>
PythonInterpreter::GetExtraPaths()
{
  return SplitPathList(EnvironmentValue("NIBRIDGE_PYTHONPATH"));
}

std::string
PythonInterpreter::GetBuildLibraryPath()
{
  return build::PythonLibraryPath;
}

void
PythonInterpreter::ImportModule(const std::string & moduleName)
{
  Initialize();
  python::GILGuard gil;
  python::ImportModule(moduleName);
}

namespace
{
python::Reference
RunInFreshNamespace(const std::string & code, int start, const std::string & context, const PythonNames & names = {})
{
  Reference globals = Checked(PyDict_New(), context);
  if (PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0)
  {
    ThrowPythonError(context);
  }
  for (const auto & [name, object] : names)
  {
    if (PyDict_SetItemString(
          globals.get(), name.c_str(), object.IsNull() ? Py_None : static_cast<PyObject *>(object.Get())) != 0)
    {
      ThrowPythonError(context);
    }
  }
  return Checked(PyRun_String(code.c_str(), start, globals.get(), globals.get()), context);
}
} // namespace

std::string
PythonInterpreter::Evaluate(const std::string & expression, const std::string & context)
{
  Initialize();
  python::GILGuard gil;
  Reference        value = RunInFreshNamespace(expression, Py_eval_input, context);
  return python::Text(value.get());
}

PythonObject
PythonInterpreter::EvaluateObject(const std::string & expression,
                                  const PythonNames & names,
                                  const std::string & context)
{
  Initialize();
  python::GILGuard gil;
  return PythonObject::FromNewReference(RunInFreshNamespace(expression, Py_eval_input, context, names).release());
}

void
PythonInterpreter::Execute(const std::string & statements, const std::string & context)
{
  Initialize();
  python::GILGuard gil;
  RunInFreshNamespace(statements, Py_file_input, context);
}

} // namespace nibridge
} // namespace itk
