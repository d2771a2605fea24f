"""The top-level file of the module's layout, kept thin: the `nibridge` package is built by scikit-build-core, whose
configuration and the package's metadata are in pyproject.toml. Build and install it with `pip install .`."""

import sys

if __name__ == "__main__":
    sys.exit("setup.py: build the nibridge package with `pip install .` (scikit-build-core, see pyproject.toml)")
