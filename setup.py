"""Thin build script: the metadata is in pyproject.toml.

`pip install .` configures and builds the C++ project with CMake (against the installed ITK) and
ships its command-line tools inside the `nibridge` package; `ni2npy` is then on PATH.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE_DIR = Path(__file__).resolve().parent
TOOLS = ("ni2npy",)


class BuildWithCMake(build_py):
    """Runs the CMake build of the tools, then copies them into the package."""

    def run(self):
        super().run()
        build_dir = Path(self.get_finalized_command("build").build_temp) / "cmake"
        subprocess.run(
            [
                "cmake",
                "-S",
                str(SOURCE_DIR),
                "-B",
                str(build_dir),
                "-DCMAKE_BUILD_TYPE=Release",
                "-DNiBridge_BUILD_TESTING=OFF",
                "-DNiBridge_SHARED_CORE=OFF",
                f"-DPython3_EXECUTABLE={sys.executable}",
            ],
            check=True,
        )
        subprocess.run(["cmake", "--build", str(build_dir), "-j2", "--target", *TOOLS], check=True)
        package_bin = Path(self.build_lib) / "nibridge" / "bin"
        package_bin.mkdir(parents=True, exist_ok=True)
        for tool in TOOLS:
            shutil.copy2(build_dir / "bin" / tool, package_bin / tool)


setup(cmdclass={"build_py": BuildWithCMake})
