"""The base of every part of ``QemuDriver``: the shared state, domain lookup, jobs, persistence.

Concurrency follows libvirt: every call that changes a domain runs in the domain's job (one at a
time, others wait up to ``JOB_TIMEOUT``); the job body talks to QEMU without holding the object's
mutex, which it takes only for short field updates; lookups, lists, ``info`` and ``xml`` take no
job. The other mixins (lifecycle, save/restore, hot-plug, ...) build on these helpers and call
each other through ``self``: they are parts of one class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ...driver import Driver
from ...driver.refs import DomainRef
from ...errors import ErrorNumber, VirtError, virt_error
from ...objects.domain import DomainObject
from ...uri import URI
from .errors import no_domain, not_running, qemu_error
from .paths import QemuPaths
from .process import QemuProcess
from .qmpevents import process_exited, qemu_event_handler
from .state import QemuState, save_status
from .statefile import atomic_write

__all__ = ["JOB_TIMEOUT", "QemuDriverBase"]

JOB_TIMEOUT = 30.0


class QemuDriverBase(Driver):
    """State, object access, jobs and persistence shared by the QEMU driver's parts."""

    _state: QemuState

    def __init__(self) -> None:
        self._state = None  # type: ignore[assignment]
        self._uri: URI | None = None
        self._flags = 0
        self._callbacks: set[int] = set()

    @property
    def state(self) -> QemuState:
        if self._state is None:
            raise virt_error(ErrorNumber.INVALID_CONN, "connection is closed")
        return self._state

    @property
    def paths(self) -> QemuPaths:
        return self.state.paths

    # ========================================================================================
    # object access and jobs

    def _obj(self, dom: DomainRef) -> DomainObject:
        obj = self.state.domains.by_uuid(dom.uuid)
        if obj is None:
            raise no_domain(dom.uuid, dom.name)
        return obj

    @contextmanager
    def _job(self, dom: DomainRef, name: str) -> Iterator[DomainObject]:
        obj = self._obj(dom)
        with obj.job(name, timeout=JOB_TIMEOUT):
            if self.state.domains.by_uuid(dom.uuid) is not obj:
                raise no_domain(dom.uuid, dom.name)
            yield obj

    def _emit(self, event: object) -> None:
        self.state.events.emit(event)  # type: ignore[arg-type]

    @staticmethod
    def _process(obj: DomainObject) -> QemuProcess:
        proc: QemuProcess | None = obj.driver_data.get("process")
        if proc is None or not obj.is_active():
            raise not_running()
        return proc

    def _monitor(self, obj: DomainObject) -> Any:
        proc = self._process(obj)
        if proc.monitor is None:
            raise qemu_error(ErrorNumber.OPERATION_INVALID, "monitor must not be NULL")
        return proc.monitor

    #: how long one monitor command may take before the call fails (libvirt: 30 s)
    monitor_timeout = 30.0

    def _qmp(self, obj: DomainObject, name: str, arguments: dict[str, Any] | None = None,
             timeout: float | None = None) -> Any:
        return self._monitor(obj).execute(name, arguments, timeout=timeout or self.monitor_timeout)

    @contextmanager
    def _own_events(self, obj: DomainObject) -> Iterator[None]:
        """Run-state changes in this block are booked by the job, not by the event handler."""
        obj.driver_data["own_events"] = obj.driver_data.get("own_events", 0) + 1
        try:
            yield
        finally:
            proc = obj.driver_data.get("process")
            if proc is not None and proc.monitor is not None:
                try:
                    proc.monitor.flush_events(timeout=5)
                except (VirtError, TypeError):
                    pass
            obj.driver_data["own_events"] -= 1

    # ========================================================================================
    # persistence

    def _save_config(self, obj: DomainObject) -> None:
        definition = obj.persistent_definition()
        atomic_write(self.paths.config(obj.name), definition.to_xml(inactive=True, secure=True))

    def _save_status(self, obj: DomainObject) -> None:
        save_status(self.state, obj)

    def _event_handler(self, obj: DomainObject, box: dict[str, QemuProcess]) -> Callable[[str, dict, float | None], None]:
        return qemu_event_handler(self.state, obj, box)

    def _exit_handler(self, obj: DomainObject) -> Callable[[QemuProcess], None]:
        state = self.state
        return lambda proc: process_exited(state, obj, proc)
