"""The test driver's domains: libvirt's test hypervisor lifecycle, definitions and resources.

The semantics are those of libvirt's ``src/test/test_driver.c`` (checked against libvirt 9.0
through the differential tests): which transitions are refused and with which error, which
state reason and which event each call produces, ids handed out from one counter, transient
domains vanishing when they stop, and the two definitions of a running persistent domain
(``definition`` runs now, ``new_definition`` is the persistent config applied at next start).

Locking: a call that changes one domain runs inside that domain's job (one at a time, others
wait with a timeout); short field updates take the object's mutex; the state's lock only
serialises name/uuid checks when a domain is added, and is always taken *after* a job, never
while waiting for one. Lookups and lists take neither. Events are only queued here; the
EventBus delivers them after every lock is released.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lxml import etree

from ...conf import DomainDef
from ...driver.domain import DomainInfo
from ...driver.refs import DomainRef
from ...enums import (
    ConnectListAllDomainsFlags as LF,
)
from ...enums import (
    DomainEventDefinedDetail,
    DomainEventID,
    DomainEventResumedDetail,
    DomainEventStartedDetail,
    DomainEventStoppedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainEventUndefinedDetail,
    DomainMetadataType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ...events import DomainLifecycleEvent, DomainRebootEvent
from .nodefile import resolve_include, split_test_namespace
from .state import MAX_VCPUS, call_hooks, check_flags, raise_no_domain_uuid, test_error

if TYPE_CHECKING:
    from ...objects.domain import DomainObject
    from .state import TestState

__all__ = ["TestDomains", "load_domain_element", "parse_domain", "ref_of", "start_state", "stop_state"]

#: how long a call waits for another call's job on the same domain (libvirt: 30 s)
JOB_TIMEOUT = 30.0

# flag values (libvirt's numbers) used below
_AFFECT_LIVE = 1
_AFFECT_CONFIG = 2
_MEM_MAXIMUM = 4
_VCPU_MAXIMUM = 4
_XML_SECURE = 1
_XML_INACTIVE = 2
_XML_COMMON = 1 | 2 | 4 | 8
_VALIDATE = 1  # VIR_DOMAIN_DEFINE_VALIDATE
_START_VALIDATE = 16
_DESTROY_GRACEFUL = 2
_REBOOT_ALL = 1 | 2 | 4 | 8 | 16 | 32
_UNDEFINE_MANAGED_SAVE = 1
_UNDEFINE_SNAPSHOTS_METADATA = 2
_SAVE_BYPASS_CACHE = 1
_STATS_STATE = 1
_STATS_SUPPORTED = 1 | 0x80  # VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_IOTHREAD
_STATS_ENFORCE = 1 << 31
_SAVE_RUNNING = 2
_SAVE_PAUSED = 4
_SAVE_IMAGE_XML_SECURE = 1

#: the save image header of libvirt's test driver (so images are interchangeable with it)
SAVE_MAGIC = b"TestGuestMagic\0"

_LIST_FILTERS_ALL = (1 << 16) - 1


# -- parsing -------------------------------------------------------------------------------------


def parse_domain(xml: str, *, validate: bool = False) -> DomainDef:
    """libvirt's generic parse of a domain document, as the test driver asks for it."""
    definition = DomainDef.from_xml(xml, validate=validate)
    name = definition.name or ""
    if "/" in name:
        raise virt_error(ErrorNumber.XML_ERROR, f"name {name} cannot contain '/'", domain=_DOM_ERR)
    generate_ifnames(definition)
    return definition


def generate_ifnames(definition: DomainDef) -> None:
    """Give every <interface> without a target the first free ``testnetN`` name (as libvirt)."""
    devices = definition.element.find("devices")
    if devices is None:
        return
    nets = devices.findall("interface")
    if not nets or all(n.find("target") is not None for n in nets):
        return
    used = {t.get("dev") for n in nets for t in n.iterchildren("target")}
    counter = 0
    for net in nets:
        if net.find("target") is not None:
            continue
        while f"testnet{counter}" in used:
            counter += 1
        name = f"testnet{counter}"
        used.add(name)
        target = etree.Element("target", dev=name)
        _insert_target(net, target)


#: children of <interface> that libvirt writes after <target>
_AFTER_TARGET = (
    "guest", "model", "driver", "backend", "filterref", "tune", "teaming", "link", "mtu",
    "coalesce", "rom", "alias", "address", "acpi", "boot",
)  # fmt: skip


def _insert_target(net: etree._Element, target: etree._Element) -> None:
    for child in net:
        if isinstance(child.tag, str) and child.tag in _AFTER_TARGET:
            child.addprevious(target)
            return
    net.append(target)


def load_domain_element(state: TestState, el: etree._Element, base_dir: str | None) -> None:
    """One ``<domain>`` of a node file, with its test: namespace run state (testParseDomains)."""
    clean, extras = split_test_namespace(el)
    definition = DomainDef.from_element(clean)
    generate_ifnames(definition)
    obj, _ = add_definition(state, definition, live=False)
    snaps = [resolve_include(s, base_dir, "domainsnapshot") for s in extras.snapshots]
    if snaps:
        call_hooks("load_domain_snapshots", state, obj, snaps, base_dir)
    obj.persistent = not extras.transient
    obj.has_managed_save = extras.has_managed_save
    if extras.runstate != DomainState.SHUTOFF:
        start_state(state, obj, DomainRunningReason.BOOTED)
    else:
        stop_state(obj, 0)
    obj.set_state(DomainState(extras.runstate), 0)


# -- the shared transitions (also used by the snapshot family) --------------------------------


def start_state(state: TestState, obj: DomainObject, reason: int) -> None:
    """libvirt's testDomainStartState: running with a new id, live config split off."""
    with obj.lock:
        obj.set_state(DomainState.RUNNING, reason)
        obj.id = state.domains.allocate_id()
        obj.prepare_live_change()
        obj.has_managed_save = False


def stop_state(obj: DomainObject, reason: int) -> None:
    """libvirt's testDomainShutdownState: back to the persistent config, shut off."""
    with obj.lock:
        obj.finish_stop()
        obj.id = -1
        obj.set_state(DomainState.SHUTOFF, reason)


def ref_of(obj: DomainObject) -> DomainRef:
    """The ref handed out for ``obj``; cached, since name and uuid only change by rename."""
    data = obj.driver_data
    generation = data.get("gen", 0)  # read before the name: a rename bumps it afterwards
    cached = data.get("ref")
    if cached is not None and cached[0] == generation and cached[1][2] == obj.id:
        return cached[1]  # type: ignore[no-any-return]
    ref = DomainRef(obj.name, obj.uuid, obj.id)
    data["ref"] = (generation, ref)
    return ref


def facts_of(obj: DomainObject) -> tuple[int, int, int]:
    """(max memory, current memory, vCPUs) of the live definition, cached per definition.

    The cache is keyed by the definition object, so a replaced definition (start, stop,
    define, revert) is re-read; the calls here that edit a definition in place drop it.
    """
    data = obj.driver_data
    version = data.get("facts-version", 0)  # read first: an edit bumps it when done
    definition = obj.definition
    cached = data.get("facts")
    if cached is not None and cached[0] is definition and cached[1] == version:
        return cached[2]  # type: ignore[no-any-return]
    facts = (definition.memory or 0, definition.current_memory or 0, definition.vcpus)
    data["facts"] = (definition, version, facts)
    return facts


@contextmanager
def _edits(obj: DomainObject) -> Iterator[None]:
    """Around an in-place edit of a definition: the cached facts are stale afterwards."""
    try:
        yield
    finally:
        forget_facts(obj)


def forget_facts(obj: DomainObject) -> None:
    """Invalidate the cached facts; call after editing a definition in place."""
    obj.driver_data["facts-version"] = obj.driver_data.get("facts-version", 0) + 1


def add_definition(
    state: TestState, definition: DomainDef, *, live: bool, check_live: bool = False
) -> tuple[DomainObject, bool]:
    """Add ``definition`` to the list or give it to the domain of the same uuid.

    libvirt's virDomainObjListAdd: a uuid match must have the same name, a name match must
    have the same uuid. ``live`` replaces what runs (create/restore), otherwise the persistent
    config (define). Returns the object and whether an older definition was replaced.
    """
    while True:
        with state.lock:
            existing = state.domains.by_uuid(definition.uuid)
            if existing is None:
                _check_name_free(state, definition)
                obj = state.new_domain_object(definition)
                state.domains.add(obj)
                return obj, False
        # an existing domain: change it under its job, then re-check it is still listed
        with existing.job("modify", timeout=JOB_TIMEOUT):
            with state.lock:
                if state.domains.by_uuid(definition.uuid) is not existing:
                    continue
                if existing.name != definition.name:
                    raise virt_error(
                        ErrorNumber.OPERATION_FAILED,
                        f"domain '{existing.name}' is already defined with uuid {existing.uuid}",
                        domain=_DOM_ERR,
                    )
                if check_live and existing.is_active():
                    raise virt_error(
                        ErrorNumber.OPERATION_INVALID,
                        f"domain '{existing.name}' is already active",
                        domain=_DOM_ERR,
                    )
                with existing.lock:
                    replaced = _assign(existing, definition, live)
                return existing, replaced


def _check_name_free(state: TestState, definition: DomainDef) -> None:
    other = state.domains.by_name(definition.name)
    if other is not None:
        raise virt_error(
            ErrorNumber.OPERATION_FAILED,
            f"domain '{definition.name}' already exists with uuid {other.uuid}",
            domain=_DOM_ERR,
        )


def _assign(obj: DomainObject, definition: DomainDef, live: bool) -> bool:
    """virDomainObjAssignDef; True when an old definition was replaced."""
    if obj.is_active() and not live:
        replaced = obj.new_definition is not None
        obj.new_definition = definition
        return replaced
    if live and obj.persistent and obj.new_definition is None:
        obj.new_definition = obj.definition
    obj.definition = definition
    return True


_DOM_ERR = ErrorDomain.DOMAIN


def _lifecycle(obj: DomainObject, event: int, detail: int) -> DomainLifecycleEvent:
    return DomainLifecycleEvent(ref_of(obj), DomainEventType(event), int(detail))


# -- the driver methods ------------------------------------------------------------------------


class TestDomains:
    """Domain calls of the test driver; needs ``self._state`` (a :class:`TestState`).

    A plain mixin (not a DomainDriver subclass) so that the interface defaults, which come
    last in TestDriver's bases, never shadow a part's implementation.
    """

    _state: TestState

    # -- helpers ---------------------------------------------------------------------------------

    def _obj(self, dom: DomainRef) -> DomainObject:
        obj = self._state.domains.by_uuid(dom.uuid)
        if obj is None:
            raise raise_no_domain_uuid(dom.uuid, dom.name)
        return obj

    @contextmanager
    def _job(self, dom: DomainRef, name: str) -> Iterator[DomainObject]:
        """The domain, inside a job; fails as libvirt does if it vanished meanwhile."""
        obj = self._obj(dom)
        with obj.job(name, timeout=JOB_TIMEOUT):
            if self._state.domains.by_uuid(dom.uuid) is not obj:
                raise raise_no_domain_uuid(dom.uuid, dom.name)
            yield obj

    def _check_still_new(self, obj: DomainObject) -> None:
        """Between adding a domain and starting it another call may have got there first."""
        if self._state.domains.by_uuid(obj.uuid) is not obj:
            raise raise_no_domain_uuid(obj.uuid, obj.name)
        if obj.is_active():
            raise virt_error(
                ErrorNumber.OPERATION_INVALID, f"domain '{obj.name}' is already active", domain=_DOM_ERR
            )

    def _emit(self, event: object) -> None:
        self._state.events.emit(event)

    def _lifecycle_event(self, obj: DomainObject, event: int, detail: int) -> None:
        """Queue a lifecycle event; built only when someone listens (events are cheap to skip)."""
        bus = self._state.events
        if bus.callback_count:
            bus.emit(_lifecycle(obj, event, detail))

    def _remove_if_transient(self, obj: DomainObject) -> None:
        if not obj.persistent:
            self._state.domains.remove(obj)

    @staticmethod
    def _check_active(obj: DomainObject) -> None:
        if not obj.is_active():
            raise virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=_DOM_ERR)

    @staticmethod
    def _one_def(obj: DomainObject, flags: int) -> tuple[DomainDef, bool]:
        """virDomainObjGetOneDefState: the definition ``flags`` name and whether it is live.
        Asking for both is refused before the domain's state is looked at, as in libvirt."""
        if flags & _AFFECT_LIVE and flags & _AFFECT_CONFIG:
            text = "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive"
            raise virt_error(ErrorNumber.INVALID_ARG, text, domain=_DOM_ERR, message=text)
        live_def, config_def = TestDomains._defs(obj, flags)
        if live_def is not None and config_def is not None:
            text = "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive"
            raise virt_error(ErrorNumber.INVALID_ARG, text, domain=_DOM_ERR, message=text)
        if live_def is not None:
            return live_def, True
        assert config_def is not None
        return config_def, False

    @staticmethod
    def _defs(obj: DomainObject, flags: int) -> tuple[DomainDef | None, DomainDef | None]:
        """virDomainObjGetDefs: (live definition or None, persistent definition or None)."""
        active = obj.is_active()
        live = bool(flags & _AFFECT_LIVE)
        config = bool(flags & _AFFECT_CONFIG)
        if not live and not config:
            live, config = active, not active
        if live and not active:
            raise virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=_DOM_ERR)
        if config and not obj.persistent:
            raise virt_error(
                ErrorNumber.OPERATION_INVALID,
                "transient domains do not have any persistent config",
                domain=_DOM_ERR,
            )
        live_def = obj.definition if live else None
        config_def = None
        if config:
            if active:
                with obj.lock:
                    obj.prepare_live_change()
            config_def = obj.persistent_definition()
        return live_def, config_def

    # -- lookup ----------------------------------------------------------------------------------

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        obj = self._state.domains.by_name(name)
        if obj is None:
            raise test_error(ErrorNumber.NO_DOMAIN)
        return ref_of(obj)

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        obj = self._state.domains.by_uuid(uuid.lower())
        if obj is None:
            raise test_error(ErrorNumber.NO_DOMAIN)
        return ref_of(obj)

    def domain_lookup_by_id(self, id: int) -> DomainRef:
        obj = self._state.domains.by_id(id)
        if obj is None:
            raise test_error(ErrorNumber.NO_DOMAIN)
        return ref_of(obj)

    # -- lists -------------------------------------------------------------------------------------

    def connect_get_all_domain_stats(self, stats: int = 0, flags: int = 0) -> list[tuple[DomainRef, dict[str, object]]]:
        return self.domain_list_get_stats(self.connect_list_all_domains(flags & _LIST_FILTERS_ALL), stats, flags)

    def domain_list_get_stats(
        self, doms: list[DomainRef], stats: int = 0, flags: int = 0
    ) -> list[tuple[DomainRef, dict[str, object]]]:
        """Only the state group has figures in libvirt 9.0's test driver; the IOThread group
        is accepted and reports nothing."""
        unsupported_bits = stats & ~_STATS_SUPPORTED
        if flags & _STATS_ENFORCE and unsupported_bits:
            raise test_error(
                ErrorNumber.ARGUMENT_UNSUPPORTED,
                f"Stats types bits 0x{unsupported_bits:x} are not supported by this daemon",
            )
        want_state = not stats or stats & _STATS_STATE
        records = []
        for ref in doms:
            obj = self._obj(ref)
            params: dict[str, object] = {}
            if want_state:
                with obj.lock:
                    params["state.state"] = int(obj.state)
                    params["state.reason"] = int(obj.reason)
            records.append((ref_of(obj), params))
        return records

    def connect_list_all_domains(self, flags: int = 0) -> list[DomainRef]:
        check_flags(flags, _LIST_FILTERS_ALL, "testConnectListAllDomains")
        objs = self._state.domains.all()
        if not flags:
            return [ref_of(o) for o in objs]
        return [ref_of(o) for o in objs if _matches(o, flags)]

    def connect_num_of_domains(self) -> int:
        return self._state.domains.count(active=True)

    def connect_list_domains(self, maxids: int) -> list[int]:
        ids = sorted(o.id for o in self._state.domains.all() if o.is_active())
        return ids[: max(maxids, 0)]

    def connect_num_of_defined_domains(self) -> int:
        return self._state.domains.count(active=False)

    def connect_list_defined_domains(self, maxnames: int) -> list[str]:
        names = [o.name for o in self._state.domains.all() if not o.is_active()]
        return names[: max(maxnames, 0)]

    # -- define / create / undefine ----------------------------------------------------------------

    def domain_define_xml(self, xml: str, flags: int = 0) -> DomainRef:
        check_flags(flags, _VALIDATE, "testDomainDefineXMLFlags")
        definition = parse_domain(xml, validate=bool(flags & _VALIDATE))
        if "\n" in (definition.name or ""):
            text = "invalid char in name: \n"  # virXMLCheckIllegalChars
            raise virt_error(ErrorNumber.XML_DETAIL, text, domain=ErrorDomain.XML, message=text)
        obj, replaced = add_definition(self._state, definition, live=False)
        with obj.lock:
            obj.persistent = True
        detail = DomainEventDefinedDetail.UPDATED if replaced else DomainEventDefinedDetail.ADDED
        self._lifecycle_event(obj, DomainEventType.DEFINED, detail)
        return ref_of(obj)

    def domain_create_xml(self, xml: str, flags: int = 0) -> DomainRef:
        check_flags(flags, _START_VALIDATE, "testDomainCreateXML")
        definition = parse_domain(xml, validate=bool(flags & _START_VALIDATE))
        obj, _ = add_definition(self._state, definition, live=True, check_live=True)
        with obj.job("start", timeout=JOB_TIMEOUT):
            self._check_still_new(obj)
            start_state(self._state, obj, DomainRunningReason.BOOTED)
            self._lifecycle_event(obj, DomainEventType.STARTED, DomainEventStartedDetail.BOOTED)
            return ref_of(obj)

    def domain_undefine(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(
            flags, _UNDEFINE_MANAGED_SAVE | _UNDEFINE_SNAPSHOTS_METADATA, "testDomainUndefineFlags"
        )
        with self._job(dom, "undefine") as obj:
            if obj.has_managed_save and not flags & _UNDEFINE_MANAGED_SAVE:
                raise test_error(
                    ErrorNumber.OPERATION_INVALID,
                    "Refusing to undefine while domain managed save image exists",
                )
            nsnap = len(obj.snapshots) if obj.snapshots is not None else 0
            if not obj.is_active() and nsnap and not flags & _UNDEFINE_SNAPSHOTS_METADATA:
                raise test_error(
                    ErrorNumber.OPERATION_INVALID, f"cannot delete inactive domain with {nsnap} snapshots"
                )
            self._lifecycle_event(obj, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.REMOVED)
            with obj.lock:
                obj.has_managed_save = False
                if obj.is_active():
                    obj.persistent = False
                    return
            self._state.domains.remove(obj)

    # -- lifecycle -------------------------------------------------------------------------------

    def domain_create(self, dom: DomainRef, flags: int = 0) -> DomainRef:
        check_flags(flags, 0, "testDomainCreateWithFlags")
        with self._job(dom, "start") as obj:
            if obj.state != DomainState.SHUTOFF:
                raise test_error(ErrorNumber.INTERNAL_ERROR, f"Domain '{dom.name}' is already running")
            start_state(self._state, obj, DomainRunningReason.BOOTED)
            self._lifecycle_event(obj, DomainEventType.STARTED, DomainEventStartedDetail.BOOTED)
            return ref_of(obj)

    def domain_destroy(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, _DESTROY_GRACEFUL, "testDomainDestroyFlags")
        with self._job(dom, "destroy") as obj:
            self._check_active(obj)
            stop_state(obj, DomainShutoffReason.DESTROYED)
            self._lifecycle_event(obj, DomainEventType.STOPPED, DomainEventStoppedDetail.DESTROYED)
            self._remove_if_transient(obj)

    def _power_action(self, obj: DomainObject, action: str | None) -> None:
        """testDomainActionSetState: what the guest does on poweroff/reboot."""
        if action in ("restart", "rename-restart"):
            obj.set_state(DomainState.RUNNING, DomainRunningReason.BOOTED)
        else:
            obj.set_state(DomainState.SHUTOFF, DomainShutoffReason.SHUTDOWN)
        if obj.state == DomainState.SHUTOFF:
            stop_state(obj, DomainShutoffReason.SHUTDOWN)
            self._lifecycle_event(obj, DomainEventType.STOPPED, DomainEventStoppedDetail.SHUTDOWN)
            self._remove_if_transient(obj)

    def domain_shutdown(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainShutdownFlags")
        with self._job(dom, "shutdown") as obj:
            if obj.state == DomainState.SHUTOFF:
                raise test_error(ErrorNumber.INTERNAL_ERROR, f"domain '{dom.name}' not running")
            self._power_action(obj, obj.definition.on_poweroff)

    def domain_reboot(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, _REBOOT_ALL, "testDomainReboot")
        with self._job(dom, "reboot") as obj:
            self._check_active(obj)
            self._power_action(obj, obj.definition.on_reboot or "restart")

    def domain_reset(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainReset")
        with self._job(dom, "reset") as obj:
            self._check_active(obj)

    def domain_suspend(self, dom: DomainRef) -> None:
        with self._job(dom, "suspend") as obj:
            if obj.state in (DomainState.SHUTOFF, DomainState.PAUSED):
                raise test_error(ErrorNumber.INTERNAL_ERROR, f"domain '{dom.name}' not running")
            obj.set_state(DomainState.PAUSED, DomainPausedReason.USER)
            self._lifecycle_event(obj, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED)

    def domain_resume(self, dom: DomainRef) -> None:
        with self._job(dom, "resume") as obj:
            if obj.state != DomainState.PAUSED:
                raise test_error(ErrorNumber.INTERNAL_ERROR, f"domain '{dom.name}' not paused")
            obj.set_state(DomainState.RUNNING, DomainRunningReason.UNPAUSED)
            self._lifecycle_event(obj, DomainEventType.RESUMED, DomainEventResumedDetail.UNPAUSED)

    # -- state and description ---------------------------------------------------------------------

    def domain_get_xml_desc(self, dom: DomainRef, flags: int = 0) -> str:
        check_flags(flags, _XML_COMMON, "testDomainGetXMLDesc")
        obj = self._obj(dom)
        with obj.lock:
            inactive = bool(flags & _XML_INACTIVE)
            definition = obj.new_definition if inactive and obj.new_definition is not None else obj.definition
            domain_id = obj.id if obj.id != -1 and definition is obj.definition else None
            return definition.to_xml(inactive=inactive, secure=bool(flags & _XML_SECURE), domain_id=domain_id)

    def domain_get_info(self, dom: DomainRef) -> DomainInfo:
        obj = self._obj(dom)
        maximum, current, vcpus = facts_of(obj)  # a query: no lock for single-field reads
        return DomainInfo(int(obj.state), maximum, current, vcpus, time.time_ns())

    def domain_get_state(self, dom: DomainRef, flags: int = 0) -> tuple[int, int]:
        check_flags(flags, 0, "testDomainGetState")
        obj = self._obj(dom)
        with obj.lock:
            return int(obj.state), int(obj.reason)

    def domain_get_os_type(self, dom: DomainRef) -> str:
        self._obj(dom)
        return "linux"

    def domain_get_hostname(self, dom: DomainRef, flags: int = 0) -> str:
        check_flags(flags, 0, "testDomainGetHostname")
        self._check_active(self._obj(dom))
        return f"{dom.name}host"

    def domain_is_active(self, dom: DomainRef) -> bool:
        return self._obj(dom).is_active()

    def domain_is_persistent(self, dom: DomainRef) -> bool:
        return bool(self._obj(dom).persistent)

    def domain_is_updated(self, dom: DomainRef) -> bool:
        self._obj(dom)
        return False

    # -- resources ---------------------------------------------------------------------------------

    def domain_get_max_memory(self, dom: DomainRef) -> int:
        return facts_of(self._obj(dom))[0]

    def domain_set_memory_flags(self, dom: DomainRef, kib: int, flags: int = 0) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG | _MEM_MAXIMUM, "testDomainSetMemoryFlags")
        with self._job(dom, "modify") as obj:
            definition, live = self._one_def(obj, flags)
            with obj.lock, _edits(obj):
                if flags & _MEM_MAXIMUM:
                    if live:
                        raise test_error(
                            ErrorNumber.OPERATION_INVALID,
                            "cannot resize the maximum memory on an active domain",
                        )
                    if definition.element.find("cpu/numa/cell") is not None:
                        raise test_error(
                            ErrorNumber.OPERATION_INVALID,
                            "initial memory size of a domain with NUMA nodes cannot be modified with this API",
                        )
                    hotplug = definition.max_memory
                    if hotplug and hotplug < kib:
                        raise test_error(
                            ErrorNumber.OPERATION_INVALID,
                            "cannot set initial memory size greater than the maximum memory size",
                        )
                    definition.memory = kib
                    if (definition.current_memory or 0) > kib:
                        definition.current_memory = kib
                else:
                    if kib > (definition.memory or 0):
                        raise test_error(ErrorNumber.INVALID_ARG, "cannot set memory higher than max memory")
                    definition.current_memory = kib

    def domain_get_vcpus_flags(self, dom: DomainRef, flags: int = 0) -> int:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG | _VCPU_MAXIMUM, "testDomainGetVcpusFlags")
        obj = self._obj(dom)
        definition, _ = self._one_def(obj, flags & ~_VCPU_MAXIMUM)
        return definition.max_vcpus if flags & _VCPU_MAXIMUM else definition.vcpus

    def domain_get_max_vcpus(self, dom: DomainRef) -> int:
        return self.domain_get_vcpus_flags(dom, _AFFECT_LIVE | _VCPU_MAXIMUM)

    def domain_set_vcpus_flags(self, dom: DomainRef, nvcpus: int, flags: int = 0) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG | _VCPU_MAXIMUM, "testDomainSetVcpusFlags")
        if nvcpus > MAX_VCPUS:
            raise test_error(
                ErrorNumber.INVALID_ARG,
                f"requested cpu amount exceeds maximum supported amount ({nvcpus} > {MAX_VCPUS})",
            )
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags & ~_VCPU_MAXIMUM)
            with obj.lock, _edits(obj):
                if live_def is not None and live_def.max_vcpus < nvcpus:
                    raise test_error(
                        ErrorNumber.INVALID_ARG,
                        f"requested cpu amount exceeds maximum ({nvcpus} > {live_def.max_vcpus})",
                    )
                if (
                    config_def is not None
                    and not flags & _VCPU_MAXIMUM
                    and config_def.max_vcpus < nvcpus
                ):
                    raise test_error(
                        ErrorNumber.INVALID_ARG,
                        f"requested cpu amount exceeds maximum ({nvcpus} > {config_def.max_vcpus})",
                    )
                if live_def is not None:
                    live_def.vcpus = nvcpus
                if config_def is not None:
                    if flags & _VCPU_MAXIMUM:
                        _set_max_vcpus(config_def, nvcpus)
                    else:
                        config_def.vcpus = nvcpus

    # -- autostart and metadata --------------------------------------------------------------------

    def domain_get_autostart(self, dom: DomainRef) -> bool:
        return bool(self._obj(dom).autostart)

    def domain_set_autostart(self, dom: DomainRef, autostart: bool) -> None:
        with self._job(dom, "modify") as obj, obj.lock:
            obj.autostart = bool(autostart)

    def domain_get_metadata(self, dom: DomainRef, type: int, uri: str | None, flags: int = 0) -> str:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG, "testDomainGetMetadata")
        obj = self._obj(dom)
        definition, _ = self._one_def(obj, flags)
        with obj.lock:
            if type == DomainMetadataType.TITLE:
                value = definition.title
            elif type == DomainMetadataType.DESCRIPTION:
                value = definition.description
            elif type == DomainMetadataType.ELEMENT:
                value = definition.get_metadata(uri or "")
            else:
                raise virt_error(ErrorNumber.INVALID_ARG, f"unknown metadata type '{type}'", domain=_DOM_ERR)
        if value is None:
            raise virt_error(
                ErrorNumber.NO_DOMAIN_METADATA,
                "Requested metadata element is not present",
                domain=_DOM_ERR,
            )
        return value

    def domain_set_metadata(
        self,
        dom: DomainRef,
        type: int,
        metadata: str | None,
        key: str | None,
        uri: str | None,
        flags: int = 0,
    ) -> None:
        check_flags(flags, _AFFECT_LIVE | _AFFECT_CONFIG, "testDomainSetMetadata")
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            with obj.lock:
                for definition in (live_def, config_def):
                    if definition is None:
                        continue
                    if type == DomainMetadataType.TITLE:
                        _set_text_child(definition, "title", metadata or None)
                    elif type == DomainMetadataType.DESCRIPTION:
                        _set_text_child(definition, "description", metadata or None)
                    elif type == DomainMetadataType.ELEMENT:
                        definition.set_metadata(metadata, key, uri)
                    else:
                        raise virt_error(
                            ErrorNumber.INVALID_ARG, f"unknown metadata type '{type}'", domain=_DOM_ERR
                        )

    # -- save / restore / managed save -------------------------------------------------------------

    def domain_save(self, dom: DomainRef, path: str, dxml: str | None = None, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainSaveFlags")
        if dxml is not None:  # libvirt tests the pointer: even an empty document is refused
            raise test_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification unsupported")
        with self._job(dom, "save") as obj:
            self._check_active(obj)
            _write_image(path, obj.definition)
            stop_state(obj, DomainShutoffReason.SAVED)
            self._lifecycle_event(obj, DomainEventType.STOPPED, DomainEventStoppedDetail.SAVED)
            self._remove_if_transient(obj)

    def domain_restore(self, path: str, dxml: str | None = None, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainRestoreFlags")
        if dxml is not None:  # libvirt tests the pointer: even an empty document is refused
            raise test_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification unsupported")
        definition = _read_image(path)
        generate_ifnames(definition)
        obj, _ = add_definition(self._state, definition, live=True, check_live=True)
        with obj.job("restore", timeout=JOB_TIMEOUT):
            self._check_still_new(obj)
            start_state(self._state, obj, DomainRunningReason.RESTORED)
            self._lifecycle_event(obj, DomainEventType.STARTED, DomainEventStartedDetail.RESTORED)

    def domain_save_image_get_xml_desc(self, path: str, flags: int = 0) -> str:
        check_flags(flags, _SAVE_IMAGE_XML_SECURE, "testDomainSaveImageGetXMLDesc")
        return _read_image(path).to_xml(secure=True)

    def domain_save_image_define_xml(self, path: str, dxml: str, flags: int = 0) -> None:
        check_flags(flags, _SAVE_RUNNING | _SAVE_PAUSED, "testDomainSaveImageDefineXML")
        _read_image(path)
        _write_image(path, DomainDef.from_xml(dxml))

    def domain_managed_save(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, _SAVE_BYPASS_CACHE | _SAVE_RUNNING | _SAVE_PAUSED, "testDomainManagedSave")
        with self._job(dom, "save") as obj:
            self._check_active(obj)
            if not obj.persistent:
                raise test_error(
                    ErrorNumber.OPERATION_INVALID, "cannot do managed save for transient domain"
                )
            stop_state(obj, DomainShutoffReason.SAVED)
            with obj.lock:
                obj.has_managed_save = True
            self._lifecycle_event(obj, DomainEventType.STOPPED, DomainEventStoppedDetail.SAVED)

    def domain_has_managed_save_image(self, dom: DomainRef, flags: int = 0) -> bool:
        check_flags(flags, 0, "testDomainHasManagedSaveImage")
        return bool(self._obj(dom).has_managed_save)

    def domain_managed_save_remove(self, dom: DomainRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testDomainManagedSaveRemove")
        with self._job(dom, "modify") as obj, obj.lock:
            obj.has_managed_save = False

    # -- rename ----------------------------------------------------------------------------------

    def domain_rename(self, dom: DomainRef, new_name: str, flags: int = 0) -> DomainRef:
        check_flags(flags, 0, "testDomainRename")
        with self._job(dom, "rename") as obj:
            if obj.is_active():
                raise test_error(ErrorNumber.OPERATION_INVALID, "cannot rename active domain")
            if not obj.persistent:
                raise test_error(ErrorNumber.OPERATION_INVALID, "cannot rename a transient domain")
            if obj.state != DomainState.SHUTOFF:
                raise test_error(ErrorNumber.OPERATION_INVALID, "domain has to be shutoff before renaming")
            with self._state.lock:
                if obj.name == new_name:
                    raise virt_error(
                        ErrorNumber.OPERATION_INVALID, "Can't rename domain to itself", domain=_DOM_ERR
                    )
                if self._state.domains.by_name(new_name) is not None:
                    raise virt_error(
                        ErrorNumber.OPERATION_INVALID,
                        f"domain with name '{new_name}' already exists",
                        domain=_DOM_ERR,
                    )
                if "/" in new_name:
                    raise test_error(ErrorNumber.XML_ERROR, f"name {new_name} cannot contain '/'")
                old = _lifecycle(obj, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.RENAMED)
                self._state.domains.rename(obj, new_name)
                obj.driver_data["gen"] = obj.driver_data.get("gen", 0) + 1
            self._emit(old)
            self._lifecycle_event(obj, DomainEventType.DEFINED, DomainEventDefinedDetail.RENAMED)
            return ref_of(obj)

    # -- events ----------------------------------------------------------------------------------

    def connect_domain_event_register_any(
        self, dom: DomainRef | None, event_id: int, callback: Callable[[object], None]
    ) -> int:
        event_class = _EVENT_CLASSES.get(event_id)
        if event_class is None:
            # an event kind the test hypervisor never produces: accept, never deliver
            return self._state.events.register(callback, match=lambda ev: False)
        if dom is None:
            return self._state.events.register(callback, event_class)
        uuid = dom.uuid
        return self._state.events.register(callback, event_class, match=lambda ev: ev.domain.uuid == uuid)

    def connect_domain_event_deregister_any(self, callback_id: int) -> None:
        self._state.events.deregister(callback_id)


# -- helpers -------------------------------------------------------------------------------------

#: the event kinds the test hypervisor produces, by DomainEventID
_EVENT_CLASSES: dict[int, type] = {
    DomainEventID.LIFECYCLE: DomainLifecycleEvent,
    DomainEventID.REBOOT: DomainRebootEvent,
}


def _set_text_child(definition: DomainDef, tag: str, text: str | None) -> None:
    """Set or drop <title>/<description>, placed where libvirt writes it."""
    from ...conf.domain.tables import insert_child

    root = definition.element
    old = root.find(tag)
    if text is None:
        if old is not None:
            root.remove(old)
        return
    if old is None:
        old = etree.Element(tag)
        insert_child(root, old)
    old.text = text


def _set_max_vcpus(definition: DomainDef, nvcpus: int) -> None:
    """virDomainDefSetVcpusMax: a lower maximum also lowers the current count."""
    current = definition.vcpus
    vcpu = definition.element.find("vcpu")
    if vcpu is not None:
        vcpu.attrib.pop("current", None)
    definition.max_vcpus = nvcpus
    if current < nvcpus:
        definition.vcpus = current


def _matches(obj: DomainObject, flags: int) -> bool:
    """libvirt's virDomainObjListFilter for virConnectListAllDomains."""
    active = obj.is_active()
    if flags & (LF.ACTIVE | LF.INACTIVE) and not (
        (flags & LF.ACTIVE and active) or (flags & LF.INACTIVE and not active)
    ):
        return False
    if flags & (LF.PERSISTENT | LF.TRANSIENT) and not (
        (flags & LF.PERSISTENT and obj.persistent) or (flags & LF.TRANSIENT and not obj.persistent)
    ):
        return False
    if flags & (LF.RUNNING | LF.PAUSED | LF.SHUTOFF | LF.OTHER):
        state = obj.state
        ok = (
            (flags & LF.RUNNING and state == DomainState.RUNNING)
            or (flags & LF.PAUSED and state == DomainState.PAUSED)
            or (flags & LF.SHUTOFF and state == DomainState.SHUTOFF)
            or (
                flags & LF.OTHER
                and state not in (DomainState.RUNNING, DomainState.PAUSED, DomainState.SHUTOFF)
            )
        )
        if not ok:
            return False
    if flags & (LF.MANAGEDSAVE | LF.NO_MANAGEDSAVE) and not (
        (flags & LF.MANAGEDSAVE and obj.has_managed_save)
        or (flags & LF.NO_MANAGEDSAVE and not obj.has_managed_save)
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
    if flags & (LF.HAS_CHECKPOINT | LF.NO_CHECKPOINT) and not flags & LF.NO_CHECKPOINT:
        return False  # the test hypervisor has no checkpoints
    return True


def _write_image(path: str, definition: DomainDef) -> None:
    """The test driver's save image: magic, native int length, the secure domain XML."""
    data = definition.to_xml(secure=True).encode()
    name = definition.name
    try:
        fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise test_error(
            ErrorNumber.SYSTEM_ERROR, f"saving domain '{name}' to '{path}': open failed: {exc.strerror}"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(SAVE_MAGIC + struct.pack("=i", len(data)) + data)
    except OSError as exc:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise test_error(
            ErrorNumber.SYSTEM_ERROR, f"saving domain '{name}' to '{path}': write failed: {exc.strerror}"
        ) from None


def _read_image(path: str) -> DomainDef:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(SAVE_MAGIC))
            if len(magic) != len(SAVE_MAGIC):
                raise test_error(ErrorNumber.SYSTEM_ERROR, f"incomplete save header in '{path}'")
            if magic != SAVE_MAGIC:
                raise test_error(ErrorNumber.INTERNAL_ERROR, "mismatched header magic")
            raw = fh.read(4)
            if len(raw) != 4:
                raise test_error(ErrorNumber.SYSTEM_ERROR, f"failed to read metadata length in '{path}'")
            (length,) = struct.unpack("=i", raw)
            if length < 1 or length > 8192:
                raise test_error(ErrorNumber.INTERNAL_ERROR, "length of metadata out of range")
            data = fh.read(length)
            if len(data) != length:
                raise test_error(ErrorNumber.SYSTEM_ERROR, f"incomplete metadata in '{path}'")
    except OSError as exc:
        raise test_error(
            ErrorNumber.SYSTEM_ERROR, f"cannot read domain image '{path}': {exc.strerror}"
        ) from None
    return DomainDef.from_xml(data)
