"""nibabel interop: `from_nibabel` and `to_nibabel`.

nibabel's affine ``A`` maps a voxel (i, j, k) to RAS+ millimetres; ITK's geometry is LPS. With
``F = diag(-1, -1, 1)``: ``M = F @ A[:3, :3]``, spacing = the column norms of ``M``, direction = ``M`` divided
by the spacing, origin = ``F @ A[:3, 3]``. `to_nibabel` applies the inverse, so the affine round-trips:
exactly for axis-aligned affines, to rounding for oblique ones. Axes beyond the third (time, ...) stay image
axes, with the header's zooms as spacing, origin 0 and an identity direction.
"""

import numpy as np

from ._core import Image, array_view_from_image, image_from_array, image_view_from_array

_RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0])


def _geometry_from_affine(affine, shape, zooms):
    """spacing, origin and direction (LPS, index order) of an image of `shape` from a 4x4 RAS affine."""
    affine = np.asarray(affine, dtype=np.float64)
    if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
        raise ValueError(f"from_nibabel: the affine must be a finite 4x4 matrix, got {affine!r}")
    dimension = len(shape)
    linear = _RAS_TO_LPS @ affine[:3, :3]
    translation = _RAS_TO_LPS @ affine[:3, 3]
    spatial = min(dimension, 3)
    if spatial < 3 and np.any(linear[spatial:, :spatial]):
        raise ValueError(
            f"from_nibabel: a {dimension}D image whose index axes leave the first {spatial} physical axes "
            f"cannot keep its affine: {affine!r}"
        )
    spacing = np.ones(dimension)
    origin = np.zeros(dimension)
    direction = np.eye(dimension)
    block = linear[:spatial, :spatial]
    spacing[:spatial] = np.linalg.norm(block, axis=0)
    if np.any(spacing[:spatial] == 0):
        raise ValueError(f"from_nibabel: the affine is singular: {affine!r}")
    direction[:spatial, :spatial] = block / spacing[:spatial]
    origin[:spatial] = translation[:spatial]
    for axis in range(spatial, dimension):
        zoom = float(zooms[axis]) if zooms is not None and axis < len(zooms) else 1.0
        spacing[axis] = zoom if zoom > 0 else 1.0
    return spacing, origin, direction


def _affine_from_geometry(image):
    """The 4x4 RAS affine of an image's first three axes (a 2D image sits in the z = 0 plane)."""
    spatial = min(image.dimension, 3)
    linear = np.eye(3)
    translation = np.zeros(3)
    direction = np.asarray(image.direction)
    spacing = np.asarray(image.spacing)
    linear[:spatial, :spatial] = direction[:spatial, :spatial] * spacing[:spatial]
    translation[:spatial] = np.asarray(image.origin)[:spatial]
    affine = np.eye(4)
    affine[:3, :3] = _RAS_TO_LPS @ linear
    affine[:3, 3] = _RAS_TO_LPS @ translation
    return affine


def _can_view(array):
    return array.flags.f_contiguous and array.flags.writeable and array.flags.aligned and array.dtype.isnative


def from_nibabel(img) -> Image:
    """A nibridge.Image of a nibabel SpatialImage, with its geometry in LPS.

    The values are nibabel's scaled ones, ``np.asanyarray(img.dataobj)``. No copy when that array is
    Fortran-contiguous, writable, aligned and in native byte order (an image view with ``keep_axes=True``,
    which holds the array); otherwise one copy (``image_from_array``), e.g. for read-only memory maps or
    big-endian files. Shapes (i, j[, k[, t]]) become 2-, 3- or 4-dimensional scalar images; axes beyond the
    third take the header's zooms as spacing.
    """
    array = np.asanyarray(img.dataobj)
    if not 2 <= array.ndim <= 4:
        raise ValueError(f"from_nibabel: only 2-, 3- and 4-dimensional images are supported, got shape {array.shape}")
    header = getattr(img, "header", None)
    zooms = header.get_zooms() if header is not None and hasattr(header, "get_zooms") else None
    spacing, origin, direction = _geometry_from_affine(img.affine, array.shape, zooms)
    convert = image_view_from_array if _can_view(array) else image_from_array
    return convert(array, keep_axes=True, spacing=spacing, origin=origin, direction=direction)


def to_nibabel(image: Image):
    """A nibabel.Nifti1Image over the image's pixel buffer, without a copy.

    The data is ``array_view_from_image(image, keep_axes=True)`` (shape (i, j, k[, t]), which pins the pixel
    buffer), the affine is rebuilt from spacing, origin and direction (LPS to RAS), and the zooms of axes
    beyond the third are the image's spacing. Scalar images only; NIfTI-1 refuses some dtypes (bool).
    """
    import nibabel  # noqa: PLC0415 -- nibabel is imported on first use, so `import nibridge` stays light

    if image.is_vector:
        raise ValueError("to_nibabel: vector images are not supported yet; convert the components one by one")
    array = array_view_from_image(image, keep_axes=True)
    result = nibabel.Nifti1Image(array, _affine_from_geometry(image))
    if image.dimension > 3:
        zooms = result.header.get_zooms()
        result.header.set_zooms((*zooms[:3], *np.asarray(image.spacing)[3:]))
    return result
