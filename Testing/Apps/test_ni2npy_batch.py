"""ni2npy's batch mode (Documentation/DatasetConversion.md) on a generated dataset of a few hundred mixed files.

Everything convertible must convert and equal nibabel, exactly the corrupt files must be reported, a rerun must
convert nothing new, a run killed half-way (SIGKILL) must finish correctly when rerun and leave no partial output, a
worker that dies must fail only its file. Also the single-file behaviour scripts expect: "-" for standard output,
symbolic links written through, a distinct exit status for an existing output.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Data"))
import nibabel_corpus as corpus  # noqa: E402
import nibridge_dataset  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Documentation"))
import make_progress_figure  # noqa: E402

NI2NPY = os.environ.get("NI2NPY")
DONE, SOME_FAILED, USAGE_ERROR, OUTPUT_EXISTS = 0, 1, 2, 3


def ni2npy(*arguments, **options):
    if not NI2NPY:
        pytest.fail("NI2NPY is not set: run these tests through CTest, which points it at the built ni2npy")
    return subprocess.run(
        [NI2NPY, *map(str, arguments)], check=False, capture_output=True, text=True, timeout=600, **options
    )


def records(manifest):
    return [json.loads(line) for line in Path(manifest).read_text().splitlines()]


def by_status(manifest):
    grouped = {}
    for record in records(manifest):
        grouped.setdefault(record["status"], []).append(record)
    return grouped


def equals_nibabel(record):
    image = corpus.load_with_nibabel(record["input"])
    data = np.load(record["output"])
    expected = image.get_fdata()
    assert data.shape == expected.shape == tuple(record["shape"]), record
    np.testing.assert_array_equal(data, expected)
    assert record["dtype"] == "float64"
    np.testing.assert_array_equal(np.array(record["affine"]), image.affine)


def leftovers(directory):
    """Files in the output tree other than outputs and the manifest (or its journal): temporaries, partial files."""
    return sorted(
        str(path)
        for path in Path(directory).rglob("*")
        if path.is_file() and not path.name.endswith((".npy", ".jsonl", ".jsonl.partial"))
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return nibridge_dataset.write_dataset(tmp_path_factory.mktemp("dataset"), count=300)


def test_a_dataset_converts_equal_to_nibabel_and_exactly_the_corrupt_files_fail(dataset, tmp_path):
    out = tmp_path / "out"
    result = ni2npy("-o", out, "-j", 2, "--affines", dataset.root)
    assert result.returncode == SOME_FAILED, result.stderr
    manifest = out / "ni2npy-manifest.jsonl"
    grouped = by_status(manifest)
    assert sorted(record["input"] for record in grouped["failed"]) == sorted(map(str, dataset.corrupt))
    for record in grouped["failed"]:
        assert record["error"].startswith(f'"{record["input"]}": '), record
        assert record["error"] in result.stderr
        assert not Path(record["output"]).exists()
    assert sorted(record["input"] for record in grouped["converted"]) == sorted(map(str, dataset.good))
    for record in grouped["converted"]:
        equals_nibabel(record)
        np.testing.assert_array_equal(np.load(record["output"][: -len(".npy")] + ".affine.npy"), record["affine"])
        assert record["output_size"] == Path(record["output"]).stat().st_size
    # The tree is mirrored: sub-XX/anat/run-NNN.nii.gz -> out/sub-XX/anat/run-NNN.npy.
    some = dataset.good[0].relative_to(dataset.root)
    assert (out / some.parent / (some.name.split(".")[0] + ".npy")).is_file()
    assert f"{len(dataset.good)} converted, 0 skipped (up to date), {len(dataset.corrupt)} failed" in result.stderr
    assert leftovers(out) == []

    rerun = ni2npy("-o", out, "-j", 2, "--affines", dataset.root)
    assert rerun.returncode == SOME_FAILED  # the corrupt files are tried again, and fail again
    assert f"0 converted, {len(dataset.good)} skipped (up to date), {len(dataset.corrupt)} failed" in rerun.stderr
    again = by_status(manifest)
    assert len(again["skipped"]) == len(dataset.good) and "converted" not in again
    assert {record["input"]: record["affine"] for record in again["skipped"]} == {
        record["input"]: record["affine"] for record in grouped["converted"]
    }


def test_a_rerun_converts_what_changed_and_what_was_removed(tmp_path):
    data = tmp_path / "data"
    inputs = nibridge_dataset.write_uniform(data, 6, ".nii.gz", shape=(4, 5, 6))
    out = tmp_path / "out"
    assert ni2npy("-o", out, data).returncode == DONE
    nib.save(nib.Nifti1Image(np.ones((3, 3, 3), np.int16), np.eye(4)), inputs[2])  # a changed source
    (out / "image-0004.npy").unlink()  # a lost output
    rerun = ni2npy("-o", out, data)
    assert rerun.returncode == DONE, rerun.stderr
    assert "2 converted, 4 skipped (up to date), 0 failed" in rerun.stderr
    np.testing.assert_array_equal(np.load(out / "image-0002.npy"), np.ones((3, 3, 3)))
    # Other options make other outputs: everything is converted again.
    assert "6 converted" in ni2npy("-o", out, "--dtype", "int16", data).stderr


def run_until(arguments, converted_lines):
    """Starts a batch and SIGKILLs it (the driver: its workers die with it) once `converted_lines` files are done."""
    process = subprocess.Popen([NI2NPY, *map(str, arguments)], stderr=subprocess.PIPE, text=True)
    seen = 0
    for line in process.stderr:
        seen += "] converted " in line
        if seen >= converted_lines:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    return process.returncode


def test_a_batch_killed_half_way_finishes_when_rerun_and_leaves_no_partial_output(dataset, tmp_path):
    out = tmp_path / "out"
    assert run_until(["-o", out, "-j", 2, dataset.root], 120) == -signal.SIGKILL
    time.sleep(0.2)  # the workers' death signal
    assert leftovers(out) == []
    done_before = {str(path) for path in out.rglob("*.npy")}
    assert 100 <= len(done_before) < len(dataset.good)
    assert not (out / "ni2npy-manifest.jsonl").exists() and (out / "ni2npy-manifest.jsonl.partial").exists()

    rerun = ni2npy("-o", out, "-j", 2, dataset.root)
    assert rerun.returncode == SOME_FAILED, rerun.stderr
    grouped = by_status(out / "ni2npy-manifest.jsonl")
    assert not (out / "ni2npy-manifest.jsonl.partial").exists()
    assert sorted(record["input"] for record in grouped["failed"]) == sorted(map(str, dataset.corrupt))
    finished = grouped["converted"] + grouped["skipped"]
    assert sorted(record["input"] for record in finished) == sorted(map(str, dataset.good))
    # What the killed run finished is not converted again, but for the outputs linked in whose records the driver had
    # not written yet: at most two a worker (the one it had sent, the one it had waiting), converted again as its own.
    assert len(grouped["skipped"]) >= len(done_before) - 2 * 2
    assert {record["output"] for record in grouped["skipped"]} <= done_before
    for record in finished:
        equals_nibabel(record)
    assert leftovers(out) == []


def worker_of(driver):
    children = Path(f"/proc/{driver}/task/{driver}/children")
    for _ in range(500):
        pids = children.read_text().split()
        if pids:
            return int(pids[0])
        time.sleep(0.01)
    pytest.fail("the batch started no worker process")


def test_a_worker_that_dies_fails_only_its_file(tmp_path):
    data = tmp_path / "data"
    big = data / "a-big.nii.gz"  # about a second of work: the worker is killed while it converts it
    data.mkdir()
    nib.save(
        nib.Nifti1Image(np.random.default_rng(1).standard_normal((256, 256, 96)).astype(np.float32), np.eye(4)), big
    )
    nibridge_dataset.write_uniform(data, 5, ".mgz", shape=(4, 4, 4))
    out = tmp_path / "out"
    process = subprocess.Popen([NI2NPY, "-o", out, "-j", "1", data], stderr=subprocess.PIPE, text=True)
    os.kill(worker_of(process.pid), signal.SIGKILL)
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode == SOME_FAILED, stderr
    grouped = by_status(out / "ni2npy-manifest.jsonl")
    assert [record["input"] for record in grouped["failed"]] == [str(big)]
    assert "the worker process converting it died: killed by signal 9" in grouped["failed"][0]["error"]
    assert len(grouped["converted"]) == 5
    assert leftovers(out) == []


def test_inputs_are_files_folders_patterns_and_list_files(tmp_path):
    data = tmp_path / "data"
    nibridge_dataset.write_uniform(data / "a", 3, ".nii.gz", shape=(3, 3, 3))
    nibridge_dataset.write_uniform(data / "b" / "c", 2, ".mgz", shape=(3, 3, 3))
    (data / "a" / "notes.txt").write_text("not an image")
    (data / "a" / ".hidden.nii").write_bytes(b"")
    out = tmp_path / "out"
    # A quoted pattern, expanded by ni2npy; "**" crosses folders; the root is the deepest common folder.
    result = ni2npy("-o", out, "-n", str(data / "**" / "*.mgz"), data / "a" / "image-0000.nii.gz")
    assert result.returncode == DONE, result.stderr
    planned = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(p["output"]).relative_to(out).as_posix(), p["status"]) for p in planned] == [
        ("b/c/image-0000.npy", "convert"),
        ("b/c/image-0001.npy", "convert"),
        ("a/image-0000.npy", "convert"),
    ]
    assert not out.exists()  # a dry run writes nothing
    # A list file: inputs, or inputs with their output's path in the output folder.
    listing = tmp_path / "list.txt"
    listing.write_text(
        f"# comment\n{data / 'a' / 'image-0001.nii.gz'}\n\n{data / 'b' / 'c' / 'image-0000.mgz'}\tx/y.npy\n"
    )
    assert ni2npy("-o", out, "--list", listing).returncode == DONE
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.npy")) == ["image-0001.npy", "x/y.npy"]
    # A folder: images only, hidden files and the output folder (inside the input tree here) left out.
    inner = data / "npy"
    assert ni2npy("-o", inner, "-q", data).returncode == DONE
    assert "5 inputs: 5 up to date" in ni2npy("-o", inner, data).stderr  # its own outputs are no inputs
    assert len(records(inner / "ni2npy-manifest.jsonl")) == 5
    # --root gives the mirrored tree's top.
    planned = ni2npy("-o", out, "-n", "--root", data, data / "b" / "c" / "image-0001.mgz").stdout
    assert json.loads(planned)["output"] == str(out / "b" / "c" / "image-0001.npy")


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["{missing}"], "no such file or folder"),
        (["{data}/*.mnc"], "the pattern matches no image"),
        ([], "no input image"),
        (["--affine", "{data}/a.npy", "{data}"], "--affines"),
        (["--root", "{data}/sub", "{data}"], "not under the --root folder"),
    ],
)
def test_usage_errors_stop_a_batch_before_anything_is_converted(arguments, reason, tmp_path):
    data = tmp_path / "data"
    nibridge_dataset.write_uniform(data, 2, ".nii.gz", shape=(3, 3, 3))
    (data / "sub").mkdir()
    arguments = [argument.format(data=data, missing=tmp_path / "missing") for argument in arguments]
    result = ni2npy("-o", tmp_path / "out", *arguments)
    assert result.returncode == USAGE_ERROR, result.stderr
    assert reason in result.stderr and result.stderr.startswith("ni2npy: usage error: ")
    assert not list((tmp_path).rglob("*.npy"))


def test_existing_outputs_no_record_accounts_for_are_kept_unless_forced_or_skipped(tmp_path):
    data = tmp_path / "data"
    nibridge_dataset.write_uniform(data, 3, ".nii.gz", shape=(3, 3, 3))
    out = tmp_path / "out"
    out.mkdir()
    (out / "image-0001.npy").write_bytes(b"precious")
    result = ni2npy("-o", out, data)
    assert result.returncode == SOME_FAILED
    assert "exists and no record of the manifest made it; not overwritten" in result.stderr
    assert (out / "image-0001.npy").read_bytes() == b"precious"
    assert "0 converted, 3 skipped" in ni2npy("-o", out, "--skip-existing", data).stderr
    assert (out / "image-0001.npy").read_bytes() == b"precious"
    forced = ni2npy("-o", out, "--force", data)
    assert forced.returncode == DONE and "3 converted" in forced.stderr
    np.testing.assert_array_equal(np.load(out / "image-0001.npy"), nib.load(data / "image-0001.nii.gz").get_fdata())


def test_per_file_options_apply_to_every_file_and_a_lossy_dtype_fails_only_its_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    nib.save(nib.Nifti1Image(np.arange(27, dtype=np.int16).reshape(3, 3, 3), np.eye(4)), data / "integers.nii")
    nib.save(nib.Nifti1Image(np.full((3, 3, 3), 0.5, np.float32), np.eye(4)), data / "halves.nii")
    out = tmp_path / "out"
    result = ni2npy("-o", out, "--dtype", "int16", data)
    assert result.returncode == SOME_FAILED
    grouped = by_status(out / "ni2npy-manifest.jsonl")
    assert [Path(r["input"]).name for r in grouped["failed"]] == ["halves.nii"]
    assert "would change values" in grouped["failed"][0]["error"]
    assert np.load(out / "integers.npy").dtype == np.int16 and grouped["converted"][0]["dtype"] == "int16"
    assert ni2npy("-o", out, "--dtype", "int16", "--allow-lossy", data).returncode == DONE
    assert np.load(out / "halves.npy").dtype == np.int16


def test_two_inputs_with_one_output_both_fail_naming_each_other(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for suffix in (".nii", ".mgz"):
        nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.float32), np.eye(4)), data / f"same{suffix}")
    result = ni2npy("-o", tmp_path / "out", data)
    assert result.returncode == SOME_FAILED
    failed = by_status(tmp_path / "out" / "ni2npy-manifest.jsonl")["failed"]
    assert len(failed) == 2 and all("is also the output of" in record["error"] for record in failed)
    assert not list((tmp_path / "out").rglob("*.npy"))


def test_progress_is_a_bar_on_a_terminal_lines_elsewhere_and_failures_only_with_quiet(dataset, tmp_path):
    lines = ni2npy("-o", tmp_path / "lines", dataset.root / "sub-00")
    assert lines.returncode == DONE
    assert lines.stderr.count("] converted ") == 10 and "\r" not in lines.stderr
    quiet = ni2npy("-o", tmp_path / "quiet", "-q", dataset.root / "sub-corrupt")
    assert quiet.returncode == SOME_FAILED
    assert quiet.stderr.count("\n") == len(dataset.corrupt) and quiet.stderr.count("ni2npy: error: ") == 6
    # On a terminal: one line redrawn in place with the files done, the rate and the time left.
    # (The figure of Documentation/DatasetConversion.md is drawn by the same capture.)
    text = "".join(make_progress_figure.capture(NI2NPY, dataset.root, tmp_path / "bar", workers=1))
    assert "\r\x1b[Kni2npy [" in text and "files/s" in text and " left" in text
    assert f"/{len(dataset.inputs)} files, 6 failed" in text
    assert "] converted " not in text  # no line per file on a terminal


# ---- single files, as scripts use them -----------------------------------------------------------------------------


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "image.mgz"
    nib.save(nib.MGHImage(np.arange(60, dtype=np.float32).reshape(3, 4, 5), corpus.OBLIQUE), path)
    return path


def test_a_dash_writes_the_npy_to_standard_output(image, tmp_path):
    result = subprocess.run([NI2NPY, image, "-"], check=False, capture_output=True, timeout=60)
    assert result.returncode == DONE, result.stderr
    (tmp_path / "piped.npy").write_bytes(result.stdout)
    np.testing.assert_array_equal(np.load(tmp_path / "piped.npy"), nib.load(image).get_fdata())
    failed = subprocess.run([NI2NPY, tmp_path / "missing.nii", "-"], check=False, capture_output=True, timeout=60)
    assert failed.returncode == USAGE_ERROR and failed.stdout == b""


def test_dev_stdout_is_written_to_and_never_replaced(image, tmp_path):
    before = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    with open(tmp_path / "captured.npy", "wb") as captured:
        result = subprocess.run(
            [NI2NPY, "--force", image, "/dev/stdout"], check=False, stdout=subprocess.PIPE, timeout=60
        )
        captured.write(result.stdout)
    assert result.returncode == DONE
    np.testing.assert_array_equal(np.load(tmp_path / "captured.npy"), nib.load(image).get_fdata())
    assert (os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None) == before


def test_a_symbolic_link_output_is_written_through_and_kept(image, tmp_path):
    target = tmp_path / "real" / "data.npy"
    target.parent.mkdir()
    link = tmp_path / "link.npy"
    link.symlink_to(Path("real") / "data.npy")  # dangling: the link names the file to make
    assert ni2npy(image, link).returncode == DONE
    assert link.is_symlink() and target.is_file()
    np.testing.assert_array_equal(np.load(target), nib.load(image).get_fdata())
    assert ni2npy(image, link).returncode == OUTPUT_EXISTS
    assert ni2npy("--force", "--dtype", "float32", image, link).returncode == DONE
    assert link.is_symlink() and np.load(target).dtype == np.float32


def test_a_fifo_output_gets_the_whole_file(image, tmp_path):
    fifo = tmp_path / "pipe.npy"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert ni2npy(image, fifo).returncode == DONE  # a FIFO holds no file to lose: no --force needed
    reader.join(timeout=60)
    (tmp_path / "received.npy").write_bytes(received[0])
    np.testing.assert_array_equal(np.load(tmp_path / "received.npy"), nib.load(image).get_fdata())


def test_an_existing_output_has_its_own_exit_status_or_is_skipped(image, tmp_path):
    output = tmp_path / "kept.npy"
    output.write_bytes(b"precious")
    result = ni2npy(image, output)
    assert result.returncode == OUTPUT_EXISTS
    assert (
        result.stderr
        == f'ni2npy: error: "{output}": the output exists; not overwritten (use --force or --skip-existing)\n'
    )
    assert ni2npy("--skip-existing", image, output).returncode == DONE
    assert output.read_bytes() == b"precious"
