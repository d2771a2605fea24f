"""Bad input through every caller: a clear error or nibabel's values, never a crash, a hang, noise or a leftover.

Every case of the bad-input corpus (Testing/Data/bad_input_corpus.py: truncations, seeded bit flips, structured
header edits, damaged gzip/zlib streams, odd .npy headers, MetaImage, NRRD and PNG edits, missing sidecar files,
inputs that are no regular file, and valid but odd files, in every format NiBridge reads) goes through:

* ``ni2npy IN OUT.npy --affine AFF.npy`` ($NI2NPY), one process per case;
* ``nibridge.imread(path, values="float64")``, in a long-lived worker process (this file, run as a script) that
  reads paths from stdin and answers each; fd 1 and 2 are captured around each read;
* ``nibridge-read-with-factories IN VALUES.npy AFFINE.npy`` ($NIBRIDGE_READ_WITH_FACTORIES): what a C++ program
  reading with itk::ImageFileReader after registering NiBridge's factories gets;
* ``plastimatch convert --input IN --output-img OUT.nrrd`` with the plugin (ITK_AUTOLOAD_PATH set for that one
  process to $NIBRIDGE_PLUGIN_DIR, NIBRIDGE_PLUGIN_NIFTI=nibabel), for the formats the plugin reads (.npy and
  every nibabel format); MetaImage, NRRD and PNG stay with plastimatch's own ITK readers and are not sent to it.

Each read has a time limit ($NIBRIDGE_BAD_INPUT_TIME_LIMIT, default 10 s: the files are small, a good read takes
well under a second). The rules:

* ni2npy and the C++ reader exit 0 or 1 (2, usage, only for an input that does not exist), never by a signal;
  a failure is exactly one stderr line naming the input, and leaves the output folder empty; a success prints
  at most one line and writes exactly its two outputs;
* imread raises OSError or ValueError naming the file, and nothing reaches fd 1 or 2 during the read (Python
  warnings are recorded, not printed, and are no noise); a crash or hang of the worker is the case's;
* plastimatch: never a signal or a hang (the report says what plastimatch does with the file without the plugin);
* no caller leaves a file beside the input, or a process running (each tool and worker runs in a process group of
  its own; what is left of it after a read is reported and ended, and a hang ends the whole group);
* expectations (see the corpus): ``error`` must be refused; ``nibabel`` must give nibabel's get_fdata() and
  affine exactly, or be refused where nibabel raises; ``either`` may be read or refused (where nibabel reads the
  file too, a read must agree with it).

nibabel itself runs in a worker of its own (with the same time limit), so a file that hangs or crashes nibabel
counts as one nibabel refuses. Where nibabel's affine is not finite, is singular or has a voxel size beyond 1e-300
to 1e300 mm (which ITK's geometry cannot invert), or its image has no voxels (a
dimension of 0), refusing is allowed as well (DESIGN.md: a non-finite affine or an unsupported case is a clear
error; ITK cannot hold a zero spacing); so is imread refusing more than 4 dimensions. What nibabel holds as RGB
or complex numbers (get_fdata has no float64 for them, a bit flip of the datatype makes them) may be read or
refused, and is not compared. Trailing axes of size 1 are ignored when shapes are compared.

Every child runs with a core-dump size of 0, a file-size limit of 1 GiB (SIGXFSZ: an output that large from
these small inputs is garbage) and an address-space limit ($NIBRIDGE_BAD_INPUT_MEMORY_LIMIT_GIB, default 8; 0
turns it off, as a sanitizer build needs), so that a reader believing a header cannot exhaust the machine.

One test per caller runs every case and fails with a table of every problem (class, case, caller, failure,
detail); the whole table is also written to bad-input-results.tsv in pytest's temporary directory. Run it
through CTest (``ctest -R pytest.test_bad_input``), which sets NI2NPY, NIBRIDGE_READ_WITH_FACTORIES,
NIBRIDGE_PLUGIN_DIR and PYTHONPATH; $NIBRIDGE_BAD_INPUT_CASES (a regular expression) runs only the cases whose names
match it, to look at one class again.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Data"))
import bad_input_corpus as bad  # noqa: E402
import nibabel_corpus  # noqa: E402

# plastimatch runs that fail the same way without the plugin: plastimatch's own, reported by the plastimatch test.
PLASTIMATCH_OWN_FAILURES: list[str] = []
TIME_LIMIT = float(os.environ.get("NIBRIDGE_BAD_INPUT_TIME_LIMIT", "10"))
MEMORY_LIMIT_GIB = float(os.environ.get("NIBRIDGE_BAD_INPUT_MEMORY_LIMIT_GIB", "8"))
FILE_SIZE_LIMIT = 1 << 30
WORKER_START_LIMIT = 120.0
CALLERS = ("ni2npy", "imread", "factories", "plastimatch")
PLUGIN_FORMATS = (*bad.NIBABEL_FORMATS, "npy")
PLUGIN_FILE_NAME = "libNiBridgePlugin.so"
OUTPUTS = ("values.npy", "affine.npy")
DETAIL_LENGTH = 240

# The failure classes of the survey, in the order the table lists them.
FAILURES = (
    "could not start",
    "crash",
    "hang",
    "garbage",
    "refused what nibabel reads",
    "error not naming the file",
    "wrong exception type",
    "wrong exit status",
    "noise",
    "file left behind",
    "process left behind",
)


# -- The worker: imread or nibabel in a long-lived process ------------------------------------------------------


def _serve(mode: str) -> None:
    """Answers one JSON line per request line {"path", "output", "capture"} on stdin."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # what the libraries print to fd 1 must not reach the answers
    if mode == "imread":
        import nibridge  # noqa: PLC0415 - the worker's own import

        read = functools.partial(_read_with_imread, nibridge)
    else:
        read = _read_with_nibabel
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("ping"):
            answers.write(json.dumps({"pong": True}) + "\n")
            continue
        answers.write(json.dumps(_answer(read, request), default=str) + "\n")


def _answer(read, request) -> dict:
    saved = os.dup(2), os.dup(1)
    with open(request["capture"], "wb") as capture:
        os.dup2(capture.fileno(), 2)
        os.dup2(capture.fileno(), 1)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    answer, arrays = read(request["path"])
                except BaseException as error:  # noqa: BLE001 - every failure is reported, the worker lives on
                    arrays = None
                    answer = {
                        "read": False,
                        "type": type(error).__name__,
                        "message": str(error),
                        "os_or_value_error": isinstance(error, OSError | ValueError),
                        "traceback": traceback.format_exc()[-2000:],
                    }
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 2)
            os.dup2(saved[1], 1)
            os.close(saved[0])
            os.close(saved[1])
    answer["warnings"] = [f"{warning.category.__name__}: {warning.message}" for warning in caught]
    if arrays is not None:
        output = Path(request["output"])
        for name, array in zip(OUTPUTS, arrays, strict=True):
            np.save(output / name, array)
    return answer


def _read_with_imread(nibridge, path: str):
    image = nibridge.imread(path, values="float64")
    values = np.array(nibridge.array_view_from_image(image, keep_axes=True))
    affine = np.asarray(image.affine, dtype=np.float64)
    return {"read": True, "shape": list(values.shape), "dtype": str(values.dtype)}, (values, affine)


def _read_with_nibabel(path: str):
    with nibabel_corpus.quiet_nibabel():
        image = nibabel_corpus.load_with_nibabel(path)
        # ECAT's dtype is per frame; every file of the corpus has one frame.
        dtype = np.dtype(image.get_data_dtype(0) if isinstance(image, nib.ecat.EcatImage) else image.get_data_dtype())
        shape = [int(size) for size in image.shape]
        answer = {"read": True, "dtype": dtype.str, "ndim": len(shape), "shape": shape}
        if dtype.names or dtype.kind == "c":
            return {**answer, "comparable": False}, None
        values = image.get_fdata()
        affine = np.asarray(image.affine, dtype=np.float64)
    # ITK holds no geometry whose voxel size (an affine column's length) lies beyond 1e-300 to 1e300 mm: its matrix
    # inversion (vnl's SVD) does not end there; NiBridge refuses those (itkNiBridgeGeometry.h), as singular ones.
    with np.errstate(all="ignore"):
        lengths = [max(abs(column)) * np.linalg.norm(column / max(abs(column))) for column in affine[:3, :3].T]
    regular = bool(
        np.all(np.isfinite(affine))
        and np.linalg.det(affine[:3, :3]) != 0
        and all(1e-300 <= length <= 1e300 for length in lengths)
    )
    return {**answer, "comparable": True, "regular_affine": regular, "voxels": int(values.size)}, (values, affine)


# -- Running the callers --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """What one caller did with one case."""

    caller: str
    case: bad.WrittenCase
    outcome: str  # "read", "refused", "crash", "hang", "not run"
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


@dataclasses.dataclass
class Reference:
    """What nibabel did with one case."""

    read: bool
    detail: str
    answer: dict
    values: np.ndarray | None = None
    affine: np.ndarray | None = None


def _child_environment(**extra) -> dict:
    environment = {key: value for key, value in os.environ.items() if key != "ITK_AUTOLOAD_PATH"}
    environment.update(extra)
    return environment


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _short(text: str, length=DETAIL_LENGTH) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= length else text[: length - 3] + "..."


def _last_lines(text: str, count=3) -> str:
    return " | ".join(line for line in text.strip().splitlines()[-count:])


class Worker:
    """A long-lived `python test_bad_input.py --worker MODE`, restarted after it crashes or hangs."""

    def __init__(self, mode: str, log: Path):
        self.mode = mode
        self.log = log
        self.process = None

    def _start(self):
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker", self.mode],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=_child_environment(),
                start_new_session=True,  # its own process group: whatever a read starts is found and ended
            )
        answer = self._exchange({"ping": True}, WORKER_START_LIMIT)
        if not isinstance(answer, dict) or not answer.get("pong"):
            log_text = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the {self.mode} worker does not start ({answer}): {log_text}")

    def _exchange(self, request: dict, limit: float):
        """The answer, or ("hang",) or ("crash", returncode)."""
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return self._died()
        ready, _, _ = select.select([self.process.stdout], [], [], limit)
        if not ready:
            self.stop()
            return ("hang",)
        line = self.process.stdout.readline()
        if not line:
            return self._died()
        return json.loads(line)

    def _died(self):
        returncode = self.process.wait()
        self.process = None
        return ("crash", returncode)

    def ask(self, path: Path, output: Path, capture: Path):
        if self.process is None or self.process.poll() is not None:
            self._start()
        request = {"path": str(path), "output": str(output), "capture": str(capture)}
        return self._exchange(request, TIME_LIMIT)

    def left_behind(self) -> list[str]:
        """Processes the last read started that still run (ended now)."""
        if self.process is None:
            return []
        left = [member for member in _group_members(self.process.pid) if member[0] != self.process.pid]
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return [command for _, command in left]

    def stop(self):
        if self.process is not None:
            _end_group(self.process.pid)
            self.process.wait()
            self.process = None


def _listing(directory: Path) -> set[str]:
    return {entry.name for entry in directory.iterdir()}


def _group_members(group: int) -> list[tuple[int, str]]:
    """The processes of a process group: (pid, command line)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if int(fields[2]) != group or fields[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # it ended meanwhile
            continue
        members.append((int(entry.name), command))
    return members


def _group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


@dataclasses.dataclass
class ToolResult:
    returncode: int | None  # None: no exit within the time limit
    stderr: str
    left_behind: list[str]  # processes it started that outlived it (ended now)


def _run_tool(command, environment=None) -> ToolResult:
    """Runs a tool in a process group of its own; whatever is left of the group afterwards is ended."""
    process = subprocess.Popen(
        [*map(str, command)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment or _child_environment(),
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=TIME_LIMIT)
        returncode = process.returncode
    except subprocess.TimeoutExpired:
        # The tool itself may have exited while a process it started holds stderr open.
        returncode = process.poll()
        left = [command for pid, command in _group_members(process.pid) if pid != process.pid]
        _end_group(process.pid)
        _, stderr = process.communicate()
        return ToolResult(returncode, stderr.decode(errors="replace"), left if returncode is not None else [])
    left = [command for _, command in _group_members(process.pid)] if _group_exists(process.pid) else []
    _end_group(process.pid)
    return ToolResult(returncode, stderr.decode(errors="replace"), left)


def _compare(values: np.ndarray, affine: np.ndarray, reference: Reference) -> str | None:
    """What differs from nibabel, or None."""
    expected = reference.values

    def trimmed(shape):
        shape = list(shape)
        while shape and shape[-1] == 1:
            shape.pop()
        return tuple(shape)

    if trimmed(values.shape) != trimmed(expected.shape):
        return f"shape {values.shape}, nibabel's is {expected.shape}"
    if values.dtype != np.float64:
        return f"dtype {values.dtype}, not float64"
    actual = values.reshape(expected.shape)
    if not np.array_equal(actual, expected, equal_nan=True):
        differs = ~((actual == expected) | (np.isnan(actual) & np.isnan(expected)))
        first = tuple(int(index) for index in np.argwhere(differs)[0])
        return (
            f"{int(np.count_nonzero(differs))} of {expected.size} values differ; "
            f"at {first}: {actual[first]!r} where nibabel has {expected[first]!r}"
        )
    if affine.shape != (4, 4) or not np.array_equal(affine, reference.affine, equal_nan=True):
        return f"the affine {affine.tolist()} differs from nibabel's {reference.affine.tolist()}"
    return None


def _judge_read(run: Run, reference: Reference | None, values_and_affine) -> None:
    """The expectation of a case its caller read."""
    case = run.case
    if case.expect == "error":
        run.problems.append(("garbage", "read a file every caller must refuse"))
        return
    if reference is None:
        return
    if not reference.read:
        if case.expect == "nibabel":
            run.problems.append(("garbage", f"read a file nibabel refuses ({reference.detail})"))
        return
    if not reference.answer.get("comparable"):
        return
    values, affine = values_and_affine()
    difference = _compare(values, affine, reference)
    if difference is not None:
        run.problems.append(("garbage", difference))


def _judge_refusal(run: Run, reference: Reference | None, message: str) -> None:
    if run.case.expect != "nibabel" or reference is None or not reference.read:
        return
    answer = reference.answer
    if not answer.get("comparable") or not answer.get("regular_affine") or answer.get("voxels") == 0:
        return
    if run.caller == "imread" and answer["ndim"] > 4:
        return
    run.problems.append(("refused what nibabel reads", _short(message)))


def _left_behind(run: Run, result: ToolResult) -> ToolResult:
    if result.left_behind:
        run.problems.append(("process left behind", _short("; ".join(result.left_behind))))
    return result


def _judge_tool(run: Run, result: ToolResult, output: Path, reference) -> None:
    """ni2npy and the C++ reader: exit status, one line naming the file, the outputs."""
    path = run.case.path
    returncode, stderr = result.returncode, result.stderr
    if returncode is None:
        run.outcome = "hang"
        run.problems.append(("hang", f"no exit within {TIME_LIMIT:g} s; stderr: {_short(_last_lines(stderr))}"))
        return
    if returncode < 0:
        run.outcome = "crash"
        failure = "garbage" if -returncode == signal.SIGXFSZ else "crash"
        what = "wrote more than 1 GiB" if failure == "garbage" else "crashed"
        run.problems.append((failure, f"{what}: {_signal_name(returncode)}; stderr: {_short(_last_lines(stderr))}"))
        return
    if returncode == 127 and "error while loading shared libraries" in stderr:  # a build in progress
        run.outcome = "not run"
        run.problems.append(("could not start", _short(stderr)))
        return
    lines = stderr.strip().splitlines()
    written = _listing(output)
    if returncode == 0:
        run.outcome = "read"
        if len(lines) > 1:
            run.problems.append(("noise", f"{len(lines)} stderr lines on success: {_short(stderr)}"))
        if written != set(OUTPUTS):
            run.problems.append(("file left behind", f"wrote {sorted(written)}, not {list(OUTPUTS)}"))
            return
        _judge_read(run, reference, lambda: tuple(np.load(output / name) for name in OUTPUTS))
        return
    run.outcome = "refused"
    usage = returncode == 2 and not os.path.exists(path)
    if returncode != 1 and not usage:
        run.problems.append(("wrong exit status", f"exit status {returncode}: {_short(stderr)}"))
    if len(lines) != 1:
        run.problems.append(("noise", f"{len(lines)} stderr lines: {_short(stderr)}"))
    if str(path) not in stderr:
        run.problems.append(("error not naming the file", _short(stderr) or "(nothing on stderr)"))
    if written:
        run.problems.append(("file left behind", f"left {sorted(written)} after failing"))
    _judge_refusal(run, reference, stderr)


class Runner:
    """Runs the cases through the callers, a case at a time per thread, each thread with its own workers."""

    def __init__(self, tools: dict, work: Path):
        self.tools = tools
        self.work = work
        self.local = threading.local()
        self.workers = []
        self.lock = threading.Lock()

    def _worker(self, mode: str) -> Worker:
        workers = getattr(self.local, "workers", None)
        if workers is None:
            workers = self.local.workers = {}
        if mode not in workers:
            with self.lock:
                worker = Worker(mode, self.work / f"worker-{mode}-{len(self.workers)}.log")
                self.workers.append(worker)
            workers[mode] = worker
        return workers[mode]

    def stop(self):
        for worker in self.workers:
            worker.stop()

    def reference(self, case: bad.WrittenCase, directory: Path) -> Reference | None:
        if case.expect == "error" or case.format not in bad.NIBABEL_FORMATS:
            return None
        directory.mkdir()
        answer = self._worker("nibabel").ask(case.path, directory, directory / "capture.txt")
        if isinstance(answer, tuple):
            state = "hangs" if answer[0] == "hang" else f"crashes ({_signal_name(answer[1])})"
            return Reference(False, f"nibabel {state}", {})
        if not answer["read"]:
            return Reference(False, f"nibabel: {answer['type']}: {_short(answer['message'], 120)}", answer)
        if not answer.get("comparable"):
            return Reference(True, f"nibabel reads {answer['dtype']}", answer)
        values, affine = (np.load(directory / name) for name in OUTPUTS)
        return Reference(True, "nibabel reads it", answer, values, affine)

    def run_case(self, case: bad.WrittenCase) -> list[Run]:
        work = self.work / "runs" / case.path.parent.name
        work.mkdir(parents=True)
        reference = self.reference(case, work / "nibabel")
        runs = []
        for caller in CALLERS:
            if caller == "plastimatch" and case.format not in PLUGIN_FORMATS:
                continue
            run = Run(caller, case, "not run")
            if caller in self.tools:
                before = _listing(case.path.parent)
                output = work / caller
                output.mkdir()
                start = time.monotonic()
                try:
                    getattr(self, f"_run_{caller}")(run, reference, output)
                except (OSError, RuntimeError) as error:  # the tool or the worker cannot start: no result at all
                    run.outcome = "not run"
                    run.problems.append(("could not start", _short(str(error))))
                run.seconds = time.monotonic() - start
                added = _listing(case.path.parent) - before
                if added:
                    run.problems.append(("file left behind", f"beside the input: {sorted(added)}"))
            runs.append(run)
        return runs

    def _run_ni2npy(self, run: Run, reference, output: Path):
        options = []
        if reference is not None and reference.answer.get("dtype", "")[1:] in ("i8", "u8"):
            options.append("--allow-lossy")  # DESIGN.md: int64 -> float64 needs an explicit option
        command = [self.tools["ni2npy"], run.case.path, output / OUTPUTS[0], "--affine", output / OUTPUTS[1], *options]
        _judge_tool(run, _left_behind(run, _run_tool(command)), output, reference)

    def _run_factories(self, run: Run, reference, output: Path):
        command = [self.tools["factories"], run.case.path, *(output / name for name in OUTPUTS)]
        _judge_tool(run, _left_behind(run, _run_tool(command)), output, reference)

    def _run_plastimatch(self, run: Run, reference, output: Path):
        del reference  # plastimatch: no crash and no hang; its values are the plugin tests' business
        environment = _child_environment(ITK_AUTOLOAD_PATH=self.tools["plugin_dir"], NIBRIDGE_PLUGIN_NIFTI="nibabel")
        command = [self.tools["plastimatch"], "convert", "--input", run.case.path, "--output-img", output / "x.nrrd"]
        result = _left_behind(run, _run_tool(command, environment))
        returncode, stderr = result.returncode, result.stderr
        if returncode is not None and returncode >= 0:
            run.outcome = "read" if returncode == 0 else "refused"
            return
        # The plugin's failure, unless plastimatch does the same without it: plastimatch opens its input itself
        # before ITK's readers are asked (a FIFO blocks that open), which no plugin can prevent. That is reported
        # (plastimatch_own_failures), not counted as NiBridge's.
        alone = _run_tool(command, _child_environment()).returncode
        itself = "hangs" if alone is None else _signal_name(alone) if alone < 0 else f"exit status {alone}"
        if returncode is None:
            run.outcome = "hang"
            detail = f"no exit within {TIME_LIMIT:g} s"
        else:
            run.outcome = "crash"
            detail = _signal_name(returncode)
        stderr = _short(_last_lines(stderr))
        same_without_plugin = (alone is None and returncode is None) or (
            alone is not None and returncode is not None and alone == returncode
        )
        if same_without_plugin:
            PLASTIMATCH_OWN_FAILURES.append(f"{run.case.name}: {detail}, and {itself} without the plugin")
            run.outcome = "plastimatch's own"
            return
        run.problems.append((run.outcome, f"{detail} (without the plugin: {itself}); stderr: {stderr}"))

    def _run_imread(self, run: Run, reference, output: Path):
        path = run.case.path
        capture = output.parent / "imread-fd2.txt"
        worker = self._worker("imread")
        answer = worker.ask(path, output, capture)
        left = worker.left_behind()
        if left:
            run.problems.append(("process left behind", _short("; ".join(left))))
        noise = capture.read_bytes().decode(errors="replace") if capture.exists() else ""
        if isinstance(answer, tuple):
            run.outcome = answer[0]
            if answer[0] == "hang":
                run.problems.append(("hang", f"no answer within {TIME_LIMIT:g} s; fd 2: {_short(_last_lines(noise))}"))
            else:
                what = _signal_name(answer[1]) if answer[1] < 0 else f"exit status {answer[1]}"
                run.problems.append(("crash", f"the Python process died: {what}; fd 2: {_short(_last_lines(noise))}"))
            return
        if noise.strip():
            lines = noise.strip().splitlines()
            run.problems.append(("noise", f"{len(lines)} lines on fd 2: {_short(noise)}"))
        if answer["read"]:
            run.outcome = "read"
            _judge_read(run, reference, lambda: tuple(np.load(output / name) for name in OUTPUTS))
            return
        run.outcome = "refused"
        message = answer["message"]
        if not answer["os_or_value_error"]:
            run.problems.append(("wrong exception type", f"{answer['type']}: {_short(message)}"))
        if str(path) not in message:
            run.problems.append(("error not naming the file", f"{answer['type']}: {_short(message)}"))
        _judge_refusal(run, reference, f"{answer['type']}: {message}")


# -- Limits on every child ------------------------------------------------------------------------------------


@contextlib.contextmanager
def limits_for_children():
    """Core dumps off, output files at most 1 GiB, the address space capped: inherited by every child."""
    limits = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)]
    if MEMORY_LIMIT_GIB > 0:
        limits.append((resource.RLIMIT_AS, int(MEMORY_LIMIT_GIB * (1 << 30))))
    saved = []
    for which, soft in limits:
        current_soft, hard = resource.getrlimit(which)
        saved.append((which, current_soft, hard))
        wanted = soft if hard == resource.RLIM_INFINITY else min(soft, hard)
        if current_soft == resource.RLIM_INFINITY or current_soft > wanted:
            resource.setrlimit(which, (wanted, hard))
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a large write fails in this process, not kills it
    try:
        yield
    finally:
        signal.signal(signal.SIGXFSZ, previous)
        for which, soft, hard in saved:
            resource.setrlimit(which, (soft, hard))


# -- Fixtures -------------------------------------------------------------------------------------------------


def _tool_problems() -> tuple[dict, dict]:
    """The callers that can run (name -> what runs it) and why the others cannot."""
    tools, missing = {}, {}
    for caller, variable in (("ni2npy", "NI2NPY"), ("factories", "NIBRIDGE_READ_WITH_FACTORIES")):
        value = os.environ.get(variable)
        if not value:
            missing[caller] = f"{variable} is not set: run this test through CTest (ctest -R pytest.test_bad_input)"
        elif not Path(value).is_file():
            missing[caller] = f"{variable}={value} does not exist: build it first"
        else:
            tools[caller] = value
    tools["imread"] = sys.executable  # the worker says whether nibridge imports
    plugin_dir = os.environ.get("NIBRIDGE_PLUGIN_DIR")
    plastimatch = shutil.which("plastimatch")
    if not plugin_dir:
        missing["plastimatch"] = "NIBRIDGE_PLUGIN_DIR is not set: run this test through CTest"
    elif not (Path(plugin_dir) / PLUGIN_FILE_NAME).is_file():
        missing["plastimatch"] = f"{plugin_dir} holds no {PLUGIN_FILE_NAME}: build the plugin first"
    elif plastimatch is None:
        missing["plastimatch"] = "plastimatch is not installed (Debian package plastimatch)"
    else:
        tools["plastimatch"], tools["plugin_dir"] = plastimatch, plugin_dir
    return tools, missing


@pytest.fixture(scope="session")
def written_corpus(tmp_path_factory) -> list[bad.WrittenCase]:
    return bad.write_corpus(tmp_path_factory.mktemp("bad-input"))


@pytest.fixture(scope="session")
def selected_corpus(written_corpus) -> list[bad.WrittenCase]:
    """The cases whose names match $NIBRIDGE_BAD_INPUT_CASES (a regular expression), or every case."""
    pattern = os.environ.get("NIBRIDGE_BAD_INPUT_CASES")
    if not pattern:
        return written_corpus
    selected = [case for case in written_corpus if re.search(pattern, case.name)]
    if not selected:
        pytest.fail(f"NIBRIDGE_BAD_INPUT_CASES={pattern!r} matches no case")
    return selected


@pytest.fixture(scope="session")
def survey(selected_corpus, tmp_path_factory):
    """Every case through every caller that can run: (runs, callers that cannot run, the results file)."""
    tools, missing = _tool_problems()
    work = tmp_path_factory.mktemp("bad-input-runs")
    runner = Runner(tools, work)
    try:
        runner._worker("imread")._start()  # noqa: SLF001 - fails now if nibridge does not import
    except RuntimeError as error:
        missing["imread"] = str(error)
        del tools["imread"]
    runs = []
    # A thread per core, and two more for the cases that only wait: a FIFO where plastimatch opens its input blocks it
    # until the hang limit, twice (with and without the plugin). The non-regular cases start first, so that their waits
    # overlap the rest.
    waiting_first = sorted(selected_corpus, key=lambda case: case.kind != "non-regular")
    try:
        with limits_for_children(), concurrent.futures.ThreadPoolExecutor((os.cpu_count() or 2) + 2) as pool:
            for case_runs in pool.map(runner.run_case, waiting_first):
                runs += case_runs
    finally:
        runner.stop()
    results = work.parent / "bad-input-results.tsv"
    with results.open("w") as table:
        table.write("class\tcase\tcaller\texpect\toutcome\tseconds\tfailure\tdetail\n")
        for run in runs:
            for failure, detail in run.problems or [("", "")]:
                case = run.case
                fields = (
                    case.kind,
                    case.name,
                    run.caller,
                    case.expect,
                    run.outcome,
                    f"{run.seconds:.2f}",
                    failure,
                    detail,
                )
                table.write("\t".join(field.replace("\t", " ").replace("\n", " ") for field in fields) + "\n")
    return runs, missing, results


def _report(caller: str, runs: list[Run], results: Path) -> str:
    mine = [run for run in runs if run.caller == caller]
    failing = [(run, failure, detail) for run in mine for failure, detail in run.problems]
    counts = {failure: sum(1 for _, f, _ in failing if f == failure) for failure in FAILURES}
    summary = ", ".join(f"{failure}: {count}" for failure, count in counts.items() if count)
    rows = sorted(failing, key=lambda row: (FAILURES.index(row[1]), row[0].case.kind, row[0].case.name))
    width = max(len(run.case.name) for run, _, _ in rows)
    table = "\n".join(
        f"{failure:<26} {run.case.kind:<15} {run.case.name:<{width}} {detail}" for run, failure, detail in rows
    )
    cases_failing = len({run.case.name for run, _, _ in failing})
    return (
        f"{caller}: {cases_failing} of {len(mine)} cases fail ({summary}); all callers' results in {results}\n"
        f"{'failure':<26} {'class':<15} {'case':<{width}} detail\n{table}"
    )


# -- Tests ----------------------------------------------------------------------------------------------------


def test_the_corpus_covers_every_format_class_and_expectation():
    cases = bad.planned_cases()
    assert {case.format for case in cases} == set(bad.FORMATS)
    assert {case.kind for case in cases} == set(bad.CLASSES)
    assert {case.expect for case in cases} == set(bad.EXPECTATIONS)
    for fmt in bad.FORMATS:
        kinds = {case.kind for case in cases if case.format == fmt}
        assert {"truncation", "bit-flip"} <= kinds, f"{fmt}: only {sorted(kinds)}"
    assert not [case.name for case in cases if case.expect == "nibabel" and case.format not in bad.NIBABEL_FORMATS]
    assert 500 <= len(cases) <= 1500, len(cases)


def _tree(directory: Path) -> dict:
    """Every entry below `directory`: its kind and content (a link's target, a file's bytes)."""
    tree = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            tree[key] = ("link", os.readlink(path))
        elif path.is_fifo():
            tree[key] = ("fifo",)
        elif path.is_dir():
            tree[key] = ("directory",)
        else:
            tree[key] = ("file", path.read_bytes())
    return tree


def test_the_corpus_is_the_same_every_time(written_corpus, tmp_path):
    directory = Path(os.path.commonpath([str(case.path.parent) for case in written_corpus]))
    again = bad.write_corpus(tmp_path)
    assert [case.path.relative_to(tmp_path) for case in again] == [
        case.path.relative_to(directory) for case in written_corpus
    ]
    assert _tree(tmp_path) == _tree(directory)


def _known_values(base: bad.Base) -> np.ndarray:
    """The voxels a base of a format nibabel does not read was written with, in nibabel's (i, j, k) order."""
    if base.format == "npy":
        # A C-ordered array is (k, j, i) to NiBridge, as to ITK's NumPy bridges; a Fortran-ordered one (i, j, k).
        values = bad.base_values("float32", seed=3)
        return values if "fortran" in base.name else values.T
    if base.format == "png":
        rng = np.random.default_rng(5)
        bit_depth = 16 if "16" in base.name else 8
        return rng.integers(0, 2**bit_depth, (6, 7)).T
    return bad.base_values()


@pytest.mark.parametrize("base", bad.BASES.values(), ids=lambda base: base.name)
def test_the_files_the_mutations_start_from_are_good(base, tmp_path):
    """Each good file reads as nibabel (or NumPy) reads it, and through ni2npy as it was written."""
    path = base.write(tmp_path)
    if base.format in bad.NIBABEL_FORMATS:
        with nibabel_corpus.quiet_nibabel():
            expected = nibabel_corpus.load_with_nibabel(path).get_fdata()
    else:
        expected = _known_values(base).astype(np.float64)
        if base.format == "npy":
            np.testing.assert_array_equal(np.load(path), bad.base_values("float32", seed=3))
    tools, missing = _tool_problems()
    if "ni2npy" not in tools:
        pytest.fail(missing["ni2npy"])
    result = subprocess.run(
        [tools["ni2npy"], str(path), str(tmp_path / "out.npy")], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"ni2npy on the good {base.name}: {result.stderr}"
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


@pytest.mark.parametrize("caller", CALLERS)
def test_every_bad_input_ends_in_a_clear_error_or_nibabels_values(caller, survey):
    runs, missing, results = survey
    if caller in missing:
        pytest.fail(f"{caller} cannot run: {missing[caller]}")
    mine = [run for run in runs if run.caller == caller]
    assert mine, f"no case went through {caller}"
    if caller == "plastimatch" and PLASTIMATCH_OWN_FAILURES:
        # Said loudly, not hidden: plastimatch's own failures, which it has without the plugin just the same.
        warnings.warn(
            f"plastimatch itself fails on {len(PLASTIMATCH_OWN_FAILURES)} cases, with and without NiBridge's plugin "
            "(it opens its input before ITK's readers are asked; a FIFO blocks that open): "
            + "; ".join(PLASTIMATCH_OWN_FAILURES),
            stacklevel=1,
        )
    if any(run.problems for run in mine):
        pytest.fail(_report(caller, runs, results), pytrace=False)


def _children_named(parent: int, name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[1]) == parent and (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, or anything but a zombie (a zombie has ended; only its exit status waits for its new parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("caller", ["factories", "imread"])
def test_the_helper_running_itks_reader_ends_when_its_caller_is_killed(caller, tmp_path):
    """A reader blocked or looping on a damaged file must not outlive the program that asked for it: the helper
    (nibridge-itk-reader) asks the kernel for SIGKILL when its parent dies. Here the caller is killed while the
    helper parses an ASCII NRRD of 60 million voxels (several seconds of work)."""
    if caller == "factories" and not os.environ.get("NIBRIDGE_READ_WITH_FACTORIES"):
        pytest.fail("NIBRIDGE_READ_WITH_FACTORIES is not set (run through ctest)")
    voxels = 60_000_000
    slow = tmp_path / "slow.nrrd"
    with slow.open("wb") as stream:
        stream.write(b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 600 100 1000\nencoding: ascii\n\n")
        stream.write(b"7\n" * voxels)
    if caller == "factories":
        command = [
            os.environ["NIBRIDGE_READ_WITH_FACTORIES"],
            str(slow),
            str(tmp_path / "v.npy"),
            str(tmp_path / "a.npy"),
        ]
    else:
        command = [sys.executable, "-c", "import sys, nibridge; nibridge.imread(sys.argv[1])", str(slow)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_child_environment())
    try:
        deadline = time.monotonic() + 30
        helpers = []
        while not helpers and process.poll() is None and time.monotonic() < deadline:
            helpers = _children_named(process.pid, "nibridge-itk-re")  # the kernel keeps 15 characters of a name
            time.sleep(0.01)
        assert helpers, f"{caller} started no nibridge-itk-reader: {process.poll()}, {process.stderr.read()!r}"
        time.sleep(0.3)  # well into the parse
        assert all(_alive(helper) for helper in helpers), "the helper ended before its caller was killed"
        process.kill()
        process.wait()
        deadline = time.monotonic() + 5
        while any(_alive(helper) for helper in helpers) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(_alive(helper) for helper in helpers), "nibridge-itk-reader outlived its killed caller"
    finally:
        process.kill()
        process.wait()
        for helper in helpers:
            with contextlib.suppress(OSError):
                os.kill(helper, signal.SIGKILL)


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _serve(sys.argv[2])
