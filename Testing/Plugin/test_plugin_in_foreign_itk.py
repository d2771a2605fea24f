"""The NiBridge plugin's folder given to processes whose ITK is not the one the plugin was built against.

ITK_AUTOLOAD_PATH makes every ITK in a process open the plugin's loader: SimpleITK's (ITK 5.4, linked in
statically), slicer-core's (ITK 5.4.5, shared, run from its own virtual environment), nibridge's own (Debian's
ITK 5.2) and any other. The loader hands the plugin to Debian's ITK 5.2
only; any other ITK finds no entry point, skips the folder, and the process says so in one line. These tests run
SimpleITK and nibridge in child processes with ITK_AUTOLOAD_PATH set for those children only (never exported: it
would reach every ITK of this process too), and check that they read correctly and exit cleanly. plastimatch, a
5.2 host, gets the plugin's readers from the same folder (test_plugin_with_itk_applications.py, and here once).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

PLUGIN_DIR = os.environ.get("NIBRIDGE_PLUGIN_DIR")
PLUGIN_ITK_VERSION = "5.2"
# The refusal the loader prints, once per process, for an ITK other than the plugin's.
REFUSAL = "NiBridge plugin: not loaded: built for ITK " + PLUGIN_ITK_VERSION
AFFINE = np.array([[-1.5, 0.0, 0.0, 40.0], [0.0, 2.0, 0.0, -30.0], [0.0, 0.0, 2.5, -20.0], [0.0, 0.0, 0.0, 1.0]])


def plugin_directory():
    if not PLUGIN_DIR:
        pytest.fail("NIBRIDGE_PLUGIN_DIR is not set: run these tests through CTest, which points it at the plugin")
    return Path(PLUGIN_DIR)


def run(command, tmp_path, plugin=True, unset=()):
    """Runs `command` in `tmp_path` with ITK_AUTOLOAD_PATH naming the plugin's folder (or unset), and without the
    variables of `unset`."""
    environment = {key: value for key, value in os.environ.items() if key not in ("ITK_AUTOLOAD_PATH", *unset)}
    if plugin:
        environment["ITK_AUTOLOAD_PATH"] = str(plugin_directory())
    return subprocess.run(
        [str(part) for part in command],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_python(code, tmp_path, plugin=True):
    """Runs `code` in a child of this Python."""
    return run([sys.executable, "-c", code], tmp_path, plugin)


def report(result):
    return f"exit status {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"


def nifti(tmp_path):
    data = (np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6) - 60.0) * 0.5
    path = tmp_path / "volume.nii.gz"
    nib.save(nib.Nifti1Image(data, AFFINE), path)
    return path, data


def refusals(result):
    return [line for line in result.stderr.splitlines() if line.startswith("NiBridge plugin:")]


def assert_refused_once_by_simpleitk(result):
    lines = refusals(result)
    assert len(lines) == 1, report(result)
    assert lines[0].startswith(REFUSAL), report(result)
    # SimpleITK's ITK names itself: its version is compiled into it ("itk version X.Y.Z").
    version = re.escape(sitk.Version.ITKVersionString())  # "5.4": major and minor
    assert re.search(rf"asked for by ITK {version}\.\d+ in ", lines[0]), report(result)
    assert "_SimpleITK" in lines[0], report(result)
    assert "Possible incompatible factory load" not in result.stderr + result.stdout, report(result)


# SimpleITK reads the NIfTI in its own way (its ITK 5.4's NiftiImageIO), in (k, j, i) order; nibabel's array is
# (i, j, k). Values are float32 and exact.
SIMPLEITK_READ = """
import sys
import numpy as np
import SimpleITK as sitk
image = sitk.ReadImage(sys.argv[1] if len(sys.argv) > 1 else "volume.nii.gz")
array = sitk.GetArrayFromImage(image).transpose()
np.save("simpleitk.npy", array)
print("spacing", image.GetSpacing())
"""


def test_the_loader_links_no_itk():
    loader = plugin_directory() / "libNiBridgePlugin.so"
    dynamic = subprocess.run(["readelf", "-d", str(loader)], check=True, capture_output=True, text=True).stdout
    needed = sorted(line.split("[")[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line)
    assert set(needed) <= {"libc.so.6", "libgcc_s.so.1"}, needed
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(loader)], check=True, capture_output=True, text=True)
    exported = {line.split()[-1]: line.split()[-2] for line in symbols.stdout.splitlines() if line.strip()}
    assert exported.get("itkLoad") == "i", f"itkLoad must be an indirect function: {exported}"


def test_import_simpleitk_and_read_a_nifti_with_the_plugin_folder_set(tmp_path):
    source, data = nifti(tmp_path)
    result = run_python("import SimpleITK\n" + SIMPLEITK_READ, tmp_path)
    assert result.returncode == 0, report(result)
    np.testing.assert_array_equal(np.load(tmp_path / "simpleitk.npy"), data)
    assert_refused_once_by_simpleitk(result)


def test_simpleitk_without_the_plugin_folder_says_nothing(tmp_path):
    # The reference: the same read, no ITK_AUTOLOAD_PATH.
    source, data = nifti(tmp_path)
    result = run_python(SIMPLEITK_READ, tmp_path, plugin=False)
    assert result.returncode == 0, report(result)
    np.testing.assert_array_equal(np.load(tmp_path / "simpleitk.npy"), data)
    assert refusals(result) == [], report(result)


NIBRIDGE_TO_SIMPLEITK = """
import numpy as np
import nibabel
import SimpleITK as sitk
import nibridge
image = nibridge.imread("volume.nii.gz")
converted = nibridge.to_sitk(image)
array = sitk.GetArrayFromImage(converted).transpose()
np.save("to_sitk.npy", array)
np.save("imread.npy", nibridge.array_view_from_image(image, keep_axes=True))
np.save("imread_affine.npy", image.affine)
# SimpleITK's own reader and writer, after nibridge's ITK loaded the plugin
read = sitk.ReadImage("volume.nii.gz")
np.save("simpleitk.npy", sitk.GetArrayFromImage(read).transpose())
sitk.WriteImage(converted, "written.nrrd")
back = nibridge.from_sitk(sitk.ReadImage("written.nrrd"))
np.save("back.npy", nibridge.array_view_from_image(back, keep_axes=True))
np.save("back_affine.npy", back.affine)
"""


@pytest.mark.nibridge_package
@pytest.mark.parametrize("first", ["nibridge", "SimpleITK"])
def test_nibridge_to_sitk_with_the_plugin_folder_set(first, tmp_path):
    # Both ITKs in one process: nibridge's (the plugin's own, which may take the plugin) and SimpleITK's, imported in
    # either order.
    source, data = nifti(tmp_path)
    result = run_python(f"import {first}\n" + NIBRIDGE_TO_SIMPLEITK, tmp_path)
    assert result.returncode == 0, report(result)
    expected = nib.load(source)
    for name in ("to_sitk", "imread", "simpleitk", "back"):
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), expected.get_fdata(), err_msg=name)
    for name in ("imread_affine", "back_affine"):
        np.testing.assert_allclose(np.load(tmp_path / f"{name}.npy"), expected.affine, rtol=0, atol=1e-6)
    assert_refused_once_by_simpleitk(result)


# slicer-core (ITK 5.4.5, shared, in a venv of its own: it pins its own VTK) reads a NIfTI through its vtkITK reader,
# which asks ITK's ImageIO factories.
SLICER_CORE_READ = """
import sys
import numpy as np
import slicer_core
from vtkmodules.util.numpy_support import vtk_to_numpy
reader = slicer_core.vtkITKArchetypeImageSeriesScalarReader()
reader.SetArchetype("volume.nii.gz")
reader.SetOutputScalarTypeToNative()
reader.SetDesiredCoordinateOrientationToNative()
reader.Update()
assert reader.GetErrorCode() == 0, reader.GetErrorCode()
image = reader.GetOutput()
values = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(image.GetDimensions(), order="F")
np.save("slicer.npy", values)
"""


def test_slicer_core_reads_a_nifti_with_the_plugin_folder_set(tmp_path):
    python = os.environ.get("NIBRIDGE_SLICER_CORE_PYTHON")
    if not python or not Path(python).is_file():
        pytest.fail(
            f"slicer-core's virtual environment is missing ({python}): Utilities/nibridge-dev test makes it from "
            "Testing/Plugin/requirements-slicer-core.txt"
        )
    source, data = nifti(tmp_path)
    results = {}
    for plugin in (False, True):
        result = run([python, "-c", SLICER_CORE_READ], tmp_path, plugin, unset=("PYTHONPATH",))
        assert result.returncode == 0, report(result)
        np.testing.assert_array_equal(np.load(tmp_path / "slicer.npy"), data)
        results[plugin] = result
    assert refusals(results[False]) == [], report(results[False])
    lines = refusals(results[True])
    assert len(lines) == 1 and lines[0].startswith(REFUSAL), report(results[True])
    assert re.search(r"asked for by ITK 5\.4\.\d+ in \S*libITKCommon-5\.4\.so", lines[0]), report(results[True])
    assert "Possible incompatible factory load" not in results[True].stderr + results[True].stdout


def test_ni2npy_with_the_plugin_folder_set(tmp_path):
    # A NiBridge program: its ITK takes the plugin's folder too, and the plugin, finding NiBridge's list in use
    # (ImageIOList::ClaimITK), registers nothing. An .mgz (native reader) and a NRRD (ITK's reader, in the helper).
    ni2npy = os.environ.get("NIBRIDGE_NI2NPY")
    if not ni2npy:
        pytest.fail("NIBRIDGE_NI2NPY is not set: run these tests through CTest")
    data = np.arange(7 * 6 * 5, dtype=np.float32).reshape(7, 6, 5)
    nib.save(nib.MGHImage(data, AFFINE), tmp_path / "volume.mgz")
    nrrd = tmp_path / "plane.nrrd"
    nrrd.write_bytes(b"NRRD0004\ntype: uchar\ndimension: 2\nsizes: 2 2\nencoding: raw\n\n\x01\x02\x03\x04")
    for source, expected in ((tmp_path / "volume.mgz", data), (nrrd, [[1.0, 3.0], [2.0, 4.0]])):
        result = run([ni2npy, "--force", source, tmp_path / "out.npy"], tmp_path)
        assert result.returncode == 0 and result.stderr == "", report(result)
        np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


def test_a_5_2_host_still_gets_the_plugins_readers_from_the_same_folder(tmp_path):
    # plastimatch (Debian's ITK 5.2) reads an .mgz, a format its ITK lacks, through the plugin.
    data = np.arange(7 * 6 * 5, dtype=np.float32).reshape(7, 6, 5)
    nib.save(nib.MGHImage(data, AFFINE), tmp_path / "volume.mgz")
    result = run(["plastimatch", "convert", "--input", "volume.mgz", "--output-img", "volume.mha"], tmp_path)
    assert result.returncode == 0 and (tmp_path / "volume.mha").exists(), report(result)
    assert refusals(result) == [], report(result)
    # Read back here: this process has no ITK_AUTOLOAD_PATH.
    np.testing.assert_array_equal(
        sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "volume.mha"))).transpose(), data
    )
