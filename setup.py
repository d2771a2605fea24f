"""Thin build script: the metadata is in pyproject.toml.

`pip install .` configures and builds the C++ project with CMake (against the installed ITK) and
ships the extension `nibridge._core` and the command-line tools inside the `nibridge` package;
`ni2npy` is then on PATH.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

SOURCE_DIR = Path(__file__).resolve().parent
TOOLS = ("ni2npy", "nibridge-itk-reader")  # the second: the helper process of ITK's readers (NiBridgeIsolatedImageIO)
# Loaded by the tools at run time, found at the same place relative to them as in the build tree.
MODULES = ("ni2npyImageIOs",)
EXTENSION = "_core"


class BuildWithCMake(build_py):
    """Runs the CMake build of the extension and the tools, then copies them into the package."""

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
                "-DNiBridge_SHARED_LIBS=OFF",
                f"-DPython3_EXECUTABLE={sys.executable}",
            ],
            check=True,
        )
        subprocess.run(["cmake", "--build", str(build_dir), "-j2", "--target", EXTENSION, *TOOLS, *MODULES], check=True)
        package = Path(self.build_lib) / "nibridge"
        built = [build_dir / "bin" / tool for tool in TOOLS]
        built += [path for module in MODULES for path in build_dir.glob(f"**/nibridge/{module}.so")]
        for path in built:
            target = package / path.relative_to(build_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        # The extension is built into <build>/python/nibridge, the package's place in the build tree, beside the
        # one nibabel-side module, which NiBridgePython compiles in too.
        for path in (build_dir / "python" / "nibridge").glob(f"{EXTENSION}.*.so"):
            shutil.copy2(path, package / path.name)
        shutil.copy2(
            SOURCE_DIR / "Modules" / "PythonBridge" / "python" / "nibridge_nibabel_io.py", package / "_nibabel_io.py"
        )


class BinaryDistribution(Distribution):
    """The package carries compiled code: its wheel is tagged for this platform and Python."""

    def has_ext_modules(self):
        return True


# setuptools' default "build/" is the CMake build directory of the README's commands: keep apart.
setup(
    cmdclass={"build_py": BuildWithCMake},
    distclass=BinaryDistribution,
    options={"build": {"build_base": "build-python"}},
)
