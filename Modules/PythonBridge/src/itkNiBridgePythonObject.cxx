/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgePythonSupport.h" // Python.h first, as Python asks

#include "itkNiBridgePythonObject.h"


#include <ostream>

namespace itk
{
namespace nibridge
{
namespace
{
void
AddReference(void * object) noexcept
{
  if (object != nullptr && python::CanTakeGIL())
  {
    python::GILGuard gil;
    Py_INCREF(static_cast<PyObject *>(object));
  }
}

void
DropReference(void * object) noexcept
{
  // Without a running interpreter the object is gone with it (or will be at exit): nothing to release.
  if (object != nullptr && python::CanTakeGIL())
  {
    python::GILGuard gil;
    Py_DECREF(static_cast<PyObject *>(object));
  }
}
} // namespace

PythonObject::PythonObject(const PythonObject & other)
    : m_Object(other.m_Object)
{
  AddReference(m_Object);
}

PythonObject &
PythonObject::operator=(const PythonObject & other)
{
  if (this != &other)
  {
    AddReference(other.m_Object);
    DropReference(std::exchange(m_Object, other.m_Object));
  }
  return *this;
}

PythonObject &
PythonObject::operator=(PythonObject && other) noexcept
{
  if (this != &other)
  {
    DropReference(std::exchange(m_Object, std::exchange(other.m_Object, nullptr)));
  }
  return *this;
}

PythonObject::~PythonObject() { DropReference(m_Object); }

PythonObject
PythonObject::FromNewReference(void * pyObject) noexcept
{
  PythonObject object;
  object.m_Object = pyObject;
  return object;
}

PythonObject
PythonObject::FromBorrowedReference(void * pyObject) noexcept
{
  Py_XINCREF(static_cast<PyObject *>(pyObject));
  return FromNewReference(pyObject);
}

void
PythonObject::Reset() noexcept
{
  DropReference(std::exchange(m_Object, nullptr));
}

std::string
PythonObject::Repr() const
{
  if (m_Object == nullptr)
  {
    return "<null>";
  }
  if (!python::CanTakeGIL())
  {
    return "<Python object of a finished interpreter>";
  }
  python::GILGuard  gil;
  python::Reference repr(PyObject_Repr(static_cast<PyObject *>(m_Object)));
  if (!repr)
  {
    PyErr_Clear();
    return "<unprintable>";
  }
  return python::Text(repr.get());
}

std::ostream &
operator<<(std::ostream & stream, const PythonObject & object)
{
  return stream << object.Repr();
}

} // namespace nibridge
} // namespace itk
