"""Host interfaces in the test driver (libvirt's testInterface* calls).

Interfaces are definitions plus an active flag. libvirt's change transactions are modelled
as it does them: ``change_begin`` keeps a re-parsed copy of every definition, ``rollback``
puts that copy back (its interfaces come back inactive, as in libvirt, whose copy does not
carry the run state), ``commit`` drops it.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import TYPE_CHECKING

from ...driver.interface import InterfaceDriver
from ...driver.refs import InterfaceRef
from ...enums import ConnectListAllInterfacesFlags as F
from ...errors import ErrorNumber
from .nodefile import resolve_include
from .objlist import HostObject, ObjList
from .state import DeferredHostObject, check_flags, test_error

if TYPE_CHECKING:
    from lxml import etree

    from ...conf.interface import InterfaceDef
    from .state import TestState

__all__ = ["TestInterfaces", "init_state", "load_node"]


def init_state(state: TestState) -> None:
    state.interfaces = ObjList()  # type: ignore[attr-defined]
    state.interface_backup = None  # type: ignore[attr-defined]


def load_node(state: TestState, root: etree._Element, base_dir: str | None) -> None:
    """``<interface>`` elements of a node file: all active (testParseInterfaces)."""
    ifaces: ObjList[HostObject] = state.interfaces  # type: ignore[attr-defined]
    for el in root.findall("interface"):
        el = resolve_include(el, base_dir, "interface")
        name = el.get("name")
        if state.deferred_parse and name:  # the built-in default: parsed on first use
            obj = DeferredHostObject(partial(_parse_element, el), name, "")
            obj.active = True
            ifaces.add(obj)
            continue
        definition = _parse_element(el)
        obj = _assign(ifaces, definition)
        obj.active = True


def _parse_element(el: etree._Element) -> InterfaceDef:
    from ...conf.interface import InterfaceDef

    return InterfaceDef.from_element(copy.deepcopy(el))


def _reparse(definition: InterfaceDef) -> InterfaceDef:
    """A detached copy of ``definition`` (written out and read back, as libvirt copies it)."""
    from ...conf.interface import InterfaceDef

    return InterfaceDef.from_xml(definition.to_xml())


def _assign(ifaces: ObjList[HostObject], definition: InterfaceDef) -> HostObject:
    obj = ifaces.by_name(definition.name)
    if obj is not None:
        obj.definition = definition
        return obj
    obj = HostObject(definition)
    ifaces.add(obj)
    return obj


def _ref(obj: HostObject) -> InterfaceRef:
    return InterfaceRef(obj.name, obj.definition.mac or "")


class TestInterfaces(InterfaceDriver):
    """Interface calls of the test driver; needs ``self._state``."""

    _state: TestState

    @property
    def _ifaces(self) -> ObjList[HostObject]:
        return self._state.interfaces  # type: ignore[attr-defined, no-any-return]

    def _iface(self, ref: InterfaceRef) -> HostObject:
        obj = self._ifaces.by_name(ref.name)
        if obj is None:
            raise test_error(ErrorNumber.NO_INTERFACE, f"no interface with matching name '{ref.name}'")
        return obj

    # -- lists and lookups ------------------------------------------------------------------------
    def connect_list_all_interfaces(self, flags: int = 0) -> list[InterfaceRef]:
        check_flags(flags, F.ACTIVE | F.INACTIVE, "testConnectListAllInterfaces")
        with self._ifaces.lock:
            out = []
            for o in self._ifaces:
                if flags & (F.ACTIVE | F.INACTIVE) and not (
                    (flags & F.ACTIVE and o.active) or (flags & F.INACTIVE and not o.active)
                ):
                    continue
                out.append(_ref(o))
            return out

    def connect_num_of_interfaces(self) -> int:
        with self._ifaces.lock:
            return sum(1 for o in self._ifaces if o.active)

    def connect_list_interfaces(self, maxnames: int) -> list[str]:
        with self._ifaces.lock:
            return [o.name for o in self._ifaces if o.active][: max(maxnames, 0)]

    def connect_num_of_defined_interfaces(self) -> int:
        with self._ifaces.lock:
            return sum(1 for o in self._ifaces if not o.active)

    def connect_list_defined_interfaces(self, maxnames: int) -> list[str]:
        with self._ifaces.lock:
            return [o.name for o in self._ifaces if not o.active][: max(maxnames, 0)]

    def interface_lookup_by_name(self, name: str) -> InterfaceRef:
        with self._ifaces.lock:
            obj = self._ifaces.by_name(name)
            if obj is None:
                raise test_error(ErrorNumber.NO_INTERFACE, f"no interface with matching name '{name}'")
            return _ref(obj)

    def interface_lookup_by_mac_string(self, mac: str) -> InterfaceRef:
        with self._ifaces.lock:
            hits = [o for o in self._ifaces if (o.definition.mac or "").lower() == mac.lower()]
            if not hits:
                raise test_error(ErrorNumber.NO_INTERFACE, f"no interface with matching mac '{mac}'")
            if len(hits) > 1:
                raise test_error(ErrorNumber.MULTIPLE_INTERFACES, "multiple interfaces with matching MAC address")
            return _ref(hits[0])

    # -- definitions and state --------------------------------------------------------------------
    def interface_get_xml_desc(self, iface: InterfaceRef, flags: int = 0) -> str:
        check_flags(flags, 0, "testInterfaceGetXMLDesc")
        with self._ifaces.lock:
            return self._iface(iface).definition.to_xml()  # type: ignore[no-any-return]

    def interface_define_xml(self, xml: str, flags: int = 0) -> InterfaceRef:
        check_flags(flags, 1, "testInterfaceDefineXML")
        from ...conf.interface import InterfaceDef

        definition = InterfaceDef.from_xml(xml, validate=bool(flags & 1))
        with self._ifaces.lock:
            return _ref(_assign(self._ifaces, definition))

    def interface_undefine(self, iface: InterfaceRef) -> None:
        with self._ifaces.lock:
            self._ifaces.remove(self._iface(iface))

    def interface_create(self, iface: InterfaceRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testInterfaceCreate")
        with self._ifaces.lock:
            obj = self._iface(iface)
            if obj.active:
                raise test_error(ErrorNumber.OPERATION_INVALID)
            obj.active = True

    def interface_destroy(self, iface: InterfaceRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testInterfaceDestroy")
        with self._ifaces.lock:
            obj = self._iface(iface)
            if not obj.active:
                raise test_error(ErrorNumber.OPERATION_INVALID)
            obj.active = False

    def interface_is_active(self, iface: InterfaceRef) -> bool:
        with self._ifaces.lock:
            return self._iface(iface).active

    # -- transactions ------------------------------------------------------------------------------
    def interface_change_begin(self, flags: int = 0) -> None:
        check_flags(flags, 0, "testInterfaceChangeBegin")
        state = self._state
        with self._ifaces.lock:
            if state.interface_backup is not None:  # type: ignore[attr-defined]
                raise test_error(ErrorNumber.OPERATION_INVALID, "there is another transaction running.")
            backup: ObjList[HostObject] = ObjList()
            for o in self._ifaces:
                backup.add(HostObject(_reparse(o.definition)))
            state.interface_backup = backup  # type: ignore[attr-defined]

    def interface_change_commit(self, flags: int = 0) -> None:
        check_flags(flags, 0, "testInterfaceChangeCommit")
        state = self._state
        with self._ifaces.lock:
            if state.interface_backup is None:  # type: ignore[attr-defined]
                raise test_error(ErrorNumber.OPERATION_INVALID, "no transaction running, nothing to be committed.")
            state.interface_backup = None  # type: ignore[attr-defined]

    def interface_change_rollback(self, flags: int = 0) -> None:
        check_flags(flags, 0, "testInterfaceChangeRollback")
        state = self._state
        with self._ifaces.lock:
            backup = state.interface_backup  # type: ignore[attr-defined]
            if backup is None:
                raise test_error(ErrorNumber.OPERATION_INVALID, "no transaction running, nothing to rollback.")
            self._ifaces.clear()
            for o in backup:
                self._ifaces.add(o)
            state.interface_backup = None  # type: ignore[attr-defined]
