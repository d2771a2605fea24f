"""ni2npy against nibabel: the output must equal what nibabel users get.

For every NIfTI-1 / Analyze file nibabel ships that ITK reads, and for generated files covering
the cases where ITK's own reader disagrees with nibabel (scaling, shears, qform/sform choice, no
codes), ``np.load(OUT)`` must equal ``nibabel.load(IN).get_fdata()`` and ``--affine`` must equal
``img.affine`` bit for bit. Other formats go through ITK's readers; their expected values are
written here by hand. Error paths check the exit code, the one-line message and that nothing is
left behind.
"""

import gzip
import itertools
import os
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Data"))
import nibabel_corpus as corpus  # noqa: E402

NI2NPY = os.environ.get("NI2NPY")
OUTPUT_NUMBERS = itertools.count()


def run_ni2npy(*arguments, environment=None):
    if not NI2NPY:
        pytest.fail("NI2NPY is not set: run these tests through CTest, which points it at the built ni2npy")
    return subprocess.run(
        [NI2NPY, *map(str, arguments)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(environment or {})},
    )


def convert(source, tmp_path, *options):
    number = next(OUTPUT_NUMBERS)
    output = tmp_path / f"out-{number}.npy"
    affine = tmp_path / f"affine-{number}.npy"
    result = run_ni2npy(*options, "--affine", affine, source, output)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return np.load(output), np.load(affine)


def assert_matches_nibabel(source, tmp_path, *options):
    image = nib.load(source)
    data, affine = convert(source, tmp_path, *options)
    expected = image.get_fdata()
    assert data.shape == expected.shape
    assert data.dtype == np.float64
    np.testing.assert_array_equal(data, expected)
    np.testing.assert_array_equal(affine, image.affine)
    assert affine.dtype == np.float64 and affine.shape == (4, 4)
    return data


def leftovers(directory):
    return sorted(path.name for path in Path(directory).iterdir())


# ---- every file nibabel ships --------------------------------------------------------------

DATA_FILES = (".REC", ".BRIK", ".BRIK.gz", ".img")  # read through their header file
load_with_nibabel = corpus.load_with_nibabel
SHIPPED = [path for path in corpus.shipped_images() if not path.name.endswith(DATA_FILES)]


def test_the_corpus_covers_every_format_nibabel_ships():
    names = {path.name for path in SHIPPED}
    expected = corpus.ONE_FILE_OF_EACH_FORMAT
    assert expected <= names, expected - names


@pytest.mark.parametrize(
    "source", [p for p in SHIPPED if hasattr(load_with_nibabel(p), "affine")], ids=lambda p: p.name
)
def test_every_shipped_image_equals_nibabel(source, tmp_path):
    image = load_with_nibabel(source)
    data, affine = convert(source, tmp_path)
    expected = image.get_fdata()
    assert data.shape == expected.shape
    np.testing.assert_array_equal(data, expected)
    np.testing.assert_array_equal(affine, image.affine)


@pytest.mark.parametrize(
    "source", [p for p in SHIPPED if not hasattr(load_with_nibabel(p), "affine")], ids=lambda p: p.name
)
def test_images_without_an_affine_convert_but_refuse_affine_output(source, tmp_path):
    output = tmp_path / "data.npy"
    result = run_ni2npy(source, output)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(output), load_with_nibabel(source).get_fdata())
    refused = run_ni2npy("--affine", tmp_path / "affine.npy", source, tmp_path / "other.npy")
    assert refused.returncode == 1 and "no voxel-to-world affine" in refused.stderr
    assert not (tmp_path / "affine.npy").exists() and not (tmp_path / "other.npy").exists()


# ---- generated NIfTI and Analyze files -----------------------------------------------------

OBLIQUE = np.array(
    [
        [0.9396926, -0.3213938, 0.1169778, -80.5],
        [0.3420201, 0.8830222, -0.3213938, -110.25],
        [0.0, 0.3420201, 0.9396926, -60.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
) @ np.diag([1.5, 2.0, 2.5, 1.0])
SHEARED = np.array(
    [
        [1.5, 0.3, 0.1, -20.0],
        [0.2, 2.0, 0.4, 10.0],
        [-0.1, 0.5, 2.5, 5.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
)


def ramp(shape, dtype):
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 251 - 100
    if np.dtype(dtype).kind == "u":
        values = np.abs(values)
    return values.astype(dtype)


def save(image, path):
    nib.save(image, path)
    return path


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
@pytest.mark.parametrize(
    "dtype",
    [
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "float32",
        "float64",
    ],
)
def test_every_nifti_dtype_equals_nibabel(dtype, suffix, tmp_path):
    image = nib.Nifti1Image(ramp((5, 6, 7), dtype), OBLIQUE, dtype=dtype)
    assert_matches_nibabel(save(image, tmp_path / f"typed{suffix}"), tmp_path)


def test_four_dimensional_series_keep_their_time_axis(tmp_path):
    image = nib.Nifti1Image(ramp((4, 5, 6, 7), "float32"), OBLIQUE)
    image.header.set_zooms((1.5, 2.0, 2.5, 2.2))
    data = assert_matches_nibabel(save(image, tmp_path / "series.nii.gz"), tmp_path)
    assert data.shape == (4, 5, 6, 7)


@pytest.mark.parametrize(
    ("image_class", "suffix"),
    [(nib.Nifti1Image, ".nii"), (nib.Nifti1Image, ".nii.gz"), (nib.Nifti2Image, ".nii.gz"), (nib.MGHImage, ".mgz")],
)
def test_series_larger_than_a_slab_are_read_volume_plane_by_plane(image_class, suffix, tmp_path):
    """A volume of 256 x 256 x 7 float32 is over the 1 MiB a slab may hold: the readers are asked for planes, and the
    chunks (two planes of float64 output) cross from one volume to the next."""
    values = np.random.default_rng(11).standard_normal((256, 256, 7, 3)).astype(np.float32)
    image = image_class(values, np.diag([1.0, 1.0, 2.0, 1.0]))
    data = assert_matches_nibabel(save(image, tmp_path / f"series{suffix}"), tmp_path)
    assert data.shape == (256, 256, 7, 3)


def test_five_dimensional_and_two_dimensional_images_keep_nibabels_shape(tmp_path):
    assert_matches_nibabel(
        save(
            nib.Nifti1Image(ramp((3, 4, 5, 1, 3), "int16"), OBLIQUE),
            tmp_path / "d5.nii",
        ),
        tmp_path,
    )
    assert_matches_nibabel(
        save(nib.Nifti1Image(ramp((6, 7), "uint8"), np.eye(4)), tmp_path / "d2.nii"),
        tmp_path,
    )


@pytest.mark.parametrize(
    ("slope", "intercept"),
    [(0.37, -1.5), (2.0, 0.0), (1.0, 10.0), (1e-3, 3.25), (-0.5, 100.0)],
    ids=str,
)
def test_scaled_int16_equals_get_fdata_exactly(slope, intercept, tmp_path):
    image = nib.Nifti1Image(ramp((8, 9, 10), "int16"), OBLIQUE)
    image.header.set_data_dtype(np.int16)
    image.header.set_slope_inter(slope, intercept)
    assert_matches_nibabel(save(image, tmp_path / "scaled.nii.gz"), tmp_path)


def test_nibabels_own_rescaling_of_float_data_to_int16_round_trips(tmp_path):
    rng = np.random.default_rng(3)
    image = nib.Nifti1Image(rng.normal(100.0, 3e5, (10, 11, 12)), OBLIQUE)
    image.set_data_dtype(np.int16)  # nibabel picks scl_slope and scl_inter itself
    source = save(image, tmp_path / "auto-scaled.nii")
    assert nib.load(source).dataobj.slope != 1.0  # nibabel moves the scaling into the array proxy
    assert_matches_nibabel(source, tmp_path)


def test_sheared_sform_is_kept_where_itk_refuses_it(tmp_path):
    data = assert_matches_nibabel(
        save(nib.Nifti1Image(ramp((3, 4, 5), "float32"), SHEARED), tmp_path / "shear.nii"),
        tmp_path,
    )
    assert data.shape == (3, 4, 5)


def test_sform_wins_over_a_disagreeing_qform_as_in_nibabel(tmp_path):
    image = nib.Nifti1Image(ramp((4, 5, 6), "int16"), OBLIQUE)
    image.set_qform(np.diag([3.0, 3.0, 3.0, 1.0]), code=1)
    image.set_sform(OBLIQUE, code=2)
    source = save(image, tmp_path / "both.nii")
    assert_matches_nibabel(source, tmp_path)
    _, affine = convert(source, tmp_path)
    np.testing.assert_allclose(affine, OBLIQUE, atol=1e-5)


def test_qform_alone_is_used_with_nibabels_quaternion_arithmetic(tmp_path):
    image = nib.Nifti1Image(ramp((4, 5, 6), "int16"), OBLIQUE)
    image.set_sform(None, code=0)
    image.set_qform(OBLIQUE, code=1)
    source = save(image, tmp_path / "qform.nii")
    assert nib.load(source).header["sform_code"] == 0
    assert_matches_nibabel(source, tmp_path)


def test_flipped_qform_with_negative_qfac_equals_nibabel(tmp_path):
    flipped = OBLIQUE @ np.diag([1.0, 1.0, -1.0, 1.0])
    image = nib.Nifti1Image(ramp((4, 5, 6), "int16"), flipped)
    image.set_sform(None, code=0)
    image.set_qform(flipped, code=1)
    source = save(image, tmp_path / "qfac.nii")
    assert nib.load(source).header["pixdim"][0] == -1
    assert_matches_nibabel(source, tmp_path)


def test_no_codes_gives_nibabels_centred_fallback(tmp_path):
    image = nib.Nifti1Image(ramp((4, 5, 6), "int16"), OBLIQUE)
    image.set_sform(None, code=0)
    image.set_qform(None, code=0)
    image.header.set_zooms((2.0, 3.0, 4.0))
    assert_matches_nibabel(save(image, tmp_path / "nocodes.nii"), tmp_path)


def test_big_endian_files_equal_nibabel(tmp_path):
    header = nib.Nifti1Header(endianness=">")
    image = nib.Nifti1Image(ramp((4, 5, 6), "float64"), OBLIQUE, header=header)
    source = save(image, tmp_path / "big.nii")
    assert nib.load(source).header.endianness == ">"
    assert_matches_nibabel(source, tmp_path)


def test_nan_and_infinite_values_pass_through(tmp_path):
    values = ramp((4, 5, 6), "float32")
    values[0, 0, 0], values[1, 2, 3], values[3, 4, 5] = np.nan, np.inf, -np.inf
    assert_matches_nibabel(save(nib.Nifti1Image(values, OBLIQUE), tmp_path / "nan.nii"), tmp_path)


def test_nifti_pairs_and_gzipped_pairs_equal_nibabel(tmp_path):
    image = nib.Nifti1Pair(ramp((4, 5, 6), "int16"), OBLIQUE)
    assert_matches_nibabel(save(image, tmp_path / "pair.img"), tmp_path)
    assert_matches_nibabel(save(image, tmp_path / "zipped.img.gz"), tmp_path)


def test_analyze_files_follow_nibabels_spm2_origin_and_scaling(tmp_path):
    image = nib.AnalyzeImage(ramp((4, 5, 6), "int16"), np.diag([2.0, 3.0, 4.0, 1.0]))
    plain = save(image, tmp_path / "plain.img")
    assert type(nib.load(plain)).__name__ == "Spm2AnalyzeImage"
    assert_matches_nibabel(plain, tmp_path)
    spm = nib.Spm2AnalyzeImage(ramp((4, 5, 6), "int16"), np.diag([2.0, 3.0, 4.0, 1.0]))
    spm.header["origin"][:3] = (2, 3, 4)
    spm.header["scl_slope"] = 0.25
    spm.header["scl_inter"] = 1.5
    source = tmp_path / "spm.hdr"
    spm.header.set_data_shape((4, 5, 6))
    with open(source, "wb") as header_file:
        spm.header.write_to(header_file)
    with open(tmp_path / "spm.img", "wb") as image_file:
        image_file.write(ramp((4, 5, 6), "int16").tobytes(order="F"))
    data = assert_matches_nibabel(source, tmp_path)
    assert data[0, 0, 0] == ramp((4, 5, 6), "int16")[0, 0, 0] * 0.25 + 1.5


def test_rgb_nifti_gets_a_trailing_component_axis(tmp_path):
    rgb_dtype = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])
    channels = ramp((4, 5, 6, 3), "uint8")
    packed = np.empty((4, 5, 6), dtype=rgb_dtype)
    for index, name in enumerate("RGB"):
        packed[name] = channels[..., index]
    source = save(nib.Nifti1Image(packed, OBLIQUE), tmp_path / "rgb.nii")
    data, affine = convert(source, tmp_path)
    np.testing.assert_array_equal(data, channels.astype(np.float64))
    np.testing.assert_array_equal(affine, nib.load(source).affine)


def test_complex_data_needs_a_complex_dtype(tmp_path):
    values = (ramp((3, 4, 5), "float32") + 1j * ramp((3, 4, 5), "float32")[::-1]).astype(np.complex64)
    source = save(nib.Nifti1Image(values, OBLIQUE), tmp_path / "complex.nii")
    refused = run_ni2npy(source, tmp_path / "refused.npy")
    assert refused.returncode == 1 and "complex" in refused.stderr and str(source) in refused.stderr
    kept, _ = convert(source, tmp_path, "--dtype", "keep")
    assert kept.dtype == np.complex64
    np.testing.assert_array_equal(kept, values)
    widened, _ = convert(source, tmp_path, "--dtype", "complex128")
    assert widened.dtype == np.complex128
    np.testing.assert_array_equal(widened, values)


def test_vox_offset_is_taken_as_stored_like_nibabel(tmp_path):
    source = save(nib.Nifti1Image(ramp((3, 4, 5), "int16"), OBLIQUE), tmp_path / "offset.nii")
    raw = bytearray(source.read_bytes())
    raw[108:112] = np.float32(0.0).tobytes()  # vox_offset 0: nibabel reads the header bytes as voxels
    source.write_bytes(bytes(raw))
    assert nib.load(source).dataobj.offset == 0
    assert_matches_nibabel(source, tmp_path)


def test_the_named_file_is_read_even_with_an_uncompressed_twin_beside_it(tmp_path):
    save(nib.Nifti1Image(ramp((3, 4, 5), "int16"), OBLIQUE), tmp_path / "twin.nii")
    compressed = save(nib.Nifti1Image(ramp((3, 4, 5), "int16") * 2, OBLIQUE), tmp_path / "twin.nii.gz")
    data = assert_matches_nibabel(compressed, tmp_path)
    np.testing.assert_array_equal(data, ramp((3, 4, 5), "int16") * 2)


# ---- gzip: both decoders, concatenated members, damaged streams ----------------------------

GZIP_DECODERS = [{}, {"NIBRIDGE_GZIP_DECODER": "zlib"}]
GZIP_DECODER_IDS = ["default-decoder", "zlib"]


def gzipped_nifti(tmp_path, members):
    """A .nii.gz whose bytes are split over `members` concatenated gzip members, as pigz can write."""
    noise = np.random.default_rng(11).integers(-30000, 30000, (30, 31, 32), dtype=np.int16)
    plain = save(nib.Nifti1Image(noise, OBLIQUE), tmp_path / "plain.nii").read_bytes()
    cuts = np.linspace(0, len(plain), members + 1, dtype=int)
    source = tmp_path / f"members{members}.nii.gz"
    source.write_bytes(
        b"".join(gzip.compress(plain[a:b], compresslevel=6) for a, b in zip(cuts, cuts[1:], strict=False))
    )
    (tmp_path / "plain.nii").unlink()
    return source


@pytest.mark.parametrize("environment", GZIP_DECODERS, ids=GZIP_DECODER_IDS)
@pytest.mark.parametrize("members", [1, 3])
def test_gzip_members_decode_to_nibabels_values(environment, members, tmp_path):
    source = gzipped_nifti(tmp_path, members)
    output = tmp_path / "out.npy"
    result = run_ni2npy("--verbose", source, output, environment=environment)
    assert result.returncode == 0, result.stderr
    assert ("zlib" in result.stderr) == ("NIBRIDGE_GZIP_DECODER" in environment)
    np.testing.assert_array_equal(np.load(output), nib.load(source).get_fdata())


@pytest.mark.parametrize("environment", GZIP_DECODERS, ids=GZIP_DECODER_IDS)
@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda raw: raw[: len(raw) // 2], "truncated"),
        (lambda raw: raw[:-4], "truncated"),  # the length field of the trailer is missing
        (lambda raw: raw[:-8] + bytes(b ^ 0xFF for b in raw[-8:-4]) + raw[-4:], "corrupt"),  # wrong CRC-32
        (lambda raw: raw[:5000] + bytes(b ^ 0x5A for b in raw[5000:5100]) + raw[5100:], "corrupt"),
    ],
    ids=["half", "no-length", "bad-crc", "garbled-deflate"],
)
def test_damaged_gzip_streams_are_errors_not_short_data(environment, damage, reason, tmp_path):
    source = gzipped_nifti(tmp_path, 1)
    source.write_bytes(damage(source.read_bytes()))
    output = tmp_path / "out.npy"
    result = run_ni2npy(source, output, environment=environment)
    assert result.returncode == 1, result.stderr
    assert str(source) in result.stderr and reason in result.stderr, result.stderr
    assert not output.exists()


# ---- --dtype and the lossy-cast rule -------------------------------------------------------


def test_dtype_keep_gives_the_stored_type_and_float64_for_scaled_files(tmp_path):
    image = nib.Nifti1Image(ramp((4, 5, 6), "int16"), OBLIQUE)
    image.header.set_data_dtype(np.int16)
    plain = save(image, tmp_path / "plain.nii")
    data, _ = convert(plain, tmp_path, "--dtype", "keep")
    assert data.dtype == np.int16
    np.testing.assert_array_equal(data, np.asarray(nib.load(plain).dataobj))
    image.header.set_slope_inter(0.5, 1.0)
    scaled = save(image, tmp_path / "scaled.nii")
    data, _ = convert(scaled, tmp_path, "--dtype", "keep")
    assert data.dtype == np.float64
    np.testing.assert_array_equal(data, nib.load(scaled).get_fdata())


def test_lossless_narrowing_is_allowed_and_exact(tmp_path):
    image = nib.Nifti1Image(ramp((4, 5, 6), "int32"), OBLIQUE)
    image.header.set_data_dtype(np.int32)
    data, _ = convert(save(image, tmp_path / "int32.nii"), tmp_path, "--dtype", "int16")
    assert data.dtype == np.int16
    np.testing.assert_array_equal(data, ramp((4, 5, 6), "int32"))


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.full((3, 4, 5), 0.5, dtype=np.float32), "int16"),
        (np.full((3, 4, 5), 70000, dtype=np.int32), "int16"),
        (np.full((3, 4, 5), -1, dtype=np.int16), "uint8"),
        (np.full((3, 4, 5), 0.1, dtype=np.float64), "float32"),
        (np.full((3, 4, 5), 2**53 + 1, dtype=np.int64), "float64"),
    ],
    ids=[
        "fraction-to-int16",
        "overflow-to-int16",
        "negative-to-uint8",
        "float64-to-float32",
        "int64-to-float64",
    ],
)
def test_lossy_casts_are_refused_without_allow_lossy(values, dtype, tmp_path):
    source = save(nib.Nifti1Image(values, np.eye(4), dtype=values.dtype), tmp_path / "source.nii")
    output = tmp_path / "lossy.npy"
    result = run_ni2npy("--dtype", dtype, source, output)
    assert result.returncode == 1
    assert str(source) in result.stderr and "--allow-lossy" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not output.exists()
    assert leftovers(tmp_path) == ["source.nii"]


def test_allow_lossy_rounds_to_nearest_and_saturates(tmp_path):
    values = np.array([[[-1e9, -2.5, -0.4, 0.6, 1.5, 3e9, np.nan]]], dtype=np.float64)
    image = nib.Nifti1Image(values, np.eye(4))
    image.header.set_data_dtype(np.float64)
    data, _ = convert(
        save(image, tmp_path / "source.nii"),
        tmp_path,
        "--dtype",
        "int16",
        "--allow-lossy",
    )
    np.testing.assert_array_equal(data, np.array([[[-32768, -2, 0, 1, 2, 32767, 0]]], dtype=np.int16))


# ---- formats read through ITK --------------------------------------------------------------

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def write_nrrd(path, values, spacing_directions, origin, kinds=None):
    """A raw little-endian NRRD, as ITK and 3D Slicer write it; values in Fortran (ITK) order."""
    type_names = {
        np.dtype("int16"): "short",
        np.dtype("float32"): "float",
        np.dtype("uint8"): "uchar",
    }
    lines = [
        "NRRD0004",
        f"type: {type_names[values.dtype]}",
        f"dimension: {values.ndim}",
        "space: left-posterior-superior",
        "sizes: " + " ".join(str(n) for n in values.shape),
        "space directions: "
        + ("none " if kinds else "")
        + " ".join("(" + ",".join(repr(float(x)) for x in column) + ")" for column in spacing_directions),
        "space origin: (" + ",".join(repr(float(x)) for x in origin) + ")",
        "endian: little",
        "encoding: raw",
    ]
    if kinds:
        lines.append("kinds: " + " ".join(kinds))
    Path(path).write_bytes(
        ("\n".join(lines) + "\n\n").encode() + values.astype(values.dtype.newbyteorder("<")).tobytes(order="F")
    )
    return path


def expected_ras_affine(spacing_directions, origin):
    lps = np.eye(4)
    lps[:3, :3] = np.array(spacing_directions, dtype=np.float64).T
    lps[:3, 3] = origin
    return LPS_TO_RAS @ lps


def test_nrrd_is_read_by_itk_in_nibabels_voxel_order_with_its_ras_affine(tmp_path):
    values = ramp((4, 5, 6), "int16")
    columns = [(0.0, 2.0, 0.0), (-3.0, 0.0, 0.0), (0.0, 0.0, 4.0)]
    source = write_nrrd(tmp_path / "volume.nrrd", values, columns, (10.0, -20.0, 30.0))
    data, affine = convert(source, tmp_path)
    np.testing.assert_array_equal(data, values.astype(np.float64))
    np.testing.assert_allclose(affine, expected_ras_affine(columns, (10.0, -20.0, 30.0)), rtol=0, atol=1e-12)


def test_vector_nrrd_gets_a_trailing_component_axis(tmp_path):
    components = ramp((3, 4, 5, 6), "float32")  # component axis first in the file
    columns = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    source = write_nrrd(
        tmp_path / "vectors.nrrd",
        components,
        columns,
        (0.0, 0.0, 0.0),
        kinds=["vector", "domain", "domain", "domain"],
    )
    data, _ = convert(source, tmp_path)
    np.testing.assert_array_equal(data, np.moveaxis(components, 0, -1).astype(np.float64))


def test_metaimage_is_read_by_itk(tmp_path):
    values = ramp((4, 5, 6), "uint8")
    header = (
        "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
        "TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 1 2 3\nElementSpacing = 0.5 0.75 1.25\n"
        "DimSize = 4 5 6\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"
    )
    source = tmp_path / "volume.mha"
    source.write_bytes(header.encode() + values.tobytes(order="F"))
    data, affine = convert(source, tmp_path)
    np.testing.assert_array_equal(data, values.astype(np.float64))
    np.testing.assert_array_equal(
        affine,
        LPS_TO_RAS @ np.array([[0.5, 0, 0, 1], [0, 0.75, 0, 2], [0, 0, 1.25, 3], [0, 0, 0, 1]]),
    )


def test_npy_input_is_read_natively_without_reordering(tmp_path):
    values = ramp((6, 5, 4), "int16")  # C order (k, j, i), as itk and SimpleITK arrays look
    np.save(tmp_path / "itk_order.npy", values)
    data, affine = convert(tmp_path / "itk_order.npy", tmp_path, "--dtype", "keep")
    np.testing.assert_array_equal(data, values.T)
    assert data.dtype == np.int16
    np.testing.assert_array_equal(affine, LPS_TO_RAS)


# ---- the command line, errors and safety ---------------------------------------------------


def test_help_and_version_exit_zero():
    help_result = run_ni2npy("--help")
    assert help_result.returncode == 0 and "--dtype" in help_result.stdout and "--affine" in help_result.stdout
    version_result = run_ni2npy("--version")
    assert version_result.returncode == 0 and "ni2npy" in version_result.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["only-one-argument.nii"],
        ["--dtype", "float128", "IN", "OUT.npy"],
        ["--no-such-option", "IN", "OUT.npy"],
    ],
    ids=["no-arguments", "one-argument", "unknown-dtype", "unknown-option"],
)
def test_usage_errors_exit_two_with_one_line(arguments, tmp_path):
    resolved = [
        str(tmp_path / "in.nii") if a == "IN" else str(tmp_path / a) if a == "OUT.npy" else a for a in arguments
    ]
    save(nib.Nifti1Image(ramp((2, 2, 2), "int16"), np.eye(4)), tmp_path / "in.nii")
    result = run_ni2npy(*resolved)
    assert result.returncode == 2
    assert result.stderr.startswith("ni2npy: usage error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_input_is_named(tmp_path):
    result = run_ni2npy(tmp_path / "absent.nii", tmp_path / "out.npy")
    assert result.returncode == 2 and "absent.nii" in result.stderr
    assert leftovers(tmp_path) == []


def test_an_output_equal_to_the_input_is_a_usage_error(tmp_path):
    source = save(nib.Nifti1Image(ramp((2, 2, 2), "int16"), np.eye(4)), tmp_path / "in.nii")
    before = source.read_bytes()
    assert run_ni2npy("--force", source, source).returncode == 2
    assert source.read_bytes() == before


def test_existing_outputs_are_kept_without_force_and_replaced_with_it(tmp_path):
    source = save(nib.Nifti1Image(ramp((3, 4, 5), "int16"), OBLIQUE), tmp_path / "in.nii")
    output = tmp_path / "out.npy"
    output.write_bytes(b"precious")
    refused = run_ni2npy(source, output)
    assert refused.returncode == 3 and "--force" in refused.stderr and str(output) in refused.stderr  # its own status
    assert str(source) not in refused.stderr, f"the error is the output's, named once: {refused.stderr}"
    assert output.read_bytes() == b"precious"
    affine = tmp_path / "affine.npy"
    affine.write_bytes(b"precious too")
    assert run_ni2npy("--affine", affine, source, tmp_path / "new.npy").returncode == 3
    assert affine.read_bytes() == b"precious too" and not (tmp_path / "new.npy").exists()
    forced = run_ni2npy("--force", "--affine", affine, source, output)
    assert forced.returncode == 0, forced.stderr
    np.testing.assert_array_equal(np.load(output), nib.load(source).get_fdata())
    np.testing.assert_array_equal(np.load(affine), nib.load(source).affine)


def truncated_nifti(tmp_path):
    source = save(nib.Nifti1Image(ramp((20, 20, 20), "int16"), OBLIQUE), tmp_path / "whole.nii")
    broken = tmp_path / "truncated.nii"
    broken.write_bytes(source.read_bytes()[:5000])
    source.unlink()
    return broken


def truncated_gzip(tmp_path):
    noise = np.random.default_rng(5).integers(-30000, 30000, (20, 20, 20), dtype=np.int16)
    source = save(nib.Nifti1Image(noise, OBLIQUE), tmp_path / "whole.nii.gz")
    broken = tmp_path / "truncated.nii.gz"
    broken.write_bytes(source.read_bytes()[:3000])
    source.unlink()
    return broken


def garbage_gzip(tmp_path):
    broken = tmp_path / "garbage.nii.gz"
    broken.write_bytes(gzip.compress(b"this is not a NIfTI header" * 20))
    return broken


def text_file(tmp_path):
    broken = tmp_path / "notes.nii"
    broken.write_text("not an image at all\n")
    return broken


def unknown_format(tmp_path):
    broken = tmp_path / "data.xyz"
    broken.write_bytes(os.urandom(1000))
    return broken


def bad_nrrd(tmp_path):
    broken = tmp_path / "short.nrrd"
    broken.write_bytes(
        b"NRRD0004\ntype: short\ndimension: 3\nsizes: 10 10 10\nencoding: raw\nendian: little\n\n" + b"\0" * 100
    )
    return broken


def bad_npy(tmp_path):
    broken = tmp_path / "object.npy"
    np.save(broken, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return broken


def bad_datatype(tmp_path):
    source = save(nib.Nifti1Image(ramp((2, 3, 4), "int16"), np.eye(4)), tmp_path / "float128.nii")
    raw = bytearray(source.read_bytes())
    raw[70:72] = np.int16(1536).tobytes()  # DT_FLOAT128
    raw[72:74] = np.int16(128).tobytes()
    source.write_bytes(bytes(raw))
    return source


@pytest.mark.parametrize(
    ("make_input", "reason"),
    [
        (truncated_nifti, "truncated"),
        (truncated_gzip, "truncated"),
        (garbage_gzip, "header"),
        (text_file, "header"),
        (unknown_format, "no reader"),
        (bad_nrrd, ""),
        (bad_npy, "object"),
        (bad_datatype, "not supported"),
    ],
    ids=[
        "truncated-nii",
        "truncated-nii-gz",
        "garbage-gz",
        "text",
        "unknown-format",
        "short-nrrd",
        "object-npy",
        "float128",
    ],
)
def test_malformed_inputs_fail_with_one_line_naming_the_input_and_leave_nothing(make_input, reason, tmp_path):
    source = make_input(tmp_path)
    before = leftovers(tmp_path)
    output = tmp_path / "never.npy"
    result = run_ni2npy("--affine", tmp_path / "never-affine.npy", source, output)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("ni2npy: error:")
    assert str(source) in result.stderr
    assert reason.lower() in result.stderr.lower()
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert leftovers(tmp_path) == before


# ---- bad input in nibabel formats (the embedded Python) --------------------------------------


def truncated_mgz(tmp_path):
    noise = np.random.default_rng(2).integers(0, 30000, (30, 30, 30)).astype(np.int32)
    whole = save(nib.MGHImage(noise, OBLIQUE), tmp_path / "whole.mgz")
    broken = tmp_path / "truncated.mgz"
    broken.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    return broken


def par_without_rec(tmp_path):
    lonely = tmp_path / "lonely.PAR"
    lonely.write_bytes((Path(data_path) / "T1.PAR").read_bytes())
    return lonely


def broken_afni_head(tmp_path):
    head = tmp_path / "broken+orig.HEAD"
    head.write_bytes((Path(data_path) / "bad_attribute+orig.HEAD").read_bytes())
    (tmp_path / "broken+orig.BRIK").write_bytes(b"\0" * 64)
    return head


def mgz_nibabel_rejects(tmp_path):
    """A well-formed MGH header whose data type code (bytes 20-24) is one no MGH writer uses."""
    raw = bytearray(
        gzip.decompress(save(nib.MGHImage(ramp((3, 4, 5), "int16"), OBLIQUE), tmp_path / "ok.mgz").read_bytes())
    )
    raw[20:24] = np.array(99, dtype=">i4").tobytes()
    rejected = tmp_path / "type99.mgz"
    rejected.write_bytes(gzip.compress(bytes(raw)))
    (tmp_path / "ok.mgz").unlink()
    return rejected


@pytest.mark.parametrize(
    ("make_input", "reason"),
    [
        (truncated_mgz, "truncated"),  # the native MGH reader
        (par_without_rec, "FileNotFoundError"),  # nibabel's
        (broken_afni_head, "AFNIHeaderError"),
        (mgz_nibabel_rejects, "unknown MGH data type code 99"),
    ],
    ids=["truncated-mgz", "par-without-rec", "broken-afni-head", "mgz-nibabel-rejects"],
)
def test_bad_nibabel_inputs_fail_with_one_line_and_leave_nothing(make_input, reason, tmp_path):
    source = make_input(tmp_path)
    before = leftovers(tmp_path)
    result = run_ni2npy("--affine", tmp_path / "never-affine.npy", source, tmp_path / "never.npy")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f'ni2npy: error: "{source}": ')
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert leftovers(tmp_path) == before
    verbose = run_ni2npy("--verbose", source, tmp_path / "never.npy")
    if "MGH" not in reason and reason != "truncated":  # nibabel's errors: the whole story, on request
        assert "Traceback (most recent call last):" in verbose.stderr


def test_a_python_without_nibabel_gives_a_clear_error_for_nibabel_formats_only(tmp_path):
    fake = tmp_path / "fake-packages" / "nibabel"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('this nibabel is broken on purpose')\n")
    environment = {"NIBRIDGE_PYTHONPATH": str(tmp_path / "fake-packages")}
    minc = tmp_path / "volume.mnc"
    minc.write_bytes((Path(data_path) / "minc1_1_scale.mnc").read_bytes())
    result = run_ni2npy(minc, tmp_path / "never.npy", environment=environment)
    assert result.returncode == 1
    assert str(minc) in result.stderr and "nibabel" in result.stderr and "ImportError" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    # The native readers need no Python.
    nifti = save(nib.Nifti1Image(ramp((3, 4, 5), "int16"), OBLIQUE), tmp_path / "volume.nii")
    assert run_ni2npy(nifti, tmp_path / "fine.npy", environment=environment).returncode == 0
    mgz = save(nib.MGHImage(ramp((3, 4, 5), "int16"), OBLIQUE), tmp_path / "volume.mgz")
    assert run_ni2npy(mgz, tmp_path / "fine-mgz.npy", environment=environment).returncode == 0


def test_an_unwritable_output_directory_is_reported(tmp_path):
    source = save(nib.Nifti1Image(ramp((2, 2, 2), "int16"), np.eye(4)), tmp_path / "in.nii")
    result = run_ni2npy(source, tmp_path / "missing-directory" / "out.npy")
    assert result.returncode == 1 and "missing-directory" in result.stderr
