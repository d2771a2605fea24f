/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgePythonSupport.h" // Python.h first, as Python asks

#include "itkNiBridgePythonFunction.h"
#include "itkNiBridgePythonInterpreter.h"

#include "itkMacro.h"

namespace itk
{
namespace nibridge
{
using python::Checked;
using python::Reference;
using python::ThrowPythonError;

namespace
{
/** Whether a callable's signature takes the `geometry` keyword (a parameter of that name that can be given by
 * keyword, or **kwargs). A callable without a signature (some builtins) takes none. GIL held. */
bool
TakesGeometryKeyword(PyObject * callable)
{
  static PyObject * test = nullptr;
  if (test == nullptr)
  {
    const char * source = "import inspect\n"
                          "def takes_geometry(function):\n"
                          "    try:\n"
                          "        parameters = inspect.signature(function).parameters\n"
                          "    except (TypeError, ValueError):\n"
                          "        return False\n"
                          "    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)\n"
                          "    return ('geometry' in parameters and parameters['geometry'].kind in keyword) or any(\n"
                          "        p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())\n";
    Reference    module =
      python::ModuleFromSource(source, "<nibridge function signature>", "_nibridge_signature", "PythonFunction");
    test = Checked(PyObject_GetAttrString(module.get(), "takes_geometry"), "PythonFunction").release();
  }
  Reference result = Checked(PyObject_CallOneArg(test, callable), "PythonFunction: reading a callable's signature");
  return PyObject_IsTrue(result.get()) == 1;
}
} // namespace

PythonFunction
PythonFunction::FromName(const std::string & name)
{
  const auto colon = name.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == name.size())
  {
    itkGenericExceptionMacro(<< "PythonFunction: \"" << name << "\" names no callable: expected module:function");
  }
  const std::string moduleName = name.substr(0, colon);
  const std::string attributes = name.substr(colon + 1);
  PythonInterpreter::Initialize();
  python::GILGuard       gil;
  Reference              object = python::ImportModule(moduleName, "PythonFunction " + name + ": the module ");
  std::string::size_type start = 0;
  while (start <= attributes.size())
  {
    const auto        dot = attributes.find('.', start);
    const std::string attribute = attributes.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    Reference         next(PyObject_GetAttrString(object.get(), attribute.c_str()));
    if (!next)
    {
      ThrowPythonError("PythonFunction " + name + ": " + moduleName + " has no " + attributes);
    }
    object = std::move(next);
    if (dot == std::string::npos)
    {
      break;
    }
    start = dot + 1;
  }
  return FromObject(PythonObject::FromNewReference(object.release()), name);
}

PythonFunction
PythonFunction::FromSource(const std::string & source, const std::string & functionName, const std::string & fileName)
{
  const std::string description = fileName + ":" + functionName;
  PythonInterpreter::Initialize();
  python::GILGuard gil;
  Reference        module =
    python::ModuleFromSource(source, fileName, "_nibridge_function_source", "PythonFunction " + description);
  Reference callable(PyObject_GetAttrString(module.get(), functionName.c_str()));
  if (!callable)
  {
    PyErr_Clear();
    itkGenericExceptionMacro(<< "PythonFunction " << description << ": the source defines no " << functionName);
  }
  return FromObject(PythonObject::FromNewReference(callable.release()), description);
}

PythonFunction
PythonFunction::FromObject(const PythonObject & callable, const std::string & description)
{
  if (callable.IsNull())
  {
    itkGenericExceptionMacro(<< "PythonFunction " << description << ": no callable given");
  }
  PythonInterpreter::Initialize();
  python::GILGuard gil;
  auto *           object = static_cast<PyObject *>(callable.Get());
  if (PyCallable_Check(object) == 0)
  {
    itkGenericExceptionMacro(<< "PythonFunction " << description << " is not callable: it is a "
                             << Py_TYPE(object)->tp_name << " (" << callable.Repr() << ")");
  }
  PythonFunction function;
  function.m_Callable = callable;
  function.m_Description = description;
  function.m_TakesGeometry = TakesGeometryKeyword(object);
  return function;
}

PythonObject
PythonFunction::Call(const std::vector<PythonObject> & arguments,
                     const PythonObject &              geometry,
                     const std::string &               what) const
{
  if (m_Callable.IsNull())
  {
    itkGenericExceptionMacro(<< what << ": no Python function given");
  }
  python::GILGuard  gil;
  const std::string context = what + ": " + m_Description + " raised";
  Reference         tuple = Checked(PyTuple_New(static_cast<Py_ssize_t>(arguments.size())), context);
  for (std::size_t index = 0; index < arguments.size(); ++index)
  {
    PyObject * argument = arguments[index].IsNull() ? Py_None : static_cast<PyObject *>(arguments[index].Get());
    PyTuple_SET_ITEM(tuple.get(), static_cast<Py_ssize_t>(index), Py_NewRef(argument));
  }
  Reference keywords;
  if (m_TakesGeometry && !geometry.IsNull())
  {
    keywords = Checked(PyDict_New(), context);
    if (PyDict_SetItemString(keywords.get(), "geometry", static_cast<PyObject *>(geometry.Get())) != 0)
    {
      ThrowPythonError(context);
    }
  }
  PyObject * result = PyObject_Call(static_cast<PyObject *>(m_Callable.Get()), tuple.get(), keywords.get());
  if (result == nullptr)
  {
    ThrowPythonError(context);
  }
  return PythonObject::FromNewReference(result);
}

} // namespace nibridge
} // namespace itk
