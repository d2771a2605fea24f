/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgePythonSupport.h" // Python.h first, as Python asks

#include "itkNiBridgeNumPyArray.h"

#include "itkNiBridgePythonInterpreter.h"

#include "itkMacro.h"

#include <cstring>
#include <sstream>

namespace itk
{
namespace nibridge
{
using python::Checked;
using python::Reference;
using python::ThrowPythonError;

/** A Py_buffer of an array, released under the GIL by whichever thread drops the last owner. */
class NumPyBufferExport
{
public:
  /** The buffer of `exporter` (PyObject_GetBuffer with `flags`); throws "<context>: ..." if it exports none. GIL
   * held. */
  static std::shared_ptr<NumPyBufferExport>
  Of(PyObject * exporter, int flags, const std::string & context)
  {
    auto bufferExport = std::make_shared<NumPyBufferExport>();
    if (PyObject_GetBuffer(exporter, &bufferExport->m_View, flags) != 0)
    {
      ThrowPythonError(context);
    }
    bufferExport->m_Held = true;
    return bufferExport;
  }

  NumPyBufferExport() = default;
  NumPyBufferExport(const NumPyBufferExport &) = delete;
  NumPyBufferExport &
  operator=(const NumPyBufferExport &) = delete;
  ~NumPyBufferExport()
  {
    if (m_Held && python::CanTakeGIL())
    {
      python::GILGuard gil;
      PyBuffer_Release(&m_View);
    }
  }

  Py_buffer m_View{};
  bool      m_Held = false;
};

namespace
{
constexpr int  MaximumAxes = 16;
constexpr bool SystemIsBigEndian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

/** The array axis of ITK's index axis `itkAxis` (0 = i) in an array of an image of `dimension` axes: the same axis in
 * nibabel's order (keepAxes), the reverse in NumPy's default (k, j, i). */
constexpr int
ArrayAxis(unsigned int itkAxis, unsigned int dimension, bool keepAxes)
{
  return static_cast<int>(keepAxes ? itkAxis : dimension - 1 - itkAxis);
}

/** The struct-module format of a component type (native byte order and size). */
const char *
BufferFormat(ComponentType type)
{
  switch (type)
  {
    case ComponentType::Bool:
      return "?";
    case ComponentType::Int8:
      return "b";
    case ComponentType::UInt8:
      return "B";
    case ComponentType::Int16:
      return "h";
    case ComponentType::UInt16:
      return "H";
    case ComponentType::Int32:
      return "i";
    case ComponentType::UInt32:
      return "I";
    case ComponentType::Int64:
      return "q";
    case ComponentType::UInt64:
      return "Q";
    case ComponentType::Float32:
      return "f";
    case ComponentType::Float64:
      return "d";
    case ComponentType::Complex64:
      return "Zf";
    case ComponentType::Complex128:
      return "Zd";
  }
  ThrowUnsupportedComponentType(type);
}

/** The Python object behind an image's NumPy view: exports the pixel buffer (with the view's shape and strides) and
 * holds a reference to the pixel container while it lives. NumPy's array keeps it alive through its base. */
struct PixelBufferObject
{
  PyObject_HEAD LightObject * pin;
  void *                      buffer;
  Py_ssize_t                  itemSize;
  Py_ssize_t                  length;
  int                         readOnly;
  int                         numberOfAxes;
  Py_ssize_t                  shape[MaximumAxes];
  Py_ssize_t                  strides[MaximumAxes];
  char                        format[4];
};

int
PixelBufferGetBuffer(PyObject * self, Py_buffer * view, int flags)
{
  auto * object = reinterpret_cast<PixelBufferObject *>(self);
  if ((flags & PyBUF_WRITABLE) == PyBUF_WRITABLE && object->readOnly)
  {
    PyErr_SetString(PyExc_BufferError, "this view of an ITK image's pixels is read-only");
    return -1;
  }
  if ((flags & PyBUF_STRIDES) != PyBUF_STRIDES)
  {
    PyErr_SetString(PyExc_BufferError, "a view of an ITK image's pixels needs a consumer that takes strides");
    return -1;
  }
  view->buf = object->buffer;
  view->obj = Py_NewRef(self);
  view->len = object->length;
  view->itemsize = object->itemSize;
  view->readonly = object->readOnly;
  view->ndim = object->numberOfAxes;
  view->format = (flags & PyBUF_FORMAT) == PyBUF_FORMAT ? object->format : nullptr;
  view->shape = object->shape;
  view->strides = object->strides;
  view->suboffsets = nullptr;
  view->internal = nullptr;
  return 0;
}

void
PixelBufferDealloc(PyObject * self)
{
  auto *         object = reinterpret_cast<PixelBufferObject *>(self);
  PyTypeObject * type = Py_TYPE(self);
  if (object->pin != nullptr)
  {
    object->pin->UnRegister();
  }
  type->tp_free(self);
  Py_DECREF(type);
}

/** The type of PixelBufferObject, made once (GIL held). */
PyTypeObject *
PixelBufferType()
{
  static PyObject * type = nullptr;
  if (type == nullptr)
  {
    static PyType_Slot slots[] = { { Py_bf_getbuffer, reinterpret_cast<void *>(&PixelBufferGetBuffer) },
                                   { Py_tp_dealloc, reinterpret_cast<void *>(&PixelBufferDealloc) },
                                   { Py_tp_doc, const_cast<char *>("The pixels of an ITK image, pinned.") },
                                   { 0, nullptr } };
    static PyType_Spec spec = { "nibridge.PixelBuffer", sizeof(PixelBufferObject), 0, Py_TPFLAGS_DEFAULT, slots };
    type = Checked(PyType_FromSpec(&spec), "making NiBridge's pixel buffer type").release();
  }
  return reinterpret_cast<PyTypeObject *>(type);
}

PyObject *
NumPyModule(const std::string & what)
{
  static PyObject * numpy = nullptr;
  if (numpy == nullptr)
  {
    numpy = python::ImportModule("numpy", what + ": ").release();
  }
  return numpy;
}

std::string
ShapeText(const Py_ssize_t * shape, int numberOfAxes)
{
  std::ostringstream text;
  text << '(';
  for (int axis = 0; axis < numberOfAxes; ++axis)
  {
    text << (axis > 0 ? ", " : "") << shape[axis];
  }
  text << (numberOfAxes == 1 ? ",)" : ")");
  return text.str();
}

/** The axes an array of `layout` has, named: "(k, j, i)", "(i, j, k, c)", ... */
std::string
AxesText(const PixelBufferLayout & layout, bool keepAxes)
{
  static const char * names[] = { "i", "j", "k", "l", "m", "n" };
  std::ostringstream  text;
  text << '(';
  for (unsigned int axis = 0; axis < layout.dimension; ++axis)
  {
    const int itk = ArrayAxis(axis, layout.dimension, keepAxes); // the array axis's ITK axis: the same mapping
    text << (axis > 0 ? ", " : "") << (itk < 6 ? names[itk] : "?");
  }
  text << (layout.componentAxis ? ", c)" : ")");
  return text.str();
}

/** The component type of a buffer's struct format with the item size it has; empty if NiBridge has none or if its
 * byte order is not native (`*foreignOrder` then says so). */
std::optional<ComponentType>
ComponentTypeOfFormat(const char * format, Py_ssize_t itemSize, bool * foreignOrder)
{
  *foreignOrder = false;
  if (format == nullptr)
  {
    return ComponentType::UInt8;
  }
  std::string text(format);
  if (!text.empty() && std::strchr("@=<>!", text[0]) != nullptr)
  {
    const bool little = text[0] == '<';
    const bool big = text[0] == '>' || text[0] == '!';
    *foreignOrder = (little || big) && (big != SystemIsBigEndian);
    text.erase(0, 1);
  }
  const auto size = static_cast<std::size_t>(itemSize);
  if (text == "?")
  {
    return ComponentType::Bool;
  }
  if (text == "Zf" || text == "Zd")
  {
    return ComponentTypeFromNumPyKind('c', size);
  }
  if (text.size() != 1)
  {
    return std::nullopt;
  }
  const char code = text[0];
  if (std::strchr("bhilq", code) != nullptr)
  {
    return ComponentTypeFromNumPyKind('i', size);
  }
  if (std::strchr("BHILQ", code) != nullptr)
  {
    return ComponentTypeFromNumPyKind('u', size);
  }
  if (code == 'f' || code == 'd')
  {
    return ComponentTypeFromNumPyKind('f', size);
  }
  return std::nullopt;
}

/** The strides of an image's pixel buffer seen through an array of `shape` in the given axis order. */
void
PixelBufferStrides(const PixelBufferLayout & layout,
                   const Py_ssize_t *        shape,
                   bool                      keepAxes,
                   Py_ssize_t                itemSize,
                   Py_ssize_t *              strides)
{
  const int  dimension = static_cast<int>(layout.dimension);
  Py_ssize_t step = itemSize;
  if (layout.componentAxis)
  {
    strides[dimension] = step;
    step *= shape[dimension];
  }
  for (int itk = 0; itk < dimension; ++itk) // i fastest
  {
    const int axis = ArrayAxis(itk, layout.dimension, keepAxes);
    strides[axis] = step;
    step *= shape[axis];
  }
}

/** Throws the error for an array that cannot be an image of `expected`: the array's shape and dtype, the image's
 * type, `reason`, and the array that was expected. */
[[noreturn]] void
ThrowArrayError(const std::string &       what,
                const Py_buffer &         view,
                PyObject *                array,
                const PixelBufferLayout & expected,
                const NumPyArrayOptions & options,
                const std::string &       reason)
{
  Reference          dtype(PyObject_GetAttrString(array, "dtype"));
  const std::string  dtypeText = dtype ? python::Text(dtype.get()) : std::string(view.format ? view.format : "?");
  std::ostringstream message;
  message << what << ": the array of shape " << ShapeText(view.shape, view.ndim) << " and dtype " << dtypeText
          << " cannot be the pixels of an image of " << ComponentTypeName(expected.component) << " with "
          << expected.dimension << " axes";
  if (expected.componentAxis)
  {
    message << " and ";
    if (expected.numberOfComponents == 0)
    {
      message << "any number of";
    }
    else
    {
      message << expected.numberOfComponents;
    }
    message << " components per pixel";
  }
  message << ": " << reason << " (expected an array of " << expected.dimension + (expected.componentAxis ? 1 : 0)
          << " axes " << AxesText(expected, options.keepAxes) << " of dtype " << ComponentTypeName(expected.component)
          << ')';
  PyErr_Clear();
  itkGenericExceptionMacro(<< message.str());
}

/** array[region], GIL held. */
Reference
SliceArray(PyObject * array, const ArrayRegion & region, bool keepAxes, const std::string & what)
{
  const auto dimension = static_cast<Py_ssize_t>(region.size.size());
  Reference  slices = Checked(PyTuple_New(dimension), what);
  for (Py_ssize_t axis = 0; axis < dimension; ++axis)
  {
    const auto itk = static_cast<std::size_t>(ArrayAxis(axis, dimension, keepAxes));
    Reference  start = Checked(PyLong_FromLongLong(region.start[itk]), what);
    Reference  stop =
      Checked(PyLong_FromLongLong(region.start[itk] + static_cast<IndexValueType>(region.size[itk])), what);
    PyTuple_SET_ITEM(slices.get(), axis, Checked(PySlice_New(start.get(), stop.get(), nullptr), what).release());
  }
  return Checked(PyObject_GetItem(array, slices.get()), what);
}

std::string
CopyHint()
{
  return "; a copy (NumPyArrayOptions::copy, SetCopy(true)) takes it";
}
} // namespace

PythonObject
NumPyArrayOfPixelBuffer(void *                             buffer,
                        const PixelBufferLayout &          layout,
                        const std::vector<SizeValueType> & size,
                        LightObject *                      pin,
                        const NumPyArrayOptions &          options,
                        const std::string &                what)
{
  if (size.size() != layout.dimension || layout.dimension + 1 > MaximumAxes || buffer == nullptr)
  {
    itkGenericExceptionMacro(<< what << ": no pixel buffer of " << layout.dimension << " axes to make an array of");
  }
  PythonInterpreter::Initialize();
  python::GILGuard gil;

  Reference  object = Checked(PyType_GenericAlloc(PixelBufferType(), 0), what);
  auto *     pixels = reinterpret_cast<PixelBufferObject *>(object.get());
  const auto itemSize = static_cast<Py_ssize_t>(ComponentTypeSize(layout.component));
  const int  dimension = static_cast<int>(layout.dimension);
  pixels->numberOfAxes = dimension + (layout.componentAxis ? 1 : 0);
  Py_ssize_t length = itemSize;
  for (int axis = 0; axis < dimension; ++axis)
  {
    pixels->shape[ArrayAxis(axis, dimension, options.keepAxes)] = static_cast<Py_ssize_t>(size[axis]);
    length *= static_cast<Py_ssize_t>(size[axis]);
  }
  if (layout.componentAxis)
  {
    pixels->shape[dimension] = static_cast<Py_ssize_t>(layout.numberOfComponents);
    length *= static_cast<Py_ssize_t>(layout.numberOfComponents);
  }
  PixelBufferStrides(layout, pixels->shape, options.keepAxes, itemSize, pixels->strides);
  pixels->buffer = buffer;
  pixels->itemSize = itemSize;
  pixels->length = length;
  pixels->readOnly = options.writable && !options.copy ? 0 : 1;
  std::strncpy(pixels->format, BufferFormat(layout.component), sizeof(pixels->format) - 1);
  if (pin != nullptr)
  {
    pin->Register();
    pixels->pin = pin;
  }

  Reference view = Checked(PyObject_CallMethod(NumPyModule(what), "asarray", "(O)", object.get()), what);
  if (!options.copy)
  {
    return PythonObject::FromNewReference(view.release());
  }
  // order 'K': the copy's memory in the view's order (ITK's), whatever the axes.
  Reference copy = Checked(PyObject_CallMethod(view.get(), "copy", "(s)", "K"), what);
  return PythonObject::FromNewReference(copy.release());
}

PythonObject
NumPyArrayRegion(const PythonObject & array, const ArrayRegion & region, bool keepAxes, const std::string & what)
{
  if (region.start.size() != region.size.size())
  {
    itkGenericExceptionMacro(<< what << ": a region's start and size differ in length");
  }
  PythonInterpreter::Initialize();
  python::GILGuard gil;
  return PythonObject::FromNewReference(
    SliceArray(static_cast<PyObject *>(array.Get()), region, keepAxes, what).release());
}

ImportedNumPyArray
ImportNumPyArray(const PythonObject &               arrayObject,
                 const PixelBufferLayout &          expected,
                 const NumPyArrayOptions &          options,
                 const std::string &                what,
                 const std::vector<SizeValueType> & expectedSize,
                 const ArrayRegion *                crop)
{
  if (arrayObject.IsNull())
  {
    itkGenericExceptionMacro(<< what << ": no array given");
  }
  PythonInterpreter::Initialize();
  python::GILGuard gil;

  PyObject * numpy = NumPyModule(what);
  Reference  array = Checked(PyObject_CallMethod(numpy, "asarray", "(O)", arrayObject.Get()), what);
  auto       bufferExport =
    NumPyBufferExport::Of(array.get(), PyBUF_RECORDS_RO, what + ": the array exports no buffer of its memory");
  const Py_buffer & view = bufferExport->m_View;

  // What can never be an image of this type, copy or not.
  const int expectedAxes = static_cast<int>(expected.dimension) + (expected.componentAxis ? 1 : 0);
  if (view.ndim != expectedAxes)
  {
    ThrowArrayError(what, view, array.get(), expected, options, "it has " + std::to_string(view.ndim) + " axes");
  }
  bool       foreignOrder = false;
  const auto component = ComponentTypeOfFormat(view.format, view.itemsize, &foreignOrder);
  if (!component || *component != expected.component)
  {
    ThrowArrayError(what, view, array.get(), expected, options, "its dtype differs (NiBridge casts nothing)");
  }
  for (int axis = 0; axis < view.ndim; ++axis)
  {
    if (view.shape[axis] < 1)
    {
      ThrowArrayError(what, view, array.get(), expected, options, "an image has at least one voxel along each axis");
    }
  }
  if (expected.componentAxis && expected.numberOfComponents != 0 &&
      view.shape[expected.dimension] != static_cast<Py_ssize_t>(expected.numberOfComponents))
  {
    ThrowArrayError(what,
                    view,
                    array.get(),
                    expected,
                    options,
                    "its last axis has " + std::to_string(view.shape[expected.dimension]) + " components");
  }

  if (!expectedSize.empty())
  {
    Py_ssize_t shape[MaximumAxes];
    bool       same = true;
    for (unsigned int itk = 0; itk < expected.dimension; ++itk)
    {
      const int axis = ArrayAxis(itk, expected.dimension, options.keepAxes);
      shape[axis] = static_cast<Py_ssize_t>(expectedSize[itk]);
      same = same && view.shape[axis] == shape[axis];
    }
    if (!same)
    {
      ThrowArrayError(what,
                      view,
                      array.get(),
                      expected,
                      options,
                      "its shape is not the image region's, " + ShapeText(shape, static_cast<int>(expected.dimension)) +
                        (expected.componentAxis ? " and components" : ""));
    }
  }
  if (crop != nullptr)
  {
    // The region's own array: what follows is about its memory.
    array = SliceArray(array.get(), *crop, options.keepAxes, what);
    bufferExport = NumPyBufferExport::Of(
      array.get(), PyBUF_RECORDS_RO, what + ": the array's region exports no buffer of its memory");
  }
  const Py_buffer & memory = bufferExport->m_View; // `view` is gone if cropped

  // What a view cannot take: then a copy, if allowed.
  Py_ssize_t strides[MaximumAxes];
  PixelBufferStrides(expected, memory.shape, options.keepAxes, memory.itemsize, strides);
  std::string viewRefusal;
  if (memory.readonly)
  {
    viewRefusal = "it is read-only, and an image's pixels are writable";
  }
  else if (foreignOrder)
  {
    viewRefusal = "its byte order is not this machine's";
  }
  else
  {
    for (int axis = 0; axis < memory.ndim; ++axis)
    {
      if (memory.shape[axis] > 1 && memory.strides[axis] != strides[axis])
      {
        viewRefusal = "its memory is not laid out as an image's (strides " + ShapeText(memory.strides, memory.ndim) +
                      ", an image's are " + ShapeText(strides, memory.ndim) + ')';
        break;
      }
    }
  }
  const bool copy = options.copy || (options.copyIfNeeded && !viewRefusal.empty());
  if (!viewRefusal.empty() && !copy)
  {
    ThrowArrayError(what, memory, array.get(), expected, options, viewRefusal + CopyHint());
  }

  ImportedNumPyArray imported;
  for (unsigned int axis = 0; axis < expected.dimension; ++axis)
  {
    imported.size.push_back(
      static_cast<SizeValueType>(memory.shape[ArrayAxis(axis, expected.dimension, options.keepAxes)]));
  }
  imported.numberOfComponents =
    expected.componentAxis ? static_cast<unsigned int>(memory.shape[expected.dimension]) : 1;

  if (copy)
  {
    // A C-contiguous copy in ITK's axis order (k, j, i[, c]), native byte order: exactly an image's memory.
    Reference order = Checked(PyTuple_New(memory.ndim), what);
    for (int axis = 0; axis < memory.ndim; ++axis)
    {
      const bool component = expected.componentAxis && axis == static_cast<int>(expected.dimension);
      // Axis `axis` of (k, j, i[, c]) is ITK's axis dimension - 1 - axis.
      const int source =
        component ? axis : ArrayAxis(expected.dimension - 1 - axis, expected.dimension, options.keepAxes);
      PyTuple_SET_ITEM(order.get(), axis, PyLong_FromLong(source));
    }
    Reference inITKOrder = Checked(PyObject_CallMethod(array.get(), "transpose", "(O)", order.get()), what);
    Reference dtype = Checked(PyObject_GetAttrString(array.get(), "dtype"), what);
    Reference native = Checked(PyObject_CallMethod(dtype.get(), "newbyteorder", "(s)", "="), what);
    Reference arguments = Checked(Py_BuildValue("(O)", inITKOrder.get()), what);
    Reference keywords = Checked(Py_BuildValue("{sOss}", "dtype", native.get(), "order", "C"), what);
    Reference function = Checked(PyObject_GetAttrString(numpy, "array"), what);
    Reference copied = Checked(PyObject_Call(function.get(), arguments.get(), keywords.get()), what);
    bufferExport =
      NumPyBufferExport::Of(copied.get(), PyBUF_RECORDS, what + ": the copy of the array exports no buffer");
  }
  imported.buffer = bufferExport->m_View.buf;
  imported.bufferExport = std::move(bufferExport);
  return imported;
}

PythonObject
GeometryDictionary(const ImageGeometry & geometry, const AffineMatrix & affine, const std::string & what)
{
  PythonInterpreter::Initialize();
  python::GILGuard gil;

  PyObject * numpy = NumPyModule(what);
  const auto list = [&what](const std::vector<double> & values) {
    Reference items = Checked(PyList_New(static_cast<Py_ssize_t>(values.size())), what);
    for (std::size_t index = 0; index < values.size(); ++index)
    {
      PyList_SET_ITEM(
        items.get(), static_cast<Py_ssize_t>(index), Checked(PyFloat_FromDouble(values[index]), what).release());
    }
    return items;
  };
  const auto rows = [&](const auto & matrix) {
    Reference items = Checked(PyList_New(static_cast<Py_ssize_t>(matrix.size())), what);
    for (std::size_t row = 0; row < matrix.size(); ++row)
    {
      PyList_SET_ITEM(items.get(),
                      static_cast<Py_ssize_t>(row),
                      list(std::vector<double>(matrix[row].begin(), matrix[row].end())).release());
    }
    return items;
  };
  Reference  dictionary = Checked(PyDict_New(), what);
  const auto put = [&](const char * key, Reference values) {
    Reference array = Checked(PyObject_CallMethod(numpy, "array", "(Os)", values.get(), "float64"), what);
    if (PyDict_SetItemString(dictionary.get(), key, array.get()) != 0)
    {
      ThrowPythonError(what);
    }
  };
  put("spacing", list(geometry.spacing));
  put("origin", list(geometry.origin));
  put("direction", rows(geometry.direction));
  put("affine", rows(affine));
  return PythonObject::FromNewReference(dictionary.release());
}

} // namespace nibridge
} // namespace itk
