"""The package's functions over the extension's (``nibridge._core``), for what ``help()`` shows.

pybind11's functions are built-ins whose ``__self__`` is pybind11's own record object, so ``help()`` presents each
as a method of an internal pybind11 type, with ``object`` for a path.
These are plain Python functions with the real signatures and the extension's documentation; each passes its
arguments on by position (a keyword pass-through costs more than the call itself). Errors are the extension's,
naming the function the user called.
"""

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import Image  # its module is nibridge (set in the extension), as the package exports it


def _array_interface(image):
    """NumPy's array interface (version 3) of the default view (k, j, i[, c]): its ``data``, a memoryview of that view,
    pins the pixel buffer as every view does, and is writable as the image is."""
    view = _core.array_view_from_image(image)
    return {
        "version": 3,
        "shape": view.shape,
        "typestr": view.dtype.str,
        "descr": view.dtype.descr,
        "strides": view.strides,
        "data": memoryview(view),
    }


Image.__array_interface__ = property(_array_interface, doc=_array_interface.__doc__)


def _documented(function):
    """The extension function's documentation, without pybind11's signature line (Python shows the real one)."""
    text = getattr(_core, function.__name__).__doc__ or ""
    signature, _, rest = text.partition("\n\n")
    function.__doc__ = rest if signature.startswith(function.__name__ + "(") else text
    return function


@_documented
def array_view_from_image(image: Image, keep_axes: bool = False) -> np.ndarray[Any, Any]:
    return _core.array_view_from_image(image, keep_axes)


@_documented
def array_from_image(image: Image, keep_axes: bool = False) -> np.ndarray[Any, Any]:
    return _core.array_from_image(image, keep_axes)


@_documented
def image_view_from_array(  # noqa: PLR0917 (the extension's signature, positional as itk's)
    array: np.ndarray[Any, Any],
    keep_axes: bool = False,
    is_vector: bool = False,
    spacing: npt.ArrayLike | None = None,
    origin: npt.ArrayLike | None = None,
    direction: npt.ArrayLike | None = None,
) -> Image:
    return _core.image_view_from_array(array, keep_axes, is_vector, spacing, origin, direction)


@_documented
def image_from_array(  # noqa: PLR0917 (the extension's signature, positional as itk's)
    array: npt.ArrayLike,
    keep_axes: bool = False,
    is_vector: bool = False,
    spacing: npt.ArrayLike | None = None,
    origin: npt.ArrayLike | None = None,
    direction: npt.ArrayLike | None = None,
) -> Image:
    return _core.image_from_array(array, keep_axes, is_vector, spacing, origin, direction)


@_documented
def imread(path: str | os.PathLike[str], *, values: str = "scaled") -> Image:
    return _core.imread(path, values=values)


@_documented
def imwrite(image: Image, path: str | os.PathLike[str], compress: bool = False) -> None:
    _core.imwrite(image, path, compress)
