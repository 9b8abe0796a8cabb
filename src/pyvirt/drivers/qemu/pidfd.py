"""Process-exit detection with pidfds (Linux 5.3+, Python 3.9+).

Why: the driver must notice a QEMU exit at once, including a QEMU it did not start (found again
after a restart of the managing process) and one whose zombie is reaped late by init. A pidfd
becomes readable the moment the process exits, refers to exactly that process (no pid reuse
race), and can be signalled safely.

API (relied on by the QEMU driver):

``ProcessHandle(pid)``        open a pidfd; ``ProcessLookupError`` if the process is gone.
``handle.fileno()``           the pidfd, for your own select/poll loop.
``handle.wait(timeout)``      True once the process has exited (False on timeout).
``handle.alive``              non-blocking check.
``handle.send_signal(sig)``   signal through the pidfd; False if it already exited.
``handle.returncode``         exit status (as ``subprocess`` does: -signal) if the process is our
                              child and has exited, without reaping it; else None.
``handle.reap()``             the same, reaping the zombie.
``handle.close()``
``ExitWatcher()``             one thread watching many pidfds: ``watch(handle, callback)`` calls
                              ``callback(pid)`` once, from the watcher thread, when it exits.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from collections.abc import Callable

__all__ = ["ProcessHandle", "ExitWatcher", "pid_alive"]


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (a zombie has exited already)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


class ProcessHandle:
    """A pidfd for one process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._fd: int | None = None
        self._returncode: int | None = None
        self._fd = os.pidfd_open(pid)

    def fileno(self) -> int:
        if self._fd is None:
            raise ValueError("process handle is closed")
        return self._fd

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the process exits or ``timeout`` seconds pass; True if it exited."""
        poller = select.poll()
        poller.register(self.fileno(), select.POLLIN)
        ms = None if timeout is None else max(0, int(timeout * 1000))
        return bool(poller.poll(ms))

    @property
    def alive(self) -> bool:
        return not self.wait(0)

    def send_signal(self, sig: int) -> bool:
        """Send ``sig``; False if the process had already exited."""
        try:
            signal.pidfd_send_signal(self.fileno(), sig)
            return True
        except ProcessLookupError:
            return False

    @property
    def returncode(self) -> int | None:
        """Exit status of an exited child (-N for signal N), without reaping it (WNOWAIT), so a
        ``subprocess.Popen`` owning the child still gets it; None when unknown or running."""
        return self._status(os.WNOWAIT)

    def reap(self) -> int | None:
        """Like ``returncode`` but reaps the zombie (for children no Popen will wait for)."""
        return self._status(0)

    def _status(self, extra: int) -> int | None:
        if self._returncode is not None or self._fd is None:
            return self._returncode
        try:
            info = os.waitid(os.P_PIDFD, self._fd, os.WEXITED | os.WNOHANG | extra)
        except ChildProcessError:  # not our child (or already reaped): its parent knows
            return None
        if info is None:
            return None
        code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
        if not extra:
            self._returncode = code
        return code

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ProcessHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class ExitWatcher:
    """Calls a callback when a watched process exits; one thread for any number of processes."""

    def __init__(self, name: str = "pidfd-watcher") -> None:
        self._poller = select.epoll()
        self._lock = threading.Lock()
        self._watched: dict[int, tuple[ProcessHandle, Callable[[int], None]]] = {}
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._poller.register(self._wake_r, select.EPOLLIN)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def watch(self, handle: ProcessHandle, callback: Callable[[int], None]) -> None:
        with self._lock:
            fd = handle.fileno()
            self._watched[fd] = (handle, callback)
            self._poller.register(fd, select.EPOLLIN)

    def unwatch(self, handle: ProcessHandle) -> None:
        with self._lock:
            fd = handle.fileno()
            if self._watched.pop(fd, None) is not None:
                self._poller.unregister(fd)

    def _run(self) -> None:
        while not self._stopped:
            try:
                ready = self._poller.poll()
            except InterruptedError:
                continue
            fired = []
            with self._lock:
                for fd, _mask in ready:
                    if fd == self._wake_r:
                        try:
                            os.read(self._wake_r, 64)
                        except BlockingIOError:
                            pass
                        continue
                    entry = self._watched.pop(fd, None)
                    if entry is not None:
                        self._poller.unregister(fd)
                        fired.append(entry)
            for handle, callback in fired:
                try:
                    callback(handle.pid)
                except Exception:  # noqa: BLE001 - one bad callback must not stop watching
                    pass

    def stop(self) -> None:
        self._stopped = True
        os.write(self._wake_w, b"x")
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        self._poller.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
