"""Long operations (save, managed save): a worker thread, virsh's progress line, Ctrl-C abort."""

from __future__ import annotations

import threading

from pyvirt.errors import VirtError

from .control import Control


def run_job(ctl: Control, dom, label: str, verbose: bool, action) -> None:
    """Run a long operation in a worker thread; show progress with ``--verbose``; Ctrl-C aborts.

    Progress is read from the domain's job info when the API offers it; when the operation
    completes it shows 100 % as virsh does.
    """
    result: dict = {}
    done = threading.Event()  # not Thread.join: an interrupted join can lose track of the thread

    def work() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - handed back to the shell thread
            result["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"pyvirsh-{label}", daemon=True)
    worker.start()
    try:
        while not done.wait(0.5):
            if verbose:
                percent = _job_percent(dom)
                if percent is not None:
                    _progress(ctl, label, percent)
    except KeyboardInterrupt:
        abort = getattr(dom, "abort_job", None)
        if callable(abort):
            try:
                abort()
            except VirtError:
                pass
        done.wait()  # the job ends (aborted or finished); its own result is what counts
    ctl.debug_log(0, f"watchJob: job done, status {-1 if 'error' in result else 0}\n")
    if "error" in result:
        raise result["error"]
    if verbose:
        _progress(ctl, label, 100)


def _progress(ctl: Control, label: str, percent: int) -> None:
    """virsh's job progress: a carriage-return line on stderr, no newline."""
    ctl.err.write(f"\r{label}: [{percent:3d} %]")
    ctl.err.flush()


def _job_percent(dom) -> int | None:
    getter = getattr(dom, "job_info", None)
    if not callable(getter):
        return None
    try:
        info = getter()
        total = getattr(info, "data_total", 0)
        remaining = getattr(info, "data_remaining", 0)
    except (VirtError, AttributeError):
        return None
    if not total:
        return None
    if remaining == 0:
        return 100
    return min(int(100.0 - remaining * 100.0 / total), 99)  # never 100 % before the end
