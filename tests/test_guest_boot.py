"""The test guest: built from the host's Debian packages, booted once under TCG by PVH.

Proves what the QEMU driver's tests rely on: the marker appears once acpid listens, the counter
ticks, and ``system_powerdown`` through pyvirt's monitor makes the guest power off and QEMU exit
within seconds (noticed through a pidfd and the monitor's EOF).
"""

from __future__ import annotations

import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from guest.build import (
    POWEROFF_MARKER,
    READY_MARKER,
    TICK_PREFIX,
    CpioWriter,
    GuestBuildError,
    GuestImage,
    ensure_guest,
    extract_vmlinux,
    has_pvh_note,
)
from guest.qemu import QemuProcess, qemu_available

from pyvirt.drivers.qemu.monitor import Monitor
from pyvirt.drivers.qemu.pidfd import ProcessHandle


@pytest.fixture(scope="module")
def guest() -> GuestImage:
    try:
        return ensure_guest()
    except GuestBuildError as exc:
        pytest.skip(f"cannot build the test guest: {exc}")


def read_cpio(blob: bytes) -> dict[str, tuple[int, bytes]]:
    """A minimal newc reader, independent of the writer: name -> (mode, data)."""
    out: dict[str, tuple[int, bytes]] = {}
    pos = 0
    while True:
        assert blob[pos:pos + 6] == b"070701", pos
        fields = [int(blob[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name = blob[pos + 110:pos + 110 + namesize - 1].decode()
        pos = (pos + 110 + namesize + 3) & ~3
        data = blob[pos:pos + size]
        pos = (pos + size + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, data)


def test_cpio_writer_round_trips() -> None:
    w = CpioWriter()
    w.directory("bin")
    w.file("bin/tool", b"abc", 0o755)
    w.symlink("bin/sh", "tool")
    w.chardev("console", 5, 1)
    blob = w.finish()
    assert len(blob) % 512 == 0
    entries = read_cpio(blob)
    assert stat.S_ISDIR(entries["bin"][0])
    assert entries["bin/tool"] == (stat.S_IFREG | 0o755, b"abc")
    assert entries["bin/sh"] == (stat.S_IFLNK | 0o777, b"tool")
    assert stat.S_ISCHR(entries["console"][0])


def test_initramfs_contents(guest: GuestImage) -> None:
    entries = read_cpio(guest.initrd.read_bytes())
    init = entries["init"][1].decode()
    assert entries["init"][0] & 0o111
    assert READY_MARKER in init and TICK_PREFIX in init
    assert entries["bin/busybox"][1][:4] == b"\x7fELF"
    modules = [n for n in entries if n.startswith("lib/modules/")]
    for mod in modules:  # decompressed: busybox insmod wants a plain ELF
        assert entries[mod][1][:4] == b"\x7fELF", mod
    assert "poweroff -f" in entries["etc/acpi/PWRF/00000080"][1].decode()


def test_kernel_is_an_elf_with_a_pvh_note(guest: GuestImage) -> None:
    head = guest.kernel.read_bytes()
    assert has_pvh_note(head)
    assert not has_pvh_note(b"\x7fELF" + b"\0" * 100)
    with pytest.raises(GuestBuildError):
        extract_vmlinux(b"MZ" + b"\0" * 4096)


def test_ensure_guest_reuses_the_cache(guest: GuestImage) -> None:
    mtime = guest.kernel.stat().st_mtime_ns
    again = ensure_guest()
    assert again == guest and again.kernel.stat().st_mtime_ns == mtime


def test_cache_location_follows_the_environment(guest: GuestImage, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYVIRT_GUEST_CACHE", str(tmp_path / "cache"))
    image = ensure_guest()
    assert image.kernel.parent.parent == tmp_path / "cache"
    # keyed by kernel release and package version; same bytes as the shared cache
    assert image.kernel.parent.name.startswith(guest.kernel.parent.name.split("_")[0])
    assert image.kernel.parent.name == guest.kernel.parent.name
    assert image.initrd.read_bytes() == guest.initrd.read_bytes()
    assert image.kernel.stat().st_size == guest.kernel.stat().st_size


@pytest.fixture
def booted(guest: GuestImage, tmp_path: Path) -> Iterator[QemuProcess]:
    if not qemu_available():
        pytest.skip("qemu-system-x86_64 is not installed")
    args = ["-kernel", str(guest.kernel), "-initrd", str(guest.initrd), "-append", guest.cmdline]
    with QemuProcess(tmp_path, args, machine="q35", memory_mb=256, serial=True) as proc:
        yield proc


@pytest.mark.timeout(180)
def test_boot_marker_ticks_and_acpi_powerdown(booted: QemuProcess) -> None:
    t0 = time.monotonic()
    assert booted.wait_serial(READY_MARKER, 90), booted.serial_log.read_text(errors="replace")
    boot_s = time.monotonic() - t0
    assert booted.wait_serial(f"{TICK_PREFIX} 2\n", 15)
    log = booted.serial_log.read_text()
    ticks = [int(n) for n in re.findall(rf"^{TICK_PREFIX} (\d+)\r?$", log, re.M)]
    assert ticks[:2] == [1, 2] and ticks == list(range(1, len(ticks) + 1))
    assert log.index(READY_MARKER) < log.index(f"{TICK_PREFIX} 1")

    events: list[str] = []
    eof = threading.Event()
    handle = ProcessHandle(booted.pid)
    mon = Monitor.connect(booted.qmp_path, on_event=lambda n, d, t: events.append(n),
                          on_eof=eof.set, timeout=10, name="guest")
    try:
        assert mon.execute("query-status")["status"] == "running"
        t1 = time.monotonic()
        mon.execute("system_powerdown")
        assert handle.wait(10), "QEMU did not exit after the ACPI power button"
        powerdown_s = time.monotonic() - t1
        assert eof.wait(5)
        assert handle.returncode == 0
    finally:
        mon.close()
        handle.close()
    assert POWEROFF_MARKER in booted.serial_log.read_text()
    assert events[:1] == ["POWERDOWN"] and "SHUTDOWN" in events
    assert powerdown_s < 5
    print(f"\nguest ready after {boot_s:.2f} s; exited {powerdown_s:.3f} s after system_powerdown")
