"""The Slicer module's tests: the module's folder on sys.path before any test file imports NiBridgeLoaderLib.

NIBRIDGE_SLICER_MODULE_DIR names it (CTest sets it; the child processes of the tests get the same variable), else
Modules/Slicer/NiBridgeLoader of this repository.
"""

import os
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
MODULE_DIR = Path(os.environ.get("NIBRIDGE_SLICER_MODULE_DIR") or SOURCE / "Modules" / "Slicer" / "NiBridgeLoader")
sys.path.insert(0, str(MODULE_DIR))
