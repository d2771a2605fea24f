"""The conversions: array_view_from_image, array_from_image, image_view_from_array, image_from_array."""

import itertools

import nibabel as nib
import nibridge
import numpy as np
import pytest

DTYPES = [
    np.bool_,
    np.int8,
    np.uint8,
    np.int16,
    np.uint16,
    np.int32,
    np.uint32,
    np.int64,
    np.uint64,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
]
DIMENSIONS = (2, 3, 4)
SIZES = {2: (5, 3), 3: (5, 3, 2), 4: (5, 3, 2, 2)}  # ITK order (i, j, k, t): every extent different where possible


def values(dtype, shape):
    numbers = np.arange(int(np.prod(shape))).reshape(shape)
    if dtype is np.bool_:
        return numbers % 3 == 0
    array = (numbers % 100).astype(dtype)
    if np.issubdtype(dtype, np.complexfloating):
        array = array - 1j * array.astype(dtype)
    return array


def numpy_shape(size, components, keep_axes):
    shape = tuple(size) if keep_axes else tuple(reversed(size))
    return (*shape, components) if components else shape


def source_array(dtype, dimension, components, keep_axes):
    """An array already in ITK's memory order for the given axis convention."""
    size = SIZES[dimension]
    c_order = values(dtype, numpy_shape(size, components, keep_axes=False))
    if not keep_axes:
        return c_order
    # (i, j, k[, c]) over (k, j, i[, c]) memory.
    axes = (*reversed(range(dimension)), dimension) if components else tuple(reversed(range(dimension)))
    return c_order.transpose(axes)


CASES = list(itertools.product(DTYPES, DIMENSIONS, (False, True), (0, 3)))


def case_id(case):
    dtype, dimension, keep_axes, components = case
    return f"{np.dtype(dtype).name}-{dimension}D-{'keep_axes' if keep_axes else 'numpy_axes'}-c{components}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_every_dtype_and_dimension_round_trips_through_views_and_copies(case):
    dtype, dimension, keep_axes, components = case
    array = source_array(dtype, dimension, components, keep_axes)
    is_vector = components > 0

    image = nibridge.image_view_from_array(array, keep_axes=keep_axes, is_vector=is_vector)
    assert image.dtype == np.dtype(dtype)
    assert image.dimension == dimension
    assert image.buffered_region == ((0,) * dimension, SIZES[dimension])
    assert image.number_of_components == (components or 1)
    view = nibridge.array_view_from_image(image, keep_axes=keep_axes)
    assert np.shares_memory(view, array)
    assert view.shape == array.shape
    assert view.strides == array.strides
    np.testing.assert_array_equal(view, array)

    copy = nibridge.image_from_array(array, keep_axes=keep_axes, is_vector=is_vector)
    back = nibridge.array_from_image(copy, keep_axes=keep_axes)
    assert not np.shares_memory(back, array)
    assert back.strides == array.strides
    np.testing.assert_array_equal(back, array)
    # The other axis convention is the same memory, axes reversed.
    other = nibridge.array_view_from_image(copy, keep_axes=not keep_axes)
    spatial = tuple(reversed(range(dimension)))
    np.testing.assert_array_equal(other, array.transpose((*spatial, dimension) if is_vector else spatial))


def test_views_are_writable_both_ways():
    array = np.zeros((2, 3, 4), np.float32)
    image = nibridge.image_view_from_array(array)
    nibridge.array_view_from_image(image)[1, 2, 3] = 5
    assert array[1, 2, 3] == 5
    array[0, 0, 1] = 7
    assert nibridge.array_view_from_image(image, keep_axes=True)[1, 0, 0] == 7


def test_image_from_array_copies_from_any_strides():
    base = values(np.int32, (6, 7, 8))
    for array in (base[::2, 1::3, ::-1], base.transpose(2, 0, 1), np.asfortranarray(base), base[:, 3]):
        image = nibridge.image_from_array(array)
        np.testing.assert_array_equal(nibridge.array_view_from_image(image), array)
        kept = nibridge.image_from_array(array, keep_axes=True)
        np.testing.assert_array_equal(nibridge.array_view_from_image(kept, keep_axes=True), array)
    vectors = values(np.float64, (4, 5, 6, 3))[:, ::2, :, ::-1]
    image = nibridge.image_from_array(vectors, is_vector=True)
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), vectors)


def distinct_values(dtype, shape):
    numbers = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    array = numbers.astype(dtype)
    return array - 1j * numbers if np.issubdtype(dtype, np.complexfloating) else array


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("shape", [(37, 45, 19), (70, 33), (9, 40, 35, 3)], ids=str)
def test_transposing_copies_give_every_value_in_its_place(dtype, shape):
    # Sizes that are not multiples of the copy's tiles, every permutation of the axes, both axis orders; the
    # values number the elements (modulo 256 for uint8), so a misplaced one shows.
    base = distinct_values(dtype, shape)
    for axes in itertools.permutations(range(len(shape))):
        array = np.ascontiguousarray(base.transpose(axes))  # C order in its own axes: a transpose for ITK
        for keep_axes in (False, True):
            image = nibridge.image_from_array(array, keep_axes=keep_axes)
            np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=keep_axes), array)
            strided = array[::2, ..., ::-1]
            image = nibridge.image_from_array(strided, keep_axes=keep_axes)
            np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=keep_axes), strided)
    vectors = np.ascontiguousarray(distinct_values(dtype, (31, 34, 3, 2)).transpose(1, 0, 2, 3))
    image = nibridge.image_from_array(vectors, keep_axes=True, is_vector=True)
    np.testing.assert_array_equal(nibridge.array_view_from_image(image, keep_axes=True), vectors)


def test_image_from_array_takes_any_array_like():
    image = nibridge.image_from_array([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("dtype", [">i2", ">u4", ">i8", ">f4", ">f8", ">c8", ">c16"])
def test_byte_swapped_input_is_swapped_on_copy_and_refused_for_views(dtype):
    array = values(np.dtype(dtype).newbyteorder("="), (3, 4)).astype(dtype)
    image = nibridge.image_from_array(array)
    assert image.dtype.isnative
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), array)
    with pytest.raises(ValueError, match="byte order.*image_from_array"):
        nibridge.image_view_from_array(array)


def test_read_only_arrays_are_refused_for_views_and_copied_on_request():
    array = np.arange(12.0).reshape(3, 4)
    array.flags.writeable = False
    with pytest.raises(ValueError, match="read-only.*image_from_array"):
        nibridge.image_view_from_array(array)
    image = nibridge.image_from_array(array)
    assert nibridge.array_view_from_image(image).flags.writeable
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), array)


def test_views_of_memory_in_the_wrong_order_are_refused_and_never_copied_silently():
    array = np.zeros((4, 5, 6), np.float32)
    with pytest.raises(ValueError, match="image_from_array"):
        nibridge.image_view_from_array(array[:, ::2])
    with pytest.raises(ValueError, match="keep_axes=True"):
        nibridge.image_view_from_array(np.asfortranarray(array))
    with pytest.raises(ValueError, match="Fortran"):
        nibridge.image_view_from_array(array, keep_axes=True)
    # Not an ndarray: no conversion (which would be a copy) behind the caller's back.
    with pytest.raises(TypeError):
        nibridge.image_view_from_array([[1.0, 2.0], [3.0, 4.0]])


def test_unsupported_dtypes_are_type_errors_listing_the_supported_ones():
    with pytest.raises(TypeError, match=r"float16.*astype\(numpy.float32\)"):
        nibridge.image_view_from_array(np.zeros((2, 2), np.float16))
    with pytest.raises(TypeError, match=r"float16.*astype\(numpy.float32\)"):
        nibridge.image_from_array(np.zeros((2, 2), np.float16))
    for dtype in (np.longdouble, "U2", "O", "datetime64[s]", [("a", "f4"), ("b", "i4")]):
        with pytest.raises(TypeError, match="supported: bool, int8.*complex128"):
            nibridge.image_from_array(np.zeros((2, 2), dtype))


@pytest.mark.parametrize(
    ("shape", "is_vector", "message"),
    [
        ((4,), False, "2-, 3- or 4-dimensional"),
        ((2, 2, 2, 2, 2), False, "2-, 3- or 4-dimensional"),
        ((4, 3), True, "3-, 4- or 5-dimensional"),
        ((2, 2, 2, 2, 2, 2), True, "3-, 4- or 5-dimensional"),
        ((4, 3, 0), True, "at least one component"),
    ],
)
def test_dimension_and_component_mismatches_are_value_errors(shape, is_vector, message):
    for convert in (nibridge.image_view_from_array, nibridge.image_from_array):
        with pytest.raises(ValueError, match=message):
            convert(np.zeros(shape, np.float32), is_vector=is_vector)


def test_geometry_arguments_set_the_image_geometry():
    direction = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for convert in (nibridge.image_view_from_array, nibridge.image_from_array):
        image = convert(np.zeros((2, 3, 4)), spacing=(0.5, 1.5, 2.5), origin=(1, -2, 3), direction=direction)
        np.testing.assert_array_equal(image.spacing, [0.5, 1.5, 2.5])
        np.testing.assert_array_equal(image.origin, [1, -2, 3])
        np.testing.assert_array_equal(image.direction, direction)
        with pytest.raises(ValueError, match="spacing"):
            convert(np.zeros((2, 3, 4)), spacing=(1, 1))
        with pytest.raises(ValueError, match="direction"):
            convert(np.zeros((2, 3, 4)), direction=np.zeros((3, 3)))


def test_keep_axes_gives_nibabels_voxel_order_without_a_copy():
    data = values(np.float32, (5, 4, 3))  # nibabel's (i, j, k)
    nifti = nib.Nifti1Image(np.asfortranarray(data), np.diag([2.0, 3.0, 4.0, 1.0]))
    array = np.asanyarray(nifti.dataobj)
    assert array.flags.f_contiguous
    image = nibridge.image_view_from_array(array, keep_axes=True, spacing=nifti.header.get_zooms())
    assert image.buffered_region[1] == (5, 4, 3)
    view = nibridge.array_view_from_image(image, keep_axes=True)
    assert np.shares_memory(view, array)
    np.testing.assert_array_equal(view, data)
    # Voxel (i, j, k) of nibabel is ITK's index [i, j, k], and the default view is its (k, j, i) transpose.
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), data.transpose(2, 1, 0))
    np.testing.assert_array_equal(image.spacing, [2, 3, 4])
    copy = nibridge.array_from_image(image, keep_axes=True)
    assert copy.flags.f_contiguous
    np.testing.assert_array_equal(copy, data)


def test_empty_arrays_convert_both_ways():
    for array in (np.zeros((0, 3)), np.zeros((2, 0, 3), np.int8), np.zeros((2, 3, 0), np.float32)):
        image = nibridge.image_view_from_array(array)
        assert nibridge.array_view_from_image(image).shape == array.shape
        assert nibridge.array_from_image(nibridge.image_from_array(array)).shape == array.shape
