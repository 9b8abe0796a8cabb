"""Start a bare QEMU for tests, and make sure it dies with the test.

``QemuProcess(workdir, extra_args, qmp_sockets=("qmp.sock",))`` is a context manager: it starts
``qemu-system-x86_64`` under TCG with ``-nodefaults -no-user-config``, one ``-qmp`` Unix socket
per name, waits (time-boxed) until the sockets exist, and on exit kills the process (SIGKILL) and
reaps it. ``serial_log`` is the path ``-serial file:`` writes to when ``serial=True``.

Never KVM: /dev/kvm opens here but guests hang without VMX.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

QEMU = os.environ.get("PYVIRT_QEMU", "/usr/bin/qemu-system-x86_64")


def qemu_available() -> bool:
    return shutil.which(QEMU) is not None or Path(QEMU).exists()


class QemuProcess:
    def __init__(self, workdir: Path, extra_args: list[str] | None = None, *,
                 qmp_sockets: tuple[str, ...] = ("qmp.sock",), machine: str = "pc",
                 memory_mb: int = 64, serial: bool = False, start_timeout: float = 20.0) -> None:
        self.workdir = Path(workdir)
        self.sockets = [self.workdir / name for name in qmp_sockets]
        self.serial_log = self.workdir / "serial.log"
        self.argv = [QEMU, "-machine", f"{machine},accel=tcg", "-nodefaults", "-no-user-config",
                     "-m", str(memory_mb), "-display", "none", "-no-reboot"]
        for sock in self.sockets:
            self.argv += ["-qmp", f"unix:{sock},server=on,wait=off"]
        if serial:
            self.argv += ["-serial", f"file:{self.serial_log}"]
        self.argv += list(extra_args or [])
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def qmp_path(self) -> Path:
        return self.sockets[0]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> QemuProcess:
        for sock in self.sockets:
            sock.unlink(missing_ok=True)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.start_timeout
        while not all(s.exists() for s in self.sockets):
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"QEMU exited with {self.proc.returncode}: {err}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("QEMU did not create its QMP socket in time")
            time.sleep(0.01)
        return self

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a D-state QEMU
            pass
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def wait_serial(self, text: str, timeout: float) -> bool:
        """Poll the serial log (every 50 ms) until ``text`` appears; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self.serial_log.read_text(errors="replace"):
                    return True
            except FileNotFoundError:
                pass
            if self.proc is not None and self.proc.poll() is not None:
                return text in self.serial_log.read_text(errors="replace")
            time.sleep(0.05)
        return False

    def __enter__(self) -> QemuProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
