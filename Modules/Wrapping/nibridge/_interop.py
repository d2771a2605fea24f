"""Interop with the `itk`, `SimpleITK` and `vtk` Python wheels: `to_itk` / `from_itk`, `to_sitk` / `from_sitk`,
`to_vtk` / `from_vtk`.

The wheels carry their own ITK and VTK builds, so the exchange goes through NumPy arrays and geometry, never
through C++ objects. Each conversion makes exactly one copy of the pixels: a zero-copy handoff cannot pin memory
that the other library's C++ object may free or re-allocate (a filter's output buffer, a copy-on-write
SimpleITK image, a resized vtkDataArray), nor can the other library pin a nibridge buffer. Towards nibridge, the
wheel's own zero-copy view of its buffer goes to `image_from_array` (one copy, the GIL released); towards a
wheel, `array_view_from_image` (C-contiguous, so the wheel does not make a contiguous temporary) goes to the
wheel's copying constructor (``itk.image_from_array``, ``SimpleITK.GetImageFromArray``,
``numpy_to_vtk(deep=True)``). No object of the result refers to the source's memory.

Geometry is carried as numbers and round-trips bit for bit: spacing, origin and direction (LPS, index order).
SimpleITK's direction is a flat row-major tuple. VTK has no space convention: `to_vtk` stores ITK's LPS numbers
unchanged (spacing, origin and, VTK >= 9.1, the direction matrix), as ``itk.vtk_image_from_image`` does.

Pixel kinds: scalar images of the dtypes each wheel supports; vector images (itk.VectorImage,
itk.Image[itk.Vector / itk.CovariantVector], SimpleITK's sitkVector*, VTK's multi-component scalars) become
nibridge vector images with the components as the trailing axis. itk.RGBPixel / itk.RGBAPixel images become
``pixel_type`` "rgb" / "rgba" and go back as such (uint8 only, as wrapped by the itk wheel; colour images of
other dtypes go as vector images); SimpleITK and VTK have no colour type: colour images become 3- or
4-component vector images there.

Unsupported dtypes (`SUPPORTED_DTYPES` lists what each wheel exchanges) raise a TypeError naming the function.
The wheels are imported on first use, so ``import nibridge`` stays light. itk's first use is made under a lock:
threads importing the itk wheel at once could get its module before it was whole ("module 'itk' has no attribute
'Image'"), so one thread imports it and touches the names the conversions use (loading the lazily loaded modules
behind them) while the others wait.
"""

import threading

import numpy as np

from ._core import Image, array_view_from_image, image_from_array

_SCALARS = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64")

# What each wheel exchanges with NumPy (itk: the types its PyBuffer is wrapped for; bool, int8, int64 and the
# complex types have no NumPy bridge in the itk wheel, even where itk.Image is wrapped for them).
SUPPORTED_DTYPES = {
    "itk": {
        "scalar": ("uint8", "int16", "uint16", "int32", "uint32", "uint64", "float32", "float64"),
        "vector": ("uint8", "int16", "uint16", "float32", "float64"),
        "rgb": ("uint8",),
    },
    "SimpleITK": {
        "scalar": (*_SCALARS, "complex64", "complex128"),
        "vector": _SCALARS,
    },
    "vtk": {
        "scalar": _SCALARS,
        "vector": _SCALARS,
    },
}

# The itk wheel's name of the component type of each dtype it exchanges (itk.UC, ...; itk is imported lazily).
ITK_COMPONENT_NAMES = {
    "uint8": "UC",
    "int16": "SS",
    "uint16": "US",
    "int32": "SI",
    "uint32": "UI",
    "uint64": "UL",
    "float32": "F",
    "float64": "D",
}

_INSTALL_HINTS = {
    "itk": "pip install itk",
    "SimpleITK": "pip install SimpleITK",
    "vtk": "pip install vtk",
}


# The itk names the conversions reach, each loading its lazily-loaded module on first access.
_ITK_FIRST_TOUCH = ("Image", "VectorImage", "ImageBase", "RGBPixel", "RGBAPixel", "PyBuffer", "Matrix", "UC", "F")
_ITK_LOCK = threading.Lock()
_itk_touched = False


def _import_wheel(name, function):
    """The wheel's module, imported on first use (itk's import and its lazily loaded modules' first touch once, under
    a lock); an ImportError with an install hint when it is missing."""
    global _itk_touched  # noqa: PLW0603 (once per process)
    if name == "itk" and not _itk_touched:
        with _ITK_LOCK:
            if not _itk_touched:
                module = _load_wheel(name, function)
                for attribute in _ITK_FIRST_TOUCH:
                    getattr(module, attribute)
                _itk_touched = True
    return _load_wheel(name, function)


def _load_wheel(name, function):
    try:
        if name == "itk":
            import itk  # noqa: PLC0415

            return itk
        if name == "SimpleITK":
            import SimpleITK  # noqa: PLC0415

            return SimpleITK
        from vtkmodules.util import numpy_support  # noqa: PLC0415

        return numpy_support
    except ImportError as error:
        raise ImportError(
            f"{function}: needs the '{name}' Python package, which is not importable ({error}); "
            f"install it with `{_INSTALL_HINTS[name]}`"
        ) from error


def _check_image(image, function):
    if not isinstance(image, Image):
        raise TypeError(f"{function}: expected a nibridge.Image, got {type(image).__module__}.{type(image).__name__}")


def _unsupported(function, wheel, kind, dtype):
    supported = ", ".join(SUPPORTED_DTYPES[wheel][kind])
    return TypeError(
        f"{function}: {kind} images of dtype {np.dtype(dtype).name} are not supported by the {wheel} "
        f"wheel; supported: {supported}"
    )


def _set_pixel_type(image, pixel_type):
    if pixel_type in ("rgb", "rgba"):
        image.pixel_type = pixel_type
    return image


def _start_origin(origin, spacing, direction, start):
    """The physical point of index `start`: the origin of the image re-indexed from 0."""
    start = np.asarray(start, dtype=np.float64)
    if not np.any(start):
        return origin
    return origin + direction @ (spacing * start)


# --- itk -------------------------------------------------------------------------------------------------------


def _itk_image_type(itk, image, function):
    dtype = np.dtype(image.dtype).name
    pixel_type = image.pixel_type
    dimension = image.dimension
    if pixel_type in ("rgb", "rgba") and dtype == "uint8":
        color = itk.RGBPixel if pixel_type == "rgb" else itk.RGBAPixel
        return itk.Image[color[itk.UC], dimension]
    kind = "vector" if image.is_vector else "scalar"
    if dtype not in SUPPORTED_DTYPES["itk"][kind]:
        raise _unsupported(function, "itk", kind, dtype)
    component = getattr(itk, ITK_COMPONENT_NAMES[dtype])
    return itk.VectorImage[component, dimension] if image.is_vector else itk.Image[component, dimension]


def to_itk(image: Image):
    """An `itk` wheel image of a nibridge.Image: one copy, geometry carried over bit for bit.

    Scalar images become itk.Image, vector images itk.VectorImage, pixel_type "rgb" / "rgba" uint8 images
    itk.Image[itk.RGBPixel / itk.RGBAPixel]. The copy is ``itk.image_from_array`` of the C-contiguous
    ``array_view_from_image`` (an image view duplicated by itk.ImageDuplicator); the result is disconnected
    from that pipeline, so it refers to nothing of nibridge. dtypes: ``SUPPORTED_DTYPES["itk"]``.
    """
    _check_image(image, "to_itk")
    itk = _import_wheel("itk", "to_itk")
    image_type = _itk_image_type(itk, image, "to_itk")
    array = array_view_from_image(image)
    result = itk.image_from_array(array, ttype=image_type)
    result.DisconnectPipeline()
    result.SetSpacing([float(value) for value in image.spacing])
    result.SetOrigin([float(value) for value in image.origin])
    result.SetDirection(itk.matrix_from_array(np.ascontiguousarray(image.direction, dtype=np.float64)))
    return result


def _is_itk_image(itk, value):
    image_base = getattr(itk, "ImageBase", None)
    try:
        return image_base is not None and isinstance(value, tuple(image_base.values()))
    except TypeError:
        return False


def from_itk(itk_image) -> Image:
    """A nibridge.Image of an `itk` wheel image (its buffered region): one copy, geometry bit for bit.

    itk.Image of scalars, itk.VectorImage, itk.Image of itk.Vector / itk.CovariantVector (a vector image, the
    components on the trailing axis) and itk.Image of itk.RGBPixel / itk.RGBAPixel (pixel_type "rgb" /
    "rgba"). A buffered region not starting at index 0 moves the origin to its first pixel.
    """
    itk = _import_wheel("itk", "from_itk")
    if not _is_itk_image(itk, itk_image):
        raise TypeError(f"from_itk: expected an itk.Image or itk.VectorImage, got {type(itk_image).__name__}")
    image_type = type(itk_image)
    if not any(key[0] == image_type for key in itk.PyBuffer.keys()):
        raise TypeError(
            f"from_itk: the itk wheel has no NumPy bridge for {image_type.__name__}; "
            f"supported dtypes: {SUPPORTED_DTYPES['itk']}"
        )
    pixel = itk.template(image_type)[1][0]
    pixel_template = itk.template(pixel)[0] if not isinstance(pixel, itk.support.types.itkCType) else None
    is_vector = image_type in itk.VectorImage.values() or itk_image.GetNumberOfComponentsPerPixel() > 1
    pixel_type = {itk.RGBPixel: "rgb", itk.RGBAPixel: "rgba"}.get(pixel_template, "vector" if is_vector else "scalar")
    # The output of a filter: run its pipeline for its whole, current largest region (ITK's UpdateLargestPossibleRegion,
    # which the wheel does not wrap for images). Update() alone keeps the requested region of an earlier run, so after
    # the filter's region changed it gave the old pixels (a larger region) or failed (a smaller one: "requested region
    # is outside the largest possible region").
    itk_image.UpdateOutputInformation()
    itk_image.SetRequestedRegionToLargestPossibleRegion()
    itk_image.Update()
    if itk_image.GetBufferPointer() is None:
        raise ValueError("from_itk: the itk image has no pixel buffer (not allocated)")
    array = itk.array_view_from_image(itk_image, update=False)
    spacing = np.array(itk_image.GetSpacing(), dtype=np.float64)
    direction = np.array(itk.array_from_matrix(itk_image.GetDirection()), dtype=np.float64)
    origin = _start_origin(
        np.array(itk_image.GetOrigin(), dtype=np.float64),
        spacing,
        direction,
        tuple(itk_image.GetBufferedRegion().GetIndex()),
    )
    result = _image_from_wheel("from_itk", array, is_vector, spacing=spacing, origin=origin, direction=direction)
    return _set_pixel_type(result, pixel_type)


def _image_from_wheel(function, array, is_vector, *, spacing, origin, direction):
    """image_from_array of a wheel's pixels, with the limits said in the name of the function the user called."""
    dimension = array.ndim - (1 if is_vector else 0)
    if not 2 <= dimension <= 4:
        raise ValueError(
            f"{function}: nibridge images have 2, 3 or 4 dimensions; this {'vector ' if is_vector else ''}image has "
            f"{dimension} (size {tuple(reversed(array.shape[:dimension]))})"
        )
    return image_from_array(array, is_vector=is_vector, spacing=spacing, origin=origin, direction=direction)


# --- SimpleITK ---------------------------------------------------------------------------------------------------


def to_sitk(image: Image):
    """A SimpleITK.Image of a nibridge.Image: one copy (``SimpleITK.GetImageFromArray`` of the C-contiguous
    ``array_view_from_image``), geometry bit for bit (direction as a flat row-major tuple).

    Vector and colour images become sitkVector* images; complex scalars sitkComplexFloat32 / 64; bool has no
    SimpleITK type. dtypes: ``SUPPORTED_DTYPES["SimpleITK"]``.
    """
    _check_image(image, "to_sitk")
    sitk = _import_wheel("SimpleITK", "to_sitk")
    kind = "vector" if image.is_vector else "scalar"
    dtype = np.dtype(image.dtype).name
    if dtype not in SUPPORTED_DTYPES["SimpleITK"][kind]:
        raise _unsupported("to_sitk", "SimpleITK", kind, dtype)
    result = sitk.GetImageFromArray(array_view_from_image(image), isVector=image.is_vector)
    result.SetSpacing([float(value) for value in image.spacing])
    result.SetOrigin([float(value) for value in image.origin])
    result.SetDirection([float(value) for value in np.asarray(image.direction).ravel()])
    return result


def _sitk_dtypes(sitk):
    scalars = {f"sitk{name}": name.lower() for name in ("Int8", "UInt8", "Int16", "UInt16", "Int32", "UInt32")}
    scalars.update({f"sitk{name}": name.lower() for name in ("Int64", "UInt64", "Float32", "Float64")})
    table = {}
    for attribute, dtype in scalars.items():
        table[getattr(sitk, attribute)] = (np.dtype(dtype), False)
        table[getattr(sitk, attribute.replace("sitk", "sitkVector"))] = (np.dtype(dtype), True)
    table[sitk.sitkComplexFloat32] = (np.dtype(np.complex64), False)
    table[sitk.sitkComplexFloat64] = (np.dtype(np.complex128), False)
    return table


def _sitk_buffer(sitk, sitk_image, dtype, shape):
    """A read-only NumPy view of the SimpleITK buffer. SimpleITK's GetArrayViewFromImage first makes a shared
    (copy-on-write) buffer unique, a second copy; reading through _GetMemoryViewFromImage does not."""
    memory_view = getattr(getattr(sitk, "SimpleITK", None), "_GetMemoryViewFromImage", None)
    if memory_view is None:
        return sitk.GetArrayViewFromImage(sitk_image)
    return np.asarray(memory_view(sitk_image)).view(dtype).reshape(shape)


def from_sitk(sitk_image) -> Image:
    """A nibridge.Image of a SimpleITK.Image: one copy, geometry bit for bit.

    Scalar and complex images, sitkVector* images (a vector image, the components on the trailing axis);
    label-map images are refused (convert them with SimpleITK.LabelMapToLabel first).
    """
    sitk = _import_wheel("SimpleITK", "from_sitk")
    if not isinstance(sitk_image, sitk.Image):
        raise TypeError(f"from_sitk: expected a SimpleITK.Image, got {type(sitk_image).__name__}")
    pixel_id = sitk_image.GetPixelID()
    table = _sitk_dtypes(sitk)
    if pixel_id not in table:
        raise TypeError(
            f"from_sitk: SimpleITK pixel type '{sitk_image.GetPixelIDTypeAsString()}' is not supported; "
            f"supported dtypes: {SUPPORTED_DTYPES['SimpleITK']}"
        )
    dtype, is_vector = table[pixel_id]
    shape = tuple(reversed(sitk_image.GetSize()))
    if is_vector:
        shape = (*shape, sitk_image.GetNumberOfComponentsPerPixel())
    array = _sitk_buffer(sitk, sitk_image, dtype, shape)
    dimension = sitk_image.GetDimension()
    return _image_from_wheel(
        "from_sitk",
        array,
        is_vector,
        spacing=np.array(sitk_image.GetSpacing(), dtype=np.float64),
        origin=np.array(sitk_image.GetOrigin(), dtype=np.float64),
        direction=np.array(sitk_image.GetDirection(), dtype=np.float64).reshape(dimension, dimension),
    )


_VTK_BIT = 1  # vtkBitArray packs 8 values a byte: no NumPy view


# --- VTK ---------------------------------------------------------------------------------------------------------


def to_vtk(image: Image):
    """A vtkImageData of a 2D or 3D nibridge.Image: one copy (``numpy_to_vtk(deep=True)`` of the C-contiguous
    ``array_view_from_image``), in the point data's scalars.

    VTK has no space convention: spacing, origin and direction are ITK's LPS numbers, unchanged. A 2D image
    becomes dimensions (nx, ny, 1), spacing (sx, sy, 1), origin (ox, oy, 0) and its 2x2 direction embedded in
    the identity. 4D images raise a ValueError; bool and complex a TypeError (VTK has no such scalars).
    Vector and colour images become multi-component scalars.
    """
    _check_image(image, "to_vtk")
    numpy_support = _import_wheel("vtk", "to_vtk")
    from vtkmodules.vtkCommonDataModel import vtkImageData  # noqa: PLC0415

    if image.dimension > 3:
        raise ValueError(f"to_vtk: vtkImageData is at most 3D, got a {image.dimension}D image")
    kind = "vector" if image.is_vector else "scalar"
    dtype = np.dtype(image.dtype).name
    if dtype not in SUPPORTED_DTYPES["vtk"][kind]:
        raise _unsupported("to_vtk", "vtk", kind, dtype)
    dimension = image.dimension
    spacing = np.ones(3)
    origin = np.zeros(3)
    direction = np.eye(3)
    spacing[:dimension] = image.spacing
    origin[:dimension] = image.origin
    direction[:dimension, :dimension] = image.direction
    array = array_view_from_image(image)
    size = [1, 1, 1]
    size[:dimension] = reversed(array.shape[:dimension])
    components = image.number_of_components
    scalars = numpy_support.numpy_to_vtk(
        array.reshape(-1, components) if components > 1 else array.reshape(-1), deep=True
    )
    scalars.SetName("scalars")
    result = vtkImageData()
    result.SetDimensions(*size)
    result.SetSpacing(*(float(value) for value in spacing))
    result.SetOrigin(*(float(value) for value in origin))
    result.SetDirectionMatrix(*(float(value) for value in direction.ravel()))
    result.GetPointData().SetScalars(scalars)
    return result


def from_vtk(vtk_image_data, dimension: int = 3) -> Image:
    """A nibridge.Image of a vtkImageData's point scalars: one copy, spacing, origin and direction bit for bit.

    The numbers are taken as ITK's LPS ones (VTK has no space convention). The result is 3D unless
    ``dimension=2``, which needs a single slice whose third axis is not mixed with the first two (as `to_vtk`
    makes of a 2D image); the third spacing and origin coordinates are then dropped. Multi-component scalars
    become a vector image. An extent not starting at 0 moves the origin to its first point.
    """
    numpy_support = _import_wheel("vtk", "from_vtk")
    from vtkmodules.vtkCommonDataModel import vtkImageData  # noqa: PLC0415

    if not isinstance(vtk_image_data, vtkImageData):
        raise TypeError(f"from_vtk: expected a vtkImageData, got {type(vtk_image_data).__name__}")
    if dimension not in (2, 3):
        raise ValueError(f"from_vtk: dimension must be 2 or 3, got {dimension!r}")
    scalars = vtk_image_data.GetPointData().GetScalars()
    if scalars is None:
        raise ValueError("from_vtk: the vtkImageData has no point scalars")
    unsupported = TypeError(
        f"from_vtk: VTK scalars of type {scalars.GetDataTypeAsString()} are not supported; "
        f"supported dtypes: {', '.join(SUPPORTED_DTYPES['vtk']['scalar'])}"
    )
    if scalars.GetDataType() == _VTK_BIT:
        raise unsupported
    try:
        values = numpy_support.vtk_to_numpy(scalars)
    except (TypeError, ValueError, AssertionError, KeyError, AttributeError) as error:
        raise unsupported from error
    if values.dtype.name not in SUPPORTED_DTYPES["vtk"]["scalar"]:
        raise unsupported
    extent = vtk_image_data.GetExtent()
    size = [extent[2 * axis + 1] - extent[2 * axis] + 1 for axis in range(3)]
    spacing = np.array(vtk_image_data.GetSpacing(), dtype=np.float64)
    matrix = vtk_image_data.GetDirectionMatrix()
    direction = np.array([[matrix.GetElement(row, column) for column in range(3)] for row in range(3)])
    origin = _start_origin(np.array(vtk_image_data.GetOrigin(), dtype=np.float64), spacing, direction, extent[::2])
    if dimension == 2:
        if size[2] != 1 or np.any(direction[2, :2]) or np.any(direction[:2, 2]):
            raise ValueError(
                f"from_vtk: dimension=2 needs a single slice whose third axis is separate, got dimensions {size} "
                f"and direction {direction.ravel().tolist()}"
            )
        spacing, origin, direction = spacing[:2], origin[:2], direction[:2, :2]
    components = scalars.GetNumberOfComponents()
    shape = tuple(reversed(size[:dimension]))
    array = values.reshape((*shape, components) if components > 1 else shape)
    return _image_from_wheel("from_vtk", array, components > 1, spacing=spacing, origin=origin, direction=direction)
