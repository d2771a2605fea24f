"""The nibabel side of NiBridge: every function of NiBridge that talks to nibabel.

This module is compiled into the C++ library NiBridgePython: CMake turns its source into bytes in
the library, and the first read creates a module from them under the private name
``_nibridge_nibabel_io``, so that ``itk::NiBabelImageIO`` needs numpy and nibabel, not the nibridge
package. The same file is shipped in the package as ``nibridge._nibabel_io``, on which
``nibridge.from_nibabel`` and ``to_nibabel`` are built: both paths describe an image with the same
metadata (``image_metadata``), the one NiBridge's native readers write for the same file. It is a
plain module too, importable and testable on its own.

Conventions (the C++ side relies on them):

- Axes: nibabel's array axes ``(i, j, k, ...)`` are ITK's index axes, ``i`` fastest. Arrays are
  copied into ITK's buffer in Fortran order; nothing is transposed.
- Values: ``"scaled"`` is ``numpy.asarray(img.dataobj)`` (nibabel's scaled values in nibabel's
  dtype), ``"raw"`` the stored values (``img.dataobj.get_unscaled()``), ``"float64"`` exactly
  ``img.get_fdata()`` (complex data: complex128, where ``get_fdata`` would drop the imaginary part).
- Pixels: bool becomes uint8, float16 becomes float32 (exact), complex stays complex, nibabel's
  RGB24/RGBA32 structured dtypes are RGB/RGBA pixels; every array is delivered in native byte order.
- Everything C++ needs is exchanged as JSON text; floats that may be non-finite (affine, zooms)
  travel as their ``repr`` strings, so that C++ can name a bad value instead of failing to parse.
"""

import contextlib
import gzip
import io
import json
import math
import os
import secrets
import stat
import threading
import warnings
import zlib

import nibabel
import nibabel.ecat
import nibabel.imageclasses
import nibabel.openers
import numpy as np
from nibabel.arrayproxy import ArrayProxy
from nibabel.minc1 import MincImageArrayProxy
from nibabel.parrec import PARRECArrayProxy

VALUE_MODES = ("scaled", "raw", "float64")

# Proxies whose slicing reads only the requested part of the file: a streamed ITK pipeline reads
# region by region. Other proxies (ECAT) are read whole once.
SLICING_PROXIES = (ArrayProxy, MincImageArrayProxy, PARRECArrayProxy)

# Header values longer than this many elements are cut in the metadata text.
MAXIMUM_TEXT_ELEMENTS = 1024

# NumPy dtype names -> NiBridge's component type codes (itk::nibridge::ComponentType), from NiBridge's one table:
# set by NiBridge (the C++ library, or the nibridge package) through set_component_types.
_component_types = None

# What MGH stores, in the order a lossless conversion tries them.
_MGH_DTYPES = (np.dtype(np.uint8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.float32))

# AFNI's TAXIS_NUMS[2] time units codes.
_AFNI_TIME_UNITS = {77001: "msec", 77002: "sec", 77003: "hz"}


_capture = threading.local()  # .warnings: the list collecting this thread's warnings, or None
_shown_by_python = warnings.showwarning


def _show_or_capture(message, category, filename, lineno, file=None, line=None):  # noqa: PLR0917 (showwarning's)
    """``warnings.showwarning`` while NiBridge owns the interpreter: collected for the image, not printed."""
    captured = getattr(_capture, "warnings", None)
    if captured is None:
        _shown_by_python(message, category, filename, lineno, file, line)
        return
    captured.append(f"{category.__name__}: {message}")


def capture_warnings():
    """Called once by NiBridge when it started Python itself (an ITK program, not a Python one): warnings raised
    while reading become the image's "NiBabel_Warnings" instead of text on the host program's stderr, every time
    (not once per process)."""
    warnings.showwarning = _show_or_capture
    warnings.defaultaction = "always"  # the filters that ignore (DeprecationWarning, ...) still apply


@contextlib.contextmanager
def collecting_warnings(into):
    """Collects the warnings this thread raises into the list ``into`` (if ``capture_warnings`` was called)."""
    previous = getattr(_capture, "warnings", None)
    _capture.warnings = into
    try:
        yield into
    finally:
        _capture.warnings = previous


def set_component_types(codes):
    """Takes NiBridge's component types: a mapping of NumPy dtype names ("uint8", ..., "complex128") to codes."""
    global _component_types  # noqa: PLW0603 (set once, by NiBridge)
    _component_types = dict(codes)


def component_type(dtype):
    """NiBridge's code of a NumPy dtype's component type (complex dtypes: complex64 / complex128)."""
    if _component_types is None:
        raise RuntimeError("nibridge_nibabel_io.set_component_types was not called")
    name = np.dtype(dtype).newbyteorder("=").name
    if name not in _component_types:
        raise TypeError(f"no NiBridge component type holds {name} values")
    return _component_types[name]


def stored_dtype(image):
    """The dtype the image's data are stored in (``get_data_dtype()``; ECAT's of its first frame), or None."""
    try:
        return np.dtype(image.get_data_dtype())
    except TypeError:
        return np.dtype(image.get_data_dtype(0))  # ECAT: per frame
    except AttributeError:
        return None


def _file_kind(mode):
    """What a non-regular file is, for messages."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _check_regular(names):
    for name in names:
        if isinstance(name, str) and os.path.lexists(name):
            mode = os.stat(name).st_mode
            if not stat.S_ISREG(mode):
                raise OSError(f'"{name}" is {_file_kind(mode)}, not a regular file')


def files_nibabel_opens(filename):
    """The files ``nibabel.load(filename)`` opens, found as it finds them (the first image class whose
    ``path_maybe_image`` takes the file); empty where no class takes it."""
    sniff = None
    for klass in nibabel.imageclasses.all_image_classes:
        try:
            taken, sniff = klass.path_maybe_image(filename, sniff)
            if taken:
                return [holder.filename for holder in klass.filespec_to_file_map(filename).values()]
        except Exception:  # noqa: BLE001, S112 - a class that cannot tell leaves the file to the others
            continue
    return []


def check_image_files(image):
    """The read guard for the files nibabel opens besides the one it was given (an AFNI .BRIK, a PAR/REC's .REC, a
    pair's .img): each must be a regular file, as a FIFO would block the read for ever and /dev/zero never end; and a
    gzip-compressed one must be a whole, undamaged gzip stream (nibabel reads no further than the voxels it needs, so
    a bad CRC-32 or a cut trailer would go unnoticed)."""
    names = [getattr(holder, "filename", None) for holder in image.file_map.values()]
    _check_regular(names)
    for name in names:
        if not isinstance(name, str) or not os.path.lexists(name):
            continue
        if name.lower().endswith(".gz"):
            try:
                with gzip.open(name, "rb") as stream:
                    while stream.read(1 << 22):
                        pass
            except (OSError, EOFError, zlib.error) as error:
                raise OSError(f'"{name}" is not a whole gzip stream: {error}') from None


def load_image(filename):
    """Loads ``filename`` with nibabel (ECAT, ``.v``, through ``nibabel.ecat.load``, which ``nibabel.load`` does not
    dispatch), then checks the files it will read (check_image_files)."""
    _check_regular(files_nibabel_opens(filename))  # before nibabel opens any: some open their sidecar at load
    image = nibabel.ecat.load(filename) if filename.lower().endswith(".v") else nibabel.load(filename)
    check_image_files(image)
    return image


def close_image_files(image):
    """Closes the files nibabel keeps open for an image it loaded: PAR/REC's .REC (its array proxy's file) and
    ECAT's file (its subheaders'), which nibabel leaves to the garbage collector, whose closing warns
    (ResourceWarning: unclosed file). They are found as what they are, open file objects held by the image or by
    one of its parts, not by format."""
    parts = [image, *(value for value in vars(image).values() if hasattr(value, "__dict__"))]
    for part in parts:
        for value in list(vars(part).values()):
            if isinstance(value, (io.IOBase, nibabel.openers.Opener)) and not value.closed:
                value.close()


def pixel_of_dtype(dtype):
    """The ITK pixel of a numpy dtype: ``(pixel, component, components, delivered_dtype)``.

    ``pixel`` is "scalar", "complex", "rgb" or "rgba"; ``component`` NiBridge's code of the component type
    (``component_type``); ``delivered_dtype`` the native-order dtype of the values written into ITK's buffer.
    Raises TypeError for dtypes no ITK pixel holds (float128, complex256, other structures).
    """
    dtype = np.dtype(dtype)
    if dtype.fields is not None:
        pixel = color_pixel_type(dtype)
        if pixel is None:
            raise TypeError(f"the structured dtype {dtype} is not an RGB or RGBA pixel")
        packed = np.dtype([(name, np.uint8) for name in dtype.names])
        return pixel, component_type(np.uint8), len(dtype.names), packed
    if dtype.kind == "b":
        return "scalar", component_type(np.uint8), 1, np.dtype(np.uint8)
    if dtype.kind == "c":
        if dtype.itemsize not in (8, 16):
            raise TypeError(f"no ITK pixel holds {dtype.name} values (read them as float64, or as complex128)")
        return "complex", component_type(dtype), 2, dtype.newbyteorder("=")
    if dtype.kind == "f" and dtype.itemsize == 2:
        return "scalar", component_type(np.float32), 1, np.dtype(np.float32)
    if dtype.kind not in "iuf" or (dtype.kind == "f" and dtype.itemsize > 8):
        raise TypeError(f"no ITK pixel holds {dtype.name} values (read them as float64)")
    return "scalar", component_type(dtype), 1, dtype.newbyteorder("=")


_COLOR_FIELDS = {("R", "G", "B"): "rgb", ("R", "G", "B", "A"): "rgba"}


def color_pixel_type(dtype):
    """ "rgb" or "rgba" for nibabel's RGB24 / RGBA32 structured dtypes (one uint8 field a channel, packed), else
    None."""
    dtype = np.dtype(dtype)
    if dtype.names is None or dtype.names not in _COLOR_FIELDS:
        return None
    fields = [dtype.fields[name] for name in dtype.names]
    packed = all(field[0] == np.uint8 and field[1] == offset for offset, field in enumerate(fields))
    return _COLOR_FIELDS[dtype.names] if packed and dtype.itemsize == len(fields) else None


def as_text(value):
    """Readable text of a header value: bytes decoded, arrays as space-separated elements."""
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00")
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return as_text(value[()])
        elements = value.ravel()
        text = " ".join(as_text(element) for element in elements[:MAXIMUM_TEXT_ELEMENTS])
        return text + (" ..." if elements.size > MAXIMUM_TEXT_ELEMENTS else "")
    if isinstance(value, (list, tuple)):
        return " ".join(as_text(element) for element in value[:MAXIMUM_TEXT_ELEMENTS])
    return str(value)


def float_texts(values):
    """Floats as exact ``repr`` strings (non-finite ones included)."""
    return [repr(float(value)) for value in values]


class NiBabelVolume:
    """One image opened with nibabel, read region by region into ITK buffers.

    ``info_json()`` describes it (shape, pixel, affine, zooms, metadata); ``read_into(buffer,
    start, size)`` writes the region ``[start, start + size)`` (nibabel's axes, then ITK's extra
    axes of size 1) into a writable buffer in Fortran order.
    """

    def __init__(self, filename, values="scaled"):
        if values not in VALUE_MODES:
            raise ValueError(f"values must be one of {VALUE_MODES}, not {values!r}")
        self.filename = filename
        self.values = values
        self.warnings = []
        with collecting_warnings(self.warnings):
            self._open(filename, values)

    def __del__(self):
        # When C++ lets the volume go: nibabel would leave some files open until the image is collected.
        image = getattr(self, "image", None)
        if image is not None:
            with contextlib.suppress(Exception):
                close_image_files(image)

    def _open(self, filename, values):
        self.image = load_image(filename)
        self.dataobj = self.image.dataobj
        self.shape = tuple(int(extent) for extent in self.image.shape)
        if not self.shape:
            raise ValueError("the image has no axes")
        if 0 in self.shape:
            raise ValueError(f"the image of shape {self.shape} is empty")
        self.streamable = isinstance(self.dataobj, (*SLICING_PROXIES, np.ndarray))
        if values == "raw" and not hasattr(self.dataobj, "get_unscaled") and not isinstance(self.dataobj, np.ndarray):
            raise TypeError(
                f"nibabel gives no stored (unscaled) values for {type(self.image).__name__} files; "
                "read the scaled values instead"
            )
        self.dtype = self._value_dtype()
        self.pixel, self.component, self.components, self.delivered = pixel_of_dtype(self.dtype)

    # -- values -------------------------------------------------------------------------------

    def _value_dtype(self):
        """The dtype of the values of the chosen mode, without reading the whole image."""
        if self.values == "float64":
            stored = stored_dtype(self.image)
            complex_stored = stored is not None and stored.kind == "c"
            return np.dtype(np.complex128 if complex_stored else np.float64)
        if isinstance(self.dataobj, np.ndarray):
            return self.dataobj.dtype
        if self.values == "raw":
            return np.dtype(self.dataobj.dtype)
        # nibabel's scaled dtype depends on the stored dtype and the scale factors, never on the
        # values or the slice: one voxel tells it.
        return self.read_array((0,) * len(self.shape), (1,) * len(self.shape)).dtype

    def _slicer(self, start, size):
        """nibabel's slicer of an ITK region, and whether it is the whole image."""
        start, size = list(start), list(size)
        if len(start) != len(size):
            raise ValueError(f"region start {start} and size {size} differ in length")
        # The region may have fewer axes than the image (the first slice of the others) or more
        # (ITK's extra axes, of size 1).
        missing = len(self.shape) - len(size)
        start += [0] * missing
        size += [1] * missing
        for axis in range(len(self.shape), len(size)):
            if start[axis] != 0 or size[axis] != 1:
                raise ValueError(f"the region {start} + {size} lies outside the image of shape {self.shape}")
        slicer = []
        for axis, extent in enumerate(self.shape):
            first, count = int(start[axis]), int(size[axis])
            if first < 0 or count < 1 or first + count > extent:
                raise ValueError(f"the region {start} + {size} lies outside the image of shape {self.shape}")
            slicer.append(slice(first, first + count))
        whole = all(piece.start == 0 and piece.stop == extent for piece, extent in zip(slicer, self.shape, strict=True))
        return tuple(slicer), whole

    def read_array(self, start, size):
        """The values of the region as a numpy array of nibabel's axes (any memory order)."""
        slicer, whole = self._slicer(start, size)
        if whole or not self.streamable:
            data = self._read_whole()
            return data if whole else data[slicer]
        dataobj = self.dataobj
        float64 = self.dtype if self.values == "float64" else None
        if isinstance(dataobj, np.ndarray):
            return np.asanyarray(dataobj[slicer], dtype=float64)
        if self.values == "raw":
            # The proxies that slice (ArrayProxy, PARRECArrayProxy) read unscaled regions with _get_unscaled.
            unscaled = getattr(dataobj, "_get_unscaled", None)
            return unscaled(slicer) if unscaled is not None else dataobj.get_unscaled()[slicer]
        if self.values == "float64" and hasattr(dataobj, "_get_scaled"):
            # What img.get_fdata() computes (np.asanyarray(dataobj, dtype=np.float64)), for the region only.
            return dataobj._get_scaled(dtype=self.dtype, slicer=slicer).astype(self.dtype, copy=False)
        return np.asanyarray(dataobj[slicer], dtype=float64)

    def _read_whole(self):
        """All the values of the chosen mode."""
        if self.values == "raw":
            return self.dataobj if isinstance(self.dataobj, np.ndarray) else self.dataobj.get_unscaled()
        if self.values == "float64":
            return np.asanyarray(self.dataobj, dtype=self.dtype)  # img.get_fdata() (complex128 for complex data)
        return np.asarray(self.dataobj)

    def read_into(self, buffer, start, size):
        """Writes the region's values into ``buffer`` (Fortran order, the delivered dtype); returns the text of
        the warnings raised meanwhile (one a line; empty if none)."""
        raised = []
        with collecting_warnings(raised):
            self._read_into(buffer, start, size)
        self.warnings += raised
        return "\n".join(raised)

    def _read_into(self, buffer, start, size):
        count = math.prod(int(extent) for extent in size)
        expected = count * self.delivered.itemsize
        if memoryview(buffer).nbytes != expected:
            raise ValueError(f"the buffer holds {memoryview(buffer).nbytes} bytes, the region needs {expected}")
        data = self.read_array(start, size)
        if data.size != count:
            raise ValueError(f"nibabel gave {data.size} values for a region of {count}")
        destination = np.frombuffer(buffer, dtype=self.delivered).reshape(data.shape, order="F")
        # One pass: byte order, bool/float16 widening and the memory order are converted while
        # copying, and numpy releases the GIL for the copy.
        np.copyto(destination, data, casting="unsafe")

    # -- description --------------------------------------------------------------------------

    def info(self):
        """Everything C++ needs to describe the image, as plain Python values."""
        affine = getattr(self.image, "affine", None)
        stored = stored_dtype(self.image) or self.dtype
        scaled = (float(getattr(self.dataobj, "slope", 1.0)), float(getattr(self.dataobj, "inter", 0.0))) != (1.0, 0.0)
        same_values = not scaled and (stored.kind, stored.itemsize) == (self.dtype.kind, self.dtype.itemsize)
        return {
            "shape": list(self.shape),
            "pixel": self.pixel,
            "component": self.component,
            "components": self.components,
            "streamable": self.streamable,
            "differ_from_stored": self.values != "raw" and not same_values,
            "affine": None if affine is None else float_texts(np.asarray(affine, dtype=np.float64).ravel()),
            "zooms": float_texts(header_zooms(self.image)),
            "metadata": image_metadata(self.image, self.values, self.dtype),
            "warnings": list(self.warnings),
        }

    def info_json(self):
        """``info()`` as JSON text."""
        return json.dumps(self.info())


def header_zooms(image):
    """The header's voxel sizes of every axis it knows (may be fewer than the axes), or ``[]``."""
    try:
        return [float(zoom) for zoom in image.header.get_zooms()]
    except Exception:  # noqa: BLE001 (headers without zooms, e.g. ECAT and CIFTI-2)
        return []


def header_fields(image):
    """The header's fields: NIfTI/Analyze/MGH/ECAT structured headers, PAR general info, AFNI attributes."""
    fields_header = getattr(image, "nifti_header", image.header)  # CIFTI-2: the NIfTI-2 header around the XML
    if hasattr(fields_header, "keys") and hasattr(fields_header, "__getitem__"):
        return {key: fields_header[key] for key in fields_header.keys()}
    if hasattr(image.header, "general_info"):  # PAR/REC
        return dict(image.header.general_info)
    if hasattr(image.header, "info"):  # AFNI
        return dict(image.header.info)
    return {}


def units_and_repetition_time(image, fields, ndim):
    """(spatial units, time units, TR or None) as the format records them."""
    fields_header = getattr(image, "nifti_header", image.header)
    zooms = header_zooms(image)
    if hasattr(fields_header, "get_xyzt_units"):  # NIfTI
        spatial_units, time_units = fields_header.get_xyzt_units()
        return spatial_units, time_units, zooms[3] if ndim > 3 and len(zooms) > 3 else None
    if "tr" in fields:  # MGH
        return "mm", "msec", float(fields["tr"])
    if "repetition_time" in fields:  # PAR/REC
        return "mm", "msec", float(np.ravel(fields["repetition_time"])[0])
    if "TAXIS_NUMS" in fields:  # AFNI
        numbers = np.ravel(fields["TAXIS_NUMS"])
        floats = np.ravel(fields.get("TAXIS_FLOATS", []))
        time_units = _AFNI_TIME_UNITS.get(int(numbers[2]), "unknown") if numbers.size > 2 else "unknown"
        return "mm", time_units, float(floats[1]) if floats.size > 1 else None
    return "mm", "unknown", None


def image_metadata(image, values, value_dtype):
    """The image's metadata as text: class, values, units, TR, intent, header fields; ``values`` is the value mode
    ("scaled", "raw" or "float64") and ``value_dtype`` the dtype of the values the image is read with."""
    metadata = {
        "NiBabel_ImageClass": type(image).__name__,
        "NiBabel_Values": values,
        "NiBabel_ValueDType": np.dtype(value_dtype).str,
        "NiBabel_Zooms": " ".join(float_texts(header_zooms(image))),
    }
    stored = stored_dtype(image)
    if stored is not None:
        metadata["NiBabel_StoredDType"] = stored.str
    fields = header_fields(image)
    for key, value in fields.items():
        metadata[f"NiBabel_Header_{key}"] = as_text(value)
    spatial_units, time_units, repetition_time = units_and_repetition_time(image, fields, len(image.shape))
    metadata["NiBabel_SpatialUnits"] = spatial_units
    metadata["NiBabel_TimeUnits"] = time_units
    if repetition_time is not None:
        metadata["NiBabel_RepetitionTime"] = repr(float(repetition_time))
    fields_header = getattr(image, "nifti_header", image.header)
    if hasattr(fields_header, "get_intent"):
        name, parameters, intent_name = fields_header.get_intent()
        metadata["NiBabel_Intent"] = name
        metadata["NiBabel_IntentParameters"] = " ".join(float_texts(parameters))
        metadata["NiBabel_IntentName"] = intent_name
    minc_file = getattr(image.dataobj, "minc_file", None)
    if minc_file is not None and hasattr(minc_file, "_dim_names"):
        metadata["NiBabel_MINC_Dimensions"] = " ".join(minc_file._dim_names)
    if hasattr(image.header, "get_axis") and hasattr(image.header, "to_xml"):
        metadata.update(cifti_metadata(image))
    return metadata


def cifti_axis_text(axis):
    """A one-line description of a CIFTI-2 axis."""
    name = type(axis).__name__
    if hasattr(axis, "iter_structures"):
        structures = ", ".join(f"{structure} ({len(axis[part])})" for structure, part, _ in axis.iter_structures())
        return f"{name} of {len(axis)} grayordinates: {structures}"
    if hasattr(axis, "step") and hasattr(axis, "start"):
        return f"{name} of {len(axis)}: start {axis.start}, step {axis.step} {getattr(axis, 'unit', '')}".rstrip()
    if hasattr(axis, "name"):
        return f"{name} of {len(axis)}: " + ", ".join(str(entry) for entry in axis.name[:MAXIMUM_TEXT_ELEMENTS])
    return f"{name} of {len(axis)}"


def cifti_metadata(image):
    """CIFTI-2's axes, one line each, and its whole XML."""
    metadata = {}
    for index in range(len(image.shape)):
        with contextlib.suppress(Exception):
            metadata[f"NiBabel_CIFTI2_Axis{index}"] = cifti_axis_text(image.header.get_axis(index))
    with contextlib.suppress(Exception):
        metadata["NiBabel_CIFTI2_XML"] = image.header.to_xml().decode("utf-8")
    return metadata


# -- writing ----------------------------------------------------------------------------------


def compound_suffix(filename):
    """The format suffix of a file name, compression included: ".mgz", ".nii.gz"."""
    lower = filename.lower()
    for suffix in (".nii.gz", ".mgh.gz", ".mgz", ".mgh", ".nii"):
        if lower.endswith(suffix):
            return filename[len(filename) - len(suffix) :]
    return os.path.splitext(filename)[1]


def losslessly_for_mgh(array):
    """The array in the first MGH dtype that holds every value exactly; TypeError if none does."""
    if array.dtype in _MGH_DTYPES:
        return array
    if array.dtype.kind in "iub":
        low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
        for dtype in _MGH_DTYPES[:3]:
            info = np.iinfo(dtype)
            if info.min <= low and high <= info.max:
                return array.astype(dtype)
    if array.dtype.kind in "iuf":
        converted = array.astype(np.float32)
        if np.array_equal(converted.astype(array.dtype), array, equal_nan=array.dtype.kind == "f"):
            return converted
    raise TypeError(
        f"MGH stores uint8, int16, int32 and float32; the {array.dtype.name} values are not all exactly one of "
        "them: cast the image first"
    )


def header_numbers(texts, key, count):
    """The ``count`` numbers of a header field's metadata text (``NiBabel_Header_<key>``), or None."""
    try:
        numbers = np.array([float(word) for word in texts[key].split()], dtype=np.float64)
    except (KeyError, ValueError):
        return None
    return numbers if numbers.size == count else None


def reuse_mgh_geometry(image, header_texts, affine):
    """Puts the MGH geometry fields the image was read with back into ``image``'s header, if they give exactly
    ``affine``: MGH stores its geometry as float32 ``delta``, ``Mdc`` and ``Pxyz_c``, and decomposing an affine
    again does not always give back the same float32 values (an ``Mdc`` of non-unit columns never does).
    Also carries over the MGH scan parameters."""
    fields = {
        "delta": header_numbers(header_texts, "delta", 3),
        "Mdc": header_numbers(header_texts, "Mdc", 9),
        "Pxyz_c": header_numbers(header_texts, "Pxyz_c", 3),
    }
    if all(value is not None for value in fields.values()):
        candidate = image.header.copy()
        candidate["delta"] = fields["delta"]
        candidate["Mdc"] = fields["Mdc"].reshape(3, 3)
        candidate["Pxyz_c"] = fields["Pxyz_c"]
        if np.array_equal(candidate.get_affine(), affine):
            for key, value in fields.items():
                image.header[key] = value.reshape(image.header[key].shape)
    for key in ("te", "ti", "flip_angle"):
        value = header_numbers(header_texts, key, 1)
        if value is not None:
            image.header[key] = value[0]


def write_atomically(image, filename):
    """Writes through a temporary file beside the target, renamed over it at the end."""
    directory, base = os.path.split(os.path.abspath(filename))
    suffix = compound_suffix(base)
    for _attempt in range(100):
        temporary = os.path.join(directory, f".{base}.tmp-{secrets.token_hex(6)}{suffix}")
        try:
            # O_EXCL: never another file; mode 0o666 minus the umask: what a plain new file gets.
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        break
    else:
        raise FileExistsError(f"no free temporary file name beside {filename}")
    try:
        image.to_filename(temporary)
        os.replace(temporary, filename)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def write_volume(filename, buffer, description_json):
    """Writes an ITK buffer (Fortran order) as the format of ``description["format"]``.

    ``description``: ``format`` ("mgh" or "nifti2"; "nifti2" with ``cifti2_xml`` writes CIFTI-2),
    ``shape``, ``dtype`` (numpy dtype string),
    ``pixel`` ("scalar", "complex", "rgb", "rgba"), ``affine`` (16 strings, row-major, RAS+),
    ``zooms`` (the spacing of every axis, strings), ``time_units``; ``image_class`` and ``header`` (header
    field texts, without their ``NiBabel_Header_`` prefix) of the file the image was read from, if any.
    """
    description = json.loads(description_json)
    shape = tuple(int(extent) for extent in description["shape"])
    dtype = np.dtype(description["dtype"])
    if description["pixel"] in ("rgb", "rgba"):
        dtype = np.dtype([(name, np.uint8) for name in "RGBA"[: 3 if description["pixel"] == "rgb" else 4]])
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F")
    affine = np.array([float(value) for value in description["affine"]], dtype=np.float64).reshape(4, 4)
    zooms = [float(value) for value in description["zooms"]]
    if description["format"] == "mgh":
        if description["pixel"] != "scalar":
            raise TypeError(f"MGH stores scalar pixels, not {description['pixel']} ones")
        if array.ndim > 4:
            raise ValueError(f"MGH holds up to 4 axes; the image has {array.ndim}")
        array = losslessly_for_mgh(array)
        while array.ndim < 3:
            array = array.reshape((*array.shape, 1), order="F")
        image = nibabel.MGHImage(array, affine)
        if array.ndim == 4:
            image.header["tr"] = zooms[3] if len(zooms) > 3 else 0.0
        if description.get("image_class") == "MGHImage":
            reuse_mgh_geometry(image, description.get("header", {}), affine)
    elif description["format"] == "nifti2" and description.get("cifti2_xml"):
        # CIFTI-2 is NIfTI-2 with its axes in an XML extension: rebuild the header from the XML.
        extension = nibabel.cifti2.Cifti2Extension(code=32, content=description["cifti2_xml"].encode("utf-8"))
        header = extension.get_object() if hasattr(extension, "get_object") else extension.get_content()
        image = nibabel.Cifti2Image(array, header=header)
    elif description["format"] == "nifti2":
        image = nibabel.Nifti2Image(array, affine)
        spatial = [float(zoom) for zoom in image.header.get_zooms()[:3]]
        image.header.set_zooms(spatial[: min(3, array.ndim)] + zooms[3 : array.ndim])
        image.header.set_xyzt_units("mm", description.get("time_units") or "unknown")
    else:
        raise ValueError(f"unknown output format {description['format']!r}")
    write_atomically(image, filename)
