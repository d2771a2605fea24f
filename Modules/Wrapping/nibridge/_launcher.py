"""Console entry points that run the C++ tools shipped inside the package."""

import os
import sys
from pathlib import Path


def _run(tool):
    executable = Path(__file__).resolve().parent / "bin" / tool
    if not executable.is_file():
        sys.exit(f"{tool}: the compiled tool is missing from the nibridge package ({executable.name}); reinstall it")
    os.execv(executable, [str(executable), *sys.argv[1:]])


def ni2npy():
    """Runs ni2npy with this process's arguments."""
    _run("ni2npy")
