"""pytest settings of the plugin tests."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "nibabel_formats: needs the plugin built with the Python bridge (NiBabelImageIO); "
        "CTest deselects these when the NiBridgePython target does not exist",
    )
    config.addinivalue_line(
        "markers",
        "nibridge_package: needs the nibridge Python package in the build tree; "
        "CTest deselects these when it is not built (NiBridge_WRAP_PYTHON=OFF)",
    )
