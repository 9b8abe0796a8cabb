"""Virtual networks in the test driver (libvirt's testNetwork* calls).

A network is a definition plus active/persistent/autostart flags; nothing is set up on the
host. Defining a running network stores the new definition as pending (libvirt's newDef),
which libvirt's test driver then never applies; pyvirt does the same. Life-cycle changes are
announced on the state's event bus.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ...driver.network import NetworkDriver
from ...driver.refs import NetworkRef
from ...enums import ConnectListAllNetworksFlags as F
from ...enums import NetworkEventID, NetworkEventType
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ...events import NetworkLifecycleEvent
from .nodefile import resolve_include
from .objlist import HostObject, ObjList
from .state import DeferredHostObject, check_flags, test_error

if TYPE_CHECKING:
    from lxml import etree

    from ...conf.network import NetworkDef
    from .state import TestState

__all__ = ["TestNetworks", "init_state", "load_node"]

_ERR = ErrorDomain.NETWORK
_UPDATE_LIVE, _UPDATE_CONFIG = 1, 2  # VIR_NETWORK_UPDATE_AFFECT_*
_ALL_LIST = F.INACTIVE | F.ACTIVE | F.PERSISTENT | F.TRANSIENT | F.AUTOSTART | F.NO_AUTOSTART


def init_state(state: TestState) -> None:
    state.networks = ObjList()  # type: ignore[attr-defined]


def load_node(state: TestState, root: etree._Element, base_dir: str | None) -> None:
    """``<network>`` elements of a node file: persistent and running (testParseNetworks)."""
    nets: ObjList[HostObject] = state.networks  # type: ignore[attr-defined]
    for el in root.findall("network"):
        el = resolve_include(el, base_dir, "network")
        if state.deferred_parse:  # the built-in default: parsed on first use
            obj = DeferredHostObject(partial(_parse_element, el), el.findtext("name", ""), el.findtext("uuid", ""))
            obj.active = True
            nets.add(obj)
            continue
        definition = _parse_element(el)
        _assign(nets, definition, live=False)
        obj = nets.by_name(definition.name)
        assert obj is not None
        obj.active = True


def _parse_element(el: etree._Element) -> NetworkDef:
    from ...conf.network import NetworkDef

    return NetworkDef.from_element(_detached(el))


def _detached(el: etree._Element) -> etree._Element:
    import copy

    return copy.deepcopy(el)


def _ref(obj: HostObject) -> NetworkRef:
    return NetworkRef(obj.name, obj.uuid)


def _assign(nets: ObjList[HostObject], definition: NetworkDef, *, live: bool) -> HostObject:
    """virNetworkObjAssignDef: name and uuid must agree with any existing network."""
    uuid = (definition.uuid or "").lower()
    same_uuid = nets.by_uuid(uuid)
    if same_uuid is not None:
        if same_uuid.name != definition.name:
            raise virt_error(
                ErrorNumber.OPERATION_FAILED,
                f"network '{same_uuid.name}' is already defined with uuid {same_uuid.uuid}",
                domain=_ERR,
            )
        if live:
            if same_uuid.active:
                raise virt_error(
                    ErrorNumber.OPERATION_INVALID, f"network is already active as '{same_uuid.name}'", domain=_ERR
                )
            if same_uuid.persistent and same_uuid.new_definition is None:
                same_uuid.new_definition = same_uuid.definition  # kept for after the stop
            same_uuid.definition = definition
        elif same_uuid.active:
            same_uuid.new_definition = definition
        else:
            same_uuid.definition = definition
        return same_uuid
    same_name = nets.by_name(definition.name)
    if same_name is not None:
        raise virt_error(
            ErrorNumber.OPERATION_FAILED,
            f"network '{same_name.name}' already exists with uuid {same_name.uuid}",
            domain=_ERR,
        )
    obj = HostObject(definition, persistent=not live, active=False)
    nets.add(obj)
    return obj


class TestNetworks(NetworkDriver):
    """Network calls of the test driver; needs ``self._state``."""

    _state: TestState

    @property
    def _nets(self) -> ObjList[HostObject]:
        return self._state.networks  # type: ignore[attr-defined, no-any-return]

    def _net(self, net: NetworkRef) -> HostObject:
        obj = self._nets.by_uuid(net.uuid) if net.uuid else None
        if obj is None:
            raise test_error(ErrorNumber.NO_NETWORK, f"no network with matching uuid '{net.uuid}' ({net.name})")
        return obj

    def _net_event(self, obj: HostObject, event: NetworkEventType) -> None:
        self._state.events.emit(NetworkLifecycleEvent(_ref(obj), event, 0))

    # -- lists -----------------------------------------------------------------------------------
    def connect_list_all_networks(self, flags: int = 0) -> list[NetworkRef]:
        check_flags(flags, _ALL_LIST, "testConnectListAllNetworks")
        with self._nets.lock:
            return [_ref(o) for o in self._nets if _matches(o, flags)]

    def connect_num_of_networks(self) -> int:
        with self._nets.lock:
            return sum(1 for o in self._nets if o.active)

    def connect_list_networks(self, maxnames: int) -> list[str]:
        with self._nets.lock:
            return [o.name for o in self._nets if o.active][: max(maxnames, 0)]

    def connect_num_of_defined_networks(self) -> int:
        with self._nets.lock:
            return sum(1 for o in self._nets if not o.active)

    def connect_list_defined_networks(self, maxnames: int) -> list[str]:
        with self._nets.lock:
            return [o.name for o in self._nets if not o.active][: max(maxnames, 0)]

    # -- lookups ---------------------------------------------------------------------------------
    def network_lookup_by_name(self, name: str) -> NetworkRef:
        with self._nets.lock:
            obj = self._nets.by_name(name)
            if obj is None:
                raise test_error(ErrorNumber.NO_NETWORK, f"no network with matching name '{name}'")
            return _ref(obj)

    def network_lookup_by_uuid(self, uuid: str) -> NetworkRef:
        with self._nets.lock:
            obj = self._nets.by_uuid(uuid)
            if obj is None:
                raise test_error(ErrorNumber.NO_NETWORK, f"no network with matching uuid '{uuid}'")
            return _ref(obj)

    # -- life cycle ------------------------------------------------------------------------------
    def network_define_xml(self, xml: str, flags: int = 0) -> NetworkRef:
        check_flags(flags, 1, "testNetworkDefineXMLFlags")
        from ...conf.network import NetworkDef

        definition = NetworkDef.from_xml(xml, validate=bool(flags & 1))
        with self._nets.lock:
            obj = _assign(self._nets, definition, live=False)
            obj.persistent = True
            self._net_event(obj, NetworkEventType.DEFINED)
            return _ref(obj)

    def network_create_xml(self, xml: str, flags: int = 0) -> NetworkRef:
        check_flags(flags, 1, "testNetworkCreateXMLFlags")
        from ...conf.network import NetworkDef

        definition = NetworkDef.from_xml(xml, validate=bool(flags & 1))
        with self._nets.lock:
            obj = _assign(self._nets, definition, live=True)
            obj.active = True
            self._net_event(obj, NetworkEventType.STARTED)
            return _ref(obj)

    def network_undefine(self, net: NetworkRef) -> None:
        with self._nets.lock:
            obj = self._net(net)
            if obj.active:
                raise test_error(ErrorNumber.OPERATION_INVALID, f"Network '{obj.name}' is still running")
            self._net_event(obj, NetworkEventType.UNDEFINED)
            self._nets.remove(obj)

    def network_create(self, net: NetworkRef) -> None:
        with self._nets.lock:
            obj = self._net(net)
            if obj.active:
                raise test_error(ErrorNumber.OPERATION_INVALID, f"Network '{obj.name}' is already running")
            obj.active = True
            self._net_event(obj, NetworkEventType.STARTED)

    def network_destroy(self, net: NetworkRef) -> None:
        with self._nets.lock:
            obj = self._net(net)
            obj.active = False
            # libvirt's test driver never applies a definition made while the network ran
            # (its newDef): the network keeps showing, and restarting with, the old one
            self._net_event(obj, NetworkEventType.STOPPED)
            if not obj.persistent:
                self._nets.remove(obj)

    def network_update(self, net: NetworkRef, command: int, section: int, index: int, xml: str, flags: int = 0) -> None:
        """testNetworkUpdate: the live definition, the persistent one, or (0) whichever applies."""
        from .network_update import update_network

        check_flags(flags, _UPDATE_LIVE | _UPDATE_CONFIG, "testNetworkUpdate")
        with self._nets.lock:
            obj = self._net(net)
            if not flags & (_UPDATE_LIVE | _UPDATE_CONFIG):
                flags |= _UPDATE_LIVE if obj.active else _UPDATE_CONFIG
            if flags & _UPDATE_CONFIG and not obj.persistent:
                raise virt_error(
                    ErrorNumber.OPERATION_INVALID, "cannot change persistent config of a transient network",
                    domain=_ERR,
                )
            if flags & _UPDATE_LIVE and not obj.active:
                raise virt_error(ErrorNumber.OPERATION_INVALID, "network is not running", domain=_ERR)
            # compute every result before changing anything: a failed update changes nothing
            live = update_network(obj.definition, command, section, index, xml) if flags & _UPDATE_LIVE else None
            config = None
            if flags & _UPDATE_CONFIG:
                base = obj.persistent_definition() if obj.active else obj.definition
                config = update_network(base, command, section, index, xml)
            if live is not None:
                # as in libvirt's test driver, a running network has no separate persistent
                # definition unless one was defined while it ran: then the live change is
                # also the configuration
                obj.definition = live
            if config is not None:
                if obj.active:
                    obj.new_definition = config
                else:
                    obj.definition = config

    # -- properties ------------------------------------------------------------------------------
    def network_get_xml_desc(self, net: NetworkRef, flags: int = 0) -> str:
        check_flags(flags, 0, "testNetworkGetXMLDesc")
        with self._nets.lock:
            return self._net(net).definition.to_xml()  # type: ignore[no-any-return]

    def network_get_bridge_name(self, net: NetworkRef) -> str:
        with self._nets.lock:
            obj = self._net(net)
            bridge = obj.definition.bridge
            if not bridge:
                raise test_error(ErrorNumber.INTERNAL_ERROR, f"network '{obj.name}' does not have a bridge name.")
            return bridge  # type: ignore[no-any-return]

    def network_get_autostart(self, net: NetworkRef) -> bool:
        with self._nets.lock:
            return self._net(net).autostart

    def network_set_autostart(self, net: NetworkRef, autostart: bool) -> None:
        with self._nets.lock:
            self._net(net).autostart = bool(autostart)

    def network_is_active(self, net: NetworkRef) -> bool:
        with self._nets.lock:
            return self._net(net).active

    def network_is_persistent(self, net: NetworkRef) -> bool:
        with self._nets.lock:
            return self._net(net).persistent

    # -- events ----------------------------------------------------------------------------------
    def connect_network_event_register_any(
        self, net: NetworkRef | None, event_id: int, callback: Callable[[Any], None]
    ) -> int:
        if event_id not in NetworkEventID._value2member_map_:
            raise virt_error(
                ErrorNumber.INVALID_ARG,
                f"eventID in virConnectNetworkEventRegisterAny must be less than {len(NetworkEventID)}",
                domain=_ERR,
            )
        if net is None:
            return self._state.events.register(callback, NetworkLifecycleEvent)
        uuid = net.uuid
        return self._state.events.register(callback, NetworkLifecycleEvent, match=lambda ev: ev.network.uuid == uuid)

    def connect_network_event_deregister_any(self, callback_id: int) -> None:
        self._state.events.deregister(callback_id)


def _matches(obj: HostObject, flags: int) -> bool:
    """virConnectListAllNetworks's filter groups; a group with no bit set keeps everything."""
    if flags & (F.ACTIVE | F.INACTIVE) and not (
        (flags & F.ACTIVE and obj.active) or (flags & F.INACTIVE and not obj.active)
    ):
        return False
    if flags & (F.PERSISTENT | F.TRANSIENT) and not (
        (flags & F.PERSISTENT and obj.persistent) or (flags & F.TRANSIENT and not obj.persistent)
    ):
        return False
    if flags & (F.AUTOSTART | F.NO_AUTOSTART) and not (
        (flags & F.AUTOSTART and obj.autostart) or (flags & F.NO_AUTOSTART and not obj.autostart)
    ):
        return False
    return True
