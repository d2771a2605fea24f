"""NiBridgeLoader's logic (Modules/Slicer/NiBridgeLoader/NiBridgeLoaderLib/logic.py) with slicer-core's MRML.

Run with the Python of the virtual environment that holds slicer-core, nibabel, h5py and pytest:

    <venv-slicer-core>/bin/python -m pytest Testing/Slicer

Paths: the logic is imported from the module's folder (conftest.py puts it on sys.path); the figure script is
Documentation/make_slicer_figure.py.

Environment: NIBRIDGE_SLICER_PLUGIN_DIR names the folder of NiBridge's ITK plugin built against slicer-core's ITK
(lib/Slicer-X.Y/ITKFactories of the Slicer build: libNiBridgePlugin.so and itk-5.4/). The tests that read through
the plugin fail, saying so, when it is unset or the folder holds no libNiBridgePlugin.so.

ITK reads ITK_AUTOLOAD_PATH once per process, so the loads through the plugin run in a child process
(load_into_scene.py) with ITK_AUTOLOAD_PATH set for the child only, and the loads through nibabel in another child
without it; each child loads every file once and saves the nodes' voxels and IJKToRAS matrices, which the tests here
compare with nibabel's. This process never has the plugin (ITK_AUTOLOAD_PATH is not exported to it): the other tests
load through nibabel in-process.
"""

import importlib.util
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import nibabel.ecat
import numpy as np
import pytest
import slicer_core
from nibabel.testing import data_path
from NiBridgeLoaderLib import logic  # on sys.path: conftest.py
from numpy.lib import recfunctions
from PIL import Image

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1]

PLUGIN_DIR = os.environ.get("NIBRIDGE_SLICER_PLUGIN_DIR")
FIGURE_SCRIPT = SOURCE / "Documentation" / "make_slicer_figure.py"

# nibabel's test files of the formats the module takes (nibabel reads each; NIfTI-1 and Analyze stay with Slicer).
VOLUME_FILES = [
    "tiny.mnc",  # MINC1
    "minc1_1_scale.mnc",
    "minc1-no-att.mnc",
    "small.mnc",  # MINC2
    "minc2_1_scale.mnc",
    "minc2-no-att.mnc",
    "scaled+tlrc.HEAD",  # AFNI, scaled, a trailing axis of 1
    "tinypet.v",  # ECAT, a trailing axis of 1
]
SERIES_FILES = [
    "test.mgz",  # MGH: 4-D, sheared, left-handed
    "minc1_4d.mnc",  # MINC1: time first
    "minc2_4d.mnc",
    "minc2-4d-d.mnc",
    "phantom_EPI_asc_CLEAR_2_1.PAR",  # PAR/REC
    "phantom_varscale.PAR",
    "example4d+orig.HEAD",  # AFNI
    "example_nifti2.nii.gz",  # NIfTI-2
]
# nibabel cannot load these (a header whose image file is missing): a clear error, no node.
UNREADABLE_FILES = ["nifti2.hdr"]
# Made by the `generated` fixture: what nibabel's test files lack.
GENERATED_FILES = ["oblique.mgz", "left.nii.gz", "scaled.nii", "rgb.nii", "vector.nii", "shear.mgz"]
DAMAGED_FILES = ["truncated.mgz", "truncated.nii"]

ATOL = 1e-9  # IJKToRAS elements


# -- expectations from nibabel alone -----------------------------------------------------------------------------------


def nibabel_image(path):
    return nibabel.ecat.load(path) if str(path).endswith(".v") else nib.load(path)


def k_flipped(affine, slices):
    """nibabel's affine with Slicer's right-handed rule: k reversed, the origin at the last slice."""
    flipped = np.array(affine, dtype=np.float64)
    flipped[:3, 3] = affine[:3, :] @ [0.0, 0.0, slices - 1.0, 1.0]
    flipped[:3, 2] = -affine[:3, 2]
    return flipped


def expected_nodes(path):
    """What the volume node(s) of ``path`` hold, from nibabel alone: a list (one item a volume, a frame in order) of
    (class, voxel vector type, voxels (i, j, k[, c]) as Slicer holds them, IJKToRAS), and whether k is reversed."""
    image = nibabel_image(path)
    data = np.asarray(image.dataobj)
    data = data.astype(data.dtype.newbyteorder("="))
    dimensions = getattr(getattr(image.dataobj, "minc_file", None), "_dim_names", None)
    if dimensions is not None and "time" in dimensions:
        assert list(dimensions).index("time") == 0  # nibabel's 4-D MINC files: time first, then the spatial axes
        frames = [data[index] for index in range(data.shape[0])]
    elif data.ndim == 5:
        assert data.shape[3] == 1  # NIfTI vectors: (i, j, k, 1, c)
        frames = [data[:, :, :, 0, :]]
    elif data.ndim == 4 and data.shape[3] > 1:
        frames = [data[..., index] for index in range(data.shape[3])]
    elif data.ndim == 4:
        frames = [data[..., 0]]
    else:
        frames = [data]
    vector_type = "undefined"
    if data.dtype.names is not None:
        vector_type = {3: "colorRGB", 4: "colorRGBA"}[len(data.dtype.names)]
        frames = [recfunctions.structured_to_unstructured(frame, dtype=np.uint8) for frame in frames]
    affine = image.affine
    left_handed = np.linalg.det(affine[:3, :3]) < 0
    ijk_to_ras = k_flipped(affine, frames[0].shape[2]) if left_handed else affine
    if left_handed:
        frames = [frame[:, :, ::-1] for frame in frames]
    nodes = []
    for frame in frames:
        class_name = "vtkMRMLVectorVolumeNode" if frame.ndim == 4 else "vtkMRMLScalarVolumeNode"
        nodes.append((class_name, vector_type, frame, ijk_to_ras))
    return nodes, left_handed


def assert_nodes_like_nibabel(path, dump):
    expected, left_handed = expected_nodes(path)
    meta = dump["meta"]
    assert "error" not in meta, meta
    assert meta["flipped_k"] == left_handed
    assert len(meta["nodes"]) == len(expected)
    for index, (class_name, vector_type, voxels, ijk_to_ras) in enumerate(expected):
        node = meta["nodes"][index]
        assert (node["class"], node["vector_type"]) == (class_name, vector_type), index
        array = dump[f"array_{index}"]
        # the values and their dtype are nibabel's, exactly: np.asarray(img.dataobj), native byte order
        assert array.dtype == voxels.dtype, (index, array.dtype, voxels.dtype)
        np.testing.assert_array_equal(array, voxels, err_msg=f"frame {index}")
        np.testing.assert_allclose(dump[f"ijk_to_ras_{index}"], ijk_to_ras, rtol=0, atol=ATOL, err_msg=f"frame {index}")
    # where nibabel's affine is right-handed, the node's matrix is nibabel's affine itself
    affine = nibabel_image(path).affine
    if not left_handed:
        np.testing.assert_allclose(dump["ijk_to_ras_0"], affine, rtol=0, atol=ATOL)


# -- files and child processes -----------------------------------------------------------------------------------------


def rotation_about_s(degrees):
    angle = np.deg2rad(degrees)
    return np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Files nibabel's test data lack: a 3-D oblique .mgz, a left-handed and a scaled NIfTI-2, an RGB and a vector
    NIfTI-2, a sheared .mgz, and two damaged files: a .mgz cut in half (nibabel fails to open it: it reads the footer
    after the voxels) and a NIfTI-2 cut in half (nibabel opens it, and fails to read the voxels)."""
    folder = tmp_path_factory.mktemp("generated")
    generator = np.random.default_rng(20)
    oblique = np.eye(4)
    oblique[:3, :3] = rotation_about_s(20.0) @ np.diag([2.0, 2.5, 3.0])
    oblique[:3, 3] = [-20.0, 15.0, 8.0]
    nib.save(nib.MGHImage(generator.random((7, 6, 5)).astype(np.float32), oblique), folder / "oblique.mgz")
    left = np.diag([-2.0, 3.0, 4.0, 1.0])
    left[:3, 3] = [10.0, -20.0, 30.0]
    nib.save(nib.Nifti2Image(generator.integers(-500, 500, (6, 5, 4)).astype(np.int16), left), folder / "left.nii.gz")
    scaled = nib.Nifti2Image(generator.integers(0, 100, (5, 4, 3)).astype(np.int16), oblique)
    scaled.header.set_slope_inter(0.5, -3.0)
    nib.save(scaled, folder / "scaled.nii")
    rgb = np.zeros((5, 4, 3), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    rgb["R"], rgb["G"], rgb["B"] = generator.integers(0, 256, (3, 5, 4, 3))
    nib.save(nib.Nifti2Image(rgb, oblique), folder / "rgb.nii")
    vector = nib.Nifti2Image(generator.random((5, 4, 3, 1, 3)).astype(np.float32), left)
    vector.header.set_intent("vector")
    nib.save(vector, folder / "vector.nii")
    shear = np.array([[2.0, 0.5, 0.0, -10.0], [0.0, 2.0, 0.0, 5.0], [0.0, 0.0, 3.0, 7.0], [0.0, 0.0, 0.0, 1.0]])
    nib.save(nib.MGHImage(generator.random((6, 5, 4)).astype(np.float32), shear), folder / "shear.mgz")
    whole = folder / "whole.mgz"
    nib.save(nib.MGHImage(generator.random((30, 30, 30)).astype(np.float32), oblique), whole)
    (folder / "truncated.mgz").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    whole = folder / "whole.nii"
    nib.save(nib.Nifti2Image(generator.random((30, 30, 30)).astype(np.float32), oblique), whole)
    (folder / "truncated.nii").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    return folder


def file_path(name, generated):
    return str(generated / name) if name in (*GENERATED_FILES, *DAMAGED_FILES) else str(data_path / name)


CHILD_FILES = [*VOLUME_FILES, *SERIES_FILES, *GENERATED_FILES, *UNREADABLE_FILES, *DAMAGED_FILES, "missing.mgz"]


def plugin_problem():
    """Why the plugin tests cannot run, or None."""
    if not PLUGIN_DIR:
        return (
            "NIBRIDGE_SLICER_PLUGIN_DIR is not set: point it at the folder of NiBridge's plugin built against "
            "slicer-core's ITK (<build>/lib/Slicer-X.Y/ITKFactories, holding libNiBridgePlugin.so)"
        )
    if not (Path(PLUGIN_DIR) / "libNiBridgePlugin.so").is_file():
        return f"NIBRIDGE_SLICER_PLUGIN_DIR ({PLUGIN_DIR}) holds no libNiBridgePlugin.so: build the Slicer plugin first"
    return None


def run_child(folder, mode, paths, plugin):
    environment = {key: value for key, value in os.environ.items() if key not in ("ITK_AUTOLOAD_PATH", "PYTHONPATH")}
    if plugin:
        environment["ITK_AUTOLOAD_PATH"] = PLUGIN_DIR
    command = [sys.executable, str(HERE / "load_into_scene.py"), str(folder), mode, *paths]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"exit status {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    dumps = {}
    for index, path in enumerate(paths):
        with np.load(folder / f"{index}.npz") as saved:
            dumps[Path(path).name] = {key: saved[key] for key in saved.files if key != "meta"}
            dumps[Path(path).name]["meta"] = json.loads(str(saved["meta"]))
    return dumps, result


@pytest.fixture(scope="session")
def plugin_loads(generated, tmp_path_factory):
    """Every file loaded in a child whose ITK has NiBridge's plugin (use_plugin=None: found in ITK_AUTOLOAD_PATH)."""
    problem = plugin_problem()
    if problem is not None:
        return problem
    paths = [file_path(name, generated) for name in CHILD_FILES]
    dumps, _ = run_child(tmp_path_factory.mktemp("plugin"), "auto", paths, plugin=True)
    return dumps


@pytest.fixture(scope="session")
def nibabel_loads(generated, tmp_path_factory):
    """Every file loaded in a child without the plugin (use_plugin=False): the logic's nibabel way."""
    paths = [file_path(name, generated) for name in CHILD_FILES]
    dumps, _ = run_child(tmp_path_factory.mktemp("nibabel"), "no", paths, plugin=False)
    return dumps


def require(loads):
    if isinstance(loads, str):
        pytest.fail(loads)
    return loads


@pytest.fixture
def scene():
    return slicer_core.vtkMRMLScene()


def node_ids(scene):
    return [scene.GetNthNode(index).GetID() for index in range(scene.GetNumberOfNodes())]


# -- every file, both ways ---------------------------------------------------------------------------------------------

ALL_FILES = [*VOLUME_FILES, *SERIES_FILES, *GENERATED_FILES]


def test_the_plugin_folder_holds_the_loader():
    problem = plugin_problem()
    if problem is not None:
        pytest.fail(problem)
    assert (
        logic.plugin_directory({"ITK_AUTOLOAD_PATH": os.pathsep.join(["", "/nonexistent", PLUGIN_DIR])}) == PLUGIN_DIR
    )


@pytest.mark.parametrize("name", ALL_FILES)
def test_the_plugin_way_gives_nibabels_voxels_and_geometry(name, generated, plugin_loads):
    dump = require(plugin_loads)[name]
    assert_nodes_like_nibabel(file_path(name, generated), dump)
    meta = dump["meta"]
    if name in SERIES_FILES:
        # Slicer 5.13's sequence reader reads NRRD only (through itk::NrrdImageIO, not the factories): the logic tried
        # it and built the sequence from nibabel
        assert meta["kind"] == "sequence" and meta["reader"] == "nibabel", meta
        if "mnc" not in name:  # MINC's time-first files are never given to it
            assert any("vtkMRMLVolumeSequenceStorageNode" in note for note in meta["notes"]), meta
    elif name == "vector.nii":
        assert meta["reader"] == "nibabel", meta  # Slicer's volume reader takes no 5-D files
    else:
        assert meta["reader"] == "slicer", meta  # the plugin read it, and its geometry passed the check
    assert not [warning for warning in meta["warnings"] if "shear" not in warning], meta


@pytest.mark.parametrize("name", ALL_FILES)
def test_the_nibabel_way_gives_nibabels_voxels_and_geometry(name, generated, nibabel_loads):
    dump = nibabel_loads[name]
    assert_nodes_like_nibabel(file_path(name, generated), dump)
    assert dump["meta"]["reader"] == "nibabel"


@pytest.mark.parametrize("name", ALL_FILES)
def test_plugin_and_nibabel_ways_give_the_same_nodes(name, plugin_loads, nibabel_loads):
    through_plugin, through_nibabel = require(plugin_loads)[name], nibabel_loads[name]
    first, second = through_plugin["meta"], through_nibabel["meta"]
    assert [(node["class"], node["vector_type"]) for node in first["nodes"]] == [
        (node["class"], node["vector_type"]) for node in second["nodes"]
    ]
    assert (first["kind"], first["flipped_k"], first["warnings"]) == (
        second["kind"],
        second["flipped_k"],
        second["warnings"],
    )
    for index in range(len(first["nodes"])):
        plugin_array, nibabel_array = through_plugin[f"array_{index}"], through_nibabel[f"array_{index}"]
        assert plugin_array.dtype == nibabel_array.dtype
        np.testing.assert_array_equal(plugin_array, nibabel_array)
        np.testing.assert_allclose(
            through_plugin[f"ijk_to_ras_{index}"], through_nibabel[f"ijk_to_ras_{index}"], rtol=0, atol=ATOL
        )


def test_the_value_types_are_nibabels(nibabel_loads):
    # what each format gives (the plugin gives the same: the test above): nibabel's np.asarray(img.dataobj) dtype
    dtypes = {name: nibabel_loads[name]["array_0"].dtype for name in ALL_FILES}
    for name in ("tiny.mnc", "small.mnc", "minc2-4d-d.mnc", "scaled+tlrc.HEAD", "tinypet.v", "phantom_varscale.PAR"):
        assert dtypes[name] == np.float64, name  # nibabel scales MINC always, and these AFNI/ECAT/PAR files
    assert dtypes["test.mgz"] == np.float32  # big-endian float32 on disk, native here
    assert dtypes["example4d+orig.HEAD"] == np.int16  # unscaled
    assert dtypes["example_nifti2.nii.gz"] == np.int16
    assert dtypes["scaled.nii"] == np.float64  # int16 with a slope: nibabel's float64
    assert dtypes["rgb.nii"] == np.uint8


# -- layouts -----------------------------------------------------------------------------------------------------------


def test_a_4d_file_becomes_a_sequence_with_its_browser_and_proxy(scene):
    path = str(data_path / "example4d+orig.HEAD")
    result = logic.load_volume(path, scene, use_plugin=False)
    data = np.asarray(nib.load(path).dataobj)
    sequence, browser = result.sequence, result.browser
    assert (
        result.kind == "sequence" and sequence.IsA("vtkMRMLSequenceNode") and browser.IsA("vtkMRMLSequenceBrowserNode")
    )
    assert sequence.GetNumberOfDataNodes() == data.shape[3] == 3
    assert [sequence.GetNthIndexValue(index) for index in range(3)] == ["0", "1", "2"]
    for index in range(3):
        frame = sequence.GetNthDataNode(index)
        np.testing.assert_array_equal(logic.array_from_volume_node(frame), data[..., index])
    proxy = result.node
    assert proxy.IsA("vtkMRMLScalarVolumeNode") and scene.IsNodePresent(proxy) and proxy.GetDisplayNode() is not None
    assert browser.GetProxyNode(sequence).GetID() == proxy.GetID()
    np.testing.assert_array_equal(logic.array_from_volume_node(proxy), data[..., 0])
    np.testing.assert_allclose(logic.ijk_to_ras_from_node(proxy), nib.load(path).affine, rtol=0, atol=ATOL)


@pytest.mark.parametrize(("name", "time_first"), [("example4d+orig.HEAD", False), ("minc2-4d-d.mnc", True)])
def test_frames_0_and_2_become_two_scalar_volume_nodes(name, time_first, scene):
    path = str(data_path / name)
    image = nib.load(path)
    data = np.asarray(image.dataobj)
    result = logic.load_volume(path, scene, frames=[0, 2])
    assert result.kind == "frames" and result.sequence is None and len(result.volumes) == 2
    for node, frame in zip(result.volumes, (0, 2), strict=True):
        assert node.IsA("vtkMRMLScalarVolumeNode") and scene.IsNodePresent(node)
        assert node.GetName() == f"{logic.volume_name(path)}_{frame:04d}"
        np.testing.assert_array_equal(
            logic.array_from_volume_node(node), data[frame] if time_first else data[..., frame]
        )
        np.testing.assert_allclose(logic.ijk_to_ras_from_node(node), image.affine, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    ("name", "frames", "reason"),
    [
        ("tiny.mnc", [0], "it is one volume"),
        ("example4d+orig.HEAD", [0, 3], "there is no frame 3"),
        ("example4d+orig.HEAD", [], "asks for no frame"),
    ],
)
def test_frames_that_do_not_exist_are_refused(name, frames, reason, scene):
    before = node_ids(scene)
    with pytest.raises(logic.LoadError, match=reason) as raised:
        logic.load_volume(str(data_path / name), scene, frames=frames)
    assert raised.value.path == str(data_path / name) and name in str(raised.value)
    assert node_ids(scene) == before


def test_an_rgb_nifti2_becomes_a_color_vector_volume(generated, scene):
    result = logic.load_volume(generated / "rgb.nii", scene, use_plugin=False)
    node = result.node
    assert node.IsA("vtkMRMLVectorVolumeNode") and node.GetVoxelVectorType() == node.VoxelVectorTypeColorRGB
    expected = recfunctions.structured_to_unstructured(np.asarray(nib.load(generated / "rgb.nii").dataobj))
    np.testing.assert_array_equal(logic.array_from_volume_node(node), expected)
    assert node.GetImageData().GetNumberOfScalarComponents() == 3


def test_a_nifti_vector_image_becomes_a_vector_volume(generated, scene):
    result = logic.load_volume(generated / "vector.nii", scene, use_plugin=False)
    node = result.node
    assert node.IsA("vtkMRMLVectorVolumeNode") and node.GetVoxelVectorType() == node.VoxelVectorTypeUndefined
    data = np.asarray(nib.load(generated / "vector.nii").dataobj)[:, :, :, 0, :]
    np.testing.assert_array_equal(logic.array_from_volume_node(node), data[:, :, ::-1])  # left-handed: k reversed
    assert result.flipped_k


def test_a_sheared_affine_is_kept_and_reported(generated, scene, caplog, plugin_loads):
    path = generated / "shear.mgz"
    with caplog.at_level(logging.WARNING, logger="NiBridgeLoader"):
        result = logic.load_volume(path, scene, use_plugin=False)
    affine = nib.load(path).affine
    np.testing.assert_allclose(logic.ijk_to_ras_from_node(result.node), affine, rtol=0, atol=ATOL)
    angle = np.degrees(np.arccos(affine[:3, 0] @ affine[:3, 1] / np.linalg.norm(affine[:3, :2], axis=0).prod()))
    assert len(result.warnings) == 1 and "shear" in result.warnings[0]
    assert f"i-j {angle:.2f} degrees" in result.warnings[0]
    assert [record.getMessage() for record in caplog.records] == [f"{path}: {result.warnings[0]}"]
    assert logic.shear_of(affine) > logic.SHEAR_TOLERANCE
    # through Slicer's reader the same warning, and the same matrix (the parametrized tests compare the nodes)
    assert require(plugin_loads)["shear.mgz"]["meta"]["warnings"] == result.warnings
    # the float32 rounding of example_nifti2.nii.gz's header is not a shear
    assert logic.shear_of(nib.load(data_path / "example_nifti2.nii.gz").affine) < logic.SHEAR_TOLERANCE


def test_slicers_right_handed_rule():
    affine = np.diag([-2.0, 3.0, 4.0, 1.0])
    affine[:3, 3] = [10.0, 20.0, 30.0]
    ijk_to_ras, flipped = logic.slicer_ijk_to_ras(affine, (5, 6, 7))
    assert flipped
    np.testing.assert_array_equal(ijk_to_ras, [[-2, 0, 0, 10], [0, 3, 0, 20], [0, 0, -4, 54], [0, 0, 0, 1]])
    # every voxel keeps its place: voxel (i, j, k) of the file is voxel (i, j, 6 - k) of the node
    for voxel in ([0, 0, 0], [4, 5, 6], [1, 2, 3]):
        moved = [voxel[0], voxel[1], 6 - voxel[2], 1]
        np.testing.assert_allclose(ijk_to_ras @ moved, affine @ [*voxel, 1])
    right_handed, flipped = logic.slicer_ijk_to_ras(np.diag([2.0, 3.0, 4.0, 1.0]), (5, 6, 7))
    assert not flipped and np.array_equal(right_handed, np.diag([2.0, 3.0, 4.0, 1.0]))


# -- saving ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", [".mgz", ".mgh", ".nii", ".nii.gz"])
def test_a_loaded_node_saved_and_reloaded_gives_the_same_voxels_and_affine(ending, generated, scene, tmp_path):
    node = logic.load_volume(generated / "oblique.mgz", scene, use_plugin=False).node
    output = tmp_path / f"saved{ending}"
    assert logic.save_volume(node, output) == str(output)
    saved = nib.load(output)
    assert isinstance(saved, nib.MGHImage if "mg" in ending else nib.Nifti2Image)
    values = np.asarray(saved.dataobj)
    assert values.dtype.newbyteorder("=") == np.float32
    np.testing.assert_array_equal(values, logic.array_from_volume_node(node))
    # MGH keeps its geometry in float32 fields; NIfTI-2's sform is float64
    tolerance = 1e-5 if "mg" in ending else ATOL
    np.testing.assert_allclose(saved.affine, logic.ijk_to_ras_from_node(node), rtol=0, atol=tolerance)
    assert sorted(path.name for path in tmp_path.iterdir()) == [output.name]


@pytest.mark.parametrize("name", ["tiny.mnc", "example_nifti2.nii.gz"])
def test_nifti2_keeps_every_value_type_and_a_k_flipped_geometry(name, scene, tmp_path):
    result = logic.load_volume(data_path / name, scene, use_plugin=False)
    node = result.node
    assert result.flipped_k  # both are left-handed: the saved file is the node's right-handed grid
    output = logic.save_volume(node, tmp_path / "saved.nii.gz")
    saved = nib.load(output)
    voxels = logic.array_from_volume_node(node)
    assert np.asarray(saved.dataobj).dtype == voxels.dtype  # float64, int16
    np.testing.assert_array_equal(np.asarray(saved.dataobj), voxels)
    np.testing.assert_allclose(saved.affine, logic.ijk_to_ras_from_node(node), rtol=0, atol=ATOL)


def test_mgh_takes_float64_voxels_only_when_told_to_round_them(scene, tmp_path):
    node = logic.load_volume(data_path / "tiny.mnc", scene, use_plugin=False).node  # float64, not float32-exact
    output = tmp_path / "tiny.mgz"
    with pytest.raises(logic.SaveError, match="NIfTI-2") as raised:
        logic.save_volume(node, output)
    assert str(output) in str(raised.value) and list(tmp_path.iterdir()) == []
    logic.save_volume(node, output, allow_lossy_cast=True)
    saved = np.asarray(nib.load(output).dataobj)
    assert saved.dtype.newbyteorder("=") == np.float32
    np.testing.assert_allclose(saved, logic.array_from_volume_node(node), rtol=1e-7)


def test_color_and_vector_volumes_are_saved_as_nifti2(generated, scene, tmp_path):
    rgb = logic.load_volume(generated / "rgb.nii", scene, use_plugin=False).node
    saved = nib.load(logic.save_volume(rgb, tmp_path / "rgb.nii"))
    assert saved.get_data_dtype().names == ("R", "G", "B")
    np.testing.assert_array_equal(np.asarray(saved.dataobj), np.asarray(nib.load(generated / "rgb.nii").dataobj))
    vector = logic.load_volume(generated / "vector.nii", scene, use_plugin=False).node
    saved = nib.load(logic.save_volume(vector, tmp_path / "vector.nii.gz"))
    assert saved.shape == (5, 4, 3, 1, 3) and saved.header.get_intent()[0] == "vector"
    np.testing.assert_array_equal(np.asarray(saved.dataobj)[:, :, :, 0, :], logic.array_from_volume_node(vector))
    with pytest.raises(logic.SaveError, match="MGH holds no vector voxels"):
        logic.save_volume(vector, tmp_path / "vector.mgz")


@pytest.mark.parametrize("name", ["volume.nrrd", "volume.mnc", "volume", "volume.nii.bz2", ".mgz"])
def test_save_refuses_an_unknown_file_type(name, generated, scene, tmp_path):
    node = logic.load_volume(generated / "oblique.mgz", scene, use_plugin=False).node
    with pytest.raises(logic.SaveError, match="unknown file type") as raised:
        logic.save_volume(node, tmp_path / name)
    assert raised.value.path == str(tmp_path / name) and str(tmp_path / name) in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_an_existing_file_only_when_told_to(generated, scene, tmp_path):
    node = logic.load_volume(generated / "oblique.mgz", scene, use_plugin=False).node
    output = tmp_path / "volume.mgz"
    output.write_bytes(b"keep me")
    with pytest.raises(logic.SaveError, match="the file exists"):
        logic.save_volume(node, output)
    assert output.read_bytes() == b"keep me"
    logic.save_volume(node, output, overwrite=True)
    np.testing.assert_array_equal(np.asarray(nib.load(output).dataobj), logic.array_from_volume_node(node))
    assert [path.name for path in tmp_path.iterdir()] == ["volume.mgz"]


def test_a_failed_save_leaves_no_file_behind(generated, scene, tmp_path, monkeypatch):
    node = logic.load_volume(generated / "oblique.mgz", scene, use_plugin=False).node
    written = []

    def half_a_file(image, filename, **keywords):
        Path(filename).write_bytes(b"\x1f\x8b half a file")
        written.append(filename)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nib.filebasedimages.FileBasedImage, "to_filename", half_a_file)
    output = tmp_path / "volume.nii.gz"
    with pytest.raises(logic.SaveError, match="No space left on device") as raised:
        logic.save_volume(node, output)
    assert str(output) in str(raised.value)
    assert len(written) == 1 and Path(written[0]).parent == tmp_path  # written beside the output, then removed
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_what_is_not_a_volume(scene, tmp_path):
    sequence = logic.load_volume(data_path / "test.mgz", scene, use_plugin=False).sequence
    with pytest.raises(logic.SaveError, match="only volume nodes are written, not vtkMRMLSequenceNode"):
        logic.save_volume(sequence, tmp_path / "series.nii")
    with pytest.raises(logic.SaveError, match="does not exist"):
        logic.save_volume(logic.load_volume(data_path / "tiny.mnc", scene).node, tmp_path / "no" / "such.nii")
    assert list(tmp_path.iterdir()) == []


# -- bad input ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.mgz", "the file does not exist"),
        ("truncated.mgz", "nibabel cannot read it .EOFError"),
        ("truncated.nii", "nibabel cannot read its voxels .OSError: Expected 108000 bytes"),
        ("nifti2.hdr", "nibabel cannot read it"),  # a NIfTI-2 header without its .img
    ],
)
def test_bad_input_is_a_clear_error_and_leaves_no_node(name, reason, generated, scene):
    path = file_path(name, generated) if name != "missing.mgz" else str(generated / name)
    logic.load_volume(data_path / "tiny.mnc", scene, use_plugin=False)  # a scene that holds something already
    before = node_ids(scene)
    with pytest.raises(logic.LoadError, match=reason) as raised:
        logic.load_volume(path, scene, use_plugin=False)
    assert raised.value.path == path and f"'{path}'" in str(raised.value)
    assert node_ids(scene) == before


@pytest.mark.parametrize("name", ["missing.mgz", "truncated.mgz", "truncated.nii", "nifti2.hdr"])
def test_bad_input_through_the_plugin_leaves_no_node_either(name, plugin_loads):
    meta = require(plugin_loads)[name]["meta"]
    assert name in meta["error"] and meta["nodes_added"] == 0, meta
    if name == "truncated.nii":
        # nibabel opened it, the plugin's reader refused its voxels, then nibabel did: the error says both
        assert "nibabel cannot read its voxels" in meta["error"] and "Slicer's volume reader" in meta["error"], meta


def test_a_folder_is_not_a_file(tmp_path, scene):
    with pytest.raises(logic.LoadError, match="not a regular file"):
        logic.load_volume(tmp_path, scene)


# -- the file reader's bid and the plugin's detection ------------------------------------------------------------------


@pytest.fixture(scope="module")
def bidding_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bidding")
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    nib.save(nib.Nifti1Image(data, np.eye(4)), folder / "one.nii.gz")
    nib.save(nib.Nifti1Image(data, np.eye(4)), folder / "one.nii")
    nib.save(nib.Nifti1Pair(data, np.eye(4)), folder / "pair.hdr")
    nib.save(nib.AnalyzeImage(data, np.eye(4)), folder / "analyze.hdr")
    nib.save(nib.Nifti2Image(data, np.eye(4)), folder / "two.nii.gz")
    nib.save(nib.Nifti2Image(data, np.eye(4)), folder / "two.nii")
    nib.save(nib.Nifti2Pair(data, np.eye(4)), folder / "twopair.hdr")
    nib.save(nib.MGHImage(data.astype(np.float32), np.eye(4)), folder / "volume.mgh")
    (folder / "text.mgz").write_bytes(b"not an MGH file at all")
    (folder / "verilog.v").write_text("module top; endmodule\n")
    (folder / "other.nrrd").write_bytes(b"NRRD0004\n")
    return folder


# Slicer's own volume reader bids 0.5 + 0.01 per matched extension character (qSlicerFileReader)
SLICER_VOLUME_READER = {".nii.gz": 0.57, ".nii": 0.54, ".hdr": 0.54, ".img": 0.54}


@pytest.mark.parametrize("name", ["one.nii.gz", "one.nii", "pair.hdr", "pair.img", "analyze.hdr", "analyze.img"])
def test_nifti1_and_analyze_files_are_left_to_slicers_reader(name, bidding_files):
    confidence = logic.reader_confidence(bidding_files / name)
    ending = ".nii.gz" if name.endswith(".nii.gz") else Path(name).suffix
    assert confidence == 0.0 < SLICER_VOLUME_READER[ending]


@pytest.mark.parametrize("name", ["two.nii.gz", "two.nii", "twopair.hdr", "twopair.img"])
def test_nifti2_files_are_claimed_above_slicers_reader(name, bidding_files):
    ending = ".nii.gz" if name.endswith(".nii.gz") else Path(name).suffix
    assert logic.reader_confidence(bidding_files / name) == logic.READER_CONFIDENCE > SLICER_VOLUME_READER[ending]


@pytest.mark.parametrize(
    "name",
    [
        "test.mgz",
        "tiny.mnc",  # MINC1 (netCDF)
        "small.mnc",  # MINC2 (HDF5)
        "phantom_varscale.PAR",
        "phantom_varscale.REC",
        "example4d+orig.HEAD",
        "example4d+orig.BRIK.gz",
        "scaled+tlrc.BRIK",
        "tinypet.v",
        "example_nifti2.nii.gz",
    ],
)
def test_nibabels_formats_are_claimed(name):
    assert logic.reader_confidence(data_path / name) == logic.READER_CONFIDENCE


def test_files_of_the_formats_taken_but_other_contents_are_not_claimed(bidding_files):
    assert logic.reader_confidence(bidding_files / "volume.mgh") == logic.READER_CONFIDENCE
    for name in ("text.mgz", "verilog.v", "other.nrrd", "missing.mgz"):
        assert logic.reader_confidence(bidding_files / name) == 0.0, name
    assert logic.reader_confidence(bidding_files) == 0.0  # a folder
    assert logic.reader_confidence(data_path / "anatomical.nii") == 0.0  # nibabel's NIfTI-1 test file


def test_the_scripted_modules_file_reader_bids_through_the_logic_without_qt(bidding_files):
    specification = importlib.util.spec_from_file_location(
        "NiBridgeLoader", Path(logic.__file__).parents[1] / "NiBridgeLoader.py"
    )
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)  # no Qt, no slicer.app here: the module must import all the same
    reader = module.NiBridgeLoaderFileReader(None)
    for path in (bidding_files / "one.nii.gz", bidding_files / "two.nii", data_path / "tiny.mnc"):
        assert reader.canLoadFileConfidence(str(path)) == logic.reader_confidence(path)
    assert reader.fileType() == "NiBridgeVolumeFile"
    patterns = " ".join(reader.extensions())
    for pattern in ("*.mgz", "*.mgh", "*.mnc", "*.nii", "*.nii.gz", "*.PAR", "*.REC", "*.HEAD", "*.BRIK", "*.v"):
        assert pattern in patterns, pattern


def test_the_plugin_is_found_in_itk_autoload_path(tmp_path):
    plugin = tmp_path / "with"
    plugin.mkdir()
    (plugin / "libNiBridgePlugin.so").write_bytes(b"")
    (tmp_path / "without").mkdir()
    found = logic.plugin_directory({"ITK_AUTOLOAD_PATH": os.pathsep.join([str(tmp_path / "without"), str(plugin)])})
    assert found == str(plugin)
    assert logic.plugin_directory({"ITK_AUTOLOAD_PATH": str(tmp_path / "without")}) is None
    assert logic.plugin_directory({}) is None


# -- the picture for the documentation ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def figure_script():
    specification = importlib.util.spec_from_file_location("make_slicer_figure", FIGURE_SCRIPT)
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module


def test_the_figures_labels_are_the_directions_nearest_to_the_screen_axes(figure_script):
    # identity: +i is R, +j is A
    assert figure_script.voxel_grid_labels(np.eye(4)) == {"right": "R", "left": "L", "top": "A", "bottom": "P"}
    # LPS-like voxel axes, as DICOM stores them
    assert figure_script.voxel_grid_labels(np.diag([-1.0, -1.0, 1.0, 1.0])) == {
        "right": "L",
        "left": "R",
        "top": "P",
        "bottom": "A",
    }
    # a sagittal grid (i along A, j along S)
    sagittal = np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)
    assert figure_script.voxel_grid_labels(sagittal) == {"right": "A", "left": "P", "top": "S", "bottom": "I"}
    # the figure's own volume: 20 degrees about S still has +i nearest R and +j nearest A, as nibabel says
    affine = figure_script.oblique_affine()
    labels = figure_script.voxel_grid_labels(affine)
    assert (labels["right"], labels["top"]) == nib.aff2axcodes(affine)[:2] == ("R", "A")
    # Slicer's axial view: the patient's right on the screen's left, anterior up
    assert figure_script.edge_labels(figure_script.AXIAL_RIGHT, figure_script.AXIAL_UP) == {
        "right": "L",
        "left": "R",
        "top": "A",
        "bottom": "P",
    }


def test_the_figure_is_rendered(tmp_path):
    output = tmp_path / "slicer-oblique.png"
    environment = {key: value for key, value in os.environ.items() if key not in ("ITK_AUTOLOAD_PATH", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, str(FIGURE_SCRIPT), str(output)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    with Image.open(output) as picture:
        assert picture.size == (2 * (360 + 2 * 40), 360 + 2 * 40 + 36)
        grey = np.asarray(picture.convert("L"))
    # white background, black and grey voxels, dark labels: a rendering, not an empty window
    assert grey.max() == 255 and grey.min() < 40 and len(np.unique(grey)) > 8
    assert 0.2 < (grey == 255).mean() < 0.8
