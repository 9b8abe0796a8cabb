"""Driver-wide state per root, shared by every connection of this process to that root.

One libvirt daemon holds one domain list, one event bus and one monitor per running QEMU
(QEMU accepts a single QMP client per socket); in-process, the connections to one root share a
:class:`QemuState` the same way. The last connection to close releases it: monitors close,
QEMUs keep running, and the next open finds them again from the status files written here.
"""

from __future__ import annotations

import os
import threading

from ...enums import DomainState
from ...errors import VirtError
from ...events import EventBus
from ...objects.domain import DomainObject
from ...objects.domainlist import DomainList
from .paths import QemuPaths
from .pidfd import ExitWatcher
from .process import QemuProcess
from .statefile import StatusRecord, write_status

__all__ = [
    "STATE_NAMES", "STATE_BY_NAME", "QemuState", "acquire_state", "release_state",
    "save_status", "save_status_quietly",
]

STATE_NAMES = {
    DomainState.NOSTATE: "nostate",
    DomainState.RUNNING: "running",
    DomainState.BLOCKED: "blocked",
    DomainState.PAUSED: "paused",
    DomainState.SHUTDOWN: "shutdown",
    DomainState.SHUTOFF: "shutoff",
    DomainState.CRASHED: "crashed",
    DomainState.PMSUSPENDED: "pmsuspended",
}
STATE_BY_NAME = {v: k for k, v in STATE_NAMES.items()}


class QemuState:
    """Domains, events and exit watching for one driver root."""

    def __init__(self, paths: QemuPaths) -> None:
        self.paths = paths
        self.domains = DomainList()
        self.events = EventBus(name=f"pyvirt-qemu-events:{paths.run_dir}")
        self.watcher = ExitWatcher(name="pyvirt-qemu-exits")
        self.lock = threading.Lock()  # name/uuid checks when adding
        self.refs = 0
        #: set once the first connection has read the state from disk
        self.loaded = threading.Event()

    def close(self) -> None:
        for obj in self.domains.all():
            proc: QemuProcess | None = obj.driver_data.get("process")
            if proc is not None:
                proc.close()
        self.watcher.stop()
        self.events.close()


_states: dict[str, QemuState] = {}
_states_lock = threading.Lock()


def acquire_state(paths: QemuPaths) -> tuple[QemuState, bool]:
    key = os.fspath(paths.run_dir.resolve() if paths.run_dir.exists() else paths.run_dir)
    with _states_lock:
        state = _states.get(key)
        fresh = state is None
        if state is None:
            state = QemuState(paths)
            _states[key] = state
        state.refs += 1
        return state, fresh


def release_state(state: QemuState) -> None:
    with _states_lock:
        state.refs -= 1
        if state.refs > 0:
            return
        for key, value in list(_states.items()):
            if value is state:
                del _states[key]
    state.close()


def save_status(state: QemuState, obj: DomainObject) -> None:
    proc: QemuProcess | None = obj.driver_data.get("process")
    if proc is None or not obj.is_active():
        return
    with obj.lock:
        record = StatusRecord(
            state=STATE_NAMES[obj.state],
            reason=obj.reason,
            pid=proc.pid,
            monitor=os.fspath(state.paths.monitor(obj.name)),
            domain_xml=obj.definition.to_xml(secure=True, domain_id=obj.id),
            start_time=proc.start_time,
        )
    write_status(state.paths.status(obj.name), record)


def save_status_quietly(state: QemuState, obj: DomainObject) -> None:
    try:
        save_status(state, obj)
    except VirtError:
        pass
