"""Lifetime: every view pins the memory it shows (pybind11's test_numpy_view pattern), nothing leaks, and
the copies let other Python threads run."""

import gc
import os
import sys
import threading
import tracemalloc
import weakref

import nibridge
import numpy as np
import pytest
from nibridge._core import _live_pixel_container_count, _reallocate_releasing_in_native_thread


def live_containers():
    gc.collect()
    return _live_pixel_container_count()


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_an_array_view_outlives_its_image_and_frees_the_buffer_when_deleted():
    baseline = live_containers()
    image = nibridge.image_from_array(np.arange(60, dtype=np.int32).reshape(3, 4, 5))
    views = [nibridge.array_view_from_image(image), nibridge.array_view_from_image(image, keep_axes=True)]
    protocol_view = np.asarray(image)
    buffer_view = memoryview(image)
    assert live_containers() == baseline + 1
    del image
    assert live_containers() == baseline + 1
    np.testing.assert_array_equal(views[0], np.arange(60).reshape(3, 4, 5))
    np.testing.assert_array_equal(views[1], np.arange(60).reshape(3, 4, 5).T)
    np.testing.assert_array_equal(protocol_view, np.arange(60).reshape(3, 4, 5))
    assert buffer_view[2, 3, 4] == 59
    views[0][0, 0, 0] = -1
    assert views[1][0, 0, 0] == -1
    del views, protocol_view
    assert live_containers() == baseline + 1
    buffer_view.release()
    del buffer_view
    assert live_containers() == baseline


def test_an_array_view_survives_the_reallocation_of_its_image():
    baseline = live_containers()
    image = nibridge.image_from_array(np.full((4, 5), 3.5))
    view = nibridge.array_view_from_image(image)
    buffer_view = memoryview(image)
    image.allocate(initialize=True)
    assert live_containers() == baseline + 2
    np.testing.assert_array_equal(view, np.full((4, 5), 3.5))
    assert buffer_view[3, 4] == 3.5
    np.testing.assert_array_equal(nibridge.array_view_from_image(image), np.zeros((4, 5)))
    del view
    buffer_view.release()
    assert live_containers() == baseline + 1
    del image
    assert live_containers() == baseline


def test_an_image_view_outlives_its_array_and_releases_it_when_deleted():
    baseline = live_containers()
    array = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    array_alive = weakref.ref(array)
    image = nibridge.image_view_from_array(array)
    del array
    gc.collect()
    assert array_alive() is not None
    np.testing.assert_array_equal(nibridge.array_from_image(image), np.arange(24).reshape(2, 3, 4))
    del image
    gc.collect()
    assert array_alive() is None
    assert live_containers() == baseline


def test_a_view_of_a_view_pins_the_original_array():
    array = np.asfortranarray(np.arange(24, dtype=np.uint16).reshape(4, 3, 2))
    array_alive = weakref.ref(array)
    image = nibridge.image_view_from_array(array, keep_axes=True)
    view = nibridge.array_view_from_image(image, keep_axes=True)
    del array, image
    gc.collect()
    assert array_alive() is not None
    np.testing.assert_array_equal(view, np.arange(24).reshape(4, 3, 2))
    del view
    gc.collect()
    assert array_alive() is None


def test_an_image_view_blocks_resizing_of_its_array():
    array = np.zeros((3, 4))
    image = nibridge.image_view_from_array(array)
    with pytest.raises(ValueError, match="resize"):
        array.resize((30, 40))
    del image
    gc.collect()
    array.resize((30, 40))


def test_an_image_view_dropped_by_another_thread_releases_its_array():
    array = np.ones((8, 8), np.float32)
    array_alive = weakref.ref(array)
    holder = [nibridge.image_view_from_array(array)]
    del array

    def drop():
        holder.clear()
        gc.collect()

    thread = threading.Thread(target=drop)
    thread.start()
    thread.join()
    gc.collect()
    assert array_alive() is None


def test_an_image_view_dropped_by_a_native_thread_takes_the_gil_to_release_its_array():
    array = np.ones((8, 8), np.float32)
    array_alive = weakref.ref(array)
    image = nibridge.image_view_from_array(array)
    del array
    gc.collect()
    assert array_alive() is not None
    _reallocate_releasing_in_native_thread(image)
    gc.collect()
    assert array_alive() is None
    assert image.shape == (8, 8)


def round_trip(array):
    image = nibridge.image_view_from_array(array, spacing=(1, 2, 3))
    view = nibridge.array_view_from_image(image)
    copy = nibridge.image_from_array(view, keep_axes=True)
    np.asarray(copy)
    return nibridge.array_from_image(copy, keep_axes=True)


def assert_repeating_leaks_nothing(step, warm_up, repeats):
    """Calls step warm_up times, then repeats times, and asserts that the second run left nothing behind: no live
    container, no open descriptor, under 256 KiB more memory traced by Python and under 16 MiB more resident.
    Traced from before the warm-up: a table Python resizes in place (the interned strings', about 2 MB, which
    nibabel's sniffing churns) would otherwise count whole as new memory when it is next reallocated."""
    tracemalloc.start()
    try:
        for _ in range(warm_up):
            step()
        gc.collect()
        baseline, descriptors = live_containers(), open_descriptors()
        resident_before = resident_bytes()
        traced_before = tracemalloc.get_traced_memory()[0]
        for _ in range(repeats):
            step()
        gc.collect()
        traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
        resident_growth = resident_bytes() - resident_before
    finally:
        tracemalloc.stop()
    assert live_containers() == baseline
    assert open_descriptors() == descriptors
    assert traced_growth < 256 * 1024, traced_growth
    assert resident_growth < 16 * 1024 * 1024, resident_growth


def test_ten_thousand_round_trips_leak_nothing():
    array = np.ones((16, 16, 16), np.float32)  # 16 KiB: a leak of one buffer per trip is 160 MiB
    assert_repeating_leaks_nothing(lambda: round_trip(array), warm_up=500, repeats=10_000)


def _write_reader_sample(directory, suffix):
    """A small file for one of the readers imread reaches: native (.nii.gz, .mgz, .npy), nibabel's (MINC1, a file
    nibabel ships) or ITK's in the helper process (.nrrd)."""
    from nibabel.testing import data_path  # noqa: PLC0415

    values = np.arange(16 * 16 * 16, dtype=np.float32).reshape(16, 16, 16)
    path = directory / f"sample{suffix}"
    if suffix == ".mnc":
        return os.path.join(data_path, "tiny.mnc")
    if suffix == ".nrrd":
        header = "NRRD0004\ntype: float\ndimension: 3\nsizes: 16 16 16\nencoding: raw\nendian: little\n\n"
        path.write_bytes(header.encode() + values.tobytes())
        return path
    nibridge.imwrite(nibridge.image_from_array(values), path)
    return path


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize(
    ("suffix", "reads"),
    [(".nii.gz", 10_000), (".mgz", 10_000), (".npy", 10_000), (".mnc", 10_000), (".nrrd", 300)],
    ids=["native-nifti", "native-mgh", "numpy", "nibabel-minc", "itk-in-helper-process"],
)
def test_many_imreads_leak_nothing(tmp_path, suffix, reads):
    # ITK's formats start a helper process per read (about 30 ms): fewer reads, which still show a leaked descriptor,
    # child process or buffer.
    import warnings  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nibridge.GeometryWarning)
        path = _write_reader_sample(tmp_path, suffix)
    assert_repeating_leaks_nothing(
        lambda: nibridge.imread(path), warm_up=50 if suffix == ".nrrd" else 3_000, repeats=reads
    )


def test_other_threads_run_while_a_1_gib_copy_runs():
    image = nibridge.Image((1024, 1024, 256), "float32")  # 1 GiB
    ticks = [0]
    started = threading.Event()
    finished = threading.Event()

    def spin():
        started.set()
        while not finished.is_set():
            ticks[0] += 1

    # With a long switch interval this thread keeps the GIL for the whole call unless the call releases it.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.5)
    spinner = threading.Thread(target=spin)
    try:
        spinner.start()
        started.wait()
        before = ticks[0]
        copy = nibridge.array_from_image(image)
        during_array_copy = ticks[0] - before
        before = ticks[0]
        again = nibridge.image_from_array(copy)
        during_image_copy = ticks[0] - before
    finally:
        finished.set()
        spinner.join()
        sys.setswitchinterval(interval)
    assert during_array_copy > 0
    assert during_image_copy > 0
    assert copy.nbytes == 1024 * 1024 * 1024
    assert again.shape == image.shape
