"""SimpleITK's NumPy-bridge tests, ported to nibridge.

Sources (SimpleITK/SimpleITK): Testing/Unit/Python/sitkNumpyArrayConversionTest.py and
Testing/Unit/Python/sitkGetArrayViewFromImageTest.py of the 2.5 release line (the installed SimpleITK 2.5.7), and
Wrapping/Python/tests/sitkImageProtocolTest.py of the main branch (SimpleITK 3.0's buffer protocol and
__array_interface__ on SimpleITK.Image). Each case keeps SimpleITK's assertions, mapped to nibridge:
GetArrayFromImage -> array_from_image, GetArrayViewFromImage -> array_view_from_image, GetImageFromArray ->
image_from_array (isVector -> is_vector), GetSize -> the buffered size, GetPixel(index) -> the keep_axes view at
index. Images SimpleITK makes come over with from_sitk, and sitk.Hash compares the pixels of to_sitk's result.
Cases that hit a deliberate difference are strict xfails naming the user guide's section.
"""

import gc
import sys

import nibridge
import numpy as np
import pytest
import SimpleITK as sitk

SIZE_X = 4
SIZE_Y = 5
SIZE_Z = 3

# Each expected failure names its row of the user guide's table of differences (test_port_expected_failures.py checks
# that the row is there).
DIFFERENCES = "Documentation/PythonPackage.md, Differences from `itk` and SimpleITK"
WRITABLE_VIEWS = (
    f"{DIFFERENCES} (view of a writable image): the views, buffers and arrays of a writable image are writable; "
    "SimpleITK's are always read-only"
)
COMPONENT_AXIS = (
    f"{DIFFERENCES} (vector image of 1 component): components are always the trailing axis, shape (k, j, i, 1); "
    "SimpleITK 2.5 drops the axis"
)
NO_4D_GUESS = f"{DIFFERENCES} (4-D array without is_vector): a 4-D scalar image, no guess that it means vectors"
NO_2D_VECTOR = f"{DIFFERENCES} (2-D array with is_vector=True): refused, a vector image needs 3 to 5 axes"
INT64_FORMAT = f"{DIFFERENCES} (int64 / uint64 buffer format): NumPy's 'l' / 'L', not 'q' / 'Q'"
TYPESTR = f"{DIFFERENCES} (`__array_interface__`): typestr is NumPy's own ('<f4'); SimpleITK 3.0 writes '|f4'"
PINS_THE_BUFFER = (
    f"{DIFFERENCES} (`__array_interface__`): its data pins the pixel buffer, as every view does, not the image object"
)

SCALAR_TYPES = [
    (sitk.sitkUInt8, np.uint8),
    (sitk.sitkUInt16, np.uint16),
    (sitk.sitkUInt32, np.uint32),
    (sitk.sitkUInt64, np.uint64),
    (sitk.sitkInt8, np.int8),
    (sitk.sitkInt16, np.int16),
    (sitk.sitkInt32, np.int32),
    (sitk.sitkInt64, np.int64),
    (sitk.sitkFloat32, np.float32),
    (sitk.sitkFloat64, np.float64),
]
COMPLEX_TYPES = [(sitk.sitkComplexFloat32, np.complex64), (sitk.sitkComplexFloat64, np.complex128)]
VECTOR_TYPES = [
    (sitk.sitkVectorUInt8, np.uint8),
    (sitk.sitkVectorInt8, np.int8),
    (sitk.sitkVectorUInt16, np.uint16),
    (sitk.sitkVectorInt16, np.int16),
    (sitk.sitkVectorUInt32, np.uint32),
    (sitk.sitkVectorInt32, np.int32),
    (sitk.sitkVectorUInt64, np.uint64),
    (sitk.sitkVectorInt64, np.int64),
    (sitk.sitkVectorFloat32, np.float32),
    (sitk.sitkVectorFloat64, np.float64),
]


def type_id(value):
    """Test ids: SimpleITK's name of a pixel type, NumPy's name of a dtype, a format string as it is."""
    if isinstance(value, int):
        return sitk.GetPixelIDValueAsString(value).replace(" ", "-")
    if isinstance(value, type):
        return np.dtype(value).name
    return str(value)


def size(image):
    """SimpleITK's GetSize(): the buffered size, in ITK order (i, j, k[, t])."""
    return tuple(image.buffered_region[1])


def pixel(image, index):
    """SimpleITK's GetPixel(index), index in ITK order: a number, or the tuple of a vector pixel's components."""
    value = nibridge.array_view_from_image(image, keep_axes=True)[tuple(index)]
    return tuple(value.tolist()) if image.is_vector else value.item()


def pixel_hash(image):
    """sitk.Hash of a nibridge image's pixels, through to_sitk."""
    return sitk.Hash(nibridge.to_sitk(image))


def gaussian(sigma=10.0, mean=(50.0, 50.0)):
    return sitk.GaussianSource(sitk.sitkFloat32, [100, 100], sigma=[sigma] * 3, mean=list(mean))


# --- sitkNumpyArrayConversionTest.py ----------------------------------------------------------------------------


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py make the same cases of a copy
# (GetArrayFromImage) and of a view (GetArrayViewFromImage): each of them runs for both
TO_ARRAY = pytest.mark.parametrize(
    "to_array", [nibridge.array_from_image, nibridge.array_view_from_image], ids=["copy", "view"]
)


# sitkNumpyArrayConversionTest.py: test_type_to_numpy (scalar and complex types);
# sitkGetArrayViewFromImageTest.py: test_type_to_numpy (scalar types; a view of a complex image is the same code)
@TO_ARRAY
@pytest.mark.parametrize(("sitk_type", "dtype"), SCALAR_TYPES + COMPLEX_TYPES, ids=type_id)
def test_an_array_of_each_simpleitk_scalar_type_has_its_numpy_dtype_and_shape(to_array, sitk_type, dtype):
    array = to_array(nibridge.from_sitk(sitk.Image((9, 10), sitk_type, 1)))
    assert array.dtype == dtype
    assert array.shape == (10, 9)


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py: test_type_to_numpy (vector types: the dtype)
@TO_ARRAY
@pytest.mark.parametrize(("sitk_type", "dtype"), VECTOR_TYPES, ids=type_id)
def test_an_array_of_each_simpleitk_vector_type_has_its_numpy_dtype(to_array, sitk_type, dtype):
    array = to_array(nibridge.from_sitk(sitk.Image((9, 10), sitk_type, 1)))
    assert array.dtype == dtype


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py: test_type_to_numpy (vector types of
# 1 component: the shape)
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=COMPONENT_AXIS)
@TO_ARRAY
@pytest.mark.parametrize(("sitk_type", "dtype"), VECTOR_TYPES, ids=type_id)
def test_an_array_of_a_one_component_vector_image_has_no_component_axis(to_array, sitk_type, dtype):
    array = to_array(nibridge.from_sitk(sitk.Image((9, 10), sitk_type, 1)))
    assert array.dtype == dtype
    assert array.shape == (10, 9)


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py: test_to_numpy_and_back
@TO_ARRAY
def test_an_image_made_from_its_own_array_keeps_its_pixels(to_array):
    source = gaussian()
    expected = sitk.Hash(source)
    back = nibridge.image_from_array(to_array(nibridge.from_sitk(source)))
    assert pixel_hash(back) == expected


# sitkNumpyArrayConversionTest.py: test_isVector (2-D, default and isVector=False)
@pytest.mark.parametrize("keywords", [{}, {"is_vector": False}], ids=["default", "is_vector=False"])
def test_a_2d_array_becomes_a_scalar_image(keywords):
    array = np.arange(6, dtype=np.float32).reshape([2, 3])
    image = nibridge.image_from_array(array, **keywords)
    assert size(image) == array.shape[::-1]
    assert image.dtype == np.float32
    assert image.pixel_type == "scalar"
    assert pixel(image, [1, 0]) == 1


# sitkNumpyArrayConversionTest.py: test_isVector (2-D, isVector=True)
@pytest.mark.xfail(strict=True, raises=ValueError, reason=NO_2D_VECTOR)
def test_a_2d_array_with_is_vector_becomes_a_one_component_vector_image():
    array = np.arange(6, dtype=np.float32).reshape([2, 3])
    image = nibridge.image_from_array(array, is_vector=True)
    assert size(image) == array.shape[::-1]
    assert image.dtype == np.float32
    assert image.is_vector
    assert image.number_of_components == 1
    assert pixel(image, [1, 0]) == (1,)


# sitkNumpyArrayConversionTest.py: test_isVector (3-D, default and isVector=False)
@pytest.mark.parametrize("keywords", [{}, {"is_vector": False}], ids=["default", "is_vector=False"])
def test_a_3d_array_becomes_a_3d_scalar_image(keywords):
    array = np.arange(30, dtype=np.float32).reshape([2, 3, 5])
    image = nibridge.image_from_array(array, **keywords)
    assert size(image) == array.shape[::-1]
    assert image.dtype == np.float32
    assert image.pixel_type == "scalar"
    assert pixel(image, [1, 0, 0]) == 1
    assert pixel(image, [0, 1, 0]) == 5


# sitkNumpyArrayConversionTest.py: test_isVector (3-D, isVector=True)
def test_a_3d_array_with_is_vector_becomes_a_2d_vector_image():
    array = np.arange(30, dtype=np.float32).reshape([2, 3, 5])
    image = nibridge.image_from_array(array, is_vector=True)
    assert size(image) == (3, 2)
    assert image.dtype == np.float32
    assert image.is_vector
    assert image.number_of_components == 5
    assert pixel(image, [1, 0]) == (5, 6, 7, 8, 9)
    assert pixel(image, [0, 1]) == (15, 16, 17, 18, 19)


def check_4d_array_as_3d_vector_image(image):
    assert size(image) == (7, 5, 3)
    assert image.dtype == np.float32
    assert image.is_vector
    assert image.number_of_components == 2
    assert pixel(image, [1, 0, 0]) == (2, 3)
    assert pixel(image, [0, 1, 0]) == (14, 15)


# sitkNumpyArrayConversionTest.py: test_isVector (4-D, default: SimpleITK's special case of a vector image)
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=NO_4D_GUESS)
def test_a_4d_array_becomes_a_3d_vector_image_by_default():
    check_4d_array_as_3d_vector_image(nibridge.image_from_array(np.arange(210, dtype=np.float32).reshape([3, 5, 7, 2])))


# sitkNumpyArrayConversionTest.py: test_isVector (4-D, isVector=True)
def test_a_4d_array_with_is_vector_becomes_a_3d_vector_image():
    array = np.arange(210, dtype=np.float32).reshape([3, 5, 7, 2])
    check_4d_array_as_3d_vector_image(nibridge.image_from_array(array, is_vector=True))


# sitkNumpyArrayConversionTest.py: test_isVector (4-D, isVector=False)
def test_a_4d_array_with_is_vector_false_becomes_a_4d_scalar_image():
    array = np.arange(210, dtype=np.float32).reshape([3, 5, 7, 2])
    image = nibridge.image_from_array(array, is_vector=False)
    assert size(image) == array.shape[::-1]
    assert image.dtype == np.float32
    assert image.pixel_type == "scalar"
    assert pixel(image, [1, 0, 0, 0]) == 1
    assert pixel(image, [0, 1, 0, 0]) == 2


# sitkNumpyArrayConversionTest.py: test_isVector (5-D, isVector=True)
def test_a_5d_array_with_is_vector_becomes_a_4d_vector_image():
    array = np.arange(210 * 9, dtype=np.float32).reshape([3, 5, 7, 9, 2])
    image = nibridge.image_from_array(array, is_vector=True)
    assert size(image) == array.shape[-2::-1]
    assert image.dtype == np.float32
    assert image.is_vector
    assert pixel(image, [1, 0, 0, 0]) == (2, 3)
    assert pixel(image, [0, 1, 0, 0]) == (18, 19)
    assert pixel(image, [0, 0, 1, 0]) == (126, 127)


# sitkNumpyArrayConversionTest.py: test_complex_image_to_numpy (2-D)
def test_a_2d_complex_image_copies_to_numpy_and_back():
    source = sitk.RealAndImaginaryToComplex(gaussian(10.0, (50.0, 50.0)), gaussian(20.0, (10.0, 10.0)))
    expected = sitk.Hash(source)
    array = nibridge.array_from_image(nibridge.from_sitk(source))
    assert array.shape == (100, 100)
    assert array[0, 0] == source.GetPixel([0, 0])
    assert array[2, 1] == source.GetPixel([1, 2])
    back = nibridge.image_from_array(array)
    assert pixel_hash(back) == expected
    assert size(back) == (100, 100)


# sitkNumpyArrayConversionTest.py: test_complex_image_to_numpy (4-D)
def test_a_4d_complex_image_copies_to_numpy_and_back():
    source = sitk.Image([10, 9, 8, 7], sitk.sitkComplexFloat64)
    expected = sitk.Hash(source)
    array = nibridge.array_from_image(nibridge.from_sitk(source))
    assert array.shape == (7, 8, 9, 10)
    assert array[0, 0, 0, 0] == 0 + 0j
    back = nibridge.image_from_array(array)
    assert size(back) == source.GetSize()
    assert back.number_of_components == source.GetNumberOfComponentsPerPixel()
    assert pixel_hash(back) == expected


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py: test_vector_image_to_numpy (2-D)
@TO_ARRAY
def test_an_array_of_a_2d_vector_image_goes_back_to_the_image(to_array):
    source = sitk.PhysicalPointSource(sitk.sitkVectorFloat32, [3, 4])
    expected = sitk.Hash(source)
    array = to_array(nibridge.from_sitk(source))
    assert array.shape == (4, 3, 2)
    assert array[0, 0].tolist() == [0, 0]
    assert array[2, 1].tolist() == [1, 2]
    assert array[0, :, 0].tolist() == [0, 1, 2]
    assert pixel_hash(nibridge.image_from_array(array, is_vector=True)) == expected


def point_image_3d():
    return sitk.PhysicalPointSource(sitk.sitkVectorFloat32, [3, 4, 5])


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py: test_vector_image_to_numpy (3-D: the array)
@TO_ARRAY
def test_an_array_of_a_3d_vector_image_has_the_components_last(to_array):
    array = to_array(nibridge.from_sitk(point_image_3d()))
    assert array.shape == (5, 4, 3, 3)
    assert array[0, 0, 0].tolist() == [0, 0, 0]
    assert array[0, 0, :, 0].tolist() == [0, 1, 2]
    assert array[0, :, 1, 1].tolist() == [0, 1, 2, 3]


# sitkNumpyArrayConversionTest.py and sitkGetArrayViewFromImageTest.py: test_vector_image_to_numpy (3-D: back
# without isVector)
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=NO_4D_GUESS)
@TO_ARRAY
def test_a_4d_array_of_a_3d_vector_image_comes_back_as_a_vector_image(to_array):
    source = point_image_3d()
    back = nibridge.image_from_array(to_array(nibridge.from_sitk(source)))
    assert size(back) == source.GetSize()
    assert back.number_of_components == source.GetNumberOfComponentsPerPixel()
    assert pixel_hash(back) == sitk.Hash(source)


# sitkNumpyArrayConversionTest.py: test_non_contiguous
@pytest.mark.parametrize(
    ("select", "expected_size"),
    [
        (lambda array: array[::2, ...], (11, 7, 3)),
        (lambda array: np.asarray(array, order="F"), (11, 7, 5)),
        (lambda array: array[2:, :, ::3], (4, 7, 3)),
    ],
    ids=["every-other-slice", "fortran-order", "cropped-and-strided"],
)
def test_a_non_contiguous_array_copies_to_an_image(select, expected_size):
    array = select(np.arange(5 * 7 * 11, dtype=np.int32).reshape((5, 7, 11)))
    image = nibridge.image_from_array(array)
    assert size(image) == expected_size
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), array)


# sitkNumpyArrayConversionTest.py: test_image_from_native_type
@pytest.mark.parametrize("name", ["byte", "ubyte", "short", "ushort", "intc", "uintc", "uint", "longlong", "ulonglong"])
def test_an_array_of_each_native_c_type_becomes_an_image(name):
    image = nibridge.image_from_array(np.zeros([4, 5], dtype=np.dtype(name)))
    assert size(image) == (5, 4)


# sitkNumpyArrayConversionTest.py: test_legacy (2-D)
def test_a_2d_simpleitk_image_filled_pixel_by_pixel_copies_to_a_numpy_array():
    source = sitk.Image(SIZE_X, SIZE_Y, sitk.sitkInt32)
    for j in range(SIZE_Y):
        for i in range(SIZE_X):
            source[i, j] = j * SIZE_X + i
    array = nibridge.array_from_image(nibridge.from_sitk(source))
    assert type(array) is np.ndarray
    # SimpleITK prints the array here; the port checks what it shows.
    np.testing.assert_array_equal(array, np.arange(SIZE_X * SIZE_Y).reshape(SIZE_Y, SIZE_X))


# sitkNumpyArrayConversionTest.py: test_legacy (3-D)
def test_a_3d_simpleitk_image_filled_pixel_by_pixel_copies_to_a_numpy_array():
    source = sitk.Image(SIZE_X, SIZE_Y, SIZE_Z, sitk.sitkFloat32)
    for k in range(SIZE_Z):
        for j in range(SIZE_Y):
            for i in range(SIZE_X):
                source[i, j, k] = (SIZE_Y * k + j) * SIZE_X + i
    array = nibridge.array_from_image(nibridge.from_sitk(source))
    assert type(array) is np.ndarray
    np.testing.assert_array_equal(array, np.arange(SIZE_X * SIZE_Y * SIZE_Z).reshape(SIZE_Z, SIZE_Y, SIZE_X))


# sitkNumpyArrayConversionTest.py: test_legacy_array2sitk (2-D)
def test_a_2d_float64_array_becomes_an_image_indexed_i_j():
    image = nibridge.image_from_array(np.arange(20, dtype=np.float64).reshape((SIZE_Y, SIZE_X)))
    assert size(image) == (SIZE_X, SIZE_Y)
    assert pixel(image, (0, 0)) == 0.0
    assert pixel(image, (1, 1)) == 5.0
    assert pixel(image, (2, 2)) == 10.0


# sitkNumpyArrayConversionTest.py: test_legacy_array2sitk (3-D)
def test_a_3d_int16_array_becomes_an_image_indexed_i_j_k():
    image = nibridge.image_from_array(np.arange(60, dtype=np.int16).reshape((SIZE_Z, SIZE_Y, SIZE_X)))
    assert size(image) == (SIZE_X, SIZE_Y, SIZE_Z)
    assert pixel(image, (0, 0, 0)) == 0
    assert pixel(image, (1, 1, 1)) == 25
    assert pixel(image, (2, 2, 2)) == 50


# --- sitkGetArrayViewFromImageTest.py ---------------------------------------------------------------------------


# (its test_type_to_numpy, test_to_numpy_and_back and test_vector_image_to_numpy run with
# sitkNumpyArrayConversionTest.py's, above)


# sitkGetArrayViewFromImageTest.py: test_arrayview_writable
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)
def test_an_array_view_is_read_only():
    view = nibridge.array_view_from_image(nibridge.from_sitk(sitk.Image((3, 4), sitk.sitkFloat32, 1)))
    assert not view.flags["WRITEABLE"]
    with pytest.raises(ValueError, match="read-only"):
        view[1, 2] = 1
    with pytest.raises(ValueError, match="read-only"):
        view.fill(0)


# --- sitkImageProtocolTest.py: the buffer protocol ---------------------------------------------------------------


def sitk_zeros(size_, sitk_type, components=None):
    """A nibridge copy of a zero-filled SimpleITK image."""
    arguments = (size_, sitk_type) if components is None else (size_, sitk_type, components)
    return nibridge.from_sitk(sitk.Image(*arguments))


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_scalar_2d (all but read-only)
def test_the_buffer_of_a_2d_scalar_image_is_c_ordered_k_j_i():
    buffer = memoryview(sitk_zeros([5, 7], sitk.sitkFloat32))
    assert buffer.shape == (7, 5)
    assert buffer.format == "f"
    assert buffer.ndim == 2
    assert buffer.c_contiguous


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_scalar_3d (all but read-only)
def test_the_buffer_of_a_3d_scalar_image_is_k_j_i():
    buffer = memoryview(sitk_zeros([3, 5, 7], sitk.sitkInt16))
    assert buffer.shape == (7, 5, 3)
    assert buffer.format == "h"
    assert buffer.ndim == 3


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_vector_2d (all but read-only)
def test_the_buffer_of_a_2d_vector_image_has_the_components_last():
    buffer = memoryview(sitk_zeros([5, 7], sitk.sitkVectorFloat32, 3))
    assert buffer.shape == (7, 5, 3)
    assert buffer.format == "f"
    assert buffer.ndim == 3


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_scalar_2d, test_buffer_scalar_3d, test_buffer_vector_2d
# (read-only)
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)
@pytest.mark.parametrize(
    "arguments",
    [([5, 7], sitk.sitkFloat32), ([3, 5, 7], sitk.sitkInt16), ([5, 7], sitk.sitkVectorFloat32, 3)],
    ids=["scalar-2d", "scalar-3d", "vector-2d"],
)
def test_the_buffer_of_an_image_is_read_only(arguments):
    assert memoryview(sitk_zeros(*arguments)).readonly


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_vector_1_component
def test_the_buffer_of_a_one_component_vector_image_keeps_the_component_axis():
    buffer = memoryview(sitk_zeros([4, 6], sitk.sitkVectorFloat64, 1))
    assert buffer.shape == (6, 4, 1)
    assert buffer.format == "d"
    assert buffer.ndim == 3


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_complex
def test_the_buffer_of_a_complex_image_has_the_complex_format():
    buffer = memoryview(sitk_zeros([4, 6], sitk.sitkComplexFloat64))
    assert buffer.shape == (6, 4)
    assert buffer.format == "Zd"
    assert buffer.ndim == 2
    assert buffer.itemsize == 16


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_formats
@pytest.mark.parametrize(
    ("sitk_type", "expected_format"),
    [
        (sitk.sitkUInt8, "B"),
        (sitk.sitkInt8, "b"),
        (sitk.sitkUInt16, "H"),
        (sitk.sitkInt16, "h"),
        (sitk.sitkUInt32, "I"),
        (sitk.sitkInt32, "i"),
        pytest.param(
            sitk.sitkUInt64, "Q", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=INT64_FORMAT)
        ),
        pytest.param(
            sitk.sitkInt64, "q", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=INT64_FORMAT)
        ),
        (sitk.sitkFloat32, "f"),
        (sitk.sitkFloat64, "d"),
    ],
    ids=type_id,
)
def test_the_buffer_format_of_each_scalar_type(sitk_type, expected_format):
    assert memoryview(sitk_zeros([3, 5], sitk_type)).format == expected_format


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_readonly
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)
def test_writing_into_the_buffer_is_refused():
    buffer = memoryview(sitk_zeros([3, 5], sitk.sitkFloat32))
    assert buffer.readonly
    with pytest.raises(TypeError, match="cannot modify read-only memory"):
        buffer[0, 0] = 1.0


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_survives_image_deletion
def test_the_buffer_outlives_the_image():
    values = np.arange(15, dtype=np.float32).reshape(5, 3)
    image = nibridge.from_sitk(sitk.GetImageFromArray(values))
    buffer = memoryview(image)
    shape, buffer_format = buffer.shape, buffer.format
    del image
    gc.collect()
    assert buffer.shape == shape
    assert buffer.format == buffer_format
    # SimpleITK checks only the shape and format; the pixels must still be there too.
    np.testing.assert_array_equal(np.asarray(buffer), values)


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_strides
def test_the_buffer_strides_are_c_order():
    assert memoryview(sitk_zeros([3, 5, 7], sitk.sitkFloat32)).strides == (60, 12, 4)


# sitkImageProtocolTest.py: TestBufferProtocol.test_buffer_multiple_views
def test_two_buffers_of_one_image_agree():
    image = sitk_zeros([3, 5], sitk.sitkInt32)
    first, second = memoryview(image), memoryview(image)
    assert first.shape == second.shape
    assert first.format == second.format
    assert first.strides == second.strides


# --- sitkImageProtocolTest.py: __array_interface__ --------------------------------------------------------------


class ArrayInterfaceOnly:
    """An object that offers NumPy nothing but the image's __array_interface__ (SimpleITK removes __buffer__ from
    its Image class for these cases; a pybind11 class's buffer slot cannot be removed)."""

    def __init__(self, image):
        self.image = image
        self.__array_interface__ = image.__array_interface__


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_exists
def test_an_image_has_an_array_interface_dict():
    image = sitk_zeros([3, 5], sitk.sitkFloat32)
    assert hasattr(image, "__array_interface__")
    assert isinstance(image.__array_interface__, dict)


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_scalar_2d
def test_the_array_interface_of_a_2d_scalar_image():
    interface = sitk_zeros([5, 7], sitk.sitkFloat32).__array_interface__
    assert interface["shape"] == (7, 5)
    assert interface["version"] == 3  # typestr: test_the_array_interface_typestr_of_each_scalar_type
    assert "data" in interface


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_scalar_3d
def test_the_array_interface_of_a_3d_scalar_image():
    interface = sitk_zeros([3, 5, 7], sitk.sitkInt16).__array_interface__
    assert interface["shape"] == (7, 5, 3)
    # typestr: test_the_array_interface_typestr_of_each_scalar_type


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_vector_2d
def test_the_array_interface_of_a_2d_vector_image():
    interface = sitk_zeros([5, 7], sitk.sitkVectorFloat32, 3).__array_interface__
    assert interface["shape"] == (7, 5, 3)
    # typestr: test_the_array_interface_typestr_of_each_scalar_type


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_vector_1_component
def test_the_array_interface_of_a_one_component_vector_image():
    interface = sitk_zeros([4, 6], sitk.sitkVectorFloat64, 1).__array_interface__
    assert interface["shape"] == (6, 4, 1)
    # typestr: test_the_array_interface_typestr_of_each_scalar_type


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_complex
def test_the_array_interface_of_a_complex_image():
    interface = sitk_zeros([4, 6], sitk.sitkComplexFloat64).__array_interface__
    assert interface["shape"] == (6, 4)
    # typestr: test_the_array_interface_typestr_of_each_scalar_type


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_strides
def test_the_array_interface_strides_are_c_order_when_given():
    interface = sitk_zeros([3, 5, 7], sitk.sitkFloat32).__array_interface__
    if "strides" in interface:
        assert interface["strides"] == (60, 12, 4)


# sitkImageProtocolTest.py: TestArrayInterface.test_numpy_asarray_via_array_interface
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)
def test_numpy_reads_an_image_through_its_array_interface_alone():
    only = ArrayInterfaceOnly(sitk_zeros([5, 7], sitk.sitkFloat32))
    assert not hasattr(only, "__buffer__")
    array = np.asarray(only)
    assert array.shape == (7, 5)
    assert array.dtype == np.float32
    assert not array.flags["WRITEABLE"]


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_readonly
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)
def test_the_array_interface_data_is_a_read_only_buffer():
    interface = sitk_zeros([3, 5], sitk.sitkFloat32).__array_interface__
    assert "data" in interface
    data = interface["data"]
    assert hasattr(data, "readonly")
    assert data.readonly


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_keeps_image_alive
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=PINS_THE_BUFFER)
def test_the_array_interface_holds_a_reference_to_the_image():
    image = sitk_zeros([3, 5], sitk.sitkFloat32)
    before = sys.getrefcount(image)
    interface = image.__array_interface__
    assert sys.getrefcount(image) > before
    del interface


# sitkImageProtocolTest.py: TestArrayInterface.test_array_interface_typestrs
@pytest.mark.parametrize(
    ("sitk_type", "expected_typestr"),
    [
        (sitk.sitkUInt8, "|u1"),
        (sitk.sitkInt8, "|i1"),
        *(
            pytest.param(
                sitk_type, typestr, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=TYPESTR)
            )
            for sitk_type, typestr in [
                (sitk.sitkUInt16, "|u2"),
                (sitk.sitkInt16, "|i2"),
                (sitk.sitkUInt32, "|u4"),
                (sitk.sitkInt32, "|i4"),
                (sitk.sitkUInt64, "|u8"),
                (sitk.sitkInt64, "|i8"),
                (sitk.sitkFloat32, "|f4"),
                (sitk.sitkFloat64, "|f8"),
                (sitk.sitkComplexFloat32, "|c8"),
                (sitk.sitkComplexFloat64, "|c16"),
            ]
        ),
    ],
    ids=type_id,
)
def test_the_array_interface_typestr_of_each_scalar_type(sitk_type, expected_typestr):
    assert sitk_zeros([3, 5], sitk_type).__array_interface__["typestr"] == expected_typestr


# --- sitkImageProtocolTest.py: NumPy through each protocol --------------------------------------------------------


class ArrayMethodOnly:
    """An object that offers NumPy nothing but the image's __array__."""

    def __init__(self, image):
        self.image = image

    def __array__(self, dtype=None, copy=None):
        return self.image.__array__(dtype=dtype, copy=copy)


# SimpleITK runs these cases once per protocol its Image offers (its protocol_mode fixture: the buffer protocol,
# then __array_interface__ alone); nibridge.Image also offers __array__, so that is a third mode here.
PROTOCOLS = {
    "buffer": lambda image: image,
    "__array__": ArrayMethodOnly,
    "__array_interface__": ArrayInterfaceOnly,
}
READ_ONLY_PROTOCOLS = [
    pytest.param("buffer", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)),
    pytest.param("__array__", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)),
    pytest.param(
        "__array_interface__", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRITABLE_VIEWS)
    ),
]


# sitkImageProtocolTest.py: TestNumpyIntegration.test_numpy_array_readonly
@pytest.mark.parametrize("protocol", READ_ONLY_PROTOCOLS)
def test_numpy_arrays_of_an_image_are_read_only(protocol):
    array = np.asarray(PROTOCOLS[protocol](sitk_zeros([3, 5], sitk.sitkFloat32)))
    assert not array.flags["WRITEABLE"]
    with pytest.raises(ValueError, match="read-only"):
        array[0, 0] = 1.0


# sitkImageProtocolTest.py: TestNumpyIntegration.test_numpy_array_vector_shape
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_numpy_arrays_of_vector_images_have_the_components_last(protocol):
    array = np.asarray(PROTOCOLS[protocol](sitk_zeros([3, 5], sitk.sitkVectorFloat32, 4)))
    assert array.shape == (5, 3, 4)
    array = np.asarray(PROTOCOLS[protocol](sitk_zeros([3, 5], sitk.sitkVectorFloat64, 1)))
    assert array.shape == (5, 3, 1)


# sitkImageProtocolTest.py: TestNumpyIntegration.test_numpy_array_complex_dtype
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_numpy_arrays_of_complex_images_are_complex(protocol):
    array = np.asarray(PROTOCOLS[protocol](sitk_zeros([3, 5], sitk.sitkComplexFloat64)))
    assert array.dtype == np.complex128


# sitkImageProtocolTest.py: TestNumpyIntegration.test_numpy_shares_memory
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_numpy_arrays_hold_the_pixel_values_in_k_j_i_order(protocol):
    source = sitk.Image([3, 5], sitk.sitkFloat32)
    source.SetPixel([1, 2], 42.0)
    array = np.asarray(PROTOCOLS[protocol](nibridge.from_sitk(source)))
    assert array[2, 1] == 42.0


# sitkImageProtocolTest.py: TestNumpyIntegration.test_numpy_copy_vs_view (the data and the copy)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_numpy_asarray_and_array_give_the_same_data_and_the_copy_is_writable(protocol):
    image = PROTOCOLS[protocol](sitk_zeros([3, 5], sitk.sitkFloat32))
    view = np.asarray(image)
    copy = np.array(image)
    assert np.array_equal(view, copy)
    assert copy.flags["WRITEABLE"]


# sitkImageProtocolTest.py: TestNumpyIntegration.test_numpy_copy_vs_view (the view)
@pytest.mark.parametrize("protocol", READ_ONLY_PROTOCOLS)
def test_numpy_asarray_of_an_image_is_a_read_only_view(protocol):
    view = np.asarray(PROTOCOLS[protocol](sitk_zeros([3, 5], sitk.sitkFloat32)))
    assert not view.flags["WRITEABLE"]
