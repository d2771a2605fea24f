"""Loads the volumes that only nibabel reads into MRML volume nodes, and writes volume nodes to .mgz and NIfTI-2.

Pure Python, no Qt: it runs inside 3D Slicer and in any Python that has the ``slicer-core`` wheel (where the tests
run). Every function takes the MRML scene it works in; nothing uses ``slicer.mrmlScene`` unless it is the scene given.
nibabel is imported on first use. The MRML and logic classes come from the ``slicer`` module (Slicer's, or the one
slicer-core installs, which re-exports ``slicer_core``); image arrays cross into VTK through ``vtkmodules``.

Two ways in, one result
    With NiBridge's ITK plugin in the process (a folder of ``ITK_AUTOLOAD_PATH`` that holds ``libNiBridgePlugin.so``),
    a 3-D file is read by Slicer's own reader, ``vtkSlicerVolumesLogic.AddArchetypeVolume``, whose ITK then reads it
    through the plugin's nibabel-rule readers. Without the plugin (or when Slicer's reader fails and the caller did not
    insist on it) the file is read with nibabel here, and the node is built from the arrays. Both give the same node:
    the same class, voxels, value type and IJKToRAS matrix (the tests compare them file by file).

Values
    ``numpy.asarray(img.dataobj)``: nibabel's scaled values in nibabel's dtype, in native byte order. This is what the
    plugin's reader delivers by default, so the two ways agree: float64 for MINC (nibabel always scales MINC), for
    scaled AFNI, PAR/REC and ECAT, float32 for a float .mgz, int16 for an unscaled int16 NIfTI-2 or AFNI file, and so
    on. Only what VTK cannot hold changes: bool becomes uint8 and float16 float32 (both exact); complex is refused.

Geometry
    The node's IJKToRAS matrix is nibabel's ``img.affine``, with Slicer's right-handed rule applied: Slicer's volume
    reader (``ForceRightHandedIJKCoordinateSystem``, on by default) gives every volume a right-handed voxel frame. When
    the affine's 3x3 part has a negative determinant, the k axis is reversed: column 2 is negated, the origin moves to
    the last slice, and the voxels are reversed along k. Every voxel keeps its RAS position. ``slicer_ijk_to_ras`` is
    the rule; the nibabel way applies it so that it matches Slicer's reader.

    A shear (voxel axes that are not perpendicular) is kept: the node holds the affine as it is (Slicer's node stores
    spacing and unit direction columns without requiring them to be orthogonal, and its slice views reslice through the
    whole matrix), so voxels sit where nibabel puts them. But much of Slicer assumes perpendicular axes (segmentations,
    resampling to a reference volume, cropping, ITK-based filters and writers), so a shear is reported: a warning in
    ``LoadResult.warnings``, logged to the ``NiBridgeLoader`` logger (Slicer's error log), and shown by the module.

Layouts
    - 3-D (trailing axes of size 1 dropped, 2-D padded to one slice): one ``vtkMRMLScalarVolumeNode``.
    - nibabel's RGB/RGBA structured dtypes: one ``vtkMRMLVectorVolumeNode`` of uint8 components, ColorRGB(A) voxels
      (as Slicer's reader makes them).
    - 5-D with a 4th axis of size 1, NIfTI's layout of vector images ``(i, j, k, 1, c)``: one vector volume node of
      ``c`` components (Slicer reads NIfTI-1 vector files the same way). A 4-D file is never taken as vectors: nothing
      in MGH, PAR/REC or AFNI files tells components from time points.
    - 4-D: a ``vtkMRMLSequenceNode`` of scalar (or RGB) volume nodes, one a frame, with a
      ``vtkMRMLSequenceBrowserNode`` and its proxy volume node in the scene; or, with ``frames=[...]``, only those
      frames, each its own volume node in the scene.
    - MINC: nibabel keeps MINC's dimensions in file order, and its affine describes the spatial dimensions (``*space``)
      only; a ``time`` dimension, first in the file, is the frame axis, and ``vector_dimension`` the components.

Errors
    A missing file, a file nibabel cannot read, a damaged one or an unsupported layout raises ``LoadError``, whose
    message names the file and the reason; whatever the failed load had added to the scene is removed first.
    ``save_volume`` raises ``SaveError`` the same way and leaves no file behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import logging
import os
import secrets
import struct
import weakref

import numpy as np
from numpy.lib import recfunctions
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkObject, vtkStringArray
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkCommonMath import vtkMatrix4x4

LOGGER = logging.getLogger("NiBridgeLoader")

# The loader library of NiBridge's ITK plugin, on each platform; ITK opens every library of an ITK_AUTOLOAD_PATH
# folder.
PLUGIN_LIBRARIES = ("libNiBridgePlugin.so", "libNiBridgePlugin.dylib", "NiBridgePlugin.dll")

# Largest |cosine| between two direction columns still taken as perpendicular. Affines from float32 header fields
# are off by up to ~1e-7 (example_nifti2.nii.gz: 1.1e-9).
SHEAR_TOLERANCE = 1e-6

# Largest distance (mm, at the voxel grid's corners) between Slicer's placement of a volume and nibabel's still taken
# as the same: the plugin's readers agree with nibabel bit for bit; anything beyond float rounding is another reader
# (ITK's own MINC reader, for one, turns MINC volumes 180 degrees about S).
GEOMETRY_TOLERANCE_MM = 1e-4

# vtkSlicerVolumesLogic loading option bit 2: this one file, never a numbered series of files around it.
_SINGLE_FILE = 4

# What the file reader bids for the files it takes. Slicer's generic readers bid 0.5 + 0.01 per matched extension
# character (0.54 for .mgz or .mnc, 0.57 for .nii.gz); its sequence reader 0.58 for sequence NRRD files.
READER_CONFIDENCE = 0.6

# Name endings (lower case) of the formats the module takes, longest first; the value is the format.
_FORMATS = (
    (".brik.gz", "AFNI"),
    (".nii.gz", "NIfTI"),
    (".head", "AFNI"),
    (".brik", "AFNI"),
    (".mgz", "MGH"),
    (".mgh", "MGH"),
    (".mnc", "MINC"),
    (".par", "PAR/REC"),
    (".rec", "PAR/REC"),
    (".nii", "NIfTI"),
    (".hdr", "NIfTI"),
    (".img", "NIfTI"),
    (".v", "ECAT"),
)

# What save_volume writes: name ending -> format.
_OUTPUT_FORMATS = ((".nii.gz", "NIfTI-2"), (".nii", "NIfTI-2"), (".mgz", "MGH"), (".mgh", "MGH"))

# What MGH holds, in the order a lossless conversion tries them.
_MGH_DTYPES = (np.dtype(np.uint8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.float32))

_COLOR_FIELDS = {("R", "G", "B"): "rgb", ("R", "G", "B", "A"): "rgba"}


class NiBridgeLoaderError(Exception):
    """A file that could not be loaded or written: ``path`` and ``reason`` are what the message says."""

    action = "Cannot use"

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.action} '{self.path}': {reason}")


class LoadError(NiBridgeLoaderError):
    """``load_volume`` failed; nothing it added is left in the scene."""

    action = "Cannot load"


class SaveError(NiBridgeLoaderError):
    """``save_volume`` failed; no file was written or left behind."""

    action = "Cannot save"


@dataclasses.dataclass
class LoadResult:
    """What ``load_volume`` added to the scene, and how.

    ``volumes``: the volume nodes to show: the volume, the chosen frames, or a sequence's proxy node.
    ``sequence``, ``browser``: the sequence node and its browser node of a 4-D file (else None).
    ``reader``: ``"slicer"`` (Slicer's reader, its ITK with NiBridge's plugin) or ``"nibabel"`` (built here).
    ``flipped_k``: whether the right-handed rule reversed the k axis (see the module's docstring).
    ``warnings``: what the user should know (a shear, a reader that fell back); each is logged too.
    ``notes``: how the file was read, for the curious.
    """

    path: str
    kind: str  # "volume", "frames" or "sequence"
    volumes: list
    sequence: object = None
    browser: object = None
    reader: str = "nibabel"
    flipped_k: bool = False
    warnings: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)

    @property
    def node(self):
        """The one node to show: the sequence's proxy, the volume, or the first chosen frame."""
        return self.volumes[0] if self.volumes else self.sequence

    @property
    def nodes(self):
        """Every node added to the scene at the top level (display and storage nodes aside)."""
        return [node for node in (*self.volumes, self.sequence, self.browser) if node is not None]


# -- the plugin and the file reader's bid ------------------------------------------------------------------------------


def plugin_directory(environment=None):
    """The first folder of ``ITK_AUTOLOAD_PATH`` (in ``environment``, default ``os.environ``) that holds NiBridge's
    plugin loader, or None."""
    environment = os.environ if environment is None else environment
    for folder in environment.get("ITK_AUTOLOAD_PATH", "").split(os.pathsep):
        if folder and any(os.path.isfile(os.path.join(folder, name)) for name in PLUGIN_LIBRARIES):
            return folder
    return None


def _ending_in(path, formats):
    """The (ending, format) pair of ``formats`` whose ending the file name has (after a name of its own), or
    (None, None)."""
    lower = os.path.basename(os.fspath(path)).lower()
    for ending, file_format in formats:
        if lower.endswith(ending) and len(lower) > len(ending):
            return ending, file_format
    return None, None


def _format_of(path):
    return _ending_in(path, _FORMATS)


def _head(path, count, compressed=None):
    """The first ``count`` bytes of the file (decompressed when its name ends in .gz)."""
    compressed = os.fspath(path).lower().endswith(".gz") if compressed is None else compressed
    opener = gzip.open if compressed else open
    with opener(path, "rb") as stream:
        return stream.read(count)


def _nifti_version(path):
    """1 for NIfTI-1 and Analyze headers (348 bytes), 2 for NIfTI-2 (540), else None. A pair's .img is judged by its
    .hdr."""
    header = os.fspath(path)
    if header.lower().endswith(".img"):
        header = next(
            (header[:-4] + ending for ending in (".hdr", ".HDR") if os.path.isfile(header[:-4] + ending)), None
        )
        if header is None:
            return None
    start = _head(header, 4)
    if len(start) < 4:
        return None
    sizes = {struct.unpack("<i", start)[0], struct.unpack(">i", start)[0]}
    return 2 if 540 in sizes else 1 if 348 in sizes else None


def _sibling_exists(path, ending, endings):
    """Whether the file named like ``path`` with ``ending`` replaced by one of ``endings`` (any case) exists."""
    stem = os.fspath(path)[: -len(ending)]
    return any(os.path.isfile(stem + candidate) for other in endings for candidate in (other, other.upper()))


def _is_nifti2(path, ending):
    return _nifti_version(path) == 2


def _is_mgh(path, ending):
    # version 1, a big-endian int32; a .mgz is gzip whatever its name says
    return _head(path, 4, compressed=ending == ".mgz") == b"\x00\x00\x00\x01"


def _is_minc(path, ending):
    start = _head(path, 8)
    return start[:4] in (b"CDF\x01", b"CDF\x02") or start == b"\x89HDF\r\n\x1a\n"  # MINC1 netCDF, MINC2 HDF5


def _is_par_rec(path, ending):
    if ending == ".rec":
        return _sibling_exists(path, ending, (".par",))
    return b"DATA DESCRIPTION FILE" in _head(path, 512)


def _is_afni(path, ending):
    if ending != ".head":
        return _sibling_exists(path, ending, (".head",))
    return b"-attribute" in _head(path, 1024)


def _is_ecat(path, ending):
    return _head(path, 14).startswith(b"MATRIX")


# Whether a file of each format (by its name) holds that format, from its first bytes.
_CONTENT_CHECKS = {
    "NIfTI": _is_nifti2,
    "MGH": _is_mgh,
    "MINC": _is_minc,
    "PAR/REC": _is_par_rec,
    "AFNI": _is_afni,
    "ECAT": _is_ecat,
}


def reader_confidence(path):
    """How much NiBridgeLoader's file reader wants ``path``: ``READER_CONFIDENCE`` for the formats it takes, 0.0 for
    the rest. Cheap (a name and a few header bytes) and never raises.

    NIfTI-1 and Analyze files (a 348-byte header) get 0.0: Slicer's own volume reader keeps them, unchanged. NIfTI-2
    (540 bytes), MGH/MGZ, MINC1/2, PAR/REC, AFNI and ECAT files are taken when their first bytes are the format's.
    """
    try:
        ending, file_format = _format_of(path)
        if file_format is None or not os.path.isfile(path):
            return 0.0
        return READER_CONFIDENCE if _CONTENT_CHECKS[file_format](path, ending) else 0.0
    except (OSError, EOFError, ValueError):
        return 0.0


def volume_name(path):
    """The node name of a file: its name without the format's ending (``example4d+orig`` for
    ``example4d+orig.HEAD``)."""
    base = os.path.basename(os.fspath(path))
    ending, _ = _format_of(base)
    if ending is not None:
        return base[: -len(ending)]
    return os.path.splitext(base)[0] or base


# -- geometry ----------------------------------------------------------------------------------------------------------


def slicer_ijk_to_ras(affine, spatial_shape):
    """Slicer's IJKToRAS matrix of a volume of ``spatial_shape`` (i, j, k) whose nibabel affine is ``affine``, and
    whether the k axis was reversed.

    Slicer's right-handed rule: a 3x3 part with a negative determinant gets column 2 negated and the origin moved to
    the last slice (voxel k becomes voxel nk - 1 - k); the voxel-to-RAS mapping is unchanged.
    """
    affine = np.asarray(affine, dtype=np.float64)
    ijk_to_ras = affine.copy()
    if np.linalg.det(affine[:3, :3]) >= 0:
        return ijk_to_ras, False
    last = int(spatial_shape[2]) - 1
    ijk_to_ras[:3, 3] = affine[:3, 3] + last * affine[:3, 2]
    ijk_to_ras[:3, 2] = -affine[:3, 2]
    return ijk_to_ras, True


def shear_of(matrix):
    """The largest |cosine| between two voxel axes of ``matrix`` (its first three columns): 0 for perpendicular
    axes."""
    unit = _unit_columns(matrix)
    if unit is None:
        return 1.0
    cosines = unit.T @ unit - np.eye(3)
    return float(np.abs(cosines).max())


def _unit_columns(matrix):
    """The first three columns of ``matrix``'s 3x3 part, each divided by its length; None if one has none."""
    columns = np.asarray(matrix, dtype=np.float64)[:3, :3]
    norms = np.linalg.norm(columns, axis=0)
    return None if np.any(norms == 0) else columns / norms


def _shear_warning(affine):
    unit = _unit_columns(affine)  # not None: load_volume refuses singular affines first
    angles = []
    for first, second in ((0, 1), (0, 2), (1, 2)):
        cosine = float(np.clip(unit[:, first] @ unit[:, second], -1.0, 1.0))
        if abs(cosine) > SHEAR_TOLERANCE:
            angles.append(f"{'ijk'[first]}-{'ijk'[second]} {np.degrees(np.arccos(cosine)):.2f} degrees")
    return (
        f"the affine has a shear (angles between voxel axes: {', '.join(angles)}; not 90). The volume node keeps it, "
        "so voxels are where nibabel puts them and slice views show them there, but Slicer tools that assume "
        "perpendicular axes (segmentation, resampling to a reference, cropping, ITK filters and writers) may place "
        "them differently; resample the volume to a grid without shear before using those"
    )


def _checked_affine(image, path):
    affine = np.asarray(image.affine, dtype=np.float64)
    if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
        raise LoadError(path, f"nibabel gives no finite 4x4 affine (got {affine.tolist()})")
    if abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise LoadError(path, f"its affine is singular (a zero voxel size or parallel axes): {affine[:3, :3].tolist()}")
    return affine


def ijk_to_ras_from_node(node):
    """A volume node's IJKToRAS matrix as a 4x4 float64 array."""
    matrix = vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(row, column) for column in range(4)] for row in range(4)])


def _vtk_matrix(array):
    matrix = vtkMatrix4x4()
    matrix.DeepCopy([float(value) for value in np.asarray(array, dtype=np.float64).ravel()])
    return matrix


# -- voxels between nibabel and VTK ------------------------------------------------------------------------------------


def array_from_volume_node(node):
    """A copy of a volume node's voxels in nibabel's axis order: shape (i, j, k) or (i, j, k, components)."""
    image = node.GetImageData() if node is not None else None
    scalars = image.GetPointData().GetScalars() if image is not None else None
    if scalars is None:
        raise ValueError(f"the node {node.GetName() if node is not None else None!r} has no voxels")
    dimensions = image.GetDimensions()
    components = image.GetNumberOfScalarComponents()
    values = vtk_to_numpy(scalars)
    shape = tuple(reversed(dimensions)) + ((components,) if components > 1 else ())
    kji = values.reshape(shape)  # VTK's order: i fastest, so numpy's C order is (k, j, i)
    return np.array(kji.transpose((2, 1, 0, 3) if components > 1 else (2, 1, 0)))


def _vtk_image(voxels):
    """vtkImageData of voxels (i, j, k[, c]), origin 0 and spacing 1 (Slicer keeps the geometry in the node)."""
    components = voxels.shape[3] if voxels.ndim == 4 else 1
    kji = np.ascontiguousarray(voxels.transpose((2, 1, 0, 3) if voxels.ndim == 4 else (2, 1, 0)))
    scalars = numpy_to_vtk(kji.reshape(-1, components) if components > 1 else kji.reshape(-1), deep=1)
    image = vtkImageData()
    image.SetDimensions(*voxels.shape[:3])
    image.GetPointData().SetScalars(scalars)
    return image


def _color_of(dtype):
    if dtype.names is None or dtype.names not in _COLOR_FIELDS:
        return None
    if all(dtype.fields[field][0] == np.uint8 for field in dtype.names):
        return _COLOR_FIELDS[dtype.names]
    return None


def _vtk_values(values, path):
    """nibabel's values in a dtype VTK holds (same values), and the color kind (None, "rgb" or "rgba")."""
    dtype = values.dtype
    if dtype.names is not None:
        color = _color_of(dtype)
        if color is None:
            raise LoadError(path, f"its voxels are records ({dtype}), not RGB or RGBA colors")
        return recfunctions.structured_to_unstructured(values, dtype=np.uint8), color
    if dtype.kind == "b":
        return values.astype(np.uint8), None
    if dtype.kind == "c":
        raise LoadError(path, f"its voxels are complex ({dtype}); Slicer volumes hold real values")
    if dtype.kind == "f" and dtype.itemsize == 2:
        return values.astype(np.float32), None
    if dtype.kind not in "iuf" or dtype.itemsize > 8:
        raise LoadError(path, f"no Slicer volume holds {dtype} voxels")
    if not dtype.isnative:
        values = values.astype(dtype.newbyteorder("="))
    return values, None


# -- reading with nibabel ----------------------------------------------------------------------------------------------


def _check_readable(path):
    if not os.path.lexists(path):
        raise LoadError(path, "the file does not exist")
    if not os.path.isfile(path):
        raise LoadError(path, "it is not a regular file")
    if not os.access(path, os.R_OK):
        raise LoadError(path, "the file is not readable (permission denied)")


def _nibabel():
    try:
        import nibabel  # noqa: PLC0415 (on first use: Slicer starts without it, and it takes a while to import)
    except ImportError as error:
        raise ImportError(
            "NiBridgeLoader needs nibabel in Slicer's Python: run slicer.util.pip_install('nibabel h5py') "
            f"in Slicer's Python console ({error})"
        ) from error
    return nibabel


def _open(path):
    """nibabel's image of ``path`` (header only: the voxels are read later). ECAT (``.v``) goes through
    ``nibabel.ecat.load``, which ``nibabel.load`` does not dispatch to."""
    nibabel = _nibabel()
    try:
        if path.lower().endswith(".v"):
            import nibabel.ecat  # noqa: PLC0415 (see _nibabel)

            return nibabel.ecat.load(path)
        return nibabel.load(path)
    except Exception as error:  # noqa: BLE001 (nibabel raises many kinds; each becomes one clear error)
        raise LoadError(path, f"nibabel cannot read it ({type(error).__name__}: {error})") from error


@dataclasses.dataclass(frozen=True)
class _Layout:
    """How nibabel's array axes become a Slicer volume: ``spatial`` (the i, j, k axes, 1 to 3 of them), ``frame`` and
    ``component`` (an axis or None), ``dropped`` (axes of size 1 read at index 0)."""

    shape: tuple
    spatial: tuple
    frame: int | None
    component: int | None
    dropped: tuple

    @property
    def spatial_shape(self):
        shape = tuple(self.shape[axis] for axis in self.spatial)
        return shape + (1,) * (3 - len(shape))

    @property
    def frames(self):
        return self.shape[self.frame] if self.frame is not None else 0


def _minc_dimensions(image):
    minc_file = getattr(image.dataobj, "minc_file", None)
    names = getattr(minc_file, "_dim_names", None)
    return [name.decode() if isinstance(name, bytes) else str(name) for name in names] if names else None


def _layout(image, path):
    shape = tuple(int(extent) for extent in image.shape)
    if not shape or 0 in shape:
        raise LoadError(path, f"the image of shape {shape} has no voxels")
    names = _minc_dimensions(image)
    if names is not None and len(names) == len(shape):
        spatial = tuple(axis for axis, name in enumerate(names) if name.endswith("space"))
        frame = next((axis for axis, name in enumerate(names) if name == "time"), None)
        component = next((axis for axis, name in enumerate(names) if name == "vector_dimension"), None)
        others = set(range(len(shape))) - set(spatial) - {frame, component}
        if not spatial or len(spatial) > 3 or others:
            raise LoadError(path, f"its MINC dimensions {names} are not a volume Slicer holds")
        if frame is not None and component is not None:
            raise LoadError(path, f"its MINC dimensions {names} are a series of vector volumes, not supported")
        if frame is not None and shape[frame] == 1:
            return _Layout(shape, spatial, None, component, (frame,))
        return _Layout(shape, spatial, frame, component, ())
    extent = len(shape)
    while extent > 3 and shape[extent - 1] == 1:
        extent -= 1
    dropped = tuple(range(extent, len(shape)))
    if extent <= 3:
        return _Layout(shape, tuple(range(extent)), None, None, dropped)
    if extent == 4:
        return _Layout(shape, (0, 1, 2), 3, None, dropped)
    if extent == 5 and shape[3] == 1:
        return _Layout(shape, (0, 1, 2), None, 4, (3, *dropped))
    raise LoadError(
        path,
        f"its {extent}-D shape {shape} is neither a volume, a 4-D series nor a vector volume (i, j, k, 1, c)",
    )


def _read_voxels(image, layout, frame, path):
    """The voxels of one volume (``frame`` of a series, or None), as Slicer holds them before the right-handed rule:
    (i, j, k) or (i, j, k, c), in a dtype VTK holds; and the color kind."""
    index = [slice(None)] * len(layout.shape)
    for axis in layout.dropped:
        index[axis] = 0
    if layout.frame is not None:
        index[layout.frame] = frame
    try:
        if all(isinstance(item, slice) for item in index):
            values = np.asarray(image.dataobj)
        else:
            values = np.asarray(image.dataobj[tuple(index)])
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 (damaged files fail in many ways; each becomes one clear error)
        raise LoadError(path, f"nibabel cannot read its voxels ({type(error).__name__}: {error})") from error
    kept = [axis for axis in range(len(layout.shape)) if isinstance(index[axis], slice)]
    order = [kept.index(axis) for axis in layout.spatial]
    if layout.component is not None:
        order.append(kept.index(layout.component))
    values = values.transpose(order)
    values, color = _vtk_values(values, path)
    shape = layout.spatial_shape + values.shape[len(layout.spatial) :]
    return values.reshape(shape), color


def _slicer_voxels(voxels, flipped):
    return voxels[:, :, ::-1] if flipped else voxels


# -- MRML --------------------------------------------------------------------------------------------------------------


def _mrml():
    """The module with the MRML and Slicer logic classes: ``slicer`` (in Slicer, and slicer-core's package of that
    name, which re-exports them), else ``slicer_core``."""
    try:
        import slicer  # noqa: PLC0415 (Slicer's, or slicer-core's, whichever the process has)

        if hasattr(slicer, "vtkMRMLScene"):
            return slicer
    except ImportError:
        pass
    import slicer_core  # noqa: PLC0415

    return slicer_core


def _application_module_logic(scene, module):
    """Slicer's own logic of ``module`` when ``scene`` is the application's scene, else None."""
    mrml = _mrml()
    modules = getattr(mrml, "modules", None)
    if modules is None or getattr(mrml, "mrmlScene", None) is not scene or not hasattr(modules, module):
        return None
    return getattr(modules, module).logic()


# Slicer's logics for scenes outside Slicer's application, made once per scene (a second sequences logic would
# register the scene's node classes again). Weak keys: an entry goes with its scene's Python object.
_HEADLESS_LOGICS = weakref.WeakKeyDictionary()


def _headless_logics(scene):
    """The volumes and sequences logics of a scene outside Slicer's application. The volumes logic gets an
    application logic with a colors logic, so that its display nodes get Slicer's default grey color table."""
    logics = _HEADLESS_LOGICS.get(scene)
    if logics is None:
        mrml = _mrml()
        application = mrml.vtkMRMLApplicationLogic()
        application.SetMRMLScene(scene)
        colors = mrml.vtkMRMLColorLogic()
        colors.SetMRMLApplicationLogic(application)
        colors.SetMRMLScene(scene)
        application.SetModuleLogic("Colors", colors)
        volumes = mrml.vtkSlicerVolumesLogic()
        volumes.SetMRMLApplicationLogic(application)
        volumes.SetMRMLScene(scene)
        sequences = mrml.vtkSlicerSequencesLogic()
        sequences.SetMRMLApplicationLogic(application)
        sequences.SetMRMLScene(scene)
        logics = _HEADLESS_LOGICS[scene] = {
            "application": application,
            "colors": colors,
            "volumes": volumes,
            "sequences": sequences,
        }
    return logics


def _volumes_logic(scene):
    """A vtkSlicerVolumesLogic for ``scene``: Slicer's own for the application's scene."""
    return _application_module_logic(scene, "volumes") or _headless_logics(scene)["volumes"]


def _sequences_logic(scene):
    """A vtkSlicerSequencesLogic for ``scene`` (it registers the sequence browser node class in its scene)."""
    return _application_module_logic(scene, "sequences") or _headless_logics(scene)["sequences"]


def _node_ids(scene):
    return {scene.GetNthNode(index).GetID() for index in range(scene.GetNumberOfNodes())}


def _remove_new_nodes(scene, before):
    added = [scene.GetNthNode(index) for index in range(scene.GetNumberOfNodes())]
    for node in reversed(added):
        if node is not None and node.GetID() not in before and scene.IsNodePresent(node):
            scene.RemoveNode(node)


@contextlib.contextmanager
def _quiet_vtk():
    """VTK's error and warning output off, for an attempt whose failure is expected and handled."""
    shown = vtkObject.GetGlobalWarningDisplay()
    vtkObject.GlobalWarningDisplayOff()
    try:
        yield
    finally:
        vtkObject.SetGlobalWarningDisplay(shown)


def _volume_node(voxels, ijk_to_ras, color, name, scene=None):
    """A scalar or vector volume node of ``voxels`` (i, j, k[, c]); added to ``scene`` (with display nodes) if given,
    else standalone (a sequence's frame)."""
    class_name = "vtkMRMLVectorVolumeNode" if voxels.ndim == 4 else "vtkMRMLScalarVolumeNode"
    if scene is not None:
        node = scene.AddNewNodeByClass(class_name, scene.GenerateUniqueName(name))
    else:
        node = getattr(_mrml(), class_name)()
        node.SetName(name)
    node.SetIJKToRASMatrix(_vtk_matrix(ijk_to_ras))
    if color is not None:
        node.SetVoxelVectorType(
            node.VoxelVectorTypeColorRGB if color == "rgb" else node.VoxelVectorTypeColorRGBA,
        )
    node.SetAndObserveImageData(_vtk_image(voxels))
    if scene is not None:
        node.CreateDefaultDisplayNodes()
    return node


def _messages_text(messages, limit=800):
    """A message collection as one line, cut at ``limit`` characters (ITK's exceptions carry whole tracebacks)."""
    text = " ".join((messages.GetAllMessagesAsString() if messages is not None else "").split())
    return (text[:limit] + " ...") if len(text) > limit else text or "no reason given"


class _SlicerReaderFailed(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class _Source:
    """A file opened with nibabel, and what Slicer will make of it."""

    path: str
    image: object  # nibabel's image (its voxels not read yet)
    layout: _Layout
    ijk_to_ras: np.ndarray  # nibabel's affine after Slicer's right-handed rule
    flipped: bool  # whether that rule reversed k
    name: str  # the node name

    def voxels(self, frame=None):
        """The voxels of the volume (or of ``frame``) as the node holds them, and their color kind."""
        voxels, color = _read_voxels(self.image, self.layout, frame, self.path)
        return _slicer_voxels(voxels, self.flipped), color

    def node(self, frame=None, scene=None):
        """A volume node of the volume (or of ``frame``, named ``<name>_<frame:04d>``), in ``scene`` if given."""
        voxels, color = self.voxels(frame)
        name = self.name if frame is None else f"{self.name}_{frame:04d}"
        return _volume_node(voxels, self.ijk_to_ras, color, name, scene)


def _load_with_slicer(source, scene, result):
    """The volume through Slicer's reader (vtkSlicerVolumesLogic.AddArchetypeVolume; its ITK reads through the
    plugin), checked against nibabel's shape and geometry."""
    messages = _mrml().vtkMRMLMessageCollection()
    logic = _volumes_logic(scene)
    node = logic.AddArchetypeVolume(source.path, source.name, _SINGLE_FILE, vtkStringArray(), messages)
    if node is None or node.GetImageData() is None:
        raise _SlicerReaderFailed(f"Slicer's volume reader could not read it: {_messages_text(messages)}")
    dimensions = tuple(node.GetImageData().GetDimensions())
    if dimensions != source.layout.spatial_shape:
        raise _SlicerReaderFailed(
            f"Slicer's volume reader gave {dimensions} voxels, nibabel {source.layout.spatial_shape}",
        )
    corners = np.array(
        [[i, j, k, 1.0] for i in (0, dimensions[0]) for j in (0, dimensions[1]) for k in (0, dimensions[2])]
    )
    distance = np.abs((ijk_to_ras_from_node(node) - source.ijk_to_ras) @ corners.T).max()
    if distance > GEOMETRY_TOLERANCE_MM:
        raise _SlicerReaderFailed(
            f"Slicer's volume reader places the volume up to {distance:.3g} mm away from nibabel's placement "
            "(is another ITK reader than NiBridge's plugin reading this format?)",
        )
    result.volumes.append(node)
    result.reader = "slicer"
    result.notes.append("read by Slicer's volume reader (ITK, with NiBridge's plugin)")


def _read_sequence_with_slicer(source, scene, result):
    """The sequence through Slicer's vtkMRMLVolumeSequenceStorageNode (which reads through ITK), or None.

    In Slicer 5.x its reader, vtkITKImageSequenceReader, asks itk::NrrdImageIO by name rather than ITK's factories, so
    it reads NRRD files only and the plugin never gets a say: for nibabel's formats this fails (quietly) and the
    caller builds the sequence from nibabel. Tried first all the same, for a Slicer whose sequence reader asks the
    factories.
    """
    sequence = scene.AddNewNodeByClass("vtkMRMLSequenceNode", scene.GenerateUniqueName(source.name))
    storage = scene.AddNewNodeByClass("vtkMRMLVolumeSequenceStorageNode")
    storage.SetFileName(source.path)
    with _quiet_vtk():
        read = storage.ReadData(sequence)
    if read and sequence.GetNumberOfDataNodes() > 0:
        sequence.SetAndObserveStorageNodeID(storage.GetID())
        result.notes.append("frames read by Slicer's sequence reader (vtkMRMLVolumeSequenceStorageNode)")
        return sequence
    result.notes.append(
        "Slicer's sequence reader (vtkMRMLVolumeSequenceStorageNode) could not read it "
        f"({_messages_text(storage.GetUserMessages())}): the frames were read with nibabel"
    )
    scene.RemoveNode(storage)
    scene.RemoveNode(sequence)
    return None


def _build_sequence_with_nibabel(source, scene):
    sequence = scene.AddNewNodeByClass("vtkMRMLSequenceNode", scene.GenerateUniqueName(source.name))
    sequence.SetIndexName("frame")
    sequence.SetIndexUnit("")
    sequence.SetIndexType(sequence.NumericIndex)
    for frame in range(source.layout.frames):
        sequence.SetDataNodeAtValue(source.node(frame), str(frame))  # the sequence keeps a copy
    return sequence


def _browse(scene, sequence, name, result):
    """A sequence browser of ``sequence`` and its proxy volume node, as Slicer's sequence reader adds them."""
    sequences_logic = _sequences_logic(scene)  # registers the browser node class in a scene outside Slicer
    browser = scene.AddNewNodeByClass("vtkMRMLSequenceBrowserNode", scene.GenerateUniqueName(f"{name} browser"))
    set_primary = getattr(browser, "SetAndObservePrimarySequenceNodeID", None)
    set_primary = set_primary or browser.SetAndObserveMasterSequenceNodeID  # Slicer before 5.9
    set_primary(sequence.GetID())
    sequences_logic.UpdateProxyNodesFromSequences(browser)
    proxy = browser.GetProxyNode(sequence)
    if proxy is not None:
        if proxy.GetDisplayNode() is None:
            proxy.CreateDefaultDisplayNodes()
        result.volumes.append(proxy)
    result.sequence, result.browser = sequence, browser


def _checked_frames(frames, layout, path):
    if layout.frame is None:
        raise LoadError(path, f"frames {list(frames)} were asked for, but it is one volume (shape {layout.shape})")
    chosen = [int(frame) for frame in frames]
    if not chosen:
        raise LoadError(path, "frames=[] asks for no frame")
    wrong = [frame for frame in chosen if not 0 <= frame < layout.frames]
    if wrong:
        raise LoadError(path, f"it has frames 0 to {layout.frames - 1}; there is no frame {wrong[0]}")
    return chosen


def _load_frames(source, scene, frames, result):
    result.volumes.extend(source.node(frame, scene) for frame in frames)
    result.notes.append("the frames were read with nibabel")


def _load_sequence(source, scene, plugin, result):
    layout = source.layout
    # Slicer's sequence reader would take the frames along the last axis: not for MINC's time-first files.
    last_axis_frames = layout.frame == max(set(range(len(layout.shape))) - set(layout.dropped))
    sequence = _read_sequence_with_slicer(source, scene, result) if plugin and last_axis_frames else None
    if sequence is None:
        sequence = _build_sequence_with_nibabel(source, scene)
    else:
        result.reader = "slicer"
    _browse(scene, sequence, source.name, result)


def _load_one_volume(source, scene, plugin, use_plugin, result):
    if not plugin or source.layout.component is not None:
        if plugin:
            result.notes.append("Slicer's volume reader takes no 5-D files: read with nibabel")
        result.volumes.append(source.node(scene=scene))
        return
    before = _node_ids(scene)
    try:
        _load_with_slicer(source, scene, result)
    except _SlicerReaderFailed as failure:
        if use_plugin:
            raise LoadError(source.path, str(failure)) from None
        _remove_new_nodes(scene, before)
        result.warnings.append(f"{failure}; it was read with nibabel instead")
        try:
            result.volumes.append(source.node(scene=scene))
        except LoadError as error:
            raise LoadError(source.path, f"{error.reason}; and {failure}") from error


def load_volume(path, scene, *, frames=None, use_plugin=None, name=None):
    """Loads ``path`` into ``scene``; returns a ``LoadResult`` (its ``volumes``, ``sequence``, ``warnings``, ...).

    ``frames``: None loads everything (a 4-D file as a sequence); a list of frame numbers of a 4-D file loads only
    those, each as its own volume node, named ``<name>_<frame:04d>``.
    ``use_plugin``: whether Slicer's own reader (its ITK with NiBridge's plugin) reads the file. None: if the plugin is
    in ``ITK_AUTOLOAD_PATH``, and if that fails (or places the volume elsewhere than nibabel does), nibabel reads it,
    with a warning. True: Slicer's reader must read it (``LoadError`` otherwise). False: nibabel reads it.
    Slicer's volume reader takes 3-D volumes only, so frames and vector volumes of a 5-D file are read with nibabel
    whatever ``use_plugin`` says; a 4-D file goes to Slicer's sequence reader first (see
    ``_read_sequence_with_slicer``: in Slicer 5.x it reads NRRD only, so nibabel builds the sequence).
    ``name``: the node name (default: the file name without its format's ending).

    Raises ``LoadError`` naming the file and the reason; the scene is then as it was.
    """
    path = os.fspath(path)
    _check_readable(path)
    image = _open(path)
    layout = _layout(image, path)
    affine = _checked_affine(image, path)
    ijk_to_ras, flipped = slicer_ijk_to_ras(affine, layout.spatial_shape)
    source = _Source(path, image, layout, ijk_to_ras, flipped, name or volume_name(path))
    chosen = _checked_frames(frames, layout, path) if frames is not None else None
    plugin = plugin_directory() is not None if use_plugin is None else bool(use_plugin)
    kind = "frames" if chosen is not None else "sequence" if layout.frame is not None else "volume"
    result = LoadResult(path=path, kind=kind, volumes=[], flipped_k=flipped)
    if shear_of(affine) > SHEAR_TOLERANCE:
        result.warnings.append(_shear_warning(affine))
    if flipped:
        result.notes.append("the affine is left-handed: the k axis was reversed (Slicer's right-handed rule)")

    before = _node_ids(scene)
    try:
        if chosen is not None:
            _load_frames(source, scene, chosen, result)
        elif layout.frame is not None:
            _load_sequence(source, scene, plugin, result)
        else:
            _load_one_volume(source, scene, plugin, use_plugin, result)
    except BaseException:
        _remove_new_nodes(scene, before)
        raise
    for warning in result.warnings:
        LOGGER.warning("%s: %s", path, warning)
    return result


# -- writing -----------------------------------------------------------------------------------------------------------


def _output_format(path):
    ending, file_format = _ending_in(path, _OUTPUT_FORMATS)
    if file_format is not None:
        return ending, file_format
    endings = ", ".join(ending for ending, _ in _OUTPUT_FORMATS)
    raise SaveError(path, f"unknown file type: the name must end in {endings} (MGH/MGZ or NIfTI-2)")


def _mgh_values(values, path, allow_lossy_cast):
    """``values`` in a dtype MGH holds: the first one that keeps every value, or float32 when allowed."""
    if values.dtype in _MGH_DTYPES:
        return values
    for dtype in _MGH_DTYPES:
        if values.dtype.kind in "iub" and dtype.kind == "f":
            break  # integers beyond int32 do not go to float32 silently
        with np.errstate(all="ignore"):
            converted = values.astype(dtype)
        if np.array_equal(converted, values, equal_nan=values.dtype.kind == "f"):
            return converted
    if allow_lossy_cast:
        return values.astype(np.float32)
    raise SaveError(
        path,
        f"MGH holds uint8, int16, int32 and float32 voxels, and these {values.dtype} values do not all fit any of "
        "them; save as NIfTI-2 (.nii, .nii.gz), which keeps them, or pass allow_lossy_cast=True for float32",
    )


def _image_to_write(node, path, file_format, allow_lossy_cast):
    nibabel = _nibabel()
    values = array_from_volume_node(node)
    affine = ijk_to_ras_from_node(node)
    vector_type = node.GetVoxelVectorType() if hasattr(node, "GetVoxelVectorType") else None
    if file_format == "MGH":
        if values.ndim == 4:
            raise SaveError(path, f"MGH holds no vector voxels ({values.shape[3]} components); save as NIfTI-2")
        image = nibabel.MGHImage(_mgh_values(values, path, allow_lossy_cast), affine)
    else:
        if values.ndim == 4:
            colors = {
                node.VoxelVectorTypeColorRGB: ("R", "G", "B"),
                node.VoxelVectorTypeColorRGBA: ("R", "G", "B", "A"),
            }
            fields = colors.get(vector_type) if values.dtype == np.uint8 else None
            if fields is not None and len(fields) == values.shape[3]:
                values = recfunctions.unstructured_to_structured(
                    np.ascontiguousarray(values), dtype=np.dtype([(field, np.uint8) for field in fields])
                )
                image = nibabel.Nifti2Image(values, affine)
            else:
                image = nibabel.Nifti2Image(values[:, :, :, np.newaxis, :], affine)
                image.header.set_intent("vector")
        else:
            image = nibabel.Nifti2Image(values, affine)
        image.header.set_xyzt_units("mm")
    return image


def save_volume(node, path, *, overwrite=False, allow_lossy_cast=False):
    """Writes the volume node ``node`` to ``path``: MGH (``.mgh``, ``.mgz``) or NIfTI-2 (``.nii``, ``.nii.gz``).

    The affine is the node's IJKToRAS matrix and the voxels keep their values and dtype (NIfTI-2 holds every dtype
    a Slicer volume has; MGH holds uint8, int16, int32 and float32, so other values are converted only where every
    value survives, or to float32 with ``allow_lossy_cast``). Vector volumes go to NIfTI-2 only: RGB(A) voxels as
    nibabel's RGB(A) dtypes, others as (i, j, k, 1, c) with the vector intent.

    The file is written under a temporary name in the same folder, then renamed: a reader never sees half a file, and
    a failed write leaves nothing. An existing file is replaced only with ``overwrite=True``. Raises ``SaveError``
    naming the file and the reason. Returns ``path``.
    """
    path = os.fspath(path)
    ending, file_format = _output_format(path)
    if node is None or not node.IsA("vtkMRMLVolumeNode"):
        kind = node.GetClassName() if node is not None else "None"
        raise SaveError(path, f"only volume nodes are written, not {kind}")
    if node.GetImageData() is None or node.GetImageData().GetPointData().GetScalars() is None:
        raise SaveError(path, f"the node {node.GetName()!r} has no voxels")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SaveError(path, f"the folder {folder} does not exist")
    if os.path.lexists(path) and not overwrite:
        raise SaveError(path, "the file exists (pass overwrite=True to replace it)")
    image = _image_to_write(node, path, file_format, allow_lossy_cast)
    # Same folder (so the rename is atomic), hidden, and ending like the output (nibabel picks the format by it).
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.partial{ending}")
    try:
        image.to_filename(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, Exception):
            raise SaveError(path, f"writing failed ({type(error).__name__}: {error})") from error
        raise
    return path
