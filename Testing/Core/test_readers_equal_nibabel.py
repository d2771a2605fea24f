"""One reading path: nibridge.imread, ni2npy and an itk::ImageFileReader with NiBridge's factories equal nibabel.

For every case of the corpus (Testing/Data/nibabel_corpus.py: every image nibabel ships that it loads, and
generated NIfTI-1/2, Analyze and MGH files for each of nibabel's reading rules), each of three callers must give
nibabel's float64 values (``img.get_fdata()``) and ``img.affine``, bit for bit:

* ``ni2npy``: ``ni2npy --affine AFFINE.npy IN OUT.npy`` ($NI2NPY);
* ``imread``: ``nibridge.imread(path, values="float64")``, in nibabel's (i, j, k, ...) order
  (``array_view_from_image(image, keep_axes=True)``), and ``image.affine``;
* ``factories``: ``nibridge-read-with-factories IN VALUES.npy AFFINE.npy`` ($NIBRIDGE_READ_WITH_FACTORIES), what a
  C++ program reading with itk::ImageFileReader<itk::VectorImage<double, N>> gets once it registers NiBridge's
  factories.

Where nibabel's values are no float64 array: RGB/RGBA (``get_fdata`` refuses them) are compared as their channels
on a trailing float64 axis; complex data as ``get_fdata(dtype=complex128)`` (ni2npy is given ``--dtype
complex128``, as it refuses to drop the imaginary part by default; a VectorImage<double> holds the real and
imaginary parts as two components). 64-bit integers over their whole range do not fit float64: get_fdata rounds
them, and ni2npy is given ``--allow-lossy`` (DESIGN.md: a lossy cast needs an explicit option).

CIFTI-2 has no affine: the values are compared, ni2npy must refuse ``--affine``, and imread and the C++ reader
must give ITK's default geometry (identity in LPS) rather than invent one.

An ITK image may have trailing axes of size 1 beyond nibabel's shape where nibabel's is 1-D, or 2-D with an
affine leaving the x-y plane: those, and only those, are removed before comparing (ni2npy writes nibabel's own
shape, in Fortran order).

A 5-D NIfTI file of real numbers, (i, j, k, t, c) in nibabel, is NIfTI's layout for vectors: on ITK's side (imread,
the C++ reader) it is a vector image of c components over (i, j, k), and t where it is not 1, as ITK's own reader
and nibridge.from_nibabel make it; its values are compared with nibabel's without the t axis where it is 1.

imread holds 2 to 4 dimensions (and those vectors): other cases of 5 and more are not parametrized for it; instead
``test_imread_refuses_dimensions_it_cannot_hold`` checks that it refuses them with a ValueError naming the file.

A second test compares imread's default values (``values="scaled"``) with ``np.asarray(img.dataobj)``, dtype
included (in native byte order), and ``values="raw"`` with the stored values, for the NIfTI-1/2, Analyze and MGH
cases. Broken files (truncated, CRC-damaged, a broken x.nii.gz beside a good x.nii, ...) must make all three
callers fail with an error naming the file, and leave no output behind.

Run through CTest (``ctest -R pytest.test_readers_equal_nibabel``), which sets NI2NPY,
NIBRIDGE_READ_WITH_FACTORIES and PYTHONPATH.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Data"))
import nibabel_corpus as corpus  # noqa: E402

CASES = corpus.planned_cases()
BROKEN_CASES = corpus.planned_broken_cases()
CALLERS = ("ni2npy", "imread", "factories")
IMREAD_DIMENSIONS = range(2, 5)
ITK_DEFAULT_RAS_AFFINE = np.diag([-1.0, -1.0, 1.0, 1.0])  # identity origin, spacing and direction in LPS


class Reading(NamedTuple):
    values: np.ndarray
    affine: np.ndarray | None


class CallerFailed(Exception):
    """A caller refused a file: its message."""


# -- The callers ------------------------------------------------------------------------------


def _tool(variable: str) -> str:
    tool = os.environ.get(variable)
    if not tool:
        pytest.fail(f"{variable} is not set: run this test through CTest (ctest -R pytest.test_readers_equal_nibabel)")
    if not Path(tool).is_file():
        pytest.fail(f"{variable}={tool} does not exist: build it first")
    return tool


def _run(command) -> subprocess.CompletedProcess:
    return subprocess.run([*map(str, command)], check=False, capture_output=True, text=True, timeout=120)


def _nibridge():
    try:
        import nibridge  # noqa: PLC0415 - imported where used, so that a broken build fails these tests, not collection
    except ImportError as error:
        pytest.fail(f"nibridge does not import (PYTHONPATH={os.environ.get('PYTHONPATH')}): {error}")
    return nibridge


def read_with_ni2npy(path: Path, output: Path, *, complex_values=False, affine=True, lossy=False) -> Reading:
    values_file, affine_file = output / "values.npy", output / "affine.npy"
    options = ["--dtype", "complex128"] if complex_values else []
    if lossy:
        options.append("--allow-lossy")  # DESIGN.md: a lossy cast (int64 -> float64) needs an explicit option
    if affine:
        options += ["--affine", affine_file]
    result = _run([_tool("NI2NPY"), *options, path, values_file])
    if result.returncode != 0:
        raise CallerFailed(f"exit status {result.returncode}: {result.stderr.strip()}")
    values = np.load(values_file)
    if values.ndim > 1 and not values.flags.f_contiguous:
        pytest.fail(f"ni2npy wrote a C-ordered array of shape {values.shape}, not nibabel's Fortran order")
    return Reading(values, np.load(affine_file) if affine else None)


def read_with_imread(path: Path, output: Path, **_) -> Reading:
    del output
    nibridge = _nibridge()
    try:
        image = nibridge.imread(path, values="float64")
    except (OSError, ValueError, TypeError) as error:
        raise CallerFailed(f"{type(error).__name__}: {error}") from error
    assert isinstance(image.metadata, dict)
    return Reading(np.array(nibridge.array_view_from_image(image, keep_axes=True)), np.asarray(image.affine))


def read_with_factories(path: Path, output: Path, **_) -> Reading:
    values_file, affine_file = output / "values.npy", output / "affine.npy"
    result = _run([_tool("NIBRIDGE_READ_WITH_FACTORIES"), path, values_file, affine_file])
    if result.returncode != 0:
        raise CallerFailed(f"exit status {result.returncode}: {result.stderr.strip()}")
    return Reading(np.load(values_file), np.load(affine_file))


READERS = {"ni2npy": read_with_ni2npy, "imread": read_with_imread, "factories": read_with_factories}


# -- nibabel, the reference -------------------------------------------------------------------


class Reference(NamedTuple):
    values: np.ndarray  # float64, or complex128 for complex data; channels of RGB(A) on a trailing axis
    affine: np.ndarray | None
    dataobj: np.ndarray  # np.asarray(img.dataobj)
    stored: np.ndarray | None  # the unscaled stored values, where the proxy has them
    component_axes: int  # trailing axes beyond nibabel's shape in `values` (RGB channels)


def _channels(array: np.ndarray) -> np.ndarray:
    return np.stack([array[name] for name in array.dtype.names], axis=-1)


@functools.cache
def nibabel_reference(path: Path) -> Reference:
    with corpus.quiet_nibabel():
        image = corpus.load_with_nibabel(path)
        dataobj = np.asarray(image.dataobj)
        stored = image.dataobj.get_unscaled() if hasattr(image.dataobj, "get_unscaled") else None
        if dataobj.dtype.names:
            values, component_axes = _channels(dataobj).astype(np.float64), 1
        elif dataobj.dtype.kind == "c":
            values, component_axes = image.get_fdata(dtype=np.complex128), 0
        else:
            values, component_axes = image.get_fdata(), 0
    affine = getattr(image, "affine", None)
    return Reference(values, None if affine is None else np.asarray(affine), dataobj, stored, component_axes)


# -- Comparisons ------------------------------------------------------------------------------


def _leaves_xy_plane(affine: np.ndarray | None) -> bool:
    """Whether the voxels (i, j, 0) of a 2-D image map to points off z = 0, where a 2-D ITK image cannot be."""
    return affine is None or bool(np.any(affine[2, [0, 1, 3]] != 0))


def _without_extra_unit_axes(actual: np.ndarray, case, reference: Reference, component_axes: int) -> np.ndarray:
    """`actual` without the trailing size-1 axes an ITK image may add to a 1-D image, or a 2-D one off the x-y
    plane, beyond nibabel's shape (before the component axes)."""
    may_add = case.ndim == 1 or (case.ndim == 2 and _leaves_xy_plane(reference.affine))
    if not may_add:
        return actual
    spatial = list(actual.shape[: actual.ndim - component_axes])
    components = list(actual.shape[actual.ndim - component_axes :])
    while len(spatial) > case.ndim and spatial[-1] == 1:
        spatial.pop()
    return actual.reshape(spatial + components)


def _difference(actual: np.ndarray, expected: np.ndarray) -> str:
    differs = ~((actual == expected) | (np.isnan(actual) & np.isnan(expected)))
    count = int(np.count_nonzero(differs))
    first = tuple(int(i) for i in np.argwhere(differs)[0])
    with np.errstate(invalid="ignore", over="ignore"):
        gaps = np.abs(actual.astype(np.complex128) - expected.astype(np.complex128))
    finite_gaps = gaps[differs & np.isfinite(gaps)]
    largest = f"{finite_gaps.max():.17g}" if finite_gaps.size else "not finite"
    return (
        f"{count} of {expected.size} values differ, the largest by {largest}; "
        f"at {first}: {actual[first]!r} where nibabel has {expected[first]!r}"
    )


def assert_values_equal(actual, expected, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, nibabel's is {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, nibabel's is {expected.dtype}"
    if not np.array_equal(actual, expected, equal_nan=True):
        pytest.fail(f"{what}: {_difference(actual, expected)}")


def _matrix(affine: np.ndarray) -> str:
    return np.array2string(affine, precision=17, floatmode="maxprec", max_line_width=200)


def assert_affine_equal(actual, expected, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: affine shape {actual.shape}, nibabel's {expected.shape}"
    assert actual.dtype == np.float64, f"{what}: affine dtype {actual.dtype}"
    if not np.array_equal(actual, expected):
        elements = "; ".join(
            f"[{row}, {column}] {actual[row, column]!r} where nibabel has {expected[row, column]!r}"
            for row, column in np.argwhere(actual != expected)
        )
        pytest.fail(
            f"{what}: the affine differs at {elements}\nreader:\n{_matrix(actual)}\nnibabel:\n{_matrix(expected)}"
        )


# -- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def written_corpus(tmp_path_factory) -> dict:
    return {case.name: case for case in corpus.write_corpus(tmp_path_factory.mktemp("corpus"))}


@pytest.fixture(scope="session")
def broken_corpus(tmp_path_factory) -> dict:
    return corpus.write_broken_corpus(tmp_path_factory.mktemp("broken"))


def _is_nifti_vectors(case) -> bool:
    """A 5-D NIfTI or Analyze file, which ITK's side reads as vectors (the corpus has no complex or RGB one)."""
    return case.ndim == 5 and case.family in ("nifti1", "nifti2", "analyze")


def _as_vector_image(values: np.ndarray, case, reference: Reference) -> np.ndarray:
    """nibabel's values of a 5-D NIfTI file as ITK's side holds them: without the t axis where it is 1."""
    if not _is_nifti_vectors(case):
        return values
    assert reference.dataobj.dtype.kind in "biuf", f"{case.name}: the corpus has no 5-D vectors of this dtype"
    return values.reshape(values.shape[:3] + values.shape[4:]) if values.shape[3] == 1 else values


def _imread_holds(case) -> bool:
    # a 1-D file is a 3-D ITK image (trailing 1s)
    return case.ndim in IMREAD_DIMENSIONS or case.ndim == 1 or _is_nifti_vectors(case)


def _caller_params():
    params = []
    for case in CASES:
        for caller in CALLERS:
            if caller == "imread" and not _imread_holds(case):
                continue  # test_imread_refuses_dimensions_it_cannot_hold
            params.append(pytest.param(case, caller, id=f"{caller}:{case.name}"))
    return params


# -- Tests ------------------------------------------------------------------------------------


def test_the_corpus_covers_every_format_nibabel_ships():
    names = {case.name.removeprefix("shipped-") for case in CASES if case.name.startswith("shipped-")}
    expected = corpus.ONE_FILE_OF_EACH_FORMAT
    assert expected <= names, expected - names
    families = {case.family for case in CASES}
    assert families == {"nifti1", "nifti2", "analyze", "mgh", "nibabel"}


@pytest.mark.parametrize(("case", "caller"), _caller_params())
def test_reader_equals_nibabel(case, caller, written_corpus, tmp_path):
    written = written_corpus[case.name]
    reference = nibabel_reference(written.path)
    complex_values = reference.values.dtype.kind == "c"
    expected = reference.values
    component_axes = reference.component_axes
    if caller == "factories" and complex_values:
        # itk::VectorImage<double> holds a complex voxel as two components, real and imaginary.
        expected = np.stack([expected.real, expected.imag], axis=-1)
        component_axes = 1
    if caller != "ni2npy":
        expected = _as_vector_image(expected, case, reference)
    # 64-bit integers over their whole range do not fit float64; get_fdata rounds them, ni2npy wants --allow-lossy.
    lossy = reference.dataobj.dtype.kind in "iu" and reference.dataobj.dtype.itemsize == 8
    try:
        reading = READERS[caller](
            written.path, tmp_path, complex_values=complex_values, affine=case.has_affine, lossy=lossy
        )
    except CallerFailed as failure:
        pytest.fail(f"{caller} failed on {written.path} ({case.exercises}): {failure}")

    what = f"{caller} on {case.name} ({case.exercises})"
    values = reading.values
    if caller != "ni2npy":  # ni2npy writes nibabel's own shape
        values = _without_extra_unit_axes(values, case, reference, component_axes)
    assert_values_equal(values, expected, what)

    if case.has_affine:
        assert_affine_equal(reading.affine, reference.affine, what)
    elif caller == "ni2npy":
        refused = _run([_tool("NI2NPY"), "--affine", tmp_path / "refused-affine.npy", written.path, tmp_path / "x.npy"])
        assert refused.returncode == 1, f"{what}: ni2npy --affine wrote an affine nibabel does not have"
        assert not (tmp_path / "refused-affine.npy").exists()
    else:
        assert_affine_equal(reading.affine, ITK_DEFAULT_RAS_AFFINE, f"{what} (nibabel has no affine)")


@pytest.mark.parametrize(
    "case", [case for case in CASES if not _imread_holds(case)], ids=lambda case: f"imread:{case.name}"
)
def test_imread_refuses_dimensions_it_cannot_hold(case, written_corpus):
    path = written_corpus[case.name].path
    with pytest.raises(ValueError, match="dimension") as raised:
        _nibridge().imread(path, values="float64")
    assert str(path) in str(raised.value)


NATIVE_CASES = [case for case in CASES if case.family in corpus.NATIVE_FAMILIES and _imread_holds(case)]


def _native_dtype(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("=") if dtype.byteorder not in "=|" else dtype


def _as_nibridge_array(values: np.ndarray) -> tuple[np.ndarray, int]:
    """nibabel's array as nibridge gives it: RGB(A) channels on a trailing axis, native byte order."""
    if values.dtype.names:
        return _channels(values).astype(np.uint8), 1
    return values.astype(_native_dtype(values.dtype)), 0


@pytest.mark.parametrize("values_mode", ["scaled", "raw"])
@pytest.mark.parametrize("case", NATIVE_CASES, ids=lambda case: case.name)
def test_imread_default_values_equal_nibabels_dataobj(case, values_mode, written_corpus):
    """values="scaled" (the default) is np.asarray(img.dataobj), dtype included; values="raw" the stored values."""
    written = written_corpus[case.name]
    reference = nibabel_reference(written.path)
    nibabel_values = reference.dataobj if values_mode == "scaled" else reference.stored
    if nibabel_values is None:
        pytest.fail(f"{case.name}: nibabel's proxy has no unscaled values to compare with")
    expected, component_axes = _as_nibridge_array(nibabel_values)
    expected = _as_vector_image(expected, case, reference)
    nibridge = _nibridge()
    try:
        image = (
            nibridge.imread(written.path) if values_mode == "scaled" else nibridge.imread(written.path, values="raw")
        )
    except (OSError, ValueError, TypeError) as error:
        pytest.fail(f"imread(values={values_mode!r}) failed on {written.path}: {type(error).__name__}: {error}")
    actual = np.array(nibridge.array_view_from_image(image, keep_axes=True))
    actual = _without_extra_unit_axes(actual, case, reference, component_axes)
    assert_values_equal(actual, expected, f"imread(values={values_mode!r}) on {case.name} ({case.exercises})")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("broken", BROKEN_CASES, ids=lambda broken: broken.name)
def test_broken_files_are_errors_naming_the_file(broken, caller, broken_corpus, tmp_path):
    path = broken_corpus[broken.name]
    what = f"{caller} on {broken.name} ({broken.exercises})"
    if caller == "imread":
        nibridge = _nibridge()
        try:
            image = nibridge.imread(path, values="float64")
        except OSError as error:
            assert str(path) in str(error), f"{what}: the error does not name the file: {error}"
            return
        except Exception as error:  # noqa: BLE001 - any other exception is the failure to report
            pytest.fail(f"{what}: {type(error).__name__} instead of OSError: {error}")
        pytest.fail(f"{what}: read an image of shape {image.shape} instead of failing")
    output = tmp_path / "output"
    output.mkdir()
    if caller == "ni2npy":
        command = [_tool("NI2NPY"), "--affine", output / "affine.npy", path, output / "values.npy"]
    else:
        command = [_tool("NIBRIDGE_READ_WITH_FACTORIES"), path, output / "values.npy", output / "affine.npy"]
    result = _run(command)
    # ni2npy's contract: a missing input is a usage error (exit 2), any other failure exit 1.
    expected = 2 if caller == "ni2npy" and not path.exists() else 1
    assert result.returncode == expected, f"{what}: exit status {result.returncode}, stderr {result.stderr!r}"
    message = result.stderr.strip()
    assert message.count("\n") == 0, f"{what}: not one line: {result.stderr!r}"
    assert str(path) in message, f"{what}: the error does not name the file: {message!r}"
    assert sorted(entry.name for entry in output.iterdir()) == [], f"{what}: left output behind"
