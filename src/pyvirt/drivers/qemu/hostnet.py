"""Host-side network set-up for tap devices QEMU opened (libvirt brings them up and bridges them)."""

from __future__ import annotations

import subprocess

from ...errors import ErrorNumber
from .errors import qemu_error

__all__ = ["setup_tap"]


def setup_tap(tap: str, bridge: str | None) -> None:
    """Bring a tap QEMU opened up and, for a bridge interface, attach it (libvirt does both)."""
    steps = ([["ip", "link", "set", "dev", tap, "master", bridge]] if bridge else []) + [["ip", "link", "set", "dev", tap, "up"]]
    for step in steps:
        try:
            out = subprocess.run(step, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise qemu_error(ErrorNumber.SYSTEM_ERROR, f"Unable to set up tap device '{tap}': {exc}") from None
        if out.returncode != 0:
            what = f"add {tap} to bridge {bridge}" if "master" in step else f"set {tap} up"
            raise qemu_error(ErrorNumber.SYSTEM_ERROR, f"Unable to {what}: {out.stderr.strip()}")
