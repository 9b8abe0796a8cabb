"""QEMU's events and its exit, booked on the monitor and pidfd threads.

STOP, RESUME, SHUTDOWN, RESET, GUEST_PANICKED and DEVICE_DELETED update the domain at once; the
process exit (monitor EOF or pidfd) books the stop with the reason the circumstances give. A job
that causes such an event itself marks the domain (``own_events``) so the handler leaves the
bookkeeping to the job. These handlers use the shared :class:`~.state.QemuState`, never a
connection, because they outlive the connection that started the guest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ...enums import (
    DomainEventResumedDetail,
    DomainEventShutdownDetail,
    DomainEventStoppedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutdownReason,
    DomainShutoffReason,
    DomainState,
)
from ...errors import VirtError
from ...events import DomainLifecycleEvent, DomainRebootEvent
from ...objects.domain import DomainObject
from .devices import release_backend
from .process import QemuProcess
from .state import QemuState, save_status_quietly
from .statefile import remove_file

__all__ = [
    "lifecycle_event", "qemu_event_handler", "process_exited", "finish_fake_reboot",
    "device_gone_late",
]


def lifecycle_event(obj: DomainObject, event: int, detail: int) -> DomainLifecycleEvent:
    return DomainLifecycleEvent(obj.ref(), DomainEventType(event), int(detail))


def qemu_event_handler(state: QemuState, obj: DomainObject, box: dict[str, QemuProcess]) -> Callable[[str, dict, float | None], None]:
    def emit(event: object) -> None:
        state.events.emit(event)  # type: ignore[arg-type]

    def handle(name: str, data: dict, _ts: float | None) -> None:
        proc = box.get("proc")
        if name == "SHUTDOWN":
            guest = bool(data.get("guest"))
            if proc is not None:
                proc.shutdown_event = (guest, str(data.get("reason", "")))
                if proc.expected_exit is not None:
                    return  # we are stopping QEMU ourselves (destroy, save): no guest shutdown
            if obj.driver_data.get("fake_reboot") and proc is not None:
                threading.Thread(target=finish_fake_reboot, args=(obj, proc), daemon=True).start()
                return
            with obj.lock:
                if obj.is_active():
                    obj.set_state(DomainState.SHUTDOWN, DomainShutdownReason.USER)
            detail = DomainEventShutdownDetail.GUEST if guest else DomainEventShutdownDetail.HOST
            emit(lifecycle_event(obj, DomainEventType.SHUTDOWN, detail))
        elif name == "STOP":
            if obj.driver_data.get("own_events") or obj.driver_data.get("fake_reboot"):
                return
            with obj.lock:
                if obj.state != DomainState.RUNNING:
                    return
                obj.set_state(DomainState.PAUSED, DomainPausedReason.UNKNOWN)
            emit(lifecycle_event(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED))
            save_status_quietly(state, obj)
        elif name == "RESUME":
            if obj.driver_data.get("own_events") or obj.driver_data.get("fake_reboot"):
                return
            with obj.lock:
                if obj.state != DomainState.PAUSED:
                    return
                obj.set_state(DomainState.RUNNING, DomainRunningReason.UNPAUSED)
            emit(lifecycle_event(obj, DomainEventType.RESUMED, DomainEventResumedDetail.UNPAUSED))
            save_status_quietly(state, obj)
        elif name == "GUEST_PANICKED":
            emit(lifecycle_event(obj, DomainEventType.CRASHED, 0))  # detail PANICKED
            action = (obj.definition.on_crash or "destroy").strip()
            if proc is not None and action in ("destroy", "coredump-destroy"):
                proc.expected_exit = DomainShutoffReason.CRASHED
                proc.panicked = True
                threading.Thread(target=proc.terminate, daemon=True).start()
            else:
                with obj.lock:
                    obj.set_state(DomainState.CRASHED, 1)  # VIR_DOMAIN_CRASHED_PANICKED
        elif name == "RESET":
            emit(DomainRebootEvent(obj.ref()))
        elif name == "DEVICE_DELETED":
            alias = data.get("device")
            if alias:
                waiter = obj.driver_data.get("unplug", {}).get(alias)
                if waiter is not None:
                    waiter.set()
                else:
                    device_gone_late(state, obj, alias)
    return handle


def process_exited(state: QemuState, obj: DomainObject, proc: QemuProcess) -> None:
    """QEMU is gone: book the stop, with the reason the circumstances give, and tell everyone."""
    with obj.lock:
        if obj.driver_data.get("process") is not proc:
            return
        expected = proc.expected_exit
        if expected is not None:
            reason = expected
        elif proc.shutdown_event is not None:
            reason = DomainShutoffReason.SHUTDOWN
        else:
            reason = DomainShutoffReason.CRASHED
        obj.driver_data.pop("process", None)
        obj.driver_data.pop("fake_reboot", None)
    detail = {
        DomainShutoffReason.SHUTDOWN: DomainEventStoppedDetail.SHUTDOWN,
        DomainShutoffReason.DESTROYED: DomainEventStoppedDetail.DESTROYED,
        DomainShutoffReason.SAVED: DomainEventStoppedDetail.SAVED,
        DomainShutoffReason.FROM_SNAPSHOT: DomainEventStoppedDetail.FROM_SNAPSHOT,
        DomainShutoffReason.CRASHED: DomainEventStoppedDetail.FAILED,
        DomainShutoffReason.FAILED: DomainEventStoppedDetail.FAILED,
    }.get(reason, DomainEventStoppedDetail.FAILED)
    if proc.panicked:
        detail = DomainEventStoppedDetail.CRASHED
    event = lifecycle_event(obj, DomainEventType.STOPPED, detail)  # with the id it had
    proc.release()
    with obj.lock:
        obj.finish_stop()
        obj.set_state(DomainState.SHUTOFF, reason)
    name = obj.name
    remove_file(state.paths.status(name))
    remove_file(state.paths.monitor(name))
    if not obj.persistent:
        state.domains.remove(obj)
    if not proc.quiet:
        state.events.emit(event)
    cleaned: threading.Event | None = obj.driver_data.get("stopped")
    if cleaned is not None:
        cleaned.set()


def finish_fake_reboot(obj: DomainObject, proc: QemuProcess) -> None:
    """The guest powered off for a reboot and QEMU paused: reset it and let it run again."""
    mon = proc.monitor
    try:
        mon.execute("system_reset")  # type: ignore[union-attr]
        mon.execute("set-action", {"shutdown": "poweroff"})  # type: ignore[union-attr]
        mon.execute("cont")  # type: ignore[union-attr]
        proc.shutdown_event = None
    except VirtError:
        return
    finally:
        obj.driver_data.pop("fake_reboot", None)
    with obj.lock:
        obj.set_state(DomainState.RUNNING, DomainRunningReason.BOOTED)


def device_gone_late(state: QemuState, obj: DomainObject, alias: str) -> None:
    """DEVICE_DELETED after detach gave up waiting: release the back end now."""
    pending = obj.driver_data.get("unplug_pending", {})
    device = pending.pop(alias, None)
    if device is not None:
        def release() -> None:
            release_backend(obj, device)
            save_status_quietly(state, obj)

        threading.Thread(target=release, daemon=True).start()
