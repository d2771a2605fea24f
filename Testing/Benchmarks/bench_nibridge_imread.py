"""Benchmark nibridge.imread against nibabel and SimpleITK, in one process.

The figure DESIGN.md holds ``nibridge.imread`` to, measured side by side in one
process on the same files, as ratios: reading a 256^3 ``.nii.gz`` or ``.mgz``
into a NumPy array is at least 2x faster than ``nibabel.load(f).get_fdata()``
and at least 2x faster than SimpleITK's ``ReadImage`` + ``GetArrayFromImage``.

What is timed, one call each, the array made and dropped:

* nibridge: ``nibridge.imread(f, values="float64")`` and
  ``nibridge.array_view_from_image(image)``: get_fdata's values (float64), with
  the image's geometry. Where this nibridge has no ``values`` keyword yet
  (TypeError), ``nibridge.imread(f)``, its own pixel type; the printout says so;
* nibabel: ``nibabel.load(f).get_fdata()``;
* SimpleITK: ``GetArrayFromImage(ReadImage(f))``, its own pixel type; n/a where
  it cannot read the file (tried on each input) or is not installed.

The inputs are bench_ni2npy.py's, generated the same way (a head-like volume as
scaled int16 and as float32, gzipped at ``--compresslevel``). nibridge's values
are checked against ``get_fdata()`` on every input before anything is timed: a
wrong result fails the run (exit status 1). Every figure is the best of
``--repeat`` runs after one warm-up, the readers taking turns, on a warm page
cache. Missed targets are reported, not failures (exit status 0). Run it by
hand or with ``ctest -C Benchmark -L benchmark``; see README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nibabel
import numpy as np
from bench_common import (
    MIB,
    BenchmarkError,
    Timing,
    add_input_arguments,
    load_average_line,
    machine_line,
    targets_met_line,
    verdict,
)
from bench_ni2npy import Case, make_inputs

try:
    import nibridge
except ImportError as missing:
    print(f"bench_nibridge_imread: nibridge is not importable (PYTHONPATH=BUILD/python): {missing}", file=sys.stderr)
    sys.exit(2)

try:
    import SimpleITK as sitk
except ImportError:
    sitk = None

NIBABEL_TARGET = 2.0  # nibabel.load().get_fdata() / nibridge.imread, at least
SITK_TARGET = 2.0  # SimpleITK ReadImage + GetArrayFromImage / nibridge.imread, at least
IMREAD_FORMATS = ("nii.gz", "mgz")


@dataclasses.dataclass
class Reader:
    """One contender: `read` makes the array of a file."""

    key: str
    label: str
    read: Callable[[str], np.ndarray]


def _get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_input_arguments(
        parser,
        IMREAD_FORMATS,
        "formats of the generated inputs (both): NIfTI-1 .nii.gz, MGH .mgz",
        "timed runs per reader, after one warm-up (5)",
        "gzip level of the inputs (6, as bench_ni2npy.py)",
    )
    return parser


def _line(message: str, index: int) -> str:
    """One line of an error message: pybind11 says what is wrong in its first, SimpleITK in its last (the
    first only says where it was thrown)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[index] if lines else "(no message)"


# -- The readers --------------------------------------------------------------------------------


def _nibridge_reader(probe: Path) -> tuple[Reader, str | None]:
    """nibridge's reader, with values="float64" if this nibridge has it; and a note when it has not.

    `probe` is read once to find out: an imread without the keyword raises TypeError.
    """

    def read_float64(path: str) -> np.ndarray:
        return nibridge.array_view_from_image(nibridge.imread(path, values="float64"))

    def read_own_type(path: str) -> np.ndarray:
        return nibridge.array_view_from_image(nibridge.imread(path))

    try:
        read_float64(str(probe))
    except TypeError as error:
        note = (
            f'nibridge.imread(f, values="float64") raised TypeError ({_line(str(error), 0)}): timing '
            "nibridge.imread(f), the file's own pixel type, instead of the float64 read"
        )
        return Reader("nibridge", "nibridge.imread(f) + array_view_from_image", read_own_type), note
    label = 'nibridge.imread(f, values="float64") + array_view_from_image'
    return Reader("nibridge", label, read_float64), None


def _nibabel_read(path: str) -> np.ndarray:
    return nibabel.load(path).get_fdata()


def _sitk_read(path: str) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(path))


# -- Checks -------------------------------------------------------------------------------------


def check_nibridge(case: Case, reader: Reader, float64: bool, expected: np.ndarray) -> str:
    """Fails unless nibridge's array is get_fdata()'s values (exactly, for the float64 read); returns a note."""
    # array_view_from_image's (k, j, i) C-order array is the transpose of get_fdata()'s (i, j, k).
    array = reader.read(str(case.path)).T
    if array.shape != expected.shape:
        raise BenchmarkError(
            f"{reader.label} on the {case.title} input: shape {array.shape} (reversed), get_fdata()'s {expected.shape}"
        )
    if float64:
        if array.dtype != np.float64 or not np.array_equal(array, expected):
            raise BenchmarkError(
                f"{reader.label} on the {case.title} input differs from nibabel's get_fdata() "
                f"(dtype {array.dtype}); a benchmark of a wrong result is worthless"
            )
        return "nibridge's values equal get_fdata()"
    # The file's own pixel type: get_fdata()'s values up to that type's rounding, or the result is wrong.
    tolerance = float(np.finfo(array.dtype).eps) * 4 if np.issubdtype(array.dtype, np.floating) else 0.0
    if not np.allclose(array, expected, rtol=tolerance, atol=0.0):
        raise BenchmarkError(
            f"{reader.label} on the {case.title} input ({array.dtype}) is not get_fdata()'s values up to its "
            "rounding; a benchmark of a wrong result is worthless"
        )
    difference = float(np.max(np.abs(array.astype(np.float64) - expected)))
    if difference == 0:
        return f"nibridge's values ({array.dtype}) equal get_fdata()"
    return f"nibridge's values ({array.dtype}) differ from get_fdata() by up to {difference:.3g}"


def check_sitk(case: Case, expected: np.ndarray) -> tuple[bool, str]:
    """Whether SimpleITK reads the input, and a note on what it reads (it is not held to get_fdata())."""
    if sitk is None:
        return False, "SimpleITK is not installed in this Python: its column is n/a"
    try:
        array = _sitk_read(str(case.path))
    except RuntimeError as error:
        return False, f"SimpleITK cannot read this input, n/a: {_line(str(error), -1)}"
    # SimpleITK's array is in (k, j, i) order.
    array = array.T
    if array.shape != expected.shape:
        return True, f"SimpleITK's array shape {array.shape} (reversed) differs from get_fdata()'s {expected.shape}"
    difference = float(np.max(np.abs(array.astype(np.float64) - expected)))
    if difference == 0:
        return True, f"SimpleITK's values ({array.dtype}) equal get_fdata()"
    return True, f"SimpleITK's values ({array.dtype}) differ from get_fdata() by up to {difference:.3g}"


# -- Timing and report ----------------------------------------------------------------------------


def measure(readers: list[Reader], path: str, repeat: int) -> dict[str, Timing]:
    """One warm-up read each, then `repeat` rounds in which the readers take turns."""
    timings = {reader.key: Timing(reader.label) for reader in readers}
    for reader in readers:
        reader.read(path)
    for _ in range(repeat):
        for reader in readers:
            start, cpu_start = time.perf_counter(), time.process_time()
            array = reader.read(path)
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
            del array  # freed outside the timed region
            timings[reader.key].seconds.append(seconds)
            timings[reader.key].cpu_seconds.append(cpu_seconds)
    return timings


def report_case(case: Case, timings: dict[str, Timing], notes: list[str]) -> list[bool]:
    """Prints one input's tables; returns the verdicts of its targets."""
    print(f"\n== {case.title} (file {case.file_bytes / MIB:.1f} MiB, image data {case.data_bytes / MIB:.1f} MiB)")
    print(f"  {'reader':<64} {'best s':>8} {'median s':>9} {'best CPU s':>11}")
    for timing in timings.values():
        print(f"  {timing.label:<64} {timing.best:>8.3f} {timing.median:>9.3f} {timing.best_cpu:>11.3f}")
    nibridge_best = timings["nibridge"].best
    rows = []
    for key, label, target in (
        ("nibabel", "nibabel.load().get_fdata() / nibridge", NIBABEL_TARGET),
        ("sitk", "SimpleITK ReadImage + GetArrayFromImage / nibridge", SITK_TARGET),
    ):
        if key in timings:
            value = timings[key].best / nibridge_best
            rows.append((label, f"{value:.2f}x", f">= {target}x", value >= target))
        else:
            rows.append((label, "n/a", f">= {target}x", None))
    print(f"  {'ratio':<64} {'value':>8} {'target':>9} {'verdict':>11}")
    for label, value, target, passed in rows:
        print(f"  {label:<64} {value:>8} {target:>9} {verdict(passed, value):>11}")
    for note in notes:
        print(f"  note: {note}")
    return [passed for *_, passed in rows if passed is not None]


def _print_header(arguments: argparse.Namespace, note: str | None) -> None:
    print(
        f"nibridge.imread benchmark: {arguments.size}^3 volume, best of {arguments.repeat} runs after one warm-up, "
        f"the readers taking turns, one process, warm page cache, gzip level {arguments.compresslevel}"
    )
    sitk_version = sitk.Version.VersionString() if sitk is not None else "not installed"
    print(machine_line(f"numpy {np.__version__}, nibabel {nibabel.__version__}, SimpleITK {sitk_version}"))
    print(f"nibridge: {Path(nibridge.__file__).parent}")
    if note is not None:
        print(f"note: {note}")
    print(load_average_line("start"))


def run(arguments: argparse.Namespace, scratch: Path) -> list[bool]:
    """Makes the inputs, checks every result, then times and reports each input; returns the verdicts."""
    cases = make_inputs(scratch, arguments.size, arguments.stored_types, arguments.compresslevel, arguments.formats)
    nibridge_reader, fallback_note = _nibridge_reader(cases[0].path)
    _print_header(arguments, fallback_note)
    # Every result first: a wrong one ends the run before anything is timed.
    plans = []
    for case in cases:
        expected = nibabel.load(case.path).get_fdata()
        notes = [check_nibridge(case, nibridge_reader, fallback_note is None, expected)]
        sitk_reads, sitk_note = check_sitk(case, expected)
        notes.append(sitk_note)
        readers = [nibridge_reader, Reader("nibabel", "nibabel.load(f).get_fdata()", _nibabel_read)]
        if sitk_reads:
            readers.append(Reader("sitk", "SimpleITK GetArrayFromImage(ReadImage(f))", _sitk_read))
        plans.append((case, readers, notes))
        del expected
    print(f"nibridge's values checked against get_fdata() on all {len(plans)} inputs")
    verdicts = []
    for case, readers, notes in plans:
        verdicts += report_case(case, measure(readers, str(case.path), arguments.repeat), notes)
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = _get_parser()
    arguments = parser.parse_args(argv)
    if arguments.size < 2 or arguments.repeat < 1:
        parser.error("--size must be at least 2 and --repeat at least 1")
    try:
        with tempfile.TemporaryDirectory(prefix="bench_imread-", dir=arguments.workdir) as scratch_name:
            verdicts = run(arguments, Path(scratch_name))
    except BenchmarkError as error:
        print(f"bench_nibridge_imread: error: {error}", file=sys.stderr)
        return 1
    print("\n" + load_average_line("end"))
    print(targets_met_line(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
