"""The QEMU driver against real TCG guests.

The guest (tests/guest/build.py) prints a READY marker once its ACPI daemon listens, then
``PYVIRT-TICK n`` every second on its serial port, and powers off on the ACPI power button.
The serial port is a file in append mode, so the test reads what the guest printed across
restarts of QEMU (save/restore, managed save).

At most one guest runs at a time (the host has two cores shared by several people); every test
destroys what it started, every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from guest.build import READY_MARKER, TICK_PREFIX, GuestBuildError, ensure_guest

from pyvirt.drivers.qemu import QemuDriver
from pyvirt.enums import (
    DomainEventStartedDetail,
    DomainEventStoppedDetail,
    DomainEventType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from pyvirt.errors import ConfigUnsupportedError, ErrorNumber, OperationInvalidError, VirtError
from pyvirt.uri import parse_uri

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None,
    reason="qemu-system-x86_64 / qemu-img not installed",
)

BOOT_TIMEOUT = 90.0  # two cores shared by several test runs: be generous, but bounded
TICK_RE = re.compile(rf"{TICK_PREFIX} (\d+)")


@pytest.fixture(scope="module")
def guest():  # type: ignore[no-untyped-def]
    try:
        return ensure_guest()
    except GuestBuildError as exc:
        pytest.skip(f"test guest cannot be built here: {exc}")


@pytest.fixture
def root() -> Iterator[Path]:
    # short: the monitor socket path must fit in sun_path
    path = Path(tempfile.mkdtemp(prefix="pvq-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Harness:
    """One driver connection on an embed root, the guest's serial log, and clean-up."""

    def __init__(self, root: Path, guest) -> None:  # type: ignore[no-untyped-def]
        self.root = root
        self.guest = guest
        self.uri = f"qemu:///embed?root={root}"
        self.drv = self.open()
        self.events: list[tuple[str, int, int]] = []
        self._cb = self.drv.connect_domain_event_register_any(None, 0, self._on_event)
        self.pids: set[int] = set()

    def open(self) -> QemuDriver:
        drv = QemuDriver()
        drv.connect_open(parse_uri(self.uri))
        return drv

    def _on_event(self, ev) -> None:  # type: ignore[no-untyped-def]
        self.events.append((ev.domain.name, int(ev.event), int(ev.detail)))

    def serial(self, name: str = "g") -> Path:
        return self.root / f"{name}.serial"

    def xml(self, name: str = "g", *, disk: Path | None = None, extra: str = "", description: str = "",
            machine: str = "pc") -> str:
        g = self.guest
        disk_xml = ""
        if disk is not None:
            disk_xml = (
                f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>"
            )
        desc = f"<description>{description}</description>" if description else ""
        return f"""<domain type='qemu'>
  <name>{name}</name>{desc}
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type>
    <kernel>{g.kernel}</kernel><initrd>{g.initrd}</initrd><cmdline>{g.cmdline}</cmdline></os>
  <features><acpi/></features>
  <on_reboot>restart</on_reboot>
  <devices>{disk_xml}
    <serial type='file'><source path='{self.serial(name)}' append='on'/></serial>
    {extra}
  </devices>
</domain>"""

    def qcow2(self, name: str = "disk.qcow2", size: str = "32M") -> Path:
        path = self.root / name
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True, timeout=30)
        return path

    def define_and_start(self, name: str = "g", **kw):  # type: ignore[no-untyped-def]
        ref = self.drv.domain_define_xml(self.xml(name, **kw))
        ref = self.drv.domain_create(ref)
        self.pids.add(self.pid(name))
        return ref

    def pid(self, name: str = "g") -> int:
        obj = self.drv.state.domains.by_name(name)
        return obj.driver_data["process"].pid

    def text(self, name: str = "g") -> str:
        try:
            return self.serial(name).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def ticks(self, name: str = "g", since: int = 0) -> list[int]:
        return [int(n) for n in TICK_RE.findall(self.text(name)[since:])]

    def wait_ready(self, name: str = "g") -> None:
        wait_for(lambda: READY_MARKER in self.text(name), BOOT_TIMEOUT, "guest READY marker")

    def wait_tick(self, name: str = "g", at_least: int = 1, since: int = 0, timeout: float = 30.0) -> int:
        wait_for(lambda: any(t >= at_least for t in self.ticks(name, since)), timeout, f"tick >= {at_least}")
        return self.ticks(name, since)[-1]

    def state(self, ref) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        return self.drv.domain_get_state(ref)

    def wait_state(self, ref, state: int, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
        wait_for(lambda: self.state(ref)[0] == state, timeout, f"state {DomainState(state).name}")

    def flush_events(self) -> None:
        self.drv.state.events.flush(5)

    def expect_event(self, event: tuple[str, int, int], timeout: float = 10.0) -> None:
        """Wait for ``event`` to be delivered. After QEMU exits on its own, the driver books
        the new state and then emits the event: seeing the state first is not enough."""
        wait_for(lambda: event in self.events, timeout, f"event {event}")

    def close(self) -> None:
        drv = self.drv
        if drv._state is not None:
            for obj in drv.state.domains.all():
                if obj.is_active():
                    try:
                        drv.domain_destroy(obj.ref())
                    except VirtError:
                        pass
            drv.connect_close()
        for pid in self.pids:  # whatever happened, no QEMU outlives its test
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] not in (b"Z", b"X")


@pytest.fixture
def h(root: Path, guest) -> Iterator[Harness]:  # type: ignore[no-untyped-def]
    harness = Harness(root, guest)
    yield harness
    harness.close()


# ---------------------------------------------------------------------------------------------


def test_start_runs_the_guest_and_records_state(h: Harness) -> None:
    ref = h.define_and_start()
    assert ref.id >= 1
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.BOOTED)
    pid = h.pid()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"-nodefaults" in cmdline and any(b"accel=tcg" in a for a in cmdline)
    # the status file names the pid and holds the live definition
    status = (h.root / "run" / "qemu" / "g.xml").read_text()
    assert f"pid='{pid}'" in status and "<domain type='qemu' id=" in status
    assert "<domstatus state='running' reason='booted'" in status
    assert (h.root / "etc" / "qemu" / "g.xml").exists()
    h.wait_ready()
    info = h.drv.domain_get_info(ref)
    assert info.state == DomainState.RUNNING and info.cpu_time > 0 and info.max_memory == 128 * 1024
    live = h.drv.domain_get_xml_desc(ref)
    assert f"id='{ref.id}'" in live and "<alias name='serial0'/>" in live
    assert "<alias" not in h.drv.domain_get_xml_desc(ref, 2)  # the inactive config
    h.flush_events()
    assert ("g", DomainEventType.STARTED, DomainEventStartedDetail.BOOTED) in h.events


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_acpi_shutdown(h: Harness, machine: str) -> None:
    ref = h.define_and_start(machine=machine)
    pid = h.pid()
    h.wait_ready()
    started = time.monotonic()
    h.drv.domain_shutdown(ref)
    h.wait_state(ref, DomainState.SHUTOFF, 20)
    elapsed = time.monotonic() - started
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.SHUTDOWN)
    assert "PYVIRT-GUEST-POWEROFF" in h.text()
    wait_for(lambda: not pid_alive(pid), 5, "QEMU exit")
    assert not (h.root / "run" / "qemu" / "g.xml").exists()
    h.expect_event(("g", DomainEventType.STOPPED, DomainEventStoppedDetail.SHUTDOWN))
    assert ref.uuid == h.drv.domain_lookup_by_name("g").uuid and h.drv.domain_lookup_by_name("g").id == -1
    assert elapsed < 20


def test_destroy_and_errors(h: Harness) -> None:
    ref = h.define_and_start()
    pid = h.pid()
    h.drv.domain_destroy(ref)
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.DESTROYED)
    assert not pid_alive(pid)
    h.flush_events()
    assert ("g", DomainEventType.STOPPED, DomainEventStoppedDetail.DESTROYED) in h.events
    assert not any(e[1] == DomainEventType.SHUTDOWN for e in h.events)
    with pytest.raises(OperationInvalidError):
        h.drv.domain_destroy(ref)
    with pytest.raises(VirtError) as info:
        h.drv.domain_suspend(ref)
    assert info.value.code == ErrorNumber.OPERATION_INVALID


def test_suspend_resume_stops_and_continues_the_counter(h: Harness) -> None:
    ref = h.define_and_start()
    h.wait_ready()
    h.wait_tick(at_least=1)
    h.drv.domain_suspend(ref)
    assert h.state(ref) == (DomainState.PAUSED, DomainPausedReason.USER)
    frozen = h.ticks()[-1]
    time.sleep(2.5)
    assert h.ticks()[-1] == frozen, "the guest kept counting while paused"
    h.drv.domain_resume(ref)
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.UNPAUSED)
    h.wait_tick(at_least=frozen + 1, timeout=10)
    h.flush_events()
    kinds = [e[1] for e in h.events]
    assert DomainEventType.SUSPENDED in kinds and DomainEventType.RESUMED in kinds


def test_snapshot_running_and_revert(h: Harness) -> None:
    disk = h.qcow2()
    ref = h.define_and_start(disk=disk, description="before")
    h.wait_ready()
    h.wait_tick(at_least=2)
    snap = h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>s1</name></domainsnapshot>")
    at_snapshot = h.ticks()[-1]
    # the metadata is on disk beside the config, and QEMU's image holds the snapshot
    meta = h.root / "etc" / "qemu" / "snapshot" / "g" / "s1.xml"
    assert "<state>running</state>" in meta.read_text() and "<active>1</active>" in meta.read_text()
    # change the persistent config after the snapshot: revert must bring the old one back
    h.drv.domain_define_xml(h.xml(disk=disk, description="after").replace("<name>g</name>", f"<name>g</name><uuid>{ref.uuid}</uuid>"))
    assert "after" in h.drv.domain_get_xml_desc(ref, 2)
    h.wait_tick(at_least=at_snapshot + 3, timeout=20)
    mark = len(h.text())
    h.drv.domain_revert_to_snapshot(snap)
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.FROM_SNAPSHOT)
    first = h.wait_tick(at_least=0, since=mark, timeout=10)
    after = h.ticks(since=mark)
    assert after[0] <= at_snapshot + 1, f"counter did not jump back: {at_snapshot} -> {after}"
    assert first <= at_snapshot + 2
    assert "before" in h.drv.domain_get_xml_desc(ref, 2), "revert did not restore <inactiveDomain>"
    assert h.drv.domain_snapshot_current(ref).name == "s1"
    out = subprocess.run(["qemu-img", "snapshot", "-U", "-l", str(disk)], capture_output=True, text=True, timeout=30).stdout
    assert "s1" in out


def test_failed_revert_leaves_a_defined_state(h: Harness) -> None:
    disk = h.qcow2()
    ref = h.define_and_start(disk=disk)
    h.wait_ready()
    snap = h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>gone</name></domainsnapshot>")
    # remove QEMU's snapshot behind the driver's back: the metadata stays, the state is gone
    h.drv.domain_qemu_monitor_command(ref, "delvm gone", 1)
    with pytest.raises(VirtError) as info:
        h.drv.domain_revert_to_snapshot(snap)
    assert info.value.code == ErrorNumber.OPERATION_FAILED
    assert "paused" in info.value.message
    state, _ = h.state(ref)
    assert state == DomainState.PAUSED
    # QEMU agrees, and the guest can be resumed
    assert '"running":false' in h.drv.domain_qemu_monitor_command(ref, '{"execute":"query-status"}').replace(" ", "")
    h.drv.domain_resume(ref)
    assert h.state(ref)[0] == DomainState.RUNNING


def test_save_and_restore(h: Harness) -> None:
    ref = h.define_and_start()
    pid = h.pid()
    h.wait_ready()
    before = h.wait_tick(at_least=1)
    image = h.root / "g.save"
    h.drv.domain_save(ref, str(image))
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.SAVED)
    assert not pid_alive(pid) and image.stat().st_size > 0
    assert "<name>g</name>" in h.drv.domain_save_image_get_xml_desc(str(image))
    mark = len(h.text())
    h.drv.domain_restore(str(image))
    h.pids.add(h.pid())
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.RESTORED)
    h.wait_tick(at_least=before + 1, since=mark, timeout=15)
    assert READY_MARKER not in h.text()[mark:], "the guest booted again instead of resuming"
    h.flush_events()
    assert ("g", DomainEventType.STOPPED, DomainEventStoppedDetail.SAVED) in h.events
    assert ("g", DomainEventType.STARTED, DomainEventStartedDetail.RESTORED) in h.events


def test_managed_save_and_start_from_it(h: Harness) -> None:
    ref = h.define_and_start()
    h.wait_ready()
    before = h.wait_tick(at_least=1)
    h.drv.domain_managed_save(ref)
    assert h.drv.domain_has_managed_save_image(ref)
    assert (h.root / "lib" / "qemu" / "save" / "g.save").exists()
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.SAVED)
    mark = len(h.text())
    h.drv.domain_create(ref)
    h.pids.add(h.pid())
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.RESTORED)
    assert not h.drv.domain_has_managed_save_image(ref)
    assert not (h.root / "lib" / "qemu" / "save" / "g.save").exists()
    h.wait_tick(at_least=before + 1, since=mark, timeout=15)
    assert READY_MARKER not in h.text()[mark:]


def test_qemu_killed_is_crashed_with_event(h: Harness) -> None:
    ref = h.define_and_start()
    pid = h.pid()
    os.kill(pid, signal.SIGKILL)
    h.wait_state(ref, DomainState.SHUTOFF, 5)
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.CRASHED)
    h.expect_event(("g", DomainEventType.STOPPED, DomainEventStoppedDetail.FAILED))
    assert not (h.root / "run" / "qemu" / "g.xml").exists()
    assert h.drv.domain_lookup_by_name("g").id == -1


def test_restart_of_the_managing_side_finds_guests_again(h: Harness) -> None:
    ref = h.define_and_start()
    pid = h.pid()
    old_id = ref.id
    h.drv.connect_close()  # the last connection: monitors closed, QEMU left running
    assert pid_alive(pid)
    h.drv = h.open()
    again = h.drv.domain_lookup_by_name("g")
    assert again.id == old_id and h.pid() == pid
    assert h.state(again) == (DomainState.RUNNING, DomainRunningReason.BOOTED)
    h.drv.domain_suspend(again)  # the new monitor works
    assert '"status":"paused"' in h.drv.domain_qemu_monitor_command(again, '{"execute":"query-status"}').replace(" ", "")
    h.drv.domain_resume(again)
    # now QEMU dies while nobody manages it: found shut off, reason crashed
    h.drv.connect_close()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), 5, "QEMU exit")
    h.drv = h.open()
    assert h.drv.domain_get_state(h.drv.domain_lookup_by_name("g")) == (DomainState.SHUTOFF, DomainShutoffReason.CRASHED)
    assert not (h.root / "run" / "qemu" / "g.xml").exists()


def test_restart_in_another_process(h: Harness) -> None:
    """A separate managing process starts the guest and exits; this one adopts the QEMU."""
    script = f"""
import sys
from pyvirt.drivers.qemu import QemuDriver
from pyvirt.uri import parse_uri
d = QemuDriver(); d.connect_open(parse_uri({h.uri!r}))
ref = d.domain_create(d.domain_define_xml(sys.stdin.read()))
print(d.state.domains.by_name('g').driver_data['process'].pid)
d.connect_close()
"""
    h.drv.connect_close()
    out = subprocess.run(["python3", "-c", script], input=h.xml(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[-1])
    h.pids.add(pid)
    assert pid_alive(pid)
    h.drv = h.open()
    ref = h.drv.domain_lookup_by_name("g")
    assert ref.id >= 1 and h.state(ref)[0] == DomainState.RUNNING
    # exit detection works for a QEMU that is not our child (pidfd, not waitpid)
    os.kill(pid, signal.SIGKILL)
    h.wait_state(ref, DomainState.SHUTOFF, 5)
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.CRASHED)


def test_jobs_serialize_and_queries_do_not_wait(h: Harness) -> None:
    ref = h.define_and_start()
    obj = h.drv.state.domains.by_name("g")
    held = threading.Event()
    release_at: list[float] = []

    def hold() -> None:
        with obj.job("test-hold"):
            held.set()
            time.sleep(1.0)
            release_at.append(time.monotonic())

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    done: list[float] = []
    suspender = threading.Thread(target=lambda: (h.drv.domain_suspend(ref), done.append(time.monotonic())))
    suspender.start()
    t0 = time.monotonic()
    h.drv.domain_get_info(ref)
    h.drv.domain_lookup_by_name("g")
    h.drv.connect_list_all_domains()
    h.drv.domain_get_xml_desc(ref)
    assert time.monotonic() - t0 < 0.5, "queries waited for the job"
    holder.join(10)
    suspender.join(10)
    assert done and release_at and done[0] >= release_at[0], "suspend ran inside another job"
    assert h.state(ref)[0] == DomainState.PAUSED
    # many concurrent state changes: all succeed, one at a time, ending consistent
    errors: list[BaseException] = []

    def flip(i: int) -> None:
        try:
            (h.drv.domain_resume if i % 2 == 0 else h.drv.domain_suspend)(ref)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=flip, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    qemu_running = '"running":true' in h.drv.domain_qemu_monitor_command(ref, '{"execute":"query-status"}').replace(" ", "")
    assert (h.state(ref)[0] == DomainState.RUNNING) == qemu_running


def test_disk_hotplug_live_and_config(h: Harness) -> None:
    ref = h.define_and_start()
    h.wait_ready()
    extra = h.qcow2("extra.qcow2", "8M")
    disk = f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{extra}'/><target dev='vdb' bus='virtio'/></disk>"
    h.drv.domain_attach_device(ref, disk, 1 | 2)
    blocks = h.drv.domain_qemu_monitor_command(ref, '{"execute":"query-block"}')
    assert str(extra) in blocks
    assert "<target dev='vdb' bus='virtio'/>" in h.drv.domain_get_xml_desc(ref)
    assert "vdb" in h.drv.domain_get_xml_desc(ref, 2)
    assert "vdb" in (h.root / "etc" / "qemu" / "g.xml").read_text()
    with pytest.raises(VirtError):
        h.drv.domain_attach_device(ref, disk, 1)  # same target twice
    h.drv.domain_detach_device(ref, disk, 1 | 2)
    assert "vdb" not in h.drv.domain_get_xml_desc(ref, 2)
    wait_for(lambda: "vdb" not in h.drv.domain_get_xml_desc(ref), 10, "guest to release vdb")
    wait_for(lambda: str(extra) not in h.drv.domain_qemu_monitor_command(ref, '{"execute":"query-block"}'), 10,
             "block nodes released")


def test_interface_hotplug_and_balloon(h: Harness) -> None:
    ref = h.define_and_start(extra="<memballoon model='virtio'/>")
    nic = "<interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/></interface>"
    h.drv.domain_attach_device(ref, nic, 1)
    assert "52:54:00:12:34:56" in h.drv.domain_qemu_monitor_command(ref, "info network", 1) or \
        "hostnet" in h.drv.domain_qemu_monitor_command(ref, "info network", 1)
    assert "52:54:00:12:34:56" in h.drv.domain_get_xml_desc(ref)
    h.drv.domain_set_memory_flags(ref, 96 * 1024, 1)
    assert h.drv.domain_get_info(ref).memory == 96 * 1024
    assert "<currentMemory unit='KiB'>98304</currentMemory>" in h.drv.domain_get_xml_desc(ref)
    with pytest.raises(VirtError):
        h.drv.domain_set_memory_flags(ref, 256 * 1024, 1)


def test_monitor_passthrough_and_job_info(h: Harness) -> None:
    ref = h.define_and_start()
    reply = h.drv.domain_qemu_monitor_command(ref, '{"execute":"query-name"}')
    assert '"name":"g"' in reply.replace(" ", "")
    bad = h.drv.domain_qemu_monitor_command(ref, '{"execute":"no-such-command"}')
    assert "CommandNotFound" in bad
    assert h.drv.domain_get_job_info(ref)[0] == 0  # no job
    with pytest.raises(VirtError):
        h.drv.domain_abort_job(ref)


def test_definitions_the_host_cannot_run_are_refused(h: Harness) -> None:
    with pytest.raises(ConfigUnsupportedError) as info:
        h.drv.domain_define_xml(h.xml().replace("type='qemu'", "type='kvm'", 1))
    assert "does not support virt type 'kvm'" in info.value.message
    with pytest.raises(ConfigUnsupportedError, match="hostdev"):
        h.drv.domain_define_xml(h.xml(extra="<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='9' function='0'/></source></hostdev>"))
    assert h.drv.connect_list_all_domains() == []


def test_public_api_opens_embed_uri(root: Path, guest) -> None:  # type: ignore[no-untyped-def]
    from pyvirt.connection import open as open_connection

    conn = open_connection(f"qemu:///embed?root={root}")
    try:
        assert conn.type() == "QEMU"
        xml = f"""<domain type='qemu'><name>pub</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>{guest.kernel}</kernel></os></domain>"""
        dom = conn.define_domain(xml)
        assert [d.name for d in conn.list_domains()] == ["pub"]
        assert dom.is_persistent() and not dom.is_active()
    finally:
        conn.close()


def test_reboot_boots_the_guest_again(h: Harness) -> None:
    ref = h.define_and_start()
    pid = h.pid()
    h.wait_ready()
    mark = len(h.text())
    h.drv.domain_reboot(ref)
    wait_for(lambda: READY_MARKER in h.text()[mark:], BOOT_TIMEOUT, "READY after reboot")
    assert h.pid() == pid, "reboot must keep the QEMU process"
    assert h.state(ref)[0] == DomainState.RUNNING
    # a hard reset: same process, the guest boots again, REBOOT event
    reboots: list[object] = []
    h.drv.connect_domain_event_register_any(None, 1, reboots.append)
    mark = len(h.text())
    h.drv.domain_reset(ref)
    wait_for(lambda: READY_MARKER in h.text()[mark:], BOOT_TIMEOUT, "READY after reset")
    assert h.pid() == pid
    h.flush_events()
    assert not any(e[1] == DomainEventType.STOPPED for e in h.events)
    assert reboots, "no REBOOT event for the reset"


def test_offline_snapshots_with_qemu_img_survive_a_restart(h: Harness) -> None:
    disk = h.qcow2()
    ref = h.drv.domain_define_xml(h.xml(disk=disk, description="one"))
    s1 = h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>off1</name></domainsnapshot>")
    h.drv.domain_define_xml(h.xml(disk=disk, description="two").replace("<name>g</name>", f"<name>g</name><uuid>{ref.uuid}</uuid>"))
    h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>off2</name></domainsnapshot>")
    listing = subprocess.run(["qemu-img", "snapshot", "-l", str(disk)], capture_output=True, text=True, timeout=30).stdout
    assert "off1" in listing and "off2" in listing
    assert "<state>shutoff</state>" in h.drv.domain_snapshot_get_xml_desc(s1)
    # a new driver instance reads the metadata back: tree, parent and current marker
    h.drv.connect_close()
    h.drv = h.open()
    ref = h.drv.domain_lookup_by_name("g")
    assert sorted(h.drv.domain_snapshot_list_names(ref)) == ["off1", "off2"]
    assert h.drv.domain_snapshot_current(ref).name == "off2"
    off2 = h.drv.domain_snapshot_lookup_by_name(ref, "off2")
    assert h.drv.domain_snapshot_get_parent(off2).name == "off1"
    # revert to the first: its configuration comes back, and the disk is rolled back
    h.drv.domain_revert_to_snapshot(h.drv.domain_snapshot_lookup_by_name(ref, "off1"))
    assert "<description>one</description>" in h.drv.domain_get_xml_desc(ref, 2)
    assert h.drv.domain_snapshot_current(ref).name == "off1"
    assert "<description>one</description>" in (h.root / "etc" / "qemu" / "g.xml").read_text()
    # delete: the image and the metadata lose it; undefine needs the metadata flag
    h.drv.domain_snapshot_delete(off2)
    listing = subprocess.run(["qemu-img", "snapshot", "-l", str(disk)], capture_output=True, text=True, timeout=30).stdout
    assert "off2" not in listing and "off1" in listing
    assert not (h.root / "etc" / "qemu" / "snapshot" / "g" / "off2.xml").exists()
    with pytest.raises(OperationInvalidError, match="snapshots"):
        h.drv.domain_undefine(ref)
    h.drv.domain_undefine(ref, 2)
    assert not (h.root / "etc" / "qemu" / "snapshot" / "g").exists()
    assert not (h.root / "etc" / "qemu" / "g.xml").exists()


def test_raw_disk_refuses_internal_snapshot(h: Harness) -> None:
    raw = h.root / "raw.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(raw), "8M"], check=True, timeout=30)
    xml = h.xml().replace("<devices>", f"<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{raw}'/><target dev='vda' bus='virtio'/></disk>", 1)
    ref = h.drv.domain_define_xml(xml)
    with pytest.raises(ConfigUnsupportedError, match="internal snapshot for disk vda unsupported for storage type raw"):
        h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>x</name></domainsnapshot>")
    assert h.drv.domain_snapshot_num(ref) == 0


def test_transient_domain_and_start_paused(h: Harness) -> None:
    ref = h.drv.domain_create_xml(h.xml("t"), 1)  # START_PAUSED
    h.pids.add(h.pid("t"))
    assert h.state(ref) == (DomainState.PAUSED, DomainPausedReason.USER)
    assert not h.drv.domain_is_persistent(ref)
    assert not (h.root / "etc" / "qemu" / "t.xml").exists()
    assert (h.root / "run" / "qemu" / "t.xml").exists()
    h.drv.domain_resume(ref)
    h.drv.domain_destroy(ref)
    with pytest.raises(VirtError) as info:
        h.drv.domain_lookup_by_name("t")
    assert info.value.code == ErrorNumber.NO_DOMAIN


def test_failed_start_reports_qemu_error(h: Harness) -> None:
    ref = h.drv.domain_define_xml(h.xml().replace(str(h.guest.kernel), "/nonexistent/vmlinux"))
    with pytest.raises(VirtError) as info:
        h.drv.domain_create(ref)
    assert info.value.code == ErrorNumber.INTERNAL_ERROR
    assert info.value.message.startswith("internal error: qemu unexpectedly closed the monitor: ")
    assert "/nonexistent/vmlinux" in info.value.message
    assert h.state(ref) == (DomainState.SHUTOFF, DomainShutoffReason.FAILED)
    assert not (h.root / "run" / "qemu" / "g.monitor").exists()
    assert not (h.root / "run" / "qemu" / "g.xml").exists()
    h.flush_events()
    assert not any(e[1] == DomainEventType.STARTED for e in h.events)


def test_autostart_on_driver_start_and_host_queries(h: Harness) -> None:
    ref = h.drv.domain_define_xml(h.xml())
    h.drv.domain_set_autostart(ref, True)
    assert (h.root / "etc" / "qemu" / "autostart" / "g.xml").is_symlink()
    assert h.drv.domain_get_state(ref)[0] == DomainState.SHUTOFF
    h.drv.connect_close()
    h.drv = h.open()
    ref = h.drv.domain_lookup_by_name("g")
    h.pids.add(h.pid())
    assert h.drv.domain_get_autostart(ref)
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.BOOTED)
    caps = h.drv.connect_get_capabilities()
    assert "<domain type='qemu'/>" in caps and "<emulator>/usr/bin/qemu-system-x86_64</emulator>" in caps
    info = h.drv.node_get_info()
    assert info.cpus == os.cpu_count() and info.memory > 0


def test_external_disk_only_snapshots(h: Harness) -> None:
    disk = h.qcow2("base.qcow2")
    ref = h.drv.domain_define_xml(h.xml(disk=disk))
    # shut off: the overlay is created and the configuration points at it
    off = h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>ext1</name></domainsnapshot>", 16)
    overlay1 = h.root / "base.ext1"
    assert overlay1.exists()
    info = subprocess.run(["qemu-img", "info", str(overlay1)], capture_output=True, text=True, timeout=30).stdout
    assert str(disk) in info  # backing file
    assert f"<source file='{overlay1}'/>" in h.drv.domain_get_xml_desc(ref, 2)
    assert "<state>shutoff</state>" in h.drv.domain_snapshot_get_xml_desc(off)
    # running: blockdev-snapshot swaps a new overlay in under the guest
    ref = h.drv.domain_create(ref)
    h.pids.add(h.pid())
    run = h.drv.domain_snapshot_create_xml(ref, "<domainsnapshot><name>ext2</name></domainsnapshot>", 16)
    overlay2 = h.root / "base.ext2"
    assert overlay2.exists()
    blocks = h.drv.domain_qemu_monitor_command(ref, '{"execute":"query-block"}')
    assert str(overlay2) in blocks and str(overlay1) in blocks  # the new top and its backing
    assert f"file='{overlay2}'" in h.drv.domain_get_xml_desc(ref)
    assert f"<source file='{overlay2}'/>" in h.drv.domain_get_xml_desc(ref, 2)
    assert "<state>disk-snapshot</state>" in h.drv.domain_snapshot_get_xml_desc(run)
    assert sorted(h.drv.domain_snapshot_list_names(ref)) == ["ext1", "ext2"]
    with pytest.raises(ConfigUnsupportedError):
        h.drv.domain_revert_to_snapshot(off)
    # restart: the new QEMU opens the overlay chain
    h.drv.domain_destroy(ref)
    h.drv.domain_create(ref)
    h.pids.add(h.pid())
    cmdline = Path(f"/proc/{h.pid()}/cmdline").read_bytes()
    assert str(overlay2).encode() in cmdline
    h.drv.domain_snapshot_delete(run, 2)  # METADATA_ONLY
    assert h.drv.domain_snapshot_list_names(ref) == ["ext1"]


def test_undefine_while_running_makes_it_transient(h: Harness) -> None:
    ref = h.define_and_start()
    h.drv.domain_undefine(ref)
    assert not h.drv.domain_is_persistent(ref) and h.drv.domain_is_active(ref)
    assert not (h.root / "etc" / "qemu" / "g.xml").exists()
    h.drv.domain_destroy(ref)
    with pytest.raises(VirtError) as info:
        h.drv.domain_lookup_by_name("g")
    assert info.value.code == ErrorNumber.NO_DOMAIN


def test_nic_detach(h: Harness) -> None:
    ref = h.define_and_start()
    h.wait_ready()
    nic = "<interface type='user'><mac address='52:54:00:ab:cd:ef'/><model type='virtio'/></interface>"
    h.drv.domain_attach_device(ref, nic, 1)
    assert "hostnet0" in h.drv.domain_qemu_monitor_command(ref, "info network", 1)
    h.drv.domain_detach_device(ref, nic, 1)
    wait_for(lambda: "52:54:00:ab:cd:ef" not in h.drv.domain_get_xml_desc(ref), 10, "NIC removal")
    wait_for(lambda: "hostnet0" not in h.drv.domain_qemu_monitor_command(ref, "info network", 1), 10, "netdev removal")
    with pytest.raises(VirtError) as info:
        h.drv.domain_detach_device(ref, nic, 1)
    assert info.value.code == ErrorNumber.DEVICE_MISSING


# -- state on disk (no guest needed) ------------------------------------------------------------


def test_uri_paths() -> None:
    from pyvirt.drivers.qemu.paths import paths_for_uri

    embed = paths_for_uri(parse_uri("qemu:///embed?root=/srv/x"))
    assert embed.config("d") == Path("/srv/x/etc/qemu/d.xml")
    assert embed.snapshot("d", "s") == Path("/srv/x/etc/qemu/snapshot/d/s.xml")
    assert embed.status("d") == Path("/srv/x/run/qemu/d.xml")
    assert embed.monitor("d") == Path("/srv/x/run/qemu/d.monitor")
    assert embed.log("d") == Path("/srv/x/log/qemu/d.log")
    assert paths_for_uri(parse_uri("qemu:///system")).config_dir == Path("/etc/pyvirt/qemu")
    session = paths_for_uri(parse_uri("qemu:///session"))
    assert session.kind == "session" and "pyvirt" in str(session.config_dir)
    with pytest.raises(VirtError, match="unexpected QEMU URI path"):
        paths_for_uri(parse_uri("qemu:///bogus"))
    with pytest.raises(VirtError, match="root"):
        paths_for_uri(parse_uri("qemu:///embed"))


def test_atomic_write_and_status_round_trip(root: Path) -> None:
    from pyvirt.drivers.qemu.statefile import StatusRecord, atomic_write, read_status, write_status

    target = root / "f.xml"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in root.iterdir()] == ["f.xml"], "temporary files left behind"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    rec = StatusRecord(state="paused", reason=1, pid=4242, monitor="/x/m.monitor",
                       domain_xml="<domain type='qemu' id='3'><name>d</name></domain>", start_time=99)
    write_status(root / "d.xml", rec)
    assert "<domstatus state='paused' reason='user' pid='4242'" in (root / "d.xml").read_text()
    back = read_status(root / "d.xml")
    assert (back.state, back.reason, back.pid, back.monitor, back.start_time) == ("paused", 1, 4242, "/x/m.monitor", 99)
    assert "<name>d</name>" in back.domain_xml
    (root / "bad.xml").write_text("<domstatus")
    with pytest.raises(VirtError) as info:
        read_status(root / "bad.xml")
    assert info.value.code == ErrorNumber.INTERNAL_ERROR


def test_unresponsive_monitor_times_out(h: Harness) -> None:
    ref = h.define_and_start()
    pid = h.pid()
    h.drv.monitor_timeout = 1.0
    os.kill(pid, signal.SIGSTOP)  # QEMU stops answering
    try:
        started = time.monotonic()
        with pytest.raises(VirtError) as info:
            h.drv.domain_suspend(ref)
        assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
        assert time.monotonic() - started < 10
        # the failed call released its job: queries and further calls are not blocked
        assert h.drv.domain_get_state(ref)[0] == DomainState.RUNNING
    finally:
        os.kill(pid, signal.SIGCONT)
    h.drv.monitor_timeout = 30.0
    h.drv.domain_suspend(ref)
    assert h.state(ref)[0] == DomainState.PAUSED


def test_save_job_info_and_abort(h: Harness) -> None:
    ref = h.define_and_start()
    h.wait_ready()
    h.drv.save_bandwidth = 1 << 20  # 1 MiB/s: the save takes long enough to be watched and aborted
    image = h.root / "slow.save"
    result: list[BaseException | None] = []

    def save() -> None:
        try:
            h.drv.domain_save(ref, str(image))
            result.append(None)
        except BaseException as exc:  # noqa: BLE001
            result.append(exc)

    saver = threading.Thread(target=save)
    saver.start()
    wait_for(lambda: h.drv.domain_get_job_info(ref)[0] != 0 and h.drv.domain_get_job_info(ref)[4] > 0, 20,
             "save job progress")
    info = h.drv.domain_get_job_info(ref)
    assert info[0] == 2 and info[1] >= 0  # UNBOUNDED, elapsed ms
    assert h.drv.domain_get_state(ref)[0] == DomainState.PAUSED  # queries answer during the job
    h.drv.domain_abort_job(ref)
    saver.join(30)
    assert result and isinstance(result[0], VirtError)
    assert result[0].code == ErrorNumber.OPERATION_ABORTED
    assert h.state(ref) == (DomainState.RUNNING, DomainRunningReason.SAVE_CANCELED)
    assert not image.exists()
    assert h.drv.domain_get_job_info(ref)[0] == 0
    mark = len(h.text())
    h.wait_tick(since=mark, timeout=10)  # the guest runs on


def _can_make_bridge(name: str) -> bool:
    made = subprocess.run(["ip", "link", "add", name, "type", "bridge"], capture_output=True, timeout=10)
    return made.returncode == 0


def test_bridge_and_ethernet_interfaces(h: Harness) -> None:
    if shutil.which("ip") is None or not os.path.exists("/dev/net/tun"):
        pytest.skip("no ip tool or /dev/net/tun")
    bridge = f"pvbr{os.getpid() % 100000}"
    if not _can_make_bridge(bridge):
        pytest.skip("this host does not allow creating a bridge")
    try:
        nics = (
            f"<interface type='bridge'><source bridge='{bridge}'/><model type='virtio'/></interface>"
            "<interface type='ethernet'><model type='e1000'/></interface>"
        )
        ref = h.define_and_start(extra=nics)
        live = h.drv.domain_get_xml_desc(ref)
        taps = re.findall(r"<target dev='(vnet\d+)'/>", live)
        assert len(taps) == 2, live
        master = Path(f"/sys/class/net/{taps[0]}/master").resolve().name
        assert master == bridge
        assert "UP" in subprocess.run(["ip", "link", "show", taps[1]], capture_output=True, text=True).stdout
        # hot-plugged: a third tap on the bridge
        h.drv.domain_attach_device(ref, f"<interface type='bridge'><source bridge='{bridge}'/><model type='virtio'/></interface>", 1)
        taps = re.findall(r"<target dev='(vnet\d+)'/>", h.drv.domain_get_xml_desc(ref))
        assert len(taps) == 3 and Path(f"/sys/class/net/{taps[2]}/master").resolve().name == bridge
        h.drv.domain_destroy(ref)
        for tap in taps:  # QEMU's taps go away with it
            wait_for(lambda tap=tap: not Path(f"/sys/class/net/{tap}").exists(), 5, f"{tap} removal")
        assert "<target dev='vnet" not in h.drv.domain_get_xml_desc(ref, 2), "tap names leaked into the config"
    finally:
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=10)


# -- interoperability with libvirt's save images (differential, against the live oracle) --------


def _virsh_as_nobody(root: Path) -> list[str] | None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("virsh") is None:
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "virsh", "-q", "-c",
            f"qemu:///embed?root={root}/libvirt"]


@pytest.fixture
def shared_root(guest) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A root both pyvirt (root) and libvirt (run as nobody) can use, with a copy of the guest."""
    path = Path(tempfile.mkdtemp(prefix="pvx-", dir="/tmp"))
    os.chmod(path, 0o777)
    shutil.copy(guest.kernel, path / "vmlinux")
    shutil.copy(guest.initrd, path / "initrd")
    yield path
    # whatever libvirt started from this root must not outlive the test
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(path).encode() in (proc / "cmdline").read_bytes():
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
    shutil.rmtree(path, ignore_errors=True)


def _interop_xml(root: Path, guest) -> str:  # type: ignore[no-untyped-def]
    return f"""<domain type='qemu'><name>io</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>{root}/vmlinux</kernel><initrd>{root}/initrd</initrd>
<cmdline>{guest.cmdline}</cmdline></os><features><acpi/></features>
<devices><serial type='file'><source path='{root}/serial.log' append='on'/></serial><memballoon model='none'/></devices></domain>"""


def _serial(root: Path) -> str:
    try:
        return (root / "serial.log").read_text(errors="replace")
    except FileNotFoundError:
        return ""


def test_libvirt_restores_a_pyvirt_save_image_and_back(shared_root: Path, guest) -> None:  # type: ignore[no-untyped-def]
    virsh = _virsh_as_nobody(shared_root)
    if virsh is None:
        pytest.skip("needs root, setpriv and virsh to run libvirt's embedded driver as nobody")
    env = {"HOME": str(shared_root), "XDG_RUNTIME_DIR": str(shared_root), "PATH": "/usr/bin:/bin"}
    xml = _interop_xml(shared_root, guest)
    image = shared_root / "img.save"
    drv = QemuDriver()
    drv.connect_open(parse_uri(f"qemu:///embed?root={shared_root}/pyvirt"))
    pids: list[int] = []
    try:
        # pyvirt saves a booted guest ...
        ref = drv.domain_create(drv.domain_define_xml(xml))
        pids.append(drv.state.domains.by_name("io").driver_data["process"].pid)
        wait_for(lambda: READY_MARKER in _serial(shared_root), BOOT_TIMEOUT, "READY")
        drv.domain_save(ref, str(image))
        os.chmod(image, 0o644)
        os.chmod(shared_root / "serial.log", 0o666)
        mark = len(_serial(shared_root))
        # ... libvirt reads the image's XML, restores it, saves it again in its own format
        out = subprocess.run(virsh + [f"save-image-dumpxml {image}"], capture_output=True, text=True, env=env, timeout=60)
        assert "<name>io</name>" in out.stdout, out.stderr
        lv = subprocess.Popen(virsh, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            lv.stdin.write(f"restore {image}\n")  # type: ignore[union-attr]
            lv.stdin.flush()  # type: ignore[union-attr]
            wait_for(lambda: TICK_PREFIX in _serial(shared_root)[mark:], 30, "the guest ticking under libvirt")
            image.unlink()
            back, err = lv.communicate(f"save io {image}\n", timeout=60)
        finally:
            if lv.poll() is None:
                lv.kill()
        assert image.exists(), err
        assert READY_MARKER not in _serial(shared_root)[mark:], "libvirt booted the guest instead of restoring"
        # ... and pyvirt restores libvirt's image
        mark = len(_serial(shared_root))
        drv.domain_restore(str(image))
        pids.append(drv.state.domains.by_name("io").driver_data["process"].pid)
        assert drv.domain_get_state(ref) == (DomainState.RUNNING, DomainRunningReason.RESTORED)
        wait_for(lambda: TICK_PREFIX in _serial(shared_root)[mark:], 30, "the guest ticking under pyvirt again")
        assert READY_MARKER not in _serial(shared_root)[mark:]
    finally:
        for obj in drv.state.domains.all():
            if obj.is_active():
                drv.domain_destroy(obj.ref())
        drv.connect_close()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_rename_and_metadata_persist(h: Harness) -> None:
    ref = h.drv.domain_define_xml(h.xml())
    h.drv.domain_set_metadata(ref, 0, "a description", None, None, 2)
    h.drv.domain_set_metadata(ref, 2, "<app><v>1</v></app>", "my", "http://example.org/app", 2)
    assert h.drv.domain_get_metadata(ref, 0, None) == "a description"
    new = h.drv.domain_rename(ref, "renamed")
    assert new.name == "renamed" and new.uuid == ref.uuid
    assert not (h.root / "etc" / "qemu" / "g.xml").exists()
    text = (h.root / "etc" / "qemu" / "renamed.xml").read_text()
    assert "<name>renamed</name>" in text and "a description" in text and "http://example.org/app" in text
    h.drv.connect_close()
    h.drv = h.open()
    again = h.drv.domain_lookup_by_name("renamed")
    assert "<v>1</v>" in h.drv.domain_get_metadata(again, 2, "http://example.org/app")
    with pytest.raises(VirtError) as info:
        h.drv.domain_rename(again, "renamed")
    assert info.value.code == ErrorNumber.OPERATION_INVALID


def test_vcpus_in_the_configuration(h: Harness) -> None:
    ref = h.drv.domain_define_xml(h.xml())
    h.drv.domain_set_vcpus_flags(ref, 4, 2 | 4)  # CONFIG | MAXIMUM
    h.drv.domain_set_vcpus_flags(ref, 2, 2)
    assert h.drv.domain_get_vcpus_flags(ref, 2) == 2 and h.drv.domain_get_vcpus_flags(ref, 2 | 4) == 4
    assert "<vcpu placement='static' current='2'>4</vcpu>" in (h.root / "etc" / "qemu" / "g.xml").read_text()
    with pytest.raises(VirtError) as info:
        h.drv.domain_set_vcpus_flags(ref, 8, 2)
    assert info.value.code == ErrorNumber.INVALID_ARG
    ref = h.drv.domain_create(ref)
    h.pids.add(h.pid())
    assert b"-smp\x002,maxcpus=4,sockets=4,cores=1,threads=1" in Path(f"/proc/{h.pid()}/cmdline").read_bytes()
