/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgePythonSupport_h
#define itkNiBridgePythonSupport_h

// PRIVATE to NiBridgePython: never installed, never included by a public header. The one header
// that includes Python.h; the C API helpers shared by the library's .cxx files.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

// Before `namespace itk`: where ITK has a namespace of its own (Slicer's slicer_itk), its export header defines `itk`
// as that name (through itkNamespace.h, ITK 5.4).
#include "ITKCommonExport.h"

#include <memory>
#include <string>

namespace itk
{
namespace nibridge
{
namespace python
{
/** Holds the GIL for its lifetime (PyGILState_Ensure/Release): from any thread, nested or not.
 * Python must be running (PythonInterpreter::Initialize()). */
class GILGuard
{
public:
  GILGuard()
      : m_State(PyGILState_Ensure())
  {}
  ~GILGuard() { PyGILState_Release(m_State); }
  GILGuard(const GILGuard &) = delete;
  GILGuard &
  operator=(const GILGuard &) = delete;

private:
  PyGILState_STATE m_State;
};

/** Releases the GIL for its lifetime, in a thread that holds it (Py_BEGIN/END_ALLOW_THREADS). */
class GILRelease
{
public:
  GILRelease()
      : m_ThreadState(PyEval_SaveThread())
  {}
  ~GILRelease() { PyEval_RestoreThread(m_ThreadState); }
  GILRelease(const GILRelease &) = delete;
  GILRelease &
  operator=(const GILRelease &) = delete;

private:
  PyThreadState * m_ThreadState;
};

/** True while Python runs and is not shutting down: a thread may then take the GIL (PyGILState_Ensure). A thread
 * that asks for it while the interpreter finalizes would never get it, so references still held then are left to the
 * process's end instead. */
inline bool
CanTakeGIL() noexcept
{
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsInitialized() && !Py_IsFinalizing();
#else
  return Py_IsInitialized() && !_Py_IsFinalizing();
#endif
}

/** Drops a reference. Only ever called with the GIL held. */
struct ReferenceDeleter
{
  void
  operator()(PyObject * object) const
  {
    Py_XDECREF(object);
  }
};

/** An owned (new) reference; reset or destroy it only while holding the GIL. */
using Reference = std::unique_ptr<PyObject, ReferenceDeleter>;

/** Takes ownership of a new reference; throws the pending Python error (see ThrowPythonError) if it is null. */
Reference
Checked(PyObject * newReference, const std::string & context);

/** Turns the pending Python exception into an itk::ExceptionObject: "<context>: <Type>: <message>" followed by
 * the formatted traceback. Clears the Python error. Call with the GIL held. */
[[noreturn]] void
ThrowPythonError(const std::string & context);

/** Imports a module, or throws "<context><name> is not importable from the Python at <prefix>: <Type>: <message>"
 * with the traceback (ThrowPythonError). GIL held. */
Reference
ImportModule(const std::string & name, const std::string & context = {});

/** A new module `moduleName` of Python source text, run as if from `fileName` (registered with linecache, so that
 * tracebacks show its lines). Throws (ThrowPythonError, with `context`) if the source fails. GIL held. */
Reference
ModuleFromSource(const std::string & source,
                 const std::string & fileName,
                 const std::string & moduleName,
                 const std::string & context);

/** The UTF-8 text of str(object); "<unprintable>" if str() fails. GIL held. */
std::string
Text(PyObject * object);

/** The nibabel helper module (nibridge_nibabel_io.py compiled into the library), created at first use: checks
 * first that numpy and nibabel import, and throws a clear "... is not importable from the Python at ..." error if
 * not. A borrowed reference, valid for the life of the process. GIL held. */
PyObject *
NiBabelHelperModule();

} // namespace python
} // namespace nibridge
} // namespace itk

#endif
