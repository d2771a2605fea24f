/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

namespace nibridge
{
namespace
{
/** DLPack's device type of host memory (DLDeviceType::kDLCPU). */
constexpr int DLPackCPU = 1;

void
AddMethod(py::object & cls, const char * name, py::cpp_function function)
{
  cls.attr(name) = function;
}
} // namespace

void
init_protocols(py::module_ & module)
{
  py::object cls = module.attr("Image");
  AddMethod(cls,
            "__reduce_ex__",
            py::cpp_function(
              [](const py::object & self, int protocol) {
                return py::module_::import("nibridge._pickle").attr("reduce_image")(self, protocol);
              },
              py::name("__reduce_ex__"),
              py::is_method(cls),
              py::arg("protocol"),
              R"doc(Pickling: with protocol 5 the pixel buffer goes out as a pickle.PickleBuffer, without a copy
(out-of-band with a buffer_callback); the unpickled image views a writable buffer, and copies a read-only one.)doc"));
  AddMethod(cls,
            "__dlpack__",
            py::cpp_function(
              [](const Image &      self,
                 const py::object & stream,
                 const py::object & maxVersion,
                 const py::object & device,
                 const py::object & copy) {
                if (!stream.is_none())
                {
                  throw py::value_error("__dlpack__: nibridge images live in host memory, which has no stream");
                }
                return self.ArrayView(false).attr("__dlpack__")(py::arg("stream") = stream,
                                                                py::arg("max_version") = maxVersion,
                                                                py::arg("dl_device") = device,
                                                                py::arg("copy") = copy);
              },
              py::name("__dlpack__"),
              py::is_method(cls),
              py::kw_only(),
              py::arg("stream") = py::none(),
              py::arg("max_version") = py::none(),
              py::arg("dl_device") = py::none(),
              py::arg("copy") = py::none(),
              R"doc(A DLPack capsule over the pixel buffer (CPU), without a copy: the tensor of
array_view_from_image(image), shape (k, j, i[, c]), which pins the pixel buffer. A read-only image is exported
only to consumers that ask for DLPack 1.0 (max_version), which carries the read-only flag.)doc"));
  AddMethod(cls,
            "__dlpack_device__",
            py::cpp_function([](const Image &) { return py::make_tuple(DLPackCPU, 0); },
                             py::name("__dlpack_device__"),
                             py::is_method(cls),
                             "(kDLCPU, 0): the pixel buffer is host memory."));
}

} // namespace nibridge
