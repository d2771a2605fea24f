"""imread and imwrite (src/nibridgeIO.cpp): ITK's ImageIO factory, NumPyImageIO and NiBabelImageIO."""

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
