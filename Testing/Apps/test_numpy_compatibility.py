"""NumPy compatibility of NiBridge's native .npy ImageIO.

Files written by NumPy go through ``nibridge-io-roundtrip`` (read with itk::NumPyImageIO, written back with
it, no Python involved) and come back into NumPy with ``np.load``. The result is the ITK buffer in Fortran
order: a C-order input ``arr`` of shape (k, j, i) comes back as ``arr.T``, a Fortran-order input as ``arr``,
in the same dtype in native byte order (float16 comes back as float32).

The tool's path comes from the environment variable NIBRIDGE_IO_ROUNDTRIP (CTest sets it).
"""

import io
import itertools
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

TOOL_NAME = "nibridge-io-roundtrip"

DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

SHAPES = {
    1: (5,),
    2: (4, 3),
    3: (4, 3, 2),
    4: (3, 2, 4, 2),
    5: (2, 3, 1, 2, 3),
}


@pytest.fixture(scope="session")
def roundtrip_tool():
    """The tool under test; a missing or wrong NIBRIDGE_IO_ROUNDTRIP fails every test rather than skipping."""
    path = os.environ.get("NIBRIDGE_IO_ROUNDTRIP")
    if not path:
        pytest.fail(
            "NIBRIDGE_IO_ROUNDTRIP is not set: it must name the built nibridge-io-roundtrip tool "
            "(CTest sets it; by hand: NIBRIDGE_IO_ROUNDTRIP=<build>/bin/nibridge-io-roundtrip)",
            pytrace=False,
        )
    if not os.access(path, os.X_OK):
        pytest.fail(f"NIBRIDGE_IO_ROUNDTRIP={path!r} is not an executable file", pytrace=False)
    return path


def run_tool(tool, *arguments):
    return subprocess.run([tool, *map(str, arguments)], check=False, capture_output=True, text=True, timeout=60)


def roundtrip(tool, input_path, output_path, *options):
    result = run_tool(tool, *options, input_path, output_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    return np.load(output_path)


def sample_array(dtype_name, shape, seed=0):
    """Values that use the whole range of the dtype, with the special values of floating-point types."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype_name)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    if dtype.kind == "f":
        values = (rng.standard_normal(shape) * 1000).astype(dtype)
    else:
        real_dtype = np.dtype(f"f{dtype.itemsize // 2}")
        real = (rng.standard_normal(shape) * 1000).astype(real_dtype)
        imaginary = (rng.standard_normal(shape) * 1000).astype(real_dtype)
        values = (real + 1j * imaginary).astype(dtype)
    flat = values.reshape(-1)
    specials = [np.inf, -np.inf, np.nan, -0.0, 1e-6]
    flat[: min(len(specials), flat.size)] = specials[: flat.size]
    return values


def with_byte_order(array, byte_order):
    return array.astype(array.dtype.newbyteorder(byte_order))


def with_memory_order(array, order):
    return np.asfortranarray(array) if order == "F" else np.ascontiguousarray(array)


def written_in_fortran_order(array):
    """numpy writes fortran_order=True only for arrays that are Fortran- and not C-contiguous."""
    return array.flags.f_contiguous and not array.flags.c_contiguous


def expected_dtype(dtype):
    """What the writer writes for data read from `dtype`: native byte order, float16 widened to float32."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize == 2:
        return np.dtype("float32")
    return dtype.newbyteorder("=")


def assert_bitwise_equal(actual, expected):
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    assert np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes()


def numpy_header_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()[: len(buffer.getvalue()) - array.nbytes]


def files_in(directory):
    return sorted(path.name for path in Path(directory).iterdir())


EVERY_LAYOUT = list(itertools.product(DTYPES, ["<", ">"], ["C", "F"], sorted(SHAPES)))


@pytest.mark.parametrize(
    "layout",
    EVERY_LAYOUT,
    ids=[f"{dtype}-{byte_order}-{order}-{ndim}d" for dtype, byte_order, order, ndim in EVERY_LAYOUT],
)
def test_every_dtype_byte_order_memory_order_and_dimension_comes_back_as_the_itk_buffer(
    roundtrip_tool, tmp_path, layout
):
    dtype_name, byte_order, order, ndim = layout
    array = with_memory_order(with_byte_order(sample_array(dtype_name, SHAPES[ndim], seed=ndim), byte_order), order)
    input_path = tmp_path / "input.npy"
    output_path = tmp_path / "output.npy"
    np.save(input_path, array)

    result = roundtrip(roundtrip_tool, input_path, output_path)

    voxel_order = array if written_in_fortran_order(array) else array.T
    assert_bitwise_equal(result, voxel_order.astype(expected_dtype(array.dtype)))
    assert result.flags.f_contiguous


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype_name", DTYPES)
def test_every_format_version_numpy_writes_is_read(roundtrip_tool, tmp_path, dtype_name, order, version):
    array = with_memory_order(with_byte_order(sample_array(dtype_name, (4, 3, 2), seed=1), ">"), order)
    input_path = tmp_path / "input.npy"
    output_path = tmp_path / "output.npy"
    with open(input_path, "wb") as file:
        np.lib.format.write_array(file, array, version=version)
    assert input_path.read_bytes()[6] == version[0]

    result = roundtrip(roundtrip_tool, input_path, output_path)

    voxel_order = array if order == "F" else array.T
    assert_bitwise_equal(result, voxel_order.astype(expected_dtype(array.dtype)))


@pytest.mark.parametrize("byte_order", ["<", ">"])
@pytest.mark.parametrize("dtype_name", ["bool", "uint8", "int16", "float16", "float32", "float64", "uint64"])
def test_the_trailing_axis_of_c_order_files_becomes_the_trailing_component_axis(
    roundtrip_tool, tmp_path, dtype_name, byte_order
):
    array = with_byte_order(sample_array(dtype_name, (2, 3, 4, 3), seed=5), byte_order)  # (k, j, i, c)
    input_path = tmp_path / "vectors_c.npy"
    output_path = tmp_path / "vectors_out.npy"
    np.save(input_path, array)

    result = roundtrip(roundtrip_tool, input_path, output_path, "--trailing-axis-is-components")

    assert_bitwise_equal(result, array.transpose(2, 1, 0, 3).astype(expected_dtype(array.dtype)))


@pytest.mark.parametrize("byte_order", ["<", ">"])
@pytest.mark.parametrize("dtype_name", ["bool", "uint8", "int16", "float16", "float32", "float64", "uint64"])
def test_the_trailing_axis_of_fortran_order_files_comes_back_unchanged(
    roundtrip_tool, tmp_path, dtype_name, byte_order
):
    array = np.asfortranarray(
        with_byte_order(sample_array(dtype_name, (4, 3, 2, 3), seed=6), byte_order)
    )  # (i, j, k, c)
    input_path = tmp_path / "vectors_f.npy"
    output_path = tmp_path / "vectors_out.npy"
    np.save(input_path, array)

    result = roundtrip(roundtrip_tool, input_path, output_path, "--trailing-axis-is-components")

    assert_bitwise_equal(result, array.astype(expected_dtype(array.dtype)))


def test_complex_data_cannot_have_its_trailing_axis_read_as_components(roundtrip_tool, tmp_path):
    input_path = tmp_path / "complex.npy"
    output_path = tmp_path / "complex_out.npy"
    np.save(input_path, sample_array("complex64", (3, 2)))

    result = run_tool(roundtrip_tool, "--trailing-axis-is-components", input_path, output_path)

    assert result.returncode == 1
    assert "complex data" in result.stderr and str(input_path) in result.stderr
    assert not output_path.exists()


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 2), (123456, 2), (2, 3, 4, 5, 6)])
@pytest.mark.parametrize("dtype_name", ["bool", "uint8", "int64", "float32", "complex128"])
def test_the_written_header_is_byte_for_byte_the_one_numpy_writes(roundtrip_tool, tmp_path, dtype_name, shape):
    array = np.asfortranarray(sample_array(dtype_name, shape, seed=2))
    input_path = tmp_path / "input.npy"
    output_path = tmp_path / "output.npy"
    np.save(input_path, array)

    roundtrip(roundtrip_tool, input_path, output_path)

    written = output_path.read_bytes()
    expected_header = numpy_header_bytes(array)
    assert written[: len(expected_header)] == expected_header
    assert len(written) == len(expected_header) + array.nbytes


def test_a_zero_dimensional_array_becomes_a_one_element_array(roundtrip_tool, tmp_path):
    input_path = tmp_path / "scalar.npy"
    output_path = tmp_path / "scalar_out.npy"
    np.save(input_path, np.array(2.5, dtype=">f8"))

    result = roundtrip(roundtrip_tool, input_path, output_path)

    assert_bitwise_equal(result, np.array([2.5]))


@pytest.mark.parametrize("dtype_name", ["bool", "int8", "uint16", "int32", "int64", "float32", "float64"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_through_nrrd_and_back_keeps_every_value(roundtrip_tool, tmp_path, dtype_name, order):
    array = with_memory_order(sample_array(dtype_name, (4, 3, 2), seed=3), order)
    input_path = tmp_path / "input.npy"
    nrrd_path = tmp_path / "middle.nrrd"
    output_path = tmp_path / "output.npy"
    np.save(input_path, array)

    result = run_tool(roundtrip_tool, input_path, nrrd_path)
    assert result.returncode == 0, result.stderr
    assert nrrd_path.read_bytes().startswith(b"NRRD")
    result = roundtrip(roundtrip_tool, nrrd_path, output_path)

    voxel_order = array if order == "F" else array.T
    assert_bitwise_equal(result, voxel_order.astype(expected_dtype(array.dtype)))


def test_vector_npy_through_nrrd_and_back_keeps_the_component_axis(roundtrip_tool, tmp_path):
    array = sample_array("float32", (2, 3, 4, 3), seed=4)  # (k, j, i, c)
    input_path = tmp_path / "vectors.npy"
    nrrd_path = tmp_path / "vectors.nrrd"
    output_path = tmp_path / "vectors_out.npy"
    np.save(input_path, array)

    result = run_tool(roundtrip_tool, "--trailing-axis-is-components", input_path, nrrd_path)
    assert result.returncode == 0, result.stderr
    result = roundtrip(roundtrip_tool, nrrd_path, output_path)

    assert_bitwise_equal(result, array.transpose(2, 1, 0, 3))


def write_bad_magic(path):
    path.write_bytes(b"\x93NUMPZ\x01\x00" + b" " * 120)


def write_truncated(path):
    np.save(path, np.arange(1000, dtype="<f8"))
    path.write_bytes(path.read_bytes()[:-10])


def write_object_array(path):
    np.save(path, np.array([{"a": 1}, None, "text"], dtype=object), allow_pickle=True)


def write_structured_array(path):
    np.save(path, np.zeros(3, dtype=[("x", "<f8"), ("y", "<i4")]))


def write_unicode_array(path):
    np.save(path, np.array(["abc", "de"]))


def write_empty_file(path):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("writer", "reason"),
    [
        (write_bad_magic, ""),
        (write_truncated, "truncated data"),
        (write_object_array, "object arrays"),
        (write_structured_array, "structured dtypes"),
        (write_unicode_array, "unicode strings"),
        (write_empty_file, ""),
    ],
    ids=["bad-magic", "truncated", "object-dtype", "structured-dtype", "unicode-dtype", "empty-file"],
)
def test_malformed_files_fail_with_one_line_naming_the_file_and_leave_no_output(
    roundtrip_tool, tmp_path, writer, reason
):
    input_path = tmp_path / "malformed.npy"
    output_path = tmp_path / "output.npy"
    writer(input_path)
    before = files_in(tmp_path)

    result = run_tool(roundtrip_tool, input_path, output_path)

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{TOOL_NAME}: error: ")
    assert f'"{input_path}"' in lines[0]
    assert reason in lines[0]
    assert files_in(tmp_path) == before


def test_a_failed_write_fails_with_one_line_and_leaves_no_file(roundtrip_tool, tmp_path):
    input_path = tmp_path / "input.npy"
    np.save(input_path, np.arange(6, dtype="<i2"))
    output_path = tmp_path / "missing-directory" / "output.npy"

    result = run_tool(roundtrip_tool, input_path, output_path)

    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert f'"{output_path}"' in result.stderr
    assert files_in(tmp_path) == ["input.npy"]


def test_an_existing_output_is_replaced_whole(roundtrip_tool, tmp_path):
    input_path = tmp_path / "input.npy"
    output_path = tmp_path / "output.npy"
    np.save(input_path, np.arange(6, dtype="<i2"))
    output_path.write_bytes(b"x" * 100000)

    result = roundtrip(roundtrip_tool, input_path, output_path)

    assert_bitwise_equal(result, np.arange(6, dtype="<i2"))
    assert files_in(tmp_path) == ["input.npy", "output.npy"]
