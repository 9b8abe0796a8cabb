"""Job and monitor commands (domjobinfo, domjobabort, qemu-monitor-command) and the
device-XML builders (attach-disk, ...) against real virsh on test:///default: libvirt 9.0's
test driver refuses these calls, so pyvirsh must print the same errors, in the same order."""

from __future__ import annotations

import pytest

from .harness import assert_same

URI = ["-c", "test:///default"]

SCRIPTS = {
    "domjobinfo": "domjobinfo test; domjobinfo test --completed; domjobinfo nope; "
                  "domjobinfo test --keep-completed; domjobinfo nope --keep-completed; "
                  "domjobinfo test --anystats; domjobinfo test --rawstats; "
                  "domjobinfo test --completed --keep-completed; domjobinfo nope --completed; domjobinfo",
    "domjobabort": "domjobabort test; domjobabort nope; domjobabort; destroy test; domjobabort test",
    "qemu-monitor-command": "qemu-monitor-command test info; qemu-monitor-command test --hmp info; "
                            "qemu-monitor-command test '{\"execute\":\"x\"}' --pretty; "
                            "qemu-monitor-command nope x; qemu-monitor-command test --pretty --hmp x; "
                            "qemu-monitor-command test --return-value x; qemu-monitor-command test --hmp --return-value x; "
                            "qemu-monitor-command nope --hmp --pretty x; qemu-monitor-command test --pass-fds x y; "
                            "qemu-monitor-command test --hmp info registers; "
                            "qemu-monitor-command test query-x '\"a\":1'; qemu-monitor-command test",
    "readonly": "connect test:///default --readonly; domjobabort test; qemu-monitor-command test x; "
                "domjobinfo test; domjobinfo test --completed",
}


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_default_driver(name: str, quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, SCRIPTS[name]])
