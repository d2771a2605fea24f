"""The NiBridge plugin inside unmodified ITK 5.2 applications from Debian: plastimatch and elastix.

Neither application was recompiled: ITK finds the plugin through ITK_AUTOLOAD_PATH, which these tests set
for their child processes only (CTest passes the plugin's directory as NIBRIDGE_PLUGIN_DIR). Every input is
written here with nibabel or shipped with nibabel, and every result is read back with the small NRRD reader
below (no ITK involved) and compared with nibabel: geometry to 1e-5 mm (NRRD stores decimal text), values
exactly, in the pixel type the application wrote.

Space: nibabel's affine maps voxel (i, j, k) to RAS+ mm; ITK and NRRD ("left-posterior-superior") use LPS.
With F = diag(-1, -1, 1), an NRRD's space directions D (one column per axis) and origin o are the RAS
affine [[F D, F o], [0 0 0 1]].

Tests marked nibabel_formats need the plugin built with the Python bridge (NiBabelImageIO); the others
need only its NumPyImageIO, so they prove the loading path on their own.
"""

import gzip
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path

PLUGIN_DIR = os.environ.get("NIBRIDGE_PLUGIN_DIR")
PLUGIN_FILE_NAME = "libNiBridgePlugin.so"  # the loader, which links no ITK
PLUGIN_ITK_DIRECTORY = "itk-5.2"  # the plugin proper, for the ITK it links, beside its nibabel module
PLUGIN_ITK_FILE_NAME = "libNiBridgePluginITK.so"
INSTALL_HINT = "run Utilities/nibridge-dev build, which installs the Debian packages of Utilities/debian-packages.txt"
# The variable the embedded interpreter reads to override the Python home found at build time.
PYTHON_HOME_VARIABLE = "NIBRIDGE_PYTHONHOME"

FLIP_XY = np.diag([-1.0, -1.0, 1.0])  # RAS <-> LPS, its own inverse
GEOMETRY_TOLERANCE_MM = 1e-5

nibabel_formats = pytest.mark.nibabel_formats

# A rotation (20 degrees about z, then 20 about x) times anisotropic voxel sizes, with an origin far from 0.
OBLIQUE = np.array(
    [
        [0.9396926, -0.3213938, 0.1169778, -80.5],
        [0.3420201, 0.8830222, -0.3213938, -110.25],
        [0.0, 0.3420201, 0.9396926, -60.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
) @ np.diag([1.5, 2.0, 2.5, 1.0])


# ---- running the applications ----------------------------------------------------------------


def plugin_directory():
    if not PLUGIN_DIR:
        pytest.fail("NIBRIDGE_PLUGIN_DIR is not set: run these tests through CTest, which points it at the plugin")
    directory = Path(PLUGIN_DIR)
    libraries = sorted(path.name for path in directory.glob("*.so"))
    assert libraries == [PLUGIN_FILE_NAME], f"{directory} must hold the plugin and no other library ITK would load"
    return directory


def application(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}")
    return path


def run(name, *arguments, plugin=True, environment=None, trace=None):
    """Runs an installed application, with ITK_AUTOLOAD_PATH naming the plugin's directory (or the directory
    `plugin`, if it is a path), or unset if `plugin` is False.

    With `trace`, the run goes through strace, which writes every file the process touches there.
    """
    child_environment = {key: value for key, value in os.environ.items() if key != "ITK_AUTOLOAD_PATH"}
    if plugin:
        child_environment["ITK_AUTOLOAD_PATH"] = str(plugin_directory() if plugin is True else plugin)
    child_environment.update(environment or {})
    command = [application(name), *map(str, arguments)]
    if trace is not None:
        command = [application("strace"), "-f", "-qq", "-e", "trace=%file", "-o", str(trace), *command]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=600, env=child_environment)


def report(result):
    return f"exit status {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"


def convert(source, output, **options):
    """plastimatch convert, which reads any image through ITK's ImageFileReader and writes it as asked."""
    return run("plastimatch", "convert", "--input", source, "--output-img", output, **options)


def converted(source, tmp_path, output_name=None, **options):
    output = tmp_path / (output_name or f"{Path(source).name}.nrrd")
    result = convert(source, output, **options)
    assert result.returncode == 0 and output.exists(), report(result)
    return read_nrrd(output)


# ---- NRRD, read without ITK --------------------------------------------------------------------

# The type names ITK's NrrdImageIO writes (teem's canonical names).
NRRD_TYPES = {
    "signed char": "i1",
    "unsigned char": "u1",
    "short": "i2",
    "unsigned short": "u2",
    "int": "i4",
    "unsigned int": "u4",
    "long long int": "i8",
    "unsigned long long int": "u8",
    "float": "f4",
    "double": "f8",
}
FIELD = re.compile(r"([^:#][^:]*): (.*)$")  # "key: value"; key/value pairs ("key:=value") never match
VECTOR = re.compile(r"\(([^)]*)\)")


@dataclass
class Nrrd:
    data: np.ndarray  # indexed [i, j, k]: the file's fastest axis first, like nibabel's arrays
    affine: np.ndarray  # voxel (i, j, k) -> RAS+ mm


def read_nrrd(path):
    content = Path(path).read_bytes()
    header_end = content.find(b"\n\n")
    assert content.startswith(b"NRRD000") and header_end > 0, f"{path} is not an NRRD file with its data attached"
    fields = {}
    for line in content[:header_end].decode("latin-1").splitlines()[1:]:
        match = FIELD.match(line)
        if match:
            fields[match.group(1).strip()] = match.group(2).strip()
    assert fields["space"] == "left-posterior-superior", fields

    sizes = [int(size) for size in fields["sizes"].split()]
    byte_order = ">" if fields.get("endian") == "big" else "<"
    dtype = np.dtype(NRRD_TYPES[fields["type"]]).newbyteorder(byte_order)
    payload = content[header_end + 2 :]
    if fields["encoding"] in ("gzip", "gz"):
        payload = gzip.decompress(payload)
    else:
        assert fields["encoding"] == "raw", fields["encoding"]
    data = np.frombuffer(payload, dtype=dtype, count=int(np.prod(sizes))).reshape(sizes, order="F")

    directions = np.array(
        [[float(x) for x in vector.split(",")] for vector in VECTOR.findall(fields["space directions"])]
    )
    origin = np.array([float(x) for x in VECTOR.findall(fields["space origin"])[0].split(",")])
    affine = np.eye(4)
    affine[:3, :3] = FLIP_XY @ directions.T
    affine[:3, 3] = FLIP_XY @ origin
    return Nrrd(data.astype(dtype.newbyteorder("=")), affine)


def assert_same_geometry(affine, expected):
    np.testing.assert_allclose(affine, expected, rtol=0, atol=GEOMETRY_TOLERANCE_MM)


def affine_of_3d_image_read_from_nd_file(image):
    """The RAS affine ITK 5.2 gives a 3-D image read from a file with more dimensions (4-D series).

    plastimatch and elastix read into 3-D images, and ITK 5.2's ImageFileReader, when the file has more
    dimensions than the image, keeps the spacing and origin of the first three axes but replaces the
    direction with the identity (itkImageFileReader.hxx, GetDefaultDirection): only the first volume is
    read, unrotated. ITK's own NIfTI reader shows the same (test_itk_itself_drops_the_direction_of_4d_files).
    """
    matrix = FLIP_XY @ image.affine[:3, :3]
    affine = np.eye(4)
    affine[:3, :3] = FLIP_XY @ np.diag(np.linalg.norm(matrix, axis=0))
    affine[:3, 3] = image.affine[:3, 3]
    return affine


def ramp(shape, dtype):
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 251 - 100
    return (values * 1.25).astype(dtype) if np.dtype(dtype).kind == "f" else values.astype(dtype)


def shipped(name):
    return Path(data_path) / name


# ---- the applications link the ITK the plugin was built against ---------------------------------

ITK_COMMON = "libITKCommon-5.2.so.1"


def linked_library(path, soname):
    listing = subprocess.run(["ldd", str(path)], check=True, capture_output=True, text=True).stdout
    for line in listing.splitlines():
        name, _, location = line.strip().partition(" => ")
        if name == soname:
            return Path(location.split(" (")[0]).resolve()
    return None


@pytest.mark.parametrize("name", ["plastimatch", "elastix"])
def test_the_applications_link_the_itk_the_plugin_was_built_against(name):
    plugins_itk = linked_library(plugin_directory() / PLUGIN_ITK_DIRECTORY / PLUGIN_ITK_FILE_NAME, ITK_COMMON)
    assert plugins_itk is not None, f"the plugin does not link {ITK_COMMON}"
    assert linked_library(application(name), ITK_COMMON) == plugins_itk


# ---- the loading path: .npy through NumPyImageIO -------------------------------------------------


def test_plastimatch_reads_npy_through_the_plugin(tmp_path):
    data = np.asfortranarray(ramp((6, 5, 4), "int16"))  # Fortran order: ITK index [i, j, k] = data[i, j, k]
    np.save(tmp_path / "ramp.npy", data)
    nrrd = converted(tmp_path / "ramp.npy", tmp_path)
    assert nrrd.data.dtype == np.int16
    np.testing.assert_array_equal(nrrd.data, data)
    assert_same_geometry(nrrd.affine, np.diag([-1.0, -1.0, 1.0, 1.0]))  # .npy: LPS identity, origin 0


def test_without_the_plugin_plastimatch_reads_no_npy(tmp_path):
    np.save(tmp_path / "ramp.npy", ramp((6, 5, 4), "int16"))
    result = convert(tmp_path / "ramp.npy", tmp_path / "out.nrrd", plugin=False)
    assert result.returncode == 1, report(result)
    assert "Could not create IO object" in result.stdout + result.stderr
    assert not (tmp_path / "out.nrrd").exists()


def image_ios_tried(result):
    """The ImageIO classes ITK's ImageFileReader lists, in factory order, when none reads a file."""
    output = result.stdout + result.stderr
    listing = output.partition("Tried to create one of the following:")[2].partition("You probably failed")[0]
    return listing.split()


@pytest.fixture
def unreadable_file(tmp_path):
    path = tmp_path / "notes.xyz"
    path.write_text("not an image\n")
    return path


def test_the_plugins_image_ios_come_first_and_take_nothing_the_application_reads(unreadable_file, tmp_path):
    # ITK asks the factories in order and takes the first ImageIO that can read the file. NiBridge's come first,
    # in the order of its one list, but only those that take nothing from the application's own readers: the read
    # guard (it takes only inputs that are no regular file, which no reader reads), the native MGH reader and
    # NumPyImageIO (ITK 5.2 reads neither format) and NiBabelImageIO (whose CanReadFile leaves NIfTI-1 and Analyze
    # to ITK here). The native NIfTI reader is left out unless the user opts in.
    tried = image_ios_tried(convert(unreadable_file, tmp_path / "out.nrrd"))
    itk_image_ios = [name for name in tried if not name.startswith(("NiBridge", "NumPy", "NiBabel"))]
    assert {"NiftiImageIO", "NrrdImageIO", "MetaImageIO", "MINCImageIO"} <= set(itk_image_ios), tried
    nibridge_image_ios = tried[: len(tried) - len(itk_image_ios)]
    assert nibridge_image_ios[:3] == ["NiBridgeGuardImageIO", "NiBridgeMGHImageIO", "NumPyImageIO"], tried
    assert "NiBridgeNiftiImageIO" not in tried, tried
    assert "NumPyImageIO" not in image_ios_tried(convert(unreadable_file, tmp_path / "out.nrrd", plugin=False))


def test_nibridge_plugin_nifti_nibabel_puts_the_native_nifti_reader_in_front(unreadable_file, tmp_path):
    opted_in = {"NIBRIDGE_PLUGIN_NIFTI": "nibabel"}
    tried = image_ios_tried(convert(unreadable_file, tmp_path / "out.nrrd", environment=opted_in))
    assert tried[:2] == ["NiBridgeGuardImageIO", "NiBridgeNiftiImageIO"], tried


def scaled_sheared_nifti(tmp_path):
    """A scaled int16 NIfTI-1 file with a sheared sform, which ITK's NiftiImageIO reads differently from nibabel."""
    affine = OBLIQUE.copy()
    affine[0, 1] += 0.4  # a shear
    image = nib.Nifti1Image(ramp((7, 6, 5), "int16"), affine)
    image.set_qform(OBLIQUE, code=1)
    image.header.set_slope_inter(0.1, 1 / 3)
    path = tmp_path / "sheared.nii"
    nib.save(image, path)
    return path


def test_nifti_stays_with_itk_unless_the_user_opts_in(tmp_path):
    source = scaled_sheared_nifti(tmp_path)
    image = nib.load(source)
    by_itk = converted(source, tmp_path)
    # ITK's reader: the qform and float32 scaling; results in existing applications do not change.
    assert not np.array_equal(by_itk.data, image.get_fdata())
    opted_in = tmp_path / "opted-in"
    opted_in.mkdir()
    nibabel_rules = converted(source, opted_in, environment={"NIBRIDGE_PLUGIN_NIFTI": "nibabel"})
    assert nibabel_rules.data.dtype == np.float64
    np.testing.assert_array_equal(nibabel_rules.data, image.get_fdata())
    assert_same_geometry(nibabel_rules.affine, image.affine)


@nibabel_formats
def test_nibabel_comes_before_the_applications_own_image_ios(unreadable_file, tmp_path):
    # In front, so that .mnc files are not taken by ITK's MINCImageIO; NiBabelImageIO's CanReadFile leaves
    # every format ITK reads correctly to ITK.
    tried = image_ios_tried(convert(unreadable_file, tmp_path / "out.nrrd"))
    assert tried[:4] == ["NiBridgeGuardImageIO", "NiBridgeMGHImageIO", "NumPyImageIO", "NiBabelImageIO"], tried
    assert tried.count("NiBabelImageIO") == 1, tried


# ---- no Python until the first nibabel read ------------------------------------------------------

# Any initialization of CPython imports the encodings package (or looks for the zipped standard library).
PYTHON_STARTING = re.compile(r"/encodings/|python3\d+\.zip")


def touched(trace):
    return Path(trace).read_text(errors="replace").splitlines()


def python_started(trace):
    return any(PYTHON_STARTING.search(line) for line in touched(trace))


def plain_nifti(tmp_path):
    """A NIfTI-1 file ITK's own NiftiImageIO reads exactly as nibabel does (orthonormal, sform = qform)."""
    image = nib.Nifti1Image(ramp((7, 6, 5), "int16"), OBLIQUE)
    image.set_qform(OBLIQUE, code=1)
    nib.save(image, tmp_path / "plain.nii.gz")
    return tmp_path / "plain.nii.gz"


def test_loading_the_plugin_does_not_start_python(tmp_path):
    source = plain_nifti(tmp_path)
    output = tmp_path / "plain.nrrd"
    trace = tmp_path / "trace.txt"
    result = convert(source, output, trace=trace)
    assert result.returncode == 0, report(result)
    assert any(PLUGIN_FILE_NAME in line and "openat" in line for line in touched(trace)), "the plugin was not loaded"
    assert not python_started(trace), "reading NIfTI-1 with the plugin loaded started Python"
    image = nib.load(source)
    nrrd = read_nrrd(output)
    np.testing.assert_array_equal(nrrd.data, np.asarray(image.dataobj))
    assert_same_geometry(nrrd.affine, image.affine)


def minc_file(tmp_path):
    """A MINC1 file nibabel ships: a format only nibabel reads correctly (through Python)."""
    path = tmp_path / "volume.mnc"
    path.write_bytes((Path(data_path) / "minc1_1_scale.mnc").read_bytes())
    return path


def test_reading_mgz_does_not_start_python(tmp_path):
    # MGH/MGZ has a native reader: no Python either.
    nib.save(nib.MGHImage(ramp((7, 6, 5), "float32"), OBLIQUE), tmp_path / "volume.mgz")
    trace = tmp_path / "trace.txt"
    result = convert(tmp_path / "volume.mgz", tmp_path / "volume.nrrd", trace=trace)
    assert result.returncode == 0, report(result)
    assert not python_started(trace)


@nibabel_formats
def test_the_first_nibabel_read_starts_python(tmp_path):
    # The control of the tests above: the trace does show Python starting when it starts.
    trace = tmp_path / "trace.txt"
    result = convert(minc_file(tmp_path), tmp_path / "volume.nrrd", trace=trace)
    assert result.returncode == 0, report(result)
    assert python_started(trace)


def test_a_broken_python_leaves_the_plugin_loading_and_itks_formats_working(tmp_path):
    broken = {PYTHON_HOME_VARIABLE: str(tmp_path / "no-such-python-home")}
    source = plain_nifti(tmp_path)
    nrrd = converted(source, tmp_path, environment=broken)
    np.testing.assert_array_equal(nrrd.data, np.asarray(nib.load(source).dataobj))
    np.save(tmp_path / "ramp.npy", np.asfortranarray(ramp((4, 3, 2), "float32")))
    assert converted(tmp_path / "ramp.npy", tmp_path, environment=broken).data.shape == (4, 3, 2)


@nibabel_formats
def test_a_broken_python_fails_the_nibabel_read_with_a_clear_error(tmp_path):
    broken = {PYTHON_HOME_VARIABLE: str(tmp_path / "no-such-python-home")}
    source = minc_file(tmp_path)
    result = convert(source, tmp_path / "volume.nrrd", environment=broken)
    assert result.returncode == 1, report(result)  # plastimatch's error exit, not a signal
    output = result.stdout + result.stderr
    assert str(source) in output and "Python" in output, report(result)
    assert not (tmp_path / "volume.nrrd").exists()


# ---- plastimatch converts nibabel's formats ------------------------------------------------------


@nibabel_formats
def test_a_nibabel_module_that_cannot_load_costs_only_the_nibabel_formats(tmp_path):
    # The plugin does not link Python: it loads NiBabelImageIO (and libpython with it) from nibabel/ beside it.
    # Here that module is not a library at all, as if libpython could not be loaded.
    copy = tmp_path / "plugin"
    shutil.copytree(plugin_directory(), copy)
    for module in (copy / PLUGIN_ITK_DIRECTORY / "nibabel").glob("*.so"):
        module.write_text("not a library\n")
    np.save(tmp_path / "ramp.npy", np.asfortranarray(ramp((4, 3, 2), "float32")))
    assert converted(tmp_path / "ramp.npy", tmp_path, plugin=copy).data.shape == (4, 3, 2)
    nib.save(nib.MGHImage(ramp((7, 6, 5), "float32"), OBLIQUE), tmp_path / "volume.mgz")
    assert converted(tmp_path / "volume.mgz", tmp_path, plugin=copy).data.shape == (7, 6, 5)  # native
    for name in ("example4d+orig.HEAD", "example4d+orig.BRIK.gz"):  # AFNI: only nibabel reads it
        (tmp_path / name).write_bytes((Path(data_path) / name).read_bytes())
    result = convert(tmp_path / "example4d+orig.HEAD", tmp_path / "volume.nrrd", plugin=copy)
    assert result.returncode == 1, report(result)
    output = result.stdout + result.stderr
    assert "NiBridge plugin: the formats read through nibabel are not available" in output, report(result)
    assert "Could not create IO object" in output


@nibabel_formats
@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_plastimatch_converts_a_generated_oblique_mgz(dtype, tmp_path):
    source = tmp_path / f"oblique-{dtype}.mgz"
    nib.save(nib.MGHImage(ramp((9, 8, 7), dtype), OBLIQUE), source)
    image = nib.load(source)  # the affine as the file stores it (MGH: float32 fields)
    nrrd = converted(source, tmp_path)
    assert nrrd.data.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(nrrd.data, np.asarray(image.dataobj))
    assert_same_geometry(nrrd.affine, image.affine)


@nibabel_formats
def test_without_the_plugin_plastimatch_reads_no_mgz(tmp_path):
    source = tmp_path / "volume.mgz"
    nib.save(nib.MGHImage(ramp((9, 8, 7), "int16"), OBLIQUE), source)
    result = convert(source, tmp_path / "volume.nrrd", plugin=False)
    assert result.returncode == 1, report(result)
    assert "Could not create IO object" in result.stdout + result.stderr
    assert not (tmp_path / "volume.nrrd").exists()


def test_itk_itself_drops_the_direction_of_4d_files(tmp_path):
    # The reference for the 4-D tests below: ITK's own NiftiImageIO, no plugin involved.
    image = nib.load(shipped("example4d.nii.gz"))
    nrrd = converted(shipped("example4d.nii.gz"), tmp_path, plugin=False)
    np.testing.assert_array_equal(nrrd.data, np.asarray(image.dataobj)[..., 0])
    assert_same_geometry(nrrd.affine, affine_of_3d_image_read_from_nd_file(image))
    assert not np.allclose(nrrd.affine, image.affine, atol=1e-3)  # the file is oblique


@nibabel_formats
@pytest.mark.parametrize("name", ["test.mgz", "example4d+orig.HEAD"])
def test_plastimatch_converts_the_first_volume_of_nibabels_4d_files(name, tmp_path):
    image = nib.load(shipped(name))
    assert len(image.shape) == 4 and image.shape[3] > 1
    nrrd = converted(shipped(name), tmp_path)
    expected = np.asarray(image.dataobj)[..., 0]
    assert nrrd.data.dtype == expected.dtype.newbyteorder("=")  # MGH stores big-endian values
    np.testing.assert_array_equal(nrrd.data, expected)
    # Unlike ITK's own NIfTI reader, NiBabelImageIO gives the 3-D image the file's real direction.
    assert_same_geometry(nrrd.affine, image.affine)


@nibabel_formats
def test_plastimatch_converts_a_single_volume_afni_file_with_its_geometry(tmp_path):
    # A single volume with a time axis of size 1: the 3-D image must keep its direction, as ITK's own
    # NiftiImageIO gives a NIfTI-1 file of shape (x, y, z, 1).
    image = nib.load(shipped("scaled+tlrc.HEAD"))
    nrrd = converted(shipped("scaled+tlrc.HEAD"), tmp_path)
    expected = np.asarray(image.dataobj)[..., 0]  # int16 on disk times the BRICK_FLOAT_FACS: float64
    assert nrrd.data.dtype.kind == "f"
    np.testing.assert_array_equal(nrrd.data, expected.astype(nrrd.data.dtype))
    assert_same_geometry(nrrd.affine, image.affine)


def matching_axes(data, reference):
    """The axis order `order` for which data == reference.transpose(order), found by comparing values."""
    for order in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]:
        candidate = reference.transpose(order)
        if candidate.shape == data.shape and np.array_equal(data, candidate.astype(data.dtype)):
            return list(order)
    pytest.fail(f"no axis order of the reference {reference.shape} gives the data {data.shape}")


@nibabel_formats
@pytest.mark.parametrize("name", ["minc1_1_scale.mnc", "minc2_1_scale.mnc", "small.mnc"])
def test_plastimatch_reads_minc_through_nibabel_where_itk_mirrors_it(name, tmp_path):
    image = nib.load(shipped(name))
    expected = np.asarray(image.dataobj)

    nrrd = converted(shipped(name), tmp_path)
    np.testing.assert_array_equal(nrrd.data, expected.astype(nrrd.data.dtype))
    assert_same_geometry(nrrd.affine, image.affine)

    # ITK's MINCImageIO (the plugin not loaded) takes MINC's RAS coordinates for LPS: once its axes are
    # matched with nibabel's, its x and y run the other way.
    itk_nrrd = converted(shipped(name), tmp_path, output_name="itk.nrrd", plugin=False)
    order = matching_axes(itk_nrrd.data, expected)
    nibabel_affine_in_itk_axis_order = image.affine[:, [*order, 3]]
    assert_same_geometry(itk_nrrd.affine, np.diag([-1.0, -1.0, 1.0, 1.0]) @ nibabel_affine_in_itk_axis_order)


# ---- elastix registers two MGZ images --------------------------------------------------------------

# Translation of the moving image's content relative to the fixed image's, in RAS+ mm.
TRUE_TRANSLATION_RAS = np.array([3.0, -2.0, 4.5])
REGISTRATION_SIZE = 48
ELASTIX_PARAMETERS = """\
(FixedInternalImagePixelType "float")
(MovingInternalImagePixelType "float")
(FixedImageDimension 3)
(MovingImageDimension 3)
(UseDirectionCosines "true")
(Registration "MultiResolutionRegistration")
(FixedImagePyramid "FixedSmoothingImagePyramid")
(MovingImagePyramid "MovingSmoothingImagePyramid")
(NumberOfResolutions 2)
(Transform "TranslationTransform")
(AutomaticTransformInitialization "false")
(Metric "AdvancedMeanSquares")
(Optimizer "RegularStepGradientDescent")
(MaximumStepLength 2.0)
(MinimumStepLength 0.001)
(RelaxationFactor 0.5)
(MaximumNumberOfIterations 100)
(ImageSampler "Full")
(Interpolator "LinearInterpolator")
(Resampler "DefaultResampler")
(ResampleInterpolator "FinalBSplineInterpolator")
(FinalBSplineInterpolationOrder 1)
(DefaultPixelValue 0)
(WriteResultImage "true")
(ResultImagePixelType "float")
(ResultImageFormat "nrrd")
"""


def blobs(affine, shift_ras):
    """Three Gaussian blobs of different sizes, placed in RAS mm around the volume's centre and moved by
    `shift_ras`, sampled on the voxel grid of `affine`: a smooth volume with one best translation."""
    size = REGISTRATION_SIZE
    index = np.stack(np.meshgrid(*[np.arange(size)] * 3, indexing="ij"), axis=-1).astype(np.float64)
    points = index @ affine[:3, :3].T + affine[:3, 3]
    centre = affine[:3, :3] @ np.full(3, (size - 1) / 2) + affine[:3, 3]
    volume = np.zeros((size, size, size))
    for offset, sigma, height in [
        ((8.0, 0.0, -3.0), 6.0, 100.0),
        ((-7.0, 6.0, 4.0), 4.5, 70.0),
        ((0.0, -8.0, 6.0), 5.0, 50.0),
    ]:
        squared_distance = np.sum((points - (centre + np.array(offset) + shift_ras)) ** 2, axis=-1)
        volume += height * np.exp(-squared_distance / (2 * sigma**2))
    return volume.astype(np.float32)


def transform_parameters(path):
    match = re.search(r"^\(TransformParameters ([^)]*)\)", Path(path).read_text(), re.MULTILINE)
    assert match, f"no TransformParameters in {path}"
    return np.array([float(value) for value in match.group(1).split()])


@nibabel_formats
def test_elastix_registers_two_mgz_images_through_the_plugin(tmp_path):
    affine = OBLIQUE @ np.diag([0.8, 0.6, 0.5, 1.0])  # voxels of 1.2 mm, 1.2 mm and 1.25 mm
    nib.save(nib.MGHImage(blobs(affine, np.zeros(3)), affine), tmp_path / "fixed.mgz")
    nib.save(nib.MGHImage(blobs(affine, TRUE_TRANSLATION_RAS), affine), tmp_path / "moving.mgz")
    (tmp_path / "parameters.txt").write_text(ELASTIX_PARAMETERS)
    output = tmp_path / "registration"
    output.mkdir()

    result = run(
        "elastix",
        "-f",
        tmp_path / "fixed.mgz",
        "-m",
        tmp_path / "moving.mgz",
        "-p",
        tmp_path / "parameters.txt",
        "-out",
        output,
    )
    assert result.returncode == 0, report(result) + (output / "elastix.log").read_text()[-6000:]

    # elastix's transform maps a point of the fixed image to the moving image, in ITK's LPS mm:
    # T(x) = x + p. The moving content is the fixed content moved by t (RAS), so moving(x + t) = fixed(x),
    # hence p = t expressed in LPS: F t, with x and y negated.
    found = transform_parameters(output / "TransformParameters.0.txt")
    np.testing.assert_allclose(found, FLIP_XY @ TRUE_TRANSLATION_RAS, atol=0.1)

    # The result is the moving image resampled onto the fixed image's grid: the fixed geometry, and values
    # close to the fixed image's.
    fixed = nib.load(tmp_path / "fixed.mgz")
    resampled = read_nrrd(output / "result.0.nrrd")
    assert_same_geometry(resampled.affine, fixed.affine)
    fixed_values = np.asarray(fixed.dataobj)
    error = np.abs(resampled.data - fixed_values)
    assert np.percentile(error, 99) < 0.02 * fixed_values.max()
