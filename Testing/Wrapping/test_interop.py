"""Interop with the itk, SimpleITK and vtk wheels: to_itk / from_itk, to_sitk / from_sitk, to_vtk / from_vtk
(nibridge/_interop.py)."""

import gc
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import itk
import nibridge
import numpy as np
import pytest
import SimpleITK as sitk
import vtk
from nibabel.testing import data_path
from nibridge._core import _live_pixel_container_count
from nibridge._interop import ITK_COMPONENT_NAMES, SUPPORTED_DTYPES
from vtkmodules.util import numpy_support

SIZES = {2: (5, 3), 3: (5, 3, 2), 4: (5, 3, 2, 2)}  # ITK order (i, j, k, t)
ALL_DTYPES = [
    "bool",
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
    "complex64",
    "complex128",
]


def values(dtype, shape, seed=0):
    """Values that use the dtype's range: extremes, negative numbers, fractions."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    if dtype.kind == "c":
        real = np.finfo(dtype).dtype
        return (rng.standard_normal(shape) * 1e3).astype(real) + 1j * rng.standard_normal(shape).astype(real)
    return (rng.standard_normal(shape) * 1e3).astype(dtype)


def oblique_direction(dimension, seed=1):
    """A proper, non-trivial rotation: every entry non-zero."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((dimension, dimension)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def geometry(dimension):
    spacing = np.array([0.7, 1.3, 2.9, 1.7][:dimension]) * 1.0000001
    origin = np.array([-12.25, 31.5, 7.125, -3.3][:dimension]) / 3.0
    return spacing, origin, oblique_direction(dimension)


def make_image(dtype, dimension, components=1, pixel_type=None):
    spacing, origin, direction = geometry(dimension)
    shape = tuple(reversed(SIZES[dimension])) + ((components,) if components > 1 else ())
    image = nibridge.image_from_array(
        values(dtype, shape),
        is_vector=components > 1,
        spacing=spacing,
        origin=origin,
        direction=direction,
    )
    if pixel_type is not None:
        image.pixel_type = pixel_type
    return image


def assert_same_image(result, expected):
    """Values, dtype, pixel kind and geometry identical (==, not allclose)."""
    assert isinstance(result, nibridge.Image)
    assert result.dtype == expected.dtype
    assert result.dimension == expected.dimension
    assert result.is_vector == expected.is_vector
    assert result.number_of_components == expected.number_of_components
    assert np.array_equal(nibridge.array_view_from_image(result), nibridge.array_view_from_image(expected))
    assert np.array_equal(result.spacing, expected.spacing)
    assert np.array_equal(result.origin, expected.origin)
    assert np.array_equal(result.direction, expected.direction)
    if hasattr(expected, "pixel_type"):
        assert result.pixel_type == expected.pixel_type


def cases(wheel, dimensions=(2, 3, 4)):
    """(dtype, dimension, components) of every supported kind of a wheel."""
    result = [(dtype, dimension, 1) for dtype in SUPPORTED_DTYPES[wheel]["scalar"] for dimension in dimensions]
    result += [
        (dtype, dimension, components)
        for dtype in SUPPORTED_DTYPES[wheel]["vector"]
        for dimension in dimensions
        for components in (2, 3)
    ]
    return result


ITK_COMPONENTS = {dtype: getattr(itk, name) for dtype, name in ITK_COMPONENT_NAMES.items()}


def case_id(case):
    dtype, dimension, components = case
    return f"{dtype}-{dimension}d-{components}c"


# --- nibridge -> wheel -> nibridge -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("itk"), ids=case_id)
def test_itk_round_trip_keeps_values_dtype_and_geometry(case):
    dtype, dimension, components = case
    image = make_image(dtype, dimension, components)
    converted = nibridge.to_itk(image)
    expected_type = (itk.VectorImage if components > 1 else itk.Image)[ITK_COMPONENTS[dtype], dimension]
    assert type(converted) is expected_type
    assert tuple(converted.GetLargestPossibleRegion().GetSize()) == SIZES[dimension]
    assert tuple(converted.GetSpacing()) == tuple(image.spacing)
    assert tuple(converted.GetOrigin()) == tuple(image.origin)
    assert np.array_equal(itk.array_from_matrix(converted.GetDirection()), image.direction)
    assert np.array_equal(itk.array_view_from_image(converted), nibridge.array_view_from_image(image))
    assert_same_image(nibridge.from_itk(converted), image)


@pytest.mark.parametrize("case", cases("SimpleITK"), ids=case_id)
def test_sitk_round_trip_keeps_values_dtype_and_geometry(case):
    dtype, dimension, components = case
    image = make_image(dtype, dimension, components)
    converted = nibridge.to_sitk(image)
    assert converted.GetSize() == SIZES[dimension]
    assert converted.GetNumberOfComponentsPerPixel() == components
    assert converted.GetSpacing() == tuple(image.spacing)
    assert converted.GetOrigin() == tuple(image.origin)
    assert converted.GetDirection() == tuple(image.direction.ravel())  # row-major
    assert np.array_equal(sitk.GetArrayViewFromImage(converted), nibridge.array_view_from_image(image))
    assert sitk.GetArrayViewFromImage(converted).dtype == image.dtype
    assert_same_image(nibridge.from_sitk(converted), image)


@pytest.mark.parametrize("case", cases("vtk", dimensions=(2, 3)), ids=case_id)
def test_vtk_round_trip_keeps_values_dtype_and_geometry(case):
    dtype, dimension, components = case
    image = make_image(dtype, dimension, components)
    converted = nibridge.to_vtk(image)
    assert isinstance(converted, vtk.vtkImageData)
    assert converted.GetDimensions() == (*SIZES[dimension], 1)[:3]
    scalars = converted.GetPointData().GetScalars()
    assert scalars.GetNumberOfComponents() == components
    flat = nibridge.array_view_from_image(image).reshape(-1, components) if components > 1 else None
    expected_flat = flat if flat is not None else nibridge.array_view_from_image(image).reshape(-1)
    assert np.array_equal(numpy_support.vtk_to_numpy(scalars), expected_flat)
    assert numpy_support.vtk_to_numpy(scalars).dtype == image.dtype
    spacing, origin, direction = np.ones(3), np.zeros(3), np.eye(3)
    spacing[:dimension], origin[:dimension] = image.spacing, image.origin
    direction[:dimension, :dimension] = image.direction
    assert converted.GetSpacing() == tuple(spacing)
    assert converted.GetOrigin() == tuple(origin)
    matrix = converted.GetDirectionMatrix()
    assert [matrix.GetElement(row, column) for row in range(3) for column in range(3)] == list(direction.ravel())
    back = nibridge.from_vtk(converted, dimension=dimension)
    assert_same_image(back, image)
    if dimension == 2:
        assert nibridge.from_vtk(converted).dimension == 3  # 3D unless asked


@pytest.mark.parametrize("pixel_type", ["rgb", "rgba"])
@pytest.mark.parametrize("dimension", [2, 3, 4])
def test_colour_images_become_itk_rgb_pixels_and_come_back_as_colour(pixel_type, dimension):
    components = len(pixel_type)
    image = make_image("uint8", dimension, components, pixel_type=pixel_type)
    converted = nibridge.to_itk(image)
    colour = itk.RGBPixel if pixel_type == "rgb" else itk.RGBAPixel
    assert type(converted) is itk.Image[colour[itk.UC], dimension]
    assert np.array_equal(itk.array_view_from_image(converted), nibridge.array_view_from_image(image))
    back = nibridge.from_itk(converted)
    assert back.pixel_type == pixel_type
    assert_same_image(back, image)
    # SimpleITK and VTK have no colour type: a vector image of 3 / 4 components
    through_sitk = nibridge.from_sitk(nibridge.to_sitk(image))
    assert through_sitk.pixel_type == "vector"
    assert np.array_equal(nibridge.array_view_from_image(through_sitk), nibridge.array_view_from_image(image))
    if dimension < 4:
        through_vtk = nibridge.from_vtk(nibridge.to_vtk(image), dimension=dimension)
        assert through_vtk.pixel_type == "vector"
        assert np.array_equal(nibridge.array_view_from_image(through_vtk), nibridge.array_view_from_image(image))


def test_colour_images_of_other_dtypes_go_to_itk_as_vector_images():
    image = make_image("float32", 3, 3, pixel_type="rgb")
    assert type(nibridge.to_itk(image)) is itk.VectorImage[itk.F, 3]


def test_a_uint8_vector_image_of_three_components_stays_a_vector_image_in_itk():
    image = make_image("uint8", 3, 3)
    assert type(nibridge.to_itk(image)) is itk.VectorImage[itk.UC, 3]


# --- wheel -> nibridge -> wheel --------------------------------------------------------------------------------


def set_itk_geometry(image, dimension):
    spacing, origin, direction = geometry(dimension)
    image.SetSpacing(spacing.tolist())
    image.SetOrigin(origin.tolist())
    image.SetDirection(itk.matrix_from_array(direction))
    return image


def assert_same_itk_geometry(result, expected):
    assert tuple(result.GetSpacing()) == tuple(expected.GetSpacing())
    assert tuple(result.GetOrigin()) == tuple(expected.GetOrigin())
    assert np.array_equal(itk.array_from_matrix(result.GetDirection()), itk.array_from_matrix(expected.GetDirection()))


def allocated_itk_image(image_type, array):
    """An itk image of `array` (k, j, i[, c]); itk.image_from_array has no ImageDuplicator for CovariantVector."""
    image = image_type.New()
    dimension = image_type.GetImageDimension()
    image.SetRegions([int(extent) for extent in reversed(array.shape[:dimension])])
    if array.ndim > dimension and hasattr(image, "SetNumberOfComponentsPerPixel"):
        image.SetNumberOfComponentsPerPixel(array.shape[-1])
    image.Allocate()
    itk.array_view_from_image(image)[...] = array
    return image


ITK_TYPES = [
    (itk.Image[itk.SS, 3], (2, 3, 5), "int16"),
    (itk.Image[itk.F, 2], (3, 5), "float32"),
    (itk.Image[itk.UL, 4], (2, 2, 3, 5), "uint64"),
    (itk.VectorImage[itk.US, 3], (2, 3, 5, 4), "uint16"),
    (itk.Image[itk.Vector[itk.F, 3], 3], (2, 3, 5, 3), "float32"),
    (itk.Image[itk.CovariantVector[itk.D, 2], 2], (3, 5, 2), "float64"),
]


@pytest.mark.parametrize(
    ("image_type", "shape", "dtype"), ITK_TYPES, ids=lambda value: getattr(value, "__name__", str(value))
)
def test_itk_to_nibridge_and_back_keeps_values_and_geometry(image_type, shape, dtype):
    source = set_itk_geometry(allocated_itk_image(image_type, values(dtype, shape)), image_type.GetImageDimension())
    image = nibridge.from_itk(source)
    components = source.GetNumberOfComponentsPerPixel()
    assert image.is_vector == (components > 1 or isinstance(source, itk.VectorImage[itk.US, 3]))
    assert image.number_of_components == components
    assert np.array_equal(nibridge.array_view_from_image(image), itk.array_view_from_image(source))
    back = nibridge.to_itk(image)
    # Vector / CovariantVector pixels come back as an itk.VectorImage of the same components
    expected_type = image_type if components == 1 or "VectorImage" in image_type.__name__ else None
    if expected_type is not None:
        assert type(back) is expected_type
    assert np.array_equal(itk.array_view_from_image(back), itk.array_view_from_image(source))
    assert itk.array_view_from_image(back).dtype == np.dtype(dtype)
    assert_same_itk_geometry(back, source)


@pytest.mark.parametrize("colour", ["rgb", "rgba"])
def test_itk_rgb_images_go_through_nibridge_and_back(colour):
    pixel = itk.RGBPixel[itk.UC] if colour == "rgb" else itk.RGBAPixel[itk.UC]
    source = itk.image_from_array(values("uint8", (2, 3, 5, len(colour))), ttype=itk.Image[pixel, 3])
    set_itk_geometry(source, 3)
    image = nibridge.from_itk(source)
    assert image.pixel_type == colour
    back = nibridge.to_itk(image)
    assert type(back) is type(source)
    assert np.array_equal(itk.array_view_from_image(back), itk.array_view_from_image(source))
    assert_same_itk_geometry(back, source)


def sitk_image(dtype, dimension, components):
    shape = tuple(reversed(SIZES[dimension])) + ((components,) if components > 1 else ())
    image = sitk.GetImageFromArray(values(dtype, shape, seed=5), isVector=components > 1)
    spacing, origin, direction = geometry(dimension)
    image.SetSpacing(spacing.tolist())
    image.SetOrigin(origin.tolist())
    image.SetDirection(direction.ravel().tolist())
    return image


@pytest.mark.parametrize("case", cases("SimpleITK"), ids=case_id)
def test_sitk_to_nibridge_and_back_keeps_values_type_and_geometry(case):
    source = sitk_image(*case)
    image = nibridge.from_sitk(source)
    back = nibridge.to_sitk(image)
    assert back.GetPixelID() == source.GetPixelID()
    assert np.array_equal(sitk.GetArrayViewFromImage(back), sitk.GetArrayViewFromImage(source))
    assert back.GetSpacing() == source.GetSpacing()
    assert back.GetOrigin() == source.GetOrigin()
    assert back.GetDirection() == source.GetDirection()


def test_sitk_images_sharing_a_buffer_convert_from_either():
    first = sitk_image("float32", 3, 1)
    second = sitk.Image(first)  # copy-on-write: both share one buffer
    assert np.array_equal(nibridge.array_view_from_image(nibridge.from_sitk(second)), sitk.GetArrayViewFromImage(first))


@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES["vtk"]["scalar"])
@pytest.mark.parametrize("components", [1, 3])
def test_vtk_to_nibridge_and_back_keeps_values_type_and_geometry(dtype, components):
    array = values(dtype, (2 * 3 * 5, components) if components > 1 else (2 * 3 * 5,), seed=3)
    source = vtk.vtkImageData()
    source.SetDimensions(5, 3, 2)
    source.SetSpacing(0.7, 1.3, 2.9)
    source.SetOrigin(-1.5, 2.25, 3.125)
    source.SetDirectionMatrix(*oblique_direction(3).ravel().tolist())
    source.GetPointData().SetScalars(numpy_support.numpy_to_vtk(array, deep=True))
    image = nibridge.from_vtk(source)
    assert image.dtype == np.dtype(dtype)
    assert np.array_equal(image.spacing, (0.7, 1.3, 2.9))
    assert np.array_equal(image.origin, (-1.5, 2.25, 3.125))
    assert np.array_equal(image.direction, oblique_direction(3))
    back = nibridge.to_vtk(image)
    scalars = back.GetPointData().GetScalars()
    assert scalars.GetDataType() == source.GetPointData().GetScalars().GetDataType()
    assert np.array_equal(numpy_support.vtk_to_numpy(scalars), array)
    assert back.GetDimensions() == source.GetDimensions()
    assert back.GetSpacing() == source.GetSpacing()
    assert back.GetOrigin() == source.GetOrigin()
    matrix, expected = back.GetDirectionMatrix(), source.GetDirectionMatrix()
    for row in range(3):
        for column in range(3):
            assert matrix.GetElement(row, column) == expected.GetElement(row, column)


def test_from_itk_runs_a_pending_pipeline_and_refuses_an_unallocated_image():
    source = itk_source()
    median = itk.MedianImageFilter.New(source, Radius=1)
    image = nibridge.from_itk(median.GetOutput())
    expected = reference_median(itk.array_view_from_image(source))
    assert np.array_equal(nibridge.array_view_from_image(image), expected)
    assert np.array_equal(image.spacing, tuple(source.GetSpacing()))
    with pytest.raises(ValueError, match="from_itk: the itk image has no pixel buffer"):
        nibridge.from_itk(itk.Image[itk.F, 3].New())


def test_a_vtk_extent_not_starting_at_zero_moves_the_origin():
    source = vtk.vtkImageData()
    source.SetExtent(2, 6, 1, 3, 0, 1)
    source.SetSpacing(2.0, 4.0, 8.0)
    source.SetOrigin(1.0, 1.0, 1.0)
    source.GetPointData().SetScalars(numpy_support.numpy_to_vtk(np.arange(30, dtype=np.int16), deep=True))
    image = nibridge.from_vtk(source)
    assert image.shape == (2, 3, 5)
    assert np.array_equal(image.origin, (5.0, 5.0, 1.0))
    assert np.array_equal(nibridge.array_view_from_image(image).ravel(), np.arange(30))


# --- the copy is real ------------------------------------------------------------------------------------------


def live_containers():
    gc.collect()
    return _live_pixel_container_count()


TO_WHEEL = {
    "itk": (nibridge.to_itk, itk.array_view_from_image),
    "sitk": (nibridge.to_sitk, sitk.GetArrayViewFromImage),
    "vtk": (nibridge.to_vtk, lambda image: numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())),
}


@pytest.mark.parametrize("wheel", TO_WHEEL)
def test_to_wheel_copies_and_keeps_no_reference_to_nibridge_memory(wheel):
    convert, view = TO_WHEEL[wheel]
    baseline = live_containers()
    image = make_image("float32", 3)
    expected = nibridge.array_from_image(image)
    converted = convert(image)
    nibridge.array_view_from_image(image)[...] = -1
    assert np.array_equal(view(converted).reshape(expected.shape), expected)
    del image
    assert live_containers() == baseline  # the wheel's image holds no nibridge buffer
    assert np.array_equal(view(converted).reshape(expected.shape), expected)


def itk_source():
    return set_itk_geometry(itk.image_from_array(values("float32", (2, 3, 5))), 3)


def vtk_source():
    source = vtk.vtkImageData()
    source.SetDimensions(5, 3, 2)
    source.GetPointData().SetScalars(numpy_support.numpy_to_vtk(values("float32", 30), deep=True))
    return source


FROM_WHEEL = {
    "itk": (itk_source, nibridge.from_itk, itk.array_view_from_image),
    "sitk": (lambda: sitk_image("float32", 3, 1), nibridge.from_sitk, sitk.GetArrayViewFromImage),
    "vtk": (vtk_source, nibridge.from_vtk, TO_WHEEL["vtk"][1]),
}


@pytest.mark.parametrize("wheel", FROM_WHEEL)
def test_from_wheel_copies_and_outlives_the_wheel_image(wheel):
    make, convert, view = FROM_WHEEL[wheel]
    source = make()
    expected = np.array(view(source), copy=True).reshape(2, 3, 5)
    image = convert(source)
    if wheel == "sitk":  # SimpleITK's array view is read-only
        for index in np.ndindex(*source.GetSize()):
            source[index] = 0.0
    else:
        view(source)[...] = 0
    assert not view(source).any()
    assert np.array_equal(nibridge.array_view_from_image(image), expected)
    del source
    gc.collect()
    assert np.array_equal(nibridge.array_view_from_image(image), expected)


@pytest.mark.parametrize("wheel", TO_WHEEL)
def test_conversions_make_no_numpy_temporary(wheel):
    """One copy, done by C++: NumPy (traced by tracemalloc) allocates nothing of the image's size."""
    spacing, origin, direction = geometry(3)
    image = nibridge.image_from_array(np.ones((40, 50, 60)), spacing=spacing, origin=origin, direction=direction)
    nbytes = 40 * 50 * 60 * 8
    convert = TO_WHEEL[wheel][0]
    back_convert = FROM_WHEEL[wheel][1]
    converted = convert(image)
    tracemalloc.start()
    try:
        converted = convert(image)
        _, to_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        back = back_convert(converted)
        _, from_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert to_peak < nbytes // 4
    assert from_peak < nbytes // 4
    assert back.shape == (40, 50, 60)


# --- filters on both sides -------------------------------------------------------------------------------------


def reference_median(array, radius=1):
    """The median over a (2r+1)^d box, edges replicated (ITK's ZeroFluxNeumann boundary)."""
    padded = np.pad(array, radius, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (2 * radius + 1,) * array.ndim)
    return np.median(windows.reshape(*array.shape, -1), axis=-1).astype(array.dtype)


def assert_same_geometry(result, expected):
    assert np.array_equal(result.spacing, expected.spacing)
    assert np.array_equal(result.origin, expected.origin)
    assert np.array_equal(result.direction, expected.direction)


def test_an_itk_median_filter_matches_simpleitk_and_numpy_on_a_nibabel_file():
    image = nibridge.imread(Path(data_path) / "anatomical.nii")
    itk_result = nibridge.from_itk(itk.median_image_filter(nibridge.to_itk(image), radius=1))
    sitk_result = nibridge.from_sitk(sitk.Median(nibridge.to_sitk(image), [1, 1, 1]))
    expected = reference_median(nibridge.array_view_from_image(image))
    assert itk_result.dtype == image.dtype
    assert np.array_equal(nibridge.array_view_from_image(itk_result), expected)
    assert np.array_equal(nibridge.array_view_from_image(sitk_result), expected)
    assert_same_geometry(itk_result, image)
    assert_same_geometry(sitk_result, image)


def test_an_itk_threshold_on_a_4d_nibabel_file_matches_numpy_and_keeps_the_geometry():
    image = nibridge.imread(Path(data_path) / "example4d.nii.gz")
    array = nibridge.array_view_from_image(image)
    lower, upper = int(np.percentile(array, 30)), int(np.percentile(array, 70))
    thresholded = itk.binary_threshold_image_filter(
        nibridge.to_itk(image), lower_threshold=lower, upper_threshold=upper, inside_value=1, outside_value=0
    )
    result = nibridge.from_itk(thresholded)
    expected = ((array >= lower) & (array <= upper)).astype(array.dtype)
    assert np.array_equal(nibridge.array_view_from_image(result), expected)
    assert_same_geometry(result, image)


def test_a_vtk_filter_result_comes_back_with_the_geometry():
    image = make_image("float32", 3)
    shift = vtk.vtkImageShiftScale()
    shift.SetInputData(nibridge.to_vtk(image))
    shift.SetShift(1.0)
    shift.SetScale(2.0)
    shift.Update()
    result = nibridge.from_vtk(shift.GetOutput())
    expected = (nibridge.array_view_from_image(image) + np.float32(1)) * np.float32(2)
    assert np.array_equal(nibridge.array_view_from_image(result), expected)
    assert_same_geometry(result, image)


# --- errors ----------------------------------------------------------------------------------------------------


def unsupported(wheel, kind):
    return [dtype for dtype in ALL_DTYPES if dtype not in SUPPORTED_DTYPES[wheel][kind]]


@pytest.mark.parametrize(
    ("function", "wheel"), [(nibridge.to_itk, "itk"), (nibridge.to_sitk, "SimpleITK"), (nibridge.to_vtk, "vtk")]
)
def test_unsupported_dtypes_raise_a_type_error_naming_the_function_and_dtype(function, wheel):
    assert unsupported(wheel, "scalar")  # every wheel lacks some
    for dtype in unsupported(wheel, "scalar"):
        with pytest.raises(
            TypeError, match=rf"{function.__name__}: .*{dtype}.*supported: {SUPPORTED_DTYPES[wheel]['scalar'][0]}"
        ):
            function(make_image(dtype, 3))
    for dtype in unsupported(wheel, "vector"):
        if dtype != "bool":
            with pytest.raises(TypeError, match=rf"{function.__name__}: vector images of dtype {dtype}"):
                function(make_image(dtype, 3, 2))


def test_the_itk_wheel_lacks_these_dtypes():
    assert set(unsupported("itk", "scalar")) == {"bool", "int8", "int64", "complex64", "complex128"}
    assert set(unsupported("SimpleITK", "scalar")) == {"bool"}
    assert set(unsupported("vtk", "scalar")) == {"bool", "complex64", "complex128"}


@pytest.mark.parametrize("function", [nibridge.to_itk, nibridge.to_sitk, nibridge.to_vtk])
@pytest.mark.parametrize("value", [np.zeros((3, 4)), "image.nii", None])
def test_to_functions_refuse_what_is_not_a_nibridge_image(function, value):
    with pytest.raises(
        TypeError, match=rf"{function.__name__}: expected a nibridge.Image, got .*{type(value).__name__}"
    ):
        function(value)


@pytest.mark.parametrize(
    ("function", "value"),
    [
        (nibridge.from_itk, np.zeros((3, 4))),
        (nibridge.from_itk, sitk.Image(3, 3, sitk.sitkFloat32)),
        (nibridge.from_sitk, itk.Image[itk.F, 2].New()),
        (nibridge.from_sitk, np.zeros((3, 4))),
        (nibridge.from_vtk, vtk.vtkPolyData()),
        (nibridge.from_vtk, None),
    ],
)
def test_from_functions_refuse_other_objects(function, value):
    with pytest.raises(TypeError, match=rf"{function.__name__}: expected .*, got {type(value).__name__}"):
        function(value)


def test_4d_images_do_not_go_to_vtk():
    with pytest.raises(ValueError, match="to_vtk: vtkImageData is at most 3D, got a 4D image"):
        nibridge.to_vtk(make_image("float32", 4))


def test_from_vtk_refuses_bit_arrays_missing_scalars_and_a_bad_dimension():
    source = vtk.vtkImageData()
    source.SetDimensions(4, 3, 2)
    with pytest.raises(ValueError, match="from_vtk: the vtkImageData has no point scalars"):
        nibridge.from_vtk(source)
    bits = vtk.vtkBitArray()
    bits.SetNumberOfTuples(24)
    source.GetPointData().SetScalars(bits)
    with pytest.raises(TypeError, match="from_vtk: VTK scalars of type bit"):
        nibridge.from_vtk(source)
    source.GetPointData().SetScalars(numpy_support.numpy_to_vtk(np.zeros(24, np.float32), deep=True))
    with pytest.raises(ValueError, match="from_vtk: dimension=2 needs a single slice"):
        nibridge.from_vtk(source, dimension=2)
    with pytest.raises(ValueError, match="from_vtk: dimension must be 2 or 3"):
        nibridge.from_vtk(source, dimension=4)


def test_from_sitk_refuses_label_maps():
    label_map = sitk.LabelImageToLabelMap(sitk.Image(4, 4, sitk.sitkUInt8))
    with pytest.raises(TypeError, match="from_sitk: SimpleITK pixel type"):
        nibridge.from_sitk(label_map)


@pytest.mark.parametrize(
    ("function", "module", "hint"),
    [
        (nibridge.to_itk, "itk", "pip install itk"),
        (nibridge.to_sitk, "SimpleITK", "pip install SimpleITK"),
        (nibridge.to_vtk, "vtkmodules.util", "pip install vtk"),
    ],
)
def test_a_missing_wheel_raises_an_import_error_with_an_install_hint(monkeypatch, function, module, hint):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"{function.__name__}: needs .*{hint}"):
        function(make_image("float32", 3))


def test_importing_nibridge_does_not_import_the_wheels_or_nibabel():
    heavy = "{'itk', 'SimpleITK', 'vtk', 'vtkmodules', 'nibabel'}"
    code = f"import sys, nibridge; print(sorted(set(sys.modules) & {heavy}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- one process, two ITK builds -------------------------------------------------------------------------------

IMPORT_SAFETY_SCRIPT = """
import sys
from pathlib import Path

if sys.argv[1] == "nibridge-first":
    import nibridge
    import itk
    import SimpleITK as sitk
    import vtk
else:
    import vtk
    import SimpleITK as sitk
    import itk
    import nibridge
from nibabel.testing import data_path

image = nibridge.imread(Path(data_path) / "anatomical.nii")
itk_result = nibridge.from_itk(itk.median_image_filter(nibridge.to_itk(image), radius=1))
sitk_result = nibridge.from_sitk(sitk.Median(nibridge.to_sitk(image), [1, 1, 1]))
vtk_result = nibridge.from_vtk(nibridge.to_vtk(image))
assert (nibridge.array_view_from_image(itk_result) == nibridge.array_view_from_image(sitk_result)).all()
print("done")
"""

BINDING = re.compile(r"binding file (?P<source>\S+) \[\d+\] to (?P<target>\S+) \[\d+\]: \S+ symbol `(?P<symbol>[^']+)'")
WHEEL_PARTS = ("site-packages/itk/", "itk_core.libs", "SimpleITK", "vtkmodules")
OUR_LIBRARY = re.compile(r"(/lib[^/]*-5\.2\.so[^/]*$)|(NiBridge)|(/nibridge/_core[^/]*$)|(nibridge[^/]*\.so)")


def is_wheel(path):
    return any(part in path for part in WHEEL_PARTS)


def is_ours(path):
    return not is_wheel(path) and OUR_LIBRARY.search(path) is not None


@pytest.mark.parametrize("order", ["nibridge-first", "wheels-first"])
def test_nibridge_and_the_wheels_share_no_itk_or_vtk_symbols_in_one_process(tmp_path, order):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(IMPORT_SAFETY_SCRIPT))
    env = dict(os.environ, LD_DEBUG="bindings", LD_DEBUG_OUTPUT=str(tmp_path / "ld"))
    result = subprocess.run([sys.executable, str(script), order], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.strip() == "done"
    outputs = list(tmp_path.glob("ld.*"))
    assert outputs, "LD_DEBUG produced no output"
    crossings = []
    core_bindings = wheel_bindings = 0
    for output in outputs:
        with open(output, errors="replace") as lines:
            for line in lines:
                match = BINDING.search(line)
                if match is None:
                    continue
                source, target, symbol = match["source"], match["target"], match["symbol"]
                core_bindings += "/nibridge/_core" in source
                wheel_bindings += is_wheel(source)
                if "3itk" not in symbol and "vtk" not in symbol:
                    continue
                if (is_wheel(source) and is_ours(target)) or (is_ours(source) and is_wheel(target)):
                    crossings.append(f"{source} -> {target}: {symbol}")
    assert core_bindings > 0, "no binding of nibridge's _core was recorded"
    assert wheel_bindings > 0, "no binding of a wheel library was recorded"
    assert not crossings, "\n".join(crossings[:20])


# --- what porting itk's and SimpleITK's tests found (issue 14) ---------------------------------------------------


def test_from_itk_follows_a_filters_region_when_it_grows_and_when_it_shrinks():
    # itk.array_from_image runs the pipeline for the largest possible region; Update() alone kept the last request
    array = np.arange(30 * 30, dtype=np.float32).reshape(30, 30)
    source = itk.image_from_array(array)
    extract = itk.RegionOfInterestImageFilter[type(source), type(source)].New(Input=source)

    def region(index, size):
        result = itk.ImageRegion[2]()
        result.SetIndex(index)
        result.SetSize(size)
        return result

    for index, size in [((2, 3), (10, 10)), ((2, 3), (20, 15)), ((5, 1), (4, 6))]:
        extract.SetRegionOfInterest(region(index, size))
        image = nibridge.from_itk(extract.GetOutput())
        expected = array[index[1] : index[1] + size[1], index[0] : index[0] + size[0]]
        np.testing.assert_array_equal(nibridge.array_view_from_image(image), expected)


def test_the_first_conversions_from_several_threads_at_once_all_succeed():
    # Threads importing the itk wheel at once could get its module before it was whole: nibridge imports it under a
    # lock. Each run is a fresh process (the first use happens once per process); without the lock one run in three
    # failed here, so five runs catch it 87% of the time.
    code = textwrap.dedent(
        """
        import threading, numpy as np, nibridge
        images = [nibridge.image_from_array(np.full((4, 5, 6), n, np.float32)) for n in range(8)]
        barrier, errors, results = threading.Barrier(8), [], {}
        def run(n):
            barrier.wait()
            try:
                results[n] = nibridge.array_view_from_image(nibridge.from_itk(nibridge.to_itk(images[n])))
            except Exception as error:
                errors.append(repr(error))
        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        assert errors == [], errors
        assert all((results[n] == n).all() for n in range(8))
        """
    )
    for _ in range(5):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr[-2000:]


def test_from_sitk_of_a_5d_image_says_what_from_sitk_cannot_do():
    five = sitk.Image([2, 3, 4, 5, 6], sitk.sitkFloat32)
    with pytest.raises(
        ValueError, match=r"from_sitk: nibridge images have 2, 3 or 4 dimensions; this image has 5"
    ) as e:
        nibridge.from_sitk(five)
    assert "is_vector" not in str(e.value) and "image_from_array" not in str(e.value)
    vector = sitk.Image([2, 3, 4, 5, 6], sitk.sitkVectorFloat32, 2)
    with pytest.raises(ValueError, match=r"from_sitk: .* this vector image has 5"):
        nibridge.from_sitk(vector)
