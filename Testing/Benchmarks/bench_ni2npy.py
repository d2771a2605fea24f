"""Benchmark ni2npy against what it replaces and against the floor it works above.

The figures DESIGN.md holds ``ni2npy`` to, measured side by side in one run on
one machine, as ratios, on ``.nii.gz``, ``.mgz`` and NIfTI-2 ``.nii.gz`` inputs:

* at least 3x faster than the nibabel script that does the same job in a fresh
  Python process (``load``, ``get_fdata``, ``numpy.save``);
* at least 3x faster than a native program that embeds Python and calls nibabel,
  the shape of the original ``ni2npy64`` (PyO3 + nibabel): the C++ anchor
  ``nibridge-bench-embedded-nibabel``;
* at least 1.5x faster than ITK's own reader plus a write (the C++ anchor
  ``nibridge-bench-itk-anchor``; n/a where ITK cannot read the file);
* at most 1.3x the CPU time (user + sys) of ISA-L decompression
  (``igzip -dc IN > /dev/null``) plus writing a file of the output's size;
* peak memory at most (image data + output) + 5%;
* with ``--before``, no regression against the previous implementation (a
  second ni2npy, timed on the same inputs in the same run): after / before
  ratios of the wall time, the CPU time and the peak memory.

The inputs are generated here with nibabel: a 256^3 head-like volume (smooth
tissue, Rician-like noise, a dark background), stored as scaled int16 (as
scanners write it: ``get_fdata`` multiplies and adds in float64) and as
float32, as NIfTI-1 ``.nii`` and ``.nii.gz``, NIfTI-2 ``.nii.gz`` and MGH
``.mgz``. Every figure is the best of ``--repeat`` runs after one warm-up, the
commands of an input taking turns, on a warm page cache; outputs are removed
before each run so every tool writes a new file. ni2npy's output is checked
against ``get_fdata`` on every input before anything is timed: a wrong result
fails the run (exit status 1). Missed targets are reported, not failures (exit
status 0).

Run it by hand or with ``ctest -C Benchmark -L benchmark``; see README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gzip
import os
import shutil
import sys
import tempfile
import time
import zlib
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
    verdict,
)

NIBABEL_TARGET = 3.0  # nibabel script / ni2npy, at least
EMBEDDED_TARGET = 3.0  # embedded-Python nibabel program / ni2npy, at least
ANCHOR_TARGET = 1.5  # ITK anchor / ni2npy, at least
FLOOR_TARGET = 1.3  # ni2npy CPU / (igzip -dc CPU + write CPU), at most
MEMORY_MARGIN = 0.05  # peak RSS <= (image data + output) * (1 + margin)
# ni2npy / the previous ni2npy, at most: "no regression", with room for the spread between two best-of-N
# figures of one program (a few percent on a quiet machine).
BEFORE_TOLERANCE = 1.05

# What a user types; sys.argv carries the file names so no quoting gets in the way. The embedded anchor
# runs the same line.
NIBABEL_SCRIPT = "import sys, nibabel, numpy; img = nibabel.load(sys.argv[1]); numpy.save(sys.argv[2], img.get_fdata())"

# Scanner-like scaling (a Philips-style slope, a small offset); float32 in the header.
INT16_SLOPE = 1.2454
INT16_INTERCEPT = -3.5

# The inputs: format key -> the heading of its table. Only "nii" is uncompressed.
FORMATS = {
    "nii": ".nii (NIfTI-1)",
    "nii.gz": ".nii.gz (NIfTI-1)",
    "nifti2": ".nii.gz (NIfTI-2)",
    "mgz": ".mgz (MGH)",
}

WRITE_CHUNK = 1 << 20  # bytes per write() of the write floor


class ToolFailure(BenchmarkError):
    """A command exited with an error; `reason` is the first line it printed to stderr."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclasses.dataclass
class Case:
    """One input file and what is known about it."""

    stored_type: str
    format: str  # a key of FORMATS
    path: Path
    compressed: bool
    data_bytes: int  # uncompressed image data: what a reader holds at worst
    file_bytes: int
    description: str

    @property
    def title(self) -> str:
        return f"{FORMATS[self.format]}, {self.description}"


def _get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ni2npy",
        default=os.environ.get("NI2NPY"),
        help="the ni2npy executable; $NI2NPY when not given",
    )
    parser.add_argument(
        "--before",
        default=os.environ.get("NI2NPY_BEFORE"),
        help="a second ni2npy, the previous implementation, timed on the same inputs for after/before ratios; "
        "$NI2NPY_BEFORE when not given (without it those rows are left out)",
    )
    parser.add_argument(
        "--anchor",
        default=os.environ.get("NIBRIDGE_ITK_ANCHOR"),
        help="the nibridge-bench-itk-anchor executable; $NIBRIDGE_ITK_ANCHOR when not given "
        "(without it the ITK column is n/a)",
    )
    parser.add_argument(
        "--embedded-anchor",
        default=os.environ.get("NIBRIDGE_EMBEDDED_ANCHOR"),
        help="the nibridge-bench-embedded-nibabel executable; $NIBRIDGE_EMBEDDED_ANCHOR when not given "
        "(without it the embedded-Python column is n/a)",
    )
    add_input_arguments(
        parser,
        tuple(FORMATS),
        "formats of the generated inputs (all): NIfTI-1 .nii and .nii.gz, NIfTI-2 .nii.gz, MGH .mgz",
        "timed runs per command, after one warm-up (5)",
        "gzip level of the compressed inputs (6: gzip's, zlib's, FSL's and dcm2niix's default; "
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


def _stored(volume: np.ndarray, stored_type: str) -> np.ndarray:
    """The values as stored: int16 with the scanner's scaling taken out, or float32."""
    if stored_type == "int16":
        stored = np.round((volume - INT16_INTERCEPT) / INT16_SLOPE).astype(np.int16)
    else:
        stored = volume.astype(np.float32)
    return np.asfortranarray(stored)


def _write_nifti(volume: np.ndarray, path: Path, stored_type: str, image_class: type) -> str:
    """Writes a NIfTI-1 or NIfTI-2 (image_class) .nii; int16 gets the scanner's scaling."""
    image = image_class(_stored(volume, stored_type), _affine(volume.shape[0]))
    image.header.set_data_dtype(np.dtype(stored_type))
    image.to_filename(path)
    if stored_type != "int16":
        return "float32, unscaled"
    # nibabel recomputes scl_slope/scl_inter when it saves: put the scanner's back into the header as stored
    # (a loaded image's header has its scaling and vox_offset reset, so read the raw header).
    with open(path, "r+b") as file:
        header = image_class.header_class.from_fileobj(file)
        header.set_slope_inter(INT16_SLOPE, INT16_INTERCEPT)
        file.seek(0)
        file.write(header.binaryblock)
    # nibabel moves the scaling from a loaded image's header to its data proxy.
    proxy = nibabel.load(path).dataobj
    slope, intercept = proxy.slope, proxy.inter
    return f"int16, scl_slope {slope:.6g}, scl_inter {intercept:.6g}"


def _write_mgh(volume: np.ndarray, path: Path, stored_type: str) -> str:
    """Writes an uncompressed .mgh: the same stored values, unscaled (MGH has no scaling), big-endian."""
    image = nibabel.MGHImage(_stored(volume, stored_type), _affine(volume.shape[0]))
    image.header.set_data_dtype(np.dtype(stored_type))
    image.to_filename(path)
    return f"{stored_type}, unscaled (MGH has no scaling), big-endian"


def _gzip_copy(source: Path, target: Path, compresslevel: int) -> None:
    target.parent.mkdir()
    with open(source, "rb") as plain, gzip.open(target, "wb", compresslevel=compresslevel) as compressed:
        shutil.copyfileobj(plain, compressed, 1 << 20)


# The formats timed only compressed: key -> nibabel's file, the input gzipped from it, the writer.
COMPRESSED_ONLY = {
    "nifti2": ("head.nii", "head.nii.gz", functools.partial(_write_nifti, image_class=nibabel.Nifti2Image)),
    "mgz": ("head.mgh", "head.mgz", _write_mgh),
}


def make_inputs(
    directory: Path, size: int, stored_types: list[str], compresslevel: int, formats: list[str]
) -> list[Case]:
    """Writes every input: for each stored type, each of `formats` (keys of FORMATS).

    nibabel writes each file uncompressed; the compressed inputs are gzipped here at
    `compresslevel`, so every compressed input has the same gzip level whichever writer
    nibabel would have used. Each file gets a directory of its own: given "x.nii.gz", the
    NIfTI reference library (under ITK's NiftiImageIO) looks for "x.nii" first and, if it
    exists, reads the data from it, so a sibling would make the ITK anchor skip the
    decompression.
    """
    volume = _head_like_volume(size)
    cases = []

    def add(stored_type: str, format_key: str, path: Path, description: str) -> None:
        data_bytes = size**3 * np.dtype(stored_type).itemsize
        compressed = format_key != "nii"
        cases.append(Case(stored_type, format_key, path, compressed, data_bytes, path.stat().st_size, description))

    for stored_type in stored_types:
        if "nii" in formats or "nii.gz" in formats:
            plain = directory / f"{stored_type}_nii" / "head.nii"
            plain.parent.mkdir()
            description = _write_nifti(volume, plain, stored_type, nibabel.Nifti1Image)
            if "nii" in formats:
                add(stored_type, "nii", plain, description)
            if "nii.gz" in formats:
                compressed = directory / f"{stored_type}_nii_gz" / "head.nii.gz"
                _gzip_copy(plain, compressed, compresslevel)
                add(stored_type, "nii.gz", compressed, description)
            if "nii" not in formats:
                shutil.rmtree(plain.parent)
        for format_key, (plain_name, compressed_name, write) in COMPRESSED_ONLY.items():
            if format_key in formats:
                plain = directory / f"{stored_type}_{format_key}_source" / plain_name
                plain.parent.mkdir()
                description = write(volume, plain, stored_type)
                compressed = directory / f"{stored_type}_{format_key}" / compressed_name
                _gzip_copy(plain, compressed, compresslevel)
                shutil.rmtree(plain.parent)
                add(stored_type, format_key, compressed, description)
    return cases


# -- Running and timing ------------------------------------------------------------------------


def _first_line(message: str, limit: int = 150) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    line = lines[0] if lines else "(no message)"
    return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclasses.dataclass
class Command:
    """One contender on an input: a child process (argv) or a call in this process (function)."""

    key: str
    label: str
    argv: list[str] | None = None
    function: Callable[[], None] | None = None
    stdout: str | None = None
    output: Path | None = None  # removed before every run (every run writes a new file) and after it


def _remove_output(command: Command) -> None:
    if command.output is not None:
        command.output.unlink(missing_ok=True)


class Runner:
    """Runs commands as child processes or calls in this process, and times them.

    A child's CPU time is os.wait4's ru_utime + ru_stime (every thread of the child); a
    call's is time.process_time() around it. os.wait4's ru_maxrss is no measure of a
    child's peak memory here: posix_spawn (vfork) children inherit this process's
    high-water mark at exec, and this process holds a 256^3 volume. GNU time forks from a
    small process, so its %M is the child's own peak.
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

    def _spawn(self, argv: list[str], stdout: str | None = None) -> tuple[float, float, int]:
        """Runs `argv` to its end; returns its wall seconds, its CPU seconds and os.wait4's ru_maxrss in bytes."""
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
            raise ToolFailure(f"{' '.join(argv)} exited with status {code}: {message}", _first_line(message))
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024

    def run_once(self, argv: list[str]) -> None:
        self._spawn(argv)

    def peak_rss(self, argv: list[str], stdout: str | None = None) -> tuple[int, bool]:
        """Runs `argv` once; returns its peak RSS in bytes and whether that is only an upper bound."""
        if self._time is None:
            return self._spawn(argv, stdout)[2], True
        self._spawn([self._time, "-f", "%M", "-o", str(self._rss), *argv], stdout)
        return int(self._rss.read_text().split()[-1]) * 1024, False

    def _run(self, command: Command) -> tuple[float, float]:
        """Runs `command` once on a fresh output; returns its wall and CPU seconds. The output is removed
        again afterwards, untimed, so that no command runs beside the dirty pages of the others' outputs."""
        _remove_output(command)
        if command.argv is not None:
            seconds, cpu_seconds, _ = self._spawn(command.argv, command.stdout)
        else:
            start, cpu_start = time.perf_counter(), time.process_time()
            command.function()
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        _remove_output(command)
        return seconds, cpu_seconds

    def measure(self, commands: list[Command], repeat: int) -> dict[str, Timing]:
        """One warm-up run of each command (a child's measures its peak RSS), then `repeat` rounds in which
        the commands take turns, so that load from elsewhere falls on all of them alike."""
        timings = {}
        for command in commands:
            timing = Timing(command.label)
            if command.argv is not None:
                _remove_output(command)
                timing.peak_rss, timing.rss_is_upper_bound = self.peak_rss(command.argv, command.stdout)
                _remove_output(command)
            else:
                self._run(command)
            timings[command.key] = timing
        for _ in range(repeat):
            for command in commands:
                seconds, cpu_seconds = self._run(command)
                timings[command.key].seconds.append(seconds)
                timings[command.key].cpu_seconds.append(cpu_seconds)
        return timings


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


def _file_writer(output: Path, size: int) -> Callable[[], None]:
    """Writes `size` bytes to a new file `output`, WRITE_CHUNK bytes per write() from one buffer touched
    beforehand: what writing the output costs, with nothing to compute (ni2npy writes a plane per write)."""
    chunk = memoryview(np.full(WRITE_CHUNK, 0x5A, dtype=np.uint8))

    def write() -> None:
        with open(output, "wb", buffering=0) as file:
            remaining = size
            while remaining > 0:
                remaining -= file.write(chunk[: min(remaining, WRITE_CHUNK)])

    return write


# -- Checks -------------------------------------------------------------------------------------


def compare_note(name: str, output: Path, expected: np.ndarray) -> str:
    """A note on how a competitor's output compares with get_fdata() (competitors are not held to it)."""
    written = np.load(output)
    if written.shape != expected.shape:
        return f"{name} output shape {written.shape} differs from get_fdata()'s {expected.shape}"
    difference = float(np.max(np.abs(written.astype(np.float64) - expected))) if expected.size else 0.0
    if difference == 0 and written.dtype == np.float64:
        return f"{name} output equals get_fdata()"
    return f"{name} output ({written.dtype}) differs from get_fdata() by up to {difference:.3g}"


def verify_ni2npy(case: Case, output: Path, expected: np.ndarray) -> None:
    """Fails unless ni2npy wrote exactly get_fdata()."""
    written = np.load(output)
    if written.dtype != np.float64 or written.shape != expected.shape or not np.array_equal(written, expected):
        raise BenchmarkError(
            f"ni2npy's output for the {case.title} input differs from nibabel's get_fdata(): "
            f"dtype {written.dtype}, shape {written.shape}, expected float64 {expected.shape}; "
            "a benchmark of a wrong result is worthless"
        )


# -- One input: check, then time ------------------------------------------------------------------


@dataclasses.dataclass
class Tools:
    """The executables the benchmark runs; None where one is missing or not given."""

    ni2npy: str
    before: str | None
    anchor: str | None
    embedded: str | None
    python: str
    igzip: str | None = shutil.which("igzip")
    gzip: str | None = shutil.which("gzip")
    cat: str | None = shutil.which("cat")


@dataclasses.dataclass
class Prepared:
    """An input whose ni2npy output was checked, with what the other converters made of it."""

    case: Case
    output_bytes: int
    notes: list[str]
    unavailable: dict[str, str]  # command key -> why it is not timed on this input


# Where each converter writes; one file each, removed before every run.
OUTPUT_NAMES = ("ni2npy", "before", "nibabel", "in_process", "embedded", "anchor", "write")

# The converters besides ni2npy that are run once on each input before any timing: key, name, whether a
# failure is only "n/a" on that input (the previous ni2npy and ITK need not read every format).
OTHER_CONVERTERS = (
    ("before", "ni2npy before", True),
    ("embedded", "embedded Python + nibabel anchor", False),
    ("anchor", "ITK anchor", True),
)


def _converter_command(tools: Tools, key: str, source: str, output: Path) -> list[str] | None:
    executable = {"ni2npy": tools.ni2npy, "before": tools.before, "embedded": tools.embedded, "anchor": tools.anchor}
    if executable[key] is None:
        return None
    force = ["--force"] if key in ("ni2npy", "before") else []
    return [executable[key], *force, source, str(output)]


def prepare_case(runner: Runner, tools: Tools, case: Case, outputs: dict[str, Path]) -> Prepared:
    """Checks that ni2npy writes exactly get_fdata() for `case` (or fails) and notes what the others write."""
    expected = nibabel.load(case.path).get_fdata()
    source = str(case.path)
    runner.run_once(_converter_command(tools, "ni2npy", source, outputs["ni2npy"]))
    verify_ni2npy(case, outputs["ni2npy"], expected)
    prepared = Prepared(case, outputs["ni2npy"].stat().st_size, [], {})
    for key, name, may_fail in OTHER_CONVERTERS:
        command = _converter_command(tools, key, source, outputs[key])
        if command is None:
            prepared.unavailable[key] = "not given"
            continue
        try:
            runner.run_once(command)
        except ToolFailure as failure:
            if not may_fail:
                raise
            prepared.unavailable[key] = failure.reason
            prepared.notes.append(f"{name} cannot convert this input, n/a: {failure.reason}")
            continue
        prepared.notes.append(compare_note(name, outputs[key], expected))
    for output in outputs.values():
        output.unlink(missing_ok=True)
    return prepared


def case_commands(tools: Tools, prepared: Prepared, outputs: dict[str, Path]) -> list[Command]:
    """Every command timed on one input, in the order they take turns and are printed."""
    case = prepared.case
    source = str(case.path)

    def converter(key: str, label: str) -> list[Command]:
        if key in prepared.unavailable:
            return []
        return [Command(key, label, _converter_command(tools, key, source, outputs[key]), output=outputs[key])]

    commands = converter("ni2npy", "ni2npy")
    commands += converter("before", "ni2npy before (--before)")
    commands.append(
        Command(
            "nibabel",
            "nibabel script (fresh python: load, get_fdata, save)",
            [tools.python, "-c", NIBABEL_SCRIPT, source, str(outputs["nibabel"])],
            output=outputs["nibabel"],
        )
    )
    commands.append(
        Command(
            "nibabel_in_process",
            "nibabel in-process (the three calls only)",
            function=_nibabel_in_process(case.path, outputs["in_process"]),
            output=outputs["in_process"],
        )
    )
    commands += converter("embedded", "embedded Python + nibabel (PyO3-style anchor)")
    commands += converter("anchor", "ITK anchor (ImageFileReader<Image<double,3>> + write)")
    if case.compressed:
        for key, executable in (("igzip", tools.igzip), ("gzip", tools.gzip)):
            if executable is not None:
                label = f"decompress: {key} -dc IN > /dev/null"
                commands.append(Command(key, label, [executable, "-dc", source], stdout=os.devnull))
        commands.append(
            Command("zlib", "decompress: zlib.decompress in-process (with read)", function=_zlib_in_process(case.path))
        )
    elif tools.cat is not None:
        commands.append(Command("cat", "read: cat IN > /dev/null", [tools.cat, source], stdout=os.devnull))
    commands.append(
        Command(
            "write",
            f"write: {_mib(prepared.output_bytes)} in 1 MiB write()s, in-process",
            function=_file_writer(outputs["write"], prepared.output_bytes),
            output=outputs["write"],
        )
    )
    return commands


# -- Report -------------------------------------------------------------------------------------

Row = tuple[str, str, str, bool | None]  # label, value, target, verdict (None: information, or n/a)

FLOOR_NAMES = {"igzip": "igzip -dc", "gzip": "gzip -dc", "zlib": "zlib", "cat": "cat"}


def _mib(count: float) -> str:
    return f"{count / MIB:.1f} MiB"


def _speed_rows(case: Case, timings: dict[str, Timing]) -> list[Row]:
    """How many times faster ni2npy is than each converter it replaces; held on compressed inputs."""
    ni2npy = timings["ni2npy"].best
    rows = []
    for key, label, target in (
        ("nibabel", "nibabel script / ni2npy", NIBABEL_TARGET),
        ("nibabel_in_process", "nibabel in-process / ni2npy", None),
        ("embedded", "embedded Python + nibabel / ni2npy", EMBEDDED_TARGET),
        ("anchor", "ITK anchor / ni2npy", ANCHOR_TARGET),
    ):
        target_text = "-" if target is None else f">= {target}x"
        if key not in timings:
            rows.append((label, "n/a", target_text, None))
            continue
        value = timings[key].best / ni2npy
        passed = value >= target if target is not None and case.compressed else None
        rows.append((label, f"{value:.2f}x", target_text, passed))
    return rows


def _floor_rows(case: Case, timings: dict[str, Timing]) -> list[Row]:
    """ni2npy's CPU time over the floor's (decompress + write); its wall time over the fastest decompression."""
    reader = "igzip" if case.compressed else "cat"
    label = f"ni2npy CPU / ({FLOOR_NAMES[reader]} CPU + write CPU)"
    target = f"<= {FLOOR_TARGET}x"
    rows: list[Row] = []
    floor = timings[reader].best_cpu + timings["write"].best_cpu if reader in timings else 0.0
    if floor > 0:  # a floor too small for the clock is n/a
        value = timings["ni2npy"].best_cpu / floor
        rows.append((label, f"{value:.2f}x", target, value <= FLOOR_TARGET if case.compressed else None))
    else:
        rows.append((label, "n/a", target, None))
    readers = [key for key in (("igzip", "gzip", "zlib") if case.compressed else ("cat",)) if key in timings]
    if readers:
        fastest = min(readers, key=lambda key: timings[key].best)
        value = timings["ni2npy"].best / timings[fastest].best
        what = "decompression" if case.compressed else "read"
        rows.append((f"ni2npy / {FLOOR_NAMES[fastest]} (fastest {what}), wall", f"{value:.2f}x", "-", None))
    return rows


def _memory_row(prepared: Prepared, timings: dict[str, Timing]) -> Row:
    case = prepared.case
    label = "ni2npy peak RSS / (image data + output)"
    target = f"<= {1 + MEMORY_MARGIN:.2f}"
    timing = timings["ni2npy"]
    if timing.peak_rss is None:
        return (label, "n/a", target, None)
    fraction = timing.peak_rss / (case.data_bytes + prepared.output_bytes)
    passed: bool | None = fraction <= 1.0 + MEMORY_MARGIN
    if timing.rss_is_upper_bound and not passed:
        passed = None  # an upper bound proves a pass, never a miss
    return (label, f"{fraction:.3f}", target, passed)


def _before_rows(prepared: Prepared, timings: dict[str, Timing]) -> list[Row]:
    """ni2npy over the previous implementation (after / before): held on every input."""
    if prepared.unavailable.get("before") == "not given":
        return []
    target = f"<= {BEFORE_TOLERANCE:.2f}x"
    labels = ("ni2npy / before, wall", "ni2npy / before, CPU", "ni2npy / before, peak RSS")
    if "before" not in timings:
        return [(label, "n/a", target, None) for label in labels]
    after, before = timings["ni2npy"], timings["before"]
    rows = []
    for label, numerator, denominator in zip(
        labels[:2], (after.best, after.best_cpu), (before.best, before.best_cpu), strict=True
    ):
        if denominator > 0:
            value = numerator / denominator
            rows.append((label, f"{value:.2f}x", target, value <= BEFORE_TOLERANCE))
        else:
            rows.append((label, "n/a", target, None))  # too small for the clock
    if after.peak_rss is None or before.peak_rss is None:
        rows.append((labels[2], "n/a", target, None))
    else:
        value = after.peak_rss / before.peak_rss
        measured = not (after.rss_is_upper_bound or before.rss_is_upper_bound)
        rows.append((labels[2], f"{value:.2f}x", target, value <= BEFORE_TOLERANCE if measured else None))
    return rows


def report_case(prepared: Prepared, timings: dict[str, Timing]) -> list[Row]:
    """Prints one input's tables; returns its rows."""
    case = prepared.case
    sizes = (
        f"file {_mib(case.file_bytes)}, image data {_mib(case.data_bytes)}, output .npy {_mib(prepared.output_bytes)}"
    )
    print(f"\n== {case.title} ({sizes})")
    print(f"  {'command':<56} {'best s':>8} {'median s':>9} {'best CPU s':>11} {'peak RSS':>11}")
    for timing in timings.values():
        rss = "-" if timing.peak_rss is None else _mib(timing.peak_rss) + ("*" if timing.rss_is_upper_bound else "")
        print(f"  {timing.label:<56} {timing.best:>8.3f} {timing.median:>9.3f} {timing.best_cpu:>11.3f} {rss:>11}")

    rows = _speed_rows(case, timings) + _floor_rows(case, timings)
    rows.append(_memory_row(prepared, timings))
    rows += _before_rows(prepared, timings)
    print(f"  {'ratio':<56} {'value':>8} {'target':>9} {'verdict':>11}")
    for label, value, target, passed in rows:
        print(f"  {label:<56} {value:>8} {target:>9} {verdict(passed, value):>11}")
    for note in prepared.notes:
        print(f"  note: {note}")
    return rows


def _check_executable(parser: argparse.ArgumentParser, option: str, path: str | None) -> str | None:
    if path is None:
        return None
    resolved = shutil.which(path)
    if resolved is None:
        parser.error(f"{option} {path}: not an executable")
    return resolved


def _print_header(arguments: argparse.Namespace, tools: Tools) -> None:
    print(
        f"ni2npy benchmark: {arguments.size}^3 volume, best of {arguments.repeat} runs after one warm-up, "
        f"the commands of an input taking turns, warm page cache, gzip level {arguments.compresslevel}"
    )
    print(machine_line(f"numpy {np.__version__}, nibabel {nibabel.__version__}"))
    print(f"ni2npy: {tools.ni2npy}")
    print(f"before: {tools.before}" if tools.before else "no --before (or NI2NPY_BEFORE): no after/before ratios")
    for executable, what, option in (
        (tools.embedded, "embedded Python + nibabel anchor", "--embedded-anchor or NIBRIDGE_EMBEDDED_ANCHOR"),
        (tools.anchor, "ITK anchor", "--anchor or NIBRIDGE_ITK_ANCHOR"),
    ):
        print(f"{what}: {executable}" if executable else f"no {what} given ({option}): its column is n/a")
    if tools.igzip is None:
        print("igzip (ISA-L; Debian package isal) not found: the CPU floor is n/a")
    print(
        "CPU s: user + sys of the child (os.wait4), or time.process_time() around a call in this process. "
        "The CPU floor of a compressed input is igzip -dc's CPU plus the write row's: the output's size "
        "written to a new file in 1 MiB write()s from one buffer touched beforehand, in this process "
        "(no start-up, nothing computed)"
    )
    print(load_average_line("start"))


def _print_summary(results: list[tuple[str, Row]]) -> None:
    held = [(title, row) for title, row in results if row[3] is not None]
    missed = [(title, row) for title, row in held if not row[3]]
    print("\n" + load_average_line("end"))
    for title, (label, value, target, _) in missed:
        print(f"missed: {title}: {label} {value} (target {target})")
    print(f"{len(held) - len(missed)} of {len(held)} targets met" + (f", {len(missed)} missed" if missed else ""))


def main(argv: list[str] | None = None) -> int:
    parser = _get_parser()
    arguments = parser.parse_args(argv)
    if arguments.ni2npy is None:
        parser.error("give --ni2npy or set NI2NPY")
    if arguments.size < 2 or arguments.repeat < 1:
        parser.error("--size must be at least 2 and --repeat at least 1")
    tools = Tools(
        ni2npy=_check_executable(parser, "--ni2npy", arguments.ni2npy),
        before=_check_executable(parser, "--before", arguments.before),
        anchor=_check_executable(parser, "--anchor", arguments.anchor),
        embedded=_check_executable(parser, "--embedded-anchor", arguments.embedded_anchor),
        python=_check_executable(parser, "--python", arguments.python),
    )
    _print_header(arguments, tools)

    results: list[tuple[str, Row]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench_ni2npy-", dir=arguments.workdir) as scratch_name:
            scratch = Path(scratch_name)
            runner = Runner(scratch)
            if runner.peak_rss(["true"])[1]:
                print("GNU time is missing: peak RSS figures (*) are upper bounds that include this script's own")
            cases = make_inputs(
                scratch, arguments.size, arguments.stored_types, arguments.compresslevel, arguments.formats
            )
            outputs = {name: scratch / f"out_{name}.npy" for name in OUTPUT_NAMES}
            # Every result first: a wrong one ends the run before anything is timed.
            prepared = [prepare_case(runner, tools, case, outputs) for case in cases]
            print(f"ni2npy's output equals get_fdata() on all {len(prepared)} inputs")
            for entry in prepared:
                timings = runner.measure(case_commands(tools, entry, outputs), arguments.repeat)
                for output in outputs.values():
                    output.unlink(missing_ok=True)
                results += [(entry.case.title, row) for row in report_case(entry, timings)]
    except BenchmarkError as error:
        print(f"bench_ni2npy: error: {error}", file=sys.stderr)
        return 1
    _print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
