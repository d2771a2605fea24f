"""NiBridgeLoader's logic, importable without Qt (Slicer's Python, or any Python with slicer-core)."""

from .logic import (
    LoadError,
    LoadResult,
    NiBridgeLoaderError,
    SaveError,
    array_from_volume_node,
    ijk_to_ras_from_node,
    load_volume,
    plugin_directory,
    reader_confidence,
    save_volume,
    shear_of,
    slicer_ijk_to_ras,
    volume_name,
)

__all__ = [
    "LoadError",
    "LoadResult",
    "NiBridgeLoaderError",
    "SaveError",
    "array_from_volume_node",
    "ijk_to_ras_from_node",
    "load_volume",
    "plugin_directory",
    "reader_confidence",
    "save_volume",
    "shear_of",
    "slicer_ijk_to_ras",
    "volume_name",
]
