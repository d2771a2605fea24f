"""`pip install .` in a fresh virtual environment gives a working `ni2npy` on PATH and `nibridge._core`.

The package builds the extension and the C++ tools with CMake against the system's ITK and ships them
inside `nibridge`; the module of ITK's readers must travel with them.
"""

import os
import site
import subprocess
import venv
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.testing import data_path

SOURCE_DIR = Path(__file__).resolve().parents[2]


def test_pip_install_in_a_fresh_virtual_environment_gives_a_working_ni2npy(tmp_path, monkeypatch):
    # The installed package, not a build tree's (the other wrapping tests set PYTHONPATH).
    monkeypatch.delenv("PYTHONPATH", raising=False)
    environment_dir = tmp_path / "venv"
    venv.create(environment_dir, with_pip=True)
    python = environment_dir / "bin" / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(SOURCE_DIR)],
        check=False,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    ni2npy = environment_dir / "bin" / "ni2npy"
    assert ni2npy.is_file()
    assert (
        "ni2npy (NiBridge)" in subprocess.run([ni2npy, "--version"], check=True, capture_output=True, text=True).stdout
    )

    # A NIfTI file (ni2npy's own reader) and a NRRD file (the module of ITK's readers).
    image = nib.Nifti1Image(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.diag([2.0, 3.0, 4.0, 1.0]))
    nib.save(image, tmp_path / "volume.nii.gz")
    subprocess.run([ni2npy, tmp_path / "volume.nii.gz", tmp_path / "volume.npy"], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "volume.npy"), image.get_fdata())
    nrrd = tmp_path / "plane.nrrd"
    nrrd.write_bytes(b"NRRD0004\ntype: uchar\ndimension: 2\nsizes: 2 2\nencoding: raw\n\n\x01\x02\x03\x04")
    subprocess.run([ni2npy, nrrd, tmp_path / "plane.npy"], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "plane.npy"), [[1.0, 3.0], [2.0, 4.0]])

    # A nibabel-only format: the embedded Python of the module.
    mgz = tmp_path / "volume.mgz"
    nib.save(nib.MGHImage(np.arange(24, dtype=np.int32).reshape(2, 3, 4), np.diag([2.0, 3.0, 4.0, 1.0])), mgz)
    subprocess.run([ni2npy, "--affine", tmp_path / "mgz-affine.npy", mgz, tmp_path / "mgz.npy"], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "mgz.npy"), nib.load(mgz).get_fdata())
    np.testing.assert_array_equal(np.load(tmp_path / "mgz-affine.npy"), nib.load(mgz).affine)

    # Formats only nibabel reads (MINC1, and MINC2 through h5py, which the package declares): the embedded Python of
    # ni2npy's module runs with the environment's packages, not the base interpreter's (from which the environment was
    # made, and which has nibabel too): strace shows every file it touches.
    environment_site_packages = str((environment_dir / "lib" / "python3.11" / "site-packages").resolve())
    base_site_packages = [str(Path(directory).resolve()) for directory in site.getsitepackages()]
    for name in ("minc1_1_scale.mnc", "minc2_1_scale.mnc"):
        trace = tmp_path / f"{name}.trace"
        source = tmp_path / name  # a copy: nibabel's own copy lies in the base interpreter's site-packages
        source.write_bytes((Path(data_path) / name).read_bytes())
        subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=%file", "-o", trace, ni2npy, source, tmp_path / f"{name}.npy"],
            check=True,
        )
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), nib.load(source).get_fdata())
        touched = trace.read_text()
        assert f"{environment_site_packages}/nibabel/__init__.py" in touched, name
        assert not any(directory in touched for directory in base_site_packages), name
    assert f"{environment_site_packages}/h5py/__init__.py" in touched

    # The package and its extension import in the environment's own Python, away from the source tree.
    script = (
        "import nibridge, numpy; "
        "image = nibridge.image_from_array(numpy.arange(24.0).reshape(2, 3, 4), spacing=(1, 2, 3)); "
        "assert (nibridge.array_view_from_image(image) == numpy.arange(24.0).reshape(2, 3, 4)).all(); "
        # imread of a nibabel-only format: NiBabelImageIO inside the extension, in this very interpreter.
        "assert (nibridge.array_view_from_image(nibridge.imread('volume.mgz'), keep_axes=True) "
        "== numpy.arange(24).reshape(2, 3, 4)).all(); "
        "print(nibridge.__version__); print(nibridge._core.__file__)"
    )
    imported = subprocess.run(
        [python, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    version, extension = imported.stdout.split()
    assert version == "0.1.0"
    # The extension leaves Python's symbols to the interpreter that imports it.
    needed = subprocess.run(["readelf", "-d", extension], check=True, capture_output=True, text=True).stdout
    assert "libpython" not in needed
