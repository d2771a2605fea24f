"""The bad-input corpus: broken and odd files of every format NiBridge reads, generated at test time.

Nothing here is committed as a binary. The plan (`planned_cases`) names every case, says what it exercises and
what every caller must do with it; `write_corpus` writes the files (nibabel, NumPy and the standard library;
MetaImage, NRRD and PNG by hand, so that no ITK is needed) into one directory per case and returns the cases
with the paths to read. Every mutation is seeded by the case's name, so the same plan writes the same bytes.

Expectations, one per case:

* ``error``: every caller must refuse the file with a clear error naming it (truncated or damaged compressed
  streams, impossible headers, missing sidecar files, inputs that are no regular files).
* ``nibabel``: nibabel is the reference. Where ``nibabel.load(f).get_fdata()`` and ``.affine`` succeed, a caller
  must give exactly those values (NaN where nibabel has NaN) and that affine; where nibabel raises, a caller
  must refuse.
* ``either``: files in formats nibabel does not read (.npy, MetaImage, NRRD, PNG) that a mutation may have
  left valid: refusing and reading are both fine, crashing, hanging, printing several lines or leaving files
  are not (where nibabel reads the file too, a read must give its values). Damage after the end of a
  compressed stream (trailing garbage) is ``either`` in every format, and so are reserved gzip flag bits
  (RFC 1952 says refuse; Python's gzip module, and so nibabel, reads on).

Classes (the failure classes of issue 9): truncation, bit-flip, header-edit, gzip, npy-header, metaimage,
nrrd, png, missing-sidecar, non-regular, valid-odd.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import io
import os
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.testing import data_path

try:
    from . import nibabel_corpus as corpus
except ImportError:  # imported as a top-level module, from this directory on sys.path
    import nibabel_corpus as corpus

EXPECTATIONS = ("error", "nibabel", "either")
CLASSES = (
    "truncation",
    "bit-flip",
    "header-edit",
    "gzip",
    "npy-header",
    "metaimage",
    "nrrd",
    "png",
    "missing-sidecar",
    "non-regular",
    "valid-odd",
)
NIBABEL_FORMATS = ("nifti1", "nifti2", "analyze", "mgh", "minc1", "minc2", "parrec", "afni", "ecat")
OTHER_FORMATS = ("npy", "metaimage", "nrrd", "png")
FORMATS = NIBABEL_FORMATS + OTHER_FORMATS

SHAPE = (6, 5, 4)
AFFINE = corpus.OBLIQUE
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclasses.dataclass(frozen=True)
class Case:
    """One file and what every caller must do with it."""

    name: str
    format: str  # one of FORMATS
    kind: str  # one of CLASSES
    expect: str  # one of EXPECTATIONS
    exercises: str
    write: Callable[[Path], Path] = dataclasses.field(repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class WrittenCase:
    """A case and the path to read, once written."""

    name: str
    path: Path
    format: str
    kind: str
    expect: str
    exercises: str


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


def base_values(dtype="int16", shape=SHAPE, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 100.0).astype(dtype)
    return rng.integers(-1000, 1000, shape).astype(dtype)


def special_float_values(dtype="float32", shape=SHAPE) -> np.ndarray:
    """Random floats with NaN, infinities, -0 and subnormals in the first voxels (nibabel's order)."""
    values = base_values(dtype, shape, seed=11).ravel(order="F")
    info = np.finfo(dtype)
    specials = [np.nan, np.inf, -np.inf, -0.0, info.smallest_subnormal, info.max, info.min, np.nan]
    values[: len(specials)] = specials
    return values.reshape(shape, order="F")


# -- Good files, written with nibabel, NumPy or by hand ----------------------------------------------------


def _gzip(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=6, mtime=0)


def _save_nibabel(image, directory: Path, filename: str) -> Path:
    path = directory / filename
    nib.save(image, path)
    return path


def write_nifti(directory, filename="x.nii", image_class=nib.Nifti1Image, values=None, affine=AFFINE) -> Path:
    return _save_nibabel(image_class(base_values() if values is None else values, affine), directory, filename)


def write_analyze(directory, filename="x.hdr", values=None) -> Path:
    """An SPM2 Analyze pair, written with nibabel's header class (nib.save would want scipy for SPM's .mat)."""
    values = base_values() if values is None else values
    header = nib.Spm2AnalyzeHeader()
    header.set_data_dtype(values.dtype)
    header.set_data_shape(values.shape)
    header.set_zooms((2.0, 2.5, 3.0))
    header["origin"][:3] = (3, 2, 2)
    path = directory / filename
    block = io.BytesIO()
    header.write_to(block)
    path.write_bytes(block.getvalue())
    path.with_suffix(".img").write_bytes(values.astype(header.get_data_dtype()).tobytes(order="F"))
    return path


def write_mgh(directory, filename="x.mgh", values=None) -> Path:
    values = base_values("float32") if values is None else values
    return _save_nibabel(nib.MGHImage(values, AFFINE), directory, filename)


def write_npy(directory, filename="x.npy", version=(1, 0), fortran=False, values=None) -> Path:
    values = base_values("float32", seed=3) if values is None else values
    path = directory / filename
    with path.open("wb") as file:
        np.lib.format.write_array(file, np.asfortranarray(values) if fortran else values, version=version)
    return path


def npy_bytes(header: bytes, data: bytes, version=(1, 0), magic=b"\x93NUMPY", length=None) -> bytes:
    """An .npy file from a header text written as given (padded to 64 bytes, ending in a newline)."""
    size_format = "<H" if version[0] == 1 else "<I"
    prefix = len(magic) + 2 + struct.calcsize(size_format)
    padding = -(prefix + len(header) + 1) % 64
    text = header + b" " * padding + b"\n"
    stored_length = len(text) if length is None else length
    return magic + bytes(version) + struct.pack(size_format, stored_length) + text + data


def npy_header_length(raw: bytes) -> int:
    if raw[6] == 1:
        return 10 + struct.unpack_from("<H", raw, 8)[0]
    return 12 + struct.unpack_from("<I", raw, 8)[0]


METAIMAGE_TYPES = {"int16": "MET_SHORT", "float32": "MET_FLOAT", "uint8": "MET_UCHAR"}


def metaimage_fields(values: np.ndarray, data_file="LOCAL", compressed=0) -> list[tuple[str, str]]:
    fields = [
        ("ObjectType", "Image"),
        ("NDims", str(values.ndim)),
        ("BinaryData", "True"),
        ("BinaryDataByteOrderMSB", "False"),
        ("CompressedData", "True" if compressed else "False"),
    ]
    if compressed:
        fields.append(("CompressedDataSize", str(compressed)))
    fields += [
        ("TransformMatrix", " ".join(_identity_text(values.ndim))),
        ("Offset", " ".join(["10", "-20", "30"][: values.ndim])),
        ("CenterOfRotation", " ".join(["0"] * values.ndim)),
        ("AnatomicalOrientation", "RAI"[: values.ndim]),
        ("ElementSpacing", " ".join(["1.5", "2", "2.5"][: values.ndim])),
        ("DimSize", " ".join(str(size) for size in values.shape)),
        ("ElementType", METAIMAGE_TYPES[values.dtype.name]),
        ("ElementDataFile", data_file),
    ]
    return fields


def _identity_text(dimension: int) -> list[str]:
    return ["1" if row == column else "0" for row in range(dimension) for column in range(dimension)]


def metaimage_text(fields) -> bytes:
    return "".join(f"{key} = {value}\n" for key, value in fields).encode()


def _voxel_bytes(values: np.ndarray) -> bytes:
    """Voxels with the first axis fastest, little-endian: MetaImage's and NRRD's layout."""
    return values.astype(values.dtype.newbyteorder("<")).tobytes(order="F")


def write_metaimage(directory, filename="x.mha", values=None, compressed=False, edit=None) -> Path:
    """A MetaImage file: .mha with its data (LOCAL), or .mhd beside a .raw (.zraw when compressed).
    `edit(fields, data) -> (fields, data)` changes the header fields and the stored bytes before writing."""
    values = base_values() if values is None else values
    data = _voxel_bytes(values)
    if compressed:
        data = zlib.compress(data, 6)
    path = directory / filename
    detached = filename.endswith(".mhd")
    data_file = path.stem + (".zraw" if compressed else ".raw") if detached else "LOCAL"
    fields = metaimage_fields(values, data_file, len(data) if compressed else 0)
    if edit is not None:
        fields, data = edit(fields, data)
    if detached:
        path.write_bytes(metaimage_text(fields))
        if data is not None:
            (directory / data_file).write_bytes(data)
    else:
        path.write_bytes(metaimage_text(fields) + (data or b""))
    return path


def nrrd_fields(values: np.ndarray, encoding="raw", data_file=None) -> list[tuple[str, str]]:
    fields = [
        ("type", {"int16": "short", "float32": "float", "uint8": "uchar"}[values.dtype.name]),
        ("dimension", str(values.ndim)),
        ("space", "left-posterior-superior"),
        ("sizes", " ".join(str(size) for size in values.shape)),
        ("space directions", "(1.5,0,0) (0,2,0) (0,0,2.5)"),
        ("kinds", "domain domain domain"),
        ("endian", "little"),
        ("encoding", encoding),
        ("space origin", "(10,-20,30)"),
    ]
    if data_file is not None:
        fields.append(("data file", data_file))
    return fields


def nrrd_text(fields, magic="NRRD0004") -> bytes:
    return (magic + "\n" + "".join(f"{key}: {value}\n" for key, value in fields)).encode()


def write_nrrd(directory, filename="x.nrrd", values=None, encoding="raw", edit=None) -> Path:
    """An NRRD file with its data attached (.nrrd) or detached (.nhdr beside x.raw or x.raw.gz).
    `edit(fields, data) -> (fields, data)` changes the fields and the stored bytes before writing."""
    values = base_values() if values is None else values
    data = _voxel_bytes(values)
    if encoding == "gzip":
        data = _gzip(data)
    path = directory / filename
    detached = filename.endswith(".nhdr")
    data_file = path.stem + (".raw.gz" if encoding == "gzip" else ".raw") if detached else None
    fields = nrrd_fields(values, encoding, data_file)
    if edit is not None:
        fields, data = edit(fields, data)
    if detached:
        path.write_bytes(nrrd_text(fields))
        if data is not None:
            (directory / data_file).write_bytes(data)
    else:
        path.write_bytes(nrrd_text(fields) + b"\n" + (data or b""))
    return path


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes, crc=None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bytes(*, width=7, height=6, bit_depth=8, color_type=0, rows=None, idat=None, interlace=0) -> bytes:
    """A grey PNG (zlib + struct): signature, IHDR, one IDAT of unfiltered rows, IEND."""
    if rows is None:
        dtype = ">u2" if bit_depth == 16 else "u1"
        pixels = np.random.default_rng(5).integers(0, 2**bit_depth, (height, width)).astype(dtype)
        rows = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    data = zlib.compress(rows, 6) if idat is None else idat
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def write_png(directory, filename="x.png", **fields) -> Path:
    path = directory / filename
    path.write_bytes(png_bytes(**fields))
    return path


def copy_shipped(names: tuple[str, ...], directory: Path) -> Path:
    """Copies of files nibabel ships (the first is the one to read)."""
    for name in names:
        shutil.copyfile(Path(data_path) / name, directory / name)
    return directory / names[0]


# -- Bases: the good files the mutations start from --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Base:
    """A good file of one format, and where its header and data are."""

    name: str
    format: str
    write: Callable[[Path], Path]  # the path to read
    header_of: Callable[[Path], Path] = lambda path: path  # the file holding the header
    data_of: Callable[[Path], Path] = lambda path: path  # the file holding the voxels
    header_length: Callable[[bytes], int] | int | None = None  # of the (decompressed) header file; None: unknown
    compressed: bool = False  # the header file is one gzip stream (.nii.gz, .mgz)
    data_compressed: bool = False  # the data file is compressed (gzip or zlib), in whole or after a header
    flips: int = 10  # bit-flip cases
    flip_span: int | None = None  # bytes from the start of the header file to flip in, where the length is unknown
    text: bool = False  # a text header (flip only in it)

    def header_size(self, raw: bytes) -> int | None:
        if callable(self.header_length):
            return self.header_length(raw)
        return self.header_length


def _with_suffix(suffix: str, old: str) -> Callable[[Path], Path]:
    return lambda path: path.with_name(path.name[: -len(old)] + suffix)


def _text_header_length(raw: bytes) -> int:
    """MetaImage: up to the end of the ElementDataFile line; NRRD: up to the blank line."""
    if raw.startswith(b"NRRD"):
        return raw.index(b"\n\n") + 2
    return raw.index(b"\n", raw.index(b"ElementDataFile")) + 1


BASES = {
    base.name: base
    for base in (
        Base("nifti1.nii", "nifti1", write_nifti, header_length=352, flips=30),
        Base(
            "nifti1.nii.gz",
            "nifti1",
            functools.partial(write_nifti, filename="x.nii.gz"),
            header_length=352,
            compressed=True,
            data_compressed=True,
            flips=12,
        ),
        Base(
            "nifti1-pair.hdr",
            "nifti1",
            functools.partial(write_nifti, filename="x.hdr", image_class=nib.Nifti1Pair),
            data_of=_with_suffix(".img", ".hdr"),
            header_length=348,
            flips=12,
        ),
        Base(
            "nifti1-pair.hdr.gz",
            "nifti1",
            functools.partial(write_nifti, filename="x.hdr.gz", image_class=nib.Nifti1Pair),
            data_of=_with_suffix(".img.gz", ".hdr.gz"),
            header_length=348,
            compressed=True,
            data_compressed=True,
            flips=4,
        ),
        Base(
            "nifti2.nii",
            "nifti2",
            functools.partial(write_nifti, image_class=nib.Nifti2Image),
            header_length=544,
            flips=24,
        ),
        Base(
            "nifti2.nii.gz",
            "nifti2",
            functools.partial(write_nifti, filename="x.nii.gz", image_class=nib.Nifti2Image),
            header_length=544,
            compressed=True,
            data_compressed=True,
            flips=8,
        ),
        Base(
            "analyze.hdr",
            "analyze",
            write_analyze,
            data_of=_with_suffix(".img", ".hdr"),
            header_length=348,
            flips=20,
        ),
        Base("mgh.mgh", "mgh", write_mgh, header_length=284, flips=24),
        Base(
            "mgh.mgz",
            "mgh",
            functools.partial(write_mgh, filename="x.mgz"),
            header_length=284,
            compressed=True,
            data_compressed=True,
            flips=10,
        ),
        Base("npy-v1.npy", "npy", write_npy, header_length=npy_header_length, flips=20),
        Base(
            "npy-v2.npy",
            "npy",
            functools.partial(write_npy, version=(2, 0)),
            header_length=npy_header_length,
            flips=8,
        ),
        Base(
            "npy-v3.npy",
            "npy",
            functools.partial(write_npy, version=(3, 0)),
            header_length=npy_header_length,
            flips=8,
        ),
        Base(
            "npy-fortran.npy",
            "npy",
            functools.partial(write_npy, fortran=True),
            header_length=npy_header_length,
            flips=8,
        ),
        Base("metaimage.mha", "metaimage", write_metaimage, header_length=_text_header_length, flips=20, text=True),
        Base(
            "metaimage-compressed.mha",
            "metaimage",
            functools.partial(write_metaimage, compressed=True),
            header_length=_text_header_length,
            data_compressed=True,
            flips=12,
            text=True,
        ),
        Base(
            "metaimage.mhd",
            "metaimage",
            functools.partial(write_metaimage, filename="x.mhd"),
            data_of=_with_suffix(".raw", ".mhd"),
            header_length=len,
            flips=12,
            text=True,
        ),
        Base(
            "metaimage-compressed.mhd",
            "metaimage",
            functools.partial(write_metaimage, filename="x.mhd", compressed=True),
            data_of=_with_suffix(".zraw", ".mhd"),
            header_length=len,
            data_compressed=True,
            flips=4,
            text=True,
        ),
        Base("nrrd.nrrd", "nrrd", write_nrrd, header_length=_text_header_length, flips=16, text=True),
        Base(
            "nrrd-gzip.nrrd",
            "nrrd",
            functools.partial(write_nrrd, encoding="gzip"),
            header_length=_text_header_length,
            data_compressed=True,
            flips=10,
            text=True,
        ),
        Base(
            "nrrd-detached.nhdr",
            "nrrd",
            functools.partial(write_nrrd, filename="x.nhdr"),
            data_of=_with_suffix(".raw", ".nhdr"),
            header_length=len,
            flips=12,
            text=True,
        ),
        Base(
            "nrrd-detached-gzip.nhdr",
            "nrrd",
            functools.partial(write_nrrd, filename="x.nhdr", encoding="gzip"),
            data_of=_with_suffix(".raw.gz", ".nhdr"),
            header_length=len,
            data_compressed=True,
            flips=4,
            text=True,
        ),
        Base("png-8bit.png", "png", write_png, header_length=33, data_compressed=True, flips=14),
        Base(
            "png-16bit.png",
            "png",
            functools.partial(write_png, bit_depth=16),
            header_length=33,
            data_compressed=True,
            flips=8,
        ),
        Base("minc1.mnc", "minc1", functools.partial(copy_shipped, ("tiny.mnc",)), flip_span=1024, flips=12),
        Base(
            "minc2.mnc",
            "minc2",
            functools.partial(copy_shipped, ("minc2_1_scale.mnc",)),
            flip_span=2048,
            flips=10,
        ),
        Base(
            "parrec.PAR",
            "parrec",
            functools.partial(copy_shipped, ("phantom_varscale.PAR", "phantom_varscale.REC")),
            data_of=_with_suffix(".REC", ".PAR"),
            header_length=len,
            flips=10,
            text=True,
        ),
        Base(
            "afni.HEAD",
            "afni",
            functools.partial(copy_shipped, ("scaled+tlrc.HEAD", "scaled+tlrc.BRIK")),
            data_of=_with_suffix(".BRIK", ".HEAD"),
            header_length=len,
            flips=8,
            text=True,
        ),
        Base(
            "afni-gzip.HEAD",
            "afni",
            functools.partial(copy_shipped, ("example4d+orig.HEAD", "example4d+orig.BRIK.gz")),
            data_of=_with_suffix(".BRIK.gz", ".HEAD"),
            header_length=len,
            data_compressed=True,
            flips=4,
            text=True,
        ),
        Base("ecat.v", "ecat", functools.partial(copy_shipped, ("tinypet.v",)), flip_span=1536, flips=12),
    )
}


def _good(base: str, directory: Path) -> Path:
    return BASES[base].write(directory)


# -- Byte-level damage -------------------------------------------------------------------------------------


def _rewrite(path: Path, change: Callable[[bytes], bytes], *, decompressed=False) -> None:
    raw = path.read_bytes()
    path.write_bytes(_gzip(change(gzip.decompress(raw))) if decompressed else change(raw))


def flip_bits(raw: bytes, rng, count: int, start: int, stop: int) -> bytes:
    buffer = bytearray(raw)
    for _ in range(count):
        position = int(rng.integers(start, stop))
        buffer[position] ^= 1 << int(rng.integers(0, 8))
    return bytes(buffer)


def _fix_png_crcs(raw: bytes) -> bytes:
    """Recomputes every chunk's CRC, so that a flipped IHDR reaches the decoder's checks of its values."""
    out, position = bytearray(raw[:8]), 8
    while position + 12 <= len(raw):
        length = struct.unpack_from(">I", raw, position)[0]
        end = position + 8 + length
        if end + 4 > len(raw):
            return bytes(out) + raw[position:]
        out += raw[position:end] + struct.pack(">I", zlib.crc32(raw[position + 4 : end]))
        position = end + 4
    return bytes(out) + raw[position:]


def _write_bit_flips(base_name: str, count: int, name: str, fix_crc: bool, directory: Path) -> Path:
    base = BASES[base_name]
    path = base.write(directory)
    header = base.header_of(path)
    raw = gzip.decompress(header.read_bytes()) if base.compressed else header.read_bytes()
    size = base.header_size(raw)
    stop = min(len(raw), size if size is not None else base.flip_span or len(raw))
    start = 8 if base.format == "png" else 0  # the signature only says "not a PNG"
    flipped = flip_bits(raw, np.random.default_rng(seed_of(name)), count, start, stop)
    if fix_crc:
        flipped = _fix_png_crcs(flipped)
    header.write_bytes(_gzip(flipped) if base.compressed else flipped)
    return path


def _bit_flip_cases() -> list[Case]:
    cases = []
    for base in BASES.values():
        for index in range(base.flips):
            count = (1, 1, 2, 3)[index % 4]
            fix_crc = base.format == "png" and index % 2 == 1
            name = f"bit-flip-{base.name}-{index:02d}"
            where = "its header" if base.header_length is not None else f"its first {base.flip_span} bytes"
            exercises = f"{count} seeded bit flip(s) in {where}" + (", PNG CRCs recomputed" if fix_crc else "")
            expect = "nibabel" if base.format in NIBABEL_FORMATS else "either"
            write = functools.partial(_write_bit_flips, base.name, count, name, fix_crc)
            cases.append(Case(name, base.format, "bit-flip", expect, exercises, write))
    return cases


def _write_truncated(base_name: str, which: str, cut: Callable[[int, int | None], int], directory: Path) -> Path:
    base = BASES[base_name]
    path = base.write(directory)
    target = base.header_of(path) if which == "header" else base.data_of(path)
    raw = target.read_bytes()
    header_size = base.header_size(raw) if target == base.header_of(path) and not base.compressed else None
    target.write_bytes(raw[: cut(len(raw), header_size)])
    return path


def _truncation_points(base: Base) -> list[tuple[str, str, Callable[[int, int | None], int], str]]:
    """(label, file, cut(size, header size) -> kept bytes, what it exercises)."""
    same_file = base.header_of(Path("x")) == base.data_of(Path("x"))
    points = []
    if base.compressed:
        return [
            ("gzip-header", "header", lambda size, _: 6, "cut inside the gzip header"),
            ("quarter", "header", lambda size, _: size // 4, "cut at a quarter of the gzip stream"),
            ("half", "header", lambda size, _: size // 2, "cut in the middle of the gzip stream"),
            ("no-trailer", "header", lambda size, _: size - 8, "the gzip trailer (CRC, size) cut off"),
            ("one-short", "header", lambda size, _: size - 1, "one byte short"),
        ]
    if same_file and base.header_length is not None:
        points += [
            ("in-header", "header", lambda size, header: header // 3, "cut inside the header"),
            ("header-one-short", "header", lambda size, header: header - 1, "cut one byte before the header ends"),
            ("after-header", "header", lambda size, header: header, "cut just after the header"),
            ("in-data", "header", lambda size, header: (size + header) // 2, "cut inside the data"),
            ("one-short", "header", lambda size, _: size - 1, "one byte short"),
        ]
    elif same_file:
        points += [
            ("eighth", "header", lambda size, _: size // 8, "cut at an eighth"),
            ("half", "header", lambda size, _: size // 2, "cut in the middle"),
            ("one-short", "header", lambda size, _: size - 1, "one byte short"),
        ]
    else:
        points += [
            ("header-half", "header", lambda size, _: size // 2, "its header file cut in the middle"),
            # A text header one byte short only lacks its last newline: cut inside the last line instead.
            ("header-short", "header", lambda size, _: size - (6 if base.text else 1), "its header file cut short"),
            ("data-empty", "data", lambda size, _: 0, "its data file empty"),
            ("data-half", "data", lambda size, _: size // 2, "its data file cut in the middle"),
            ("data-one-short", "data", lambda size, _: size - 1, "its data file one byte short"),
        ]
    return points


def _truncation_cases() -> list[Case]:
    cases = []
    for base in BASES.values():
        for label, which, cut, exercises in _truncation_points(base):
            name = f"truncated-{base.name}-{label}"
            # A damaged compressed stream is an error even where nibabel, reading no further than it needs, would
            # not notice; uncompressed nibabel formats follow nibabel (an MGH footer is optional, for one).
            damaged_stream = base.compressed or (base.data_compressed and which == "data")
            expect = "nibabel" if base.format in NIBABEL_FORMATS and not damaged_stream else "error"
            write = functools.partial(_write_truncated, base.name, which, cut)
            cases.append(Case(name, base.format, "truncation", expect, exercises, write))
    return cases


# -- Structured header edits: NIfTI-1/2, Analyze, MGH -------------------------------------------------------


def _write_edited(base_name: str, header_class, edits, directory: Path) -> Path:
    path = _good(base_name, directory)
    corpus.edit_header(path, header_class, edits)
    return path


def _write_bytes_edited(base_name: str, offset: int, packed: bytes, directory: Path) -> Path:
    path = _good(base_name, directory)
    corpus.edit_bytes(path, offset, packed)
    return path


N1 = nib.Nifti1Header
N2 = nib.Nifti2Header
HUGE_16 = 32767
SUBNORMAL = 5e-324

NIFTI1_EDITS = (
    ("dim0-zero", "dim[0] 0", (("dim", 0, 0),)),
    ("dim0-negative", "dim[0] -1", (("dim", 0, -1),)),
    ("dim0-eight", "dim[0] 8 (NIfTI allows 1 to 7)", (("dim", 0, 8),)),
    (
        "dim0-seven-trailing-ones",
        "dim[0] 7, dim[4..7] 1 (a valid 7-D header)",
        (("dim", None, [7, 6, 5, 4, 1, 1, 1, 1]),),
    ),
    ("dim1-zero", "dim[1] 0", (("dim", 1, 0),)),
    ("dim2-negative", "dim[2] -5", (("dim", 2, -5),)),
    (
        "dims-huge",
        "dim[1..3] 32767: far more voxels than the file holds",
        (("dim", None, [3, *[HUGE_16] * 3, 1, 1, 1, 1]),),
    ),
    (
        "dims-product-overflows",
        "seven dimensions of 32767: the voxel count overflows 64 bits",
        (("dim", None, [7, *[HUGE_16] * 7]),),
    ),
    ("dim4-zero", "dim[0] 4 with dim[4] 0", (("dim", 0, 4), ("dim", 4, 0))),
    ("vox-offset-1", "vox_offset 1 (inside the header)", (("vox_offset", None, 1.0),)),
    ("vox-offset-0", "vox_offset 0 in a single file", (("vox_offset", None, 0.0),)),
    ("vox-offset-348", "vox_offset 348 (before the extension flags)", (("vox_offset", None, 348.0),)),
    ("vox-offset-1e20", "vox_offset 1e20 (overflows an integer offset)", (("vox_offset", None, 1e20),)),
    ("vox-offset-nan", "vox_offset NaN", (("vox_offset", None, np.nan),)),
    ("vox-offset-inf", "vox_offset inf", (("vox_offset", None, np.inf),)),
    ("vox-offset-negative", "vox_offset -352", (("vox_offset", None, -352.0),)),
    ("vox-offset-fraction", "vox_offset 352.5", (("vox_offset", None, 352.5),)),
    ("vox-offset-past-end", "vox_offset 2^31, past the end of the file", (("vox_offset", None, 2.0**31),)),
    ("datatype-999", "datatype 999 (no such type)", (("datatype", None, 999),)),
    ("datatype-0", "datatype 0 (unknown)", (("datatype", None, 0),)),
    ("datatype-float128", "datatype 1536 (float128)", (("datatype", None, 1536), ("bitpix", None, 128))),
    ("bitpix-zero", "bitpix 0 for int16", (("bitpix", None, 0),)),
    ("bitpix-8", "bitpix 8 for int16", (("bitpix", None, 8),)),
    ("bitpix-64", "bitpix 64 for int16", (("bitpix", None, 64),)),
    ("slope-nan", "scl_slope NaN (nibabel: unscaled)", (("scl_slope", None, np.nan), ("scl_inter", None, 5.0))),
    ("slope-inf", "scl_slope inf", (("scl_slope", None, np.inf),)),
    ("slope-negative-inf", "scl_slope -inf", (("scl_slope", None, -np.inf),)),
    (
        "slope-zero-intercept",
        "scl_slope 0 with scl_inter 5 (unscaled)",
        (("scl_slope", None, 0.0), ("scl_inter", None, 5.0)),
    ),
    ("intercept-nan", "scl_slope 2 with scl_inter NaN", (("scl_slope", None, 2.0), ("scl_inter", None, np.nan))),
    ("intercept-inf", "scl_slope 2 with scl_inter inf", (("scl_slope", None, 2.0), ("scl_inter", None, np.inf))),
    ("slope-float32-max", "scl_slope at float32's maximum", (("scl_slope", None, FLOAT32_MAX),)),
    ("slope-subnormal", "scl_slope a float32 subnormal", (("scl_slope", None, 1e-45),)),
    ("sform-nan", "sform (code 1) with a NaN", (("sform_code", None, 1), ("srow_x", 0, np.nan))),
    ("sform-inf", "sform (code 1) with inf in the translation", (("sform_code", None, 1), ("srow_y", 3, np.inf))),
    ("sform-float32-max", "an sform element at float32's maximum", (("srow_z", 2, FLOAT32_MAX),)),
    (
        "sform-all-float32-max",
        "every sform rotation element near float32's maximum",
        tuple(("srow_" + axis, index, FLOAT32_MAX * (0.5 + 0.1 * index)) for axis in "xyz" for index in range(3)),
    ),
    ("sform-negative-float32-max", "an sform element at -float32's maximum", (("srow_x", 1, -FLOAT32_MAX),)),
    (
        "sform-zero",
        "sform code 1 with an all-zero matrix (singular)",
        tuple(("srow_" + a, None, [0.0] * 4) for a in "xyz"),
    ),
    ("sform-subnormal", "an sform element a float32 subnormal", (("srow_x", 1, 1e-45),)),
    ("sform-code-7", "sform_code 7 (invalid: nibabel falls back to the qform)", (("sform_code", None, 7),)),
    ("qform-code-7", "qform_code 7 and sform_code 0", (("sform_code", None, 0), ("qform_code", None, 7))),
    (
        "codes-zero",
        "sform_code and qform_code 0: nibabel's fallback affine",
        (("sform_code", None, 0), ("qform_code", None, 0)),
    ),
    (
        "qform-nan",
        "the qform (sform code 0) with a NaN quaternion",
        (("sform_code", None, 0), ("quatern_b", None, np.nan)),
    ),
    (
        "qform-not-unit",
        "quatern_b, c, d 1, 1, 1 (not a unit quaternion), sform code 0",
        (("sform_code", None, 0), ("quatern_b", None, 1.0), ("quatern_c", None, 1.0), ("quatern_d", None, 1.0)),
    ),
    ("qform-offset-inf", "qoffset_x inf, sform code 0", (("sform_code", None, 0), ("qoffset_x", None, np.inf))),
    ("qfac-zero", "pixdim[0] (qfac) 0, sform code 0", (("sform_code", None, 0), ("pixdim", 0, 0.0))),
    ("qfac-nan", "pixdim[0] (qfac) NaN, sform code 0", (("sform_code", None, 0), ("pixdim", 0, np.nan))),
    ("pixdim-nan", "pixdim[1] NaN, sform code 0", (("sform_code", None, 0), ("pixdim", 1, np.nan))),
    ("pixdim-zero", "pixdim[2] 0, sform code 0", (("sform_code", None, 0), ("pixdim", 2, 0.0))),
    ("pixdim-negative", "pixdim[3] -2, sform code 0", (("sform_code", None, 0), ("pixdim", 3, -2.0))),
    (
        "pixdim-float32-max",
        "pixdim[1] at float32's maximum, sform code 0",
        (("sform_code", None, 0), ("pixdim", 1, FLOAT32_MAX)),
    ),
    (
        "pixdim-inf-codes-zero",
        "pixdim[1] inf, both codes 0",
        (("sform_code", None, 0), ("qform_code", None, 0), ("pixdim", 1, np.inf)),
    ),
    ("sizeof-hdr-0", "sizeof_hdr 0", (("sizeof_hdr", None, 0),)),
    ("sizeof-hdr-349", "sizeof_hdr 349", (("sizeof_hdr", None, 349),)),
    ("sizeof-hdr-540", "sizeof_hdr 540 (NIfTI-2's) in a NIfTI-1 file", (("sizeof_hdr", None, 540),)),
    ("magic-pair", "magic 'ni1' (a pair's) in a single file", (("magic", None, b"ni1"),)),
    ("magic-nifti2", "magic 'n+2' in a NIfTI-1 header", (("magic", None, b"n+2"),)),
    ("magic-garbage", "magic 'xyz'", (("magic", None, b"xyz"),)),
)

NIFTI2_EDITS = (
    ("dims-2^40", "dim[1..3] 2^40: the voxel count overflows 64 bits", (("dim", None, [3, *[2**40] * 3, 1, 1, 1, 1]),)),
    ("dims-2^62", "dim[1] 2^62", (("dim", 1, 2**62),)),
    ("dim1-negative", "dim[1] -1", (("dim", 1, -1),)),
    ("dim0-zero", "dim[0] 0", (("dim", 0, 0),)),
    ("vox-offset-1", "vox_offset 1 (inside the header)", (("vox_offset", None, 1),)),
    ("vox-offset-int64-max", "vox_offset 2^63 - 1", (("vox_offset", None, 2**63 - 1),)),
    ("vox-offset-negative", "vox_offset -1", (("vox_offset", None, -1),)),
    ("datatype-999", "datatype 999", (("datatype", None, 999),)),
    ("slope-nan", "scl_slope NaN", (("scl_slope", None, np.nan),)),
    ("intercept-inf", "scl_slope 2 with scl_inter inf", (("scl_slope", None, 2.0), ("scl_inter", None, np.inf))),
    (
        "sform-subnormal",
        "an sform element the smallest float64 subnormal (valid: nibabel reads it)",
        (("srow_x", 1, SUBNORMAL),),
    ),
    (
        "sform-subnormals",
        "subnormal sform elements in every row",
        tuple(("srow_" + a, 1, SUBNORMAL * 7) for a in "xyz"),
    ),
    ("sform-nan", "an sform element NaN", (("srow_y", 0, np.nan),)),
    ("sform-float64-max", "an sform element near float64's maximum", (("srow_z", 2, 1.7e308),)),
    ("sform-float32-max", "an sform element at float32's maximum", (("srow_z", 2, FLOAT32_MAX),)),
    ("sform-code-7", "sform_code 7 (invalid: nibabel falls back)", (("sform_code", None, 7),)),
    ("sizeof-hdr-348", "sizeof_hdr 348 in a NIfTI-2 file", (("sizeof_hdr", None, 348),)),
    ("magic-nifti1", "magic 'n+1' in a NIfTI-2 header", (("magic", None, b"n+1"),)),
)

ANALYZE_EDITS = (
    (
        "glmax-glmin-int32-limits",
        "scl_slope 0, glmax/glmin at int32's limits with a cal range (glmax - glmin overflows int32)",
        (
            ("scl_slope", None, 0.0),
            ("glmax", None, 2**31 - 1),
            ("glmin", None, -(2**31)),
            ("cal_max", None, 10.0),
            ("cal_min", None, -10.0),
        ),
    ),
    (
        "glmax-equals-glmin",
        "scl_slope 0, glmax = glmin with a cal range (a zero range)",
        (
            ("scl_slope", None, 0.0),
            ("glmax", None, 7),
            ("glmin", None, 7),
            ("cal_max", None, 10.0),
            ("cal_min", None, -10.0),
        ),
    ),
    (
        "cal-max-nan",
        "scl_slope 0, cal_max NaN",
        (
            ("scl_slope", None, 0.0),
            ("glmax", None, 1000),
            ("glmin", None, -1000),
            ("cal_max", None, np.nan),
            ("cal_min", None, 0.0),
        ),
    ),
    ("slope-nan", "scale factor (funused1) NaN", (("scl_slope", None, np.nan),)),
    ("slope-inf", "scale factor inf", (("scl_slope", None, np.inf),)),
    ("intercept-inf", "SPM2 intercept inf", (("scl_slope", None, 2.0), ("scl_inter", None, np.inf))),
    ("dim1-zero", "dim[1] 0", (("dim", 1, 0),)),
    ("dim2-negative", "dim[2] -3", (("dim", 2, -3),)),
    ("dims-huge", "dim[1..3] 32767", (("dim", None, [3, *[HUGE_16] * 3, 1, 1, 1, 1]),)),
    ("datatype-999", "datatype 999", (("datatype", None, 999),)),
    ("pixdim-nan", "pixdim[1] NaN", (("pixdim", 1, np.nan),)),
    ("origin-limits", "SPM origin at int16's limits", (("origin", None, [32767, -32768, 32767, 0, 0]),)),
    ("vox-offset-1e20", "vox_offset 1e20", (("vox_offset", None, 1e20),)),
    ("vox-offset-nan", "vox_offset NaN", (("vox_offset", None, np.nan),)),
    ("vox-offset-negative", "vox_offset -8", (("vox_offset", None, -8.0),)),
)


def _mgh_field(offset: int, fmt: str, *values):
    return offset, struct.pack(fmt, *values)


MGH_EDITS = (
    ("version-2", "version 2", *_mgh_field(0, ">i", 2)),
    ("width-zero", "width 0", *_mgh_field(4, ">i", 0)),
    ("width-negative", "width -1", *_mgh_field(4, ">i", -1)),
    (
        "dims-huge",
        "width, height, depth 2^31 - 1: the voxel count overflows 64 bits",
        *_mgh_field(4, ">3i", *[2**31 - 1] * 3),
    ),
    ("depth-huge", "depth 2^31 - 1", *_mgh_field(12, ">i", 2**31 - 1)),
    ("frames-zero", "nframes 0", *_mgh_field(16, ">i", 0)),
    ("frames-negative", "nframes -7", *_mgh_field(16, ">i", -7)),
    ("frames-huge", "nframes 2^31 - 1", *_mgh_field(16, ">i", 2**31 - 1)),
    ("type-99", "type code 99", *_mgh_field(20, ">i", 99)),
    ("type-int32", "type code 1 (int32) on float32 data", *_mgh_field(20, ">i", 1)),
    ("good-ras-minus-1", "goodRASFlag -1", *_mgh_field(28, ">h", -1)),
    ("delta-nan", "a voxel size NaN", *_mgh_field(30, ">f", np.nan)),
    ("delta-zero", "a voxel size 0", *_mgh_field(34, ">f", 0.0)),
    ("delta-inf", "a voxel size inf", *_mgh_field(38, ">f", np.inf)),
    ("delta-float32-max", "a voxel size at float32's maximum", *_mgh_field(30, ">f", FLOAT32_MAX)),
    ("mdc-nan", "a direction cosine NaN", *_mgh_field(42, ">f", np.nan)),
    ("mdc-zero", "every direction cosine 0 (singular)", *_mgh_field(42, ">9f", *[0.0] * 9)),
    ("centre-inf", "the centre's x inf", *_mgh_field(78, ">f", np.inf)),
)


def _header_edit_cases() -> list[Case]:
    cases = []

    def add(base, header_class, label, exercises, edits):
        name = f"edit-{base}-{label}"
        fmt = BASES[base].format
        cases.append(
            Case(
                name,
                fmt,
                "header-edit",
                "nibabel",
                exercises,
                functools.partial(_write_edited, base, header_class, edits),
            )
        )

    for label, exercises, edits in NIFTI1_EDITS:
        add("nifti1.nii", N1, label, exercises, edits)
    for label in (
        "dims-huge",
        "dims-product-overflows",
        "vox-offset-1e20",
        "vox-offset-nan",
        "datatype-999",
        "sform-nan",
    ):
        _, exercises, edits = next(edit for edit in NIFTI1_EDITS if edit[0] == label)
        add("nifti1.nii.gz", N1, label, exercises, edits)
    for label in ("vox-offset-1", "vox-offset-1e20", "dims-huge", "datatype-999", "magic-garbage"):
        _, exercises, edits = next(edit for edit in NIFTI1_EDITS if edit[0] == label)
        add(
            "nifti1-pair.hdr",
            nib.nifti1.Nifti1PairHeader,
            label,
            exercises + " (a pair: the offset is into the .img)",
            edits,
        )
    for label, exercises, edits in NIFTI2_EDITS:
        add("nifti2.nii", N2, label, exercises, edits)
    for label in ("dims-2^40", "sform-subnormal", "vox-offset-int64-max"):
        _, exercises, edits = next(edit for edit in NIFTI2_EDITS if edit[0] == label)
        add("nifti2.nii.gz", N2, label, exercises, edits)
    for label, exercises, edits in ANALYZE_EDITS:
        add("analyze.hdr", nib.Spm2AnalyzeHeader, label, exercises, edits)
    for base in ("mgh.mgh", "mgh.mgz"):
        for label, exercises, offset, packed in MGH_EDITS:
            if base == "mgh.mgz" and label not in ("dims-huge", "type-99", "width-zero", "frames-huge", "mdc-nan"):
                continue
            name = f"edit-{base}-{label}"
            write = functools.partial(_write_bytes_edited, base, offset, packed)
            cases.append(Case(name, "mgh", "header-edit", "nibabel", exercises, write))
    cases += _nifti_extension_cases()
    cases += _text_header_edit_cases()
    return cases


def _write_nifti_extension(extension: bytes, vox_offset: int, directory: Path) -> Path:
    """A .nii whose extension area (after byte 348) is `extension`, the voxels at `vox_offset`."""
    path = write_nifti(directory)
    raw = path.read_bytes()
    header = N1.from_fileobj(io.BytesIO(raw), check=False)
    header["vox_offset"] = vox_offset
    data = raw[352:]
    area = (extension + bytes(max(0, vox_offset - 348 - len(extension))))[: max(0, vox_offset - 348)]
    path.write_bytes(header.binaryblock + area + data)
    return path


def _nifti_extension_cases() -> list[Case]:
    cases = []
    for label, exercises, extension, vox_offset in (
        ("flag-no-room", "extension flag 1 but vox_offset 352: no room for an extension", b"\x01\0\0\0", 352),
        (
            "esize-zero",
            "an extension of esize 0 (a loop that never advances)",
            b"\x01\0\0\0" + struct.pack("<ii", 0, 6),
            368,
        ),
        ("esize-huge", "an extension of esize 2^31 - 1", b"\x01\0\0\0" + struct.pack("<ii", 2**31 - 1, 6), 368),
        ("esize-negative", "an extension of esize -16", b"\x01\0\0\0" + struct.pack("<ii", -16, 6), 368),
        (
            "esize-odd",
            "an extension of esize 13 (not a multiple of 16)",
            b"\x01\0\0\0" + struct.pack("<ii", 13, 6) + bytes(8),
            368,
        ),
    ):
        name = f"edit-nifti1.nii-extension-{label}"
        write = functools.partial(_write_nifti_extension, extension, vox_offset)
        cases.append(Case(name, "nifti1", "header-edit", "nibabel", exercises, write))
    return cases


def _write_text_edited(base_name: str, old: bytes, new: bytes, count: int, directory: Path) -> Path:
    path = _good(base_name, directory)
    header = BASES[base_name].header_of(path)
    raw = header.read_bytes()
    if old not in raw:
        raise RuntimeError(f"{header}: no {old!r} to replace")
    header.write_bytes(raw.replace(old, new, count))
    return path


PAR_FIRST_IMAGE = b"  1   1    1  1 0 2     0  16    62   64   64    -0.69352   0.65184 4.78462e-003"
AFNI_DIMENSIONS = b"name = DATASET_DIMENSIONS\ncount = 5\n 47 54 43 0 0"
AFNI_FACTORS = b"name  = BRICK_FLOAT_FACS\ncount = 1\n   3.883363e-08"


def _text_header_edit_cases() -> list[Case]:
    edits = (
        (
            "parrec.PAR",
            "slices-huge",
            "Max. number of slices 900000",
            b"slices/locations    :   9",
            b"slices/locations    :   900000",
            1,
        ),
        (
            "parrec.PAR",
            "pixel-size-12",
            "pixel size 12 bits in the first image line",
            PAR_FIRST_IMAGE,
            PAR_FIRST_IMAGE.replace(b"  16 ", b"  12 "),
            1,
        ),
        (
            "parrec.PAR",
            "resolution-zero",
            "recon resolution 0 x 0",
            PAR_FIRST_IMAGE,
            PAR_FIRST_IMAGE.replace(b"64   64", b" 0    0"),
            1,
        ),
        (
            "parrec.PAR",
            "resolution-huge",
            "recon resolution 99999 x 99999",
            PAR_FIRST_IMAGE,
            PAR_FIRST_IMAGE.replace(b"64   64", b"99999 99999"),
            1,
        ),
        (
            "parrec.PAR",
            "slope-nan",
            "rescale slope nan",
            PAR_FIRST_IMAGE,
            PAR_FIRST_IMAGE.replace(b"0.65184", b"nan    "),
            1,
        ),
        (
            "parrec.PAR",
            "index-past-end",
            "image index 9999 (past the end of the REC)",
            PAR_FIRST_IMAGE,
            PAR_FIRST_IMAGE.replace(b"2     0  16", b"2  9999  16"),
            1,
        ),
        (
            "afni.HEAD",
            "dims-huge",
            "DATASET_DIMENSIONS 2^31 - 1",
            AFNI_DIMENSIONS,
            AFNI_DIMENSIONS.replace(b"47 54 43", b"2147483647 2147483647 2147483647"),
            1,
        ),
        (
            "afni.HEAD",
            "dims-zero",
            "DATASET_DIMENSIONS 0",
            AFNI_DIMENSIONS,
            AFNI_DIMENSIONS.replace(b"47 54 43", b"0 54 43"),
            1,
        ),
        (
            "afni.HEAD",
            "dims-negative",
            "DATASET_DIMENSIONS -47",
            AFNI_DIMENSIONS,
            AFNI_DIMENSIONS.replace(b"47 54 43", b"-47 54 43"),
            1,
        ),
        (
            "afni.HEAD",
            "brick-type-9",
            "BRICK_TYPES 9 (no such type)",
            b"name = BRICK_TYPES\ncount = 1\n 1",
            b"name = BRICK_TYPES\ncount = 1\n 9",
            1,
        ),
        (
            "afni.HEAD",
            "factor-nan",
            "BRICK_FLOAT_FACS nan",
            AFNI_FACTORS,
            AFNI_FACTORS.replace(b"3.883363e-08", b"nan"),
            1,
        ),
        (
            "afni.HEAD",
            "delta-zero",
            "DELTA 0",
            b"count = 3\n             -3             -3              3",
            b"count = 3\n              0             -3              3",
            1,
        ),
    )
    cases = []
    for base, label, exercises, old, new, count in edits:
        name = f"edit-{base}-{label}"
        write = functools.partial(_write_text_edited, base, old, new, count)
        cases.append(Case(name, BASES[base].format, "header-edit", "nibabel", exercises, write))
    return cases


# -- Damaged gzip and zlib streams ---------------------------------------------------------------------------


def _xor_middle(raw: bytes, count=48) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + bytes(byte ^ 0x5A for byte in raw[middle : middle + count]) + raw[middle + count :]


def _set_byte(raw: bytes, position: int, value: int) -> bytes:
    return raw[:position] + bytes([value]) + raw[position + 1 :]


def _xor_byte(raw: bytes, position: int, mask: int) -> bytes:
    return _set_byte(raw, position % len(raw), raw[position % len(raw)] ^ mask)


def _stored_block_bad_length(payload: bytes) -> bytes:
    """A gzip member with one stored deflate block whose NLEN is not LEN's complement."""
    size = min(len(payload), 65535)
    block = b"\x01" + struct.pack("<HH", size, 0x1234) + payload[:size]
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + block + struct.pack("<II", zlib.crc32(payload[:size]), size)


def _gzip_name_unterminated(raw: bytes) -> bytes:
    """FNAME set, and the name runs to the end of the file."""
    return raw[:3] + bytes([raw[3] | 0x08]) + raw[4:10] + b"a" * 200


def _gzip_extra_huge(raw: bytes) -> bytes:
    """FEXTRA set with XLEN 65535: the extra field runs past the end of the file."""
    return raw[:3] + bytes([raw[3] | 0x04]) + raw[4:10] + b"\xff\xff" + raw[10:]


# label, what it exercises, change(compressed bytes, decompressed bytes, rng) -> compressed bytes, expectation
GZIP_DAMAGE = (
    ("bad-crc", "the gzip trailer's CRC-32 wrong", lambda raw, plain, rng: _xor_byte(raw, -8, 0xFF), "error"),
    ("bad-isize", "the gzip trailer's size wrong", lambda raw, plain, rng: _xor_byte(raw, -4, 0x01), "error"),
    ("garbled", "48 garbled bytes in the deflate stream", lambda raw, plain, rng: _xor_middle(raw), "error"),
    ("bad-magic", "gzip magic 1f 8c", lambda raw, plain, rng: _set_byte(raw, 1, 0x8C), "error"),
    ("bad-method", "gzip compression method 7", lambda raw, plain, rng: _set_byte(raw, 2, 7), "error"),
    (
        "reserved-flags",
        "reserved gzip flag bits set (RFC 1952 and zlib refuse them, Python's gzip reads on)",
        lambda raw, plain, rng: _set_byte(raw, 3, 0xE0),
        "either",
    ),
    ("name-unterminated", "FNAME set with no end", lambda raw, plain, rng: _gzip_name_unterminated(raw), "error"),
    ("extra-huge", "FEXTRA of 65535 bytes past the end", lambda raw, plain, rng: _gzip_extra_huge(raw), "error"),
    (
        "random-deflate",
        "the deflate data replaced by random bytes",
        lambda raw, plain, rng: raw[:10] + rng.bytes(len(raw) - 18) + raw[-8:],
        "error",
    ),
    (
        "stored-block-bad-nlen",
        "a stored block whose NLEN is wrong",
        lambda raw, plain, rng: _stored_block_bad_length(plain),
        "error",
    ),
    ("empty-file", "an empty file", lambda raw, plain, rng: b"", "error"),
    ("empty-payload", "a valid gzip stream of nothing", lambda raw, plain, rng: _gzip(b""), "error"),
    ("header-only", "a gzip header and nothing else", lambda raw, plain, rng: raw[:10], "error"),
    (
        "second-member-truncated",
        "a second, truncated member after a good one",
        lambda raw, plain, rng: raw + raw[: len(raw) // 2],
        "either",
    ),
    (
        "trailing-garbage",
        "64 random bytes after the stream",
        lambda raw, plain, rng: raw + b"\x55" + rng.bytes(63),
        "either",
    ),
)
GZIP_TARGETS = {
    "nifti1.nii.gz": None,  # every damage
    "mgh.mgz": None,
    "nifti2.nii.gz": ("bad-crc", "garbled", "random-deflate", "empty-payload", "trailing-garbage"),
    "nifti1-pair.hdr.gz": ("bad-crc", "garbled", "header-only", "trailing-garbage"),
    "nrrd-gzip.nrrd": (
        "bad-crc",
        "bad-isize",
        "garbled",
        "bad-magic",
        "random-deflate",
        "header-only",
        "empty-payload",
        "trailing-garbage",
    ),
    "nrrd-detached-gzip.nhdr": ("bad-crc", "garbled", "empty-file", "trailing-garbage"),
    "afni-gzip.HEAD": ("bad-crc", "garbled", "empty-file", "trailing-garbage"),
}


def _write_gzip_damaged(base_name: str, label: str, name: str, directory: Path) -> Path:
    base = BASES[base_name]
    change = next(damage[2] for damage in GZIP_DAMAGE if damage[0] == label)
    path = base.write(directory)
    target = base.data_of(path)
    raw = target.read_bytes()
    offset = _text_header_length(raw) if base.format == "nrrd" and target == path else 0
    stream = raw[offset:]
    target.write_bytes(raw[:offset] + change(stream, gzip.decompress(stream), np.random.default_rng(seed_of(name))))
    return path


# label, exercises, change(zlib data, raw data, rng) -> zlib data, CompressedDataSize change
ZLIB_DAMAGE = (
    ("bad-adler", "the zlib stream's Adler-32 wrong", lambda data, plain, rng: _xor_byte(data, -1, 0xFF)),
    ("garbled", "48 garbled bytes in the zlib stream", lambda data, plain, rng: _xor_middle(data)),
    ("bad-zlib-header", "a zlib header whose check bits fail", lambda data, plain, rng: _xor_byte(data, 1, 0x01)),
    ("truncated-stream", "the zlib stream cut in the middle", lambda data, plain, rng: data[: len(data) // 2]),
    ("random", "random bytes instead of a zlib stream", lambda data, plain, rng: rng.bytes(len(data))),
    ("empty-stream", "an empty zlib stream (no bytes)", lambda data, plain, rng: b""),
    (
        "short-payload",
        "a valid zlib stream of half the voxels",
        lambda data, plain, rng: zlib.compress(plain[: len(plain) // 2]),
    ),
)


def _metaimage_zlib_damaged(label: str, name: str, fields, data):
    change = next(damage[2] for damage in ZLIB_DAMAGE if damage[0] == label)
    plain = zlib.decompress(data)
    damaged = change(data, plain, np.random.default_rng(seed_of(name)))
    fields = [(key, str(len(damaged)) if key == "CompressedDataSize" else value) for key, value in fields]
    return fields, damaged


def _gzip_cases() -> list[Case]:
    cases = []
    for base_name, labels in GZIP_TARGETS.items():
        base = BASES[base_name]
        for label, exercises, _, expect in GZIP_DAMAGE:
            if labels is not None and label not in labels:
                continue
            name = f"gzip-{base_name}-{label}"
            where = "its data file: " if base.data_of(Path("x")) != Path("x") else ""
            write = functools.partial(_write_gzip_damaged, base_name, label, name)
            cases.append(Case(name, base.format, "gzip", expect, where + exercises, write))
    for filename in ("x.mha", "x.mhd"):
        for label, exercises, _ in ZLIB_DAMAGE:
            name = f"zlib-metaimage-{filename.removeprefix('x.')}-{label}"
            edit = functools.partial(_metaimage_zlib_damaged, label, name)
            write = functools.partial(write_metaimage, filename=filename, compressed=True, edit=edit)
            cases.append(Case(name, "metaimage", "gzip", "error", f"CompressedData: {exercises}", write))
    return cases


# -- .npy headers --------------------------------------------------------------------------------------------

NPY_DATA = base_values("float32", seed=3).tobytes()
GOOD_NPY_HEADER = b"{'descr': '<f4', 'fortran_order': False, 'shape': (6, 5, 4), }"

# label, exercises, header text, data, expectation, npy_bytes options
NPY_CASES = (
    ("bad-magic", "magic \\x93NUMPZ", GOOD_NPY_HEADER, NPY_DATA, "error", {"magic": b"\x93NUMPZ"}),
    ("version-9", "format version 9.0", GOOD_NPY_HEADER, NPY_DATA, "error", {"version": (9, 0)}),
    ("version-1-1", "format version 1.1", GOOD_NPY_HEADER, NPY_DATA, "error", {"version": (1, 1)}),
    ("version-0", "format version 0.0", GOOD_NPY_HEADER, NPY_DATA, "error", {"version": (0, 0)}),
    (
        "header-length-past-end",
        "HEADER_LEN 65535 in a small file",
        GOOD_NPY_HEADER,
        NPY_DATA,
        "error",
        {"length": 65535},
    ),
    (
        "v2-header-length-huge",
        "v2 HEADER_LEN 2^32 - 1",
        GOOD_NPY_HEADER,
        NPY_DATA,
        "error",
        {"version": (2, 0), "length": 2**32 - 1},
    ),
    ("header-length-short", "HEADER_LEN 10, inside the dict", GOOD_NPY_HEADER, NPY_DATA, "error", {"length": 10}),
    ("header-length-zero", "HEADER_LEN 0", GOOD_NPY_HEADER, NPY_DATA, "error", {"length": 0}),
    (
        "non-ascii",
        "a Latin-1 byte in a v1 header (which must be ASCII)",
        GOOD_NPY_HEADER.replace(b"}", b"'\xe9': 1, }"),
        NPY_DATA,
        "error",
        {},
    ),
    (
        "v3-utf8-key",
        "a v3 header (UTF-8) with a non-ASCII key",
        GOOD_NPY_HEADER.replace(b"}", "'é': 1, }".encode()),
        NPY_DATA,
        "error",
        {"version": (3, 0)},
    ),
    ("not-a-dict", "the header a list", b"[1, 2, 3]", NPY_DATA, "error", {}),
    ("not-python", "the header not a Python literal", b"{'descr': <f4,", NPY_DATA, "error", {}),
    ("missing-shape", "no 'shape' key", b"{'descr': '<f4', 'fortran_order': False, }", NPY_DATA, "error", {}),
    ("extra-key", "an extra key", GOOD_NPY_HEADER.replace(b"}", b"'extra': 1, }"), NPY_DATA, "error", {}),
    ("descr-garbage", "descr 'garbage'", GOOD_NPY_HEADER.replace(b"<f4", b"garbage"), NPY_DATA, "error", {}),
    ("descr-object", "descr '|O' (objects: pickles)", GOOD_NPY_HEADER.replace(b"<f4", b"|O"), NPY_DATA, "error", {}),
    ("descr-void", "descr '|V4' (raw bytes)", GOOD_NPY_HEADER.replace(b"<f4", b"|V4"), NPY_DATA, "either", {}),
    (
        "descr-structured",
        "a structured descr",
        GOOD_NPY_HEADER.replace(b"'<f4'", b"[('a', '<f4')]"),
        NPY_DATA,
        "either",
        {},
    ),
    ("descr-unicode", "descr '<U1' (text)", GOOD_NPY_HEADER.replace(b"<f4", b"<U1"), NPY_DATA, "either", {}),
    ("descr-number", "descr 4 (not a string)", GOOD_NPY_HEADER.replace(b"'<f4'", b"4"), NPY_DATA, "error", {}),
    ("shape-negative", "shape (-1, 5, 4)", GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"(-1, 5, 4)"), NPY_DATA, "error", {}),
    (
        "shape-huge",
        "shape (2^40, 2^40): far more than the file holds",
        GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"(1099511627776, 1099511627776)"),
        NPY_DATA,
        "error",
        {},
    ),
    (
        "shape-product-overflows",
        "a shape whose product overflows 64 bits",
        GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"(4294967296, 4294967296, 4294967296)"),
        NPY_DATA,
        "error",
        {},
    ),
    (
        "shape-not-tuple",
        "shape 120 (not a tuple)",
        GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"120"),
        NPY_DATA,
        "error",
        {},
    ),
    ("shape-float", "shape (6.0, 5, 4)", GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"(6.0, 5, 4)"), NPY_DATA, "error", {}),
    (
        "shape-zero",
        "shape (0, 5, 4): no voxels",
        GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"(0, 5, 4)"),
        b"",
        "either",
        {},
    ),
    ("shape-scalar", "shape (): a 0-d array", GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"()"), NPY_DATA[:4], "either", {}),
    (
        "shape-7d",
        "a 7-D shape",
        GOOD_NPY_HEADER.replace(b"(6, 5, 4)", b"(1, 2, 3, 1, 2, 5, 2)"),
        NPY_DATA,
        "either",
        {},
    ),
    ("fortran-order-string", "fortran_order 'yes'", GOOD_NPY_HEADER.replace(b"False", b"'yes'"), NPY_DATA, "error", {}),
    ("fortran-order-int", "fortran_order 1", GOOD_NPY_HEADER.replace(b"False", b"1"), NPY_DATA, "error", {}),
    ("fortran-order-none", "fortran_order None", GOOD_NPY_HEADER.replace(b"False", b"None"), NPY_DATA, "error", {}),
    ("data-one-short", "the data one byte short", GOOD_NPY_HEADER, NPY_DATA[:-1], "error", {}),
    ("data-half", "half the data", GOOD_NPY_HEADER, NPY_DATA[: len(NPY_DATA) // 2], "error", {}),
    ("data-none", "no data at all", GOOD_NPY_HEADER, b"", "error", {}),
    ("data-trailing", "64 bytes after the data", GOOD_NPY_HEADER, NPY_DATA + bytes(64), "either", {}),
    (
        "no-newline",
        "the header not ending in a newline",
        GOOD_NPY_HEADER + b" " * 6,
        NPY_DATA,
        "either",
        {"length": None},
    ),
)


def _write_npy_case(header: bytes, data: bytes, options: dict, directory: Path) -> Path:
    path = directory / "x.npy"
    options = dict(options)
    if options.get("length", 0) is None:  # the header written without padding or newline
        options.pop("length")
        raw = npy_bytes(header, data, **options)
        text_start = 10
        text = raw[text_start : -len(data) or None].rstrip(b"\n ")
        text += b" " * (-(text_start + len(text)) % 64)
        raw = raw[:8] + struct.pack("<H", len(text)) + text + data
    else:
        raw = npy_bytes(header, data, **options)
    path.write_bytes(raw)
    return path


def _npy_cases() -> list[Case]:
    cases = []
    for label, exercises, header, data, expect, options in NPY_CASES:
        write = functools.partial(_write_npy_case, header, data, options)
        cases.append(Case(f"npy-{label}", "npy", "npy-header", expect, exercises, write))
    return cases


# -- MetaImage -----------------------------------------------------------------------------------------------


def _set_fields(changes: dict, fields, data):
    """Replace (or, for new keys, add before ElementDataFile) header fields; a value None removes the field."""
    out = [(key, changes.get(key, value)) for key, value in fields if changes.get(key, value) is not None]
    known = {key for key, _ in fields}
    extra = [(key, value) for key, value in changes.items() if key not in known and value is not None]
    return out[:-1] + extra + out[-1:], data


def _data_changed(change: Callable[[bytes], bytes], fields, data):
    return fields, change(data)


def _tiny_claim(fields, data):
    """2^32 voxels claimed, a few hundred bytes of zlib data: a ~700-byte file."""
    del data
    payload = zlib.compress(bytes(range(256)) * 2)
    return _set_fields(
        {"DimSize": "2048 2048 1024", "ElementType": "MET_UCHAR", "CompressedDataSize": str(len(payload))},
        fields,
        payload,
    )


METAIMAGE_CASES = (
    ("ndims-minus-1", "NDims = -1", {"NDims": "-1"}, "error"),
    ("ndims-zero", "NDims = 0", {"NDims": "0"}, "error"),
    ("ndims-huge", "NDims = 1000000", {"NDims": "1000000"}, "error"),
    ("ndims-2^31", "NDims = 2147483648", {"NDims": "2147483648"}, "error"),
    ("ndims-text", "NDims = three", {"NDims": "three"}, "error"),
    ("dimsize-zero", "DimSize 0 5 4", {"DimSize": "0 5 4"}, "error"),
    ("dimsize-negative", "DimSize -6 5 4", {"DimSize": "-6 5 4"}, "error"),
    ("dimsize-huge", "DimSize 2^31 - 1 three times", {"DimSize": "2147483647 2147483647 2147483647"}, "error"),
    (
        "dimsize-overflows",
        "DimSize whose product overflows 64 bits",
        {"DimSize": "4294967296 4294967296 4294967296"},
        "error",
    ),
    ("dimsize-too-few", "DimSize with two sizes for three dimensions", {"DimSize": "6 5"}, "error"),
    ("dimsize-text", "DimSize six 5 4", {"DimSize": "six 5 4"}, "error"),
    ("dimsize-missing", "no DimSize", {"DimSize": None}, "error"),
    ("channels-zero", "ElementNumberOfChannels = 0", {"ElementNumberOfChannels": "0"}, "error"),
    ("channels-negative", "ElementNumberOfChannels = -3", {"ElementNumberOfChannels": "-3"}, "error"),
    ("channels-huge", "ElementNumberOfChannels = 2^31 - 1", {"ElementNumberOfChannels": "2147483647"}, "error"),
    (
        "channels-two",
        "ElementNumberOfChannels = 2: half the data the header needs",
        {"ElementNumberOfChannels": "2"},
        "error",
    ),
    ("type-unknown", "ElementType = MET_BOGUS", {"ElementType": "MET_BOGUS"}, "error"),
    ("type-missing", "no ElementType", {"ElementType": None}, "error"),
    ("type-wider", "ElementType = MET_DOUBLE: four times the data there is", {"ElementType": "MET_DOUBLE"}, "error"),
    ("data-file-missing", "no ElementDataFile", {"ElementDataFile": None}, "error"),
    ("data-file-empty", "ElementDataFile = (nothing)", {"ElementDataFile": ""}, "error"),
    (
        "data-file-absent",
        "ElementDataFile naming a file that does not exist",
        {"ElementDataFile": "absent.raw"},
        "error",
    ),
    ("data-file-list", "ElementDataFile = LIST with no files", {"ElementDataFile": "LIST"}, "error"),
    (
        "data-file-pattern",
        "ElementDataFile a pattern with no files",
        {"ElementDataFile": "slice%03d.raw 1 4 1"},
        "error",
    ),
    ("header-size-huge", "HeaderSize past the end of the file", {"HeaderSize": "1000000"}, "error"),
    ("header-size-minus-2", "HeaderSize = -2", {"HeaderSize": "-2"}, "either"),
    ("spacing-nan", "ElementSpacing NaN", {"ElementSpacing": "nan 2 2.5"}, "either"),
    ("spacing-zero", "ElementSpacing 0", {"ElementSpacing": "0 2 2.5"}, "either"),
    ("spacing-negative", "ElementSpacing -1.5", {"ElementSpacing": "-1.5 2 2.5"}, "either"),
    ("matrix-nan", "TransformMatrix with NaN", {"TransformMatrix": "nan 0 0 0 1 0 0 0 1"}, "either"),
    ("matrix-singular", "TransformMatrix all zeros", {"TransformMatrix": "0 0 0 0 0 0 0 0 0"}, "either"),
    (
        "matrix-float32-max",
        "TransformMatrix near float32's maximum",
        {"TransformMatrix": "3.4e38 0 0 0 3.4e38 0 0 0 3.4e38"},
        "either",
    ),
    ("offset-inf", "Offset inf", {"Offset": "inf 0 0"}, "either"),
    ("ascii-data", "BinaryData = False (text voxels) on binary data", {"BinaryData": "False"}, "either"),
    ("compressed-not", "CompressedData = True on raw data", {"CompressedData": "True"}, "error"),
)


def _metaimage_cases() -> list[Case]:
    cases = []
    for filename in ("x.mha", "x.mhd"):
        suffix = filename.removeprefix("x.")
        for label, exercises, changes, expect in METAIMAGE_CASES:
            if suffix == "mhd" and label not in (
                "ndims-minus-1",
                "dimsize-overflows",
                "channels-zero",
                "type-unknown",
                "data-file-absent",
            ):
                continue
            edit = functools.partial(_set_fields, changes)
            write = functools.partial(write_metaimage, filename=filename, edit=edit)
            cases.append(Case(f"metaimage-{suffix}-{label}", "metaimage", "metaimage", expect, exercises, write))
    more = (
        ("mha-local-truncated", "x.mha", "LOCAL data one voxel short", {}, lambda data: data[:-2]),
        ("mha-local-half", "x.mha", "LOCAL data half missing", {}, lambda data: data[: len(data) // 2]),
        ("mha-local-none", "x.mha", "LOCAL and no data after the header", {}, lambda data: b""),
        ("mhd-raw-short", "x.mhd", "the .raw one voxel short", {}, lambda data: data[:-2]),
    )
    for label, filename, exercises, _, change in more:
        write = functools.partial(write_metaimage, filename=filename, edit=functools.partial(_data_changed, change))
        cases.append(Case(f"metaimage-{label}", "metaimage", "metaimage", "error", exercises, write))
    for label, exercises, changes in (
        ("compressed-size-zero", "CompressedDataSize = 0", {"CompressedDataSize": "0"}),
        ("compressed-size-huge", "CompressedDataSize past the end of the file", {"CompressedDataSize": "100000000"}),
        ("compressed-size-negative", "CompressedDataSize = -1", {"CompressedDataSize": "-1"}),
        (
            "compressed-dims-huge",
            "compressed, DimSize 2^31 - 1 three times",
            {"DimSize": "2147483647 2147483647 2147483647"},
        ),
    ):
        write = functools.partial(write_metaimage, compressed=True, edit=functools.partial(_set_fields, changes))
        cases.append(Case(f"metaimage-mha-{label}", "metaimage", "metaimage", "error", exercises, write))
    write = functools.partial(write_metaimage, compressed=True, edit=_tiny_claim)
    exercises = "a ~700-byte compressed .mha claiming 2^32 voxels (2048 x 2048 x 1024 uint8)"
    cases.append(Case("metaimage-mha-tiny-file-2^32-voxels", "metaimage", "metaimage", "error", exercises, write))
    return cases


# -- NRRD ------------------------------------------------------------------------------------------------------

NRRD_CASES = (
    ("sizes-overflow", "sizes whose product overflows 64 bits", {"sizes": "4294967296 4294967296 4294967296"}, "error"),
    ("sizes-huge", "sizes 2^31 - 1 three times", {"sizes": "2147483647 2147483647 2147483647"}, "error"),
    (
        "sizes-product-2^64",
        "sizes 2^32 x 2^32 x 1: the product is 2^64 (0 modulo 2^64)",
        {"sizes": "4294967296 4294967296 1"},
        "error",
    ),
    ("sizes-zero", "sizes 0 5 4", {"sizes": "0 5 4"}, "error"),
    ("sizes-negative", "sizes -6 5 4", {"sizes": "-6 5 4"}, "error"),
    ("sizes-too-few", "two sizes for dimension 3", {"sizes": "6 5"}, "error"),
    ("dimension-zero", "dimension 0", {"dimension": "0"}, "error"),
    ("dimension-negative", "dimension -1", {"dimension": "-1"}, "error"),
    ("dimension-17", "dimension 17 (NRRD's limit is 16)", {"dimension": "17"}, "error"),
    ("type-bogus", "type bogus", {"type": "bogus"}, "error"),
    ("type-block", "type block without a block size", {"type": "block"}, "error"),
    ("type-wider", "type double: four times the data there is", {"type": "double"}, "error"),
    ("encoding-bogus", "encoding bogus", {"encoding": "bogus"}, "error"),
    (
        "encoding-gzip-on-raw",
        "encoding gzip on raw data (zlib reads data with no gzip header as it is)",
        {"encoding": "gzip"},
        "either",
    ),
    ("endian-missing", "no endian for 16-bit data", {"endian": None}, "error"),
    ("line-skip-huge", "line skip 1000000", {"line skip": "1000000"}, "error"),
    ("byte-skip-huge", "byte skip 10^12", {"byte skip": "1000000000000"}, "error"),
    ("byte-skip-minus-1", "byte skip -1 (the data at the end of the file)", {"byte skip": "-1"}, "either"),
    ("directions-nan", "a NaN space direction", {"space directions": "(nan,0,0) (0,2,0) (0,0,2.5)"}, "either"),
    ("directions-zero", "a zero space direction", {"space directions": "(0,0,0) (0,2,0) (0,0,2.5)"}, "either"),
    ("origin-inf", "space origin inf", {"space origin": "(inf,0,0)"}, "either"),
    ("data-file-missing", "data file naming a file that does not exist", {"data file": "absent.raw"}, "error"),
    ("data-file-list-empty", "data file LIST with no files", {"data file": "LIST"}, "error"),
)


def _write_nrrd_case(changes: dict, encoding: str, magic: str, directory: Path) -> Path:
    def edit(fields, data):
        out = [(key, changes.get(key, value)) for key, value in fields if changes.get(key, value) is not None]
        known = {key for key, _ in fields}
        out += [(key, value) for key, value in changes.items() if key not in known and value is not None]
        return out, data

    path = write_nrrd(directory, encoding=encoding, edit=edit)
    if magic != "NRRD0004":
        path.write_bytes(path.read_bytes().replace(b"NRRD0004", magic.encode(), 1))
    return path


def _nrrd_cases() -> list[Case]:
    cases = []
    for label, exercises, changes, expect in NRRD_CASES:
        write = functools.partial(_write_nrrd_case, changes, "raw", "NRRD0004")
        cases.append(Case(f"nrrd-{label}", "nrrd", "nrrd", expect, exercises, write))
    for label, exercises, changes in (
        (
            "gzip-sizes-overflow",
            "gzip, sizes whose product overflows 64 bits",
            {"sizes": "4294967296 4294967296 4294967296"},
        ),
        (
            "gzip-sizes-huge",
            "gzip, sizes 2^20 three times (a memory ceiling, not the file size, must refuse it)",
            {"sizes": "1048576 1048576 1048576"},
        ),
        ("gzip-type-wider", "gzip, type double: four times the data there is", {"type": "double"}),
    ):
        write = functools.partial(_write_nrrd_case, changes, "gzip", "NRRD0004")
        cases.append(Case(f"nrrd-{label}", "nrrd", "nrrd", "error", exercises, write))
    for label, exercises, magic in (
        ("magic-9", "magic NRRD0009", "NRRD0009"),
        ("magic-bad", "magic NRRDXXXX", "NRRDXXXX"),
    ):
        write = functools.partial(_write_nrrd_case, {}, "raw", magic)
        cases.append(Case(f"nrrd-{label}", "nrrd", "nrrd", "error", exercises, write))

    def truncated_raw(directory):
        path = write_nrrd(directory, filename="x.nhdr")
        _rewrite(directory / "x.raw", lambda raw: raw[:-2])
        return path

    def no_blank_line(directory):
        path = write_nrrd(directory)
        raw = path.read_bytes()
        path.write_bytes(raw[: raw.index(b"\n\n") + 1])
        return path

    cases.append(
        Case("nrrd-detached-raw-short", "nrrd", "nrrd", "error", "the detached .raw one voxel short", truncated_raw)
    )
    cases.append(
        Case(
            "nrrd-header-only",
            "nrrd",
            "nrrd",
            "error",
            "an attached NRRD with no blank line and no data",
            no_blank_line,
        )
    )
    return cases


# -- PNG -------------------------------------------------------------------------------------------------------


def _png_with_chunk_crc(kind: bytes, directory: Path) -> Path:
    path = write_png(directory)
    raw = path.read_bytes()
    position = raw.index(kind) + 4 + struct.unpack_from(">I", raw, raw.index(kind) - 4)[0]
    path.write_bytes(_xor_byte(raw, position, 0xFF))
    return path


def _png_without(kind: bytes, directory: Path) -> Path:
    path = write_png(directory)
    raw = path.read_bytes()
    start = raw.index(kind) - 4
    end = start + 12 + struct.unpack_from(">I", raw, start)[0]
    path.write_bytes(raw[:start] + raw[end:])
    return path


def _png_cases() -> list[Case]:
    rows = b"".join(b"\x00" + bytes(7) for _ in range(6))
    fields = (
        ("width-zero", "IHDR width 0", {"width": 0, "rows": b""}, "error"),
        ("height-zero", "IHDR height 0", {"height": 0, "rows": b""}, "error"),
        ("width-2^31", "IHDR width 2^31 (over PNG's limit)", {"width": 2**31, "rows": rows}, "error"),
        (
            "huge-tiny-idat",
            "IHDR 10^6 x 10^6 and a tiny IDAT",
            {"width": 10**6, "height": 10**6, "rows": rows},
            "error",
        ),
        ("bit-depth-3", "bit depth 3", {"bit_depth": 3, "rows": rows}, "error"),
        ("color-type-5", "colour type 5 (none such)", {"color_type": 5, "rows": rows}, "error"),
        ("interlace-2", "interlace method 2", {"interlace": 2}, "error"),
        (
            "idat-corrupt",
            "an IDAT whose zlib data is corrupt (its CRC right)",
            {"idat": _xor_middle(zlib.compress(rows + bytes(200)), 16)},
            "error",
        ),
        (
            "idat-short",
            "an IDAT of three of the six rows (libpng: not enough image data)",
            {"rows": rows[: len(rows) // 2]},
            "error",
        ),
        ("idat-empty", "an empty IDAT", {"idat": b""}, "error"),
    )
    cases = []
    for label, exercises, options, expect in fields:
        cases.append(Case(f"png-{label}", "png", "png", expect, exercises, functools.partial(write_png, **options)))
    for kind in (b"IHDR", b"IDAT"):
        name = f"png-bad-crc-{kind.decode()}"
        cases.append(
            Case(
                name, "png", "png", "error", f"a bad {kind.decode()} CRC", functools.partial(_png_with_chunk_crc, kind)
            )
        )
    for kind, expect in ((b"IDAT", "error"), (b"IEND", "either")):
        name = f"png-no-{kind.decode()}"
        cases.append(
            Case(name, "png", "png", expect, f"no {kind.decode()} chunk", functools.partial(_png_without, kind))
        )

    def after_iend(directory):
        path = write_png(directory)
        path.write_bytes(path.read_bytes() + b"garbage after IEND")
        return path

    cases.append(Case("png-data-after-iend", "png", "png", "either", "bytes after IEND", after_iend))
    return cases


# -- Missing sidecar files --------------------------------------------------------------------------------------


def _without(base_name: str, removed: Callable[[Path], Path], read: Callable[[Path], Path], directory: Path) -> Path:
    path = _good(base_name, directory)
    removed(path).unlink()
    return read(path)


def _same(path: Path) -> Path:
    return path


SIDECARS = (
    (
        "nifti1-hdr-without-img",
        "nifti1-pair.hdr",
        "a NIfTI-1 .hdr without its .img",
        _with_suffix(".img", ".hdr"),
        _same,
    ),
    (
        "nifti1-img-without-hdr",
        "nifti1-pair.hdr",
        "a NIfTI-1 .img read without its .hdr",
        _same,
        _with_suffix(".img", ".hdr"),
    ),
    (
        "nifti1-hdr-gz-without-img-gz",
        "nifti1-pair.hdr.gz",
        "a .hdr.gz without its .img.gz",
        _with_suffix(".img.gz", ".hdr.gz"),
        _same,
    ),
    ("analyze-hdr-without-img", "analyze.hdr", "an Analyze .hdr without its .img", _with_suffix(".img", ".hdr"), _same),
    ("mhd-without-raw", "metaimage.mhd", "an .mhd without its .raw", _with_suffix(".raw", ".mhd"), _same),
    (
        "mhd-without-zraw",
        "metaimage-compressed.mhd",
        "a compressed .mhd without its .zraw",
        _with_suffix(".zraw", ".mhd"),
        _same,
    ),
    ("nhdr-without-raw", "nrrd-detached.nhdr", "an .nhdr without its data file", _with_suffix(".raw", ".nhdr"), _same),
    ("afni-head-without-brik", "afni.HEAD", "an AFNI .HEAD without its .BRIK", _with_suffix(".BRIK", ".HEAD"), _same),
    (
        "afni-head-without-brik-gz",
        "afni-gzip.HEAD",
        "an AFNI .HEAD without its .BRIK.gz",
        _with_suffix(".BRIK.gz", ".HEAD"),
        _same,
    ),
    ("par-without-rec", "parrec.PAR", "a .PAR without its .REC", _with_suffix(".REC", ".PAR"), _same),
    ("rec-without-par", "parrec.PAR", "a .REC read without its .PAR", _same, _with_suffix(".REC", ".PAR")),
)


def _sidecar_cases() -> list[Case]:
    cases = []
    for label, base, exercises, removed, read in SIDECARS:
        write = functools.partial(_without, base, removed, read)
        cases.append(Case(f"sidecar-{label}", BASES[base].format, "missing-sidecar", "error", exercises, write))
    return cases


# -- Inputs that are no regular file -----------------------------------------------------------------------------

EXTENSION_FORMATS = {
    ".nii": "nifti1",
    ".nii.gz": "nifti1",
    ".hdr": "nifti1",
    ".img": "nifti1",
    ".mgh": "mgh",
    ".mgz": "mgh",
    ".npy": "npy",
    ".mha": "metaimage",
    ".mhd": "metaimage",
    ".nrrd": "nrrd",
    ".nhdr": "nrrd",
    ".png": "png",
    ".mnc": "minc1",
    ".PAR": "parrec",
    ".HEAD": "afni",
    ".v": "ecat",
}


def _fifo(filename: str, directory: Path) -> Path:
    path = directory / filename
    os.mkfifo(path)
    return path


def _folder(filename: str, directory: Path) -> Path:
    path = directory / filename
    path.mkdir()
    return path


def _link(filename: str, target: str, directory: Path) -> Path:
    path = directory / filename
    path.symlink_to(target)
    return path


def _empty(filename: str, directory: Path) -> Path:
    path = directory / filename
    path.write_bytes(b"")
    return path


def _loop(filename: str, directory: Path) -> Path:
    path = directory / filename
    path.symlink_to("loop-" + filename)
    (directory / ("loop-" + filename)).symlink_to(filename)
    return path


def _missing(filename: str, directory: Path) -> Path:
    return directory / filename


def _sidecar_replaced(base_name: str, sidecar: Callable[[Path], Path], how: str, directory: Path) -> Path:
    path = _good(base_name, directory)
    target = sidecar(path)
    target.unlink()
    if how == "fifo":
        os.mkfifo(target)
    elif how == "folder":
        target.mkdir()
    else:
        target.symlink_to("/dev/zero")
    return path


def _non_regular_cases() -> list[Case]:
    cases = []

    def add(label, filename, exercises, write):
        fmt = next(f for extension, f in EXTENSION_FORMATS.items() if filename.endswith(extension))
        cases.append(Case(f"non-regular-{label}", fmt, "non-regular", "error", exercises, write))

    for extension in (".nii", ".nii.gz", ".mgz", ".npy", ".mha", ".nrrd", ".png", ".mnc", ".HEAD", ".v"):
        add(
            f"fifo{extension}", "x" + extension, f"a FIFO named x{extension}", functools.partial(_fifo, "x" + extension)
        )
    for extension in (".nii", ".mgz", ".npy", ".mha", ".mnc", ".HEAD", ".PAR"):
        add(
            f"folder{extension}",
            "x" + extension,
            f"a directory named x{extension}",
            functools.partial(_folder, "x" + extension),
        )
    for extension in (".nii", ".nii.gz", ".mgh", ".npy", ".mha", ".nrrd", ".png", ".mnc"):
        write = functools.partial(_link, "x" + extension, "/dev/zero")
        add(f"dev-zero{extension}", "x" + extension, f"a symbolic link to /dev/zero named x{extension}", write)
    for extension in EXTENSION_FORMATS:
        add(f"empty{extension}", "x" + extension, f"an empty x{extension}", functools.partial(_empty, "x" + extension))
    for extension in (".nii", ".mgz", ".npy"):
        add(
            f"symlink-loop{extension}",
            "x" + extension,
            "a symbolic link loop",
            functools.partial(_loop, "x" + extension),
        )
    add(
        "dangling-symlink.nii",
        "x.nii",
        "a symbolic link to nothing",
        functools.partial(_link, "x.nii", "nothing-here.nii"),
    )
    add("missing.nii", "x.nii", "a file that does not exist", functools.partial(_missing, "x.nii"))
    add("missing.npy", "x.npy", "a file that does not exist", functools.partial(_missing, "x.npy"))
    for base, sidecar, name in (
        ("nifti1-pair.hdr", _with_suffix(".img", ".hdr"), "img"),
        ("metaimage.mhd", _with_suffix(".raw", ".mhd"), "raw"),
        ("nrrd-detached.nhdr", _with_suffix(".raw", ".nhdr"), "nrrd-raw"),
        ("parrec.PAR", _with_suffix(".REC", ".PAR"), "rec"),
        ("afni.HEAD", _with_suffix(".BRIK", ".HEAD"), "brik"),
    ):
        fmt = BASES[base].format
        for how in ("fifo", "folder", "dev-zero"):
            if how == "folder" and name not in ("img", "raw"):
                continue
            write = functools.partial(_sidecar_replaced, base, sidecar, how)
            exercises = (
                f"a good {base} whose data file is a "
                + {"fifo": "FIFO", "folder": "directory", "dev-zero": "link to /dev/zero"}[how]
            )
            cases.append(Case(f"non-regular-sidecar-{name}-{how}", fmt, "non-regular", "error", exercises, write))
    return cases


# -- Valid but odd ---------------------------------------------------------------------------------------------


def _link_to_good(directory: Path) -> Path:
    path = write_nifti(directory, "good.nii")
    link = directory / "x.nii"
    link.symlink_to(path.name)
    return link


def _nifti_with_extension(directory: Path) -> Path:
    image = nib.Nifti1Image(base_values(), AFFINE)
    image.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"a comment " * 60))
    return _save_nibabel(image, directory, "x.nii")


def _valid_odd_cases() -> list[Case]:
    specials = special_float_values
    odd = (
        (
            "nifti1-nan-inf.nii",
            "nifti1",
            "float32 NIfTI-1 with NaN, inf, -inf, -0 and subnormal voxels",
            functools.partial(write_nifti, values=specials()),
        ),
        (
            "nifti1-nan-inf.nii.gz",
            "nifti1",
            "the same, gzipped",
            functools.partial(write_nifti, filename="x.nii.gz", values=specials()),
        ),
        (
            "nifti1-nan-inf.hdr",
            "nifti1",
            "the same, a pair",
            functools.partial(write_nifti, filename="x.hdr", image_class=nib.Nifti1Pair, values=specials()),
        ),
        (
            "nifti1-float64-nan-inf.nii",
            "nifti1",
            "float64 NIfTI-1 with NaN and infinities",
            functools.partial(write_nifti, values=specials("float64")),
        ),
        (
            "nifti2-nan-inf.nii",
            "nifti2",
            "float32 NIfTI-2 with NaN and infinities",
            functools.partial(write_nifti, image_class=nib.Nifti2Image, values=specials()),
        ),
        (
            "nifti2-nan-inf.nii.gz",
            "nifti2",
            "the same, gzipped",
            functools.partial(write_nifti, filename="x.nii.gz", image_class=nib.Nifti2Image, values=specials()),
        ),
        (
            "analyze-nan-inf.hdr",
            "analyze",
            "float32 Analyze with NaN and infinities",
            functools.partial(write_analyze, values=specials()),
        ),
        (
            "mgh-nan-inf.mgh",
            "mgh",
            "float32 MGH with NaN and infinities",
            functools.partial(write_mgh, values=specials()),
        ),
        (
            "mgh-nan-inf.mgz",
            "mgh",
            "float32 MGZ with NaN and infinities",
            functools.partial(write_mgh, filename="x.mgz", values=specials()),
        ),
        (
            "nifti1-one-voxel.nii",
            "nifti1",
            "a 1 x 1 x 1 image",
            functools.partial(write_nifti, values=base_values(shape=(1, 1, 1))),
        ),
        (
            "nifti1-long-thin.nii",
            "nifti1",
            "a 1 x 1 x 300 image",
            functools.partial(write_nifti, values=base_values(shape=(1, 1, 300))),
        ),
        (
            "mgh-one-voxel.mgz",
            "mgh",
            "a 1 x 1 x 1 MGZ",
            functools.partial(write_mgh, filename="x.mgz", values=base_values("float32", (1, 1, 1))),
        ),
        ("nifti1-big-endian-nan.nii", "nifti1", "big-endian float32 with NaN and infinities", None),
        (
            "nifti1-spaces-unicode.nii",
            "nifti1",
            "a file name with spaces and non-ASCII letters",
            functools.partial(write_nifti, filename="a b ü é.nii"),
        ),
        ("nifti1-symlink-to-good.nii", "nifti1", "a symbolic link to a good file", _link_to_good),
        ("nifti1-extension.nii", "nifti1", "a NIfTI-1 extension (vox_offset past 352)", _nifti_with_extension),
    )
    cases = []
    for label, fmt, exercises, write in odd:
        writer = functools.partial(_write_big_endian, specials()) if write is None else write
        cases.append(Case(f"odd-{label}", fmt, "valid-odd", "nibabel", exercises, writer))
    return cases


def _write_big_endian(values: np.ndarray, directory: Path) -> Path:
    header = nib.Nifti1Header(endianness=">")
    header.set_data_dtype(values.dtype)
    return _save_nibabel(nib.Nifti1Image(values, AFFINE, header=header), directory, "x.nii")


# -- The plan and the writing ----------------------------------------------------------------------------------


@functools.cache
def _plan() -> tuple[Case, ...]:
    cases = [
        *_truncation_cases(),
        *_bit_flip_cases(),
        *_header_edit_cases(),
        *_gzip_cases(),
        *_npy_cases(),
        *_metaimage_cases(),
        *_nrrd_cases(),
        *_png_cases(),
        *_sidecar_cases(),
        *_non_regular_cases(),
        *_valid_odd_cases(),
    ]
    names = [case.name for case in cases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate case names: {duplicates}")
    for case in cases:
        if case.format not in FORMATS or case.kind not in CLASSES or case.expect not in EXPECTATIONS:
            raise RuntimeError(f"{case.name}: format {case.format}, class {case.kind}, expectation {case.expect}")
    return tuple(cases)


def planned_cases() -> list[Case]:
    """Every case, in a stable order, without writing anything."""
    return list(_plan())


def _case_directory(directory: Path, name: str) -> Path:
    case_directory = Path(directory) / name.replace(".", "_")
    case_directory.mkdir(parents=True, exist_ok=False)
    return case_directory


def write_corpus(directory, cases=None) -> list[WrittenCase]:
    """Write every case (or `cases`) into its own subdirectory of `directory`; the written cases, in order."""
    written = []
    with corpus.quiet_nibabel():
        for case in planned_cases() if cases is None else cases:
            path = case.write(_case_directory(directory, case.name))
            written.append(WrittenCase(case.name, path, case.format, case.kind, case.expect, case.exercises))
    return written


if __name__ == "__main__":
    import sys

    for written_case in write_corpus(sys.argv[1]):
        print(f"{written_case.kind}\t{written_case.expect}\t{written_case.name}\t{written_case.path}")
