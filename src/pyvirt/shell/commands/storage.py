"""Storage pool and volume commands (virsh's 'pool' and 'volume' groups)."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..format import capacity, table
from ..options import ParsedCommand
from ..util import lib_message, opt_string, read_file, scaled_value
from . import command

POOL_STATES = ["inactive", "building", "running", "degraded", "inaccessible"]
VOL_TYPES = ["file", "block", "dir", "network", "netdir", "ploop"]


def lookup_pool(ctl: Control, cmd: ParsedCommand, opt: str = "pool", *,
                by_uuid: bool = True, by_name: bool = True):
    text = opt_string(cmd, opt)
    return lookup_pool_text(ctl, text, by_uuid=by_uuid, by_name=by_name, trace=(cmd.cmd.name, opt))


def lookup_pool_text(ctl: Control, text: str, *, by_uuid: bool = True, by_name: bool = True,
                     trace: tuple[str, str] | None = None):
    conn = ctl.conn
    last: VirtError | None = None
    if trace:
        ctl.debug_log(1, f"{trace[0]}: found option <{trace[1]}>: {text}\n")
    if by_uuid and len(text) == 36:
        if trace:
            ctl.debug_log(0, f"{trace[0]}: <{trace[1]}> trying as pool UUID\n")
        try:
            return conn.lookup_storage_pool_by_uuid(text)
        except VirtError as exc:
            last = exc
    if by_name:
        if trace:
            ctl.debug_log(0, f"{trace[0]}: <{trace[1]}> trying as pool NAME\n")
        try:
            return conn.lookup_storage_pool_by_name(text)
        except VirtError as exc:
            last = exc
    raise CommandError(f"failed to get pool '{text}'", *([lib_message(last)] if last else []))


def lookup_volume(ctl: Control, cmd: ParsedCommand, opt: str = "vol"):
    """A volume by name inside --pool, else by key, else by path (virsh's order)."""
    text = opt_string(cmd, opt)
    pool_name = opt_string(cmd, "pool") if cmd.cmd.option("pool") else None
    name = cmd.cmd.name
    pool = lookup_pool_text(ctl, pool_name, trace=(name, "pool")) if pool_name else None
    last: VirtError | None = None
    ctl.debug_log(0, f"{name}: found option <{opt}>: {text}\n")
    if pool is not None:
        ctl.debug_log(0, f"{name}: <{opt}> trying as vol name\n")
        try:
            return pool.lookup_volume(text)
        except VirtError as exc:
            last = exc
    for how, finder in (("key", ctl.conn.lookup_storage_volume_by_key),
                        ("path", ctl.conn.lookup_storage_volume_by_path)):
        ctl.debug_log(0, f"{name}: <{opt}> trying as vol {how}\n")
        try:
            return finder(text)
        except VirtError as exc:
            last = exc
    if pool is not None or not cmd.cmd.option("pool"):
        first = f"failed to get vol '{text}'"
    else:
        first = f"failed to get vol '{text}', specifying --pool might help"
    raise CommandError(first, *([lib_message(last)] if last else []))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@command("pool-list")
def cmd_pool_list(ctl: Control, cmd: ParsedCommand) -> bool:
    f = cmd.flag
    if f("name") and f("details"):
        raise CommandError("Options --details and --name are mutually exclusive")
    if f("uuid") and f("details"):
        raise CommandError("Options --details and --uuid are mutually exclusive")
    if f("uuid") and f("name"):
        raise CommandError("Options --uuid and --name are mutually exclusive")
    active: bool | None = True
    if f("inactive"):
        active = False
    if f("all"):
        active = None
    kwargs: dict = {}
    if f("persistent") != f("transient"):
        kwargs["persistent"] = f("persistent")
    if f("autostart") != f("no-autostart"):
        kwargs["autostart"] = f("autostart")
    types = cmd.get("type")
    if types:
        kwargs["types"] = [t for t in str(types).split(",") if t]
    try:
        pools = ctl.conn.list_storage_pools(active=active, **kwargs)
    except VirtError as exc:
        raise CommandError("Failed to list pools", lib_message(exc)) from None
    pools.sort(key=lambda p: p.name)
    if f("name"):
        ctl.print("".join(f"{p.name:<20}\n" for p in pools))
        return True
    if f("uuid"):
        ctl.print("".join(f"{p.uuid:<36}\n" for p in pools))
        return True
    rows = []
    for pool in pools:
        active_now = pool.is_active()
        if not f("details"):
            rows.append([pool.name, "active" if active_now else "inactive", _yes(pool.autostart)])
            continue
        info = pool.info()
        persistent = pool.is_persistent()
        ctl.debug_log(0, f"Persistent flag value: {int(persistent)}\n")
        row = [pool.name, POOL_STATES[info.state] if 0 <= info.state < len(POOL_STATES) else "unknown",
               _yes(pool.autostart), _yes(persistent)]
        if active_now:
            row += [capacity(info.capacity), capacity(info.allocation), capacity(info.available)]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
    header = ["Name", "State", "Autostart"]
    if f("details"):
        header += ["Persistent", "Capacity", "Allocation", "Available"]
    ctl.print(table(header, rows, show_header=not ctl.quiet))
    return True


@command("pool-info")
def cmd_pool_info(ctl: Control, cmd: ParsedCommand) -> bool:
    pool = lookup_pool(ctl, cmd)
    info = pool.info()
    out = [f"{'Name:':<15} {pool.name}\n", f"{'UUID:':<15} {pool.uuid}\n"]
    out.append(f"{'State:':<15} {POOL_STATES[info.state] if 0 <= info.state < len(POOL_STATES) else 'unknown'}\n")
    ctl.print("".join(out))
    out.clear()
    persistent = pool.is_persistent()
    ctl.debug_log(0, f"Pool persistent flag value: {int(persistent)}\n")
    out.append(f"{'Persistent:':<15} {_yes(persistent)}\n")
    out.append(f"{'Autostart:':<15} {_yes(pool.autostart)}\n")
    if info.state in (2, 3):
        if cmd.flag("bytes"):
            out.append(f"{'Capacity:':<15} {info.capacity}\n")
            out.append(f"{'Allocation:':<15} {info.allocation}\n")
            out.append(f"{'Available:':<15} {info.available}\n")
        else:
            out.append(f"{'Capacity:':<15} {capacity(info.capacity)}\n")
            out.append(f"{'Allocation:':<15} {capacity(info.allocation)}\n")
            out.append(f"{'Available:':<15} {capacity(info.available)}\n")
    ctl.print("".join(out))
    return True


@command("pool-uuid")
def cmd_pool_uuid(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_pool(ctl, cmd, by_uuid=False).uuid}\n")
    return True


@command("pool-name")
def cmd_pool_name(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_pool(ctl, cmd, by_name=False).name}\n")
    return True


@command("pool-dumpxml")
def cmd_pool_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..xmlout import print_xml

    pool = lookup_pool(ctl, cmd)
    return print_xml(ctl, cmd, pool.xml(inactive=cmd.flag("inactive")))


@command("pool-define", "pool-create")
def cmd_pool_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    define = cmd.cmd.name == "pool-define"
    try:
        if define:
            pool = ctl.conn.define_storage_pool(xml, validate=cmd.flag("validate"))
        else:
            pool = ctl.conn.create_storage_pool(xml)
    except VirtError as exc:
        raise CommandError(f"Failed to {'define' if define else 'create'} pool from {path}",
                           lib_message(exc)) from None
    ctl.print_extra(f"Pool {pool.name} {'defined' if define else 'created'} from {path}\n")
    return True


def _simple(done: str, failed: str, action):
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        pool = lookup_pool(ctl, cmd)
        name = pool.name
        try:
            action(pool, cmd)
        except VirtError as exc:
            raise CommandError(f"Failed to {failed} pool {name}", lib_message(exc)) from None
        ctl.print_extra(f"Pool {name} {done}\n")
        return True

    return handler


command("pool-start")(_simple("started", "start", lambda p, c: p.start()))
command("pool-destroy")(_simple("destroyed", "destroy", lambda p, c: p.destroy()))
command("pool-undefine")(_simple("has been undefined", "undefine", lambda p, c: p.undefine()))
command("pool-refresh")(_simple("refreshed", "refresh", lambda p, c: p.refresh()))
command("pool-build")(_simple("built", "build", lambda p, c: p.build()))
command("pool-delete")(_simple("deleted", "delete", lambda p, c: p.delete()))


@command("pool-autostart")
def cmd_pool_autostart(ctl: Control, cmd: ParsedCommand) -> bool:
    pool = lookup_pool(ctl, cmd)
    disable = cmd.flag("disable")
    try:
        pool.autostart = not disable
    except VirtError as exc:
        verb = "unmark" if disable else "mark"
        raise CommandError(f"failed to {verb} pool {pool.name} as autostarted", lib_message(exc)) from None
    ctl.print_extra(f"Pool {pool.name} {'unmarked' if disable else 'marked'} as autostarted\n")
    return True


# -- volumes -----------------------------------------------------------------------------------


@command("vol-list")
def cmd_vol_list(ctl: Control, cmd: ParsedCommand) -> bool:
    pool = lookup_pool(ctl, cmd)
    try:
        vols = sorted(pool.volumes(), key=lambda v: v.name)
    except VirtError as exc:
        raise CommandError("Failed to list volumes", lib_message(exc)) from None
    details = cmd.flag("details")
    rows = []
    for vol in vols:
        row = [vol.name, vol.path()]
        if details:
            info = vol.info()
            row += [VOL_TYPES[info.type] if 0 <= info.type < len(VOL_TYPES) else "unknown",
                    capacity(info.capacity), capacity(info.allocation)]
        rows.append(row)
    header = ["Name", "Path"] + (["Type", "Capacity", "Allocation"] if details else [])
    ctl.print(table(header, rows, show_header=not ctl.quiet))
    return True


@command("vol-info")
def cmd_vol_info(ctl: Control, cmd: ParsedCommand) -> bool:
    vol = lookup_volume(ctl, cmd)
    info = vol.info()
    out = [f"{'Name:':<15} {vol.name}\n"]
    out.append(f"{'Type:':<15} {VOL_TYPES[info.type] if 0 <= info.type < len(VOL_TYPES) else 'unknown'}\n")
    if cmd.flag("bytes"):
        out.append(f"{'Capacity:':<15} {info.capacity} bytes\n")
        out.append(f"{'Allocation:':<15} {info.allocation} bytes\n")
    else:
        out.append(f"{'Capacity:':<15} {capacity(info.capacity)}\n")
        out.append(f"{'Allocation:':<15} {capacity(info.allocation)}\n")
    ctl.print("".join(out))
    return True


@command("vol-path")
def cmd_vol_path(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_volume(ctl, cmd).path()}\n")
    return True


@command("vol-key")
def cmd_vol_key(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_volume(ctl, cmd).key}\n")
    return True


@command("vol-name")
def cmd_vol_name(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_volume(ctl, cmd).name}\n")
    return True


@command("vol-pool")
def cmd_vol_pool(ctl: Control, cmd: ParsedCommand) -> bool:
    vol = lookup_volume(ctl, cmd)
    pool = vol.pool()
    ctl.print(f"{pool.uuid if cmd.flag('uuid') else pool.name}\n")
    return True


@command("vol-dumpxml")
def cmd_vol_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..xmlout import print_xml

    return print_xml(ctl, cmd, lookup_volume(ctl, cmd).xml())


@command("vol-create")
def cmd_vol_create(ctl: Control, cmd: ParsedCommand) -> bool:
    pool = lookup_pool(ctl, cmd)
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        vol = pool.create_volume(xml)
    except VirtError as exc:
        raise CommandError(f"Failed to create vol from {path}", lib_message(exc)) from None
    ctl.print_extra(f"Vol {vol.name} created from {path}\n")
    return True


@command("vol-create-as")
def cmd_vol_create_as(ctl: Control, cmd: ParsedCommand) -> bool:
    from lxml import etree

    from pyvirt._core import xmlcore

    pool = lookup_pool(ctl, cmd)
    name = opt_string(cmd, "name")
    cap = _size(cmd, "capacity")
    alloc = _size(cmd, "allocation") if cmd.has("allocation") else None
    root = etree.Element("volume")
    etree.SubElement(root, "name").text = name
    etree.SubElement(root, "capacity").text = str(cap)
    if alloc is not None:
        etree.SubElement(root, "allocation").text = str(alloc)
    fmt = opt_string(cmd, "format")
    if fmt:
        target = etree.SubElement(root, "target")
        etree.SubElement(target, "format", type=fmt)
    xml = xmlcore.format(root)
    if cmd.flag("print-xml"):
        ctl.print(xml)
        return True
    try:
        vol = pool.create_volume(xml)
    except VirtError as exc:
        raise CommandError(f"Failed to create vol {name}", lib_message(exc)) from None
    ctl.print_extra(f"Vol {vol.name} created\n")
    return True


def _size(cmd: ParsedCommand, name: str) -> int:
    """vol-create-as's sizes: bytes by default, its own 'Malformed size' wording."""
    text = str(cmd.get(name))
    try:
        return scaled_value(text, 1, (1 << 64) - 1)
    except ValueError as exc:
        raise CommandError(f"Malformed size {text}", *([str(exc)] if str(exc) else [])) from None


@command("vol-delete")
def cmd_vol_delete(ctl: Control, cmd: ParsedCommand) -> bool:
    vol = lookup_volume(ctl, cmd)
    name = vol.name
    try:
        vol.delete()
    except VirtError as exc:
        raise CommandError(f"Failed to delete vol {name}", lib_message(exc)) from None
    ctl.print_extra(f"Vol {name} deleted\n")
    return True


@command("vol-wipe")
def cmd_vol_wipe(ctl: Control, cmd: ParsedCommand) -> bool:
    vol = lookup_volume(ctl, cmd)
    name = vol.name
    try:
        vol.wipe()
    except VirtError as exc:
        raise CommandError(f"Failed to wipe vol {name}", lib_message(exc)) from None
    ctl.print_extra(f"Vol {name} wiped\n")
    return True


def _pool_xml(cmd: ParsedCommand) -> tuple[str, str]:
    """virsh's pool XML from pool-define-as/pool-create-as arguments (common source kinds)."""
    from pyvirt._core import xmlcore

    name = opt_string(cmd, "name")
    root = etree_element("pool", type=opt_string(cmd, "type"))
    _sub(root, "name").text = name
    host, path, dev = (opt_string(cmd, o) for o in ("source-host", "source-path", "source-dev"))
    src_name, fmt = opt_string(cmd, "source-name"), opt_string(cmd, "source-format")
    adapter = opt_string(cmd, "adapter-name")
    if any((host, path, dev, src_name, fmt, adapter)):
        source = _sub(root, "source")
        if host:
            _sub(source, "host", name=host)
        if path:
            _sub(source, "dir", path=path)
        if dev:
            _sub(source, "device", path=dev)
        if adapter:
            _sub(source, "adapter", type="scsi_host", name=adapter)
        if fmt:
            _sub(source, "format", type=fmt)
        if src_name:
            _sub(source, "name").text = src_name
    target = opt_string(cmd, "target")
    if target:
        _sub(_sub(root, "target"), "path").text = target
    return name, xmlcore.format(root)


def etree_element(tag: str, **attrs: str):
    from lxml import etree

    return etree.Element(tag, **attrs)


def _sub(parent, tag: str, **attrs: str):
    from lxml import etree

    return etree.SubElement(parent, tag, **attrs)


@command("pool-define-as", "pool-create-as")
def cmd_pool_define_as(ctl: Control, cmd: ParsedCommand) -> bool:
    name, xml = _pool_xml(cmd)
    if cmd.flag("print-xml"):
        ctl.print(xml)
        return True
    define = cmd.cmd.name == "pool-define-as"
    try:
        pool = ctl.conn.define_storage_pool(xml) if define else ctl.conn.create_storage_pool(xml)
    except VirtError as exc:
        raise CommandError(f"Failed to {'define' if define else 'create'} pool {name}",
                           lib_message(exc)) from None
    ctl.print_extra(f"Pool {pool.name} {'defined' if define else 'created'}\n")
    return True


@command("vol-resize")
def cmd_vol_resize(ctl: Control, cmd: ParsedCommand) -> bool:
    vol = lookup_volume(ctl, cmd)
    text = str(cmd.get("capacity"))
    delta = cmd.flag("delta")
    flags = (1 if cmd.flag("allocate") else 0) | (2 if delta else 0) | (4 if cmd.flag("shrink") else 0)
    number = text[1:] if text.startswith("-") else text
    if text.startswith("-") and not cmd.flag("shrink"):
        raise CommandError("negative size requires --shrink")
    try:
        size = scaled_value(number, 1, (1 << 64) - 1)
    except ValueError as exc:
        raise CommandError(f"Malformed size {text}", *([str(exc)] if str(exc) else [])) from None
    try:
        vol.resize(size, flags)
    except VirtError as exc:
        how = "by" if delta else "to"
        raise CommandError(f"Failed to change size of volume '{vol.name}' {how} {text}",
                           lib_message(exc)) from None
    how = "by" if delta else "to"
    ctl.print_extra(f"Size of volume '{vol.name}' successfully changed {how} {text}\n")
    return True


@command("pool-edit")
def cmd_pool_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..editor import edit_object, inactive_xml

    pool = lookup_pool(ctl, cmd)
    return edit_object(ctl, inactive_xml(pool), lambda t: ctl.conn.define_storage_pool(t),
                       f"Pool {pool.name} XML configuration not changed.\n",
                       lambda new: f"Pool {new.name} XML configuration edited.\n")
