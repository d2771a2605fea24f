"""Benchmark converting whole datasets: batch ni2npy and nibridge.convert_many against a Python loop.

The figure DESIGN.md holds dataset conversion to (issue 12), measured side by side in one run, as
ratios of files per second to the anchor, one Python process looping nibabel + ``numpy.save`` over
the same files:

* ``ni2npy -o OUT -q -j 2 FOLDER``, 2 workers on a 2-core machine: at least 3x the loop;
* ``nibridge.convert_many([FOLDER], OUT, workers=2)`` in a fresh Python process: at least 3x the
  loop too (it runs the same batch ni2npy);
* ``ni2npy -o OUT -q -j 1 FOLDER``, one worker: at least 1.5x the loop.

The anchor is what a user's script does, timed as a fresh ``python -c`` from its start to its end:
import nibabel and numpy, then ``numpy.save(out, nibabel.load(path).get_fdata())`` for every file.
Its start-up and imports (``python -c "import nibabel, numpy"``) are timed on their own beside it.

The inputs are generated here with ``Testing/Data/nibridge_dataset.py``'s ``write_uniform``: by
default 500 small NIfTI-1 ``.nii.gz`` files and 100 small MGH ``.mgz`` files, int16, 32x32x16, each
with its own oblique affine, as nibabel writes them (its gzip level). Every contender converts into
a fresh, empty output folder in every run: a rerun into a full folder skips every file (resume, not
conversion) and is timed as a separate row, for information. Each figure is the median of
``--repeat`` runs after one warm-up, the contenders taking turns, on a warm page cache. Each
contender's warm-up output is checked before anything is timed: one ``.npy`` per input, the
manifest's records, and for a sample of files the values against ``get_fdata()`` (dtype float64,
bit for bit); a wrong result fails the run (exit status 1). Missed goals are reported, not failures
(exit status 0). Under each dataset's table a line says how much CPU the rest of the machine used
meanwhile (Linux's /proc/stat less this process and its children): figures taken beside other work
say so.

Run it by hand or with ``ctest -C Benchmark -R benchmark.ni2npy_batch``; see README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import nibabel
import numpy as np
from bench_common import (
    BenchmarkError,
    Timing,
    load_average_line,
    machine_line,
    targets_met_line,
    verdict,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Data"))
from nibridge_dataset import write_uniform  # noqa: E402

TWO_WORKERS_TARGET = 3.0  # files/s with 2 workers / files/s of the loop, at least
ONE_WORKER_TARGET = 1.5  # files/s with 1 worker / files/s of the loop, at least

# The anchor, as a user writes it: sys.argv carries the folders so no quoting gets in the way.
LOOP_SCRIPT = """\
import pathlib, sys, nibabel, numpy
source, target, suffix = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
target.mkdir()
for path in sorted(source.glob("*" + suffix)):
    numpy.save(target / (path.name[: -len(suffix)] + ".npy"), nibabel.load(path).get_fdata())
"""
IMPORTS_SCRIPT = "import nibabel, numpy"
CONVERT_MANY_SCRIPT = """\
import sys, nibridge
summary = nibridge.convert_many([sys.argv[1]], sys.argv[2], workers=int(sys.argv[3]))
sys.exit(0 if summary.ok else 1)
"""
HAS_CONVERT_MANY_SCRIPT = (
    "import nibridge, sys; sys.exit(0 if callable(getattr(nibridge, 'convert_many', None)) else 3)"
)

MANIFEST_NAME = "ni2npy-manifest.jsonl"

# The datasets: suffix -> what the heading says of the files.
FORMATS = {
    ".nii.gz": "NIfTI-1 .nii.gz",
    ".mgz": "MGH .mgz",
}


@dataclasses.dataclass
class Dataset:
    """One folder of generated inputs of one format, and get_fdata() of the checked sample."""

    suffix: str
    folder: Path
    inputs: list[Path]
    shape: tuple[int, ...]
    expected: dict[Path, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def title(self) -> str:
        shape = "x".join(str(size) for size in self.shape)
        size = sum(path.stat().st_size for path in self.inputs) / len(self.inputs) / 1024.0
        return f"{len(self.inputs)} {FORMATS[self.suffix]} files (int16, {shape}, oblique affines, {size:.1f} KiB each)"

    def output_name(self, path: Path) -> str:
        return path.name[: -len(self.suffix)] + ".npy"


@dataclasses.dataclass
class Contender:
    """One command timed on a dataset, as a child process; `command` gives its argv for an output folder."""

    key: str
    label: str
    command: Callable[[Path], list[str]]
    writes: bool = True  # one .npy per input into its output folder (False: start-up and imports only)
    manifest_status: str | None = "converted"  # every record of ni2npy's manifest must say this; None: no manifest
    reruns: bool = False  # runs into the one full folder its warm-up made: every file skipped, nothing converted


@dataclasses.dataclass
class Tools:
    """The executables the benchmark runs, and whether the nibridge they see has convert_many."""

    ni2npy: str
    python: str
    convert_many: bool


def _get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ni2npy", default=os.environ.get("NI2NPY"), help="the ni2npy executable; $NI2NPY when not given"
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter that runs the loop and convert_many (this one); nibridge comes from its PYTHONPATH",
    )
    parser.add_argument("--nii-count", type=int, default=500, help="number of .nii.gz files (500)")
    parser.add_argument("--mgz-count", type=int, default=100, help="number of .mgz files (100)")
    parser.add_argument(
        "--shape",
        type=int,
        nargs=3,
        default=[32, 32, 16],
        metavar=("I", "J", "K"),
        help="shape of every image (32 32 16)",
    )
    parser.add_argument(
        "--formats", nargs="+", choices=tuple(FORMATS), default=list(FORMATS), help="the datasets (both)"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs per contender, after one warm-up; figures are medians (5)"
    )
    parser.add_argument("--check", type=int, default=20, help="files of each dataset whose values are checked (20)")
    parser.add_argument(
        "--workdir",
        default=None,
        help="where the temporary directory is made (default: the system's temporary directory)",
    )
    return parser


# -- Running ------------------------------------------------------------------------------------


def _first_line(message: str, limit: int = 300) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    line = lines[0] if lines else "(no message)"
    return line if len(line) <= limit else line[: limit - 3] + "..."


class Runner:
    """Runs a command to its end as a child process and times it: wall seconds from before the spawn to after
    the wait, and CPU seconds, user + sys of os.wait4's rusage (the child and every process it waited for:
    ni2npy's workers, convert_many's ni2npy)."""

    def __init__(self, scratch: Path, environment: dict[str, str]) -> None:
        self._stderr = scratch / "stderr.txt"
        self._environment = environment

    def run(self, argv: list[str]) -> tuple[float, float]:
        actions = [(os.POSIX_SPAWN_OPEN, 2, str(self._stderr), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
        start = time.perf_counter()
        try:
            pid = os.posix_spawnp(argv[0], argv, self._environment, file_actions=actions)
        except OSError as error:
            raise BenchmarkError(f"cannot run {argv[0]}: {error.strerror}") from error
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            message = self._stderr.read_text(errors="replace").strip()
            raise BenchmarkError(f"{' '.join(argv[:4])} ... exited with status {code}: {_first_line(message)}")
        return elapsed, usage.ru_utime + usage.ru_stime


class OtherLoad:
    """The CPU time the rest of the machine (other processes, the kernel's threads) used while the benchmark
    ran: the busy time of every core (Linux's /proc/stat) minus this process's and its children's. On a quiet
    machine it is a few percent of one core; more means the figures were measured beside other work."""

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float, float] | None:
        """Busy and stolen seconds of every core, this process's and its children's CPU seconds, the wall clock."""
        try:
            with open("/proc/stat") as stat:
                fields = [int(field) for field in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK")
        # user nice system idle iowait irq softirq steal ...: guest time is already in user.
        busy = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / tick
        steal = fields[7] / tick if len(fields) > 7 else 0.0
        own = os.times()
        return busy, steal, own.user + own.system + own.children_user + own.children_system, time.monotonic()

    def line(self) -> str:
        end = self._sample()
        if self._start is None or end is None:
            return "load of other processes: n/a (no /proc/stat)"
        busy, steal, own, wall = (after - before for after, before in zip(end, self._start, strict=True))
        other = max(busy - own, 0.0)
        return (
            f"other processes and the kernel used {other:.2f} CPU s in these {wall:.1f} s "
            f"({100.0 * other / wall:.0f}% of one core), the hypervisor stole {steal:.2f} s"
        )


# -- Checks -------------------------------------------------------------------------------------


def sample(inputs: list[Path], count: int) -> list[Path]:
    """`count` inputs spread evenly over the sorted list, the first and the last among them."""
    if count >= len(inputs):
        return list(inputs)
    if count <= 1:
        return inputs[:count]
    return [inputs[round(index * (len(inputs) - 1) / (count - 1))] for index in range(count)]


def check_outputs(contender: Contender, dataset: Dataset, output: Path, values: bool) -> None:
    """Fails unless `output` holds one .npy per input and nothing else converted (and the manifest's records
    say so); with `values`, the sample's arrays must be get_fdata()'s, dtype float64, bit for bit."""
    where = f"{contender.label} on the {FORMATS[dataset.suffix]} dataset"
    written = sorted(path.relative_to(output).as_posix() for path in output.rglob("*.npy"))
    expected_names = sorted(dataset.output_name(path) for path in dataset.inputs)
    if written != expected_names:
        missing = sorted(set(expected_names) - set(written))
        extra = sorted(set(written) - set(expected_names))
        raise BenchmarkError(
            f"{where}: {len(written)} .npy files written for {len(expected_names)} inputs "
            f"(missing {missing[:3]}, unexpected {extra[:3]})"
        )
    if contender.manifest_status is not None:
        manifest = output / MANIFEST_NAME
        if not manifest.is_file():
            raise BenchmarkError(f"{where}: no {MANIFEST_NAME} in the output folder")
        records = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
        statuses = Counter(record.get("status") for record in records)
        if len(records) != len(dataset.inputs) or statuses[contender.manifest_status] != len(records):
            raise BenchmarkError(
                f"{where}: the manifest has {len(records)} records for {len(dataset.inputs)} inputs, "
                f"statuses {dict(statuses)}; every one should be {contender.manifest_status}"
            )
    if not values:
        return
    for path, expected in dataset.expected.items():
        array = np.load(output / dataset.output_name(path))
        if array.dtype != np.float64 or array.shape != expected.shape or not np.array_equal(array, expected):
            raise BenchmarkError(
                f"{where}: the output of {path.name} differs from nibabel's get_fdata(): dtype {array.dtype}, "
                f"shape {array.shape}, expected float64 {expected.shape}; a benchmark of a wrong result is worthless"
            )


# -- Measuring ----------------------------------------------------------------------------------


def make_dataset(scratch: Path, suffix: str, count: int, shape: tuple[int, ...], check: int) -> Dataset:
    folder = scratch / ("data" + suffix.replace(".", "-"))
    inputs = sorted(write_uniform(folder, count, suffix, shape=shape))
    dataset = Dataset(suffix, folder, inputs, shape)
    dataset.expected = {path: nibabel.load(path).get_fdata() for path in sample(inputs, check)}
    return dataset


def contenders(tools: Tools, dataset: Dataset) -> list[Contender]:
    """Every command timed on a dataset, in the order they take turns and are printed; the loop first."""
    folder = str(dataset.folder)

    def ni2npy(workers: int) -> Callable[[Path], list[str]]:
        return lambda output: [tools.ni2npy, "-o", str(output), "-q", "-j", str(workers), folder]

    entries = [
        Contender(
            "loop",
            "Python loop: nibabel.load, get_fdata, np.save (anchor)",
            lambda output: [tools.python, "-c", LOOP_SCRIPT, folder, str(output), dataset.suffix],
            manifest_status=None,
        ),
        Contender(
            "imports",
            '  of which start-up + imports: python -c "import nibabel, numpy"',
            lambda output: [tools.python, "-c", IMPORTS_SCRIPT],
            writes=False,
            manifest_status=None,
        ),
        Contender("j1", "ni2npy -o OUT -q -j 1 FOLDER", ni2npy(1)),
        Contender("j2", "ni2npy -o OUT -q -j 2 FOLDER", ni2npy(2)),
    ]
    if tools.convert_many:
        entries.append(
            Contender(
                "convert_many",
                "nibridge.convert_many([FOLDER], OUT, workers=2), fresh python",
                lambda output: [tools.python, "-c", CONVERT_MANY_SCRIPT, folder, str(output), "2"],
            )
        )
        entries.append(
            Contender(
                "import_nibridge",
                '  of which start-up + import: python -c "import nibridge"',
                lambda output: [tools.python, "-c", "import nibridge"],
                writes=False,
                manifest_status=None,
            )
        )
    entries.append(
        Contender(
            "rerun",
            "ni2npy -j 2 again into its full OUT (resume: all skipped)",
            ni2npy(2),
            manifest_status="skipped",
            reruns=True,
        )
    )
    return entries


def measure(runner: Runner, scratch: Path, dataset: Dataset, entries: list[Contender], repeat: int) -> dict:
    """One warm-up run of each contender, its outputs checked, then `repeat` rounds in which the contenders take
    turns, so that load from elsewhere falls on all of them alike. Every run but a rerun writes into a new
    folder, removed (untimed) after its counts and manifest are checked."""
    timings = {entry.key: Timing(entry.label) for entry in entries}
    full = scratch / "full"  # the rerun's folder: the warm-up output of ni2npy -j 2, kept
    counter = 0

    def run(entry: Contender, warm_up: bool) -> tuple[float, float]:
        nonlocal counter
        counter += 1
        # The manifest records absolute paths: the folder the rerun resumes is written where it stays.
        keep = entry.reruns or (entry.key == "j2" and warm_up)
        output = full if keep else scratch / f"out-{entry.key}-{counter}"
        seconds, cpu_seconds = runner.run(entry.command(output))
        if entry.writes:
            check_outputs(entry, dataset, output, values=warm_up)
        if not keep and output.exists():
            shutil.rmtree(output)
        return seconds, cpu_seconds

    # Every result first: a wrong one ends the run before anything is timed.
    for entry in entries:
        run(entry, warm_up=True)
    for _ in range(repeat):
        for entry in entries:
            seconds, cpu_seconds = run(entry, warm_up=False)
            timings[entry.key].seconds.append(seconds)
            timings[entry.key].cpu_seconds.append(cpu_seconds)
    shutil.rmtree(full, ignore_errors=True)
    return timings


# -- Report -------------------------------------------------------------------------------------

Row = tuple[str, str, str, bool | None]  # label, value, target, verdict (None: information, or n/a)

# The held ratios: contender key, the goal's name, the target.
GOALS = (
    ("j2", "ni2npy -j 2", TWO_WORKERS_TARGET),
    ("convert_many", "convert_many(workers=2)", TWO_WORKERS_TARGET),
    ("j1", "ni2npy -j 1", ONE_WORKER_TARGET),
)


def ratio_text(value: float, target: float) -> str:
    """The ratio with two decimals, or three where two would round a miss up to the target (3.00x, missed)."""
    text = f"{value:.2f}"
    if (float(text) >= target) != (value >= target):
        text = f"{value:.3f}"
    return text + "x"


def report_dataset(dataset: Dataset, timings: dict[str, Timing]) -> dict[str, float]:
    """Prints one dataset's tables; returns the held ratios (files/s over the loop's) by contender key."""
    count = len(dataset.inputs)
    print(f"\n== {dataset.title}")
    print(
        f"  {'command':<66} {'median s':>9} {'min-max s':>13} {'files/s':>8} {'ms/file':>8} "
        f"{'CPU ms/file':>12} {'vs loop':>8}"
    )
    loop = timings["loop"].median
    for key, timing in timings.items():
        spread = f"{min(timing.seconds):.3f}-{max(timing.seconds):.3f}"
        cpu = statistics.median(timing.cpu_seconds)
        if key in ("imports", "import_nibridge"):
            rate = per_file = cpu_per_file = ratio = "-"
        else:
            rate = f"{count / timing.median:.1f}"
            per_file = f"{timing.median / count * 1e3:.2f}"
            cpu_per_file = f"{cpu / count * 1e3:.2f}"
            ratio = f"{loop / timing.median:.2f}x"
        print(
            f"  {timing.label:<66} {timing.median:>9.3f} {spread:>13} {rate:>8} {per_file:>8} "
            f"{cpu_per_file:>12} {ratio:>8}"
        )

    ratios = {}
    rows: list[Row] = []
    for key, name, target in GOALS:
        label = f"{name} / loop, files/s"
        if key not in timings:
            rows.append((label, "n/a", f">= {target}x", None))
            continue
        ratios[key] = loop / timings[key].median
        rows.append((label, ratio_text(ratios[key], target), f">= {target}x", ratios[key] >= target))
    loop_alone = loop - timings["imports"].median
    if loop_alone > 0:
        rows.append(("loop alone (start-up + imports taken out), files/s", f"{count / loop_alone:.1f}", "-", None))
        rows.append(("ni2npy -j 2 / loop alone, files/s", f"{loop_alone / timings['j2'].median:.2f}x", "-", None))
        # In a Python program that runs already, convert_many costs its call: its fresh process less the start-up.
        if "convert_many" in timings and "import_nibridge" in timings:
            call = timings["convert_many"].median - timings["import_nibridge"].median
            if call > 0:
                rows.append(("convert_many's call alone / loop alone, files/s", f"{loop_alone / call:.2f}x", "-", None))
        # A fresh process cannot beat the loop by more than the loop's time over the start-up alone.
        floor = timings["import_nibridge"].median if "import_nibridge" in timings else None
        if floor:
            rows.append(
                ("loop / start-up + import nibridge (convert_many's ceiling)", f"{loop / floor:.2f}x", "-", None)
            )
    rows.append(
        ("ni2npy -j 2 / -j 1, files/s (scaling)", f"{timings['j1'].median / timings['j2'].median:.2f}x", "-", None)
    )
    print(f"  {'ratio':<66} {'value':>9} {'target':>13} {'verdict':>8}")
    for label, value, target, passed in rows:
        print(f"  {label:<66} {value:>9} {target:>13} {verdict(passed, value):>8}")
    print(
        f"  note: every contender wrote one .npy per input (and ni2npy's manifest, every record as expected); "
        f"the values of {len(dataset.expected)} of them, spread over the dataset, equal get_fdata() bit for bit"
    )
    return ratios


def print_goals(results: dict[str, dict[str, float]], convert_many_note: str | None) -> list[bool]:
    """One met / NOT met line per goal and contender, over every dataset; returns the verdicts of the figures."""
    verdicts = []
    print()
    for key, name, target in GOALS:
        what = "with 2 workers" if target == TWO_WORKERS_TARGET else "with 1 worker"
        parts, passed = [], []
        for suffix, ratios in results.items():
            if key in ratios:
                parts.append(f"{suffix} {ratio_text(ratios[key], target)}")
                passed.append(ratios[key] >= target)
            else:
                parts.append(f"{suffix} n/a")
        outcome = ("met" if all(passed) else "NOT met") if passed else "not measured"
        print(f"goal >= {target}x the loop's files/s {what}, {name}: {outcome} ({', '.join(parts)})")
        verdicts += passed
    if convert_many_note is not None:
        print(f"note: convert_many not measured: {convert_many_note}")
    return verdicts


# -- Main ---------------------------------------------------------------------------------------


def _has_batch_mode(ni2npy: str) -> bool:
    result = subprocess.run([ni2npy, "--help"], check=False, capture_output=True, text=True)
    return "--output-dir" in result.stdout + result.stderr


def _convert_many_missing(python: str, environment: dict[str, str]) -> str | None:
    """Why convert_many cannot be timed, or None when nibridge has it."""
    result = subprocess.run(
        [python, "-c", HAS_CONVERT_MANY_SCRIPT], check=False, capture_output=True, text=True, env=environment
    )
    if result.returncode == 0:
        return None
    if result.returncode == 3:
        return "this nibridge has no convert_many"
    last_lines = result.stderr.strip().splitlines()[-1:]
    return f"nibridge is not importable (PYTHONPATH=BUILD/python): {_first_line(''.join(last_lines))}"


def main(argv: list[str] | None = None) -> int:
    parser = _get_parser()
    arguments = parser.parse_args(argv)
    if arguments.ni2npy is None:
        parser.error("give --ni2npy or set NI2NPY")
    if arguments.repeat < 1 or arguments.check < 1 or min(arguments.shape) < 1:
        parser.error("--repeat, --check and every --shape size must be at least 1")
    counts = {".nii.gz": arguments.nii_count, ".mgz": arguments.mgz_count}
    if any(counts[suffix] < 1 for suffix in arguments.formats):
        parser.error("--nii-count and --mgz-count must be at least 1")
    ni2npy = shutil.which(arguments.ni2npy)
    python = shutil.which(arguments.python)
    if ni2npy is None or python is None:
        parser.error(f"not an executable: {arguments.ni2npy if ni2npy is None else arguments.python}")
    if not _has_batch_mode(ni2npy):
        print(f"bench_ni2npy_batch: {ni2npy} has no batch mode (--output-dir in its --help)", file=sys.stderr)
        return 2
    # convert_many runs the ni2npy measured here unless the environment names another (CTest names the build's).
    environment = dict(os.environ)
    environment.setdefault("NIBRIDGE_NI2NPY", ni2npy)
    # The children run as a user's script does, from cached bytecode after the warm-up: CTest's
    # PYTHONDONTWRITEBYTECODE is for this script's own imports (the source tree), and would make convert_many
    # compile the build tree's nibridge in every run, while nibabel's bytecode is installed.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    convert_many_note = _convert_many_missing(python, environment)
    tools = Tools(ni2npy, python, convert_many_note is None)

    cores = len(os.sched_getaffinity(0))
    print(
        f"dataset conversion benchmark: files per second, median of {arguments.repeat} runs after one warm-up, "
        f"the contenders taking turns, each into a new output folder, warm page cache; {cores} cores usable"
    )
    print(machine_line(f"numpy {np.__version__}, nibabel {nibabel.__version__}"))
    print(f"ni2npy: {ni2npy}")
    print(f"convert_many's ni2npy (NIBRIDGE_NI2NPY): {environment['NIBRIDGE_NI2NPY']}")
    if convert_many_note is not None:
        print(f"convert_many: n/a, {convert_many_note}")
    print(
        "wall s: from the spawn of the child to its end; CPU: user + sys of the child and every process it "
        "waited for (os.wait4)"
    )
    print(load_average_line("start"))

    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench_ni2npy_batch-", dir=arguments.workdir) as scratch_name:
            scratch = Path(scratch_name)
            runner = Runner(scratch, environment)
            shape = tuple(arguments.shape)
            datasets = [
                make_dataset(scratch, suffix, counts[suffix], shape, arguments.check) for suffix in arguments.formats
            ]
            for dataset in datasets:
                entries = contenders(tools, dataset)
                load = OtherLoad()
                timings = measure(runner, scratch, dataset, entries, arguments.repeat)
                results[dataset.suffix] = report_dataset(dataset, timings)
                print(f"  load: {load.line()}")
    except BenchmarkError as error:
        print(f"bench_ni2npy_batch: error: {error}", file=sys.stderr)
        return 1
    verdicts = print_goals(results, convert_many_note)
    print(load_average_line("end"))
    print(targets_met_line(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
