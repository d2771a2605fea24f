"""PythonFunctionImageFilter inside a Python host: a C++ pipeline in a library this Python process loads uses this
interpreter (not a second one), with the GIL held by the caller (ctypes.PyDLL) or released (ctypes.CDLL), and a
Python exception comes back as the pipeline's error.

NIBRIDGE_PYTHON_HOST_MODULE: the library (nibridgePythonHostModule.cxx).
"""

import builtins
import ctypes
import importlib
import os
import threading

import numpy
import pytest

SOURCE = "import builtins\ndef function(a):\n    return a + builtins.nibridge_host_marker\n"


def _run(library, source):
    value = ctypes.c_double()
    started = ctypes.c_int(-1)
    text = ctypes.create_string_buffer(4096)
    function = library.NiBridgeTestRunPythonStep
    function.argtypes = [
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_double),
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_char_p,
        ctypes.c_size_t,
    ]
    function.restype = ctypes.c_int
    ok = function(source.encode(), ctypes.byref(value), ctypes.byref(started), text, len(text))
    return ok, value.value, started.value, text.value.decode()


@pytest.fixture(scope="module")
def path():
    return os.environ["NIBRIDGE_PYTHON_HOST_MODULE"]


@pytest.mark.parametrize("loader", [ctypes.CDLL, ctypes.PyDLL], ids=["GIL released", "GIL held"])
def test_a_cxx_pipeline_in_a_python_host_runs_its_step_in_the_hosts_interpreter(path, loader):
    builtins.nibridge_host_marker = 1000.0  # only this interpreter has it
    ok, value, started, error = _run(loader(path), SOURCE)
    assert ok, error
    assert value == 123.0 + 1000.0
    assert started == 0, "NiBridge found Python running and did not start another"


def test_the_host_keeps_running_python_threads_while_a_cxx_pipeline_runs(path):
    builtins.nibridge_host_marker = 1.0
    counts = []
    stop = threading.Event()

    def count():
        n = 0
        while not stop.is_set():
            n += 1
        counts.append(n)

    worker = threading.Thread(target=count)
    worker.start()
    try:
        for _ in range(20):
            ok, value, _, error = _run(ctypes.CDLL(path), SOURCE)
            assert ok and value == 124.0, error
    finally:
        stop.set()
        worker.join()
    assert counts[0] > 0


def test_a_cxx_pipeline_runs_beside_the_nibridge_package_in_one_interpreter(path):
    if os.environ.get("NIBRIDGE_PACKAGE_BUILT") != "1":
        pytest.skip("the nibridge package is not built here (NiBridge_WRAP_PYTHON=OFF)")
    nibridge = importlib.import_module("nibridge")  # only here: the other tests must not need it
    view = nibridge.image_view_from_array(numpy.arange(24, dtype=numpy.float32).reshape(2, 3, 4))
    builtins.nibridge_host_marker = 5.0
    ok, value, started, error = _run(ctypes.CDLL(path), SOURCE)
    assert ok, error
    assert (value, started) == (128.0, 0)
    assert float(nibridge.array_view_from_image(view)[1, 2, 3]) == 23.0, "the package still works beside it"


def test_a_python_exception_in_the_hosts_interpreter_is_the_pipelines_error(path):
    ok, _, _, error = _run(ctypes.CDLL(path), "def function(a):\n    raise KeyError('from the host')\n")
    assert not ok
    assert "KeyError: 'from the host'" in error
    assert "Traceback" in error
