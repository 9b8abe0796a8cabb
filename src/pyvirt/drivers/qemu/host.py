"""Facts about the host and QEMU read from /proc and the emulator binary."""

from __future__ import annotations

import os
import subprocess

from . import command

__all__ = ["cpu_time_ns", "qemu_version"]


def cpu_time_ns(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return 0
    fields = raw[raw.rfind(b")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


_qemu_version: int | None = None


def qemu_version(emulator: str = command.DEFAULT_EMULATOR) -> int:
    """QEMU's version as libvirt reports it (major * 1,000,000 + minor * 1,000 + micro)."""
    global _qemu_version
    if _qemu_version is None:
        try:
            out = subprocess.run([emulator, "--version"], capture_output=True, text=True, timeout=10).stdout
            ver = out.split("version", 1)[1].split()[0]
            parts = [int(p) for p in ver.split("(")[0].split(".")[:3]] + [0, 0]
            _qemu_version = parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]
        except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
            _qemu_version = 0
    return _qemu_version
