"""NiBridge: ITK images, NumPy arrays and nibabel formats.

`nibridge.Image` holds an ITK image (itk::Image or itk::VectorImage) of any of bool, int8-int64,
uint8-uint64, float32, float64, complex64 and complex128 components in 2, 3 or 4 dimensions, with
its geometry (spacing, origin, direction: LPS, in index order i, j, k).

The conversions carry `itk`'s names so that scripts port over:

- `array_view_from_image(image, keep_axes=False)`: a NumPy view, no copy. Shape (k, j, i[, c]), or
  (i, j, k[, c]) with ``keep_axes=True`` (nibabel's voxel order). The view pins the pixel buffer
  itself, so it stays valid after the image is deleted or re-allocated.
- `array_from_image(image, keep_axes=False)`: one copy, the GIL released.
- `image_view_from_array(array, keep_axes=False, is_vector=False, spacing=None, origin=None,
  direction=None)`: an image over the array's memory, no copy; read-only, byte-swapped or
  wrongly-ordered arrays are refused with a ValueError naming `image_from_array`.
- `image_from_array(...)`: one copy from any strides or byte order, the GIL released.
- `imread(path)` / `imwrite(image, path, compress=False)`: through ITK's ImageIOs: every format ITK
  reads, .npy (NumPyImageIO) and every nibabel format (NiBabelImageIO, in this interpreter). Single-file
  formats are written to a temporary file and renamed, so a file appears whole or not at all.
- `from_nibabel(img)` / `to_nibabel(image)`: nibabel images, no copy where the layout allows, the affine
  converted RAS <-> LPS (see `nibridge._nibabel`).
- `to_itk` / `from_itk`, `to_sitk` / `from_sitk`, `to_vtk` / `from_vtk`: images of the `itk`, `SimpleITK` and
  `vtk` wheels, one copy each way, geometry bit for bit (see `nibridge._interop`).
- `convert_many(inputs, out_dir, *, dtype="float64", affines=False, ..., client=None)`: whole datasets to .npy
  files with the package's `ni2npy` in batch mode, on this machine or on a Dask cluster (``client``); returns a
  `ConversionSummary` (counts, the manifest's records, the failures). See Documentation/DatasetConversion.md.

Policies: bool images are itk::Image<bool> (NumPy's one-byte bool, no conversion); float16 is
refused (convert with ``astype(numpy.float32)``); complex stays a dtype, vector components are a
trailing axis, and ``image.pixel_type`` ("scalar", "vector", "rgb", "rgba") tells colour channels from
other components. The user guide is Documentation/PythonPackage.md. The package also ships the `ni2npy`
converter (see `nibridge._launcher`).
"""

from ._api import (
    array_from_image,
    array_view_from_image,
    image_from_array,
    image_view_from_array,
    imread,
    imwrite,
)
from ._convert import ConversionSummary, convert_many
from ._core import GeometryWarning, Image
from ._interop import from_itk, from_sitk, from_vtk, to_itk, to_sitk, to_vtk
from ._nibabel import from_nibabel, to_nibabel

__version__ = "0.1.0"

__all__ = [
    "ConversionSummary",
    "GeometryWarning",
    "Image",
    "__version__",
    "array_from_image",
    "array_view_from_image",
    "convert_many",
    "from_itk",
    "from_nibabel",
    "from_sitk",
    "from_vtk",
    "image_from_array",
    "image_view_from_array",
    "imread",
    "imwrite",
    "to_itk",
    "to_nibabel",
    "to_sitk",
    "to_vtk",
]
