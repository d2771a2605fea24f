"""Loads files with NiBridgeLoader's logic into fresh MRML scenes and saves what the nodes hold, one .npz a file.

Run by test_nibridge_loader_logic.py as a child process, so that the test decides the child's ITK_AUTOLOAD_PATH:
ITK reads it once per process, and slicer-core's ITK must not see NiBridge's plugin in the test process itself.

Usage: python load_into_scene.py OUTPUT_FOLDER {auto,yes,no} FILE...

OUTPUT_FOLDER/<n>.npz for the n-th FILE holds ``meta`` (JSON text: kind, reader, flipped_k, warnings, notes, the
error of a failed load, the nodes' classes, names and voxel vector types, the sequence's index values, and the number
of nodes the scene gained) and, for the n-th volume node (the volume, the chosen frames, or the sequence's frames in
order), ``array_<n>`` (its voxels in nibabel's (i, j, k[, c]) order) and ``ijk_to_ras_<n>``.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

# The module's folder: NIBRIDGE_SLICER_MODULE_DIR if set, else ../NiBridgeLoader (as the tests find it).
MODULE_DIR = os.environ.get("NIBRIDGE_SLICER_MODULE_DIR") or str(
    Path(__file__).resolve().parents[2] / "Modules" / "Slicer" / "NiBridgeLoader"
)
sys.path.insert(0, MODULE_DIR)

import slicer_core  # noqa: E402
from NiBridgeLoaderLib import logic  # noqa: E402

USE_PLUGIN = {"auto": None, "yes": True, "no": False}


def describe(node):
    return {
        "class": node.GetClassName(),
        "name": node.GetName(),
        "vector_type": node.GetVoxelVectorTypeAsString(node.GetVoxelVectorType()),
    }


def dump(path, output, use_plugin):
    scene = slicer_core.vtkMRMLScene()
    before = scene.GetNumberOfNodes()
    meta, arrays = {"path": str(path)}, {}
    try:
        result = logic.load_volume(path, scene, use_plugin=use_plugin)
    except logic.LoadError as error:
        meta["error"] = str(error)
        meta["nodes_added"] = scene.GetNumberOfNodes() - before
        np.savez(output, meta=json.dumps(meta))
        return
    nodes = list(result.volumes)
    if result.sequence is not None:
        sequence = result.sequence
        nodes = [sequence.GetNthDataNode(index) for index in range(sequence.GetNumberOfDataNodes())]
        meta["index_values"] = [sequence.GetNthIndexValue(index) for index in range(sequence.GetNumberOfDataNodes())]
        meta["proxy"] = describe(result.volumes[0]) if result.volumes else None
    meta.update(
        kind=result.kind,
        reader=result.reader,
        flipped_k=result.flipped_k,
        warnings=result.warnings,
        notes=result.notes,
        nodes=[describe(node) for node in nodes],
    )
    for index, node in enumerate(nodes):
        arrays[f"array_{index}"] = logic.array_from_volume_node(node)
        arrays[f"ijk_to_ras_{index}"] = logic.ijk_to_ras_from_node(node)
    np.savez(output, meta=json.dumps(meta), **arrays)


def main(argv=None):
    arguments = sys.argv[1:] if argv is None else argv
    output, use_plugin, paths = Path(arguments[0]), USE_PLUGIN[arguments[1]], arguments[2:]
    output.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(paths):
        dump(path, output / f"{index}.npz", use_plugin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
