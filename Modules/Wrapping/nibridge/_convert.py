"""Whole datasets to .npy: `convert_many`, ni2npy's batch mode from Python, here or on a Dask cluster.

Documentation/DatasetConversion.md is the contract: the inputs, the outputs' tree, the per-file options, the
manifest (one JSON object per input) and resuming are ni2npy's. This module only runs ni2npy and reads what it wrote.

- Without a client, one ni2npy process converts the whole run with its own worker processes.
- With a `dask.distributed` client, ni2npy plans the run here (``--dry-run``), the files to convert go to the cluster
  in tasks, each of which runs ni2npy on its files on a worker, and the manifest is written here from the records the
  tasks return. Each task keeps its records in a file of its own under ``OUT_DIR/.ni2npy-tasks``, named after the
  run and the task's number: a task run again after its worker was lost reads them and converts only what is not
  done yet.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

MANIFEST_NAME = "ni2npy-manifest.jsonl"
# Under the output folder, hidden, so that neither ni2npy's folder search nor a user's glob of outputs meets it.
TASK_FOLDER = ".ni2npy-tasks"
# Inputs longer than this, together, go to ni2npy on its standard input (--list -) instead of its command line.
_ARGUMENT_LIMIT = 64 * 1024
_FINISHED = ("converted", "skipped")
_RECORD_KEYS = (
    "input",
    "output",
    "status",
    "shape",
    "dtype",
    "affine",
    "error",
    "seconds",
    "source",
    "output_size",
    "options",
)


@dataclasses.dataclass
class ConversionSummary:
    """What a `convert_many` run did.

    `records` are the manifest's records, one dict per input in the order of the run (keys: input, output, status,
    shape, dtype, affine, error, seconds, source, output_size, options; see Documentation/DatasetConversion.md),
    `failures` the failed ones, `manifest` the path of the manifest written, `seconds` the run's wall time.
    """

    converted: int
    skipped: int
    failed: int
    records: list[dict]
    failures: list[dict]
    manifest: Path
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every input was converted or up to date (ni2npy's exit status 0)."""
        return self.failed == 0

    @classmethod
    def from_records(cls, records: list[dict], manifest: Path, seconds: float) -> ConversionSummary:
        statuses = [record.get("status") for record in records]
        failures = [record for record in records if record.get("status") not in _FINISHED]
        return cls(
            converted=statuses.count("converted"),
            skipped=statuses.count("skipped"),
            failed=len(failures),
            records=records,
            failures=failures,
            manifest=manifest,
            seconds=seconds,
        )


def convert_many(
    inputs,
    out_dir,
    *,
    dtype="float64",
    affines=False,
    allow_lossy=False,
    force=False,
    skip_existing=False,
    workers=None,
    root=None,
    manifest=None,
    client=None,
    files_per_task=16,
    progress=False,
) -> ConversionSummary:
    """Converts images to .npy files under `out_dir`, as ``ni2npy -o OUT_DIR`` does, and returns a `ConversionSummary`.

    `inputs`: a path or a list of them; files, folders (searched recursively for images) and glob patterns, as ni2npy
    takes them. The outputs mirror the inputs' tree under `out_dir` (relative to `root`, by default the deepest
    folder that holds every input). `dtype`, `affines` (also write ``NAME.affine.npy``), `allow_lossy`, `force`
    (reconvert and replace everything) and `skip_existing` (an output no record accounts for counts as skipped) are
    ni2npy's options. The manifest is written at `manifest` (default ``out_dir/ni2npy-manifest.jsonl``); a rerun
    converts only what is not done.

    Without `client`, the ni2npy of this package runs the batch with `workers` processes (default: one per core).
    With a ``dask.distributed.Client``, the run is planned here, and the files to convert are sent to the cluster in
    tasks of `files_per_task`, each of which runs ni2npy on a worker (workers must see the same file system and have
    nibridge installed). A task whose worker is lost is run again by Dask: it converts only the files its earlier
    attempts did not finish (their records are in its task's record files). No partial output is left, and no file is
    converted twice but, at most, the one whose output the lost attempt had linked in without having recorded it.
    The rule for the manifest: a file the plan sent to the cluster is ``converted`` when an attempt of its task
    converted it, ``failed`` otherwise (with the reason); a file the plan found up to date is ``skipped`` and keeps
    its earlier record. If this process stops mid-run, the records of the tasks that finished are kept in
    ``MANIFEST.partial``, and a later run reads the task files left behind before it plans.

    `progress`: ni2npy's progress lines (on a cluster, one line per finished task) on ``sys.stderr``; otherwise
    nothing is printed (the failures are in the summary).

    Returns the summary whether or not files failed (see ``summary.ok`` and ``summary.failures``). Raises ValueError
    for a usage error (nothing converted): an unknown dtype, no inputs, a pattern that matches nothing, an output
    folder that cannot be made; FileNotFoundError when ni2npy is missing; RuntimeError when ni2npy stops abnormally.
    """
    start = time.monotonic()
    paths = _input_paths(inputs)
    if isinstance(files_per_task, bool) or not isinstance(files_per_task, int) or files_per_task < 1:
        raise ValueError(f"convert_many: files_per_task must be a positive integer, not {files_per_task!r}")
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"convert_many: workers must be a positive integer or None, not {workers!r}")
        if client is not None:
            raise ValueError("convert_many: workers is for runs on this machine; a Dask cluster has its own workers")
    if not isinstance(dtype, str):
        raise ValueError(f"convert_many: dtype must be a name such as 'float64' or 'keep', not {dtype!r}")
    out_dir = Path(os.path.abspath(os.fspath(out_dir)))
    manifest_path = out_dir / MANIFEST_NAME if manifest is None else Path(os.path.abspath(os.fspath(manifest)))

    per_file = ["--dtype", dtype] + ["--affines"] * bool(affines) + ["--allow-lossy"] * bool(allow_lossy)
    planning = ["-o", str(out_dir), *per_file, "--manifest", str(manifest_path)]
    planning += ["--force"] * bool(force) + ["--skip-existing"] * bool(skip_existing)
    if root is not None:
        planning += ["--root", os.path.abspath(os.fspath(root))]
    input_arguments, listed = _input_arguments(paths)

    if client is None:
        arguments = [*planning, *(["-j", str(workers)] if workers else []), "--exit-with-parent"]
        arguments += [] if progress else ["-q"]
        status, _, errors = _run_ni2npy([*arguments, *input_arguments], stdin=listed, echo=progress)
        _check_status(status, errors)
        if not manifest_path.is_file():
            raise RuntimeError(f"ni2npy wrote no manifest at {manifest_path}: {_last_line(errors)}")
        records = _read_records(manifest_path)
    else:
        records = _run_on_cluster(
            client,
            out_dir=out_dir,
            manifest=manifest_path,
            planning=[*planning, *input_arguments],
            listed=listed,
            per_file=per_file,
            files_per_task=files_per_task,
            progress=progress,
        )
    return ConversionSummary.from_records(records, manifest_path, time.monotonic() - start)


# -- Running ni2npy ------------------------------------------------------------------------------------------------


def _ni2npy() -> Path:
    """The ni2npy to run: $NIBRIDGE_NI2NPY, else the one in the package (bin/ni2npy, as the wheel installs it)."""
    configured = os.environ.get("NIBRIDGE_NI2NPY")
    executable = Path(configured) if configured else Path(__file__).resolve().parent / "bin" / "ni2npy"
    if not executable.is_file():
        raise FileNotFoundError(
            f"convert_many: ni2npy is missing ({executable}): reinstall nibridge, or set NIBRIDGE_NI2NPY to an ni2npy"
        )
    return executable


def _input_paths(inputs) -> list[str]:
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    try:
        paths = [os.fspath(path) for path in inputs]
    except TypeError as error:
        raise ValueError(f"convert_many: inputs must be a path or a list of paths ({error})") from None
    for path in paths:
        if not isinstance(path, str) or not path:
            raise ValueError(f"convert_many: an input must be a non-empty str or os.PathLike path, not {path!r}")
    if not paths:
        raise ValueError("convert_many: no inputs")
    # Absolute, so that no input reads as an option ("-x.nii") or, in a list, as a comment ("#x.nii").
    return [os.path.abspath(path) for path in paths]


def _input_arguments(paths: list[str]) -> tuple[list[str], str | None]:
    """The inputs as ni2npy's arguments, or, when they are long, as a list on its standard input."""
    if sum(len(path) + 1 for path in paths) <= _ARGUMENT_LIMIT:
        return paths, None
    for path in paths:
        if any(character in path for character in "\t\r\n"):
            raise ValueError(f"convert_many: {path!r} has a tab or a line break, which a list of inputs cannot hold")
    return ["--list", "-"], "".join(f"{path}\n" for path in paths)


def _run_ni2npy(arguments: list[str], *, stdin: str | None = None, echo: bool = False) -> tuple[int, str, str]:
    """Runs ni2npy and returns its exit status, standard output and standard error. With `echo`, its standard error
    is copied to sys.stderr line by line as it comes (in a notebook, sys.stderr is not file descriptor 2)."""
    command = [str(_ni2npy()), *arguments]
    if not echo:
        result = subprocess.run(command, input=stdin or "", capture_output=True, text=True, check=False)
        return result.returncode, result.stdout, result.stderr
    lines = []
    stdin_mode = subprocess.PIPE if stdin else subprocess.DEVNULL
    process = subprocess.Popen(command, stdin=stdin_mode, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        readers = [threading.Thread(target=_feed, args=(process.stdin, stdin), daemon=True)] if stdin else []
        output = []
        readers.append(threading.Thread(target=lambda: output.append(process.stdout.read()), daemon=True))
        for reader in readers:
            reader.start()
        for line in process.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            lines.append(line)
        process.wait()
        for reader in readers:
            reader.join()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        process.stdout.close()
        process.stderr.close()
    return process.returncode, "".join(output), "".join(lines)


def _feed(stream, text: str) -> None:
    with contextlib.suppress(BrokenPipeError), stream:
        stream.write(text)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    usage = [line for line in lines if "usage error" in line]
    return (usage or lines or [""])[-1]


def _check_status(status: int, errors: str) -> None:
    """ni2npy's exit status: 0 every file done, 1 some failed (both: read the manifest), 2 a usage error."""
    if status == 2:
        raise ValueError(_last_line(errors) or "ni2npy: usage error")
    if status < 0:
        raise RuntimeError(f"ni2npy was killed by signal {-status}: {_last_line(errors)}")
    if status not in (0, 1):
        raise RuntimeError(f"ni2npy stopped with exit status {status}: {_last_line(errors)}")


# -- Records -------------------------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[dict]:
    """The JSON objects of `path`, one a line (none if it is missing). A last line cut short by a killed writer is
    left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    objects = []
    for line in text.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(line) if line.strip() else None
            if isinstance(value, dict):
                objects.append(value)
    return objects


def _read_records(path: Path) -> list[dict]:
    """The records of a manifest or a journal: not the journal's "started" marks, which name only an output."""
    return [record for record in _read_lines(path) if "input" in record]


def _records_by(key: str, *paths: Path) -> dict[str, dict]:
    """The last record of each input (or output: `key`) over `paths`, read in order (later records are newer)."""
    return {record[key]: record for path in paths for record in _read_records(path) if key in record}


def _records_by_input(*paths: Path) -> dict[str, dict]:
    return _records_by("input", *paths)


def _partial(manifest: Path) -> Path:
    return manifest.with_name(manifest.name + ".partial")


def _write_records(path: Path, records) -> None:
    """Writes `records` as JSON lines at `path`, whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.writelines(json.dumps(record) + "\n" for record in records)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _record(*entries: dict, **values) -> dict:
    """A manifest record with every key, from the keys of `entries` (later ones win) and `values`."""
    record = dict.fromkeys(_RECORD_KEYS)
    record["seconds"] = 0.0
    for entry in entries:
        record.update(entry)
    record.update(values)
    return record


# -- On a Dask cluster ---------------------------------------------------------------------------------------------


def _task_paths(folder: Path, name: str) -> dict[str, Path]:
    return {
        "list": folder / f"{name}.list",
        "manifest": folder / f"{name}.jsonl",
        "done": folder / f"{name}.done.jsonl",
    }


def _task_records(folder: Path, name: str) -> dict[str, dict]:
    """Every record a task's attempts left: what an earlier retry kept, the manifest ni2npy wrote at the end of an
    attempt and the records it appended while it ran."""
    paths = _task_paths(folder, name)
    return _records_by_input(paths["done"], paths["manifest"], _partial(paths["manifest"]))


def _output_intact(record: dict) -> bool:
    try:
        size = os.stat(record["output"]).st_size
    except (OSError, KeyError, TypeError):
        return False
    return record.get("output_size") in (None, size)


def _convert_task(out_dir: str, name: str, pairs: list[tuple[str, str]], options: list[str]) -> list[dict]:
    """One task on a worker: converts `pairs` (input, output inside `out_dir`) with ni2npy and returns its records.

    The files an earlier attempt of this task finished (it was lost with its worker) are not converted again: their
    records are kept in the task's record files, the rest go to ni2npy. ni2npy gets --force because the plan has
    decided that these outputs are to be written (an out-of-date output is replaced, as by one ni2npy run), so the
    resume is done here rather than by ni2npy. --exit-with-parent: if the worker dies, so does ni2npy.
    """
    folder = Path(out_dir) / TASK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    paths = _task_paths(folder, name)
    wanted = {source for source, _ in pairs}
    finished = {
        source: record
        for source, record in _task_records(folder, name).items()
        if source in wanted and record.get("status") in _FINISHED and _output_intact(record)
    }
    if finished:
        # Before ni2npy starts again, which replaces the task's manifest with the records of this attempt only.
        _write_records(paths["done"], finished.values())
    remaining = [(source, output) for source, output in pairs if source not in finished]
    records = dict(finished)
    if remaining:
        paths["list"].write_text("".join(f"{source}\t{output}\n" for source, output in remaining), encoding="utf-8")
        arguments = ["-o", out_dir, "--list", str(paths["list"]), "--manifest", str(paths["manifest"])]
        arguments += ["-j", "1", "-q", "--force", "--exit-with-parent", *options]
        status, _, errors = _run_ni2npy(arguments)
        _check_status(status, errors)
        records.update(_records_by_input(paths["manifest"]))
    return [records[source] for source, _ in pairs if source in records]


def _inside(output: str, out_dir: Path) -> str:
    """`output` relative to `out_dir`, as a list line's OUTPUT is."""
    for folder in (str(out_dir), os.path.realpath(out_dir)):
        relative = os.path.relpath(output, folder)
        if not relative.startswith(os.pardir):
            return relative
    raise RuntimeError(f"ni2npy planned an output outside {out_dir}: {output}")


def _fold_leftover_tasks(folder: Path, manifest: Path) -> None:
    """What the tasks of a run whose driver was stopped left in `folder`, appended to MANIFEST.partial (which ni2npy
    reads when it plans), so that the outputs they finished count as done and the ones they started may be replaced;
    then the folder is removed."""
    if not folder.is_dir():
        return
    records = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith((".jsonl", ".jsonl.partial")):
            records += [record for record in _read_lines(path) if record.get("status") in (*_FINISHED, "started")]
    if records:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        with open(_partial(manifest), "a", encoding="utf-8") as journal:
            journal.writelines(json.dumps(record) + "\n" for record in records)
    shutil.rmtree(folder)


def _plan(arguments: list[str], listed: str | None) -> list[dict]:
    """ni2npy --dry-run: one object per input (input, output, status: convert, skipped or failed)."""
    status, plan_text, errors = _run_ni2npy(["--dry-run", "-q", *arguments], stdin=listed)
    _check_status(status, errors)
    return [json.loads(line) for line in plan_text.splitlines() if line.strip()]


def _planned_records(plan: list[dict], earlier: dict[str, dict]) -> tuple[list[dict | None], list[int]]:
    """The records the plan settles (skipped, failed) and the positions in the plan of the files to convert."""
    records: list[dict | None] = [None] * len(plan)
    to_convert = []
    for position, entry in enumerate(plan):
        if entry.get("status") == "convert":
            to_convert.append(position)
        elif entry.get("status") == "skipped":
            # Up to date: its earlier record (fingerprint, options) stays true, so that the next run skips it too. None
            # for an output --skip-existing takes as it is: then, as in ni2npy's manifest, shape, dtype, ... are null.
            records[position] = _record(earlier.get(entry["output"], {}), entry, seconds=0.0)
        else:
            error = entry.get("error") or f'"{entry.get("input")}": ni2npy could not plan its conversion'
            records[position] = _record(entry, status="failed", error=error)
    return records, to_convert


def _settled(entry: dict, record: dict | None, reason: str) -> dict:
    """The manifest record of a file sent to the cluster, from what its task returned or left (`record`)."""
    if record is None or (record.get("status") in _FINISHED and not _output_intact(record)):
        return _record(entry, status="failed", error=f'"{entry["input"]}": {reason}')
    if record.get("status") in _FINISHED:
        return _record(record, status="converted")
    return _record(record)


@contextlib.contextmanager
def _cancelled_on_error(client, futures):
    """Cancels the tasks not started yet when this process stops waiting for them (KeyboardInterrupt, an error). The
    ones running go on; their record files stay, for the next run (_fold_leftover_tasks)."""
    try:
        yield
    except BaseException:
        client.cancel(list(futures))
        raise


def _run_on_cluster(client, *, out_dir, manifest, planning, listed, per_file, files_per_task, progress) -> list[dict]:
    from distributed import as_completed  # noqa: PLC0415 -- dask is imported only when a client is given

    task_folder = out_dir / TASK_FOLDER
    _fold_leftover_tasks(task_folder, manifest)
    plan = _plan(planning, listed)
    # By output, as ni2npy matches an earlier record to an input's output.
    records, to_convert = _planned_records(plan, _records_by("output", manifest, _partial(manifest)))

    run = uuid.uuid4().hex[:12]
    futures = {}
    for start in range(0, len(to_convert), files_per_task):
        positions = to_convert[start : start + files_per_task]
        name = f"{run}-{start // files_per_task}"
        pairs = [(plan[position]["input"], _inside(plan[position]["output"], out_dir)) for position in positions]
        # The key names the task: Dask runs the same task again when a worker is lost, with the same record files.
        futures[client.submit(_convert_task, str(out_dir), name, pairs, per_file, key=f"ni2npy-{name}")] = (
            name,
            positions,
        )

    done = failed = 0
    if futures:
        task_folder.mkdir(parents=True, exist_ok=True)
        manifest.parent.mkdir(parents=True, exist_ok=True)
        with open(_partial(manifest), "a", encoding="utf-8") as journal, _cancelled_on_error(client, futures):
            for future in as_completed(futures):
                name, positions = futures[future]
                try:
                    returned = {record["input"]: record for record in future.result()}
                    reason = "its task returned no record of it"
                except Exception as error:  # the task's files fail, the run goes on
                    returned = _task_records(task_folder, name)
                    reason = f"its task failed on the cluster: {type(error).__name__}: {error}".splitlines()[0]
                for position in positions:
                    records[position] = _settled(plan[position], returned.get(plan[position]["input"]), reason)
                    failed += records[position]["status"] == "failed"
                # Flushed as each task ends, so that a run stopped now keeps what its tasks finished.
                journal.writelines(json.dumps(records[position]) + "\n" for position in positions)
                journal.flush()
                done += len(positions)
                if progress:
                    print(
                        f"nibridge.convert_many: {done}/{len(to_convert)} files done, {failed} failed", file=sys.stderr
                    )

    _write_records(manifest, records)
    with contextlib.suppress(FileNotFoundError):
        _partial(manifest).unlink()
    shutil.rmtree(task_folder, ignore_errors=True)
    return records
