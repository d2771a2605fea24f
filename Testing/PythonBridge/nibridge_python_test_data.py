"""Test data for NiBridgePythonGTests: nibabel's own files and files generated here, with references.

Usage: ``python nibridge_python_test_data.py OUTPUT_DIR``. Writes ``OUTPUT_DIR/manifest.json`` and, beside it,

- ``corpus/<case>/``: for every file of ``nibabel.testing.data_path`` with an image extension, what nibabel
  makes of it: ``values.npy`` (``numpy.asarray(img.dataobj)``), ``fdata.npy`` (``img.get_fdata()``), ``raw.npy``
  (``img.dataobj.get_unscaled()``, where nibabel has it), all in Fortran order (nibabel's axes = ITK's), and in
  the manifest the class, shape, affine (exact ``repr`` strings), zooms and the expected ITK size and geometry;
  files nibabel refuses are listed with its error;
- ``generated/``: files made with nibabel for the cases the corpus lacks (2D, 5D, complex, RGB, scaling,
  stress and streaming sets, bad input), with the same references.

The references come from nibabel in a separate process: the C++ tests compare NiBabelImageIO against them.
"""

import gzip
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nibabel
import nibabel.ecat
import numpy as np
from nibabel.testing import data_path

IMAGE_SUFFIXES = (".nii", ".nii.gz", ".hdr", ".mgh", ".mgz", ".mnc", ".par", ".rec", ".head", ".brik", ".brik.gz", ".v")
FLIP = np.diag([-1.0, -1.0, 1.0])


def case_name(file_name):
    """A GoogleTest-safe name of a file name."""
    return re.sub(r"[^A-Za-z0-9]", "_", file_name)


def load(path):
    """nibabel's reading of a file, as NiBabelImageIO does it."""
    if str(path).lower().endswith(".v"):
        return nibabel.ecat.load(str(path))
    return nibabel.load(str(path))


def floats(values):
    return [repr(float(value)) for value in np.ravel(values)]


def itk_size(shape, affine):
    """ITK's size: nibabel's shape, with a third axis of 1 for 1D images and 2D ones that leave the x-y plane."""
    size = list(shape)
    if affine is not None and len(size) < 3:
        in_plane = affine[2, 0] == 0 and affine[2, 1] == 0 and affine[0, 2] == 0 and affine[1, 2] == 0
        if len(size) == 1 or not (in_plane and affine[2, 3] == 0):
            size += [1] * (3 - len(size))
    return size


def lps_geometry(affine, dimension):
    """The LPS geometry of DESIGN.md computed directly (numpy), for the spatial axes."""
    spatial = min(dimension, 3)
    matrix = (FLIP @ affine[:3, :3])[:spatial, :spatial]
    spacing = np.linalg.norm(matrix, axis=0)
    return {
        "spacing": floats(spacing),
        "direction": floats(matrix / spacing),  # row-major
        "origin": floats((FLIP @ affine[:3, 3])[:spatial]),
    }


def save_fortran(path, array):
    np.save(path, np.asfortranarray(array))
    return str(path)


def describe(path, output, references=True):
    """The manifest entry of one file, with its references written to ``output`` (unless ``references`` is off:
    then only the sum of the values)."""
    entry = {"file": str(path)}
    try:
        image = load(path)
        values = np.asarray(image.dataobj)
    except Exception as error:  # noqa: BLE001 (every refusal is a case: NiBabelImageIO must refuse it too)
        entry.update(loads=False, error=f"{type(error).__name__}: {error}")
        return entry
    output.mkdir(parents=True, exist_ok=True)
    affine = getattr(image, "affine", None)
    try:
        zooms = [float(zoom) for zoom in image.header.get_zooms()]
    except Exception:  # noqa: BLE001
        zooms = []
    size = itk_size(values.shape, affine)
    extra = []
    for axis in range(3, len(size)):
        zoom = zooms[axis] if axis < len(zooms) else 1.0
        extra.append(zoom if np.isfinite(zoom) and zoom > 0 else 1.0)
    if not references:
        entry.update(loads=True, shape=list(values.shape), sum=repr(float(np.sum(values, dtype=np.float64))))
        return entry
    entry.update(
        loads=True,
        image_class=type(image).__name__,
        shape=list(values.shape),
        dtype=values.dtype.str,
        itk_size=size,
        affine=None if affine is None else floats(affine),
        extra_spacing=extra,
        values=save_fortran(output / "values.npy", values) if values.dtype.fields is None else None,
        fdata=save_fortran(output / "fdata.npy", image.get_fdata()) if values.dtype.fields is None else None,
        raw=None,
    )
    if values.dtype.fields is not None:  # RGB: the components as a trailing axis
        entry["components"] = save_fortran(
            output / "components.npy", np.stack([values[name] for name in values.dtype.names], axis=-1)
        )
    if hasattr(image.dataobj, "get_unscaled"):
        entry["raw"] = save_fortran(output / "raw.npy", np.asarray(image.dataobj.get_unscaled()))
    if affine is not None:
        entry["lps"] = lps_geometry(affine, len(size))
    return entry


def corpus(output):
    """Every file of nibabel's test data with an image extension."""
    cases = {}
    for path in sorted(Path(data_path).iterdir()):
        if path.is_file() and path.name.lower().endswith(IMAGE_SUFFIXES):
            cases[case_name(path.name)] = describe(path, output / "corpus" / case_name(path.name))
    return cases


def oblique_affine(rng, zooms=(1.5, 2.0, 2.5)):
    """A random rotation times zooms, with a random offset."""
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    affine = np.eye(4)
    affine[:3, :3] = rotation * np.asarray(zooms)
    affine[:3, 3] = rng.uniform(-100, 100, size=3)
    return affine


def generated_shapes_and_pixels(add, rng):
    """2D in and out of the x-y plane, 5D, complex, RGB(A), scaled integers."""
    in_plane = np.diag([2.0, 3.0, 1.0, 1.0])
    in_plane[:2, 3] = [-10.0, 20.0]
    plane = rng.normal(size=(5, 4)).astype(np.float32)
    add("two_d_in_plane", nibabel.Nifti2Image(plane, in_plane), "2d.nii")
    add("two_d_oblique", nibabel.Nifti2Image(plane, oblique_affine(rng)), "2do.nii")
    five = nibabel.Nifti2Image(rng.integers(-500, 500, size=(3, 4, 5, 2, 3)).astype(np.int16), oblique_affine(rng))
    five.header.set_zooms((1.5, 2.0, 2.5, 0.75, 3.0))
    five.set_sform(five.affine)
    add("five_d", five, "5d.nii.gz")
    complex_values = rng.normal(size=(4, 3, 2)) + 1j * rng.normal(size=(4, 3, 2))
    add("complex64", nibabel.Nifti2Image(complex_values.astype(np.complex64), oblique_affine(rng)), "c64.nii")
    add("complex128", nibabel.Nifti2Image(complex_values, oblique_affine(rng)), "c128.nii")
    for name, fields in (("rgb24", "RGB"), ("rgba32", "RGBA")):
        pixels = np.zeros((4, 3, 2), dtype=[(field, "u1") for field in fields])
        for field in fields:
            pixels[field] = rng.integers(0, 256, size=pixels.shape)
        add(name, nibabel.Nifti2Image(pixels, oblique_affine(rng)), f"{name}.nii")
    scaled = nibabel.Nifti1Image(rng.integers(-1000, 1000, size=(6, 5, 4)).astype(np.int16), oblique_affine(rng))
    scaled.header.set_slope_inter(0.1, 0.3)
    add("scaled_int16_nifti1", scaled, "scaled.nii.gz")


def generated_stress_and_streaming(add, rng):
    """Different MGZ files (dtypes, geometries, one 4D with a TR); a 32 MB MGH; a tiny MGZ."""
    for index, dtype in enumerate((np.int16, np.float32, np.uint8, np.int32) * 2):
        shape = (48, 40, 32) if index != 5 else (24, 20, 16, 3)
        data = rng.integers(0, 200, size=shape) if dtype != np.float32 else rng.normal(size=shape)
        image = nibabel.MGHImage(np.asarray(data, dtype=dtype), oblique_affine(rng, zooms=(1.0 + index / 8, 1.2, 0.9)))
        if len(shape) == 4:
            image.header["tr"] = 2500.0
        add(f"stress_{index}", image, f"stress_{index}.mgz")
    large = np.arange(128 * 256 * 256, dtype=np.float32).reshape((128, 256, 256), order="F") % 1000
    add("large", nibabel.MGHImage(large, oblique_affine(rng)), "large.mgh", references=False)
    add("tiny", nibabel.MGHImage(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4)), "tiny.mgz")


def generated_bad_input(folder, rng):
    """Files nibabel (or NiBridge) must refuse: truncated, incomplete, broken, a non-finite affine."""
    bad = folder / "bad"
    bad.mkdir(exist_ok=True)
    mgz = (folder / "stress_0.mgz").read_bytes()
    (bad / "truncated.mgz").write_bytes(mgz[: len(mgz) * 6 // 10])
    (bad / "no_rec").mkdir(exist_ok=True)
    shutil.copy(Path(data_path) / "phantom_EPI_asc_CLEAR_2_1.PAR", bad / "no_rec" / "alone.PAR")
    head = (Path(data_path) / "example4d+orig.HEAD").read_text()
    (bad / "broken+orig.HEAD").write_text(head.replace("name = DATASET_DIMENSIONS", "name = DATASET_DIMENSIONS_GONE"))
    shutil.copy(Path(data_path) / "example4d+orig.BRIK.gz", bad / "broken+orig.BRIK.gz")
    header = bytearray(gzip.decompress((folder / "tiny.mgz").read_bytes()))
    header[20:24] = (99).to_bytes(4, "big")  # MGH type 99: no such data type
    (bad / "bad_type.mgh").write_bytes(bytes(header))
    nan_affine = oblique_affine(rng)
    nan_affine[0, 0] = np.nan
    nan_header = nibabel.Nifti2Header()
    nan_header.set_data_shape((3, 3, 3))
    nan_header.set_data_dtype(np.float32)
    for row, field in enumerate(("srow_x", "srow_y", "srow_z")):
        nan_header[field] = nan_affine[row]
    nan_header["sform_code"] = 2
    nan_image = nibabel.Nifti2Image(np.zeros((3, 3, 3), np.float32), None, header=nan_header)
    nan_image.to_filename(str(bad / "nan_affine.nii"))
    return {
        "truncated_mgz": str(bad / "truncated.mgz"),
        "par_without_rec": str(bad / "no_rec" / "alone.PAR"),
        "broken_afni_head": str(bad / "broken+orig.HEAD"),
        "bad_type_mgh": str(bad / "bad_type.mgh"),
        "nan_affine": str(bad / "nan_affine.nii"),
    }


def generated(output):
    """Files for the cases nibabel's corpus lacks."""
    folder = output / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240601)
    made = {}

    def add(name, image, file_name, references=True):
        path = folder / file_name
        image.to_filename(str(path))
        made[name] = describe(path, folder / f"{name}.reference", references)

    generated_shapes_and_pixels(add, rng)
    generated_stress_and_streaming(add, rng)
    made["bad"] = generated_bad_input(folder, rng)
    # Pythons without nibabel or numpy: packages that refuse to import, put first by NIBRIDGE_PYTHONPATH.
    for module in ("nibabel", "numpy"):
        package = output / f"without_{module}" / module
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(f'raise ImportError("{module} is hidden by the NiBridge test")\n')
        made[f"without_{module}"] = str(package.parent)
    return made


def main(argv=None):
    arguments = sys.argv[1:] if argv is None else argv
    output = Path(arguments[0]).resolve()
    output.mkdir(parents=True, exist_ok=True)
    manifest = {"data_path": str(data_path), "corpus": corpus(output), "generated": generated(output)}
    temporary = output / f"manifest.json.tmp-{os.getpid()}"
    temporary.write_text(json.dumps(manifest, indent=1))
    os.replace(temporary, output / "manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
