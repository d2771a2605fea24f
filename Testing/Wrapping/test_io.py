"""imread and imwrite (src/nibridgeIO.cpp): ITK's ImageIO factory, NumPyImageIO and NiBabelImageIO."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nibabel as nib
import nibridge
import numpy as np
import pytest
from nibabel.testing import data_path

NIBABEL_FILES = ["anatomical.nii", "example4d.nii.gz", "test.mgz"]


def assert_same_geometry(image, reference):
    np.testing.assert_allclose(image.spacing, reference.spacing, rtol=1e-6)
    np.testing.assert_allclose(image.origin, reference.origin, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(image.direction, reference.direction, atol=1e-6)


@pytest.mark.parametrize("name", NIBABEL_FILES)
def test_imread_gives_nibabels_values_and_geometry(name):
    path = Path(data_path) / name
    image = nibridge.imread(path)
    reference = nibridge.from_nibabel(nib.load(str(path)))
    assert image.dtype == reference.dtype
    assert image.shape == reference.shape
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), nibridge.array_view_from_image(reference))
    assert_same_geometry(image, reference)


@pytest.mark.parametrize("suffix", [".npy", ".nii", ".nii.gz", ".nrrd", ".mha"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_imwrite_then_imread_round_trips_values_and_geometry(tmp_path, suffix, dtype):
    array = (np.arange(60) % 17).astype(dtype).reshape(3, 4, 5)
    direction = np.array([[0.0, 1, 0], [-1, 0, 0], [0, 0, 1]])
    image = nibridge.image_from_array(array, spacing=(0.5, 1.5, 2.5), origin=(-3.0, 4.0, 5.5), direction=direction)
    path = tmp_path / f"image{suffix}"
    nibridge.imwrite(image, path)
    back = nibridge.imread(path)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), array)
    if suffix != ".npy":  # .npy has no geometry
        assert_same_geometry(back, image)


@pytest.mark.parametrize("name", ["test.mgz", "example4d.nii.gz"])
def test_nibabel_formats_are_read_and_written_back(tmp_path, name):
    source = Path(data_path) / name
    image = nibridge.imread(source)
    path = tmp_path / f"copy{''.join(source.suffixes)}"
    nibridge.imwrite(image, path)
    original, written = nib.load(str(source)), nib.load(str(path))
    np.testing.assert_array_equal(np.asanyarray(written.dataobj), np.asanyarray(original.dataobj))
    np.testing.assert_allclose(written.affine, original.affine, atol=1e-4)
    back = nibridge.imread(path)
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), nibridge.array_view_from_image(image))
    assert_same_geometry(back, image)


def test_vector_and_complex_images_round_trip(tmp_path):
    vector = nibridge.image_from_array(np.arange(72, dtype=np.float32).reshape(2, 3, 4, 3), is_vector=True)
    nibridge.imwrite(vector, tmp_path / "vector.nrrd")
    back = nibridge.imread(tmp_path / "vector.nrrd")
    assert back.number_of_components == 3
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), nibridge.array_view_from_image(vector))

    values = (np.arange(24) - 1j * np.arange(24)).astype(np.complex64).reshape(2, 3, 4)
    nibridge.imwrite(nibridge.image_from_array(values), tmp_path / "complex.nii")  # MetaImage has no complex
    back = nibridge.imread(tmp_path / "complex.nii")
    assert back.dtype == np.complex64
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), values)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz", ".hdr"])
@pytest.mark.parametrize("shape", [(2, 3, 4, 3), (2, 3, 4, 5, 2)], ids=["3D", "4D"])
def test_vector_images_round_trip_through_nifti(tmp_path, suffix, shape):
    """NIfTI holds vectors as 5-D (i, j, k, t, c) with intent "vector"; imread makes them vector images again."""
    values = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    vector = nibridge.image_from_array(values, is_vector=True, spacing=(0.5, 1.5, 2.5, 2.0)[: len(shape) - 1])
    path = tmp_path / f"vector{suffix}"
    nibridge.imwrite(vector, path)
    written = nib.load(str(path))
    ijk_t = nibridge.array_view_from_image(vector, keep_axes=True).shape[:-1]
    assert written.shape == ijk_t + (1,) * (4 - len(ijk_t)) + (shape[-1],)
    assert written.header.get_intent()[0] == "vector"
    back = nibridge.imread(path)
    assert back.is_vector and back.number_of_components == shape[-1] and back.dimension == len(shape) - 1
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), nibridge.array_view_from_image(vector))
    assert_same_geometry(back, vector)


def test_a_displacement_field_reads_as_from_nibabel_makes_it(tmp_path):
    """A 5-D NIfTI file of (i, j, k, 1, 3), as ITK and ANTs write displacement fields, is a 3-D image of 3-vectors."""
    field = np.random.default_rng(4).standard_normal((6, 5, 4, 1, 3)).astype(np.float32)
    image = nib.Nifti1Image(field, np.diag([2.0, 2.0, 3.0, 1.0]))
    image.header.set_intent("vector")
    nib.save(image, tmp_path / "warp.nii.gz")
    read = nibridge.imread(tmp_path / "warp.nii.gz")
    reference = nibridge.from_nibabel(nib.load(tmp_path / "warp.nii.gz"))
    assert read.dimension == 3 and read.number_of_components == 3
    np.testing.assert_array_equal(nibridge.array_view_from_image(read, keep_axes=True), field[:, :, :, 0, :])
    np.testing.assert_array_equal(nibridge.array_view_from_image(read), nibridge.array_view_from_image(reference))
    np.testing.assert_array_equal(read.affine, reference.affine)


PNG_COLOR_TYPES = {"rgb": 2, "rgba": 6}  # byte 25 of a PNG file: the IHDR colour type


@pytest.mark.parametrize("pixel_type", ["rgb", "rgba"])
def test_rgb_and_rgba_images_are_written_as_colour_and_read_back_as_colour(tmp_path, pixel_type):
    components = len(pixel_type)
    values = np.random.default_rng(7).integers(0, 256, (5, 6, components), dtype=np.uint8)
    image = nibridge.image_from_array(values, is_vector=True)
    assert image.pixel_type == "vector"
    image.pixel_type = pixel_type
    path = tmp_path / f"colour_{pixel_type}.png"
    nibridge.imwrite(image, path)
    assert path.read_bytes()[25] == PNG_COLOR_TYPES[pixel_type]
    back = nibridge.imread(path)
    assert back.pixel_type == pixel_type
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), values)

    # A vector image of three components stays a vector image through a format that tells them apart.
    vector = nibridge.image_from_array(values[..., :3].copy(), is_vector=True)
    nibridge.imwrite(vector, tmp_path / "vector.nrrd")
    assert nibridge.imread(tmp_path / "vector.nrrd").pixel_type == "vector"
    nibridge.imwrite(image, tmp_path / f"colour_{pixel_type}.nrrd")
    assert nibridge.imread(tmp_path / f"colour_{pixel_type}.nrrd").pixel_type == pixel_type


def temporaries(directory):
    return sorted(path.name for path in Path(directory).iterdir() if path.name.startswith(".nibridge-"))


@pytest.mark.parametrize("name", ["atomic.nii.gz", "atomic.mgz", "atomic.npy", "atomic.nrrd", "atomic.mha"])
def test_imwrite_replaces_a_file_whole_with_a_plain_files_permissions(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"an older file")
    image = nibridge.image_from_array(np.arange(24, dtype=np.float32).reshape(2, 3, 4), spacing=(1.0, 2.0, 3.0))
    nibridge.imwrite(image, path)
    np.testing.assert_array_equal(nibridge.array_view_from_image(nibridge.imread(path)), np.arange(24).reshape(2, 3, 4))
    assert temporaries(tmp_path) == []
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_a_failed_imwrite_leaves_the_existing_file_untouched_and_no_temporary(tmp_path):
    path = tmp_path / "precious.mgz"
    path.write_bytes(b"precious")
    complex_image = nibridge.image_from_array(np.ones((2, 3, 4), np.complex64))  # MGH holds no complex values
    with pytest.raises(OSError, match="precious.mgz"):
        nibridge.imwrite(complex_image, path)
    assert path.read_bytes() == b"precious"
    assert temporaries(tmp_path) == []


FULL_DISK_WRITER = """
import resource, signal, sys
import numpy as np
import nibridge
path = sys.argv[1]
image = nibridge.image_from_array(np.random.default_rng(0).random((64, 64, 64)).astype(np.float32))
# A file size limit stands in for a full disk: a write past it fails (EFBIG), as one would with ENOSPC.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    nibridge.imwrite(image, path)
except OSError as error:
    print(error)
    sys.exit(3)
sys.exit(0)
"""


@pytest.mark.parametrize("name", ["full.nii", "full.nii.gz", "full.mha", "full.nrrd", "full.npy", "full.mgz"])
def test_imwrite_on_a_full_disk_raises_and_the_old_file_survives(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"precious")
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK_WRITER, str(path)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 3, f"no OSError (exit {result.returncode}): {result.stdout} {result.stderr}"
    assert str(path) in result.stdout, result.stdout
    assert "\n" not in result.stdout.strip(), result.stdout
    assert path.read_bytes() == b"precious"
    assert temporaries(tmp_path) == []
    assert sorted(entry.name for entry in tmp_path.iterdir()) == [name]


def test_header_and_data_pairs_are_written_in_place(tmp_path):
    image = nibridge.image_from_array(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    nibridge.imwrite(image, tmp_path / "pair.mhd")
    assert "pair.raw" in (tmp_path / "pair.mhd").read_text()
    np.testing.assert_array_equal(nibridge.array_view_from_image(nibridge.imread(tmp_path / "pair.mhd")), image)
    nibridge.imwrite(image, tmp_path / "analyze.hdr")
    assert (tmp_path / "analyze.img").stat().st_size == 24 * 2
    assert temporaries(tmp_path) == []


def test_metadata_gives_what_the_reader_found(tmp_path):
    image = nibridge.imread(Path(data_path) / "test.mgz")
    assert image.metadata["NiBabel_ImageClass"] == "MGHImage"
    kept = np.array(image.metadata["NiBridge_RASAffine"].split(), dtype=np.float64).reshape(4, 4)
    np.testing.assert_array_equal(kept, nib.load(Path(data_path) / "test.mgz").affine)
    path = tmp_path / "keys.nrrd"
    path.write_bytes(
        b"NRRD0004\ntype: short\ndimension: 2\nsizes: 2 3\nencoding: raw\nendian: little\n"
        b"patient_name:=Anonymous\n\n" + np.arange(6, dtype="<i2").tobytes()
    )
    image = nibridge.imread(path)
    metadata = image.metadata
    assert metadata["patient_name"] == "Anonymous"
    metadata["patient_name"] = "changed"
    assert image.metadata["patient_name"] == "Anonymous"
    assert nibridge.Image((2, 3), "uint8").metadata == {}


def test_a_missing_file_raises_file_not_found_naming_it(tmp_path):
    path = tmp_path / "missing.nii"
    with pytest.raises(FileNotFoundError, match="missing.nii"):
        nibridge.imread(path)


@pytest.mark.parametrize("name", ["malformed.nii", "malformed.npy", "malformed.mgz", "unknown.xyz"])
def test_a_malformed_file_raises_os_error_naming_it(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"this is not an image" * 10)
    with pytest.raises(OSError, match=name.replace(".", r"\.")):
        nibridge.imread(path)


def test_writing_errors_are_clear(tmp_path):
    image = nibridge.image_from_array(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="image.unknown"):
        nibridge.imwrite(image, tmp_path / "image.unknown")
    with pytest.raises(OSError, match="image.nii"):
        nibridge.imwrite(image, tmp_path / "no" / "such" / "directory" / "image.nii")
    with pytest.raises(TypeError, match="bool"):
        nibridge.imwrite(nibridge.image_from_array(np.zeros((2, 3), bool)), tmp_path / "mask.nrrd")


@pytest.mark.parametrize("name", NIBABEL_FILES)
def test_concurrent_imread_from_four_threads_gives_identical_images(name):
    path = Path(data_path) / name
    expected = nibridge.array_from_image(nibridge.imread(path))

    def read(_):
        image = nibridge.imread(path)
        return nibridge.array_from_image(image), image.spacing, image.origin, image.direction

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(read, range(16)))
    for array, spacing, origin, direction in results:
        np.testing.assert_array_equal(array, expected)
        np.testing.assert_array_equal(spacing, results[0][1])
        np.testing.assert_array_equal(origin, results[0][2])
        np.testing.assert_array_equal(direction, results[0][3])


# -- what porting itk's and SimpleITK's tests found (issue 14) ---------------------------------------------------------


@pytest.mark.parametrize("name", ["series.nii", "series.nii.gz", "series2.nii"])
def test_a_4d_nifti_keeps_its_time_origin_both_ways(tmp_path, name):
    # NIfTI's toffset is the origin of the fourth axis, as ITK 5.4 and SimpleITK read and write it
    image = nibridge.image_from_array(
        np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(5, 4, 3, 2), spacing=[1, 2, 3, 2.5], origin=[4, 5, 6, 7.5]
    )
    if name == "series2.nii":
        two = nib.Nifti2Image(nibridge.array_from_image(image, keep_axes=True), np.eye(4))
        two.header.set_zooms((1, 1, 1, 2.5))
        two.header["toffset"] = 7.5
        image = nibridge.from_nibabel(two)  # keeps the image class: imwrite writes NIfTI-2
    nibridge.imwrite(image, tmp_path / name)
    assert float(nib.load(tmp_path / name).header["toffset"]) == 7.5
    back = nibridge.imread(tmp_path / name)
    assert back.origin[3] == 7.5 and back.spacing[3] == 2.5
    np.testing.assert_array_equal(back.origin[:3], image.origin[:3])


def test_a_toffset_written_by_nibabel_is_the_time_origin_and_a_nan_one_is_none(tmp_path):
    img = nib.Nifti1Image(np.zeros((2, 3, 4, 5), np.int16), np.eye(4))
    img.header["toffset"] = -3.25
    nib.save(img, tmp_path / "offset.nii")
    assert nibridge.imread(tmp_path / "offset.nii").origin[3] == -3.25
    assert nibridge.from_nibabel(nib.load(tmp_path / "offset.nii")).origin[3] == -3.25
    img.header["toffset"] = np.nan  # nibabel loads it; NiBridge takes no origin from it
    nib.save(img, tmp_path / "nan.nii")
    assert nibridge.imread(tmp_path / "nan.nii").origin[3] == 0.0
    # a 3-D file has no fourth axis for it
    three = nib.Nifti1Image(np.zeros((2, 3, 4), np.int16), np.eye(4))
    three.header["toffset"] = 9.0
    nib.save(three, tmp_path / "three.nii")
    assert nibridge.imread(tmp_path / "three.nii").origin.shape == (3,)


def test_the_bool_imwrite_error_gives_a_hint_that_works(tmp_path):
    mask = nibridge.image_from_array(np.eye(3, dtype=bool)[None], spacing=[0.5, 2, 3], origin=[1, 2, 3])
    with pytest.raises(TypeError, match="bool") as error:
        nibridge.imwrite(mask, tmp_path / "mask.nrrd")
    hint = str(error.value).split("instead: ", 1)[1]
    copy = eval(hint, {"nibridge": nibridge, "numpy": np, "image": mask})  # noqa: S307 (the message's own code)
    nibridge.imwrite(copy, tmp_path / "mask.nrrd")
    back = nibridge.imread(tmp_path / "mask.nrrd")
    np.testing.assert_array_equal(nibridge.array_view_from_image(back), np.eye(3, dtype=np.uint8)[None])
    np.testing.assert_array_equal(back.spacing, mask.spacing)
    np.testing.assert_array_equal(back.origin, mask.origin)


@pytest.mark.parametrize("name", ["plain.nii", "plain.hdr", "plain.mgh", "plain.npy"])
def test_compress_true_for_a_name_that_is_not_compressed_warns(tmp_path, name):
    image = nibridge.image_from_array(np.zeros((2, 3, 4), np.float32))
    with pytest.warns(UserWarning, match=re.escape(name) + ".*compress=True has no effect.*by the file name"):
        nibridge.imwrite(image, tmp_path / name, compress=True)
    assert (tmp_path / name).exists()


@pytest.mark.parametrize("name", ["packed.nii.gz", "packed.mgz", "packed.nrrd", "packed.mha"])
def test_compress_true_is_silent_where_it_is_honoured(tmp_path, name, recwarn):
    image = nibridge.image_from_array(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    nibridge.imwrite(image, tmp_path / name, compress=True)
    assert [str(warning.message) for warning in recwarn if "compress" in str(warning.message)] == []
    np.testing.assert_array_equal(
        nibridge.array_view_from_image(nibridge.imread(tmp_path / name)), np.arange(24).reshape(2, 3, 4)
    )


@pytest.mark.parametrize("name", ["phantom_EPI_asc_CLEAR_2_1.PAR", "tinypet.v", "example4d+orig.HEAD", "tiny.mnc"])
def test_reading_a_nibabel_format_leaves_no_file_open(name):
    # nibabel's PAR/REC and ECAT images keep their file open until they are collected, which warns; imread closes
    # the files once it is done with the image
    code = (
        "import gc, warnings, nibridge\n"
        "from nibabel.testing import data_path\n"
        "warnings.simplefilter('error', ResourceWarning)\n"
        f"image = nibridge.imread(data_path / {name!r})\n"
        "gc.collect()\n"
        "print(image.shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "ResourceWarning" not in result.stderr, result.stderr


def test_help_shows_the_real_signatures_and_no_pybind11_internals():
    import pydoc  # noqa: PLC0415

    for function, signature in [
        (nibridge.imread, "imread(path: str | os.PathLike[str], *, values: str = 'scaled') -> nibridge.Image"),
        (nibridge.imwrite, "imwrite(image: nibridge.Image, path: str | os.PathLike[str], compress: bool = False)"),
        (nibridge.array_view_from_image, "array_view_from_image(image: nibridge.Image, keep_axes: bool = False)"),
        (nibridge.image_from_array, "image_from_array(array: "),
    ]:
        text = pydoc.render_doc(function, renderer=pydoc.plaintext)
        assert "pybind11" not in text and "_core" not in text, text[:400]
        assert signature in text, text[:400]
        assert len(text.splitlines()) > 5  # the documentation itself, not only the signature


def test_help_of_the_image_class_names_it_nibridge_image_in_every_signature():
    import pydoc  # noqa: PLC0415

    text = pydoc.render_doc(nibridge.Image, renderer=pydoc.plaintext)
    assert nibridge.Image.__module__ == "nibridge"
    assert "_core" not in text, [line for line in text.splitlines() if "_core" in line][:5]
    assert "__init__(self: nibridge.Image, size:" in text, text[:800]
    assert "__array__(self: nibridge.Image, dtype: " in text, text[:800]
