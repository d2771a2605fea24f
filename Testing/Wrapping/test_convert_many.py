"""nibridge.convert_many (nibridge/_convert.py): whole datasets through ni2npy's batch mode, here and on a Dask cluster.

The dataset is generated (Testing/Data/nibridge_dataset.py): images of every format NiBridge reads natively and files
nibabel ships for the others, in a BIDS-like tree, with a few corrupt files. Every good file's .npy must equal
nibabel's get_fdata() and its record nibabel's affine, every corrupt file must fail with an error naming it, and a
rerun must convert nothing. On the cluster, a worker is killed in the middle of a task: nothing may be lost, left
half written or converted twice. Documentation/DatasetConversion.md is the contract.
"""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import nibridge
import numpy as np
import pytest
from nibridge import _convert

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Data"))
import nibabel_corpus as corpus  # noqa: E402
import nibridge_dataset  # noqa: E402

COMPRESSIONS = (".gz", ".bz2", ".zst")


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    return nibridge_dataset.write_dataset(tmp_path_factory.mktemp("small") / "data", 48)  # 60 files


@pytest.fixture(scope="module")
def large_dataset(tmp_path_factory):
    return nibridge_dataset.write_dataset(tmp_path_factory.mktemp("large") / "data", 138)  # 150 files


@pytest.fixture(scope="module")
def dask_client():
    try:
        from dask.distributed import Client, LocalCluster  # noqa: PLC0415
    except ImportError as error:
        pytest.fail(f"dask.distributed is needed by these tests (requirements.txt pins it): {error}")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def expected_output(path: Path, root: Path, out_dir: Path) -> Path:
    """The spec's mirror rule: the input's path under the root, its image extension (and compression) replaced."""
    name = path.name
    for compression in COMPRESSIONS:
        name = name.removesuffix(compression)
    return out_dir / path.relative_to(root).parent / (name[: -len(Path(name).suffix)] + ".npy")


def records_by_input(summary) -> dict[str, dict]:
    by_input = {}
    for record in summary.records:
        key = os.path.realpath(record["input"])
        assert key not in by_input, f"{key} has two records"
        by_input[key] = record
    return by_input


def leftovers(out_dir: Path, manifest: Path) -> list[str]:
    """What is in `out_dir` but the .npy files and the manifest: temporaries, task files, partial manifests."""
    found = []
    for folder, folders, files in os.walk(out_dir):
        found += [os.path.join(folder, name) for name in folders if name.startswith(".")]
        found += [os.path.join(folder, name) for name in files if not name.endswith(".npy")]
    return sorted(name for name in found if Path(name) != manifest)


def npy_files(out_dir: Path) -> list[Path]:
    return [Path(folder) / name for folder, _, files in os.walk(out_dir) for name in files if name.endswith(".npy")]


def assert_converted_as_nibabel_reads(dataset, summary, out_dir: Path, affines=False):
    by_input = records_by_input(summary)
    assert set(by_input) == {os.path.realpath(path) for path in dataset.inputs}
    for path in dataset.good:
        record = by_input[os.path.realpath(path)]
        assert record["status"] in ("converted", "skipped"), record
        assert Path(record["output"]) == expected_output(path, dataset.root, out_dir)
        image = corpus.load_with_nibabel(path)
        data = np.load(record["output"])
        expected = image.get_fdata()
        assert data.dtype == np.float64, path
        np.testing.assert_array_equal(data, expected, err_msg=str(path))
        assert record["shape"] == list(expected.shape), path
        np.testing.assert_array_equal(np.array(record["affine"]), image.affine, err_msg=str(path))
        if affines:
            affine = np.load(str(record["output"]).removesuffix(".npy") + ".affine.npy")
            np.testing.assert_array_equal(affine, image.affine, err_msg=str(path))
    for path in dataset.corrupt:
        record = by_input[os.path.realpath(path)]
        assert record["status"] == "failed", record
        assert path.name in record["error"], record
        assert not os.path.exists(record["output"]), record
    assert summary.failures == [record for record in summary.records if record["status"] == "failed"]
    assert summary.failed == len(dataset.corrupt)
    assert not summary.ok
    # The manifest on disk is what the summary returned, one line per input.
    lines = summary.manifest.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == summary.records


# -- On this machine -----------------------------------------------------------------------------------------------


def test_a_dataset_converts_as_nibabel_reads_it_and_a_rerun_converts_nothing(small_dataset, tmp_path):
    out_dir = tmp_path / "npy"
    summary = nibridge.convert_many([small_dataset.root], out_dir, affines=True, workers=2)
    assert summary.manifest == out_dir / "ni2npy-manifest.jsonl"
    assert (summary.converted, summary.skipped) == (len(small_dataset.good), 0)
    assert_converted_as_nibabel_reads(small_dataset, summary, out_dir, affines=True)
    assert leftovers(out_dir, summary.manifest) == []

    rerun = nibridge.convert_many(small_dataset.root, out_dir, affines=True, workers=2)
    assert (rerun.converted, rerun.skipped, rerun.failed) == (0, len(small_dataset.good), len(small_dataset.corrupt))
    assert_converted_as_nibabel_reads(small_dataset, rerun, out_dir, affines=True)


def test_a_long_list_of_inputs_goes_to_ni2npy_on_its_standard_input(small_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(_convert, "_ARGUMENT_LIMIT", 0)  # every list is "long"
    inputs = small_dataset.good[:12]
    manifest = tmp_path / "elsewhere" / "run.jsonl"
    summary = nibridge.convert_many(inputs, tmp_path / "npy", manifest=manifest, root=small_dataset.root)
    assert summary.ok and summary.converted == len(inputs)
    assert summary.manifest == manifest and manifest.is_file()
    assert [os.path.realpath(record["input"]) for record in summary.records] == [os.path.realpath(p) for p in inputs]
    for path, record in zip(inputs, summary.records, strict=True):
        assert Path(record["output"]) == expected_output(path, small_dataset.root, tmp_path / "npy")
        np.testing.assert_array_equal(np.load(record["output"]), corpus.load_with_nibabel(path).get_fdata())


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"dtype": "float16"}, "float16"),
        ({"inputs": "nothing-*.nii"}, "nothing-"),
        ({"inputs": []}, "no inputs"),
        ({"files_per_task": 0}, "files_per_task"),
        ({"workers": 0}, "workers"),
        ({"workers": 2, "client": object()}, "workers"),
    ],
)
def test_bad_usage_raises_a_value_error_naming_the_problem_and_converts_nothing(
    small_dataset, tmp_path, arguments, problem
):
    arguments = {"inputs": [small_dataset.root], **arguments}
    if isinstance(arguments["inputs"], str):
        arguments["inputs"] = str(tmp_path / arguments["inputs"])
    out_dir = tmp_path / "npy"
    with pytest.raises(ValueError, match=problem):
        nibridge.convert_many(out_dir=out_dir, **arguments)
    assert npy_files(out_dir) == []


# -- On a Dask cluster ---------------------------------------------------------------------------------------------


def test_a_dataset_converts_on_a_dask_cluster_and_a_rerun_converts_nothing(dask_client, large_dataset, tmp_path):
    out_dir = tmp_path / "npy"
    summary = nibridge.convert_many(large_dataset.root, out_dir, client=dask_client, files_per_task=8, affines=True)
    assert (summary.converted, summary.skipped) == (len(large_dataset.good), 0)
    assert_converted_as_nibabel_reads(large_dataset, summary, out_dir, affines=True)
    assert leftovers(out_dir, summary.manifest) == []

    for _ in range(2):  # the skipped keep their records (fingerprints, options): a third run skips them too
        rerun = nibridge.convert_many(large_dataset.root, out_dir, client=dask_client, files_per_task=8, affines=True)
        assert (rerun.converted, rerun.skipped) == (0, len(large_dataset.good))
        assert_converted_as_nibabel_reads(large_dataset, rerun, out_dir, affines=True)
    # --force replaces every output.
    forced = nibridge.convert_many(
        large_dataset.root, out_dir, client=dask_client, files_per_task=8, affines=True, force=True
    )
    assert (forced.converted, forced.skipped) == (len(large_dataset.good), 0)
    assert_converted_as_nibabel_reads(large_dataset, forced, out_dir, affines=True)
    assert leftovers(out_dir, forced.manifest) == []


def _worker_in_a_task(worker_pids, finished=2):
    """A worker whose ni2npy has converted `finished` files of its task and is converting the next, with the ni2npy
    processes under it; None if there is none now."""
    import psutil  # noqa: PLC0415 -- distributed's dependency

    for pid in worker_pids:
        try:
            converters = [child for child in psutil.Process(pid).children(recursive=True) if child.name() == "ni2npy"]
            command = converters[0].cmdline() if converters else []
        except psutil.Error:
            continue
        if "--manifest" in command:
            journal = Path(command[command.index("--manifest") + 1] + ".partial")
            done = journal.read_text().count('"status":"converted"') if journal.exists() else 0
            if done >= finished:
                return pid, converters
    return None


def test_a_worker_killed_mid_task_loses_nothing_and_converts_nothing_twice(dask_client, large_dataset, tmp_path):
    import psutil  # noqa: PLC0415

    out_dir = tmp_path / "npy"
    worker_pids = list(dask_client.run(os.getpid).values())
    outcome = {}

    def run():
        try:
            outcome["summary"] = nibridge.convert_many(
                large_dataset.root, out_dir, client=dask_client, files_per_task=4
            )
        except BaseException as error:  # reported below, in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        killed = _worker_in_a_task(worker_pids)
        if killed:
            os.kill(killed[0], signal.SIGKILL)
        time.sleep(0.002)
    assert killed, "the run ended before a worker could be killed in the middle of a task"
    done_at_kill = {path: path.stat().st_ino for path in npy_files(out_dir)}
    _, still_running = psutil.wait_procs(killed[1], timeout=10)
    assert still_running == [], "ni2npy outlived its worker (--exit-with-parent)"

    thread.join(timeout=180)
    assert not thread.is_alive(), "the run did not end after its worker was killed"
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    assert (summary.converted, summary.skipped) == (len(large_dataset.good), 0)
    assert_converted_as_nibabel_reads(large_dataset, summary, out_dir)
    assert leftovers(out_dir, summary.manifest) == []
    # Outputs finished before the kill were not made again (a new conversion links a new file). Two may be: an ni2npy
    # worker holds two inputs at a time, so when it died the .npy of the one it finished may have been linked in with
    # its result still in the pipe, and the next one's linked in before its result was sent; neither was recorded.
    remade = [path for path, inode in done_at_kill.items() if path.stat().st_ino != inode]
    assert len(remade) <= 2, remade

    rerun = nibridge.convert_many(large_dataset.root, out_dir, client=dask_client, files_per_task=4)
    assert (rerun.converted, rerun.skipped, rerun.failed) == (0, len(large_dataset.good), len(large_dataset.corrupt))


def test_the_task_records_of_a_stopped_run_count_in_the_next_run(dask_client, small_dataset, tmp_path):
    # A run stopped mid-way (its process killed) leaves its tasks' record files; the next run reads them when it plans,
    # so the outputs they made are up to date rather than "outputs that exist" which no record accounts for.
    out_dir = tmp_path / "npy"
    earlier = nibridge.convert_many(small_dataset.root, out_dir, manifest=tmp_path / "task.jsonl")
    tasks = out_dir / _convert.TASK_FOLDER
    tasks.mkdir()
    earlier.manifest.rename(tasks / "stopped-0.jsonl")

    summary = nibridge.convert_many(small_dataset.root, out_dir, client=dask_client, files_per_task=8)
    assert (summary.converted, summary.skipped) == (0, len(small_dataset.good))
    assert_converted_as_nibabel_reads(small_dataset, summary, out_dir)
    assert leftovers(out_dir, summary.manifest) == []
