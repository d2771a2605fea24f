"""Draw slicer-oblique.png: an oblique .mgz loaded by NiBridgeLoader into an MRML scene, seen two ways.

The .mgz (made here with nibabel) is a head-like phantom whose voxel grid is turned 20 degrees about S: voxel axis
+i points mostly to the patient's right (R), +j mostly anterior (A). It has a bright block at the +i end and a smaller
one at the +j end. NiBridgeLoader's logic loads it into a vtkMRMLScalarVolumeNode (through Slicer's reader when
NiBridge's plugin is in ITK_AUTOLOAD_PATH, through nibabel otherwise: the same node), and the picture shows that node:

- left, the voxel grid as stored: the middle slice k, i to the right and j up. The labels on its borders are the
  anatomical directions nearest to +i, -i, +j and -j, computed from the node's IJKToRAS matrix (checked against
  nibabel.aff2axcodes by the test);
- right, what Slicer's axial slice view shows: the RAS plane through the volume's centre, resampled from the node's
  voxels through its IJKToRAS matrix, with Slicer's axial layout (patient's right on the left of the screen, anterior
  up). The grid appears turned by 20 degrees, the right-hand block on the screen's left.

The picture is rendered by VTK (vtkRenderWindow with off-screen rendering: EGL or OSMesa where there is no display);
the slice resampling is numpy.

Usage: python make_slicer_figure.py [OUTPUT]   (default: slicer-oblique.png here)
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nibabel
import numpy as np
import slicer_core
import vtkmodules.vtkRenderingFreeType  # noqa: F401 (text)
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401 (the render window)
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkIOImage import vtkPNGWriter
from vtkmodules.vtkRenderingCore import (
    vtkActor2D,
    vtkImageMapper,
    vtkRenderer,
    vtkRenderWindow,
    vtkTextActor,
    vtkWindowToImageFilter,
)

MODULE_DIRECTORY = Path(__file__).resolve().parents[1] / "Modules" / "Slicer" / "NiBridgeLoader"
sys.path.insert(0, str(MODULE_DIRECTORY))

from NiBridgeLoaderLib import logic  # noqa: E402

SHAPE = (64, 56, 24)
ZOOMS = (3.0, 3.0, 4.0)
ROTATION_DEGREES = 20.0
PANEL = 360  # pixels, square
MARGIN = 40  # pixels around each panel, for the labels
TITLE = 36  # pixels above the panels
# (negative end, positive end) of each RAS axis.
RAS_LABELS = (("L", "R"), ("P", "A"), ("I", "S"))
# Slicer's axial slice view: screen right is the patient's left, screen up is anterior.
AXIAL_RIGHT, AXIAL_UP = np.array([-1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])


def rotation_about_s(degrees):
    angle = np.deg2rad(degrees)
    return np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])


def oblique_affine():
    """Voxel (i, j, k) -> RAS mm: 20 degrees about S, the grid's centre near the origin."""
    affine = np.eye(4)
    affine[:3, :3] = rotation_about_s(ROTATION_DEGREES) @ np.diag(ZOOMS)
    centre = (np.array(SHAPE) - 1) / 2.0
    affine[:3, 3] = -affine[:3, :3] @ centre + [5.0, -10.0, 20.0]
    return affine


def phantom():
    """float32 voxels: a dim grid, an ellipsoid 'head', a bright block at the +i end and a smaller one at +j."""
    i, j, k = np.meshgrid(*(np.arange(extent, dtype=np.float32) for extent in SHAPE), indexing="ij")
    centre = [(extent - 1) / 2.0 for extent in SHAPE]
    radii = [extent * 0.42 for extent in SHAPE]
    inside = sum(((axis - middle) / radius) ** 2 for axis, middle, radius in zip((i, j, k), centre, radii, strict=True))
    voxels = np.full(SHAPE, 40.0, dtype=np.float32)
    voxels[inside <= 1.0] = 110.0
    voxels[(i >= SHAPE[0] - 12) & (i < SHAPE[0] - 3) & (np.abs(j - centre[1]) < 5)] = 255.0  # +i: right
    voxels[(j >= SHAPE[1] - 10) & (j < SHAPE[1] - 3) & (np.abs(i - centre[0]) < 3)] = 200.0  # +j: anterior
    return voxels


def direction_label(direction):
    """The letter of the RAS direction nearest to ``direction`` (a 3-vector): its largest component's axis and sign."""
    direction = np.asarray(direction, dtype=np.float64)
    axis = int(np.argmax(np.abs(direction)))
    return RAS_LABELS[axis][int(direction[axis] > 0)]


def edge_labels(screen_right, screen_up):
    """The labels of a panel's borders, given the RAS directions of the screen's right and up."""
    right, up = np.asarray(screen_right, dtype=np.float64), np.asarray(screen_up, dtype=np.float64)
    return {
        "right": direction_label(right),
        "left": direction_label(-right),
        "top": direction_label(up),
        "bottom": direction_label(-up),
    }


def voxel_grid_labels(ijk_to_ras):
    """Border labels of a slice k shown with +i to the right and +j up."""
    matrix = np.asarray(ijk_to_ras, dtype=np.float64)
    return edge_labels(matrix[:3, 0], matrix[:3, 1])


def axial_plane(voxels, ijk_to_ras, pixels, field_of_view):
    """Slicer's axial view through the volume's centre: ``pixels`` x ``pixels`` samples (nearest voxel, 0 outside)
    of a ``field_of_view`` mm square, as rows from the top of the screen."""
    matrix = np.asarray(ijk_to_ras, dtype=np.float64)
    centre = matrix @ np.append((np.array(voxels.shape[:3]) - 1) / 2.0, 1.0)
    step = field_of_view / pixels
    offsets = (np.arange(pixels) - (pixels - 1) / 2.0) * step
    columns, rows = np.meshgrid(offsets, offsets[::-1])  # row 0 at the top of the screen
    ras = centre[:3] + columns[..., None] * AXIAL_RIGHT + rows[..., None] * AXIAL_UP
    ijk = np.einsum("ab,...b->...a", np.linalg.inv(matrix)[:3, :3], ras) + np.linalg.inv(matrix)[:3, 3]
    index = np.rint(ijk).astype(int)
    inside = np.all((index >= 0) & (index < np.array(voxels.shape[:3])), axis=-1)
    plane = np.zeros((pixels, pixels), dtype=voxels.dtype)
    plane[inside] = voxels[tuple(index[inside].T)]
    return plane


def voxel_grid_plane(voxels, pixels):
    """The middle slice k, +i to the right and +j up, scaled to ``pixels`` wide (nearest voxel), rows from the top."""
    slice_k = voxels[:, :, voxels.shape[2] // 2]
    scale = pixels / max(slice_k.shape)
    height, width = int(round(slice_k.shape[1] * scale)), int(round(slice_k.shape[0] * scale))
    i = np.minimum((np.arange(width) / scale).astype(int), slice_k.shape[0] - 1)
    j = np.minimum((np.arange(height) / scale).astype(int), slice_k.shape[1] - 1)
    return slice_k[np.ix_(i, j)].T[::-1]  # (rows, columns), +j up


def load_node(path):
    """The volume node NiBridgeLoader's logic makes of ``path``, in a scene of its own (kept alive with it)."""
    scene = slicer_core.vtkMRMLScene()
    result = logic.load_volume(path, scene)
    return scene, result, logic.array_from_volume_node(result.node), logic.ijk_to_ras_from_node(result.node)


def _prefer_offscreen_window():
    """Without a display, VTK tries X first and warns; ask for EGL directly (VTK falls back to OSMesa itself)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _text(renderer, value, position, size, bold=True):
    actor = vtkTextActor()
    actor.SetInput(value)
    properties = actor.GetTextProperty()
    properties.SetFontSize(size)
    properties.SetColor(0.1, 0.1, 0.1)
    properties.SetBold(bold)
    properties.SetJustificationToCentered()
    properties.SetVerticalJustificationToCentered()
    actor.SetDisplayPosition(int(position[0]), int(position[1]))
    renderer.AddViewProp(actor)


def _add_panel(renderer, number, panel, height):
    """Panel ``number`` (title, grey image rows-from-top, border labels) as a 2-D image with its labels; returns the
    image data, which must outlive the rendering."""
    title, plane, labels = panel
    grey = np.clip(plane, 0, 255).astype(np.uint8)
    rows, columns = grey.shape
    image = vtkImageData()
    image.SetDimensions(columns, rows, 1)
    # VTK's image rows go up from the bottom; numpy's rows here go down from the top
    image.GetPointData().SetScalars(numpy_to_vtk(np.ascontiguousarray(grey[::-1]).ravel(), deep=1))
    mapper = vtkImageMapper()
    mapper.SetInputData(image)
    mapper.SetColorWindow(255)
    mapper.SetColorLevel(127.5)
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    cell = PANEL + 2 * MARGIN
    left = number * cell + MARGIN + (PANEL - columns) // 2
    bottom = MARGIN + (PANEL - rows) // 2
    actor.SetPosition(left, bottom)
    renderer.AddViewProp(actor)
    centre_x, centre_y = left + columns / 2.0, bottom + rows / 2.0
    _text(renderer, labels["right"], (left + columns + MARGIN / 2.0, centre_y), 22)
    _text(renderer, labels["left"], (left - MARGIN / 2.0, centre_y), 22)
    _text(renderer, labels["top"], (centre_x, bottom + rows + MARGIN / 2.0), 22)
    _text(renderer, labels["bottom"], (centre_x, bottom - MARGIN / 2.0), 22)
    _text(renderer, title, (number * cell + cell / 2.0, height - TITLE / 2.0), 15, bold=False)
    return image


def render(panels, output):
    """Renders ``panels`` [(title, grey image rows-from-top, border labels)] side by side into the PNG ``output``."""
    _prefer_offscreen_window()
    cell = PANEL + 2 * MARGIN
    width, height = cell * len(panels), cell + TITLE
    window = vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.SetSize(width, height)
    renderer = vtkRenderer()
    renderer.SetBackground(1.0, 1.0, 1.0)
    window.AddRenderer(renderer)
    images = [_add_panel(renderer, number, panel, height) for number, panel in enumerate(panels)]
    window.Render()
    capture = vtkWindowToImageFilter()
    capture.SetInput(window)
    capture.ReadFrontBufferOff()
    capture.Update()
    writer = vtkPNGWriter()
    writer.SetFileName(str(output))
    writer.SetInputConnection(capture.GetOutputPort())
    writer.Write()
    window.Finalize()
    del images


def make_figure(output):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "oblique.mgz"
        nibabel.save(nibabel.MGHImage(phantom(), oblique_affine()), path)
        scene, result, voxels, ijk_to_ras = load_node(str(path))
    field_of_view = float(np.max(np.array(SHAPE[:2]) * np.array(ZOOMS[:2]))) * 1.15
    panels = [
        (
            f"voxel grid, slice k = {voxels.shape[2] // 2} (reader: {result.reader})",
            voxel_grid_plane(voxels, PANEL),
            voxel_grid_labels(ijk_to_ras),
        ),
        (
            "Slicer's axial view of the same node",
            axial_plane(voxels, ijk_to_ras, PANEL, field_of_view),
            edge_labels(AXIAL_RIGHT, AXIAL_UP),
        ),
    ]
    render(panels, output)
    del scene
    return panels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default=str(Path(__file__).with_name("slicer-oblique.png")))
    arguments = parser.parse_args(argv)
    make_figure(arguments.output)
    print(arguments.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
