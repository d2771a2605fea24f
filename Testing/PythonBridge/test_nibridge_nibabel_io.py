"""The one nibabel-side module (Modules/PythonBridge/python/nibridge_nibabel_io.py), imported on its own.

NiBabelImageIO compiles it in; the nibridge package ships it as nibridge._nibabel_io. These tests use it as a plain
module, with the component-type codes NiBridge gives it (Core's table, through nibridge._core).
"""

import json
import os
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Modules" / "PythonBridge" / "python"))
import nibridge  # noqa: E402 (the build tree's package, for Core's codes)
import nibridge_nibabel_io as helper  # noqa: E402

helper.set_component_types(nibridge._core._component_types())
CODES = nibridge._core._component_types()

SHIPPED = ["anatomical.nii", "example4d.nii.gz", "test.mgz", "tiny.mnc", "example4d+orig.HEAD", "tinypet.v"]


def test_the_package_ships_the_same_module():
    shipped = Path(nibridge.__file__).with_name("_nibabel_io.py")
    assert shipped.read_bytes() == Path(helper.__file__).read_bytes()


@pytest.mark.parametrize(
    ("dtype", "pixel", "component", "components"),
    [
        (np.int16, "scalar", "int16", 1),
        (">f4", "scalar", "float32", 1),
        (np.bool_, "scalar", "uint8", 1),
        (np.float16, "scalar", "float32", 1),
        (np.complex64, "complex", "complex64", 2),
        ([("R", "u1"), ("G", "u1"), ("B", "u1")], "rgb", "uint8", 3),
        ([("R", "u1"), ("G", "u1"), ("B", "u1"), ("A", "u1")], "rgba", "uint8", 4),
    ],
)
def test_pixel_of_dtype_names_components_by_cores_codes(dtype, pixel, component, components):
    result = helper.pixel_of_dtype(dtype)
    assert result[:3] == (pixel, CODES[component], components)
    assert result[3].isnative


@pytest.mark.parametrize("dtype", [np.longdouble, [("x", "f4"), ("y", "f4")], np.dtype("U4")])
def test_pixel_of_dtype_refuses_what_no_itk_pixel_holds(dtype):
    with pytest.raises(TypeError):
        helper.pixel_of_dtype(dtype)


def test_codes_must_be_given_before_use():
    saved = helper._component_types
    helper._component_types = None
    try:
        with pytest.raises(RuntimeError, match="set_component_types"):
            helper.component_type(np.int16)
    finally:
        helper._component_types = saved


def test_color_pixel_type_tells_nibabels_rgb_from_other_structures():
    assert helper.color_pixel_type([("R", "u1"), ("G", "u1"), ("B", "u1")]) == "rgb"
    assert helper.color_pixel_type([("R", "u2"), ("G", "u2"), ("B", "u2")]) is None
    assert helper.color_pixel_type(np.uint8) is None


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("values", helper.VALUE_MODES)
def test_a_volume_reads_regions_as_nibabel_does(name, values):
    path = os.path.join(data_path, name)
    image = helper.load_image(path)
    if values == "raw" and not hasattr(image.dataobj, "get_unscaled"):
        # nibabel gives no stored values for these proxies (MINC, ECAT): said, not guessed.
        with pytest.raises(TypeError, match="no stored"):
            helper.NiBabelVolume(path, values)
        return
    volume = helper.NiBabelVolume(path, values)
    info = json.loads(volume.info_json())
    if values == "float64":
        expected = np.asarray(image.get_fdata())
    elif values == "raw":
        expected = np.asarray(image.dataobj.get_unscaled())
    else:
        expected = np.asarray(image.dataobj)
    assert info["shape"] == list(expected.shape)
    assert info["metadata"]["NiBabel_Values"] == values
    # The whole image, then the last slab on its own.
    buffer = bytearray(expected.size * volume.delivered.itemsize)
    volume.read_into(buffer, (0,) * expected.ndim, expected.shape)
    np.testing.assert_array_equal(np.frombuffer(buffer, volume.delivered).reshape(expected.shape, order="F"), expected)
    start = (0,) * (expected.ndim - 1) + (expected.shape[-1] - 1,)
    size = expected.shape[:-1] + (1,)
    slab = bytearray(int(np.prod(size)) * volume.delivered.itemsize)
    volume.read_into(slab, start, size)
    np.testing.assert_array_equal(np.frombuffer(slab, volume.delivered).reshape(size, order="F"), expected[..., -1:])


def test_float64_values_of_complex_data_keep_the_imaginary_part(tmp_path):
    data = (np.arange(24) + 1j * np.arange(24)[::-1]).astype(np.complex64).reshape(2, 3, 4)
    path = tmp_path / "complex.nii"
    nib.save(nib.Nifti1Image(data, np.eye(4)), path)
    volume = helper.NiBabelVolume(str(path), "float64")
    assert volume.dtype == np.complex128
    buffer = bytearray(data.size * 16)
    volume.read_into(buffer, (0, 0, 0), data.shape)
    np.testing.assert_array_equal(np.frombuffer(buffer, np.complex128).reshape(data.shape, order="F"), data)


def test_metadata_of_a_nifti_header_is_its_fields_as_text():
    image = nib.load(os.path.join(data_path, "example4d.nii.gz"))
    metadata = helper.image_metadata(image, "scaled", np.asarray(image.dataobj).dtype)
    assert metadata["NiBabel_ImageClass"] == "Nifti1Image"
    assert metadata["NiBabel_Header_dim"] == " ".join(str(value) for value in image.header["dim"])
    assert metadata["NiBabel_Header_magic"] == "n+1"
    assert metadata["NiBabel_TimeUnits"] == image.header.get_xyzt_units()[1]
    assert float(metadata["NiBabel_RepetitionTime"]) == image.header.get_zooms()[3]
    assert metadata["NiBabel_StoredDType"] == image.get_data_dtype().str


def test_stored_dtype_of_ecat_is_its_first_frames():
    image = helper.load_image(os.path.join(data_path, "tinypet.v"))
    assert helper.stored_dtype(image) == np.dtype(image.get_data_dtype(0))


def test_write_volume_writes_mgh_through_a_temporary_file(tmp_path):
    data = np.asfortranarray(np.arange(60, dtype=np.int16).reshape(3, 4, 5))
    affine = np.diag([-2.0, 3.0, 4.0, 1.0])
    description = {
        "format": "mgh",
        "shape": list(data.shape),
        "dtype": data.dtype.str,
        "pixel": "scalar",
        "affine": [repr(float(value)) for value in affine.ravel()],
        "zooms": ["2.0", "3.0", "4.0"],
        "time_units": "unknown",
    }
    target = tmp_path / "out.mgz"
    helper.write_volume(str(target), memoryview(data.tobytes(order="F")), json.dumps(description))
    written = nib.load(target)
    np.testing.assert_array_equal(np.asarray(written.dataobj), data)
    np.testing.assert_array_equal(written.affine, affine)
    assert [path.name for path in tmp_path.iterdir()] == ["out.mgz"]


def test_mgh_takes_only_values_it_holds_exactly():
    assert helper.losslessly_for_mgh(np.array([0, 70000], dtype=np.uint32)).dtype == np.int32
    with pytest.raises(TypeError, match="MGH stores"):
        helper.losslessly_for_mgh(np.array([0.1], dtype=np.float64))
