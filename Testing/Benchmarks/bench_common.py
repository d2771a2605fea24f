"""What NiBridge's benchmarks share: their error, a timing record, the input options, verdicts and the
lines every report starts and ends with."""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics

MIB = 1024.0 * 1024.0


class BenchmarkError(RuntimeError):
    """A tool failed or gave a wrong result: the benchmark cannot stand."""


@dataclasses.dataclass
class Timing:
    """The timed runs of one contender: wall and CPU seconds of each run, its peak RSS if measured."""

    label: str
    seconds: list[float] = dataclasses.field(default_factory=list)
    cpu_seconds: list[float] = dataclasses.field(default_factory=list)
    peak_rss: int | None = None  # bytes
    rss_is_upper_bound: bool = False

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best_cpu(self) -> float:
        return min(self.cpu_seconds)


def add_input_arguments(
    parser: argparse.ArgumentParser,
    formats: tuple[str, ...],
    formats_help: str,
    repeat_help: str,
    compresslevel_help: str,
) -> None:
    """The options of the benchmarks that generate their inputs: size, runs, scratch folder, types, formats, gzip
    level."""
    parser.add_argument("--size", type=int, default=256, help="edge of the cubic volume (256)")
    parser.add_argument("--repeat", type=int, default=5, help=repeat_help)
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
    parser.add_argument("--formats", nargs="+", choices=formats, default=list(formats), help=formats_help)
    parser.add_argument(
        "--compresslevel", type=int, choices=range(1, 10), default=6, metavar="1-9", help=compresslevel_help
    )


def verdict(passed: bool | None, value: str | None = None) -> str:
    """PASS or MISS for a target, info for a figure without one, n/a for a figure that could not be had."""
    if value == "n/a":
        return "n/a"
    return {True: "PASS", False: "MISS", None: "info"}[passed]


def machine_line(versions: str) -> str:
    """The machine and the versions that the figures depend on."""
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"Python {platform.python_version()}, {versions}"
    )


def load_average_line(when: str) -> str:
    return "load average (1, 5, 15 min) at the {}: {:.2f} {:.2f} {:.2f}".format(when, *os.getloadavg())


def targets_met_line(verdicts: list[bool]) -> str:
    missed = verdicts.count(False)
    return f"{len(verdicts) - missed} of {len(verdicts)} targets met" + (f", {missed} missed" if missed else "")
