"""The scripted module's Slicer-facing parts and the extension's files, outside Slicer's application.

NiBridgeLoader.py imports without Qt (its panel, NiBridgeLoaderWidget, needs Slicer's Qt and is not run here). Its
self-test (NiBridgeLoaderTest, which Slicer's CTest and "Reload and Test" run) and its file reader ("Add data")
run on slicer-core's MRML scene; only the application object, ``slicer.app``, is stood in for (by its temporary
folder, all the self-test asks of it), and ``slicer.mrmlScene`` is a scene of slicer-core's. The extension's CMake,
description file and module list are checked against each other and against the module's folder, since nothing here
configures them (no Slicer build tree).
"""

import importlib.util
import re
import types
import unittest

import nibabel as nib
import numpy as np
import pytest
import slicer
import slicer_core
from conftest import MODULE_DIR, SOURCE
from vtkmodules.vtkCommonCore import vtkCommand

EXTENSION_DIR = MODULE_DIR.parent


@pytest.fixture
def module():
    specification = importlib.util.spec_from_file_location("NiBridgeLoader", MODULE_DIR / "NiBridgeLoader.py")
    loaded = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def application(monkeypatch, tmp_path):
    """slicer.mrmlScene (a scene of slicer-core's) and slicer.app (its temporary folder), as in Slicer."""
    scene = slicer_core.vtkMRMLScene()
    monkeypatch.setattr(slicer, "mrmlScene", scene, raising=False)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(temporaryPath=str(tmp_path)), raising=False)
    return scene


def volume_nodes(scene):
    return [scene.GetNthNode(index) for index in range(scene.GetNumberOfNodes())]


# -- the self-test -----------------------------------------------------------------------------------------------------


def test_the_modules_self_test_passes_on_a_scene(module, application, tmp_path):
    case = module.NiBridgeLoaderTest()
    result = unittest.TestResult()
    case.run(result)
    assert result.testsRun == 1
    assert (result.errors, result.failures) == ([], [])
    # It did what it says: the files it wrote, and the last test's nodes were cleared by the next setUp only
    folder = tmp_path / "NiBridgeLoaderTest"
    assert {path.name for path in folder.iterdir()} >= {"oblique.mgz", "source.mgz", "saved.nii.gz", "two.nii.gz"}
    assert isinstance(nib.load(folder / "saved.nii.gz"), nib.Nifti2Image)


def test_the_self_test_fails_when_the_module_gets_the_geometry_wrong(module, application, monkeypatch):
    # The self-test's checks can fail: with IJKToRAS off by one voxel in i, its load test reports a failure
    loaderlogic = module.loaderlogic
    real = loaderlogic.ijk_to_ras_from_node

    def shifted(node):
        matrix = real(node).copy()
        matrix[:3, 3] += matrix[:3, 0]
        return matrix

    monkeypatch.setattr(loaderlogic, "ijk_to_ras_from_node", shifted)
    result = unittest.TestResult()
    module.NiBridgeLoaderTest("test_LoadsAnObliqueMGZWithNibabelsGeometry").run(result)
    assert len(result.failures) == 1 and result.errors == []


# -- the file reader ("Add data", slicer.util.loadNodeFromFile) -------------------------------------------------------


class ReaderParent:
    """What Slicer's qSlicerScriptedFileReader gives the Python reader: user messages and the loaded node IDs."""

    def __init__(self):
        self.messages = slicer_core.vtkMRMLMessageCollection()
        self.loadedNodes = []

    def userMessages(self):
        return self.messages

    def texts(self, kind):
        return [
            self.messages.GetNthMessageText(index)
            for index in range(self.messages.GetNumberOfMessages())
            if self.messages.GetNthMessageType(index) == kind
        ]


def oblique_mgz(path, shear=0.0):
    affine = np.array([[0.0, -2.0, shear, 10.0], [2.5, 0.0, 0.0, -4.0], [0.0, 0.0, 3.0, 7.0], [0, 0, 0, 1]])
    voxels = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    nib.save(nib.MGHImage(voxels, affine), path)
    return voxels, affine


def test_the_file_reader_loads_a_file_into_the_scene_and_names_its_nodes(module, application, tmp_path):
    voxels, affine = oblique_mgz(tmp_path / "brain.mgz")
    parent = ReaderParent()
    reader = module.NiBridgeLoaderFileReader(parent)
    assert reader.load({"fileName": str(tmp_path / "brain.mgz"), "name": "T1"}) is True
    assert len(parent.loadedNodes) == 1
    node = application.GetNodeByID(parent.loadedNodes[0])
    assert node is not None and node.IsA("vtkMRMLScalarVolumeNode") and node.GetName() == "T1"
    np.testing.assert_array_equal(slicer.util.arrayFromVolume(node).transpose(2, 1, 0), voxels)
    np.testing.assert_allclose(module.loaderlogic.ijk_to_ras_from_node(node), affine, atol=1e-12)
    assert parent.texts(vtkCommand.ErrorEvent) == []


def test_the_file_reader_passes_the_logics_warnings_to_the_user(module, application, tmp_path):
    oblique_mgz(tmp_path / "sheared.mgz", shear=1.0)
    parent = ReaderParent()
    assert module.NiBridgeLoaderFileReader(parent).load({"fileName": str(tmp_path / "sheared.mgz")}) is True
    warnings = parent.texts(vtkCommand.WarningEvent)
    assert len(warnings) == 1 and "sheared.mgz" in warnings[0] and "shear" in warnings[0], warnings


def test_the_file_reader_reports_a_broken_file_and_adds_nothing(module, application, tmp_path):
    oblique_mgz(tmp_path / "whole.mgz")
    (tmp_path / "cut.mgz").write_bytes((tmp_path / "whole.mgz").read_bytes()[:200])
    parent = ReaderParent()
    before = [node.GetID() for node in volume_nodes(application)]
    assert module.NiBridgeLoaderFileReader(parent).load({"fileName": str(tmp_path / "cut.mgz")}) is False
    errors = parent.texts(vtkCommand.ErrorEvent)
    assert len(errors) == 1 and "cut.mgz" in errors[0], errors
    assert parent.loadedNodes == []
    assert [node.GetID() for node in volume_nodes(application)] == before


# -- the extension's files ---------------------------------------------------------------------------------------------


def cmake_sets(path):
    """The quoted set(NAME "value") of a CMake file, with its line continuations joined."""
    text = path.read_text().replace("\\\n", "")
    return dict(re.findall(r'^set\((\w+) "([^"]*)"\)', text, flags=re.MULTILINE))


def s4ext_entries(path):
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(" ")
            entries[key] = value.strip()
    return entries


def test_the_extensions_cmake_and_description_file_agree():
    cmake = cmake_sets(EXTENSION_DIR / "NiBridgeExtension.cmake")
    s4ext = s4ext_entries(EXTENSION_DIR / "NiBridge.s4ext")
    for key in ("homepage", "category", "contributors", "description", "iconurl", "screenshoturls", "depends"):
        assert cmake[f"EXTENSION_{key.upper()}"] == s4ext[key], key
    # The index builds the repository's top folder, whose CMakeLists.txt is the extension's when given Slicer_DIR
    assert s4ext["build_subdirectory"] == "."
    root = (SOURCE / "CMakeLists.txt").read_text()
    assert re.search(r"if\(Slicer_DIR\)\s*\n(\s*#.*\n)*\s*include\(.*Modules/Slicer/NiBridgeExtension\.cmake\)", root)
    # The URLs name files of the repository
    for url in (s4ext["iconurl"], s4ext["screenshoturls"]):
        assert (SOURCE / url.split("/main/", 1)[1]).is_file(), url


def test_the_module_lists_every_python_file_of_its_folder():
    text = (MODULE_DIR / "CMakeLists.txt").read_text()
    listed = re.search(r"set\(MODULE_PYTHON_SCRIPTS\s+(.*?)\)", text, flags=re.DOTALL).group(1).split()
    listed = {entry.replace("${MODULE_NAME}", "NiBridgeLoader") for entry in listed}
    present = {path.relative_to(MODULE_DIR).as_posix() for path in MODULE_DIR.rglob("*.py")}
    assert listed == present
    assert re.search(
        r"add_subdirectory\(\$\{CMAKE_CURRENT_LIST_DIR\}/NiBridgeLoader\b",
        (EXTENSION_DIR / "NiBridgeExtension.cmake").read_text(),
    )


def test_the_icon_is_the_size_slicer_asks_for():
    from PIL import Image  # noqa: PLC0415

    with Image.open(EXTENSION_DIR / "NiBridge.png") as icon:
        assert (icon.format, icon.size) == ("PNG", (128, 128))
