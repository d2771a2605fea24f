/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgePythonObject_h
#define itkNiBridgePythonObject_h

#include "NiBridgePythonExport.h"

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace itk
{
namespace nibridge
{
/** \class PythonObject
 * \brief A C++ handle to one Python object (a NumPy array, a callable, a dict, ...): one strong reference, with no
 * Python type in sight.
 *
 * Copying the handle adds a reference, destroying it drops one; both take the GIL themselves, from any thread (the
 * thread need not be known to Python), so a handle may live in ITK objects, pipelines and containers and be released
 * by whichever thread drops it last. A handle outliving the interpreter (Python finalized by a host before the handle
 * is destroyed) gives its reference up without touching Python. A default-constructed handle is null.
 *
 * Code that includes Python.h can take the object out (Get, a borrowed `PyObject *` as `void *`) and wrap one
 * (FromNewReference, FromBorrowedReference), with the GIL held. Equality is identity.
 * \ingroup NiBridgePython
 */
class NiBridgePython_EXPORT PythonObject
{
public:
  PythonObject() noexcept = default;
  PythonObject(const PythonObject & other);
  PythonObject(PythonObject && other) noexcept
      : m_Object(std::exchange(other.m_Object, nullptr))
  {}
  PythonObject &
  operator=(const PythonObject & other);
  PythonObject &
  operator=(PythonObject && other) noexcept;
  ~PythonObject();

  /** Takes over a new reference to a `PyObject` (may be null). Call with the GIL held. */
  static PythonObject
  FromNewReference(void * pyObject) noexcept;

  /** Adds a reference to a borrowed `PyObject` (may be null). Call with the GIL held. */
  static PythonObject
  FromBorrowedReference(void * pyObject) noexcept;

  /** The `PyObject *`, borrowed: valid while this handle holds it. Null for a null handle. */
  void *
  Get() const noexcept
  {
    return m_Object;
  }

  bool
  IsNull() const noexcept
  {
    return m_Object == nullptr;
  }

  explicit operator bool() const noexcept { return m_Object != nullptr; }

  /** Drops the reference (under the GIL) and becomes null. */
  void
  Reset() noexcept;

  /** repr() of the object ("<null>" for a null handle, "<unprintable>" if repr() fails). Takes the GIL. */
  std::string
  Repr() const;

  friend bool
  operator==(const PythonObject & left, const PythonObject & right) noexcept
  {
    return left.m_Object == right.m_Object;
  }
  friend bool
  operator!=(const PythonObject & left, const PythonObject & right) noexcept
  {
    return left.m_Object != right.m_Object;
  }

private:
  void * m_Object = nullptr;
};

/** Writes Repr() (so that ITK's PrintSelf can show a decorated PythonObject). */
NiBridgePython_EXPORT std::ostream &
                      operator<<(std::ostream & stream, const PythonObject & object);

/** Names bound in the namespace an expression is evaluated in (PythonInterpreter::EvaluateObject). */
using PythonNames = std::vector<std::pair<std::string, PythonObject>>;

} // namespace nibridge
} // namespace itk

#endif
