"""NiBridge installed, moved, and built on: what a C++ ITK pipeline author gets from `cmake --install`.

One session-wide installation: `cmake --install $NIBRIDGE_BUILD_DIR --prefix <tmp>/staging`, then the prefix is
moved to <tmp>/moved (so that nothing may rely on the path it was installed to). Then:

* no installed file names the build or the source tree (RUNPATHs, CMake files, strings in the binaries);
* the installed ni2npy converts an .mgz (native) and a MINC file (nibabel, through the embedded interpreter) with no
  environment at all but PATH, and gives nibabel's values and affine;
* plastimatch (Debian's ITK 5.2 application) reads an .mgz through the moved prefix's plugin;
* Documentation/Examples/ReadScaleWrite, a project of its own, is configured with find_package(NiBridge) against the
  moved prefix, built, and run on an .mgz and a scaled oblique NIfTI (nibabel's rules): (value + 1) * 2 and the
  affine equal nibabel's bit for bit.

Run through CTest (`ctest -R pytest.test_install`), which sets NIBRIDGE_BUILD_DIR, NIBRIDGE_SOURCE_DIR, CMAKE_COMMAND
and NIBRIDGE_CMAKE_GENERATOR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path


def _required(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        pytest.fail(f"{variable} is not set: run this test through ctest (ctest -R pytest.test_install)")
    return value


PYTHON_LIBDIR = os.path.realpath(sysconfig.get_config_var("LIBDIR") or "")
BARE_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def _run(command, environment=None, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        env=environment if environment is not None else BARE_ENVIRONMENT,
        cwd=cwd,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def moved_prefix(tmp_path_factory) -> Path:
    build = Path(_required("NIBRIDGE_BUILD_DIR"))
    base = tmp_path_factory.mktemp("install")
    staging, moved = base / "staging", base / "moved"
    _run([_required("CMAKE_COMMAND"), "--install", build, "--prefix", staging], environment=dict(os.environ))
    staging.rename(moved)
    return moved


def _elf_files(prefix: Path):
    for path in sorted(prefix.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF":
            yield path


def test_nothing_installed_names_the_build_or_the_source_tree(moved_prefix):
    trees = {
        os.path.realpath(_required("NIBRIDGE_BUILD_DIR")).encode(),
        os.path.realpath(_required("NIBRIDGE_SOURCE_DIR")).encode(),
    }
    installed = [path for path in moved_prefix.rglob("*") if path.is_file() and not path.is_symlink()]
    assert any(path.name == "ni2npy" for path in installed), sorted(map(str, installed))
    naming = [
        f"{path.relative_to(moved_prefix)} names {tree.decode()}"
        for path in installed
        for tree in trees
        if tree in path.read_bytes()
    ]
    assert not naming, "\n".join(naming)


def test_every_installed_runpath_is_relative_to_the_file(moved_prefix):
    wrong = []
    for path in _elf_files(moved_prefix):
        dynamic = _run(["readelf", "-d", path]).stdout
        for line in dynamic.splitlines():
            if "(RUNPATH)" in line or "(RPATH)" in line:
                entries = line.split("[", 1)[1].rstrip("]").split(":")
                # $ORIGIN-relative entries; the one absolute entry allowed is the directory of the libpython the
                # embedded interpreter was built for, where that is no system directory (libNiBridgePython's).
                outside = [entry for entry in entries if not entry.startswith("$ORIGIN") and entry != PYTHON_LIBDIR]
                if outside:
                    wrong.append(f"{path.relative_to(moved_prefix)}: {line.strip()}")
    assert not wrong, "\n".join(wrong)


def _shipped(name: str) -> str:
    return os.path.join(data_path, name)


@pytest.mark.parametrize("name", ["test.mgz", "minc1_1_scale.mnc"], ids=["native-mgz", "nibabel-minc1"])
def test_the_installed_ni2npy_runs_with_no_environment(moved_prefix, tmp_path, name):
    output, affine = tmp_path / "values.npy", tmp_path / "affine.npy"
    _run([moved_prefix / "bin" / "ni2npy", _shipped(name), output, "--affine", affine])
    image = nib.load(_shipped(name))
    np.testing.assert_array_equal(np.load(output), image.get_fdata())
    np.testing.assert_array_equal(np.load(affine), image.affine)


def test_plastimatch_reads_an_mgz_through_the_moved_plugin(moved_prefix, tmp_path):
    plastimatch = shutil.which("plastimatch")
    if plastimatch is None:
        pytest.fail("plastimatch is not installed (Debian: plastimatch; .ci/run installs it)")
    # Named for the ITK it was built against: Debian 12's, plastimatch's.
    plugin = moved_prefix / "lib" / "nibridge" / "plugin-itk-5.2"
    assert any(plugin.glob("*.so")), f"no plugin in {plugin}"
    source, output = _oblique_mgz(tmp_path / "oblique.mgz"), tmp_path / "out.nrrd"
    environment = dict(BARE_ENVIRONMENT, ITK_AUTOLOAD_PATH=str(plugin))
    _run([plastimatch, "convert", "--input", source, "--output-img", output], environment=environment)
    # Read back with the build tree's package (this process's PYTHONPATH), through ITK's NRRD reader.
    import nibridge  # noqa: PLC0415

    written, expected = nibridge.to_nibabel(nibridge.imread(output)), nib.load(source)
    np.testing.assert_array_equal(written.get_fdata(), expected.get_fdata())
    # plastimatch writes the geometry through NRRD's text, to 6 or more significant digits.
    np.testing.assert_allclose(written.affine, expected.affine, rtol=0, atol=1e-4)


@pytest.fixture(scope="session")
def example_program(moved_prefix, tmp_path_factory) -> Path:
    source = Path(_required("NIBRIDGE_SOURCE_DIR")) / "Documentation" / "Examples" / "ReadScaleWrite"
    build = tmp_path_factory.mktemp("example")
    cmake = _required("CMAKE_COMMAND")
    environment = dict(os.environ)
    environment.pop("NiBridge_DIR", None)
    configure = [cmake, "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={moved_prefix}", "-DCMAKE_BUILD_TYPE=Release"]
    generator = os.environ.get("NIBRIDGE_CMAKE_GENERATOR")
    if generator:
        configure += ["-G", generator]
    configured = _run(configure, environment=environment)
    assert str(moved_prefix) in (build / "CMakeCache.txt").read_text(), configured.stdout
    _run([cmake, "--build", build, "-j2"], environment=environment)
    return build / "nibridge-read-scale-write"


def test_the_example_found_nibridge_in_the_moved_prefix(example_program):
    cache = (example_program.parent / "CMakeCache.txt").read_text()
    found = next(line for line in cache.splitlines() if line.startswith("NiBridge_DIR:"))
    assert "moved" in found and found.endswith("/cmake/NiBridge"), found


def _oblique_affine() -> np.ndarray:
    rotation = np.array([[0.96, -0.28, 0.0], [0.28, 0.96, 0.0], [0.0, 0.0, 1.0]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([1.1, 0.9, 2.5])
    affine[:3, 3] = [-40.25, 12.5, 3.0]
    return affine


def _oblique_mgz(path: Path) -> Path:
    """A 3-D float32 .mgz (nibabel's test.mgz is 4-D; the example reads 3-D images)."""
    values = np.random.default_rng(3).normal(size=(9, 8, 7)).astype(np.float32)
    nib.MGHImage(values, _oblique_affine()).to_filename(path)
    return path


def _scaled_oblique_nifti(path: Path) -> Path:
    rng = np.random.default_rng(7)
    values = rng.integers(-3000, 3000, size=(9, 8, 7), dtype=np.int16)
    image = nib.Nifti1Image(values, _oblique_affine())
    image.header.set_slope_inter(1.2454, -3.5)
    image.to_filename(path)
    return path


@pytest.mark.parametrize("kind", ["mgz", "scaled-oblique-nifti"])
def test_the_example_program_built_against_the_moved_prefix_equals_nibabel(example_program, tmp_path, kind):
    source = _oblique_mgz(tmp_path / "oblique.mgz") if kind == "mgz" else _scaled_oblique_nifti(tmp_path / "s.nii.gz")
    output = tmp_path / "out.npy"
    printed = _run([example_program, source, output]).stdout
    image = nib.load(source)
    expected = (image.get_fdata() + 1.0) * 2.0
    values = np.load(output)
    np.testing.assert_array_equal(values.reshape(expected.shape), expected)
    affine = np.array([[float(number) for number in line.split()] for line in printed.splitlines()])
    np.testing.assert_array_equal(affine, image.affine)
