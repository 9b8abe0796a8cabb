"""One QEMU process: spawn it, reach its monitor, stop it, notice when it is gone.

Why this shape: the driver needs three things from a running QEMU -- its monitor, a way to stop
it, and an immediate, reliable signal when it exits (killed from outside, crashed, powered off
by the guest). The monitor's EOF and a pidfd both give that signal at once; whichever fires
first calls ``on_exit`` (exactly once per process).

Start-up avoids polling: the driver binds and listens on the monitor socket itself and hands
the listening descriptor to QEMU (``-chardev socket,fd=N``), so the connection made right after
the spawn is already queued when QEMU enters its main loop. If QEMU dies during start-up, its
own error message is read back from the log file and reported as libvirt does ("qemu
unexpectedly closed the monitor: ...").
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from .command import CommandContext, build_command, format_argv
from .monitor import Monitor
from .pidfd import ExitWatcher, ProcessHandle
from .statefile import process_start_time

__all__ = ["QemuProcess", "launch", "attach", "MONITOR_TIMEOUT"]

#: how long a start waits for QEMU's greeting (TCG start-up on a loaded host is slow)
MONITOR_TIMEOUT = 30.0
#: libvirt's virProcessKillPainfully: SIGTERM, then this long before SIGKILL
TERM_GRACE = 10.0


def _qemu_error(code: int, detail: str) -> VirtError:
    return virt_error(code, detail, domain=ErrorDomain.QEMU)


class QemuProcess:
    """A running (or just exited) QEMU and its monitor."""

    def __init__(self, name: str, pid: int, handle: ProcessHandle, *, popen: subprocess.Popen[bytes] | None,
                 log_path: Path, start_time: int | None) -> None:
        self.name = name
        self.pid = pid
        self.handle = handle
        self.popen = popen
        self.log_path = log_path
        self.start_time = start_time
        self.monitor: Monitor | None = None
        #: where this run's output starts in the log file
        self.log_offset = 0
        #: set by the driver before it stops QEMU itself: the shutoff reason to record
        self.expected_exit: int | None = None
        #: a stop the driver does not announce (a start that failed half-way)
        self.quiet = False
        #: the guest panicked and its on_crash action stopped QEMU
        self.panicked = False
        #: QMP SHUTDOWN seen: (guest initiated?, QEMU's reason string)
        self.shutdown_event: tuple[bool, str] | None = None
        self.exited = threading.Event()
        self._exit_lock = threading.Lock()
        self._exit_handled = False
        self._on_exit: Callable[[QemuProcess], None] | None = None
        self._watcher: ExitWatcher | None = None

    # -- exit detection ------------------------------------------------------------------------

    def watch(self, watcher: ExitWatcher, on_exit: Callable[[QemuProcess], None]) -> None:
        """Call ``on_exit(self)`` once, as soon as the process or its monitor goes away."""
        self._on_exit = on_exit
        self._watcher = watcher
        watcher.watch(self.handle, lambda _pid: self._gone("pidfd"))
        if not self.handle.alive:  # exited before the watch was in place
            self._gone("pidfd")

    def monitor_eof(self) -> None:
        """The monitor's on_eof: QEMU closed its end (it is exiting, or exited)."""
        # give the pidfd a moment so the exit status is known, but never wait long
        self.handle.wait(1.0)
        self._gone("eof")

    def _gone(self, _source: str) -> None:
        with self._exit_lock:
            if self._exit_handled:
                return
            self._exit_handled = True
        self.reap()
        self.exited.set()
        callback = self._on_exit
        if callback is not None:
            callback(self)

    def reap(self) -> int | None:
        """Collect the exit status if QEMU is our child (no zombie left behind)."""
        if self.popen is not None:
            return self.popen.poll()
        try:
            return self.handle.returncode
        except (OSError, ValueError):
            return None

    @property
    def alive(self) -> bool:
        try:
            return self.handle.alive
        except ValueError:
            return False

    # -- stopping --------------------------------------------------------------------------------

    def terminate(self, *, graceful: bool = False, grace: float = TERM_GRACE) -> bool:
        """SIGTERM, wait up to ``grace`` seconds, then (unless ``graceful``) SIGKILL.

        Returns True once the process is gone; False only for a graceful stop that QEMU ignored.
        """
        if not self.alive:
            return True
        self.handle.send_signal(signal.SIGTERM)
        if self.handle.wait(grace):
            return True
        if graceful:
            return False
        self.handle.send_signal(signal.SIGKILL)
        if not self.handle.wait(5.0):
            raise _qemu_error(
                ErrorNumber.SYSTEM_ERROR, f"Failed to terminate process {self.pid} with SIGKILL"
            )
        return True

    def close(self) -> None:
        """Drop our side (monitor, pidfd watch) without stopping QEMU (driver shutdown)."""
        with self._exit_lock:
            self._exit_handled = True  # no callbacks after close
        if self.monitor is not None:
            self.monitor.close()
        if self._watcher is not None:
            try:
                self._watcher.unwatch(self.handle)
            except (ValueError, OSError):
                pass

    def release(self) -> None:
        """After exit: close the monitor and the pidfd."""
        if self.monitor is not None:
            self.monitor.close()
        if self._watcher is not None:
            try:
                self._watcher.unwatch(self.handle)
            except (ValueError, OSError):
                pass
        self.handle.close()

    def log_tail(self, limit: int = 4096) -> str:
        """What QEMU printed since it started (its own error message after a failed start)."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(self.log_offset, size - limit))
                data = fh.read().decode(errors="replace")
        except OSError:
            return ""
        return data.strip()


def _bind_monitor(path: Path) -> socket.socket:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(os.fspath(path))
        os.chmod(path, 0o600)
        sock.listen(1)
    except OSError as exc:
        sock.close()
        raise _qemu_error(ErrorNumber.SYSTEM_ERROR, f"Failed to bind socket to '{path}': {exc.strerror}") from None
    return sock


def launch(
    root: etree._Element,
    *,
    name: str,
    monitor_path: Path,
    log_path: Path,
    run_dir: Path,
    on_event: Callable[[str, dict, float | None], None],
    on_eof: Callable[[], None],
    kvm: bool | None = None,
    extra_args: list[str] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> QemuProcess:
    """Start QEMU paused (``-S``) for a prepared definition and connect its monitor.

    ``extra_args`` lets save/restore add ``-incoming``. The caller resumes the guest (``cont``)
    when its own set-up is done.
    """
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    listener = _bind_monitor(monitor_path)
    try:
        ctx = CommandContext(monitor_path=os.fspath(monitor_path), monitor_fd=listener.fileno(),
                             run_dir=os.fspath(run_dir), kvm=kvm)
        cmd = build_command(root, ctx)
        argv = cmd.argv + list(extra_args or ())
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            os.write(log_fd, f"\n==== {stamp} starting {name}\n{format_argv(argv)}\n".encode())
            log_offset = os.lseek(log_fd, 0, os.SEEK_END)
            try:
                popen = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fd,
                    stderr=log_fd,
                    pass_fds=(listener.fileno(), *cmd.pass_fds, *pass_fds),
                    start_new_session=True,  # survives the managing process and its terminal
                    env=_qemu_env(),
                )
            except OSError as exc:
                raise _qemu_error(
                    ErrorNumber.SYSTEM_ERROR, f"Cannot find QEMU binary {argv[0]}: {exc.strerror}"
                ) from None
        finally:
            os.close(log_fd)
    finally:
        listener.close()  # QEMU holds its own copy; the path stays bound

    handle = ProcessHandle(popen.pid)
    proc = QemuProcess(name, popen.pid, handle, popen=popen, log_path=log_path,
                       start_time=process_start_time(popen.pid))
    proc.log_offset = log_offset
    try:
        proc.monitor = Monitor.connect(monitor_path, on_event=on_event, on_eof=on_eof,
                                       timeout=MONITOR_TIMEOUT, name=name)
    except VirtError as exc:
        # QEMU died during the handshake (the monitor reports EOF, EPIPE and ECONNRESET alike)
        _kill_quietly(proc)
        try:
            monitor_path.unlink()
        except FileNotFoundError:
            pass
        tail = proc.log_tail()
        if not tail:
            raise exc.with_traceback(None) from None  # the monitor's own error says it all
        raise _qemu_error(ErrorNumber.INTERNAL_ERROR, f"qemu unexpectedly closed the monitor: {tail}") from None
    return proc


def attach(
    name: str,
    pid: int,
    start_time: int | None,
    *,
    monitor_path: Path,
    log_path: Path,
    on_event: Callable[[str, dict, float | None], None],
    on_eof: Callable[[], None],
    timeout: float = 5.0,
) -> QemuProcess | None:
    """Find a QEMU left running by an earlier driver; None when it is gone (or the pid was reused).

    Raises VirtError when the process lives but its monitor cannot be reached.
    """
    if pid <= 0:
        return None
    if start_time is not None and process_start_time(pid) != start_time:
        return None
    try:
        handle = ProcessHandle(pid)
    except ProcessLookupError:
        return None
    if not handle.alive:
        try:
            os.waitpid(pid, os.WNOHANG)  # our own zombie from an earlier instance
        except ChildProcessError:
            pass
        handle.close()
        return None
    proc = QemuProcess(name, pid, handle, popen=None, log_path=log_path, start_time=start_time)
    proc.monitor = Monitor.connect(monitor_path, on_event=on_event, on_eof=on_eof, timeout=timeout, name=name)
    return proc


def _kill_quietly(proc: QemuProcess) -> None:
    try:
        proc.handle.send_signal(signal.SIGKILL)
        proc.handle.wait(5.0)
    except (OSError, ValueError):
        pass
    proc.reap()
    proc.handle.close()


def _qemu_env() -> dict[str, Any]:
    """A small, predictable environment (libvirt clears QEMU's environment too)."""
    env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for key in ("HOME", "USER", "LOGNAME", "TMPDIR", "XDG_RUNTIME_DIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env
