"""NiBridge: ITK images, NumPy arrays and nibabel formats.

This package ships the `ni2npy` converter (built from the C++ sources by `pip install .`).
The Python bindings (`nibridge._core`, zero-copy views, interop) are not written yet.
"""

__version__ = "0.1.0"
