"""Connection-level calls of the QEMU driver: open/close, host facts, domain event callbacks."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from ...driver.refs import DomainRef
from ...enums import DomainEventID
from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ...events import DomainLifecycleEvent, DomainRebootEvent
from ...uri import URI
from . import command
from .access import QemuDriverBase
from .host import qemu_version
from .paths import paths_for_uri
from .state import acquire_state, release_state

__all__ = ["ConnectionMixin"]


class ConnectionMixin(QemuDriverBase):
    """virConnect* and virNode* for the QEMU driver."""

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
        state, fresh = acquire_state(paths)
        self._state = state
        self._uri = uri
        self._flags = flags
        if fresh:
            try:
                self._load_all()
            except BaseException:
                release_state(state)
                self._state = None  # type: ignore[assignment]
                raise
            finally:
                state.loaded.set()
        elif not state.loaded.wait(120):
            release_state(state)
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
        release_state(state)

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
