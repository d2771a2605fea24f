"""nibabel interop: from_nibabel and to_nibabel (nibridge/_nibabel.py)."""

import gc
from pathlib import Path

import nibabel as nib
import nibridge
import numpy as np
import pytest
from nibabel.testing import data_path

NIBABEL_FILES = ["anatomical.nii", "example4d.nii.gz", "test.mgz"]
F = np.diag([-1.0, -1.0, 1.0])


def rotation(angles):
    """A proper rotation about x, then y, then z."""
    result = np.eye(3)
    for axis, angle in enumerate(angles):
        cosine, sine = np.cos(angle), np.sin(angle)
        other = [index for index in range(3) if index != axis]
        turn = np.eye(3)
        turn[np.ix_(other, other)] = [[cosine, -sine], [sine, cosine]]
        result = turn @ result
    return result


def oblique_affine():
    affine = np.eye(4)
    affine[:3, :3] = rotation((0.3, -0.7, 1.1)) @ np.diag([0.9, 1.7, 2.3])
    affine[:3, 3] = (-12.25, 31.5, 7.125)
    return affine


def axis_aligned_affine():
    return np.array([[-2.0, 0, 0, 32], [0, 0, 3.5, -40], [0, 1.25, 0, -16], [0, 0, 0, 1]])


@pytest.mark.parametrize("name", NIBABEL_FILES)
def test_nibabel_test_files_keep_their_values_and_affine(name):
    img = nib.load(str(Path(data_path) / name))
    expected = np.asanyarray(img.dataobj)
    image = nibridge.from_nibabel(img)
    assert image.dimension == expected.ndim
    np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=True), expected)
    linear = F @ img.affine[:3, :3]
    np.testing.assert_allclose(image.spacing[:3], np.linalg.norm(linear, axis=0), rtol=1e-15)
    np.testing.assert_allclose(image.direction[:3, :3] * image.spacing[:3], linear, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(image.origin[:3], F @ img.affine[:3, 3])
    if expected.ndim == 4:
        assert image.spacing[3] == pytest.approx(float(img.header.get_zooms()[3]))
    back = nibridge.to_nibabel(image)
    np.testing.assert_array_equal(back.affine, img.affine)  # bit for bit: the image keeps the affine it was given
    np.testing.assert_array_equal(np.asanyarray(back.dataobj), expected)
    if expected.ndim == 4:
        assert float(back.header.get_zooms()[3]) == pytest.approx(float(img.header.get_zooms()[3]))


def test_a_fortran_native_writable_array_is_viewed_and_others_are_copied():
    array = np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    image = nibridge.from_nibabel(nib.Nifti1Image(array, np.eye(4)))
    assert np.shares_memory(nibridge.array_view_from_image(image, keep_axes=True), array)

    c_order = np.ascontiguousarray(array)
    image = nibridge.from_nibabel(nib.Nifti1Image(c_order, np.eye(4)))
    assert not np.shares_memory(nibridge.array_view_from_image(image), c_order)
    np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=True), array)

    read_only = array.copy(order="F")
    read_only.flags.writeable = False
    image = nibridge.from_nibabel(nib.Nifti1Image(read_only, np.eye(4)))
    assert image.writeable
    np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=True), read_only)


def test_a_read_only_memory_map_is_copied(tmp_path):
    array = np.asfortranarray(np.arange(60, dtype=np.int16).reshape(3, 4, 5))
    path = tmp_path / "native.nii"
    nib.save(nib.Nifti1Image(array, axis_aligned_affine()), str(path))
    img = nib.load(str(path), mmap="r")
    assert isinstance(img.dataobj.get_unscaled(), np.memmap)
    image = nibridge.from_nibabel(img)
    np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=True), array)


@pytest.mark.parametrize("make_affine", [axis_aligned_affine, oblique_affine])
def test_generated_affines_round_trip(make_affine):
    affine = make_affine()
    array = np.asfortranarray(np.random.default_rng(4).random((4, 5, 6)))
    image = nibridge.from_nibabel(nib.Nifti1Image(array, affine))
    back = nibridge.to_nibabel(image)
    if make_affine is axis_aligned_affine:
        np.testing.assert_array_equal(back.affine, affine)
        np.testing.assert_array_equal(image.spacing, [2.0, 1.25, 3.5])
        np.testing.assert_array_equal(image.origin, [-32.0, 40.0, -16.0])
    else:
        np.testing.assert_array_equal(back.affine, affine)
        np.testing.assert_allclose(image.direction @ image.direction.T, np.eye(3), atol=1e-14)
    np.testing.assert_array_equal(np.asanyarray(back.dataobj), array)
    # The nibabel image views the nibridge image's buffer.
    assert np.shares_memory(np.asanyarray(back.dataobj), array)


def test_many_random_oblique_affines_round_trip_bit_for_bit_and_edits_are_followed():
    rng = np.random.default_rng(11)
    for _ in range(200):
        affine = np.eye(4)
        affine[:3, :3] = rotation(rng.uniform(-3.1, 3.1, 3)) @ np.diag(rng.uniform(0.3, 4.0, 3))
        affine[:3, 3] = rng.uniform(-100.0, 100.0, 3)
        image = nibridge.from_nibabel(nib.Nifti1Image(np.zeros((2, 3, 4), np.float32, order="F"), affine))
        np.testing.assert_array_equal(nibridge.to_nibabel(image).affine, affine)
    # An edited geometry is followed: the kept affine no longer applies.
    image.spacing = image.spacing * 2.0
    edited = nibridge.to_nibabel(image).affine
    np.testing.assert_allclose(edited[:3, :3], affine[:3, :3] * 2.0, rtol=1e-14, atol=1e-13)
    np.testing.assert_array_equal(edited[:3, 3], affine[:3, 3])


def test_an_mgz_read_with_imread_gives_nibabels_affine_bit_for_bit(tmp_path):
    affine = oblique_affine()
    path = tmp_path / "oblique.mgz"
    nib.save(nib.MGHImage(np.arange(60, dtype=np.float32).reshape(3, 4, 5), affine), path)
    expected = nib.load(path).affine
    image = nibridge.imread(path)
    np.testing.assert_array_equal(image.affine, expected)
    np.testing.assert_array_equal(nibridge.to_nibabel(image).affine, expected)
    nibridge.imwrite(image, tmp_path / "again.mgz")
    np.testing.assert_array_equal(nib.load(tmp_path / "again.mgz").affine, expected)
    image.affine = affine
    nibridge.imwrite(image, tmp_path / "given.mgz")
    nib.save(nib.MGHImage(np.zeros((3, 4, 5), np.float32), affine), tmp_path / "reference.mgz")
    # MGH keeps its geometry in float32; both went through the same nibabel save.
    np.testing.assert_array_equal(nib.load(tmp_path / "given.mgz").affine, nib.load(tmp_path / "reference.mgz").affine)


def test_physical_points_agree_between_nibabel_and_itk():
    affine = oblique_affine()
    image = nibridge.from_nibabel(nib.Nifti1Image(np.zeros((4, 5, 6), order="F"), affine))
    index = np.array([1.0, 3.0, 2.0])
    lps = image.origin + image.direction @ (image.spacing * index)
    ras = affine[:3, :3] @ index + affine[:3, 3]
    np.testing.assert_allclose(lps, F @ ras, rtol=1e-12)


def test_four_dimensional_images_keep_the_time_axis_and_its_zoom():
    array = np.asfortranarray(np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5))
    img = nib.Nifti1Image(array, axis_aligned_affine())
    img.header.set_zooms((*img.header.get_zooms()[:3], 2.5))
    image = nibridge.from_nibabel(img)
    assert image.shape == (5, 4, 3, 2)
    assert image.spacing[3] == 2.5
    expected_direction = np.eye(4)
    expected_direction[:3, :3] = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]
    np.testing.assert_array_equal(image.direction, expected_direction)
    back = nibridge.to_nibabel(image)
    assert back.header.get_zooms()[3] == 2.5
    np.testing.assert_array_equal(back.affine, axis_aligned_affine())


def test_the_image_view_outlives_the_nibabel_image_and_its_array():
    array = np.asfortranarray(np.arange(60, dtype=np.float64).reshape(3, 4, 5))
    expected = array.copy()
    img = nib.Nifti1Image(array, oblique_affine())
    image = nibridge.from_nibabel(img)
    del img, array
    gc.collect()
    np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=True), expected)


def test_the_nibabel_image_outlives_the_nibridge_image():
    image = nibridge.image_from_array(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    expected = nibridge.array_from_image(image, keep_axes=True)
    img = nibridge.to_nibabel(image)
    del image
    gc.collect()
    np.testing.assert_array_equal(np.asanyarray(img.dataobj), expected)


@pytest.mark.parametrize(("pixel_type", "shape"), [("rgb", (4, 5, 6)), ("rgba", (4, 5, 6)), ("rgb", (7, 3))])
def test_rgb_images_become_nifti_colour_pixels_without_a_copy_and_come_back(tmp_path, pixel_type, shape):
    components = len(pixel_type)
    values = np.random.default_rng(3).integers(0, 256, (*shape, components), dtype=np.uint8)
    image = nibridge.image_from_array(np.asfortranarray(values), keep_axes=True, is_vector=True)
    image.pixel_type = pixel_type
    img = nibridge.to_nibabel(image)
    assert img.get_data_dtype().names == tuple("RGBA"[:components])
    assert img.shape == shape
    assert np.shares_memory(np.asanyarray(img.dataobj), nibridge.array_view_from_image(image))
    nib.save(img, tmp_path / "colour.nii")
    loaded = nib.load(tmp_path / "colour.nii")
    assert loaded.header["datatype"] == (128 if pixel_type == "rgb" else 2304)  # NIfTI's RGB24 / RGBA32
    back = nibridge.from_nibabel(loaded)
    assert back.pixel_type == pixel_type
    np.testing.assert_array_equal(nibridge.array_view_from_image(back, keep_axes=True), values)
    np.testing.assert_array_equal(back.spacing, image.spacing)


@pytest.mark.parametrize("dimension", [2, 3, 4])
def test_vector_images_become_five_dimensional_vector_intent_nifti_and_come_back(tmp_path, dimension):
    shape = (4, 5, 6, 3)[:dimension]
    values = np.random.default_rng(dimension).normal(size=(*shape, 3)).astype(np.float32)
    image = nibridge.image_from_array(values, keep_axes=True, is_vector=True, spacing=(0.5, 1.5, 2.5, 2.0)[:dimension])
    img = nibridge.to_nibabel(image)
    assert img.ndim == 5
    assert img.header.get_intent()[0] == "vector"
    assert np.shares_memory(np.asanyarray(img.dataobj), nibridge.array_view_from_image(image))
    nib.save(img, tmp_path / "vector.nii.gz")
    back = nibridge.from_nibabel(nib.load(tmp_path / "vector.nii.gz"))
    assert back.pixel_type == "vector"
    assert back.number_of_components == 3
    assert back.dimension == max(dimension, 3)
    expected = values if dimension > 2 else values[:, :, np.newaxis, :]
    np.testing.assert_array_equal(nibridge.array_view_from_image(back, keep_axes=True), expected)
    np.testing.assert_array_equal(back.spacing[:dimension], image.spacing)


def test_bad_input_is_refused_clearly():
    img = nib.Nifti1Image(np.zeros((2, 2, 2)), np.eye(4))
    img._affine[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite 4x4"):
        nibridge.from_nibabel(img)
    with pytest.raises(ValueError, match="2-, 3- and 4-dimensional"):
        nibridge.from_nibabel(nib.Nifti1Image(np.zeros((2, 2, 2, 2, 2, 2)), np.eye(4)))
    with pytest.raises(ValueError, match=r"2-, 3- and 4-dimensional.*\(2,\)"):
        nibridge.from_nibabel(nib.Nifti1Image(np.zeros(2), np.eye(4)))


METADATA_FILES = [
    "anatomical.nii",
    "example4d.nii.gz",
    "example_nifti2.nii.gz",
    "functional.nii",
    "standard.nii.gz",
    "test.mgz",
    "tiny.mnc",
    "example4d+orig.HEAD",
]


@pytest.mark.parametrize("name", METADATA_FILES)
def test_from_nibabel_and_imread_give_the_same_metadata(name):
    # One nibabel side: from_nibabel describes the image with the nibabel-side module's image_metadata, imread with
    # the reader's (native NIfTI and MGH readers, or NiBabelImageIO on that same module).
    path = str(Path(data_path) / name)
    read = nibridge.imread(path).metadata
    converted = nibridge.from_nibabel(nib.load(path)).metadata
    read.pop("NiBabel_Warnings", None)  # in a Python program, nibabel's warnings are Python's
    assert read == converted
    assert read["NiBabel_ImageClass"] == type(nib.load(path)).__name__
    if name.endswith((".nii", ".nii.gz", ".mgz")):
        assert any(key.startswith("NiBabel_Header_") for key in read)


def test_from_nibabel_of_a_generated_image_describes_its_header(tmp_path):
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    image = nibridge.from_nibabel(nib.Nifti1Image(data, oblique_affine()))
    assert image.metadata["NiBabel_ImageClass"] == "Nifti1Image"
    assert image.metadata["NiBabel_ValueDType"] == "<i2"
    nib.save(nib.Nifti1Image(data, oblique_affine()), tmp_path / "saved.nii")
    read = nibridge.imread(tmp_path / "saved.nii").metadata
    assert read["NiBabel_Header_srow_x"] == image.metadata["NiBabel_Header_srow_x"]


def test_to_nibabel_writes_the_time_origin_as_toffset_and_from_nibabel_reads_it():
    image = nibridge.image_from_array(np.zeros((5, 4, 3, 2), np.float32), spacing=[1, 1, 1, 2.0], origin=[0, 0, 0, 6])
    img = nibridge.to_nibabel(image)
    assert float(img.header["toffset"]) == 6.0
    assert nibridge.from_nibabel(img).origin[3] == 6.0
    assert nibridge.from_nibabel(nib.Nifti1Image(np.zeros((2, 3, 4, 5), np.float32), np.eye(4))).origin[3] == 0.0
    assert nibridge.from_nibabel(nib.MGHImage(np.zeros((2, 3, 4, 5), np.float32), np.eye(4))).origin[3] == 0.0


# Scaled integer data as nibabel writes it: the slopes where ITK's reader and nibabel used to differ (float32 scaling
# in ITK, slopes below float32's resolution ignored), and a slope with an intercept.
SCALINGS = [(0.5, 0.0), (1e-9, 0.0), (3.0000001, -1024.0), (1.0, 0.25), (2.0**-30, 7.0)]


@pytest.mark.parametrize(("slope", "inter"), SCALINGS)
@pytest.mark.parametrize("dtype", ["int16", "uint8", "int32"])
def test_scaled_integer_files_round_trip_through_imread_as_nibabel_reads_them(tmp_path, slope, inter, dtype):
    stored = np.arange(2 * 3 * 4, dtype=dtype).reshape(2, 3, 4) * (1 if dtype == "uint8" else 997)
    img = nib.Nifti1Image(stored, oblique_affine())
    img.header.set_slope_inter(slope, inter)
    img.set_data_dtype(dtype)
    nib.save(img, tmp_path / "scaled.nii.gz")
    loaded = nib.load(tmp_path / "scaled.nii.gz")
    expected = np.asarray(loaded.dataobj)
    image = nibridge.imread(tmp_path / "scaled.nii.gz")
    values = nibridge.array_view_from_image(image, keep_axes=True)
    assert values.dtype == expected.dtype
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(image.affine, loaded.affine)
    np.testing.assert_array_equal(
        nibridge.array_view_from_image(nibridge.imread(tmp_path / "scaled.nii.gz", values="raw"), keep_axes=True),
        loaded.dataobj.get_unscaled(),
    )
    # and back: what imwrite writes, nibabel reads as the same values and affine
    nibridge.imwrite(image, tmp_path / "again.nii.gz")
    again = nib.load(tmp_path / "again.nii.gz")
    np.testing.assert_array_equal(np.asarray(again.dataobj), expected)
    np.testing.assert_array_equal(again.affine, loaded.affine)
