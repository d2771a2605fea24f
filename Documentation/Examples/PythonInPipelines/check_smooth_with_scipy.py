"""Runs nibridge-smooth-with-scipy on an .mgz that nibabel writes here, and checks its NIfTI output against the same
steps done in Python: nibabel reads, scipy.ndimage.gaussian_filter smooths, the result is compared voxel for voxel and
the affine with the input's.

Usage: check_smooth_with_scipy.py PROGRAM WORKDIR
"""

import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

try:
    import scipy.ndimage
except ImportError:
    sys.exit(
        "check_smooth_with_scipy: SciPy is not importable: "
        "python3 -m pip install -r requirements.txt installs the pinned one"
    )

SIGMA_MM = 2.5


def main(program: str, workdir: str) -> int:
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    source, output = folder / "brain.mgz", folder / "brain_smoothed.nii.gz"
    # A 3D int16 volume with an oblique affine of unequal voxel sizes: the geometry and the axes have to be right.
    rng = np.random.default_rng(11)
    data = rng.integers(-500, 3000, size=(40, 36, 28), dtype=np.int16)
    rotation = np.array([[0.8, -0.6, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([1.0, 1.25, 2.0])
    affine[:3, 3] = [-20.0, 15.5, -30.0]
    nib.MGHImage(data, affine).to_filename(source)

    run = subprocess.run(
        [program, str(source), str(output), str(SIGMA_MM)], capture_output=True, text=True, check=False
    )
    print(run.stdout, end="")
    if run.returncode != 0:
        print(run.stderr, end="", file=sys.stderr)
        print(f"FAILED: {program} exited with {run.returncode}")
        return 1

    # The same steps in Python.
    image = nib.load(source)
    voxels = np.asarray(image.dataobj).astype(np.float32)
    spacing = np.sqrt((image.affine[:3, :3] ** 2).sum(axis=0))
    expected = scipy.ndimage.gaussian_filter(voxels, sigma=SIGMA_MM / spacing)

    written = nib.load(output)
    result = np.asarray(written.dataobj)
    failures = 0
    checks = [
        (result.shape == expected.shape, f"shape {result.shape}, the input's"),
        (result.dtype == np.float32, f"dtype {result.dtype}"),
        (
            np.array_equal(result, expected),
            "values equal nibabel + scipy.ndimage.gaussian_filter in Python, voxel for voxel "
            f"(largest difference {np.abs(result.astype(float) - expected).max():.3g})",
        ),
        (
            np.allclose(written.affine, image.affine, rtol=0, atol=1e-5),
            "affine the input's (to the float32 of NIfTI's sform)",
        ),
        (not np.array_equal(result, voxels), "smoothing changed the image"),
    ]
    for condition, what in checks:
        print(("ok: " if condition else "FAILED: ") + what)
        failures += 0 if condition else 1
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
