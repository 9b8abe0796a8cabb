"""The public API's job and monitor calls on the QEMU driver, with a real TCG guest.

``Domain.qemu_monitor_command`` passes QMP (or HMP) through and returns QEMU's reply as text,
``Domain.job_info`` reports a running save with its progress, and ``Domain.abort_job`` cancels
it so the guest keeps running. The guest and the harness are those of test_qemu_driver.py; at
most one guest runs at a time and every wait is bounded.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_qemu_driver import Harness, wait_for
from test_qemu_driver import guest as guest  # noqa: F401 - fixture
from test_qemu_driver import root as root  # noqa: F401 - fixture

import pyvirt
from pyvirt.enums import DomainJobType, DomainRunningReason, DomainState
from pyvirt.errors import (
    ErrorDomain,
    ErrorNumber,
    OperationDeniedError,
    OperationInvalidError,
    VirtError,
)

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None,
    reason="qemu-system-x86_64 / qemu-img not installed",
)


@pytest.fixture
def h(root: Path, guest) -> Iterator[Harness]:  # type: ignore[no-untyped-def]  # noqa: F811
    harness = Harness(root, guest)
    yield harness
    harness.close()


@pytest.fixture
def conn(h: Harness) -> Iterator[pyvirt.Connection]:
    """A public connection sharing the harness's driver state (same embed root, same process)."""
    c = pyvirt.open(h.uri)
    yield c
    c.close()


def test_monitor_passthrough_job_info_and_read_only(h: Harness, conn: pyvirt.Connection) -> None:
    h.define_and_start()
    dom = conn.lookup_domain("g")

    reply = json.loads(dom.qemu_monitor_command('{"execute":"query-status"}'))
    assert reply["return"]["status"] == "running"
    assert "running" in dom.qemu_monitor_command("info status", hmp=True)
    # a QMP error is QEMU's answer, handed back rather than raised
    assert json.loads(dom.qemu_monitor_command('{"execute":"no-such-command"}'))["error"]["class"] == "CommandNotFound"

    info = dom.job_info()
    assert info.type is DomainJobType.NONE
    assert info.data_total == info.mem_total == info.time_elapsed == 0 and len(info) == 12
    with pytest.raises(OperationInvalidError, match="no job is active on the domain"):
        dom.abort_job()

    with pyvirt.open(h.uri, readonly=True) as ro:
        ro_dom = ro.lookup_domain("g")
        assert ro_dom.job_info().type is DomainJobType.NONE  # a query: allowed read-only
        with pytest.raises(OperationDeniedError) as denied:
            ro_dom.qemu_monitor_command('{"execute":"quit"}')
        assert denied.value.message == "operation forbidden: read only access prevents virDomainQemuMonitorCommand"
        assert denied.value.domain == ErrorDomain.NONE
        with pytest.raises(OperationDeniedError, match="read only access prevents virDomainAbortJob"):
            ro_dom.abort_job()
    assert dom.state()[0] == DomainState.RUNNING  # the refused quit never reached QEMU

    dom.destroy()
    with pytest.raises(OperationInvalidError, match="domain is not running"):
        dom.qemu_monitor_command('{"execute":"query-status"}')


def test_job_info_follows_a_save_and_abort_cancels_it(h: Harness, conn: pyvirt.Connection) -> None:
    h.define_and_start()
    h.wait_ready()
    dom = conn.lookup_domain("g")
    conn.driver.save_bandwidth = 1 << 20  # 1 MiB/s: the save lasts long enough to watch it
    image = h.root / "g.save"
    outcome: dict[str, BaseException | None] = {}

    def save() -> None:
        try:
            dom.save(str(image))
            outcome["error"] = None
        except BaseException as exc:  # noqa: BLE001 - inspected by the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=save, daemon=True)
    worker.start()
    try:
        wait_for(lambda: dom.job_info().mem_processed > 0 or "error" in outcome, 30, "save progress")
        info = dom.job_info()
        assert info.type is DomainJobType.UNBOUNDED, outcome
        assert info.mem_total >= info.mem_processed > 0
        assert info.data_processed == info.mem_processed and info.time_elapsed > 0
        dom.abort_job()
    finally:
        worker.join(60)
    assert not worker.is_alive()
    err = outcome["error"]
    assert isinstance(err, VirtError) and err.code == ErrorNumber.OPERATION_ABORTED, err
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.SAVE_CANCELED)
    assert not image.exists()
    assert dom.job_info().type is DomainJobType.NONE
    tick = h.wait_tick()
    h.wait_tick(at_least=tick + 1)  # the guest runs on after the cancelled save
