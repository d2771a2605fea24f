/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// A loadable module standing in for an ITK plugin: loaded with dlopen(RTLD_LOCAL), it brings NiBridgePython and
// libpython with it in a local scope, then imports NumPy through the embedded interpreter.

#include "itkNiBridgePythonInterpreter.h"

#include "itkMacro.h"

#include <cstring>
#include <string>

/** Evaluates a NumPy expression through NiBridge's interpreter; writes its value (or the error) into `text`.
 * Returns 1 on success, 0 on failure. */
extern "C" __attribute__((visibility("default"))) int
NiBridgeTestEvaluateNumPy(char * text, std::size_t capacity)
{
  std::string result;
  int         success = 0;
  try
  {
    result = itk::nibridge::PythonInterpreter::Evaluate("int(__import__('numpy').arange(10).sum())");
    success = 1;
  }
  catch (const itk::ExceptionObject & error)
  {
    result = error.GetDescription();
  }
  std::strncpy(text, result.c_str(), capacity - 1);
  text[capacity - 1] = '\0';
  return success;
}
