"""Pickling and DLPack on nibridge.Image (src/nibridgeProtocols.cpp, nibridge/_pickle.py)."""

import copy
import gc
import pickle

import nibridge
import numpy as np
import pytest

DIRECTION = np.array([[0.0, 1, 0], [-1, 0, 0], [0, 0, 1]])


def make_image(dtype=np.float32, components=0):
    shape = (2, 3, 4, components) if components else (2, 3, 4)
    array = (np.arange(int(np.prod(shape))) % 7).astype(dtype).reshape(shape)
    return nibridge.image_from_array(
        array, is_vector=components > 0, spacing=(0.5, 1.5, 2.5), origin=(1.0, -2.0, 3.0), direction=DIRECTION
    )


def assert_same_image(actual, expected):
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    assert actual.is_vector == expected.is_vector
    assert actual.pixel_type == expected.pixel_type
    assert actual.writeable == expected.writeable
    np.testing.assert_array_equal(nibridge.array_view_from_image(actual), nibridge.array_view_from_image(expected))
    np.testing.assert_array_equal(actual.spacing, expected.spacing)
    np.testing.assert_array_equal(actual.origin, expected.origin)
    np.testing.assert_array_equal(actual.direction, expected.direction)


def test_protocol_5_with_out_of_band_buffers_does_not_copy_the_pixels():
    image = make_image()
    buffers = []
    data = pickle.dumps(image, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1
    assert np.shares_memory(np.asarray(memoryview(buffers[0])), nibridge.array_view_from_image(image))
    assert len(data) < 512  # the pixels are not in the pickle
    result = pickle.loads(data, buffers=buffers)  # noqa: S301 -- our own data
    assert np.shares_memory(nibridge.array_view_from_image(result), nibridge.array_view_from_image(image))
    assert_same_image(result, image)


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize(("dtype", "components"), [(np.float32, 0), (np.int16, 3), (np.complex128, 0), (np.bool_, 0)])
def test_every_protocol_round_trips_values_geometry_and_kind(protocol, dtype, components):
    image = make_image(dtype, components)
    result = pickle.loads(pickle.dumps(image, protocol=protocol))  # noqa: S301 -- our own data
    assert not np.shares_memory(nibridge.array_view_from_image(result), nibridge.array_view_from_image(image))
    assert_same_image(result, image)


@pytest.mark.parametrize("protocol", [2, 5])
def test_rgb_and_rgba_images_stay_colour_images(protocol):
    for components, pixel_type in ((3, "rgb"), (4, "rgba")):
        image = make_image(np.uint8, components)
        image.pixel_type = pixel_type
        assert_same_image(pickle.loads(pickle.dumps(image, protocol=protocol)), image)  # noqa: S301


@pytest.mark.parametrize("protocol", [2, 5])
def test_the_kept_affine_survives_pickling_bit_for_bit(protocol):
    rng = np.random.default_rng(5)
    for _ in range(50):
        image = make_image()
        rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        affine = np.eye(4)
        affine[:3, :3] = rotation @ np.diag(rng.uniform(0.5, 3.0, 3))
        affine[:3, 3] = rng.uniform(-50.0, 50.0, 3)
        image.affine = affine
        back = pickle.loads(pickle.dumps(image, protocol=protocol))  # noqa: S301
        np.testing.assert_array_equal(back.affine, affine)
        assert_same_image(back, image)


def test_a_read_only_image_stays_read_only_and_deepcopy_copies():
    image = make_image()
    image.writeable = False
    for result in (pickle.loads(pickle.dumps(image, protocol=5)), copy.deepcopy(image)):  # noqa: S301
        assert_same_image(result, image)
        assert not nibridge.array_view_from_image(result).flags.writeable


def test_an_unpickled_view_outlives_the_original_and_its_buffers():
    image = make_image()
    expected = nibridge.array_from_image(image)
    buffers = []
    data = pickle.dumps(image, protocol=5, buffer_callback=buffers.append)
    result = pickle.loads(data, buffers=buffers)  # noqa: S301 -- our own data
    del image, buffers
    gc.collect()
    np.testing.assert_array_equal(nibridge.array_view_from_image(result), expected)


def test_dlpack_exports_the_pixel_buffer_on_the_cpu_without_a_copy():
    image = make_image(np.float64, 3)
    assert image.__dlpack_device__() == (1, 0)
    tensor = np.from_dlpack(image)
    view = nibridge.array_view_from_image(image)
    assert np.shares_memory(tensor, view)
    assert tensor.shape == view.shape
    np.testing.assert_array_equal(tensor, view)
    del image, view
    gc.collect()
    np.testing.assert_array_equal(tensor, nibridge.array_view_from_image(make_image(np.float64, 3)))


def test_dlpack_of_a_read_only_image_is_read_only():
    image = make_image()
    image.writeable = False
    tensor = np.from_dlpack(image)
    assert not tensor.flags.writeable
    with pytest.raises(BufferError):
        image.__dlpack__()  # a DLPack 0.x consumer cannot be told the tensor is read-only
    with pytest.raises(ValueError, match="stream"):
        image.__dlpack__(stream=1)
