"""pytest settings of the plugin tests."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "nibabel_formats: needs the plugin built with the Python bridge (NiBabelImageIO); "
        "CTest deselects these when the NiBridgePython target does not exist",
    )
