"""Process-exit detection through pidfds, for children and for processes we did not start."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from pyvirt.drivers.qemu.pidfd import ExitWatcher, ProcessHandle, pid_alive

pytestmark = pytest.mark.timeout(60)


def test_child_exit_is_seen_and_status_left_for_popen() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        with ProcessHandle(proc.pid) as handle:
            assert handle.alive and not handle.wait(0.05)
            assert handle.returncode is None
            assert handle.send_signal(signal.SIGKILL)
            assert handle.wait(5)
            assert not handle.alive
            assert handle.returncode == -signal.SIGKILL
            assert proc.wait(5) == -signal.SIGKILL  # not reaped behind Popen's back
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_reap_collects_the_zombie() -> None:
    proc = subprocess.Popen(["sh", "-c", "exit 3"])
    handle = ProcessHandle(proc.pid)
    assert handle.wait(5)
    assert handle.reap() == 3
    assert handle.returncode == 3
    assert not pid_alive(proc.pid)
    assert not handle.send_signal(signal.SIGTERM)
    handle.close()
    proc.returncode = 3  # reaped by us: keep Popen from waiting for it


def test_process_we_did_not_start() -> None:
    out = subprocess.run(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"], capture_output=True,
                         text=True, timeout=10, check=True)
    pid = int(out.stdout)
    with ProcessHandle(pid) as handle:
        assert handle.alive and pid_alive(pid)
        t0 = time.monotonic()
        assert handle.send_signal(signal.SIGKILL)
        assert handle.wait(5)
        assert time.monotonic() - t0 < 2
        assert handle.returncode is None  # not our child: no status, no error


def test_missing_process() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    with pytest.raises(ProcessLookupError):
        ProcessHandle(proc.pid)
    assert not pid_alive(proc.pid)


def test_exit_watcher_calls_back_once_per_process() -> None:
    watcher = ExitWatcher()
    procs = [subprocess.Popen(["sleep", "30"]) for _ in range(3)]
    fired: list[int] = []
    done = threading.Event()

    def on_exit(pid: int) -> None:
        fired.append(pid)
        if len(fired) == 2:
            done.set()

    try:
        handles = [ProcessHandle(p.pid) for p in procs]
        for h in handles:
            watcher.watch(h, on_exit)
        watcher.unwatch(handles[2])
        os.kill(procs[1].pid, signal.SIGKILL)
        time.sleep(0.2)
        os.kill(procs[0].pid, signal.SIGKILL)
        os.kill(procs[2].pid, signal.SIGKILL)  # unwatched: no callback
        assert done.wait(5)
        time.sleep(0.2)
        assert fired == [procs[1].pid, procs[0].pid]
    finally:
        watcher.stop()
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
