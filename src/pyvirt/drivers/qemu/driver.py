"""``QemuDriver``: domains as real QEMU processes, kept in step over QMP and on disk.

State lives per driver root (``qemu:///embed?root=DIR``, session or system) in a
:class:`QemuState` that every connection of this process to the same root shares, as one
libvirt daemon would: one domain list, one event bus, one monitor per running QEMU (QEMU takes
a single QMP client per socket). The last connection to close releases the state: monitors are
closed, QEMUs keep running, and the next open finds them again from the status files.

Concurrency follows libvirt: every call that changes a domain runs in the domain's job (one at a
time, others wait up to 30 s); the job body talks to QEMU without holding the object's mutex,
which it takes only for short field updates; lookups, lists, ``info`` and ``xml`` take no job.
QEMU's own events (STOP, RESUME, SHUTDOWN, RESET, DEVICE_DELETED) and its exit (monitor EOF or
pidfd) update the domain at once from the monitor's dispatcher thread; a job that causes such
an event itself marks the domain so the handler leaves the bookkeeping to the job.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lxml import etree

from ..._core import xmlcore
from ...conf import DomainDef
from ...driver import Driver
from ...driver.domain import DomainInfo
from ...driver.refs import DomainRef
from ...enums import ConnectListAllDomainsFlags as LF
from ...enums import (
    DomainEventDefinedDetail,
    DomainEventID,
    DomainEventResumedDetail,
    DomainEventShutdownDetail,
    DomainEventStartedDetail,
    DomainEventStoppedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainEventUndefinedDetail,
    DomainJobType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutdownReason,
    DomainShutoffReason,
    DomainState,
)
from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ...events import DomainLifecycleEvent, DomainRebootEvent, EventBus
from ...objects.domain import DomainObject
from ...objects.domainlist import DomainList
from ...uri import URI
from . import command
from .paths import QemuPaths, paths_for_uri
from .pidfd import ExitWatcher
from .process import QemuProcess, attach, launch
from .statefile import StatusRecord, atomic_write, read_status, remove_file, write_status

__all__ = ["QemuDriver", "QemuState"]

JOB_TIMEOUT = 30.0
#: how long detach waits for the guest to release a device (libvirt: 5 s, then "pending")
UNPLUG_TIMEOUT = 5.0
#: how long save/restore/snapshot jobs may run before they are called stuck
MIGRATION_TIMEOUT = 600.0

_AFFECT_LIVE = 1
_AFFECT_CONFIG = 2
_MEM_MAXIMUM = 4
_XML_SECURE = 1
_XML_INACTIVE = 2
_START_PAUSED = 1
_START_AUTODESTROY = 2
_START_BYPASS_CACHE = 4
_START_FORCE_BOOT = 8
_START_VALIDATE = 16
_DEFINE_VALIDATE = 1
_DESTROY_GRACEFUL = 1
_DESTROY_REMOVE_LOGS = 2
_UNDEFINE_MANAGED_SAVE = 1
_UNDEFINE_SNAPSHOTS_METADATA = 2
_UNDEFINE_KEEP_NVRAM = 8
_SAVE_BYPASS_CACHE = 1
_SAVE_RUNNING = 2
_SAVE_PAUSED = 4
_QEMU_MONITOR_COMMAND_HMP = 1

#: libvirt's QEMU save image header (qemu_saveimage.h), so images move between the two:
#: magic, version, data_len, was_running, compressed, cookieOffset, 14 unused words, native order
SAVE_MAGIC = b"LibvirtQemudSave"
SAVE_PARTIAL = b"LibvirtQemudPart"  # written first, replaced once the stream is complete
SAVE_VERSION = 2
_SAVE_HEADER = struct.Struct("=16sIIIII14I")
_SAVE_ALIGN = 4096

_STATE_NAMES = {
    DomainState.NOSTATE: "nostate",
    DomainState.RUNNING: "running",
    DomainState.BLOCKED: "blocked",
    DomainState.PAUSED: "paused",
    DomainState.SHUTDOWN: "shutdown",
    DomainState.SHUTOFF: "shutoff",
    DomainState.CRASHED: "crashed",
    DomainState.PMSUSPENDED: "pmsuspended",
}
_STATE_BY_NAME = {v: k for k, v in _STATE_NAMES.items()}


def _err(code: int, detail: str | None = None) -> VirtError:
    return virt_error(code, detail, domain=ErrorDomain.QEMU)


def _no_domain(uuid: str, name: str | None = None) -> VirtError:
    detail = f"no domain with matching uuid '{uuid}'"
    if name:
        detail += f" ({name})"
    return virt_error(ErrorNumber.NO_DOMAIN, detail, domain=ErrorDomain.QEMU)


def _not_running() -> VirtError:
    return virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=ErrorDomain.QEMU)


def check_flags(flags: int, allowed: int, api: str) -> None:
    """libvirt's virCheckFlags: unknown bits are VIR_ERR_INVALID_ARG naming the function."""
    extra = int(flags) & ~int(allowed)
    if extra:
        text = f"unsupported flags (0x{extra:x}) in function {api}"
        raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.QEMU, message=text)


def _lifecycle(obj: DomainObject, event: int, detail: int) -> DomainLifecycleEvent:
    return DomainLifecycleEvent(obj.ref(), DomainEventType(event), int(detail))


# ---------------------------------------------------------------------------------------------
# driver-wide state, shared by the connections of this process to one root


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


def _acquire_state(paths: QemuPaths) -> tuple[QemuState, bool]:
    key = os.fspath(paths.run_dir.resolve() if paths.run_dir.exists() else paths.run_dir)
    with _states_lock:
        state = _states.get(key)
        fresh = state is None
        if state is None:
            state = QemuState(paths)
            _states[key] = state
        state.refs += 1
        return state, fresh


def _release_state(state: QemuState) -> None:
    with _states_lock:
        state.refs -= 1
        if state.refs > 0:
            return
        for key, value in list(_states.items()):
            if value is state:
                del _states[key]
    state.close()


# ---------------------------------------------------------------------------------------------
# helpers on definitions


def parse_definition(xml: str, *, validate: bool = False) -> DomainDef:
    """Generic parse, then the QEMU driver's own checks and implicit devices."""
    definition = DomainDef.from_xml(xml, validate=validate)
    root = definition.element
    emulator = root.findtext("devices/emulator") or command.DEFAULT_EMULATOR
    command.check_virt_type(root, emulator)
    command.prepare_definition(root, live=False)
    return definition


def _cpu_time_ns(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return 0
    fields = raw[raw.rfind(b")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _matches(obj: DomainObject, flags: int) -> bool:
    """virConnectListAllDomains filters."""
    active = obj.is_active()
    if flags & (LF.ACTIVE | LF.INACTIVE) and not ((flags & LF.ACTIVE and active) or (flags & LF.INACTIVE and not active)):
        return False
    if flags & (LF.PERSISTENT | LF.TRANSIENT) and not (
        (flags & LF.PERSISTENT and obj.persistent) or (flags & LF.TRANSIENT and not obj.persistent)
    ):
        return False
    if flags & (LF.RUNNING | LF.PAUSED | LF.SHUTOFF | LF.OTHER):
        st = obj.state
        known = (DomainState.RUNNING, DomainState.PAUSED, DomainState.SHUTOFF)
        if not (
            (flags & LF.RUNNING and st == DomainState.RUNNING)
            or (flags & LF.PAUSED and st == DomainState.PAUSED)
            or (flags & LF.SHUTOFF and st == DomainState.SHUTOFF)
            or (flags & LF.OTHER and st not in known)
        ):
            return False
    if flags & (LF.MANAGEDSAVE | LF.NO_MANAGEDSAVE) and not (
        (flags & LF.MANAGEDSAVE and obj.has_managed_save) or (flags & LF.NO_MANAGEDSAVE and not obj.has_managed_save)
    ):
        return False
    if flags & (LF.AUTOSTART | LF.NO_AUTOSTART) and not (
        (flags & LF.AUTOSTART and obj.autostart) or (flags & LF.NO_AUTOSTART and not obj.autostart)
    ):
        return False
    if flags & (LF.HAS_SNAPSHOT | LF.NO_SNAPSHOT):
        has = bool(obj.snapshots is not None and len(obj.snapshots))
        if not ((flags & LF.HAS_SNAPSHOT and has) or (flags & LF.NO_SNAPSHOT and not has)):
            return False
    return True


_qemu_version: int | None = None


def qemu_version(emulator: str = command.DEFAULT_EMULATOR) -> int:
    """QEMU's version as libvirt reports it (major * 1,000,000 + minor * 1,000 + micro)."""
    global _qemu_version
    if _qemu_version is None:
        try:
            out = subprocess.run([emulator, "--version"], capture_output=True, text=True, timeout=10).stdout
            ver = out.split("version", 1)[1].split()[0]
            parts = [int(p) for p in ver.split("(")[0].split(".")[:3]] + [0, 0]
            _qemu_version = parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]
        except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
            _qemu_version = 0
    return _qemu_version


# ---------------------------------------------------------------------------------------------
# the driver


def _snapshot_mixin() -> type:
    try:
        from .snapshots import QemuSnapshots
    except ImportError:  # pragma: no cover - snapshots are optional while developing
        return object
    return QemuSnapshots


class _QemuDriverBase(Driver):
    """Connection, domain list, lifecycle, devices, save/restore, jobs, monitor passthrough."""

    _state: QemuState

    def __init__(self) -> None:
        self._state = None  # type: ignore[assignment]
        self._uri: URI | None = None
        self._flags = 0
        self._callbacks: set[int] = set()

    # ========================================================================================
    # connection

    def connect_open(self, uri: URI, flags: int = 0, auth: object = None) -> None:
        if uri.driver != "qemu":
            raise virt_error(ErrorNumber.NO_CONNECT, str(uri), domain=ErrorDomain.NONE)
        paths = paths_for_uri(uri)
        if paths.kind == "system" and os.geteuid() != 0:
            raise virt_error(
                ErrorNumber.OPERATION_DENIED,
                "qemu:///system requires root; use qemu:///session",
                domain=ErrorDomain.QEMU,
            )
        paths.ensure()
        state, fresh = _acquire_state(paths)
        self._state = state
        self._uri = uri
        self._flags = flags
        if fresh:
            try:
                self._load_all()
            except BaseException:
                _release_state(state)
                self._state = None  # type: ignore[assignment]
                raise
            finally:
                state.loaded.set()
        elif not state.loaded.wait(120):
            _release_state(state)
            self._state = None  # type: ignore[assignment]
            raise virt_error(ErrorNumber.OPERATION_TIMEOUT, "QEMU driver state is still loading", domain=ErrorDomain.QEMU)

    def connect_close(self) -> None:
        state, self._state = self._state, None  # type: ignore[assignment]
        if state is None:
            return
        for cid in list(self._callbacks):
            try:
                state.events.deregister(cid)
            except VirtError:
                pass
        self._callbacks.clear()
        _release_state(state)

    def connect_is_alive(self) -> bool:
        return self._state is not None

    def connect_is_secure(self) -> bool:
        return True

    def connect_is_encrypted(self) -> bool:
        return False

    def connect_get_type(self) -> str:
        return "QEMU"

    def connect_get_uri(self) -> str:
        return str(self._uri)

    def connect_get_version(self) -> int:
        return qemu_version()

    def connect_get_lib_version(self) -> int:
        return 9_000_000

    def connect_get_hostname(self) -> str:
        return socket.gethostname()

    def connect_get_max_vcpus(self, type: str | None = None) -> int:
        return 255

    def connect_get_capabilities(self) -> str:
        """The host and the one guest kind this driver runs (x86_64 hvm under TCG, KVM if usable)."""
        from ...conf.capabilities import GuestSpec, build_capabilities

        types = ["qemu", "kvm"] if command.kvm_usable() else ["qemu"]
        guest = GuestSpec(
            os_type="hvm",
            arch="x86_64",
            emulator=command.DEFAULT_EMULATOR,
            machines=[("pc", "pc-i440fx-7.2"), ("q35", "pc-q35-7.2")],
            domain_types=types,
            features=["acpi", "apic"],
        )
        caps = build_capabilities(arch=os.uname().machine, guests=[guest], migration_transports=("tcp",))
        return caps.to_xml()

    def node_get_info(self) -> Any:
        """virNodeGetInfo from /proc (memory in KiB, MHz of the first CPU)."""
        from ...driver.connect import NodeInfo

        mem_kib = 0
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
                    break
        mhz = 0
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("cpu MHz"):
                    mhz = int(float(line.split(":")[1]))
                    break
        cpus = os.cpu_count() or 1
        return NodeInfo(os.uname().machine, mem_kib, cpus, mhz, 1, 1, cpus, 1)

    def node_get_free_memory(self) -> int:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
        return 0

    @property
    def state(self) -> QemuState:
        if self._state is None:
            raise virt_error(ErrorNumber.INVALID_CONN, "connection is closed")
        return self._state

    @property
    def paths(self) -> QemuPaths:
        return self.state.paths

    # ========================================================================================
    # loading and reconnecting

    def _load_all(self) -> None:
        """Read configs and status files; reconnect to every QEMU that still runs."""
        paths = self.paths
        configs: dict[str, DomainDef] = {}
        for cfg in sorted(paths.config_dir.glob("*.xml")):
            try:
                configs[cfg.stem] = DomainDef.from_xml(cfg.read_bytes())
            except VirtError:
                continue  # a broken config is skipped, as libvirt does
        records: dict[str, StatusRecord] = {}
        for st in sorted(paths.run_dir.glob("*.xml")):
            try:
                records[st.stem] = read_status(st)
            except VirtError:
                remove_file(st)
        max_id = 0
        live_defs: dict[str, DomainDef] = {}
        for name, rec in records.items():
            try:
                live = DomainDef.from_xml(rec.domain_xml)
            except VirtError:
                remove_file(paths.status(name))
                continue
            live_defs[name] = live
            max_id = max(max_id, live.id or 0)
        self.state.domains = DomainList(first_id=max_id + 1)
        for name, definition in configs.items():
            obj = DomainObject(definition, persistent=True)
            obj.has_managed_save = paths.managed_save(name).exists()
            obj.autostart = paths.autostart(name).exists()
            self._new_object_hooks(obj)
            self.state.domains.add(obj)
        for name, live in live_defs.items():
            self._reconnect(name, live, records[name], configs.get(name))
        self._autostart()

    def _autostart(self) -> None:
        """Start the domains marked autostart that do not run (libvirt does this at driver start)."""
        for obj in self.state.domains.all():
            if obj.autostart and obj.persistent and not obj.is_active():
                try:
                    with obj.job("start", timeout=JOB_TIMEOUT):
                        if obj.has_managed_save and self.paths.managed_save(obj.name).exists():
                            self._restore_into(obj, self.paths.managed_save(obj.name), paused=None, managed=True)  # type: ignore[attr-defined]
                        else:
                            self._start(obj, paused=False)  # type: ignore[attr-defined]
                except VirtError:
                    continue  # libvirt logs and goes on with the others

    def _new_object_hooks(self, obj: DomainObject) -> None:
        """Per-object set-up shared with the snapshot part (which loads snapshot metadata)."""
        loader = getattr(self, "_load_snapshots", None)
        if loader is not None:
            loader(obj)

    def _reconnect(self, name: str, live: DomainDef, rec: StatusRecord, config: DomainDef | None) -> None:
        paths = self.paths
        obj = self.state.domains.by_name(name)
        if obj is None:
            obj = DomainObject(live.copy(), persistent=False)
            self._new_object_hooks(obj)
            self.state.domains.add(obj)
        box: dict[str, QemuProcess] = {}
        proc: QemuProcess | None = None
        reason = DomainShutoffReason.CRASHED
        try:
            proc = attach(
                name,
                rec.pid,
                rec.start_time,
                monitor_path=Path(rec.monitor),
                log_path=paths.log(name),
                on_event=self._event_handler(obj, box),
                on_eof=lambda: box["proc"].monitor_eof() if "proc" in box else None,
            )
        except VirtError:
            # alive but unreachable: it cannot be managed, so it must not run on unseen
            from .pidfd import ProcessHandle

            try:
                with ProcessHandle(rec.pid) as handle:
                    handle.send_signal(signal.SIGKILL)
                    handle.wait(5)
            except (ProcessLookupError, OSError):
                pass
            proc = None
        if proc is None:
            # it died while nobody watched: shut off, reason crashed (libvirt's reconnect)
            with obj.lock:
                obj.definition = config if config is not None else obj.definition
                obj.new_definition = None
                obj.id = -1
                obj.set_state(DomainState.SHUTOFF, reason)
            remove_file(paths.status(name))
            remove_file(paths.monitor(name))
            if config is None:
                self.state.domains.remove(obj)
            return
        box["proc"] = proc
        with obj.lock:
            obj.definition = live
            obj.new_definition = config.copy() if config is not None else None
            obj.persistent = config is not None
            obj.id = live.id or self.state.domains.allocate_id()
            state = _STATE_BY_NAME.get(rec.state, DomainState.RUNNING)
            obj.set_state(state, rec.reason)
            obj.driver_data["process"] = proc
            obj.driver_data["stopped"] = threading.Event()
        # QEMU may have paused or resumed while we were away: ask it
        try:
            status = proc.monitor.execute("query-status", timeout=10)  # type: ignore[union-attr]
            running = bool(status.get("running"))
            with obj.lock:
                if running and obj.state == DomainState.PAUSED:
                    obj.set_state(DomainState.RUNNING, DomainRunningReason.UNPAUSED)
                elif not running and obj.state == DomainState.RUNNING:
                    obj.set_state(DomainState.PAUSED, DomainPausedReason.UNKNOWN)
        except VirtError:
            pass
        proc.watch(self.state.watcher, self._exit_handler(obj))
        self._save_status(obj)

    # ========================================================================================
    # object access and jobs

    def _obj(self, dom: DomainRef) -> DomainObject:
        obj = self.state.domains.by_uuid(dom.uuid)
        if obj is None:
            raise _no_domain(dom.uuid, dom.name)
        return obj

    @contextmanager
    def _job(self, dom: DomainRef, name: str) -> Iterator[DomainObject]:
        obj = self._obj(dom)
        with obj.job(name, timeout=JOB_TIMEOUT):
            if self.state.domains.by_uuid(dom.uuid) is not obj:
                raise _no_domain(dom.uuid, dom.name)
            yield obj

    def _emit(self, event: object) -> None:
        self.state.events.emit(event)  # type: ignore[arg-type]

    @staticmethod
    def _process(obj: DomainObject) -> QemuProcess:
        proc: QemuProcess | None = obj.driver_data.get("process")
        if proc is None or not obj.is_active():
            raise _not_running()
        return proc

    def _monitor(self, obj: DomainObject) -> Any:
        proc = self._process(obj)
        if proc.monitor is None:
            raise _err(ErrorNumber.OPERATION_INVALID, "monitor must not be NULL")
        return proc.monitor

    #: how long one monitor command may take before the call fails (libvirt: 30 s)
    monitor_timeout = 30.0
    #: bytes/s for save and managed save; None is unlimited (as libvirt saves)
    save_bandwidth: int | None = None

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
        _save_status(self.state, obj)

    def _event_handler(self, obj: DomainObject, box: dict[str, QemuProcess]) -> Callable[[str, dict, float | None], None]:
        return _event_handler(self.state, obj, box)

    def _exit_handler(self, obj: DomainObject) -> Callable[[QemuProcess], None]:
        state = self.state
        return lambda proc: _process_exited(state, obj, proc)


def _save_status(state: QemuState, obj: DomainObject) -> None:
    proc: QemuProcess | None = obj.driver_data.get("process")
    if proc is None or not obj.is_active():
        return
    with obj.lock:
        record = StatusRecord(
            state=_STATE_NAMES[obj.state],
            reason=obj.reason,
            pid=proc.pid,
            monitor=os.fspath(state.paths.monitor(obj.name)),
            domain_xml=obj.definition.to_xml(secure=True, domain_id=obj.id),
            start_time=proc.start_time,
        )
    write_status(state.paths.status(obj.name), record)


# ---------------------------------------------------------------------------------------------
# QEMU events and exit (run on monitor/pidfd threads; they use the shared state, not a connection)


def _event_handler(state: QemuState, obj: DomainObject, box: dict[str, QemuProcess]) -> Callable[[str, dict, float | None], None]:
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
                threading.Thread(target=_finish_fake_reboot, args=(obj, proc), daemon=True).start()
                return
            with obj.lock:
                if obj.is_active():
                    obj.set_state(DomainState.SHUTDOWN, DomainShutdownReason.USER)
            detail = DomainEventShutdownDetail.GUEST if guest else DomainEventShutdownDetail.HOST
            emit(_lifecycle(obj, DomainEventType.SHUTDOWN, detail))
        elif name == "STOP":
            if obj.driver_data.get("own_events") or obj.driver_data.get("fake_reboot"):
                return
            with obj.lock:
                if obj.state != DomainState.RUNNING:
                    return
                obj.set_state(DomainState.PAUSED, DomainPausedReason.UNKNOWN)
            emit(_lifecycle(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED))
            _save_status_quietly(state, obj)
        elif name == "RESUME":
            if obj.driver_data.get("own_events") or obj.driver_data.get("fake_reboot"):
                return
            with obj.lock:
                if obj.state != DomainState.PAUSED:
                    return
                obj.set_state(DomainState.RUNNING, DomainRunningReason.UNPAUSED)
            emit(_lifecycle(obj, DomainEventType.RESUMED, DomainEventResumedDetail.UNPAUSED))
            _save_status_quietly(state, obj)
        elif name == "GUEST_PANICKED":
            emit(_lifecycle(obj, DomainEventType.CRASHED, 0))  # detail PANICKED
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
                    _device_gone_late(state, obj, alias)
    return handle


def _save_status_quietly(state: QemuState, obj: DomainObject) -> None:
    try:
        _save_status(state, obj)
    except VirtError:
        pass


def _process_exited(state: QemuState, obj: DomainObject, proc: QemuProcess) -> None:
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
    event = _lifecycle(obj, DomainEventType.STOPPED, detail)  # with the id it had
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


def _finish_fake_reboot(obj: DomainObject, proc: QemuProcess) -> None:
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


def _device_gone_late(state: QemuState, obj: DomainObject, alias: str) -> None:
    """DEVICE_DELETED after detach gave up waiting: release the back end now."""
    pending = obj.driver_data.get("unplug_pending", {})
    device = pending.pop(alias, None)
    if device is not None:
        def release() -> None:
            _release_backend(obj, device)
            _save_status_quietly(state, obj)

        threading.Thread(target=release, daemon=True).start()


class _QemuDriverBody(_QemuDriverBase):
    """The domain calls (split from the connection part only to keep sections readable)."""

    # ========================================================================================
    # lookup and lists

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        obj = self.state.domains.by_name(name)
        if obj is None:
            raise virt_error(ErrorNumber.NO_DOMAIN, f"no domain with matching name '{name}'", domain=ErrorDomain.QEMU)
        return obj.ref()

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        obj = self.state.domains.by_uuid(uuid.lower())
        if obj is None:
            raise virt_error(ErrorNumber.NO_DOMAIN, f"no domain with matching uuid '{uuid}'", domain=ErrorDomain.QEMU)
        return obj.ref()

    def domain_lookup_by_id(self, id: int) -> DomainRef:
        obj = self.state.domains.by_id(id)
        if obj is None:
            raise virt_error(ErrorNumber.NO_DOMAIN, f"no domain with matching id {id}", domain=ErrorDomain.QEMU)
        return obj.ref()

    def connect_list_all_domains(self, flags: int = 0) -> list[DomainRef]:
        return [o.ref() for o in self.state.domains.all() if _matches(o, flags)]

    def connect_num_of_domains(self) -> int:
        return self.state.domains.count(active=True)

    def connect_list_domains(self, maxids: int) -> list[int]:
        return sorted(o.id for o in self.state.domains.all() if o.is_active())[: max(maxids, 0)]

    def connect_num_of_defined_domains(self) -> int:
        return self.state.domains.count(active=False)

    def connect_list_defined_domains(self, maxnames: int) -> list[str]:
        return sorted(o.name for o in self.state.domains.all() if not o.is_active())[: max(maxnames, 0)]

    # ========================================================================================
    # define / undefine

    def _add(self, definition: DomainDef, *, live: bool) -> tuple[DomainObject, bool]:
        """virDomainObjListAdd: same uuid must mean same name and vice versa."""
        state = self.state
        with state.lock:
            existing = state.domains.by_uuid(definition.uuid)
            if existing is None:
                other = state.domains.by_name(definition.name)
                if other is not None:
                    raise virt_error(
                        ErrorNumber.OPERATION_FAILED,
                        f"domain '{definition.name}' already exists with uuid {other.uuid}",
                        domain=ErrorDomain.QEMU,
                    )
                obj = DomainObject(definition, persistent=not live)
                self._new_object_hooks(obj)
                state.domains.add(obj)
                return obj, False
        if existing.name != definition.name:
            raise virt_error(
                ErrorNumber.OPERATION_FAILED,
                f"domain '{existing.name}' is already defined with uuid {existing.uuid}",
                domain=ErrorDomain.QEMU,
            )
        return existing, True

    def domain_define_xml(self, xml: str, flags: int = 0) -> DomainRef:
        check_flags(flags, _DEFINE_VALIDATE, "qemuDomainDefineXMLFlags")
        definition = parse_definition(xml, validate=bool(flags & _DEFINE_VALIDATE))
        obj, existed = self._add(definition, live=False)
        if existed:
            with obj.job("define", timeout=JOB_TIMEOUT):
                with obj.lock:
                    if obj.is_active():
                        obj.new_definition = definition
                    else:
                        obj.definition = definition
                    obj.persistent = True
                self._save_config(obj)
        else:
            try:
                self._save_config(obj)
            except VirtError:
                self.state.domains.remove(obj)
                raise
        detail = DomainEventDefinedDetail.UPDATED if existed else DomainEventDefinedDetail.ADDED
        self._emit(_lifecycle(obj, DomainEventType.DEFINED, detail))
        return obj.ref()

    def domain_undefine(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, _UNDEFINE_MANAGED_SAVE | _UNDEFINE_SNAPSHOTS_METADATA | _UNDEFINE_KEEP_NVRAM | 4,
                    "qemuDomainUndefineFlags")
        with self._job(dom, "undefine") as obj:
            if not obj.persistent:
                raise _err(ErrorNumber.OPERATION_INVALID, "cannot undefine transient domain")
            if obj.has_managed_save and not flags & _UNDEFINE_MANAGED_SAVE:
                raise _err(ErrorNumber.OPERATION_INVALID, "Refusing to undefine while domain managed save image exists")
            nsnap = len(obj.snapshots) if obj.snapshots is not None else 0
            if nsnap and not flags & _UNDEFINE_SNAPSHOTS_METADATA:
                raise _err(ErrorNumber.OPERATION_INVALID, f"cannot delete inactive domain with {nsnap} snapshots")
            name = obj.name
            remove_file(self.paths.config(name))
            remove_file(self.paths.autostart(name))
            if obj.has_managed_save:
                remove_file(self.paths.managed_save(name))
            snapdir = self.paths.snapshots(name)
            if snapdir.exists():
                for f in snapdir.glob("*.xml"):
                    remove_file(f)
                try:
                    snapdir.rmdir()
                except OSError:
                    pass
            if obj.snapshots is not None:
                obj.snapshots.clear()
            self._emit(_lifecycle(obj, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.REMOVED))
            with obj.lock:
                obj.has_managed_save = False
                obj.autostart = False
                if obj.is_active():
                    obj.persistent = False
                    obj.new_definition = None
                    return
            self.state.domains.remove(obj)

    # ========================================================================================
    # starting

    def domain_create_xml(self, xml: str, flags: int = 0) -> DomainRef:
        check_flags(flags, _START_PAUSED | _START_AUTODESTROY | _START_VALIDATE | _START_BYPASS_CACHE,
                    "qemuDomainCreateXML")
        definition = parse_definition(xml, validate=bool(flags & _START_VALIDATE))
        obj, existed = self._add(definition, live=True)
        with obj.job("start", timeout=JOB_TIMEOUT):
            if existed:
                if obj.is_active():
                    raise _err(ErrorNumber.OPERATION_INVALID, f"domain '{obj.name}' is already active")
                with obj.lock:
                    if obj.persistent:
                        obj.new_definition = obj.definition
                    obj.definition = definition
            try:
                self._start(obj, paused=bool(flags & _START_PAUSED))
            except BaseException:
                if not obj.persistent and not obj.is_active():
                    self.state.domains.remove(obj)
                raise
            return obj.ref()

    def domain_create(self, dom: DomainRef, flags: int = 0) -> DomainRef:
        check_flags(flags, _START_PAUSED | _START_AUTODESTROY | _START_BYPASS_CACHE | _START_FORCE_BOOT | _START_VALIDATE,
                    "qemuDomainCreateWithFlags")
        with self._job(dom, "start") as obj:
            if obj.is_active():
                raise _err(ErrorNumber.OPERATION_INVALID, "domain is already running")
            image = self.paths.managed_save(obj.name)
            if obj.has_managed_save and image.exists():
                if flags & _START_FORCE_BOOT:
                    remove_file(image)
                    with obj.lock:
                        obj.has_managed_save = False
                else:
                    self._restore_into(obj, image, paused=bool(flags & _START_PAUSED), managed=True)
                    return obj.ref()
            self._start(obj, paused=bool(flags & _START_PAUSED))
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
            self._emit(_lifecycle(obj, DomainEventType.STARTED, event_detail))
            if paused:
                self._emit(_lifecycle(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED))
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
            _setup_tap(tap, bridge)
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
        check_flags(flags, _DESTROY_GRACEFUL | _DESTROY_REMOVE_LOGS, "qemuDomainDestroyFlags")
        obj = self._obj(dom)
        # as libvirt does, a forced destroy sends SIGTERM before it waits for the job: a job
        # stuck on an unresponsive monitor then ends with EOF instead of blocking the destroy
        signalled: QemuProcess | None = obj.driver_data.get("process")
        stopped: threading.Event | None = obj.driver_data.get("stopped")
        if signalled is not None and obj.is_active() and not flags & _DESTROY_GRACEFUL:
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
                raise _not_running()
            if not self._kill(obj, proc, DomainShutoffReason.DESTROYED, graceful=bool(flags & _DESTROY_GRACEFUL)):
                raise _err(ErrorNumber.OPERATION_FAILED, "failed to kill qemu process with SIGTERM")
            if flags & _DESTROY_REMOVE_LOGS:
                remove_file(self.paths.log(obj.name))

    def domain_shutdown(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 1 | 2, "qemuDomainShutdownFlags")
        if flags & 2 and not flags & 1:
            raise _err(ErrorNumber.ARGUMENT_UNSUPPORTED, "QEMU guest agent is not configured")
        with self._job(dom, "shutdown") as obj:
            if obj.state != DomainState.RUNNING:
                raise _err(ErrorNumber.OPERATION_INVALID, "domain is not running")
            self._qmp(obj, "system_powerdown")

    def domain_reboot(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 1 | 2, "qemuDomainReboot")
        if flags & 2 and not flags & 1:
            raise _err(ErrorNumber.ARGUMENT_UNSUPPORTED, "QEMU guest agent is not configured")
        with self._job(dom, "reboot") as obj:
            if obj.state != DomainState.RUNNING:
                raise _err(ErrorNumber.OPERATION_INVALID, "domain is not running")
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
            self._emit(_lifecycle(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED))

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
            self._emit(_lifecycle(obj, DomainEventType.RESUMED, DomainEventResumedDetail.UNPAUSED))

    # ========================================================================================
    # description

    def domain_get_xml_desc(self, dom: DomainRef, flags: int = 0) -> str:
        check_flags(flags, 1 | 2 | 4 | 8, "qemuDomainGetXMLDesc")
        obj = self._obj(dom)
        with obj.lock:
            inactive = bool(flags & _XML_INACTIVE)
            definition = obj.new_definition if inactive and obj.new_definition is not None else obj.definition
            domain_id = obj.id if obj.is_active() and definition is obj.definition and not inactive else None
            return definition.to_xml(inactive=inactive, secure=bool(flags & _XML_SECURE), domain_id=domain_id)

    def domain_get_info(self, dom: DomainRef) -> DomainInfo:
        obj = self._obj(dom)
        with obj.lock:
            d = obj.definition
            proc: QemuProcess | None = obj.driver_data.get("process")
            cpu = _cpu_time_ns(proc.pid) if proc is not None and obj.is_active() else 0
            memory = (d.current_memory or d.memory or 0) if obj.is_active() else (d.memory or 0)
            return DomainInfo(int(obj.state), d.memory or 0, memory, d.vcpus, cpu)

    def domain_get_state(self, dom: DomainRef, flags: int = 0) -> tuple[int, int]:
        check_flags(flags, 0, "qemuDomainGetState")
        obj = self._obj(dom)
        with obj.lock:
            return int(obj.state), int(obj.reason)

    def domain_get_os_type(self, dom: DomainRef) -> str:
        return self._obj(dom).definition.os.type or "hvm"

    def domain_is_active(self, dom: DomainRef) -> bool:
        return self._obj(dom).is_active()

    def domain_is_persistent(self, dom: DomainRef) -> bool:
        return bool(self._obj(dom).persistent)

    def domain_is_updated(self, dom: DomainRef) -> bool:
        self._obj(dom)
        return False

    def domain_get_max_memory(self, dom: DomainRef) -> int:
        return self._obj(dom).definition.memory or 0

    def domain_get_vcpus_flags(self, dom: DomainRef, flags: int = 0) -> int:
        obj = self._obj(dom)
        d = obj.persistent_definition() if flags & _AFFECT_CONFIG else obj.definition
        return d.max_vcpus if flags & 4 else d.vcpus

    def domain_get_max_vcpus(self, dom: DomainRef) -> int:
        return self._obj(dom).definition.max_vcpus

    def domain_get_autostart(self, dom: DomainRef) -> bool:
        return bool(self._obj(dom).autostart)

    def domain_set_autostart(self, dom: DomainRef, autostart: bool) -> None:
        with self._job(dom, "modify") as obj:
            if not obj.persistent:
                raise _err(ErrorNumber.OPERATION_INVALID, "cannot set autostart for transient domain")
            link = self.paths.autostart(obj.name)
            if autostart:
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.exists():
                    os.symlink(self.paths.config(obj.name), link)
            else:
                remove_file(link)
            with obj.lock:
                obj.autostart = bool(autostart)

    def domain_set_vcpus_flags(self, dom: DomainRef, nvcpus: int, flags: int = 0) -> None:
        """virDomainSetVcpusFlags for the configuration (live vCPU hot-plug is not offered)."""
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG | 4, "qemuDomainSetVcpusFlags")
        if nvcpus < 1:
            raise _err(ErrorNumber.INVALID_ARG, "argument unsupported: nvcpus must be at least 1")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags & ~4)
            if live_def is not None:
                raise _err(ErrorNumber.OPERATION_UNSUPPORTED, "changing the vCPU count of a running domain is not supported")
            assert config_def is not None
            with obj.lock:
                if flags & 4:  # VIR_DOMAIN_VCPU_MAXIMUM
                    current = min(config_def.vcpus, nvcpus)
                    vcpu = config_def.element.find("vcpu")
                    if vcpu is not None:
                        vcpu.attrib.pop("current", None)
                    config_def.max_vcpus = nvcpus
                    config_def.vcpus = current
                else:
                    if nvcpus > config_def.max_vcpus:
                        raise _err(ErrorNumber.INVALID_ARG,
                                   f"requested vcpus is greater than max allowable vcpus for the persistent domain: {nvcpus} > {config_def.max_vcpus}")
                    config_def.vcpus = nvcpus
            self._save_config(obj)

    # ========================================================================================
    # rename and metadata

    def domain_rename(self, dom: DomainRef, new_name: str, flags: int = 0) -> DomainRef:
        """virDomainRename: an inactive, persistent domain without saved state or snapshots."""
        check_flags(flags, 0, "qemuDomainRename")
        with self._job(dom, "rename") as obj:
            if obj.is_active():
                raise _err(ErrorNumber.OPERATION_INVALID, "cannot rename active domain")
            if not obj.persistent:
                raise _err(ErrorNumber.OPERATION_INVALID, "cannot rename a transient domain")
            if obj.has_managed_save:
                raise _err(ErrorNumber.OPERATION_INVALID, "domain with a managed saved state can't be renamed")
            if obj.snapshots is not None and len(obj.snapshots):
                raise _err(ErrorNumber.OPERATION_INVALID, "cannot rename domain with snapshots")
            if new_name == obj.name:
                raise virt_error(ErrorNumber.OPERATION_INVALID, "Can't rename domain to itself", domain=ErrorDomain.DOMAIN)
            if "/" in new_name or "\n" in new_name:
                raise virt_error(ErrorNumber.XML_ERROR, f"name {new_name} cannot contain '/'", domain=ErrorDomain.DOMAIN)
            old_name = obj.name
            gone = _lifecycle(obj, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.RENAMED)
            with self.state.lock:
                self.state.domains.rename(obj, new_name)
            try:
                self._save_config(obj)
            except VirtError:
                with self.state.lock:
                    self.state.domains.rename(obj, old_name)
                raise
            remove_file(self.paths.config(old_name))
            if obj.autostart:
                remove_file(self.paths.autostart(old_name))
                os.symlink(self.paths.config(new_name), self.paths.autostart(new_name))
            self._emit(gone)
            self._emit(_lifecycle(obj, DomainEventType.DEFINED, DomainEventDefinedDetail.RENAMED))
            return obj.ref()

    def domain_get_metadata(self, dom: DomainRef, type: int, uri: str | None, flags: int = 0) -> str:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG, "qemuDomainGetMetadata")
        obj = self._obj(dom)
        live_def, config_def = self._defs(obj, flags)
        if live_def is not None and config_def is not None:
            raise _err(ErrorNumber.INVALID_ARG, "flags 'affect live' and 'affect config' are mutually exclusive")
        definition = live_def if live_def is not None else config_def
        assert definition is not None
        with obj.lock:
            if type == 0:
                value = definition.description
            elif type == 1:
                value = definition.title
            elif type == 2:
                value = definition.get_metadata(uri or "")
            else:
                raise _err(ErrorNumber.INVALID_ARG, f"unknown metadata type '{type}'")
        if value is None:
            raise virt_error(ErrorNumber.NO_DOMAIN_METADATA, "Requested metadata element is not present",
                             domain=ErrorDomain.DOMAIN)
        return value

    def domain_set_metadata(self, dom: DomainRef, type: int, metadata: str | None, key: str | None,
                            uri: str | None, flags: int = 0) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG, "qemuDomainSetMetadata")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            with obj.lock:
                for definition in (live_def, config_def):
                    if definition is None:
                        continue
                    if type == 0:
                        definition.description = metadata or None
                    elif type == 1:
                        definition.title = metadata or None
                    elif type == 2:
                        definition.set_metadata(metadata, key, uri)
                    else:
                        raise _err(ErrorNumber.INVALID_ARG, f"unknown metadata type '{type}'")
            if live_def is not None:
                self._save_status(obj)
            if config_def is not None:
                self._save_config(obj)

    # ========================================================================================
    # memory

    def _defs(self, obj: DomainObject, flags: int) -> tuple[DomainDef | None, DomainDef | None]:
        active = obj.is_active()
        live, config = bool(flags & _AFFECT_LIVE), bool(flags & _AFFECT_CONFIG)
        if not live and not config:
            live, config = active, not active
        if live and not active:
            raise _not_running()
        if config and not obj.persistent:
            raise _err(ErrorNumber.OPERATION_INVALID, "cannot change persistent config of a transient domain")
        if config and active:
            with obj.lock:
                obj.prepare_live_change()
        return (obj.definition if live else None), (obj.persistent_definition() if config else None)

    def domain_set_memory_flags(self, dom: DomainRef, kib: int, flags: int = 0) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG | _MEM_MAXIMUM, "qemuDomainSetMemoryFlags")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            if flags & _MEM_MAXIMUM:
                if live_def is not None:
                    raise _err(ErrorNumber.OPERATION_INVALID, "cannot resize the maximum memory on an active domain")
                assert config_def is not None
                with obj.lock:
                    config_def.memory = kib
                    if (config_def.current_memory or 0) > kib:
                        config_def.current_memory = kib
                self._save_config(obj)
                return
            for d in (live_def, config_def):
                if d is not None and kib > (d.memory or 0):
                    raise _err(ErrorNumber.INVALID_ARG, "cannot set memory higher than max memory")
            if live_def is not None:
                devices = live_def.element.find("devices")
                if devices is None or devices.find("memballoon[@model='virtio']") is None:
                    raise _err(ErrorNumber.OPERATION_INVALID, "Unable to change memory of active domain without the balloon device and guest OS balloon driver")
                self._qmp(obj, "balloon", {"value": kib * 1024})
                with obj.lock:
                    live_def.current_memory = kib
                self._save_status(obj)
            if config_def is not None:
                with obj.lock:
                    config_def.current_memory = kib
                self._save_config(obj)

    # ========================================================================================
    # save / restore / managed save

    def _write_save_header(self, path: Path, definition: DomainDef, running: bool) -> int:
        """Header and XML, marked partial; returns where QEMU's migration stream starts."""
        xml = definition.to_xml(secure=True).encode() + b"\0"
        size = _SAVE_HEADER.size + len(xml)
        data_len = len(xml) + (-size) % _SAVE_ALIGN  # the stream starts page-aligned
        header = _SAVE_HEADER.pack(SAVE_PARTIAL, SAVE_VERSION, data_len, 1 if running else 0, 0, 0, *([0] * 14))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, header + xml.ljust(data_len, b"\0"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return _SAVE_HEADER.size + data_len

    @staticmethod
    def _finish_save_image(path: Path) -> None:
        """The stream is complete: only now does the image carry the real magic."""
        fd = os.open(path, os.O_WRONLY)
        try:
            os.fsync(fd)
            os.pwrite(fd, SAVE_MAGIC, 0)
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _read_save_header(path: Path) -> tuple[DomainDef, bool, int]:
        """(definition, was running, offset of the migration stream) of a save image."""
        try:
            with open(path, "rb") as fh:
                head = fh.read(_SAVE_HEADER.size)
                if len(head) != _SAVE_HEADER.size:
                    raise _err(ErrorNumber.OPERATION_FAILED, "failed to read qemu header")
                magic, version, data_len, running, compressed, cookie, *_unused = _SAVE_HEADER.unpack(head)
                if magic == SAVE_PARTIAL:
                    raise _err(ErrorNumber.OPERATION_FAILED, "save image is incomplete")
                if magic != SAVE_MAGIC:
                    raise _err(ErrorNumber.OPERATION_FAILED, "image magic is incorrect")
                if version > SAVE_VERSION:
                    raise _err(ErrorNumber.OPERATION_FAILED,
                               f"image version is not supported ({version} > {SAVE_VERSION})")
                if compressed:
                    raise _err(ErrorNumber.OPERATION_UNSUPPORTED, "compressed save images are not supported")
                data = fh.read(data_len)
        except OSError as exc:
            raise _err(ErrorNumber.SYSTEM_ERROR, f"Failed to open domain image file '{path}': {exc.strerror}") from None
        if len(data) != data_len:
            raise _err(ErrorNumber.OPERATION_FAILED, "failed to read domain XML")
        xml = data[: cookie or len(data)].split(b"\0", 1)[0]
        return DomainDef.from_xml(xml), bool(running), _SAVE_HEADER.size + data_len

    def _migrate_wait(self, obj: DomainObject, what: str) -> None:
        """Poll an outgoing/incoming migration to its end; the job stays abortable meanwhile."""
        deadline = time.monotonic() + MIGRATION_TIMEOUT
        delay = 0.005
        while True:
            info = self._qmp(obj, "query-migrate")
            status = info.get("status")
            obj.driver_data["job_stats"] = info
            if status == "completed":
                return
            if status in ("failed", "cancelled"):
                if status == "cancelled" or obj.driver_data.get("abort_requested"):
                    raise _err(ErrorNumber.OPERATION_ABORTED, f"operation aborted: {what} job: canceled by client")
                raise _err(ErrorNumber.OPERATION_FAILED, f"{what} job: unexpectedly failed: {info.get('error-desc', '')}")
            if time.monotonic() > deadline:
                self._qmp(obj, "migrate_cancel")
                raise _err(ErrorNumber.OPERATION_TIMEOUT, f"{what} job timed out")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _save_to(self, obj: DomainObject, path: Path) -> None:
        """Pause, stream the guest state into ``path`` after our header, stop QEMU."""
        self._process(obj)
        was_running = obj.state == DomainState.RUNNING
        self._write_save_header(path, obj.definition, was_running)
        obj.driver_data["async_job"] = {"type": "save", "started": time.monotonic()}
        try:
            with self._own_events(obj):
                if was_running:
                    self._qmp(obj, "stop")
                    with obj.lock:
                        obj.set_state(DomainState.PAUSED, DomainPausedReason.SAVE)
                bandwidth = self.save_bandwidth if self.save_bandwidth else 1 << 40
                self._qmp(obj, "migrate-set-parameters", {"max-bandwidth": bandwidth})
                self._qmp(obj, "migrate", {"uri": f"exec:cat >> {shlex.quote(os.fspath(path))}"})
                try:
                    self._migrate_wait(obj, "save")
                except VirtError:
                    if was_running:
                        try:
                            self._qmp(obj, "cont")
                            with obj.lock:
                                obj.set_state(DomainState.RUNNING, DomainRunningReason.SAVE_CANCELED)
                        except VirtError:
                            pass
                    remove_file(path)
                    raise
            self._finish_save_image(path)
        finally:
            obj.driver_data.pop("async_job", None)
            obj.driver_data.pop("abort_requested", None)
        proc = self._process(obj)
        self._kill(obj, proc, DomainShutoffReason.SAVED)

    def domain_save(self, dom: DomainRef, path: str, dxml: str | None = None, flags: int = 0) -> None:
        check_flags(flags, _SAVE_BYPASS_CACHE | _SAVE_RUNNING | _SAVE_PAUSED, "qemuDomainSaveFlags")
        if dxml:
            raise _err(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification of the saved domain is not supported")
        with self._job(dom, "save") as obj:
            self._save_to(obj, Path(path))

    def domain_managed_save(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, _SAVE_BYPASS_CACHE | _SAVE_RUNNING | _SAVE_PAUSED, "qemuDomainManagedSave")
        with self._job(dom, "save") as obj:
            self._process(obj)
            if not obj.persistent:
                raise _err(ErrorNumber.OPERATION_INVALID, "cannot do managed save for transient domain")
            self._save_to(obj, self.paths.managed_save(obj.name))
            with obj.lock:
                obj.has_managed_save = True

    def domain_has_managed_save_image(self, dom: DomainRef, flags: int = 0) -> bool:
        return bool(self._obj(dom).has_managed_save)

    def domain_managed_save_remove(self, dom: DomainRef, flags: int = 0) -> None:
        with self._job(dom, "modify") as obj:
            remove_file(self.paths.managed_save(obj.name))
            with obj.lock:
                obj.has_managed_save = False

    def domain_save_image_get_xml_desc(self, path: str, flags: int = 0) -> str:
        definition, _running, _offset = self._read_save_header(Path(path))
        return definition.to_xml(inactive=True, secure=bool(flags & 1))

    def domain_restore(self, path: str, dxml: str | None = None, flags: int = 0) -> None:
        check_flags(flags, _SAVE_BYPASS_CACHE | _SAVE_RUNNING | _SAVE_PAUSED, "qemuDomainRestoreFlags")
        if dxml:
            raise _err(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification of the saved domain is not supported")
        definition, _running, _offset = self._read_save_header(Path(path))
        command.prepare_definition(definition.element, live=False)
        obj, existed = self._add(definition, live=True)
        with obj.job("restore", timeout=JOB_TIMEOUT):
            if existed:
                if obj.is_active():
                    raise _err(ErrorNumber.OPERATION_INVALID, f"domain '{obj.name}' is already active")
                with obj.lock:
                    if obj.persistent:
                        obj.new_definition = obj.definition
                    obj.definition = definition
            try:
                self._restore_into(obj, Path(path), paused=None if not flags & (_SAVE_RUNNING | _SAVE_PAUSED)
                                   else bool(flags & _SAVE_PAUSED), managed=False, use_image_def=not existed)
            except BaseException:
                if not obj.persistent and not obj.is_active():
                    self.state.domains.remove(obj)
                raise

    def _restore_into(self, obj: DomainObject, path: Path, *, paused: bool | None, managed: bool,
                      use_image_def: bool = True) -> None:
        definition, was_running, offset = self._read_save_header(path)
        if managed or use_image_def:
            with obj.lock:
                if obj.persistent and obj.new_definition is None and not obj.is_active():
                    # the config stays as defined; the saved live definition runs
                    obj.new_definition = obj.definition
                obj.definition = definition
        start_paused = (not was_running) if paused is None else paused

        def incoming(proc: QemuProcess) -> None:
            mon = proc.monitor
            mon.execute("migrate-incoming", {"uri": f"exec:tail -c +{offset + 1} {shlex.quote(os.fspath(path))}"})  # type: ignore[union-attr]
            self._migrate_wait(obj, "restore")

        self._start(obj, paused=start_paused, incoming="defer", reason=DomainRunningReason.RESTORED,
                    event_detail=DomainEventStartedDetail.RESTORED, before_cont=incoming)
        if managed:
            remove_file(path)
            with obj.lock:
                obj.has_managed_save = False

    # ========================================================================================
    # jobs

    def domain_get_job_info(self, dom: DomainRef) -> tuple[int, ...]:
        """virDomainGetJobInfo: (type, elapsed ms, remaining ms, data total/processed/remaining,
        mem total/processed/remaining, file total/processed/remaining)."""
        obj = self._obj(dom)
        job = obj.driver_data.get("async_job")
        if job is None:
            return (int(DomainJobType.NONE),) + (0,) * 11
        elapsed = int((time.monotonic() - job["started"]) * 1000)
        ram = (obj.driver_data.get("job_stats") or {}).get("ram", {})
        total, done, left = ram.get("total", 0), ram.get("transferred", 0), ram.get("remaining", 0)
        return (int(DomainJobType.UNBOUNDED), elapsed, 0, total, done, left, total, done, left, 0, 0, 0)

    def domain_abort_job(self, dom: DomainRef, flags: int = 0) -> None:
        """virDomainAbortJob: cancel the running async job (no job slot needed: it is held)."""
        obj = self._obj(dom)
        job = obj.driver_data.get("async_job")
        if job is None or not obj.is_active():
            raise _err(ErrorNumber.OPERATION_INVALID, "no job is active on the domain")
        obj.driver_data["abort_requested"] = True
        if job["type"] in ("save", "migration"):
            self._qmp(obj, "migrate_cancel")
        elif job["type"] == "snapshot":
            job_id = job.get("qmp_job")
            if job_id:
                self._qmp(obj, "job-cancel", {"id": job_id})

    # ========================================================================================
    # QMP passthrough

    def domain_qemu_monitor_command(self, dom: DomainRef, cmd: str, flags: int = 0) -> str:
        """virDomainQemuMonitorCommand: raw QMP (or HMP with flag 1); the reply as text."""
        check_flags(flags, _QEMU_MONITOR_COMMAND_HMP, "qemuDomainQemuMonitorCommand")
        with self._job(dom, "query") as obj:
            mon = self._monitor(obj)
            if flags & _QEMU_MONITOR_COMMAND_HMP:
                return mon.human_passthrough(cmd, timeout=self.monitor_timeout)
            return mon.command_passthrough(cmd, timeout=self.monitor_timeout)

    # ========================================================================================
    # device hot-plug

    def domain_attach_device(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG, "qemuDomainAttachDeviceFlags")
        device = _parse_device(xml)
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            if config_def is not None:
                _check_device_free(config_def, device)
            if live_def is not None:
                _check_device_free(live_def, device)
                self._hotplug(obj, live_def, _clone(device))
                self._save_status(obj)
            if config_def is not None:
                config_copy = _clone(config_def.element)
                config_copy.find("devices").append(_clone(device))
                command.prepare_definition(config_copy, live=False)
                with obj.lock:
                    target = obj.persistent_definition()
                    target.element.find("devices").append(_clone(device))
                    command.prepare_definition(target.element, live=False)
                self._save_config(obj)

    def domain_detach_device(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG, "qemuDomainDetachDeviceFlags")
        device = _parse_device(xml)
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            live_el = _find_device(live_def, device) if live_def is not None else None
            config_el = _find_device(config_def, device) if config_def is not None else None
            if (live_def is not None and live_el is None) or (config_def is not None and config_el is None):
                raise _err(ErrorNumber.DEVICE_MISSING, _missing_text(device))
            if live_el is not None:
                self._hotunplug(obj, live_el)
                self._save_status(obj)
            if config_el is not None:
                with obj.lock:
                    config_el.getparent().remove(config_el)
                self._save_config(obj)

    def _hotplug(self, obj: DomainObject, live_def: DomainDef, device: etree._Element) -> None:
        root = live_def.element
        devices = root.find("devices")
        kind = device.tag
        if kind not in ("disk", "interface"):
            raise _err(ErrorNumber.OPERATION_UNSUPPORTED, f"live attach of device '{kind}' is not supported")
        with obj.lock:
            devices.append(device)
        try:
            command.check_supported(root)
            if kind == "disk":
                bus = command._disk_bus(device, command.machine_family(root))
                if bus != "virtio" and bus != "scsi":
                    raise _err(ErrorNumber.OPERATION_UNSUPPORTED, f"disk bus '{bus}' cannot be hotplugged.")
                if device.get("device", "disk") != "disk":
                    raise _err(ErrorNumber.OPERATION_UNSUPPORTED, "cdrom/floppy device hotplug isn't supported")
                src = device.find("source")
                if src is not None and src.get("index") is None and command._disk_has_source(device):
                    src.set("index", str(command.next_node_index(root)))
            else:
                if device.find("mac") is None:
                    from ...conf.values import generate_mac

                    etree.SubElement(device, "mac", address=generate_mac())
                if device.find("model") is None:
                    etree.SubElement(device, "model", type="virtio")
            if kind == "disk" and command._disk_bus(device, command.machine_family(root)) == "scsi":
                command._drive_address(device, "scsi")
                ctrl = command._int(device.find("address").get("controller"))
                if not any(c.get("type") == "scsi" and command._int(c.get("index")) == ctrl
                           for c in devices.findall("controller")):
                    raise _err(ErrorNumber.OPERATION_UNSUPPORTED, "hotplug of a SCSI disk needs an existing SCSI controller")
            command.PciAllocator(root).assign(device, hotplug=True)
            command.assign_aliases(root)
        except BaseException:
            with obj.lock:
                devices.remove(device)
            raise
        mon = self._monitor(obj)
        added_nodes: list[str] = []
        try:
            if kind == "disk":
                for node in command.disk_blockdevs(device):
                    mon.execute("blockdev-add", node)
                    added_nodes.insert(0, node["node-name"])
                mon.execute("device_add", command.disk_device(root, device))
            else:
                if device.get("type") in ("ethernet", "bridge"):
                    command.assign_tap_names(root)
                netdev = command.netdev_props(device)
                mon.execute("netdev_add", netdev)
                added_nodes.append("netdev:" + netdev["id"])
                for tap, bridge in command.tap_devices(root):
                    if tap == netdev.get("ifname"):
                        _setup_tap(tap, bridge)
                mon.execute("device_add", command.nic_device(root, device))
        except BaseException:
            for node in added_nodes:
                try:
                    if node.startswith("netdev:"):
                        mon.execute("netdev_del", {"id": node[7:]})
                    else:
                        mon.execute("blockdev-del", {"node-name": node})
                except VirtError:
                    pass
            with obj.lock:
                devices.remove(device)
            raise

    def _hotunplug(self, obj: DomainObject, device: etree._Element) -> None:
        alias = command.get_alias(device)
        if not alias:
            raise _err(ErrorNumber.OPERATION_FAILED, "device alias not found")
        if device.tag not in ("disk", "interface"):
            raise _err(ErrorNumber.OPERATION_UNSUPPORTED, f"live detach of device '{device.tag}' is not supported")
        waiter = threading.Event()
        obj.driver_data.setdefault("unplug", {})[alias] = waiter
        try:
            self._qmp(obj, "device_del", {"id": alias})
            removed = waiter.wait(UNPLUG_TIMEOUT)
        finally:
            obj.driver_data["unplug"].pop(alias, None)
        if removed:
            _release_backend(obj, device)
        else:
            obj.driver_data.setdefault("unplug_pending", {})[alias] = device  # finished on the event

    # ========================================================================================
    # events

    def connect_domain_event_register_any(self, dom: DomainRef | None, event_id: int,
                                          callback: Callable[[object], None]) -> int:
        if event_id < 0 or event_id > len(DomainEventID):
            raise virt_error(
                ErrorNumber.INVALID_ARG,
                f"eventID in virConnectDomainEventRegisterAny must be less than {len(DomainEventID) + 1}",
            )
        event_class = {DomainEventID.LIFECYCLE: DomainLifecycleEvent, DomainEventID.REBOOT: DomainRebootEvent}.get(event_id)  # type: ignore[call-overload]
        bus = self.state.events
        if event_class is None:
            cid = bus.register(callback, match=lambda ev: False)
        elif dom is None:
            cid = bus.register(callback, event_class)
        else:
            uuid = dom.uuid
            cid = bus.register(callback, event_class, match=lambda ev: ev.domain.uuid == uuid)
        self._callbacks.add(cid)
        return cid

    def connect_domain_event_deregister_any(self, callback_id: int) -> None:
        self.state.events.deregister(callback_id)
        self._callbacks.discard(callback_id)


# ---------------------------------------------------------------------------------------------
# device XML helpers


def _setup_tap(tap: str, bridge: str | None) -> None:
    """Bring a tap QEMU opened up and, for a bridge interface, attach it (libvirt does both)."""
    steps = ([["ip", "link", "set", "dev", tap, "master", bridge]] if bridge else []) + [["ip", "link", "set", "dev", tap, "up"]]
    for step in steps:
        try:
            out = subprocess.run(step, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _err(ErrorNumber.SYSTEM_ERROR, f"Unable to set up tap device '{tap}': {exc}") from None
        if out.returncode != 0:
            what = f"add {tap} to bridge {bridge}" if "master" in step else f"set {tap} up"
            raise _err(ErrorNumber.SYSTEM_ERROR, f"Unable to {what}: {out.stderr.strip()}")


def _release_backend(obj: DomainObject, device: etree._Element) -> None:
    """After the guest let go of a device: drop its block nodes or net back end, then the XML."""
    proc: QemuProcess | None = obj.driver_data.get("process")
    mon = proc.monitor if proc is not None else None
    if mon is not None:
        names: list[tuple[str, dict[str, str]]] = []
        if device.tag == "disk":
            names = [("blockdev-del", {"node-name": n["node-name"]}) for n in reversed(command.disk_blockdevs(device))]
        else:
            names = [("netdev_del", {"id": command.netdev_props(device)["id"]})]
        for cmd, args in names:
            try:
                mon.execute(cmd, args)
            except VirtError:
                pass
    with obj.lock:
        parent = device.getparent()
        if parent is not None:
            parent.remove(device)


def _parse_device(xml: str) -> etree._Element:
    from ...conf.base import parse_xml

    el = parse_xml(xml, source="(device_definition)", domain=ErrorDomain.DOMAIN)
    if el.tag not in ("disk", "interface"):
        raise _err(ErrorNumber.OPERATION_UNSUPPORTED, f"device type '{el.tag}' cannot be attached or detached")
    if el.tag == "interface" and el.find("mac") is not None:
        from ...conf.values import normalize_mac

        mac = el.find("mac")
        mac.set("address", normalize_mac(mac.get("address", "")))
    return el


def _clone(el: etree._Element) -> etree._Element:
    return xmlcore.parse(xmlcore.format(el))


def _find_device(definition: DomainDef, device: etree._Element) -> etree._Element | None:
    devices = definition.element.find("devices")
    if devices is None:
        return None
    if device.tag == "disk":
        dev = device.findtext("target[@dev]") or (device.find("target").get("dev") if device.find("target") is not None else None)
        for disk in devices.findall("disk"):
            t = disk.find("target")
            if t is not None and t.get("dev") == dev:
                return disk
        return None
    mac = device.find("mac")
    want = mac.get("address") if mac is not None else None
    for iface in devices.findall("interface"):
        m = iface.find("mac")
        if want is None or (m is not None and m.get("address") == want):
            return iface
    return None


def _check_device_free(definition: DomainDef, device: etree._Element) -> None:
    if device.tag == "disk":
        target = device.find("target")
        dev = target.get("dev") if target is not None else None
        if dev and _find_device(definition, device) is not None:
            raise _err(ErrorNumber.OPERATION_FAILED, f"target {dev} already exists")
    elif device.find("mac") is not None and _find_device(definition, device) is not None:
        raise _err(ErrorNumber.OPERATION_FAILED, f"interface {device.find('mac').get('address')} already exists")


def _missing_text(device: etree._Element) -> str:
    if device.tag == "disk":
        target = device.find("target")
        return f"disk {target.get('dev') if target is not None else '?'} not found"
    mac = device.find("mac")
    return f"no device matching MAC address {mac.get('address') if mac is not None else '?'} found"


QemuDriver = type(
    "QemuDriver",
    (_snapshot_mixin(), _QemuDriverBody) if _snapshot_mixin() is not object else (_QemuDriverBody,),
    {"__doc__": "The QEMU driver: real guests under qemu-system-x86_64, managed over QMP.", "__module__": __name__},
)
