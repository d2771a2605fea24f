"""nibridge.Image: construction, attributes, geometry, and NumPy's protocols (__array__, the buffer protocol)."""

import ctypes

import nibridge
import numpy as np
import pytest

PYBUF_WRITABLE = 0x0001
PYBUF_STRIDES = 0x0010 | 0x0008
PYBUF_C_CONTIGUOUS = 0x0020 | PYBUF_STRIDES
PYBUF_F_CONTIGUOUS = 0x0040 | PYBUF_STRIDES


def request_buffer(exporter, flags):
    """PyObject_GetBuffer with explicit flags (Python 3.11 has no __buffer__), then PyBuffer_Release."""
    view = (ctypes.c_char * 256)()  # larger than a Py_buffer
    ctypes.pythonapi.PyObject_GetBuffer.argtypes = [ctypes.py_object, ctypes.c_void_p, ctypes.c_int]
    ctypes.pythonapi.PyBuffer_Release.argtypes = [ctypes.c_void_p]
    ctypes.pythonapi.PyObject_GetBuffer(exporter, view, flags)
    ctypes.pythonapi.PyBuffer_Release(view)


def test_a_new_image_is_zero_filled_with_the_shape_in_numpy_order():
    image = nibridge.Image((4, 3, 2), "int16")
    assert image.shape == (2, 3, 4)
    assert image.ndim == 3
    assert image.dimension == 3
    assert image.dtype == np.int16
    assert image.number_of_components == 1
    assert not image.is_vector
    assert image.buffered_region == ((0, 0, 0), (4, 3, 2))
    np.testing.assert_array_equal(np.asarray(image), np.zeros((2, 3, 4), np.int16))


def test_a_vector_image_has_a_trailing_component_axis():
    image = nibridge.Image((5, 4), "float32", number_of_components=3)
    assert image.is_vector
    assert image.shape == (4, 5, 3)
    assert image.ndim == 3
    assert image.dimension == 2
    single = nibridge.Image((5, 4), "uint8", number_of_components=1, is_vector=True)
    assert single.shape == (4, 5, 1)


def test_bool_images_are_one_byte_per_pixel_with_numpy_bool_values():
    image = nibridge.Image((3, 2), bool)
    assert image.dtype == np.bool_
    view = np.asarray(image)
    view[1, 2] = True
    assert nibridge.array_from_image(image).tolist() == [[False, False, False], [False, False, True]]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (((3, 2), "float16"), TypeError),
        (((3, 2), "U3"), TypeError),
        (((3,), "float32"), ValueError),
        (((3, 2, 2, 2, 2), "float32"), ValueError),
        (((3, 2), "float32", 2, False), ValueError),
        (((3, 2), "float32", 0, True), ValueError),
    ],
)
def test_unsupported_images_are_refused_with_a_clear_error(arguments, error):
    with pytest.raises(error, match="Image"):
        nibridge.Image(*arguments)


def test_geometry_is_lps_in_index_order_and_settable():
    image = nibridge.Image((4, 3, 2))
    np.testing.assert_array_equal(image.spacing, [1, 1, 1])
    np.testing.assert_array_equal(image.origin, [0, 0, 0])
    np.testing.assert_array_equal(image.direction, np.eye(3))
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    image.spacing = (0.5, 2, 3)
    image.origin = [-1.5, 2.25, 10]
    image.direction = rotation
    np.testing.assert_array_equal(image.spacing, [0.5, 2, 3])
    np.testing.assert_array_equal(image.origin, [-1.5, 2.25, 10])
    np.testing.assert_array_equal(image.direction, rotation)
    assert image.spacing.dtype == np.float64
    assert image.direction.shape == (3, 3)


def test_a_subnormal_direction_element_is_set_as_zero_and_the_callers_array_is_left_alone():
    # ITK inverts the direction with vnl's SVD, which gives NaN for a matrix holding a subnormal.
    image = nibridge.Image((4, 3, 2))
    direction = np.array([[1.0, 0.0, 0.0], [1e-310, 1.0, 0.0], [0.0, 0.0, 1.0]])
    image.direction = direction
    np.testing.assert_array_equal(image.direction, np.eye(3))
    assert direction[1, 0] == 1e-310


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("spacing", [1, 2]),
        ("spacing", [1, 0, 1]),
        ("spacing", [1, np.nan, 1]),
        ("origin", [1, 2, 3, 4]),
        ("origin", [np.inf, 0, 0]),
        ("direction", np.eye(2)),
        ("direction", np.zeros((3, 3))),
        ("direction", np.ones(9)),
    ],
)
def test_invalid_geometry_is_refused_with_a_value_error(attribute, value):
    image = nibridge.Image((4, 3, 2))
    with pytest.raises(ValueError, match=attribute):
        setattr(image, attribute, value)


def test_pixel_type_tells_colour_channels_from_vector_components():
    assert nibridge.Image((4, 3), "uint8").pixel_type == "scalar"
    rgb = nibridge.Image((4, 3), "uint8", number_of_components=3)
    assert rgb.pixel_type == "vector"
    rgb.pixel_type = "rgb"
    assert rgb.pixel_type == "rgb"
    assert "2D rgb" in repr(rgb)
    rgb.pixel_type = "vector"
    assert rgb.pixel_type == "vector"
    rgba = nibridge.Image((4, 3), "float32", number_of_components=4)
    rgba.pixel_type = "rgba"
    assert rgba.pixel_type == "rgba"


@pytest.mark.parametrize(
    ("components", "pixel_type", "message"),
    [
        (1, "rgb", "does not fit a scalar image"),
        (1, "vector", "does not fit a scalar image"),
        (3, "scalar", "does not fit a vector image of 3 components"),
        (3, "rgba", "rgba of 4"),
        (4, "rgb", "rgb needs a vector image of 3 components"),
        (2, "rgb", "rgb needs"),
        (3, "RGB", "expected 'scalar', 'vector', 'rgb' or 'rgba'"),
    ],
)
def test_a_pixel_type_that_does_not_fit_is_refused(components, pixel_type, message):
    image = nibridge.Image((4, 3), "uint8", number_of_components=components)
    before = image.pixel_type
    with pytest.raises(ValueError, match=message):
        image.pixel_type = pixel_type
    assert image.pixel_type == before


def test_the_affine_sets_the_geometry_by_the_ras_to_lps_rule_and_reads_back_unchanged():
    image = nibridge.Image((4, 3, 2, 5), "float32")
    image.spacing = (1.0, 1.0, 1.0, 2.5)
    image.origin = (0.0, 0.0, 0.0, 7.0)
    affine = np.array([[0.0, 0.0, 3.0, 10.0], [-2.0, 0.0, 0.0, 20.0], [0.0, 1.5, 0.0, -5.0], [0, 0, 0, 1]])
    image.affine = affine
    np.testing.assert_array_equal(image.affine, affine)
    np.testing.assert_array_equal(image.spacing, [2.0, 1.5, 3.0, 2.5])  # the time axis keeps its spacing
    np.testing.assert_array_equal(image.origin, [-10.0, -20.0, -5.0, 7.0])  # and its origin
    expected_direction = np.eye(4)
    expected_direction[:3, :3] = [[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    np.testing.assert_array_equal(image.direction, expected_direction)
    image.origin = (1.0, 2.0, 3.0, 7.0)
    np.testing.assert_array_equal(image.affine[:3, 3], [-1.0, -2.0, 3.0])


def test_a_2d_image_has_the_affine_of_the_z0_plane():
    image = nibridge.Image((4, 3), "uint8")
    image.spacing = (0.5, 2.0)
    image.origin = (3.0, 4.0)
    np.testing.assert_array_equal(image.affine, [[-0.5, 0, 0, -3.0], [0, -2.0, 0, -4.0], [0, 0, 1, 0], [0, 0, 0, 1]])


@pytest.mark.parametrize(
    ("affine", "message"),
    [
        (np.full((4, 4), np.nan), "finite"),
        (np.eye(3), "16 values"),
        (np.zeros((4, 4)), "affine"),
        (np.arange(16.0), "4x4"),
    ],
)
def test_a_bad_affine_is_refused_and_leaves_the_geometry(affine, message):
    image = nibridge.Image((4, 3, 2), "float32")
    image.spacing = (1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=message):
        image.affine = affine
    np.testing.assert_array_equal(image.spacing, [1.0, 2.0, 3.0])


def test_repr_names_type_size_and_geometry():
    image = nibridge.Image((4, 3), "complex64", number_of_components=2)
    image.spacing = (0.5, 2)
    text = repr(image)
    for part in ("complex64", "2D vector", "(4, 3)", "components=2", "spacing=[0.5, 2]"):
        assert part in text
    image.writeable = False
    assert "read-only" in repr(image)


def test_array_protocol_gives_a_view_unless_a_copy_is_needed():
    image = nibridge.image_from_array(np.arange(6, dtype=np.float32).reshape(2, 3))
    view = np.asarray(image)
    assert np.shares_memory(view, np.asarray(image))
    no_copy = np.array(image, copy=False)
    assert np.shares_memory(no_copy, view)
    copied = np.array(image, copy=True)
    assert not np.shares_memory(copied, view)
    np.testing.assert_array_equal(copied, view)
    converted = np.asarray(image, dtype=np.float64)
    assert converted.dtype == np.float64
    np.testing.assert_array_equal(converted, view)
    with pytest.raises(ValueError, match="copy"):
        np.array(image, dtype=np.float64, copy=False)
    np.testing.assert_array_equal(np.array(image, dtype=np.float32, copy=False), view)


def test_buffer_protocol_honours_the_requested_flags():
    image = nibridge.image_from_array(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    buffer = memoryview(image)
    assert buffer.shape == (2, 3, 4)
    assert buffer.format in ("i", "<i", "=i")
    assert buffer.c_contiguous
    assert not buffer.readonly
    buffer[1, 2, 3] = -7
    assert np.asarray(image)[1, 2, 3] == -7
    # C-contiguous and strided requests are met; a Fortran-contiguous one cannot be, by (k, j, i) C-order memory.
    request_buffer(image, PYBUF_STRIDES)
    request_buffer(image, PYBUF_C_CONTIGUOUS)
    with pytest.raises(BufferError, match="Fortran"):
        request_buffer(image, PYBUF_F_CONTIGUOUS)


def test_read_only_images_give_read_only_views_and_refuse_writable_buffers():
    image = nibridge.image_from_array(np.arange(6, dtype=np.uint16).reshape(2, 3))
    image.writeable = False
    assert not np.asarray(image).flags.writeable
    assert not nibridge.array_view_from_image(image).flags.writeable
    assert memoryview(image).readonly
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(image)[0, 0] = 1
    request_buffer(image, PYBUF_STRIDES)
    with pytest.raises(BufferError, match="[Ww]ritable"):
        request_buffer(image, PYBUF_STRIDES | PYBUF_WRITABLE)
    image.writeable = True
    request_buffer(image, PYBUF_STRIDES | PYBUF_WRITABLE)


def test_allocate_gives_a_new_buffer_and_keeps_the_geometry():
    image = nibridge.image_from_array(np.ones((2, 3), np.float64), spacing=(2, 3))
    before = np.asarray(image)
    image.allocate(initialize=True)
    after = np.asarray(image)
    assert not np.shares_memory(before, after)
    np.testing.assert_array_equal(after, np.zeros((2, 3)))
    np.testing.assert_array_equal(before, np.ones((2, 3)))
    np.testing.assert_array_equal(image.spacing, [2, 3])
