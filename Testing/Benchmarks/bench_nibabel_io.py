"""Benchmark reading nibabel formats through NiBridge's embedded Python.

The figures DESIGN.md holds the nibabel bridge to, measured side by side in one run:

* the first nibabel read in a fresh process (interpreter start and imports) costs at most 300 ms
  more than reading the same volume with no Python at all: ``ni2npy IN.mnc`` (MINC, which only
  nibabel reads; nibabel's own ``minc1_1_scale.mnc``) against ``ni2npy IN.nii`` of its values
  (NIfTI-1 and MGH are read natively, without Python), both small, both fresh processes;
* later reads cost at most 2 ms more per file: one process reads N ``.mgz`` files through
  NiBabelImageIO and N ``.nii`` files of the same volumes through ITK's NIfTI reader
  (``nibridge-bench-read-many``), the first read of each kind left out;
* ``ni2npy`` on a 256^3 ``.mgz`` to float64 ``.npy`` is at least 3x faster than the nibabel
  script doing the same (``load``, ``get_fdata``, ``numpy.save`` in a fresh Python); ni2npy reads
  MGH natively now, so this is bench_ni2npy.py's figure again, kept for continuity.

Every figure is the best of ``--repeat`` runs after a warm-up, on a warm page cache. ni2npy's
output is checked against nibabel first; a wrong result fails the run (exit 1). Missed targets are
reported, not failures. Run it by hand or with ``ctest -C Benchmark -L benchmark``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel
import numpy as np
from bench_common import BenchmarkError

FIRST_READ_TARGET = 0.300  # seconds of extra cost, at most
LATER_READ_TARGET = 0.002  # seconds of extra cost per file, at most
NIBABEL_TARGET = 3.0  # nibabel script / ni2npy, at least
NIBABEL_SCRIPT = "import sys, nibabel, numpy; img = nibabel.load(sys.argv[1]); numpy.save(sys.argv[2], img.get_fdata())"


def _get_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ni2npy", default=os.environ.get("NI2NPY"), help="the ni2npy to measure (env NI2NPY)")
    parser.add_argument(
        "--read-many",
        default=os.environ.get("NIBRIDGE_READ_MANY"),
        help="the nibridge-bench-read-many tool (env NIBRIDGE_READ_MANY)",
    )
    parser.add_argument("--size", type=int, default=256, help="edge of the large cubic volume (default 256)")
    parser.add_argument("--files", type=int, default=40, help="number of small files read in one process")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command, after one warm-up")
    parser.add_argument("--workdir", default=None, help="where the temporary directory is made")
    return parser


def run(command):
    result = subprocess.run([str(part) for part in command], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchmarkError(f"{command[0]} failed: {result.stderr.strip()}")
    return result.stdout


def best_seconds(command, repeat):
    """The fastest of `repeat` runs of a command (after one warm-up), in a fresh process each."""
    run(command)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(command)
        timings.append(time.perf_counter() - start)
    return min(timings)


def volume(shape, seed):
    rng = np.random.default_rng(seed)
    axes = [np.linspace(-1.0, 1.0, n) for n in shape]
    grid = sum(axis.reshape([-1 if i == d else 1 for i in range(3)]) ** 2 for d, axis in enumerate(axes))
    return (1000.0 * np.exp(-3.0 * grid) + rng.normal(0.0, 20.0, shape)).astype(np.int16)


def save_both(directory, name, data):
    """The same volume as .mgz (nibabel's reader) and .nii (ITK's and ni2npy's native reader)."""
    affine = np.array([[-1.0, 0.0, 0.0, 90.0], [0.0, 0.0, 1.0, -126.0], [0.0, -1.0, 0.0, 72.0], [0.0, 0.0, 0.0, 1.0]])
    mgz = directory / f"{name}.mgz"
    nii = directory / f"{name}.nii"
    nibabel.save(nibabel.MGHImage(data, affine), mgz)
    nibabel.save(nibabel.Nifti1Image(data, affine), nii)
    return mgz, nii


def verdict(value, target, at_least):
    return "PASS" if (value >= target if at_least else value <= target) else "MISS"


def first_read(arguments, directory):
    """The first read in a fresh process: ni2npy on a MINC file (Python starts) against its values as .nii."""
    from nibabel.testing import data_path  # noqa: PLC0415 -- the benchmark's one shipped input

    small_minc = directory / "small.mnc"
    small_minc.write_bytes((Path(data_path) / "minc1_1_scale.mnc").read_bytes())
    minc = nibabel.load(small_minc)
    small_nii = directory / "small-minc-values.nii"
    nibabel.save(nibabel.Nifti1Image(np.asfortranarray(minc.get_fdata()), minc.affine), small_nii)
    output = directory / "out.npy"
    with_python = best_seconds([arguments.ni2npy, "--force", small_minc, output], arguments.repeat)
    np.testing.assert_array_equal(np.load(output), minc.get_fdata())
    without_python = best_seconds([arguments.ni2npy, "--force", small_nii, output], arguments.repeat)
    extra = with_python - without_python
    outcome = verdict(extra, FIRST_READ_TARGET, at_least=False)
    print(f"\n== first nibabel read in a fresh process (ni2npy, MINC1 {minc.shape})")
    print(f"  ni2npy small.mnc (Python starts, imports nibabel) {with_python:8.3f} s")
    print(f"  ni2npy small.nii (native, no Python)              {without_python:8.3f} s")
    print(f"  extra cost of the first read  {extra * 1e3:8.1f} ms   target <= 300 ms   {outcome}")
    return outcome


def later_reads(arguments, directory):
    """Per-file cost in one process: N .mgz through NiBabelImageIO against N .nii through ITK."""
    pairs = [
        save_both(directory, f"series{index:03d}", volume((32, 32, 32), index)) for index in range(arguments.files)
    ]
    best_mgz = best_nii = float("inf")
    for _ in range(arguments.repeat):
        mgz_lines = [line for line in run([arguments.read_many, *(pair[0] for pair in pairs)]).split("\n") if line]
        nii_lines = [line for line in run([arguments.read_many, *(pair[1] for pair in pairs)]).split("\n") if line]
        if not all("NiBabel" in line for line in mgz_lines):
            raise BenchmarkError("the .mgz files were not read by NiBabelImageIO")
        mgz_times = [float(line.split()[0]) for line in mgz_lines]
        nii_times = [float(line.split()[0]) for line in nii_lines]
        best_mgz = min(best_mgz, sum(mgz_times[1:]) / (len(mgz_times) - 1))
        best_nii = min(best_nii, sum(nii_times[1:]) / (len(nii_times) - 1))
    extra = best_mgz - best_nii
    outcome = verdict(extra, LATER_READ_TARGET, at_least=False)
    print(f"\n== later reads in one process ({arguments.files} files of 32^3 int16, the first left out)")
    print(f"  per .mgz file, NiBabelImageIO    {best_mgz * 1e3:8.3f} ms")
    print(f"  per .nii file, ITK NiftiImageIO  {best_nii * 1e3:8.3f} ms")
    print(f"  extra cost per file           {extra * 1e3:8.3f} ms   target <= 2 ms     {outcome}")
    return outcome


def large_conversion(arguments, directory):
    """ni2npy on a large .mgz against the nibabel script, both in fresh processes."""
    large_mgz, _ = save_both(directory, "large", volume((arguments.size,) * 3, 7))
    output = directory / "out.npy"
    ni2npy_seconds = best_seconds([arguments.ni2npy, "--force", large_mgz, output], arguments.repeat)
    np.testing.assert_array_equal(np.load(output), nibabel.load(large_mgz).get_fdata())
    script_seconds = best_seconds([sys.executable, "-c", NIBABEL_SCRIPT, large_mgz, output], arguments.repeat)
    ratio = script_seconds / ni2npy_seconds
    outcome = verdict(ratio, NIBABEL_TARGET, at_least=True)
    print(f"\n== ni2npy on a {arguments.size}^3 int16 .mgz to float64 .npy")
    print(f"  ni2npy                                   {ni2npy_seconds:8.3f} s")
    print(f"  nibabel script (load, get_fdata, save)   {script_seconds:8.3f} s")
    print(f"  nibabel script / ni2npy        {ratio:6.2f}x   target >= 3x       {outcome}")
    return outcome


def main(argv=None):
    arguments = _get_parser().parse_args(argv)
    if not arguments.ni2npy or not arguments.read_many:
        _get_parser().error("--ni2npy and --read-many (or NI2NPY and NIBRIDGE_READ_MANY) are required")
    print("nibabel-format benchmark: NiBridge's embedded Python against native reads and the nibabel script")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; Python {platform.python_version()}, ", end="")
    print(f"numpy {np.__version__}, nibabel {nibabel.__version__}; load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="nibridge-bench-", dir=arguments.workdir) as temporary:
        directory = Path(temporary)
        outcomes = [measure(arguments, directory) for measure in (first_read, later_reads, large_conversion)]
    print(f"\n{outcomes.count('PASS')} of {len(outcomes)} targets met")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as error:
        print(f"bench_nibabel_io: error: {error}", file=sys.stderr)
        sys.exit(1)
