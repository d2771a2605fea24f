"""Writes the fuzz targets' seed corpus: Testing/Fuzz/corpus/<target>/, a few tiny files each.

Run by hand after changing it (the files are committed, so that the sanitizer build needs neither
numpy nor nibabel to replay them): ``python3 Testing/Fuzz/make_fuzz_corpus.py``. The output is the
same on every run (no time stamps, a fixed random seed). Each seed is a valid file, or a file one
step from one (truncated, a bad CRC, a zero dimension), that reaches a different branch of the
parser; the fuzzer finds the rest. The targets that take a first "control" byte (see each target's
comment) get it here in front of the file.
"""

import gzip
import io
import shutil
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np

CORPUS = Path(__file__).resolve().parent / "corpus"


def npy_bytes(array, version=None):
    stream = io.BytesIO()
    if version is None:
        np.save(stream, array)
    else:
        np.lib.format.write_array(stream, array, version=version)
    return stream.getvalue()


def npy_seeds():
    yield "int16-2x3.npy", npy_bytes(np.arange(6, dtype=np.int16).reshape(2, 3))
    yield "float32-fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 3), np.float32)))
    yield "float64-big-endian.npy", npy_bytes(np.arange(3, dtype=">f8"))
    yield "complex64.npy", npy_bytes(np.full((2, 2), 1 + 2j, np.complex64))
    yield "bool-0d.npy", npy_bytes(np.array(True))
    yield "float16.npy", npy_bytes(np.arange(4, dtype=np.float16))
    yield "uint8-rgb.npy", npy_bytes(np.zeros((2, 2, 3), np.uint8))
    yield "empty-axis.npy", npy_bytes(np.zeros((0, 3), np.int32))
    yield "version-2.npy", npy_bytes(np.arange(2, dtype=np.uint64), version=(2, 0))
    yield "version-3.npy", npy_bytes(np.arange(2, dtype=np.int8), version=(3, 0))


def nifti_image(image_class, dtype, shape, **options):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape).astype(dtype)
    affine = options.pop("affine", np.diag([2.0, 3.0, 4.0, 1.0]))
    image = image_class(data, affine)
    for name, value in options.items():
        image.header[name] = value
    return image


def single_file_bytes(image):
    """The bytes of a single-file image (.nii), as nibabel writes it."""
    return image.to_bytes()


def pair_header_bytes(image, directory, name):
    """The .hdr of a pair nibabel writes (the harness uses the same bytes for the .img)."""
    header_file = directory / f"{name}.hdr"
    image.to_filename(header_file)
    return header_file.read_bytes()


def nifti_seeds(directory):
    oblique = np.array([[0.0, -2.0, 0.5, 10.0], [1.5, 0.0, 0.0, -20.0], [0.0, 0.3, 3.0, 5.0], [0, 0, 0, 1]])
    single = {
        "int16-sform.nii": nifti_image(nib.Nifti1Image, np.int16, (2, 2, 2)),
        "float32-oblique.nii": nifti_image(nib.Nifti1Image, np.float32, (2, 2, 1), affine=oblique),
        "nifti2-float64.nii": nifti_image(nib.Nifti2Image, np.float64, (2, 1, 2)),
        "uint8-4d.nii": nifti_image(nib.Nifti1Image, np.uint8, (2, 1, 1, 3)),
        "complex64.nii": nifti_image(nib.Nifti1Image, np.complex64, (2, 1, 1)),
        "vector-5d.nii": nifti_image(nib.Nifti1Image, np.float32, (1, 1, 1, 1, 2)),
    }
    qform_only = nifti_image(nib.Nifti1Image, np.int8, (2, 2, 1))
    qform_only.set_sform(None, code=0)
    qform_only.set_qform(oblique, code=1)
    qform_only.header.set_slope_inter(2.0, -1.0)
    single["int8-qform-scaled.nii"] = qform_only
    no_codes = nifti_image(nib.Nifti1Image, np.uint16, (3, 1, 1))
    no_codes.set_sform(None, code=0)
    no_codes.set_qform(None, code=0)
    single["uint16-no-codes.nii"] = no_codes
    for name, image in single.items():
        yield name, b"\x00" + single_file_bytes(image)
    gzipped = nifti_image(nib.Nifti1Image, np.float32, (2, 2, 2))
    yield "float32.nii.gz", b"\x01" + single_file_bytes(gzipped)
    yield "float32-as-float64.nii.gz", b"\x09" + single_file_bytes(gzipped)
    pair = nifti_image(nib.Nifti1Pair, np.int16, (2, 2, 1))
    yield "pair.hdr", b"\x02" + pair_header_bytes(pair, directory, "pair")
    analyze = nifti_image(nib.AnalyzeImage, np.int32, (2, 1, 1))
    yield "analyze.hdr", b"\x06" + pair_header_bytes(analyze, directory, "analyze")
    yield "pair-gz.hdr.gz", b"\x03" + pair_header_bytes(pair, directory, "pair-gz")
    yield "truncated.nii", b"\x00" + single_file_bytes(single["int16-sform.nii"])[:200]


def mgh_bytes(dtype, shape, footer=True, good_ras=True):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape).astype(dtype)
    image = nib.MGHImage(data, np.diag([-1.0, 1.0, 2.0, 1.0]))
    raw = bytearray(image.to_bytes())
    if not good_ras:
        raw[28:30] = struct.pack(">h", 0)
    if not footer:
        raw = raw[: 284 + data.nbytes]
    return bytes(raw)


def mgh_seeds():
    yield "int16.mgh", b"\x00" + mgh_bytes(np.int16, (2, 2, 2))
    yield "float32-4d.mgz", b"\x01" + mgh_bytes(np.float32, (2, 1, 1, 2))
    yield "uint8-no-footer.mgh", b"\x02" + mgh_bytes(np.uint8, (2, 2, 1), footer=False)
    yield "int32-default-geometry.mgz", b"\x07" + mgh_bytes(np.int32, (1, 2, 1), good_ras=False)
    yield "float32-as-float64.mgh", b"\x08" + mgh_bytes(np.float32, (3, 1, 1))


def sniffing_seeds():
    nifti = single_file_bytes(nifti_image(nib.Nifti1Image, np.int16, (1, 1, 1)))
    nifti2 = single_file_bytes(nifti_image(nib.Nifti2Image, np.int16, (1, 1, 1)))
    mgh = mgh_bytes(np.uint8, (1, 1, 1))
    yield "nifti1.nii", b"\x00" + nifti
    yield "nifti2.nii.gz", b"\x11" + nifti2
    yield "analyze-header.hdr", b"\x02" + nifti[:348]
    yield "mgh.mgh", b"\x06" + mgh
    yield "mgz.mgz", b"\x17" + mgh
    yield "npy.npy", b"\x08" + npy_bytes(np.zeros(2, np.uint8))
    yield "not-gzip.nii.gz", b"\x01" + nifti[:64]


def gzip_member(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def gzip_seeds():
    payload = bytes(range(256)) * 4
    member = gzip_member(payload)
    bad_crc = bytearray(member)
    bad_crc[-8] ^= 0xFF
    yield "one-member.gz", b"\x40" + member
    yield "two-members.gz", b"\x23" + gzip_member(payload[:300]) + gzip_member(payload[300:])
    yield "zero-padded.gz", b"\x30" + member + b"\x00" * 16
    yield "stored-block.gz", b"\x50" + gzip_member(payload[:100], level=0)
    yield "empty-member.gz", b"\x00" + gzip_member(b"")
    yield "truncated.gz", b"\x41" + member[: len(member) // 2]
    yield "bad-crc.gz", b"\x42" + bytes(bad_crc)
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    yield "raw-deflate.gz", b"\x40" + raw_deflate.compress(payload) + raw_deflate.flush()


def geometry_seeds():
    generator = np.random.default_rng(20240611)
    for number in range(6):
        yield f"random-{number}", generator.bytes(160)
    yield "zeros", bytes(160)


def main():
    directory = Path(tempfile.mkdtemp(prefix="nibridge-fuzz-corpus-"))
    try:
        targets = {
            "nibridgeFuzzNpyHeader": npy_seeds(),
            "nibridgeFuzzNiftiHeader": nifti_seeds(directory),
            "nibridgeFuzzMGHHeader": mgh_seeds(),
            "nibridgeFuzzSniffing": sniffing_seeds(),
            "nibridgeFuzzGzipStream": gzip_seeds(),
            "nibridgeFuzzGeometry": geometry_seeds(),
        }
        total = 0
        for target, seeds in targets.items():
            folder = CORPUS / target
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for name, data in seeds:
                # Labels, not file names: most seeds start with the control byte.
                (folder / name.replace(".", "-")).write_bytes(data)
                total += len(data)
        print(f"wrote {sum(1 for _ in CORPUS.rglob('*') if _.is_file())} seeds, {total} bytes, to {CORPUS}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
