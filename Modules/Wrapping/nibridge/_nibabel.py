"""nibabel interop: `from_nibabel` and `to_nibabel`, built on NiBridge's one nibabel-side module (`_nibabel_io`).

nibabel's affine ``A`` maps a voxel (i, j, k) to RAS+ millimetres; ITK's geometry is LPS. With
``F = diag(-1, -1, 1)``: ``M = F @ A[:3, :3]``, spacing = the column norms of ``M``, direction = ``M`` divided
by the spacing, origin = ``F @ A[:3, 3]``. The rule is NiBridge's Core one (itkNiBridgeGeometry.h), applied by
`Image.affine`, which also keeps the affine it was given: `to_nibabel` gives it back bit for bit, oblique or
not, until the geometry is edited. Axes beyond the third (time, ...) stay image axes, with the header's
zooms as spacing, origin 0 (a NIfTI header's ``toffset`` for the fourth, as `imread` reads it) and an identity
direction. The metadata is the one `imread` gives for the same file
(`_nibabel_io.image_metadata`).
"""

import functools

import numpy as np

from ._core import (
    Image,
    _component_types,
    _set_metadata,
    array_view_from_image,
    image_from_array,
    image_view_from_array,
)


@functools.cache
def _nibabel_side():
    """NiBridge's nibabel-side module, with Core's component types: imported on first use, as it imports nibabel,
    so that `import nibridge` stays light."""
    from . import _nibabel_io  # noqa: PLC0415

    _nibabel_io.set_component_types(_component_types())
    return _nibabel_io


def _extra_axis_spacing(img, dimension):
    """The spacing of axes beyond the third (time, ...): the header's zooms where positive, else 1."""
    zooms = _nibabel_side().header_zooms(img)
    spacing = []
    for axis in range(3, dimension):
        zoom = float(zooms[axis]) if axis < len(zooms) else 1.0
        spacing.append(zoom if zoom > 0 else 1.0)
    return spacing


def _fourth_axis_origin(img):
    """A NIfTI header's toffset, the origin of the fourth axis (as NiBridge's NIfTI reader takes it); else 0."""
    header = img.header
    try:
        offset = float(header["toffset"]) if "toffset" in header else 0.0
    except (TypeError, ValueError, KeyError):
        return 0.0
    return offset if np.isfinite(offset) else 0.0


def _can_view(array):
    return array.flags.f_contiguous and array.flags.writeable and array.flags.aligned and array.dtype.isnative


def _channels_view(array):
    """A uint8 view (..., c) of a packed RGB / RGBA structured array: the channels become a trailing axis."""
    first_channel = array[array.dtype.names[0]]
    return np.lib.stride_tricks.as_strided(
        first_channel,
        shape=(*array.shape, len(array.dtype.names)),
        strides=(*array.strides, 1),
        writeable=array.flags.writeable,
    )


def from_nibabel(img) -> Image:
    """A nibridge.Image of a nibabel SpatialImage, with its geometry in LPS and its metadata.

    The values are nibabel's scaled ones, ``np.asanyarray(img.dataobj)``. No copy when that array is
    Fortran-contiguous, writable, aligned and in native byte order (an image view with ``keep_axes=True``,
    which holds the array); otherwise one copy (``image_from_array``), e.g. for read-only memory maps or
    big-endian files. Shapes (i, j[, k[, t]]) become 2-, 3- or 4-dimensional scalar images; axes beyond the
    third take the header's zooms as spacing. `Image.metadata` holds what `imread` gives for the same file
    (nibabel's image class, header fields, units, ...).

    Multi-component data becomes a vector image with the components as the trailing axis:

    - NIfTI's RGB24 / RGBA32 pixels (nibabel's structured dtypes with uint8 fields R, G, B[, A]) become a uint8
      image of pixel type "rgb" / "rgba", without a copy where the array allows;
    - 5-dimensional data (i, j, k, t, c), NIfTI's layout for vectors (intent "vector"), becomes a vector image
      of c components: 3D when t is 1, else 4D. The components are the slowest axis in the file and the
      fastest in an ITK vector image, so this is one copy.
    """
    array = np.asanyarray(img.dataobj)
    value_dtype = array.dtype
    pixel_type = _nibabel_side().color_pixel_type(array.dtype)
    is_vector = pixel_type is not None or array.ndim == 5
    if pixel_type is not None:
        view_possible = _can_view(array)
        array = _channels_view(array)
    elif array.ndim == 5:
        array = array[:, :, :, 0, :] if array.shape[3] == 1 else array
        view_possible = False
    else:
        view_possible = _can_view(array)
    spatial_shape = array.shape[:-1] if is_vector else array.shape
    if not 2 <= len(spatial_shape) <= 4:
        raise ValueError(
            f"from_nibabel: only 2-, 3- and 4-dimensional images are supported, got shape {np.shape(img.dataobj)}"
        )
    affine = np.asarray(img.affine, dtype=np.float64)
    if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
        raise ValueError(f"from_nibabel: the affine must be a finite 4x4 matrix, got {img.affine!r}")
    dimension = len(spatial_shape)
    convert = image_view_from_array if view_possible else image_from_array
    spacing = [1.0] * min(dimension, 3) + _extra_axis_spacing(img, dimension)
    origin = [0.0] * dimension
    if dimension > 3:
        origin[3] = _fourth_axis_origin(img)
    image = convert(array, keep_axes=True, is_vector=is_vector, spacing=spacing, origin=origin)
    try:
        image.affine = affine
    except ValueError as error:
        raise ValueError(f"from_nibabel: {error}") from error
    if pixel_type is not None:
        image.pixel_type = pixel_type
    _set_metadata(image, _nibabel_side().image_metadata(img, "scaled", value_dtype))
    return image


def to_nibabel(image: Image):
    """A nibabel.Nifti1Image over the image's pixel buffer, without a copy.

    The data is ``array_view_from_image(image, keep_axes=True)`` (shape (i, j, k[, t]), which pins the pixel
    buffer), the affine is `image.affine` (the one the image was given, else rebuilt from spacing, origin and
    direction, LPS to RAS), the zooms of axes beyond the third are the image's spacing and the origin of a
    fourth is the header's ``toffset``. NIfTI-1 refuses some dtypes (bool).

    Vector images follow NIfTI's conventions, still without a copy: a uint8 image of pixel type "rgb" or
    "rgba" of 2 or 3 dimensions becomes RGB24 / RGBA32 pixels (nibabel's structured dtype, shape (i, j[, k]));
    any other vector image becomes 5-dimensional data (i, j, k, t, c) with intent "vector" (t and k of
    length 1 where the image has no such axis).
    """
    import nibabel  # noqa: PLC0415 -- nibabel is imported on first use, so `import nibridge` stays light

    array = array_view_from_image(image, keep_axes=True)
    affine = image.affine
    color = image.pixel_type in ("rgb", "rgba") and image.dtype == np.uint8 and image.dimension <= 3
    if color:
        names = ("R", "G", "B", "A")[: image.number_of_components]
        array = array.view(np.dtype([(name, np.uint8) for name in names]))[..., 0]
        return nibabel.Nifti1Image(array, affine)
    if image.is_vector:
        missing = 4 - image.dimension  # length-1 axes that put the components fifth
        array = array.reshape(*array.shape[:-1], *(1,) * missing, array.shape[-1])
    result = nibabel.Nifti1Image(array, affine)
    if image.dimension > 3:
        zooms = result.header.get_zooms()
        result.header.set_zooms((*zooms[:3], *np.asarray(image.spacing)[3:], *zooms[4:]))
        result.header["toffset"] = float(image.origin[3])
    if image.is_vector:
        result.header.set_intent("vector")
    return result
