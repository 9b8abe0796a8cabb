import pytest

from .harness import VIRSH

# Modules that need no oracle; every other module here compares with the real virsh.
_STANDALONE = {"test_units.py", "test_jobs.py"}


def pytest_collection_modifyitems(config, items):
    if VIRSH:
        return
    skip = pytest.mark.skip(reason="real virsh (libvirt-clients 9.0) is not installed: no oracle")
    for item in items:
        path = str(item.fspath)
        if "tests/shell" in path and path.rsplit("/", 1)[-1] not in _STANDALONE:
            item.add_marker(skip)
