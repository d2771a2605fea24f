"""The reader corpus: every image nibabel ships, and generated files for each of nibabel's reading rules.

Nothing here is committed as a binary. The plan (`planned_cases`, `planned_broken_cases`) names every case,
says what it exercises and holds what tests need to know before any file exists (the format family and
nibabel's number of dimensions); `write_corpus` and `write_broken_corpus` write the files with nibabel at
test time, each case in a directory of its own, and return the cases with their paths.

Where nibabel will not write a case itself (scaling it recomputes on save, codes it refuses, fields it
fixes), the header bytes nibabel wrote are edited afterwards with nibabel's own header classes (checks
off), and the result is checked by loading it back with nibabel. Broken cases are files every reader
must refuse with an error naming the file.

Families: "nifti1", "nifti2", "analyze" and "mgh" are the formats NiBridge reads natively with nibabel's
rules; "nibabel" is every other format nibabel reads (MINC, PAR/REC, AFNI, ECAT, CIFTI-2), read through
nibabel itself inside NiBridge.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gzip
import io
import logging
import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.testing import data_path

NATIVE_FAMILIES = ("nifti1", "nifti2", "analyze", "mgh")

RGB24 = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])
RGBA32 = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1"), ("A", "u1")])
# Every dtype nibabel writes for NIfTI (NIfTI has no float16; nibabel maps codes 1536 and 2048, float128 and
# complex256, to no NumPy type and writes neither).
NIFTI_DTYPES = (
    "uint8",
    "int8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
    RGB24,
    RGBA32,
)
NIFTI_FORMS = (".nii", ".nii.gz", ".hdr", ".hdr.gz")  # single file, gzipped, pair, gzipped pair
MGH_DTYPES = ("uint8", "int16", "int32", "float32", "uint16")


@dataclasses.dataclass(frozen=True)
class Case:
    """One file every reader must read as nibabel does."""

    name: str
    exercises: str
    family: str
    ndim: int  # len(nibabel's shape): components of RGB dtypes not counted
    write: Callable[[Path], Path] = dataclasses.field(repr=False, compare=False)
    has_affine: bool = True  # False where nibabel has none (CIFTI-2)


@dataclasses.dataclass(frozen=True)
class BrokenCase:
    """One file every reader must refuse."""

    name: str
    exercises: str
    write: Callable[[Path], Path] = dataclasses.field(repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class WrittenCase:
    """A case and the path to read, once written."""

    name: str
    path: Path
    exercises: str
    family: str
    ndim: int
    has_affine: bool = True


def load_with_nibabel(path):
    """What a nibabel user does: nibabel.load, or nibabel.ecat.load, which nibabel.load does not dispatch to."""
    return nib.ecat.load(path) if str(path).endswith(".v") else nib.load(path)


def dtype_name(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype == RGB24:
        return "rgb24"
    if dtype == RGBA32:
        return "rgba32"
    return dtype.name


# -- Values and affines -----------------------------------------------------------------------


def sample_values(shape, dtype, seed=0) -> np.ndarray:
    """Random values over the dtype's whole range, its extremes and (floats) NaN, infinities, -0 and
    subnormals in the first voxels."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    if dtype.names:
        flat = np.empty(count, dtype)
        for name in dtype.names:
            flat[name] = rng.integers(0, 256, count)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, count, dtype=dtype, endpoint=True)
        flat[:2] = [info.min, info.max][:count]
    elif dtype.kind == "f":
        info = np.finfo(dtype)
        flat = (rng.standard_normal(count) * 1000.0).astype(dtype)
        specials = [np.nan, np.inf, -np.inf, -0.0, info.max, info.min, info.tiny, info.smallest_subnormal]
        flat[: len(specials)] = specials[:count]
    elif dtype.kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        flat = sample_values((count,), part, seed) + 1j * sample_values((count,), part, seed + 1)[::-1]
        flat = flat.astype(dtype)
    else:
        raise ValueError(f"no sample values for {dtype}")
    return flat.reshape(shape, order="F")


def integer_values(shape, dtype, seed=0) -> np.ndarray:
    """Random stored values of a scaled file: the whole range of an integer dtype, moderate floats."""
    if np.dtype(dtype).kind == "f":
        return (np.random.default_rng(seed).standard_normal(shape) * 100.0).astype(dtype)
    return sample_values(shape, dtype, seed)


def rotation(rng) -> np.ndarray:
    """A uniformly random rotation (a unit quaternion's matrix)."""
    w, x, y, z = (quaternion := rng.standard_normal(4)) / np.linalg.norm(quaternion)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def oblique_affine(seed, flip=False, far=5000.0) -> np.ndarray:
    """A random rotation with anisotropic zooms (0.3 to 4 mm), an origin up to `far` mm away, and an
    improper rotation (a flipped axis) when `flip`."""
    rng = np.random.default_rng(seed)
    affine = np.eye(4)
    affine[:3, :3] = rotation(rng) @ np.diag(rng.uniform(0.3, 4.0, 3))
    if flip:
        affine[:3, 2] *= -1.0
    affine[:3, 3] = rng.uniform(-far, far, 3)
    return affine


OBLIQUE = oblique_affine(1000, far=150.0)
OTHER_OBLIQUE = oblique_affine(1001, flip=True, far=150.0)
SHEARS = (
    np.array([[1.5, 0.3, 0.1, -20.0], [0.2, 2.0, 0.4, 10.0], [-0.1, 0.5, 2.5, 5.0], [0.0, 0.0, 0.0, 1.0]]),
    np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]),
    OBLIQUE @ np.array([[1.0, 0.0, 0.25, 0.0], [0.0, 1.0, -0.125, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]),
)


def _rotation_about_z(degrees, zooms, origin) -> np.ndarray:
    angle = np.deg2rad(degrees)
    affine = np.eye(4)
    affine[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    affine[:3, :3] = affine[:3, :3] @ np.diag(zooms)
    affine[:3, 3] = origin
    return affine


# -- Bytes ------------------------------------------------------------------------------------


def _is_gzipped(path: Path) -> bool:
    return path.name.endswith((".gz", ".mgz"))


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if _is_gzipped(path) else raw


def _write_bytes(path: Path, raw: bytes) -> None:
    path.write_bytes(gzip.compress(raw, compresslevel=6, mtime=0) if _is_gzipped(path) else raw)


def _header_file(path: Path) -> Path:
    """The file a header lives in: a pair's .hdr(.gz) for its .img(.gz)."""
    for image_suffix, header_suffix in ((".img.gz", ".hdr.gz"), (".img", ".hdr")):
        if path.name.endswith(image_suffix):
            return path.with_name(path.name[: -len(image_suffix)] + header_suffix)
    return path


def edit_header(path: Path, header_class, edits) -> None:
    """Set header fields in the bytes stored in `path` (nibabel's checks and fixes off), in the header's own
    byte order. `edits` are (field, index or None, value)."""
    path = _header_file(path)
    raw = _read_bytes(path)
    header = header_class.from_fileobj(io.BytesIO(raw), check=False)
    for field, index, value in edits:
        if index is None:
            header[field] = value
        else:
            header[field][index] = value
    block = header.binaryblock
    _write_bytes(path, block + raw[len(block) :])


def edit_bytes(path: Path, offset: int, packed: bytes) -> None:
    """Overwrite bytes of the (decompressed) file at `offset`."""
    raw = _read_bytes(path)
    _write_bytes(path, raw[:offset] + packed + raw[offset + len(packed) :])


# -- NIfTI-1 and NIfTI-2 ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NiftiFile:
    """How one NIfTI-1/2 file (single, gzipped, pair, gzipped pair) is written with nibabel."""

    image_class: type
    filename: str  # the suffix picks the form: .nii, .nii.gz, .hdr, .hdr.gz
    shape: tuple[int, ...]
    dtype: object
    affine: np.ndarray | None = None  # given to the image: sform and qform from it, both code 2 (aligned)
    sform: tuple[np.ndarray | None, int] | None = None  # set_sform(matrix, code) after construction
    qform: tuple[np.ndarray | None, int] | None = None  # set_qform(matrix, code) after construction
    endianness: str = "<"
    raw_edits: tuple[tuple[str, int | None, object], ...] = ()  # set in the bytes after saving
    values: str = "sample"  # "sample": the dtype's range and specials; "stored": moderate values for scaling
    seed: int = 0
    extension: bytes | None = None  # a NIfTI comment extension: vox_offset beyond 352
    read_as: str | None = None  # the name to read when not `filename` (a pair through its .img)
    nibabel_scaling: np.dtype | None = None  # give float64 values and let nibabel pick scl_slope/inter for this

    def write(self, directory: Path) -> Path:
        if self.nibabel_scaling is not None:
            values = np.random.default_rng(self.seed).normal(100.0, 3e4, self.shape)
        elif self.values == "stored":
            values = integer_values(self.shape, self.dtype, self.seed)
        else:
            values = sample_values(self.shape, self.dtype, self.seed)
        header = self.image_class.header_class(endianness=self.endianness)
        header.set_data_dtype(values.dtype if self.nibabel_scaling is None else self.nibabel_scaling)
        if self.extension is not None:
            header.extensions.append(nib.nifti1.Nifti1Extension("comment", self.extension))
        image = self.image_class(values, self.affine, header=header)
        if self.sform is not None:
            image.set_sform(self.sform[0], code=self.sform[1])
        if self.qform is not None:
            image.set_qform(self.qform[0], code=self.qform[1])
        path = directory / self.filename
        nib.save(image, path)
        if self.raw_edits:
            edit_header(path, self.image_class.header_class, self.raw_edits)
        read = directory / (self.read_as or self.filename)
        loaded = nib.load(read)
        expected_dtype = np.dtype(header.get_data_dtype()).newbyteorder(self.endianness)
        if loaded.get_data_dtype() != expected_dtype or loaded.header.endianness != self.endianness:
            raise RuntimeError(f"{read}: written as {loaded.get_data_dtype()}, meant {expected_dtype}")
        return read


def _nifti_case(name, exercises, spec: NiftiFile, family="nifti1") -> Case:
    return Case(name, exercises, family, len(spec.shape), spec.write)


def _pair_class(image_class):
    return {nib.Nifti1Image: nib.Nifti1Pair, nib.Nifti2Image: nib.Nifti2Pair}[image_class]


def _form(image_class, suffix):
    """The image class of a form: single-file classes for .nii(.gz), pair classes for .hdr(.gz)."""
    return image_class if suffix.startswith(".nii") else _pair_class(image_class)


def _nifti1_dtype_cases() -> list[Case]:
    cases = []
    for dtype in NIFTI_DTYPES:
        for suffix in NIFTI_FORMS:
            name = f"nifti1-{dtype_name(dtype)}{suffix}"
            spec = NiftiFile(_form(nib.Nifti1Image, suffix), name, (5, 6, 7), dtype, affine=OBLIQUE, seed=len(cases))
            cases.append(_nifti_case(name, f"{dtype_name(dtype)} values over the whole range, {suffix}", spec))
    for dtype in NIFTI_DTYPES[:12]:
        name = f"nifti1-{dtype_name(dtype)}-big-endian.nii"
        spec = NiftiFile(nib.Nifti1Image, name, (5, 6, 7), dtype, affine=OBLIQUE, endianness=">", seed=len(cases))
        cases.append(_nifti_case(name, f"big-endian {dtype_name(dtype)}", spec))
    for dtype, suffix in (("int16", ".nii.gz"), ("float32", ".nii.gz"), ("float64", ".hdr"), ("int32", ".hdr.gz")):
        name = f"nifti1-{dtype}-big-endian{suffix}"
        spec = NiftiFile(
            _form(nib.Nifti1Image, suffix), name, (5, 6, 7), dtype, affine=OBLIQUE, endianness=">", seed=len(cases)
        )
        cases.append(_nifti_case(name, f"big-endian {dtype}, {suffix}", spec))
    for suffix in (".img", ".img.gz"):
        header_suffix = suffix.replace("img", "hdr")
        name = f"nifti1-int16-read-through{suffix}"
        spec = NiftiFile(
            nib.Nifti1Pair, name.replace(suffix, header_suffix), (5, 6, 7), "int16", affine=OBLIQUE, read_as=name
        )
        cases.append(_nifti_case(name, f"a pair opened by its image file ({suffix})", spec))
    name = "nifti1-int16-large.nii.gz"
    spec = NiftiFile(nib.Nifti1Image, name, (64, 64, 40), "int16", affine=OBLIQUE, seed=7)
    cases.append(_nifti_case(name, "a gzip stream of many deflate blocks", spec))
    name = "nifti1-float32-large-big-endian.nii.gz"
    spec = NiftiFile(nib.Nifti1Image, name, (48, 40, 36), "float32", affine=OBLIQUE, endianness=">", seed=8)
    cases.append(_nifti_case(name, "a big-endian gzip stream of many deflate blocks", spec))
    for name, shape, exercises, rewrite in (
        ("nifti1-int16-two-members.nii.gz", (20, 18, 16), "a gzip stream of two members (cat a.gz b.gz)", _two_members),
        ("nifti1-int16-two-small-members.nii.gz", (4, 4, 4), "a small file of two gzip members", _two_members),
        ("nifti1-int16-zero-padded.nii.gz", (20, 18, 16), "a gzip stream padded with zero bytes", _padded),
        ("nifti1-int16-small-zero-padded.nii.gz", (4, 4, 4), "a small file padded with zero bytes", _padded),
    ):
        spec = NiftiFile(nib.Nifti1Image, name, shape, "int16", affine=OBLIQUE, seed=len(cases))
        cases.append(Case(name, exercises, "nifti1", 3, functools.partial(_rewritten_gzip, spec, rewrite)))
    return cases


def _two_members(raw: bytes) -> bytes:
    """The decompressed bytes as two gzip members, split inside the voxels."""
    middle = len(raw) // 2
    return gzip.compress(raw[:middle], mtime=0) + gzip.compress(raw[middle:], mtime=0)


def _padded(raw: bytes) -> bytes:
    """One gzip member and 1000 zero bytes after it, which Python's gzip module (and so nibabel) skips."""
    return gzip.compress(raw, mtime=0) + bytes(1000)


def _rewritten_gzip(spec: NiftiFile, rewrite: Callable[[bytes], bytes], directory: Path) -> Path:
    """`spec`'s .nii.gz, its gzip stream rewritten; nibabel must still read it (it is a good file)."""
    path = spec.write(directory)
    path.write_bytes(rewrite(gzip.decompress(path.read_bytes())))
    nib.load(path).get_fdata()
    return path


def _with_broken_twin(spec: NiftiFile, twin: str, directory: Path) -> Path:
    """`spec`'s file, and beside it a truncated file of the same stem named `twin` (different values)."""
    path = spec.write(directory)
    twin_class = nib.Nifti1Image if twin.endswith((".nii", ".nii.gz")) else nib.Nifti1Pair
    twin_spec = dataclasses.replace(spec, filename=twin, image_class=twin_class, seed=spec.seed + 1)
    twin_path = twin_spec.write(directory)
    twin_path.write_bytes(twin_path.read_bytes()[:-500])
    return path


def _sibling_cases() -> list[Case]:
    """Good files beside a broken twin of the same stem: the named file is read, never the twin."""
    cases = []
    for image_class, filename, twin in (
        (nib.Nifti1Image, "nifti1-beside-broken-twin.nii", "nifti1-beside-broken-twin.nii.gz"),
        (nib.Nifti1Image, "nifti1-beside-broken-twin.nii.gz", "nifti1-beside-broken-twin.nii"),
        (nib.Nifti1Pair, "nifti1-beside-broken-twin.hdr", "nifti1-beside-broken-twin.img.gz"),
    ):
        spec = NiftiFile(image_class, filename, (8, 9, 10), "int16", affine=OBLIQUE)
        write = functools.partial(_with_broken_twin, spec, twin)
        cases.append(Case(filename, f"a good {filename} beside a truncated {twin}", "nifti1", 3, write))
    return cases


# slope, intercept, what it probes
SCALINGS = (
    (0.37, -1.5, "a scanner's slope and intercept"),
    (2.0, 0.0, "slope only"),
    (1.2454, -3.5, "Philips-like slope and offset"),
    (1e-10, 0.0, "a tiny slope"),
    (1e-10, 3.25, "a tiny slope with an intercept"),
    (1.0, 10.0, "intercept only (slope 1)"),
    (-0.5, 100.0, "a negative slope"),
)


def _scaling_name(slope, intercept) -> str:
    return f"slope{slope:g}-inter{intercept:g}"


def _scaled_nifti_cases(image_class, family) -> list[Case]:
    cases = []
    prefix = family
    for dtype in ("int16", "uint8", "int32", "float32"):
        for slope, intercept, probe in SCALINGS:
            name = f"{prefix}-scaled-{dtype}-{_scaling_name(slope, intercept)}.nii"
            edits = (("scl_slope", None, slope), ("scl_inter", None, intercept))
            spec = NiftiFile(
                image_class, name, (6, 7, 8), dtype, affine=OBLIQUE, raw_edits=edits, values="stored", seed=len(cases)
            )
            cases.append(_nifti_case(name, f"{dtype} scaled: {probe}", spec, family))
    for suffix, endianness in ((".nii.gz", "<"), (".nii", ">"), (".nii.gz", ">"), (".hdr", ">")):
        byte_order = "-big-endian" if endianness == ">" else ""
        name = f"{prefix}-scaled-int16-slope0.37-inter-1.5{byte_order}{suffix}"
        spec = NiftiFile(
            _form(image_class, suffix),
            name,
            (6, 7, 8),
            "int16",
            affine=OBLIQUE,
            endianness=endianness,
            raw_edits=(("scl_slope", None, 0.37), ("scl_inter", None, -1.5)),
            values="stored",
            seed=len(cases),
        )
        cases.append(_nifti_case(name, f"scaled int16, {suffix}, byte order {endianness}", spec, family))
    for slope, probe in ((0.0, "slope 0: nibabel leaves the values unscaled"), (np.nan, "slope NaN: unscaled")):
        name = f"{prefix}-scaled-int16-slope{slope:g}-inter5.nii"
        edits = (("scl_slope", None, slope), ("scl_inter", None, 5.0))
        spec = NiftiFile(image_class, name, (6, 7, 8), "int16", affine=OBLIQUE, raw_edits=edits, values="stored")
        cases.append(_nifti_case(name, probe, spec, family))
    name = f"{prefix}-scaled-float32-specials-slope2-inter1.nii"
    edits = (("scl_slope", None, 2.0), ("scl_inter", None, 1.0))
    spec = NiftiFile(image_class, name, (6, 7, 8), "float32", affine=OBLIQUE, raw_edits=edits)
    cases.append(_nifti_case(name, "scaled float32 with NaN, infinities, subnormals", spec, family))
    for dtype in ("int8", "uint16", "uint32", "int64", "uint64", "float64", "complex64"):
        name = f"{prefix}-scaled-{dtype}-slope0.37-inter-1.5.nii"
        edits = (("scl_slope", None, 0.37), ("scl_inter", None, -1.5))
        spec = NiftiFile(image_class, name, (6, 7, 8), dtype, affine=OBLIQUE, raw_edits=edits, values="stored")
        cases.append(_nifti_case(name, f"{dtype} scaled (nibabel's float arithmetic for this dtype)", spec, family))
    name = f"{prefix}-nibabel-scaled-int16.nii"
    spec = NiftiFile(image_class, name, (10, 11, 12), "float64", affine=OBLIQUE, nibabel_scaling=np.dtype("int16"))
    cases.append(_nifti_case(name, "float64 data stored as int16 with nibabel's own slope and intercept", spec, family))
    return cases


def _nifti1_geometry_cases() -> list[Case]:
    cases = []

    def add(name, exercises, shape=(3, 4, 5), dtype="float32", **fields):
        spec = NiftiFile(nib.Nifti1Image, name, shape, dtype, seed=len(cases), **fields)
        cases.append(_nifti_case(name, exercises, spec))

    for index in range(30):
        add(
            f"nifti1-oblique-sform-{index:02d}.nii",
            "a random rotation, anisotropic zooms and a far origin in the sform (bit exactness)",
            dtype=("float32", "int16", "uint8")[index % 3],
            affine=oblique_affine(index, flip=index % 4 == 3),
        )
    for index in range(10):
        affine = oblique_affine(100 + index, flip=index % 2 == 1)
        add(
            f"nifti1-oblique-qform-{index:02d}.nii",
            "a random rotation in the qform alone (nibabel's quaternion arithmetic)"
            + (", qfac -1" if index % 2 else ""),
            sform=(None, 0),
            qform=(affine, 1),
        )
    for index, shear in enumerate(SHEARS):
        add(f"nifti1-sheared-sform-{index}.nii", "a sheared sform (no qform can hold it)", affine=shear)
    for sform_code, qform_code in ((2, 1), (1, 2), (4, 1), (3, 0), (1, 4), (0, 1), (0, 2)):
        add(
            f"nifti1-sform{sform_code}-qform{qform_code}.nii",
            f"sform code {sform_code} and qform code {qform_code} disagreeing",
            sform=(OBLIQUE, sform_code),
            qform=(OTHER_OBLIQUE, qform_code),
        )
    flipped = OBLIQUE @ np.diag([1.0, 1.0, -1.0, 1.0])
    add("nifti1-qform-only-qfac-1.nii", "qform alone with qfac (pixdim[0]) -1", sform=(None, 0), qform=(flipped, 1))
    add(
        "nifti1-qform-qfac-0.nii",
        "qform alone with qfac 0 (nibabel takes it as 1)",
        sform=(None, 0),
        qform=(OBLIQUE, 1),
        raw_edits=(("pixdim", 0, 0.0),),
    )
    add(
        "nifti1-qform-w-0.nii",
        "quaternion b, c, d with b^2+c^2+d^2 just above 1 in float64 (nibabel sets a = 0)",
        sform=(None, 0),
        qform=(OBLIQUE, 1),
        raw_edits=(("quatern_b", None, 0.8), ("quatern_c", None, 0.6), ("quatern_d", None, 0.0)),
    )
    add(
        "nifti1-no-codes.nii",
        "sform and qform codes 0 over filled srow and quaternion fields: nibabel's fallback",
        affine=OBLIQUE,
        raw_edits=(("sform_code", None, 0), ("qform_code", None, 0)),
    )
    add(
        "nifti1-no-codes-zooms.nii",
        "no codes, zooms 2, 3, 4: nibabel's centred fallback",
        sform=(None, 0),
        qform=(np.diag([2.0, 3.0, 4.0, 1.0]), 0),
    )
    add(
        "nifti1-sform-code-7.nii",
        "an invalid sform_code 7 (nibabel sets it to 0 and uses the qform)",
        sform=(OBLIQUE, 2),
        qform=(OTHER_OBLIQUE, 1),
        raw_edits=(("sform_code", None, 7),),
    )
    add(
        "nifti1-qform-code-7.nii",
        "an invalid qform_code 7 and no sform (nibabel falls back)",
        sform=(None, 0),
        qform=(OTHER_OBLIQUE, 1),
        raw_edits=(("qform_code", None, 7),),
    )
    for code_kind, codes in (("no-codes", (("sform_code", None, 0), ("qform_code", None, 0))), ("qform", ())):
        forms = {"sform": (None, 0), "qform": (OBLIQUE, 1)}
        add(
            f"nifti1-zero-pixdim-{code_kind}.nii",
            f"pixdim[2] 0 ({code_kind}: nibabel takes it as 1)",
            raw_edits=(*codes, ("pixdim", 2, 0.0)),
            **forms,
        )
        add(
            f"nifti1-negative-pixdim-{code_kind}.nii",
            f"pixdim[1] and [3] negative ({code_kind}: nibabel takes their absolute values)",
            raw_edits=(*codes, ("pixdim", 1, -1.5), ("pixdim", 3, -2.5)),
            **forms,
        )
    add(
        "nifti1-negative-pixdim-sform.nii",
        "negative pixdim beside a valid sform (the sform wins)",
        affine=OBLIQUE,
        raw_edits=(("pixdim", 1, -1.5),),
    )
    add(
        "nifti1-2d-in-plane.nii",
        "2-D, rotated in the x-y plane (z = 0)",
        shape=(6, 7),
        affine=_rotation_about_z(30.0, (0.8, 1.7, 3.0), (-40.0, 25.0, 0.0)),
    )
    add(
        "nifti1-2d-in-plane.nii.gz",
        "2-D int16 in the x-y plane, no rotation",
        shape=(6, 7),
        dtype="int16",
        affine=_rotation_about_z(0.0, (0.8, 1.7, 3.0), (-40.0, 25.0, 0.0)),
    )
    add(
        "nifti1-2d-in-plane-unit-z.nii",
        "2-D, rotated in the x-y plane (z = 0), pixdim[3] 1",
        shape=(6, 7),
        affine=_rotation_about_z(30.0, (0.8, 1.7, 1.0), (-40.0, 25.0, 0.0)),
    )
    add(
        "nifti1-2d-axial-offset.nii",
        "2-D, in-plane rotation at z = -60 (off the x-y plane)",
        shape=(6, 7),
        affine=_rotation_about_z(-20.0, (1.0, 1.0, 2.0), (10.0, 20.0, -60.0)),
    )
    coronal = np.array([[1.5, 0, 0, -30.0], [0, 0, 4.0, 12.0], [0, 2.0, 0, -45.0], [0, 0, 0, 1.0]])
    add("nifti1-2d-coronal.nii", "2-D coronal slice (the j axis is z)", shape=(6, 7), affine=coronal)
    add("nifti1-2d-oblique.nii", "2-D with a random oblique affine", shape=(6, 7), affine=oblique_affine(200))
    add("nifti1-2d-rgb24-coronal.nii", "2-D RGB coronal slice", shape=(6, 7), dtype=RGB24, affine=coronal)
    add("nifti1-1d.nii", "1-D", shape=(7,), affine=np.diag([2.0, 1.0, 1.0, 1.0]))
    add("nifti1-1d-oblique.nii.gz", "1-D int16 with an oblique affine", shape=(9,), dtype="int16", affine=OBLIQUE)
    add("nifti1-3d-last-size-1.nii", "3-D whose last axis has size 1", shape=(4, 5, 1), affine=OBLIQUE)
    add(
        "nifti1-4d-tr.nii.gz",
        "4-D with a TR of 2.2 s (pixdim[4], xyzt_units mm and s)",
        shape=(4, 5, 6, 3),
        dtype="int16",
        affine=OBLIQUE,
        raw_edits=(("pixdim", 4, 2.2), ("xyzt_units", None, 2 | 8)),
    )
    add(
        "nifti1-4d-tr-ms.nii",
        "4-D with a TR of 2200 ms (xyzt_units mm and ms)",
        shape=(4, 5, 6, 3),
        affine=OBLIQUE,
        raw_edits=(("pixdim", 4, 2200.0), ("xyzt_units", None, 2 | 16)),
    )
    add("nifti1-4d-last-size-1.nii", "4-D whose time axis has size 1", shape=(4, 5, 6, 1), affine=OBLIQUE)
    add("nifti1-5d.nii", "5-D", shape=(3, 4, 5, 2, 3), dtype="int16", affine=OBLIQUE)
    add("nifti1-5d-vector.nii.gz", "5-D with dim[4] = 1 (vector-like)", shape=(3, 4, 5, 1, 3), affine=OBLIQUE)
    add("nifti1-6d.nii", "6-D", shape=(2, 3, 2, 2, 2, 2), dtype="uint8", affine=OBLIQUE)
    add("nifti1-7d.nii", "7-D", shape=(2, 2, 3, 2, 1, 2, 2), dtype="int16", affine=OBLIQUE)
    for units, unit_name in ((1, "meter"), (3, "micron")):
        add(
            f"nifti1-units-{unit_name}.nii",
            f"xyzt_units {units} ({unit_name}): nibabel's affine ignores the units",
            affine=OBLIQUE,
            raw_edits=(("xyzt_units", None, units),),
        )
    add(
        "nifti1-5d-vector-intent.nii",
        "5-D with intent_code 1007 (vector): nibabel keeps the 5-D shape",
        shape=(3, 4, 5, 1, 3),
        affine=OBLIQUE,
        raw_edits=(("intent_code", None, 1007),),
    )
    add(
        "nifti1-junk-unused-dims.nii",
        "dim[0] 3 with dim[4..7] left non-zero by the writer: nibabel reads 3 dimensions",
        shape=(3, 4, 5),
        affine=OBLIQUE,
        raw_edits=(("dim", 4, 5), ("dim", 5, 2), ("dim", 6, 0), ("dim", 7, 9)),
    )
    add(
        "nifti1-extension.nii",
        "a comment extension (vox_offset beyond 352)",
        affine=OBLIQUE,
        extension=b"NiBridge corpus " * 5,
    )
    add(
        "nifti1-vox-offset-0.nii",
        "vox_offset 0 in a single file (nibabel reads from byte 0, the header as voxels)",
        shape=(8, 9, 10),
        dtype="int16",
        affine=OBLIQUE,
        raw_edits=(("vox_offset", None, 0.0),),
    )
    return cases


def _nifti2_cases() -> list[Case]:
    cases = []

    def add(name, exercises, shape=(4, 5, 6), dtype="float32", image_class=nib.Nifti2Image, **fields):
        spec = NiftiFile(image_class, name, shape, dtype, seed=300 + len(cases), **fields)
        cases.append(_nifti_case(name, exercises, spec, "nifti2"))

    for dtype in ("uint8", "int16", "int32", "int64", "uint64", "float32", "float64", "complex64", RGB24):
        add(f"nifti2-{dtype_name(dtype)}.nii", f"NIfTI-2 {dtype_name(dtype)}", dtype=dtype, affine=OBLIQUE)
    for dtype in ("int16", "float32"):
        add(f"nifti2-{dtype}.nii.gz", f"NIfTI-2 {dtype}, gzipped", dtype=dtype, affine=OBLIQUE)
    for dtype, suffix in (("float32", ".nii"), ("int16", ".nii"), ("float64", ".nii.gz"), ("int32", ".hdr")):
        add(
            f"nifti2-{dtype}-big-endian{suffix}",
            f"NIfTI-2 big-endian {dtype}, {suffix}",
            dtype=dtype,
            affine=OBLIQUE,
            endianness=">",
            image_class=_form(nib.Nifti2Image, suffix),
        )
    for suffix in (".hdr", ".hdr.gz"):
        add(
            f"nifti2-int16{suffix}",
            f"NIfTI-2 pair, {suffix}",
            dtype="int16",
            affine=OBLIQUE,
            image_class=nib.Nifti2Pair,
        )
    for index in range(8):
        add(
            f"nifti2-oblique-sform-{index:02d}.nii",
            "NIfTI-2: a random oblique sform in float64 (bit exactness)",
            affine=oblique_affine(400 + index, flip=index % 3 == 2, far=1e5),
        )
    add(
        "nifti2-oblique-qform-qfac-1.nii",
        "NIfTI-2 qform alone, qfac -1",
        sform=(None, 0),
        qform=(oblique_affine(420, flip=True), 1),
    )
    add("nifti2-sheared-sform.nii", "NIfTI-2 sheared sform", affine=SHEARS[0])
    add(
        "nifti2-sform1-qform2.nii",
        "NIfTI-2 sform and qform disagreeing",
        sform=(OBLIQUE, 1),
        qform=(OTHER_OBLIQUE, 2),
    )
    add(
        "nifti2-no-codes.nii",
        "NIfTI-2 without codes: fallback",
        affine=OBLIQUE,
        raw_edits=(("sform_code", None, 0), ("qform_code", None, 0)),
    )
    add("nifti2-2d-oblique.nii", "NIfTI-2 2-D oblique", shape=(6, 7), affine=oblique_affine(430))
    add(
        "nifti2-2d-in-plane.nii",
        "NIfTI-2 2-D rotated in the x-y plane (z = 0)",
        shape=(6, 7),
        affine=_rotation_about_z(30.0, (0.8, 1.7, 3.0), (-40.0, 25.0, 0.0)),
    )
    add(
        "nifti2-4d-tr.nii.gz",
        "NIfTI-2 4-D with a TR",
        shape=(4, 5, 6, 3),
        dtype="int16",
        affine=OBLIQUE,
        raw_edits=(("pixdim", 4, 1.5), ("xyzt_units", None, 2 | 8)),
    )
    add("nifti2-5d.nii", "NIfTI-2 5-D", shape=(3, 4, 5, 1, 2), affine=OBLIQUE)
    return cases + _scaled_nifti_cases(nib.Nifti2Image, "nifti2")[::3]


# -- Analyze (SPM2) ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AnalyzeFile:
    """How one Analyze (SPM2) .hdr/.img pair is written."""

    filename: str  # .hdr or .hdr.gz
    shape: tuple[int, ...]
    dtype: str
    zooms: tuple[float, ...] = (2.0, 3.0, 4.0)
    origin: tuple[int, int, int] | None = None  # SPM's origin field (1-based voxel)
    endianness: str = "<"
    raw_edits: tuple[tuple[str, int | None, object], ...] = ()
    seed: int = 0
    read_as: str | None = None

    def write(self, directory: Path) -> Path:
        values = integer_values(self.shape, self.dtype, self.seed)
        header = nib.Spm2AnalyzeHeader(endianness=self.endianness)
        header.set_data_dtype(self.dtype)
        header.set_data_shape(self.shape)
        header.set_zooms(self.zooms)
        if self.origin is not None:
            header["origin"][:3] = self.origin
        path = directory / self.filename
        try:
            # No affine: nibabel writes the origin and zooms of the header and no SPM .mat file (that needs scipy).
            nib.save(nib.Spm2AnalyzeImage(values, None, header=header), path)
        except ImportError:
            header_path = _header_file(path)
            header_block = io.BytesIO()
            header.write_to(header_block)
            _write_bytes(header_path, header_block.getvalue())
            image_path = header_path.with_name(header_path.name.replace(".hdr", ".img"))
            _write_bytes(image_path, values.astype(header.get_data_dtype()).tobytes(order="F"))
        if self.raw_edits:
            edit_header(path, nib.Spm2AnalyzeHeader, self.raw_edits)
        read = directory / (self.read_as or self.filename)
        loaded = nib.load(read)
        if not isinstance(loaded, nib.Spm2AnalyzeImage) or loaded.header.endianness != self.endianness:
            raise RuntimeError(f"{read}: nibabel loads it as a {type(loaded).__name__}, {loaded.header.endianness}")
        return read


def _analyze_cases() -> list[Case]:
    cases = []

    def add(name, exercises, shape=(4, 5, 6), dtype="int16", **fields):
        spec = AnalyzeFile(name, shape, dtype, seed=500 + len(cases), **fields)
        cases.append(Case(name, exercises, "analyze", len(shape), spec.write))

    for dtype in ("uint8", "int16", "int32", "float32", "float64", "complex64"):
        add(f"analyze-{dtype}.hdr", f"Analyze {dtype}, no origin (nibabel centres it)", dtype=dtype)
    add("analyze-origin.hdr", "SPM origin field (2, 3, 4)", origin=(2, 3, 4))
    add("analyze-origin-outside.hdr", "SPM origin outside the volume (-10, 40, 3)", origin=(-10, 40, 3))
    add(
        "analyze-scale-factor.hdr",
        "funused1 (scl_slope) 0.25 with zooms 1.1",
        zooms=(1.1, 1.1, 1.1),
        origin=(3, 3, 3),
        raw_edits=(("scl_slope", None, 0.25),),
    )
    add(
        "analyze-scale-factor-intercept.hdr",
        "scl_slope 1.7 and SPM2's scl_inter -12.5 with zooms 1.1, 0.9, 3.3",
        zooms=(1.1, 0.9, 3.3),
        raw_edits=(("scl_slope", None, 1.7), ("scl_inter", None, -12.5)),
    )
    add(
        "analyze-glmax-calmax.hdr",
        "scl_slope 0: scaling from glmax/glmin and cal_max/cal_min",
        raw_edits=(
            ("scl_slope", None, 0.0),
            ("glmax", None, 30000),
            ("glmin", None, -20000),
            ("cal_max", None, 8.5),
            ("cal_min", None, -1.25),
        ),
    )
    add(
        "analyze-glmax-no-cal.hdr",
        "scl_slope 0 and no cal range: unscaled",
        raw_edits=(("scl_slope", None, 0.0), ("glmax", None, 30000), ("glmin", None, -20000)),
    )
    add("analyze-int16-big-endian.hdr", "big-endian Analyze", endianness=">", origin=(1, 2, 3))
    add(
        "analyze-scaled-float32-big-endian.hdr",
        "big-endian float32, scale factor 3",
        dtype="float32",
        endianness=">",
        raw_edits=(("scl_slope", None, 3.0),),
    )
    add("analyze-int16.hdr.gz", "gzipped Analyze pair", origin=(2, 2, 2))
    add("analyze-int16-read-through.img", "Analyze opened by its .img")
    add(
        "analyze-negative-pixdim.hdr",
        "negative pixdim[1] (nibabel takes its absolute value)",
        raw_edits=(("pixdim", 1, -2.0),),
    )
    add("analyze-zero-pixdim.hdr", "zero pixdim[3] (nibabel takes it as 1)", raw_edits=(("pixdim", 3, 0.0),))
    add("analyze-4d.hdr", "4-D Analyze", shape=(3, 4, 5, 2), zooms=(2.0, 2.0, 2.0, 3.0))
    add("analyze-2d.hdr", "2-D Analyze", shape=(6, 7), zooms=(1.5, 2.5))
    return cases


# -- MGH / MGZ --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MGHFile:
    """How one MGH/MGZ file is written with nibabel."""

    filename: str
    shape: tuple[int, ...]
    dtype: str
    affine: np.ndarray
    tr: float | None = None  # milliseconds
    good_ras_flag: int | None = None  # set in the bytes after saving
    seed: int = 0

    def write(self, directory: Path) -> Path:
        image = nib.MGHImage(integer_values(self.shape, self.dtype, self.seed), self.affine)
        if self.tr is not None:
            image.header.set_zooms((*image.header.get_zooms()[:3], self.tr))
        path = directory / self.filename
        nib.save(image, path)
        if self.good_ras_flag is not None:
            edit_bytes(path, 28, struct.pack(">h", self.good_ras_flag))
        loaded = nib.load(path)
        if loaded.get_data_dtype() != np.dtype(self.dtype).newbyteorder(">"):
            raise RuntimeError(f"{path}: written as {loaded.get_data_dtype()}, meant {self.dtype}")
        return path


def _mgh_cases() -> list[Case]:
    cases = []

    def add(name, exercises, shape=(4, 5, 6), dtype="float32", affine=OBLIQUE, **fields):
        spec = MGHFile(name, shape, dtype, affine, seed=600 + len(cases), **fields)
        cases.append(Case(name, exercises, "mgh", len(shape), spec.write))

    for dtype in MGH_DTYPES:
        for suffix in (".mgh", ".mgz"):
            add(f"mgh-{dtype}{suffix}", f"MGH {dtype} ({'type code 10' if dtype == 'uint16' else suffix})", dtype=dtype)
    for index in range(20):
        add(
            f"mgh-oblique-{index:02d}.mgz",
            "MGH: a random oblique affine from float32 Mdc, delta and Pxyz_c",
            dtype=("float32", "int16", "uint8", "int32")[index % 4],
            affine=oblique_affine(700 + index, flip=index % 3 == 1, far=300.0),
        )
    add("mgh-4d-tr.mgz", "4-D MGZ with TR 2500 ms", shape=(4, 5, 6, 3), dtype="int16", tr=2500.0)
    add("mgh-4d-tr.mgh", "4-D MGH with TR 1234.5 ms", shape=(4, 5, 6, 2), tr=1234.5)
    add("mgh-good-ras-0.mgh", "goodRASFlag 0: nibabel's default geometry", good_ras_flag=0)
    add("mgh-good-ras-0.mgz", "goodRASFlag 0, gzipped", dtype="uint8", good_ras_flag=0)
    add("mgh-large.mgz", "a large MGZ (many deflate blocks)", shape=(60, 50, 40), dtype="int16")
    return cases


# -- nibabel's own test data ------------------------------------------------------------------

NOT_IMAGES = (".py", ".m", ".rst", ".trk", ".tck", ".dcm", ".gitignore")


def _family_of(image) -> str:
    if isinstance(image, nib.Cifti2Image | nib.minc1.Minc1Image | nib.parrec.PARRECImage | nib.ecat.EcatImage):
        return "nibabel"
    if isinstance(image, nib.Nifti2Pair):
        return "nifti2"
    if isinstance(image, nib.Nifti1Pair):
        return "nifti1"
    if isinstance(image, nib.AnalyzeImage):
        return "analyze"
    if isinstance(image, nib.MGHImage):
        return "mgh"
    return "nibabel"


def _shipped(path: Path, directory: Path) -> Path:
    del directory  # read where nibabel installed it
    return path


# One file of each format nibabel reads, as nibabel ships them: a corpus without one of them misses a format.
ONE_FILE_OF_EACH_FORMAT = frozenset(
    {
        "anatomical.nii",  # NIfTI-1
        "example4d.nii.gz",
        "example_nifti2.nii.gz",  # NIfTI-2
        "row_major.dconn.nii",  # CIFTI-2
        "test.mgz",  # MGH
        "tiny.mnc",  # MINC1
        "minc2_1_scale.mnc",  # MINC2 (h5py)
        "phantom_varscale.PAR",  # PAR/REC
        "example4d+orig.HEAD",  # AFNI, .BRIK.gz
        "scaled+tlrc.HEAD",  # AFNI, .BRIK
        "tinypet.v",  # ECAT
    }
)


@functools.cache
def shipped_images() -> tuple[Path, ...]:
    """Every file in nibabel.testing.data_path that nibabel loads with its data, data files (.REC, .BRIK)
    included."""
    paths = []
    for path in sorted(Path(data_path).iterdir()):
        if not path.is_file() or path.name.endswith(NOT_IMAGES):
            continue
        try:
            with quiet_nibabel():
                np.asarray(load_with_nibabel(path).dataobj)
        except Exception:  # noqa: BLE001, S112 - headers without data files, PAR without REC, not images
            continue
        paths.append(path)
    return tuple(paths)


@functools.cache
def _shipped_cases() -> tuple[Case, ...]:
    cases = []
    for path in shipped_images():
        with quiet_nibabel():
            image = load_with_nibabel(path)
        cases.append(
            Case(
                f"shipped-{path.name}",
                f"nibabel's test file {path.name} ({type(image).__name__})",
                _family_of(image),
                len(image.shape),
                functools.partial(_shipped, path),
                has_affine=getattr(image, "affine", None) is not None,
            )
        )
    return tuple(cases)


# -- Broken files -----------------------------------------------------------------------------


def _good_nifti(directory: Path, filename: str, shape=(20, 20, 20), seed=0, image_class=nib.Nifti1Image) -> Path:
    values = np.random.default_rng(seed).integers(-30000, 30000, shape, dtype=np.int16)
    path = directory / filename
    nib.save(image_class(values, OBLIQUE), path)
    return path


def _damaged(path: Path, damage: Callable[[bytes], bytes]) -> Path:
    path.write_bytes(damage(path.read_bytes()))
    return path


def _cut_end(raw: bytes) -> bytes:
    return raw[:-1000]


def _cut_half(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _flip_crc(raw: bytes) -> bytes:
    return raw[:-8] + bytes([raw[-8] ^ 0xFF]) + raw[-7:]


def _garble(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + bytes(byte ^ 0x5A for byte in raw[middle : middle + 64]) + raw[middle + 64 :]


def _broken_truncated_nii(directory):
    return _damaged(_good_nifti(directory, "truncated.nii"), _cut_end)


def _broken_truncated_nii_gz(directory):
    return _damaged(_good_nifti(directory, "truncated.nii.gz"), _cut_half)


def _broken_bad_crc_nii_gz(directory):
    return _damaged(_good_nifti(directory, "bad-crc.nii.gz"), _flip_crc)


def _broken_garbled_nii_gz(directory):
    return _damaged(_good_nifti(directory, "garbled.nii.gz"), _garble)


def _broken_sibling_truncated(directory):
    _good_nifti(directory, "sibling.nii", seed=1)
    return _damaged(_good_nifti(directory, "sibling.nii.gz", seed=2), _cut_half)


def _broken_sibling_bad_crc(directory):
    _good_nifti(directory, "sibling.nii", seed=1)
    return _damaged(_good_nifti(directory, "sibling.nii.gz", seed=2), _flip_crc)


def _broken_sibling_missing_img(directory):
    _good_nifti(directory, "sibling.img.gz", image_class=nib.Nifti1Pair)
    zipped_header = directory / "sibling.hdr.gz"
    (directory / "sibling.hdr").write_bytes(gzip.decompress(zipped_header.read_bytes()))
    zipped_header.unlink()
    return directory / "sibling.hdr"


def _broken_truncated_img(directory):
    header = _good_nifti(directory, "truncated-img.hdr", image_class=nib.Nifti1Pair)
    _damaged(directory / "truncated-img.img", _cut_end)
    return header


def _broken_truncated_nifti2(directory):
    return _damaged(_good_nifti(directory, "truncated-nifti2.nii", image_class=nib.Nifti2Image), _cut_end)


def _good_mgh(directory: Path, filename: str) -> Path:
    path = directory / filename
    values = np.random.default_rng(3).integers(-30000, 30000, (20, 20, 20), dtype=np.int16)
    nib.save(nib.MGHImage(values, OBLIQUE), path)
    return path


def _broken_truncated_mgz(directory):
    return _damaged(_good_mgh(directory, "truncated.mgz"), _cut_half)


def _broken_bad_crc_mgz(directory):
    return _damaged(_good_mgh(directory, "bad-crc.mgz"), _flip_crc)


def _broken_truncated_mgh(directory):
    # Cut inside the voxels (the optional footer after them is 0 to a few hundred bytes).
    path = _good_mgh(directory, "truncated.mgh")
    return _damaged(path, lambda raw: raw[: 284 + 20 * 20 * 20 * 2 - 1000])


def _broken_header_edit(directory, filename, edits):
    path = _good_nifti(directory, filename, shape=(4, 5, 6))
    edit_header(path, nib.Nifti1Header, edits)
    return path


def _broken_missing(directory):
    return directory / "missing.nii"


def planned_broken_cases() -> list[BrokenCase]:
    return [
        BrokenCase("truncated.nii", "a .nii cut 1000 bytes short of its data", _broken_truncated_nii),
        BrokenCase("truncated.nii.gz", "a .nii.gz cut in the middle of its deflate stream", _broken_truncated_nii_gz),
        BrokenCase("bad-crc.nii.gz", "a .nii.gz whose gzip trailer CRC-32 is wrong", _broken_bad_crc_nii_gz),
        BrokenCase("garbled.nii.gz", "a .nii.gz with 64 garbled bytes in its deflate stream", _broken_garbled_nii_gz),
        BrokenCase(
            "sibling-truncated.nii.gz",
            "a truncated x.nii.gz next to a good x.nii: reading x.nii.gz must fail, never read x.nii",
            _broken_sibling_truncated,
        ),
        BrokenCase(
            "sibling-bad-crc.nii.gz",
            "a CRC-damaged x.nii.gz next to a good x.nii",
            _broken_sibling_bad_crc,
        ),
        BrokenCase(
            "sibling-missing-img.hdr",
            "x.hdr without its x.img, next to an x.img.gz (nibabel reads only x.img)",
            _broken_sibling_missing_img,
        ),
        BrokenCase("truncated-img.hdr", "a NIfTI pair whose .img is truncated", _broken_truncated_img),
        BrokenCase("truncated-nifti2.nii", "a NIfTI-2 .nii cut short of its data", _broken_truncated_nifti2),
        BrokenCase("truncated.mgz", "a .mgz cut in the middle", _broken_truncated_mgz),
        BrokenCase("bad-crc.mgz", "a .mgz whose gzip trailer CRC-32 is wrong", _broken_bad_crc_mgz),
        BrokenCase("truncated.mgh", "a .mgh cut inside its voxels", _broken_truncated_mgh),
        BrokenCase(
            "vox-offset-1.nii",
            'vox_offset 1 in a single-file NIfTI-1 (nibabel: "too low for single file")',
            functools.partial(_broken_header_edit, filename="vox-offset-1.nii", edits=(("vox_offset", None, 1.0),)),
        ),
        BrokenCase(
            "unknown-datatype.nii",
            "datatype code 999",
            functools.partial(_broken_header_edit, filename="unknown-datatype.nii", edits=(("datatype", None, 999),)),
        ),
        BrokenCase(
            "infinite-intercept.nii",
            'scl_slope 2 with scl_inter inf (nibabel: "Valid slope but invalid intercept")',
            functools.partial(
                _broken_header_edit,
                filename="infinite-intercept.nii",
                edits=(("scl_slope", None, 2.0), ("scl_inter", None, np.inf)),
            ),
        ),
        BrokenCase("missing.nii", "a file that does not exist", _broken_missing),
    ]


# -- The plan and the writing -----------------------------------------------------------------


def planned_cases() -> list[Case]:
    """Every case, in a stable order, without writing anything."""
    cases = [
        *_shipped_cases(),
        *_nifti1_dtype_cases(),
        *_scaled_nifti_cases(nib.Nifti1Image, "nifti1"),
        *_nifti1_geometry_cases(),
        *_sibling_cases(),
        *_nifti2_cases(),
        *_analyze_cases(),
        *_mgh_cases(),
    ]
    names = [case.name for case in cases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate case names: {duplicates}")
    return cases


@contextlib.contextmanager
def quiet_nibabel():
    """nibabel warns about, and logs its fixes of, the odd headers written here on purpose."""
    logger = nib.imageglobals.logger
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _case_directory(directory: Path, name: str) -> Path:
    case_directory = Path(directory) / name.replace(".", "_")
    case_directory.mkdir(parents=True, exist_ok=False)
    return case_directory


def write_corpus(directory, cases=None) -> list[WrittenCase]:
    """Write every case (or `cases`) into its own subdirectory of `directory`; the written cases, in order."""
    written = []
    with quiet_nibabel():
        for case in planned_cases() if cases is None else cases:
            path = case.write(_case_directory(directory, case.name))
            written.append(WrittenCase(case.name, path, case.exercises, case.family, case.ndim, case.has_affine))
    return written


def write_broken_corpus(directory, cases=None) -> dict[str, Path]:
    """Write every broken case (or `cases`) into its own subdirectory of `directory`: name -> path to read."""
    with quiet_nibabel():
        return {
            case.name: case.write(_case_directory(directory, case.name))
            for case in (planned_broken_cases() if cases is None else cases)
        }


if __name__ == "__main__":
    import sys

    for written_case in write_corpus(sys.argv[1]):
        print(f"{written_case.name}\t{written_case.path}\t{written_case.exercises}")
    for broken_name, broken_path in write_broken_corpus(Path(sys.argv[1]) / "broken").items():
        print(f"{broken_name}\t{broken_path}\tbroken")
