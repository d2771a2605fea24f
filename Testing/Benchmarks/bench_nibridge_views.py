"""Benchmark nibridge's NumPy conversions against the itk and SimpleITK wheels and against memcpy.

The figures the project holds the Python conversions to, measured side by side in one process, as ratios:

* a view is O(1) and cheap: ``nibridge.array_view_from_image`` takes at least 10x less time per call than
  ``itk.array_view_from_image`` and at least 5x less than ``SimpleITK.GetArrayViewFromImage``;
  ``nibridge.image_view_from_array`` at least 10x less than ``itk.image_view_from_array``. Both are measured on
  a 16^3 and on a ``--size``^3 float32 image: the same figure on both shows that no view touches the pixels.
  SimpleITK has no view from an array; its ``GetImageFromArray`` (a copy) is shown on the small image, without
  a target;
* a copy runs at memcpy's speed: ``nibridge.image_from_array`` and ``nibridge.array_from_image`` on a
  ``--size``^3 float32 image reach at least 70% of the bandwidth of a plain memcpy of the same bytes into a
  freshly allocated NumPy array (page faults included, as in every copy measured). The copies of itk and
  SimpleITK, a copy from a Fortran-ordered array with ``keep_axes=True`` and copies from non-contiguous
  arrays are shown beside it, without a target.

Per-call times are the best of ``--repeat`` loops of ``--calls`` calls; copy times the best of ``--repeat``
runs after one warm-up, the copies taking turns. Every result is checked first (nibridge's values equal the
input; views share memory with what they view, copies do not): a wrong result fails the run (exit status 1).
Missed targets are reported, not failures (exit status 0). Run it by hand or with
``ctest -C Benchmark -L benchmark``; see README.md.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time
import timeit
from collections.abc import Callable

import nibridge
import numpy as np
from bench_common import MIB, BenchmarkError, load_average_line, machine_line, targets_met_line, verdict

try:
    import itk
    import SimpleITK as sitk
except ImportError as missing:
    print(f"bench_nibridge_views: the itk and SimpleITK wheels are needed here: {missing}", file=sys.stderr)
    sys.exit(2)

VIEW_ITK_TARGET = 10.0  # itk time per call / nibridge time per call, at least (both directions)
VIEW_SITK_TARGET = 5.0  # SimpleITK.GetArrayViewFromImage / nibridge.array_view_from_image, at least
COPY_TARGET = 0.70  # nibridge copy bandwidth / memcpy into a fresh array, at least
SMALL_SIZE = 16
NO_HUGE_PAGES_LABEL = "memcpy into a fresh np.empty, no huge pages (reference)"

GB = 1e9


def _get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="edge of the large cubic float32 image (256)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed loops per view, timed runs per copy after one warm-up (5)"
    )
    parser.add_argument("--calls", type=int, default=2000, help="calls per timed loop of a view (2000)")
    return parser


# -- Checks -------------------------------------------------------------------------------------


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise BenchmarkError(what)


def _expect_equal(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    _expect(
        actual.shape == expected.shape and actual.dtype == expected.dtype and np.array_equal(actual, expected),
        f"{what}: the values differ from the input (shape {actual.shape}, dtype {actual.dtype})",
    )


def check(array: np.ndarray, images: dict[str, object]) -> None:
    """Every conversion timed below gives the input's values; views share memory, copies do not."""
    nb, itk_image, sitk_image = images["nibridge"], images["itk"], images["sitk"]

    view = nibridge.array_view_from_image(nb)
    _expect_equal(view, array, "nibridge.array_view_from_image")
    _expect(np.shares_memory(view, nibridge.array_view_from_image(nb)), "nibridge.array_view_from_image copies")
    copy = nibridge.array_from_image(nb)
    _expect_equal(copy, array, "nibridge.array_from_image")
    _expect(not np.shares_memory(copy, view), "nibridge.array_from_image shares the image's memory")

    over_array = nibridge.image_view_from_array(array)
    _expect_equal(nibridge.array_view_from_image(over_array), array, "nibridge.image_view_from_array")
    _expect(
        np.shares_memory(nibridge.array_view_from_image(over_array), array), "nibridge.image_view_from_array copies"
    )
    for label, source, keep_axes in _copy_sources(array):
        image = nibridge.image_from_array(source, keep_axes=keep_axes)
        _expect_equal(nibridge.array_view_from_image(image), array, f"nibridge.image_from_array ({label})")
        _expect(
            not np.shares_memory(nibridge.array_view_from_image(image), source),
            f"nibridge.image_from_array ({label}) shares the array's memory",
        )

    # The anchors: what they claim, so that the comparison is of like with like.
    itk_view = itk.array_view_from_image(itk_image)
    _expect_equal(np.asarray(itk_view), array, "itk.array_view_from_image")
    _expect(np.shares_memory(itk_view, itk.array_view_from_image(itk_image)), "itk.array_view_from_image copies")
    itk_over_array = itk.image_view_from_array(array)
    _expect(np.shares_memory(itk.array_view_from_image(itk_over_array), array), "itk.image_view_from_array copies")
    _expect_equal(np.asarray(itk.array_from_image(itk_image)), array, "itk.array_from_image")
    _expect(not np.shares_memory(itk.array_from_image(itk_image), itk_view), "itk.array_from_image is a view")
    itk_copy = itk.image_from_array(array)
    _expect(not np.shares_memory(itk.array_view_from_image(itk_copy), array), "itk.image_from_array is a view")
    sitk_view = sitk.GetArrayViewFromImage(sitk_image)
    _expect_equal(sitk_view, array, "SimpleITK.GetArrayViewFromImage")
    _expect(
        np.shares_memory(sitk_view, sitk.GetArrayViewFromImage(sitk_image)), "SimpleITK.GetArrayViewFromImage copies"
    )
    _expect(not np.shares_memory(sitk.GetArrayFromImage(sitk_image), sitk_view), "SimpleITK.GetArrayFromImage")


# -- Timing -------------------------------------------------------------------------------------


def per_call_seconds(function: Callable[[object], object], argument: object, calls: int, repeat: int) -> float:
    """The best of `repeat` loops of `calls` calls, per call (timeit, no lambda in the loop)."""
    timer = timeit.Timer("function(argument)", globals={"function": function, "argument": argument})
    timer.timeit(max(1, calls // 10))  # warm-up: lazy imports, first allocations
    return min(timer.repeat(repeat=repeat, number=calls)) / calls


def _timed(function: Callable[[], object]) -> float:
    """One run's seconds; the result is released outside the timed part."""
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    del result
    return seconds


def copy_seconds(functions: list[Callable[[], object]], repeat: int) -> list[float]:
    """The best of `repeat` runs of each function after one warm-up each, the functions taking turns so that a
    burst of load elsewhere on the machine does not fall on one of them only."""
    for function in functions:
        _timed(function)
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for index, function in enumerate(functions):
            best[index] = min(best[index], _timed(function))
    return best


def _memmove_fresh(source: np.ndarray) -> Callable[[], np.ndarray]:
    def copy() -> np.ndarray:
        destination = np.empty_like(source)
        ctypes.memmove(destination.ctypes.data, source.ctypes.data, source.nbytes)
        return destination

    return copy


def _memmove_touched(source: np.ndarray) -> Callable[[], None]:
    destination = np.ones_like(source)  # every page touched once, before the timing

    def copy() -> None:
        ctypes.memmove(destination.ctypes.data, source.ctypes.data, source.nbytes)

    return copy


def _numpy_hugepage_switch() -> Callable[[bool], bool] | None:
    """NumPy's switch of madvise(MADV_HUGEPAGE) on its large allocations (private; None where it is missing)."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage  # noqa: PLC0415
    except ImportError:
        try:
            from numpy.core.multiarray import _set_madvise_hugepage  # noqa: PLC0415
        except ImportError:
            return None
    return _set_madvise_hugepage


def _memmove_fresh_small_pages(source: np.ndarray) -> Callable[[], np.ndarray] | None:
    """memcpy into a fresh np.empty that NumPy does not ask for huge pages: the page faults of a plain malloc."""
    switch = _numpy_hugepage_switch()
    if switch is None:
        return None
    fresh = _memmove_fresh(source)

    def copy() -> np.ndarray:
        previous = switch(False)
        try:
            return fresh()
        finally:
            switch(previous)

    return copy


def _transparent_hugepages() -> str:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled", encoding="ascii") as mode:
            return mode.read().strip()
    except OSError:
        return "unknown"


def _copy_sources(array: np.ndarray) -> list[tuple[str, np.ndarray, bool]]:
    """The inputs of image_from_array whose image equals `array`: label, source, keep_axes."""
    strided = np.empty(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
    strided[..., ::2] = array
    return [
        ("C-contiguous", array, False),
        ("Fortran order, keep_axes=True", array.T, True),
        ("strided: every other value", strided[..., ::2], False),
        ("transposing: C (i,j,k), keep_axes", np.ascontiguousarray(array.T), True),
    ]


# -- Report -------------------------------------------------------------------------------------


def _ratio_row(
    label: str, value: float, target: float | None, at_least: bool = True
) -> tuple[str, str, str, bool | None]:
    if target is None:
        return label, f"{value:.2f}x", "-", None
    passed = value >= target if at_least else value <= target
    return label, f"{value:.2f}x", f">= {target:g}x", passed


def _print_rows(rows: list[tuple[str, str, str, bool | None]]) -> list[bool]:
    print(f"  {'ratio':<60} {'value':>9} {'target':>8} {'verdict':>8}")
    for label, value, target, passed in rows:
        print(f"  {label:<60} {value:>9} {target:>8} {verdict(passed):>8}")
    return [passed for *_, passed in rows if passed is not None]


def _images(array: np.ndarray) -> dict[str, object]:
    return {
        "nibridge": nibridge.image_from_array(array),
        "itk": itk.image_from_array(array),
        "sitk": sitk.GetImageFromArray(array),
    }


def measure_views(
    array: np.ndarray, images: dict[str, object], arguments: argparse.Namespace, small: bool
) -> tuple[list[bool], tuple[float, float]]:
    """Per-call times of the views on one image; prints its table and returns the verdicts and nibridge's time."""
    edge = array.shape[0]
    rows = [
        ("image -> array view: nibridge.array_view_from_image", nibridge.array_view_from_image, images["nibridge"]),
        ("image -> array view: itk.array_view_from_image", itk.array_view_from_image, images["itk"]),
        ("image -> array view: SimpleITK.GetArrayViewFromImage", sitk.GetArrayViewFromImage, images["sitk"]),
        ("array -> image view: nibridge.image_view_from_array", nibridge.image_view_from_array, array),
        ("array -> image view: itk.image_view_from_array", itk.image_view_from_array, array),
    ]
    if small:
        rows.append(("array -> image COPY: SimpleITK.GetImageFromArray (no view)", sitk.GetImageFromArray, array))
    print(
        f"\n== views, {edge}^3 float32 ({array.nbytes / MIB:.3g} MiB): "
        f"best of {arguments.repeat} x {arguments.calls} calls"
    )
    print(f"  {'call':<60} {'us/call':>9}")
    seconds = {}
    for label, function, argument in rows:
        calls = arguments.calls
        if "COPY" in label:
            calls = max(1, calls // 10)  # a copy per call; fewer calls keep the run short
        seconds[label] = per_call_seconds(function, argument, calls, arguments.repeat)
        print(f"  {label:<60} {seconds[label] * 1e6:>9.3f}")

    nb_to_array = seconds[rows[0][0]]
    nb_to_image = seconds[rows[3][0]]
    ratios = [
        _ratio_row("itk.array_view_from_image / nibridge", seconds[rows[1][0]] / nb_to_array, VIEW_ITK_TARGET),
        _ratio_row("SimpleITK.GetArrayViewFromImage / nibridge", seconds[rows[2][0]] / nb_to_array, VIEW_SITK_TARGET),
        _ratio_row("itk.image_view_from_array / nibridge", seconds[rows[4][0]] / nb_to_image, VIEW_ITK_TARGET),
    ]
    if small:
        ratios.append(
            _ratio_row("SimpleITK.GetImageFromArray (a copy) / nibridge view", seconds[rows[5][0]] / nb_to_image, None)
        )
    return _print_rows(ratios), (nb_to_array, nb_to_image)


def measure_copies(array: np.ndarray, images: dict[str, object], repeat: int) -> list[bool]:
    """Bandwidth of every copy on the large image, as GB/s and as a fraction of memcpy into a fresh array."""
    nbytes = array.nbytes
    sources = _copy_sources(array)
    fortran, strided, transposed = sources[1], sources[2], sources[3]
    runs = [
        ("memcpy into a fresh np.empty (the anchor)", _memmove_fresh(array), None),
        ("memcpy into a pre-touched array (reference)", _memmove_touched(array), None),
        (NO_HUGE_PAGES_LABEL, _memmove_fresh_small_pages(array), None),
        ("nibridge.array_from_image", lambda: nibridge.array_from_image(images["nibridge"]), COPY_TARGET),
        ("nibridge.image_from_array", lambda: nibridge.image_from_array(array), COPY_TARGET),
        (
            f"nibridge.image_from_array, {fortran[0]}",
            lambda: nibridge.image_from_array(fortran[1], keep_axes=True),
            None,
        ),
        (f"nibridge.image_from_array, {strided[0]}", lambda: nibridge.image_from_array(strided[1]), None),
        (
            f"nibridge.image_from_array, {transposed[0]}",
            lambda: nibridge.image_from_array(transposed[1], keep_axes=True),
            None,
        ),
        ("itk.array_from_image", lambda: itk.array_from_image(images["itk"]), None),
        ("itk.image_from_array", lambda: itk.image_from_array(array), None),
        ("SimpleITK.GetArrayFromImage", lambda: sitk.GetArrayFromImage(images["sitk"]), None),
        ("SimpleITK.GetImageFromArray", lambda: sitk.GetImageFromArray(array), None),
    ]
    edge = array.shape[0]
    print(f"\n== copies, {edge}^3 float32 ({nbytes / MIB:.3g} MiB): best of {repeat} runs after one warm-up")
    print(f"  {'copy':<60} {'ms':>9} {'GB/s':>8} {'/memcpy':>8} {'target':>8} {'verdict':>8}")
    runs = [run for run in runs if run[1] is not None]
    measured = dict(zip([run[0] for run in runs], copy_seconds([run[1] for run in runs], repeat), strict=True))
    anchor = measured[runs[0][0]]
    verdicts = []
    for label, _, target in runs:
        seconds = measured[label]
        fraction = anchor / seconds
        passed = None if target is None else fraction >= target
        if passed is not None:
            verdicts.append(passed)
        target_text = "-" if target is None else f">= {target:.2f}"
        print(
            f"  {label:<60} {seconds * 1e3:>9.3f} {nbytes / seconds / GB:>8.2f} {fraction:>8.2f} "
            f"{target_text:>8} {verdict(passed):>8}"
        )
    small_pages = measured.get(NO_HUGE_PAGES_LABEL)
    if small_pages is not None:
        print(
            "  note: NumPy and nibridge ask for transparent huge pages (madvise) on large buffers; itk's and\n"
            "  SimpleITK's image buffers are plain heap memory on 4 KiB pages, whose first touch costs more.\n"
            "  memcpy into a fresh array without huge pages / nibridge.image_from_array: "
            f"{small_pages / measured['nibridge.image_from_array']:.2f}"
        )
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = _get_parser()
    arguments = parser.parse_args(argv)
    if arguments.size < 2 or arguments.repeat < 1 or arguments.calls < 1:
        parser.error("--size must be at least 2, --repeat and --calls at least 1")

    print(
        f"nibridge views and copies against itk and SimpleITK: {SMALL_SIZE}^3 and {arguments.size}^3 float32, "
        f"views best of {arguments.repeat} x {arguments.calls} calls, copies best of {arguments.repeat} runs"
    )
    print(
        machine_line(
            f"numpy {np.__version__}, itk {itk.__version__}, SimpleITK {sitk.__version__}, "
            f"nibridge {nibridge.__version__}"
        )
    )
    print(f"transparent huge pages: {_transparent_hugepages()}")
    print(load_average_line("start"))

    rng = np.random.default_rng(0)
    small = rng.standard_normal((SMALL_SIZE,) * 3, dtype=np.float32)
    large = rng.standard_normal((arguments.size,) * 3, dtype=np.float32)
    verdicts: list[bool] = []
    try:
        small_images = _images(small)
        large_images = _images(large)
        check(small, small_images)
        check(large, large_images)
        small_verdicts, small_times = measure_views(small, small_images, arguments, small=True)
        large_verdicts, large_times = measure_views(large, large_images, arguments, small=False)
        verdicts += small_verdicts + large_verdicts
        print(f"\n== O(1): nibridge's time per call on {arguments.size}^3 over {SMALL_SIZE}^3")
        _print_rows(
            [
                _ratio_row("array_view_from_image", large_times[0] / small_times[0], None),
                _ratio_row("image_view_from_array", large_times[1] / small_times[1], None),
            ]
        )
        del small_images
        verdicts += measure_copies(large, large_images, arguments.repeat)
    except BenchmarkError as error:
        print(f"bench_nibridge_views: error: {error}", file=sys.stderr)
        return 1

    print("\n" + load_average_line("end"))
    print(targets_met_line(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
