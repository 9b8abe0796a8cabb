"""Device hot-plug and the monitoring/tuning commands added over the public API, against
real virsh on test:///default (libvirt 9.0's test driver refuses hot-plug: pyvirsh must
print the same refusals, in the same order of checks)."""

from __future__ import annotations

import pytest

from .harness import assert_same

URI = ["-c", "test:///default"]

SCRIPTS = {
    "attach-detach": "attach-device test dom1.xml; attach-device test dom1.xml --config; "
                     "attach-device test dom1.xml --current; attach-device test dom1.xml --live; "
                     "attach-device test dom1.xml --persistent; attach-device nope dom1.xml; "
                     "attach-device test /nonexist; attach-device nope /nonexist --current --live; "
                     "attach-device nope /nonexist --current --config; "
                     "attach-device nope /nonexist --current --persistent; detach-device test dom1.xml; "
                     "detach-device test dom1.xml --persistent; detach-device test dom1.xml --config; "
                     "destroy test; attach-device test dom1.xml --persistent; "
                     "detach-device test dom1.xml --persistent",
    "update-alias": "update-device test dom1.xml; update-device test dom1.xml --force; "
                    "update-device test /nonexist; update-device test dom1.xml --current --persistent; "
                    "detach-device-alias test ua-x; detach-device-alias test ua-x --config; "
                    "detach-device-alias nope x --current --live",
    "readonly": "connect test:///default --readonly; attach-device test dom1.xml; "
                "detach-device test dom1.xml --config; detach-device-alias test x; "
                "update-device test dom1.xml --force",
}


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_default_driver(name: str, quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, SCRIPTS[name]])
