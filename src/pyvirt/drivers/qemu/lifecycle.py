"""Starting and stopping QEMU: create, destroy, ACPI shutdown, reboot, reset, suspend, resume."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from lxml import etree

from ...driver.refs import DomainRef
from ...enums import (
    DomainEventResumedDetail,
    DomainEventStartedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from ...errors import ErrorNumber, VirtError
from ...objects.domain import DomainObject
from . import command
from .access import JOB_TIMEOUT, QemuDriverBase
from .definitions import parse_definition
from .errors import check_flags, not_running, qemu_error
from .flags import (
    DESTROY_GRACEFUL,
    DESTROY_REMOVE_LOGS,
    START_AUTODESTROY,
    START_BYPASS_CACHE,
    START_FORCE_BOOT,
    START_PAUSED,
    START_VALIDATE,
)
from .hostnet import setup_tap
from .process import QemuProcess, launch
from .qmpevents import lifecycle_event
from .statefile import remove_file

__all__ = ["LifecycleMixin"]


class LifecycleMixin(QemuDriverBase):
    """The run-state changes of a domain."""

    # ========================================================================================
    # starting

    def domain_create_xml(self, xml: str, flags: int = 0) -> DomainRef:
        check_flags(flags, START_PAUSED | START_AUTODESTROY | START_VALIDATE | START_BYPASS_CACHE,
                    "qemuDomainCreateXML")
        definition = parse_definition(xml, validate=bool(flags & START_VALIDATE))
        obj, existed = self._add(definition, live=True)
        with obj.job("start", timeout=JOB_TIMEOUT):
            if existed:
                if obj.is_active():
                    raise qemu_error(ErrorNumber.OPERATION_INVALID, f"domain '{obj.name}' is already active")
                with obj.lock:
                    if obj.persistent:
                        obj.new_definition = obj.definition
                    obj.definition = definition
            try:
                self._start(obj, paused=bool(flags & START_PAUSED))
            except BaseException:
                if not obj.persistent and not obj.is_active():
                    self.state.domains.remove(obj)
                raise
            return obj.ref()

    def domain_create(self, dom: DomainRef, flags: int = 0) -> DomainRef:
        check_flags(flags, START_PAUSED | START_AUTODESTROY | START_BYPASS_CACHE | START_FORCE_BOOT | START_VALIDATE,
                    "qemuDomainCreateWithFlags")
        with self._job(dom, "start") as obj:
            if obj.is_active():
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "domain is already running")
            image = self.paths.managed_save(obj.name)
            if obj.has_managed_save and image.exists():
                if flags & START_FORCE_BOOT:
                    remove_file(image)
                    with obj.lock:
                        obj.has_managed_save = False
                else:
                    self._restore_into(obj, image, paused=bool(flags & START_PAUSED), managed=True)
                    return obj.ref()
            self._start(obj, paused=bool(flags & START_PAUSED))
            return obj.ref()

    def _start(self, obj: DomainObject, *, paused: bool, incoming: str | None = None,
               reason: int = DomainRunningReason.BOOTED, event_detail: int | None = DomainEventStartedDetail.BOOTED,
               before_cont: Callable[[QemuProcess], None] | None = None) -> QemuProcess:
        """Spawn QEMU for ``obj`` (inside the caller's job) and run it (or leave it paused)."""
        with obj.lock:
            obj.prepare_live_change()
            if obj.new_definition is not None and obj.definition is obj.new_definition:
                obj.definition = obj.new_definition.copy()
            live = obj.definition
        command.prepare_definition(live.element, live=True)
        name = obj.name
        paths = self.paths
        monitor_path = paths.monitor(name)
        paths.check_socket_path(monitor_path)
        box: dict[str, QemuProcess] = {}
        extra = ["-incoming", "defer"] if incoming is not None else []
        try:
            proc = launch(
                live.element,
                name=name,
                monitor_path=monitor_path,
                log_path=paths.log(name),
                run_dir=paths.domain_run_dir(name),
                on_event=self._event_handler(obj, box),
                on_eof=lambda: box["proc"].monitor_eof() if "proc" in box else None,
                extra_args=extra,
            )
        except BaseException:
            with obj.lock:
                obj.finish_stop()
                obj.set_state(DomainState.SHUTOFF, DomainShutoffReason.FAILED)
            raise
        box["proc"] = proc
        with obj.lock:
            obj.id = self.state.domains.allocate_id()
            obj.set_state(DomainState.PAUSED, DomainPausedReason.STARTING_UP)
            obj.driver_data["process"] = proc
            obj.driver_data["stopped"] = threading.Event()
        proc.watch(self.state.watcher, self._exit_handler(obj))
        try:
            with self._own_events(obj):
                self._after_launch(obj, proc)
                if before_cont is not None:
                    before_cont(proc)
                self._save_status(obj)
                if not paused:
                    proc.monitor.execute("cont")  # type: ignore[union-attr]
            with obj.lock:
                if paused:
                    obj.set_state(DomainState.PAUSED, DomainPausedReason.USER)
                else:
                    obj.set_state(DomainState.RUNNING, reason)
            self._save_status(obj)
        except BaseException:
            self._kill(obj, proc, DomainShutoffReason.FAILED, quiet=True)
            raise
        if event_detail is not None:
            self._emit(lifecycle_event(obj, DomainEventType.STARTED, event_detail))
            if paused:
                self._emit(lifecycle_event(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED))
        return proc

    def _after_launch(self, obj: DomainObject, proc: QemuProcess) -> None:
        """Read back what QEMU chose (pty paths) and apply run-time settings (balloon)."""
        mon = proc.monitor
        live = obj.definition
        devices = live.element.find("devices")
        ptys = {}
        try:
            for chardev in mon.execute("query-chardev"):  # type: ignore[union-attr]
                filename = chardev.get("filename", "")
                if filename.startswith("pty:"):
                    ptys[chardev.get("label")] = filename[4:]
        except VirtError:
            pass
        if devices is not None:
            for kind in ("serial", "console", "channel"):
                for chr_el in devices.findall(kind):
                    alias = command.get_alias(chr_el)
                    path = ptys.get(f"char{alias}") if alias else None
                    if path is None and kind == "console" and chr_el.get("type", "pty") == "pty":
                        path = ptys.get("charserial0")
                    if path:
                        chr_el.set("tty", path)
                        src = chr_el.find("source")
                        if src is None:
                            src = etree.Element("source")
                            target = chr_el.find("target")
                            if target is not None:
                                target.addprevious(src)
                            else:
                                chr_el.insert(0, src)
                        src.set("path", path)
        for tap, bridge in command.tap_devices(live.element):
            setup_tap(tap, bridge)
        cur, full = live.current_memory, live.memory
        if cur and full and cur < full and devices is not None and devices.find("memballoon[@model='virtio']") is not None:
            mon.execute("balloon", {"value": cur * 1024})  # type: ignore[union-attr]

    # ========================================================================================
    # stopping

    def _kill(self, obj: DomainObject, proc: QemuProcess, reason: int, *, graceful: bool = False,
              quiet: bool = False) -> bool:
        """Stop QEMU ourselves and wait until the exit has been booked (bounded)."""
        proc.expected_exit = reason
        proc.quiet = quiet
        if not proc.terminate(graceful=graceful):
            proc.expected_exit = None
            return False
        proc.exited.wait(10)
        stopped: threading.Event | None = obj.driver_data.get("stopped")
        if stopped is not None:
            stopped.wait(10)
        return True

    def domain_destroy(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, DESTROY_GRACEFUL | DESTROY_REMOVE_LOGS, "qemuDomainDestroyFlags")
        obj = self._obj(dom)
        # as libvirt does, a forced destroy sends SIGTERM before it waits for the job: a job
        # stuck on an unresponsive monitor then ends with EOF instead of blocking the destroy
        signalled: QemuProcess | None = obj.driver_data.get("process")
        stopped: threading.Event | None = obj.driver_data.get("stopped")
        if signalled is not None and obj.is_active() and not flags & DESTROY_GRACEFUL:
            signalled.expected_exit = DomainShutoffReason.DESTROYED
            signalled.handle.send_signal(signal.SIGTERM)
        else:
            signalled = None
        with self._job(dom, "destroy") as obj:
            proc = obj.driver_data.get("process")
            if proc is None or not obj.is_active():
                if signalled is not None and proc is None:
                    # our SIGTERM already did it: wait until the stop is booked
                    if stopped is not None:
                        stopped.wait(10)
                    return
                raise not_running()
            if not self._kill(obj, proc, DomainShutoffReason.DESTROYED, graceful=bool(flags & DESTROY_GRACEFUL)):
                raise qemu_error(ErrorNumber.OPERATION_FAILED, "failed to kill qemu process with SIGTERM")
            if flags & DESTROY_REMOVE_LOGS:
                remove_file(self.paths.log(obj.name))

    def domain_shutdown(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 1 | 2, "qemuDomainShutdownFlags")
        if flags & 2 and not flags & 1:
            raise qemu_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "QEMU guest agent is not configured")
        with self._job(dom, "shutdown") as obj:
            if obj.state != DomainState.RUNNING:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "domain is not running")
            self._qmp(obj, "system_powerdown")

    def domain_reboot(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 1 | 2, "qemuDomainReboot")
        if flags & 2 and not flags & 1:
            raise qemu_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "QEMU guest agent is not configured")
        with self._job(dom, "reboot") as obj:
            if obj.state != DomainState.RUNNING:
                raise qemu_error(ErrorNumber.OPERATION_INVALID, "domain is not running")
            # libvirt's "fake reboot": the guest powers off by ACPI, QEMU pauses instead of
            # exiting, and the driver resets and resumes it
            self._qmp(obj, "set-action", {"shutdown": "pause"})
            obj.driver_data["fake_reboot"] = True
            try:
                self._qmp(obj, "system_powerdown")
            except VirtError:
                obj.driver_data.pop("fake_reboot", None)
                self._qmp(obj, "set-action", {"shutdown": "poweroff"})
                raise

    def domain_reset(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 0, "qemuDomainReset")
        with self._job(dom, "reset") as obj:
            self._qmp(obj, "system_reset")

    def domain_suspend(self, dom: DomainRef) -> None:
        with self._job(dom, "suspend") as obj:
            self._process(obj)
            if obj.state == DomainState.PAUSED:
                return  # libvirt: suspending a paused domain succeeds
            with self._own_events(obj):
                self._qmp(obj, "stop")
            with obj.lock:
                obj.set_state(DomainState.PAUSED, DomainPausedReason.USER)
            self._save_status(obj)
            self._emit(lifecycle_event(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED))

    def domain_resume(self, dom: DomainRef) -> None:
        with self._job(dom, "resume") as obj:
            self._process(obj)
            if obj.state == DomainState.RUNNING:
                return
            with self._own_events(obj):
                self._qmp(obj, "cont")
            with obj.lock:
                obj.set_state(DomainState.RUNNING, DomainRunningReason.UNPAUSED)
            self._save_status(obj)
            self._emit(lifecycle_event(obj, DomainEventType.RESUMED, DomainEventResumedDetail.UNPAUSED))
