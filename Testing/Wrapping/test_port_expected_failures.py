"""The expected failures of the ported itk and SimpleITK suites are the documented differences, and nothing else.

Every xfail of test_port_itk.py and test_port_sitk.py (on a test function or on one of its parameters) is strict and
names a row of the user guide's table "Differences from `itk` and SimpleITK" (Documentation/PythonPackage.md) by its
first column, which must be there.
"""

import importlib
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "Documentation" / "PythonPackage.md"
PREFIX = "Documentation/PythonPackage.md, Differences from `itk` and SimpleITK ("
PORTS = ["test_port_itk", "test_port_sitk"]


def table_rows():
    """The first column of each row of the guide's table of differences."""
    text = GUIDE.read_text()
    section = text.split("## Differences from `itk` and SimpleITK", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| |")]
    return {row.split(" | ", 1)[0][2:].strip().replace("`", "") for row in rows}  # backquotes aside


def expected_failures(module):
    """(test name, xfail mark) of every xfail in a test module, on functions and on parameters."""
    found = []
    for name, function in vars(module).items():
        if not name.startswith("test_"):
            continue
        for mark in getattr(function, "pytestmark", []):
            if mark.name == "xfail":
                found.append((name, mark))
            if mark.name == "parametrize":
                for value in mark.args[1]:
                    found.extend(
                        (f"{name}[{value.values}]", m) for m in getattr(value, "marks", ()) if m.name == "xfail"
                    )
    return found


@pytest.mark.parametrize("port", PORTS)
def test_every_expected_failure_is_strict_and_names_a_row_of_the_table_of_differences(port):
    rows = table_rows()
    failures = expected_failures(importlib.import_module(port))
    assert failures, f"{port} has no expected failure: the collection above is broken"
    for name, mark in failures:
        reason = mark.kwargs.get("reason", "")
        assert mark.kwargs.get("strict") is True, name
        assert "raises" in mark.kwargs, name  # another error than the difference's still fails the case
        assert reason.startswith(PREFIX), (name, reason)
        row = re.match(r"\((.*?)\):", reason[len(PREFIX) - 1 :]).group(1).replace("`", "")
        assert row in rows, (name, row, sorted(rows))


def test_the_table_is_read():
    rows = table_rows()
    assert {"keep_axes=True", "Fortran-ordered array", "__array_interface__", "view of a writable image"} <= rows
