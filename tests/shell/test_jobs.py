"""Long operations: progress lines and Ctrl-C handling of pyvirsh's job runner."""

from __future__ import annotations

import _thread
import io
import threading
import time
from types import SimpleNamespace

import pytest

from pyvirt.errors import ErrorNumber, virt_error
from pyvirt.shell import catalog
from pyvirt.shell.control import Control
from pyvirt.shell.jobs import run_job


class SlowDomain:
    """Stands in for a Domain whose save takes a while and can be aborted."""

    def __init__(self) -> None:
        self.aborted = threading.Event()
        self.total = 1000
        self.remaining = 1000

    def job_info(self):
        return SimpleNamespace(data_total=self.total, data_remaining=self.remaining)

    def abort_job(self) -> None:
        self.aborted.set()

    def save(self) -> None:
        for _ in range(100):
            if self.aborted.wait(0.05):
                raise virt_error(ErrorNumber.OPERATION_ABORTED, "save job: canceled by client")
            self.remaining = max(0, self.remaining - 60)
            if self.remaining == 0:
                return


def _ctl() -> Control:
    return Control(catalog.load(), out=io.StringIO(), err=io.StringIO())


def test_progress_goes_to_stderr_and_ends_at_100() -> None:
    ctl, dom = _ctl(), SlowDomain()
    run_job(ctl, dom, "Save", True, dom.save)
    err = ctl.err.getvalue()
    assert err.endswith("\rSave: [100 %]")
    assert "\rSave: [" in err.split("\rSave: [100 %]")[0]  # intermediate progress was shown
    assert ctl.out.getvalue() == ""


def test_ctrl_c_aborts_the_job_and_reports_its_error() -> None:
    ctl, dom = _ctl(), SlowDomain()
    threading.Timer(0.3, _thread.interrupt_main).start()
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        run_job(ctl, dom, "Save", False, dom.save)
    assert dom.aborted.is_set()
    assert getattr(info.value, "code", None) == ErrorNumber.OPERATION_ABORTED
    assert time.monotonic() - started < 3


def test_quiet_job_prints_nothing() -> None:
    ctl, dom = _ctl(), SlowDomain()
    dom.total = 0  # a driver that reports no progress
    run_job(ctl, dom, "Save", False, dom.save)
    assert ctl.err.getvalue() == "" and ctl.out.getvalue() == ""
