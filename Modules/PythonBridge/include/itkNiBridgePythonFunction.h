/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgePythonFunction_h
#define itkNiBridgePythonFunction_h

#include "NiBridgePythonExport.h"
#include "itkNiBridgePythonObject.h"

#include <string>
#include <vector>

namespace itk
{
namespace nibridge
{
/** \class PythonFunction
 * \brief A Python callable for C++ code to call with arrays: named `module:function` (`package.module:Class.method`
 * too) or defined by Python source text.
 *
 * The callable is found once, when the PythonFunction is made (a missing module, a missing name or an object that is
 * not callable is an itk::ExceptionObject saying which), and called with positional arguments; it gets a `geometry`
 * keyword argument only if its signature takes one (a parameter named `geometry`, or `**kwargs`). Every call takes
 * the GIL for itself and only for the call; a Python exception becomes an itk::ExceptionObject carrying the
 * callable's name, the exception's type and message, and the traceback.
 * \ingroup NiBridgePython
 */
class NiBridgePython_EXPORT PythonFunction
{
public:
  PythonFunction() = default;

  /** The callable `module:function`: the module is imported (sys.path as the interpreter has it; NIBRIDGE_PYTHONPATH
   * adds folders in a C++ program), then the dotted name after the colon is looked up in it. */
  static PythonFunction
  FromName(const std::string & name);

  /** The callable `functionName` that `source` (a module's text) defines; `fileName` names it in tracebacks. */
  static PythonFunction
  FromSource(const std::string & source,
             const std::string & functionName = "function",
             const std::string & fileName = "<PythonFunction source>");

  /** A callable given as a Python object (checked to be callable); `description` names it in errors. */
  static PythonFunction
  FromObject(const PythonObject & callable, const std::string & description);

  bool
  IsNull() const noexcept
  {
    return m_Callable.IsNull();
  }

  /** How errors name the callable: `module:function`, or the source's file name and function. */
  const std::string &
  GetDescription() const noexcept
  {
    return m_Description;
  }

  /** Whether the callable takes the `geometry` keyword. */
  bool
  TakesGeometry() const noexcept
  {
    return m_TakesGeometry;
  }

  /** Calls it with `arguments` (and `geometry=geometry` if it takes that and `geometry` is not null); returns what it
   * returned. Throws itk::ExceptionObject for a Python exception, naming `what` and the callable. */
  PythonObject
  Call(const std::vector<PythonObject> & arguments, const PythonObject & geometry, const std::string & what) const;

  const PythonObject &
  GetCallable() const noexcept
  {
    return m_Callable;
  }

private:
  PythonObject m_Callable;
  std::string  m_Description;
  bool         m_TakesGeometry = false;
};

} // namespace nibridge
} // namespace itk

#endif
