"""Domain definitions as the QEMU driver accepts them, and the list filters over domains."""

from __future__ import annotations

from ...conf import DomainDef
from ...enums import ConnectListAllDomainsFlags as LF
from ...enums import DomainState
from ...objects.domain import DomainObject
from . import command

__all__ = ["parse_definition", "list_filter_matches"]


def parse_definition(xml: str, *, validate: bool = False) -> DomainDef:
    """Generic parse, then the QEMU driver's own checks and implicit devices."""
    definition = DomainDef.from_xml(xml, validate=validate)
    root = definition.element
    emulator = root.findtext("devices/emulator") or command.DEFAULT_EMULATOR
    command.check_virt_type(root, emulator)
    command.prepare_definition(root, live=False)
    return definition


def list_filter_matches(obj: DomainObject, flags: int) -> bool:
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
