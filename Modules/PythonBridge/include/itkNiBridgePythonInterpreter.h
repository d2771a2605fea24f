/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgePythonInterpreter_h
#define itkNiBridgePythonInterpreter_h

#include "NiBridgePythonExport.h"
#include "itkNiBridgePythonObject.h"

#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** \class PythonInterpreter
 * \brief The one Python interpreter of the process, shared by everything in NiBridge that runs Python.
 *
 * Nothing here starts Python before it is needed: loading the library, creating ImageIOs and asking them
 * CanReadFile() never do. The first call that needs Python calls Initialize():
 *
 * - If Python already runs in the process (a Python program, 3D Slicer), it is used as it is: NiBridge only
 *   takes the GIL (PyGILState_Ensure) for each call and never changes sys.path.
 * - Otherwise Python is initialized once per process with the build's Python: home = the build Python's
 *   sys.base_prefix; sys.path = its standard library, then the build Python's site-packages (its
 *   site.getsitepackages() when NiBridge was configured: a virtual environment's own), then the home's, both
 *   with site.addsitedir (.pth files honoured). Environment variables override at run time:
 *   NIBRIDGE_PYTHONHOME replaces the home (its site-packages then come from the home), NIBRIDGE_PYTHONPATH
 *   (os.pathsep-separated) puts directories before everything else, as PYTHONPATH does. The interpreter is
 *   isolated from PYTHONHOME, PYTHONPATH and the user's site-packages, which belong to whatever other
 *   Python the host's environment is set up for. No signal handlers are installed: signals belong to the host.
 *   Before initializing, libpython is promoted to RTLD_GLOBAL, so that NumPy's extension modules (which do
 *   not link libpython) resolve its symbols when NiBridge itself was loaded with RTLD_LOCAL, as an ITK
 *   plugin is. After initializing, the GIL is released: any thread takes it when it needs it.
 * - Python is never finalized: NumPy cannot be initialized twice in a process, and finalizing at exit would
 *   race with ITK's static destructors and with threads still holding references. The operating system
 *   reclaims it at exit.
 *
 * A failed start (a home without a standard library, ...) is remembered and reported by every later call as
 * the same itk::ExceptionObject; it is never retried, since a half-initialized Python cannot start again.
 * Every Python exception becomes an itk::ExceptionObject carrying the context given (a file name), the
 * Python exception type and message, and the formatted traceback.
 *
 * Thread safety: every member may be called from any thread at any time.
 * \ingroup NiBridgePython
 */
class NiBridgePython_EXPORT PythonInterpreter
{
public:
  PythonInterpreter() = delete;

  /** Makes sure Python runs in this process, starting it on the first call unless the host already runs it.
   * Throws itk::ExceptionObject if it cannot start. */
  static void
  Initialize();

  /** True if Python runs in this process (whoever started it). Never starts it. */
  static bool
  IsRunning();

  /** True if NiBridge started Python; false if the host did or if nobody did yet. */
  static bool
  WasStartedByNiBridge();

  /** The Python home NiBridge starts Python with: NIBRIDGE_PYTHONHOME if set; else, if NiBridge is installed into a
   * virtual environment (the wheel, in <venv>/lib/pythonX.Y/site-packages, beside <venv>/pyvenv.cfg), that venv's
   * base Python (pyvenv.cfg's `home`), with the venv's site-packages and not the base's (unless the venv includes
   * them); else the prefix of the libpython in this process (found at run time: the nearest folder above it with
   * this version's standard library), with its site-packages; else the build Python's. */
  static std::string
  GetHome();

  /** The build Python's home (sys.base_prefix when NiBridge was configured). */
  static std::string
  GetBuildHome();

  /** The site-packages of the venv NiBridge was built in, if the build Python was a venv's (none otherwise: a
   * Python's own site-packages follow from its home), added to sys.path when NiBridge is not in a venv itself. */
  static std::vector<std::string>
  GetBuildSitePackages();

  /** The directories of NIBRIDGE_PYTHONPATH, put first in sys.path when NiBridge starts Python. */
  static std::vector<std::string>
  GetExtraPaths();

  /** The libpython this library was linked against, as found when NiBridge was configured. */
  static std::string
  GetBuildLibraryPath();

  /** Imports a module; throws "<name> is not importable from the Python at <home>: <Type>: <message>". */
  static void
  ImportModule(const std::string & moduleName);

  /** Evaluates a Python expression in a fresh namespace and returns str() of its value. A Python exception
   * becomes an itk::ExceptionObject starting with `context`. */
  static std::string
  Evaluate(const std::string & expression, const std::string & context = "Python expression");

  /** Evaluates a Python expression in a fresh namespace holding `names` and returns its value. A Python exception
   * becomes an itk::ExceptionObject starting with `context`. */
  static PythonObject
  EvaluateObject(const std::string & expression,
                 const PythonNames & names = {},
                 const std::string & context = "Python expression");

  /** Executes Python statements in a fresh namespace. A Python exception becomes an itk::ExceptionObject
   * starting with `context`. */
  static void
  Execute(const std::string & statements, const std::string & context = "Python statements");
};

} // namespace nibridge
} // namespace itk

#endif
