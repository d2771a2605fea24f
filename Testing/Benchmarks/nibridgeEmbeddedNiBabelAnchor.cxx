/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// nibridge-bench-embedded-nibabel INPUT OUTPUT.npy
//
// The benchmark's "native program that embeds Python" anchor, in the shape of the original ni2npy64 (PyO3 +
// nibabel): a compiled program starts an interpreter in its own process, imports nibabel and numpy and makes
// the three calls of bench_ni2npy.py's nibabel script (nibabel.load, get_fdata, numpy.save), with INPUT and
// OUTPUT as sys.argv[1] and sys.argv[2]. It links libpython and nothing else of NiBridge or ITK.
//
// The interpreter is the build's Python: its home (sys.base_prefix) and site-packages, which CMake asked the
// build's python3 for at configure time, are compiled in (NIBRIDGE_PYTHON_HOME, and
// NIBRIDGE_PYTHON_SITE_PACKAGES with ':' between directories). The configuration is isolated, so PYTHONHOME,
// PYTHONPATH and the user's site-packages cannot change what is measured. Like a PyO3 program it installs no
// signal handlers and never finalizes Python: the process ends when the work is done, which spares it the
// interpreter's tear-down (the anchor is, if anything, flattered).
// Prints nothing on success; on failure prints Python's traceback or one line to stderr and exits with 1.

// Python.h first: it defines macros that change how the standard headers compile.
#include <Python.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace
{
constexpr const char * ToolName = "nibridge-bench-embedded-nibabel";
constexpr const char * PythonHome = NIBRIDGE_PYTHON_HOME;
constexpr const char * PythonSitePackages = NIBRIDGE_PYTHON_SITE_PACKAGES;
constexpr const char * Conversion = "import sys, nibabel, numpy; img = nibabel.load(sys.argv[1]); "
                                    "numpy.save(sys.argv[2], img.get_fdata())";

/** Starts the build's Python with sys.argv = argv; on failure prints why and returns false. */
bool
StartPython(int argc, char * argv[])
{
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.install_signal_handlers = 0;
  config.parse_argv = 0; // argv is sys.argv as given, not Python's own options
  PyStatus status = PyConfig_SetBytesString(&config, &config.home, PythonHome);
  if (!PyStatus_Exception(status))
  {
    status = PyConfig_SetBytesArgv(&config, argc, argv);
  }
  if (!PyStatus_Exception(status))
  {
    status = Py_InitializeFromConfig(&config);
  }
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status))
  {
    std::cerr << ToolName << ": error: cannot start Python (home " << PythonHome
              << "): " << (status.err_msg != nullptr ? status.err_msg : "Py_InitializeFromConfig failed") << std::endl;
    return false;
  }
  return true;
}

/** site.addsitedir for each of the build's site-packages directories (a virtual environment's are not under
 * its home), .pth files included; returns false, with the traceback printed, on failure. */
bool
AddBuildSitePackages()
{
  PyObject *  site = PyImport_ImportModule("site");
  bool        added = site != nullptr;
  std::string remaining = PythonSitePackages;
  while (added && !remaining.empty())
  {
    const std::string::size_type separator = remaining.find(':');
    const std::string            directory = remaining.substr(0, separator);
    remaining = separator == std::string::npos ? std::string() : remaining.substr(separator + 1);
    if (directory.empty())
    {
      continue;
    }
    PyObject * path = PyUnicode_DecodeFSDefault(directory.c_str());
    PyObject * result = path != nullptr ? PyObject_CallMethod(site, "addsitedir", "O", path) : nullptr;
    added = result != nullptr;
    Py_XDECREF(result);
    Py_XDECREF(path);
  }
  Py_XDECREF(site);
  if (!added)
  {
    PyErr_Print();
  }
  return added;
}
} // namespace

int
main(int argc, char * argv[])
{
  if (argc != 3)
  {
    std::cerr << "usage: " << ToolName << " INPUT OUTPUT.npy" << std::endl;
    return EXIT_FAILURE;
  }
  if (!StartPython(argc, argv) || !AddBuildSitePackages())
  {
    return EXIT_FAILURE;
  }
  // PyRun_SimpleString prints the traceback of an exception itself.
  return PyRun_SimpleString(Conversion) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
