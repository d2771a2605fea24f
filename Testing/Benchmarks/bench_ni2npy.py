"""Benchmark ni2npy against what it replaces and against the floor it works above.

The figures DESIGN.md holds ``ni2npy`` to, measured side by side in one run on
one machine, as ratios:

* at least 3x faster than the nibabel script that does the same job in a fresh
  Python process (``load``, ``get_fdata``, ``numpy.save``);
* at least 1.5x faster than ITK's own reader plus a write (the C++ anchor
  ``nibridge-bench-itk-anchor``);
* within 1.2x of the time to just decompress a ``.nii.gz`` input;
* peak memory at most (image data + output) + 5%.

The inputs are generated here with nibabel: a 256^3 head-like volume (smooth
tissue, Rician-like noise, a dark background), stored as scaled int16 (as
scanners write it: ``get_fdata`` multiplies and adds in float64) and as
float32, each as ``.nii`` and ``.nii.gz``. Every figure is the best of
``--repeat`` runs after one warm-up, on a warm page cache; outputs are removed
before each run so every tool writes a new file. ni2npy's output is checked
against ``get_fdata`` first: a wrong result fails the run (exit status 1).
Missed targets are reported, not failures (exit status 0).

Run it by hand or with ``ctest -C Benchmark -L benchmark``; see README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import nibabel
import numpy as np

NIBABEL_TARGET = 3.0  # nibabel script / ni2npy, at least
ANCHOR_TARGET = 1.5  # ITK anchor / ni2npy, at least
DECOMPRESS_TARGET = 1.2  # ni2npy / decompression, at most
MEMORY_MARGIN = 0.05  # peak RSS <= (image data + output) * (1 + margin)

# What a user types; sys.argv carries the file names so no quoting gets in the way.
NIBABEL_SCRIPT = "import sys, nibabel, numpy; img = nibabel.load(sys.argv[1]); numpy.save(sys.argv[2], img.get_fdata())"

# Scanner-like scaling (a Philips-style slope, a small offset); float32 in the header.
INT16_SLOPE = 1.2454
INT16_INTERCEPT = -3.5

MIB = 1024.0 * 1024.0


class BenchmarkError(RuntimeError):
    """A tool failed or produced a wrong result: the benchmark cannot stand."""


@dataclasses.dataclass
class Timing:
    """The runs of one command: wall seconds of each timed run, and its peak RSS if measured."""

    label: str
    seconds: list[float]
    peak_rss: int | None = None  # bytes
    rss_is_upper_bound: bool = False

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclasses.dataclass
class Case:
    """One input file and what is known about it."""

    stored_type: str
    path: Path
    compressed: bool
    data_bytes: int  # uncompressed image data: what a reader holds at worst
    file_bytes: int
    description: str


def _get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ni2npy",
        default=os.environ.get("NI2NPY"),
        help="the ni2npy executable; $NI2NPY when not given",
    )
    parser.add_argument(
        "--anchor",
        default=os.environ.get("NIBRIDGE_ITK_ANCHOR"),
        help="the nibridge-bench-itk-anchor executable; $NIBRIDGE_ITK_ANCHOR when not given "
        "(without it the ITK column is left out)",
    )
    parser.add_argument("--size", type=int, default=256, help="edge of the cubic volume (256)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command, after one warm-up (5)")
    parser.add_argument(
        "--workdir",
        default=None,
        help="where the temporary directory is made (default: the system's temporary directory)",
    )
    parser.add_argument(
        "--stored-types",
        nargs="+",
        choices=("int16", "float32"),
        default=["int16", "float32"],
        help="stored types of the generated inputs (both)",
    )
    parser.add_argument(
        "--compresslevel",
        type=int,
        choices=range(1, 10),
        default=6,
        metavar="1-9",
        help="gzip level of the .nii.gz inputs (6: gzip's, zlib's, FSL's and dcm2niix's default; "
        "nibabel itself writes 1)",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter that runs the nibabel script (this one)",
    )
    return parser


# -- Inputs ------------------------------------------------------------------------------------


def _head_like_volume(size: int, seed: int = 0) -> np.ndarray:
    """A float64 volume with the statistics of a T1 head scan: smooth tissue inside an
    ellipsoid (about 400 to 1200), Rician-like noise, a dark noisy background."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(-1.0, 1.0, size)
    x = axis[:, None, None]
    y = axis[None, :, None]
    z = axis[None, None, :]
    inside = (x / 0.80) ** 2 + (y / 0.92) ** 2 + (z / 0.85) ** 2 < 1.0
    tissue = 800.0 + 250.0 * np.cos(3.0 * x) * np.cos(2.5 * y) + 150.0 * np.sin(4.0 * z + x)
    signal = np.where(inside, tissue, 0.0)
    noise_real = rng.standard_normal(signal.shape, dtype=np.float32)
    noise_imaginary = rng.standard_normal(signal.shape, dtype=np.float32)
    return np.hypot(signal + 20.0 * noise_real, 20.0 * noise_imaginary)


def _affine(size: int) -> np.ndarray:
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    affine[:3, 3] = -0.5 * (size - 1)
    return affine


def _write_int16(volume: np.ndarray, path: Path) -> str:
    stored = np.round((volume - INT16_INTERCEPT) / INT16_SLOPE).astype(np.int16)
    image = nibabel.Nifti1Image(np.asfortranarray(stored), _affine(volume.shape[0]))
    image.header.set_data_dtype(np.int16)
    image.to_filename(path)
    # nibabel recomputes scl_slope/scl_inter when it saves: put the scanner's back into the header as stored
    # (a loaded image's header has its scaling and vox_offset reset, so read the raw header).
    with open(path, "r+b") as file:
        header = nibabel.Nifti1Header.from_fileobj(file)
        header.set_slope_inter(INT16_SLOPE, INT16_INTERCEPT)
        file.seek(0)
        file.write(header.binaryblock)
    # nibabel moves the scaling from a loaded image's header to its data proxy.
    proxy = nibabel.load(path).dataobj
    slope, intercept = proxy.slope, proxy.inter
    return f"int16, scl_slope {slope:.6g}, scl_inter {intercept:.6g}"


def _write_float32(volume: np.ndarray, path: Path) -> str:
    image = nibabel.Nifti1Image(np.asfortranarray(volume, dtype=np.float32), _affine(volume.shape[0]))
    image.header.set_data_dtype(np.float32)
    image.to_filename(path)
    return "float32, unscaled"


def make_inputs(directory: Path, size: int, stored_types: list[str], compresslevel: int) -> list[Case]:
    """Writes every input: for each stored type a .nii (by nibabel) and its .nii.gz.

    Each file gets a directory of its own: given "x.nii.gz", the NIfTI reference library
    (under ITK's NiftiImageIO) looks for "x.nii" first and, if it exists, reads the data
    from it, so a sibling would make the ITK anchor skip the decompression.
    """
    volume = _head_like_volume(size)
    writers = {"int16": _write_int16, "float32": _write_float32}
    cases = []
    for stored_type in stored_types:
        plain = directory / f"{stored_type}_nii" / "head.nii"
        compressed = directory / f"{stored_type}_nii_gz" / "head.nii.gz"
        plain.parent.mkdir()
        compressed.parent.mkdir()
        description = writers[stored_type](volume, plain)
        with open(plain, "rb") as source, gzip.open(compressed, "wb", compresslevel=compresslevel) as target:
            shutil.copyfileobj(source, target, 1 << 20)
        data_bytes = size**3 * np.dtype(stored_type).itemsize
        for path, is_compressed in ((plain, False), (compressed, True)):
            cases.append(Case(stored_type, path, is_compressed, data_bytes, path.stat().st_size, description))
    return cases


# -- Running and timing ------------------------------------------------------------------------


class Runner:
    """Runs commands as child processes and times them.

    os.wait4's ru_maxrss is no measure of a child's peak memory here: posix_spawn (vfork)
    children inherit this process's high-water mark at exec, and this process holds a
    256^3 volume. GNU time forks from a small process, so its %M is the child's own peak.
    """

    def __init__(self, scratch: Path) -> None:
        self._stderr = scratch / "stderr.txt"
        self._rss = scratch / "rss.txt"
        self._time = shutil.which("time")
        if self._time is not None and not self._time_works():
            self._time = None

    def _time_works(self) -> bool:
        try:
            self._spawn([self._time, "-f", "%M", "-o", str(self._rss), "true"])
            return int(self._rss.read_text().split()[-1]) > 0
        except (BenchmarkError, OSError, ValueError, IndexError):
            return False

    def _spawn(self, argv: list[str], stdout: str | None = None) -> tuple[float, int]:
        actions = [(os.POSIX_SPAWN_OPEN, 2, str(self._stderr), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
        if stdout is not None:
            actions.append((os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY, 0))
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            message = self._stderr.read_text(errors="replace").strip()
            raise BenchmarkError(f"{' '.join(argv)} exited with status {code}: {message}")
        return elapsed, usage.ru_maxrss * 1024

    def run_once(self, argv: list[str]) -> None:
        self._spawn(argv)

    def peak_rss(self, argv: list[str], stdout: str | None = None) -> tuple[int, bool]:
        """Runs `argv` once; returns its peak RSS in bytes and whether that is only an upper bound."""
        if self._time is None:
            _, upper_bound = self._spawn(argv, stdout)
            return upper_bound, True
        self._spawn([self._time, "-f", "%M", "-o", str(self._rss), *argv], stdout)
        return int(self._rss.read_text().split()[-1]) * 1024, False

    def time_command(
        self,
        label: str,
        argv: list[str],
        repeat: int,
        before: Callable[[], None] = lambda: None,
        stdout: str | None = None,
    ) -> Timing:
        """One warm-up run (which measures the peak RSS), then `repeat` timed runs."""
        before()
        rss, upper_bound = self.peak_rss(argv, stdout)
        seconds = []
        for _ in range(repeat):
            before()
            seconds.append(self._spawn(argv, stdout)[0])
        return Timing(label, seconds, rss, upper_bound)


def time_in_process(label: str, function: Callable[[], None], repeat: int, before: Callable[[], None]) -> Timing:
    before()
    function()
    seconds = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return Timing(label, seconds)


def _remover(path: Path) -> Callable[[], None]:
    return lambda: path.unlink(missing_ok=True)


def _nibabel_in_process(source: Path, output: Path) -> Callable[[], None]:
    def convert() -> None:
        image = nibabel.load(source)
        np.save(output, image.get_fdata())

    return convert


def _zlib_in_process(source: Path) -> Callable[[], None]:
    def decompress() -> None:
        with open(source, "rb") as file:
            compressed = file.read()
        # The gzip trailer holds the size (mod 2^32): one output buffer, no regrowth.
        size = int.from_bytes(compressed[-4:], "little") or 1
        zlib.decompress(compressed, wbits=31, bufsize=size)

    return decompress


# -- Checks -------------------------------------------------------------------------------------


def verify(case: Case, ni2npy_output: Path, anchor_output: Path | None) -> list[str]:
    """Fails unless ni2npy wrote exactly get_fdata(); returns notes on the anchor's output."""
    expected = nibabel.load(case.path).get_fdata()
    written = np.load(ni2npy_output)
    if written.dtype != np.float64 or written.shape != expected.shape or not np.array_equal(written, expected):
        raise BenchmarkError(
            f"ni2npy's output for the {case.stored_type} {case.path.name} differs from nibabel's get_fdata(): "
            f"dtype {written.dtype}, shape {written.shape}, expected float64 {expected.shape}; "
            "a benchmark of a wrong result is worthless"
        )
    notes = []
    if anchor_output is not None:
        anchor = np.load(anchor_output)
        if anchor.shape != expected.shape:
            notes.append(f"ITK anchor output shape {anchor.shape} differs from get_fdata()'s {expected.shape}")
        else:
            difference = float(np.max(np.abs(anchor - expected)))
            if difference == 0:
                notes.append("ITK anchor output equals get_fdata()")
            else:
                notes.append(
                    f"ITK anchor output differs from get_fdata() by up to {difference:.3g} (ITK scales in float32)"
                )
    return notes


# -- Report -------------------------------------------------------------------------------------


def _mib(count: float) -> str:
    return f"{count / MIB:.1f} MiB"


def _verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "info"}[passed]


def report_case(case: Case, output_bytes: int, timings: dict[str, Timing], notes: list[str]) -> list[bool]:
    """Prints one case's table; returns the verdicts of its targets."""
    kind = ".nii.gz" if case.compressed else ".nii"
    sizes = f"file {_mib(case.file_bytes)}, image data {_mib(case.data_bytes)}, output .npy {_mib(output_bytes)}"
    print(f"\n== {kind}, {case.description} ({sizes})")
    print(f"  {'command':<52} {'best s':>8} {'median s':>9} {'peak RSS':>12}")
    for timing in timings.values():
        rss = "-" if timing.peak_rss is None else _mib(timing.peak_rss) + ("*" if timing.rss_is_upper_bound else "")
        print(f"  {timing.label:<52} {timing.best:>8.3f} {timing.median:>9.3f} {rss:>12}")

    # The ratio targets are DESIGN's for compressed inputs; for .nii they are shown for information.
    held = case.compressed
    ni2npy = timings["ni2npy"].best
    rows = []

    def ratio(label: str, value: float, target: str, passed: bool) -> None:
        rows.append((label, f"{value:.2f}x", target, passed if held else None))

    ratio(
        "nibabel script / ni2npy",
        timings["nibabel"].best / ni2npy,
        f">= {NIBABEL_TARGET}x",
        timings["nibabel"].best / ni2npy >= NIBABEL_TARGET,
    )
    in_process = timings["nibabel_in_process"].best / ni2npy
    rows.append(("nibabel in-process / ni2npy", f"{in_process:.2f}x", "-", None))
    if "anchor" in timings:
        value = timings["anchor"].best / ni2npy
        ratio("ITK anchor / ni2npy", value, f">= {ANCHOR_TARGET}x", value >= ANCHOR_TARGET)
    else:
        rows.append(("ITK anchor / ni2npy", "n/a", f">= {ANCHOR_TARGET}x", None))
    if case.compressed:
        floor_key = min(("gzip", "zlib"), key=lambda key: timings[key].best if key in timings else float("inf"))
        value = ni2npy / timings[floor_key].best
        floor_name = "gzip -dc" if floor_key == "gzip" else "zlib"
        ratio(
            f"ni2npy / decompress ({floor_name}, the faster)",
            value,
            f"<= {DECOMPRESS_TARGET}x",
            value <= DECOMPRESS_TARGET,
        )
    elif "cat" in timings:
        value = ni2npy / timings["cat"].best
        rows.append(("ni2npy / read (cat)", f"{value:.2f}x", "-", None))

    peak = timings["ni2npy"].peak_rss
    limit = (case.data_bytes + output_bytes) * (1.0 + MEMORY_MARGIN)
    memory_label = "ni2npy peak RSS / (image data + output)"
    if peak is None:
        rows.append((memory_label, "n/a", f"<= {1 + MEMORY_MARGIN:.2f}", None))
    else:
        fraction = peak / (case.data_bytes + output_bytes)
        # An upper bound proves a pass, never a miss.
        passed: bool | None = peak <= limit
        if timings["ni2npy"].rss_is_upper_bound and not passed:
            passed = None
        rows.append((memory_label, f"{fraction:.3f}", f"<= {1 + MEMORY_MARGIN:.2f}", passed))

    print(f"  {'ratio':<52} {'value':>8} {'target':>9} {'verdict':>12}")
    for label, value, target, passed in rows:
        print(f"  {label:<52} {value:>8} {target:>9} {_verdict(passed):>12}")
    for note in notes:
        print(f"  note: {note}")
    return [passed for *_, passed in rows if passed is not None]


@dataclasses.dataclass
class Tools:
    """The executables the benchmark runs; None where one is missing."""

    ni2npy: str
    anchor: str | None
    python: str
    gzip: str | None = shutil.which("gzip")
    cat: str | None = shutil.which("cat")


def measure_case(runner: Runner, tools: Tools, case: Case, scratch: Path, repeat: int) -> list[bool]:
    """Checks ni2npy's result on one input, times every command on it and prints the table."""
    source = str(case.path)
    outputs = {name: scratch / f"out_{name}.npy" for name in ("ni2npy", "nibabel", "in_process", "anchor")}
    ni2npy_command = [tools.ni2npy, "--force", source, str(outputs["ni2npy"])]
    runner.run_once(ni2npy_command)
    if tools.anchor is not None:
        runner.run_once([tools.anchor, source, str(outputs["anchor"])])
    notes = verify(case, outputs["ni2npy"], outputs["anchor"] if tools.anchor else None)
    output_bytes = outputs["ni2npy"].stat().st_size

    timings: dict[str, Timing] = {}
    timings["ni2npy"] = runner.time_command("ni2npy", ni2npy_command, repeat, _remover(outputs["ni2npy"]))
    timings["nibabel"] = runner.time_command(
        "nibabel script (fresh python: load, get_fdata, save)",
        [tools.python, "-c", NIBABEL_SCRIPT, source, str(outputs["nibabel"])],
        repeat,
        _remover(outputs["nibabel"]),
    )
    timings["nibabel_in_process"] = time_in_process(
        "nibabel in-process (the three calls only)",
        _nibabel_in_process(case.path, outputs["in_process"]),
        repeat,
        _remover(outputs["in_process"]),
    )
    if tools.anchor is not None:
        timings["anchor"] = runner.time_command(
            "ITK anchor (ImageFileReader<Image<double,3>> + write)",
            [tools.anchor, source, str(outputs["anchor"])],
            repeat,
            _remover(outputs["anchor"]),
        )
    if case.compressed:
        if tools.gzip is not None:
            timings["gzip"] = runner.time_command(
                "decompress: gzip -dc IN > /dev/null", [tools.gzip, "-dc", source], repeat, stdout=os.devnull
            )
        timings["zlib"] = time_in_process(
            "decompress: zlib.decompress in-process (with read)", _zlib_in_process(case.path), repeat, lambda: None
        )
    elif tools.cat is not None:
        timings["cat"] = runner.time_command("read: cat IN > /dev/null", [tools.cat, source], repeat, stdout=os.devnull)
    for output in outputs.values():
        output.unlink(missing_ok=True)
    return report_case(case, output_bytes, timings, notes)


def _check_executable(parser: argparse.ArgumentParser, option: str, path: str | None) -> str | None:
    if path is None:
        return None
    resolved = shutil.which(path)
    if resolved is None:
        parser.error(f"{option} {path}: not an executable")
    return resolved


def main(argv: list[str] | None = None) -> int:
    parser = _get_parser()
    arguments = parser.parse_args(argv)
    if arguments.ni2npy is None:
        parser.error("give --ni2npy or set NI2NPY")
    if arguments.size < 2 or arguments.repeat < 1:
        parser.error("--size must be at least 2 and --repeat at least 1")
    tools = Tools(
        ni2npy=_check_executable(parser, "--ni2npy", arguments.ni2npy),
        anchor=_check_executable(parser, "--anchor", arguments.anchor),
        python=_check_executable(parser, "--python", arguments.python),
    )

    print(
        f"ni2npy benchmark: {arguments.size}^3 volume, best of {arguments.repeat} runs after one warm-up, "
        f"warm page cache, gzip level {arguments.compresslevel}"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"Python {platform.python_version()}, numpy {np.__version__}, nibabel {nibabel.__version__}"
    )
    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if tools.anchor is None:
        print("no ITK anchor given (--anchor or NIBRIDGE_ITK_ANCHOR): its column is left out")

    verdicts: list[bool] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench_ni2npy-", dir=arguments.workdir) as scratch_name:
            scratch = Path(scratch_name)
            runner = Runner(scratch)
            if runner.peak_rss(["true"])[1]:
                print("GNU time is missing: peak RSS figures (*) are upper bounds that include this script's own")
            cases = make_inputs(scratch, arguments.size, arguments.stored_types, arguments.compresslevel)
            for case in cases:
                verdicts += measure_case(runner, tools, case, scratch, arguments.repeat)
    except BenchmarkError as error:
        print(f"bench_ni2npy: error: {error}", file=sys.stderr)
        return 1

    print("\nload average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    missed = verdicts.count(False)
    print(f"{len(verdicts) - missed} of {len(verdicts)} targets met" + (f", {missed} missed" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
