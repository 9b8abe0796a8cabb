"""Host and hypervisor commands: uri, hostname, version, nodeinfo, capabilities, sysinfo, ..."""

from __future__ import annotations

from ..control import CommandError, Control
from ..options import ParsedCommand
from . import command

_BUILD_VERSION = 9_000_000  # the libvirt release pyvirsh's behaviour reproduces


def _dotted(number: int) -> str:
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


@command("uri")
def cmd_uri(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{ctl.conn.uri}\n")
    return True


@command("hostname")
def cmd_hostname(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{ctl.conn.hostname()}\n")
    return True


@command("version")
def cmd_version(ctl: Control, cmd: ParsedCommand) -> bool:
    conn = ctl.conn
    ctl.print(f"Compiled against library: libvirt {_dotted(_BUILD_VERSION)}\n")
    try:
        lib = conn.lib_version()
    except Exception:  # noqa: BLE001 - virsh reports this one itself
        raise CommandError("failed to get the library version") from None
    ctl.print(f"Using library: libvirt {_dotted(lib)}\n")
    hv_type = conn.type()
    ctl.print(f"Using API: {hv_type} {_dotted(lib)}\n")
    ctl.print(f"Running hypervisor: {hv_type} {_dotted(conn.version())}\n")
    if cmd.flag("daemon"):
        ctl.print(f"Running against daemon: {_dotted(lib)}\n")
    return True


@command("nodeinfo")
def cmd_nodeinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    try:
        info = ctl.conn.node_info()
    except Exception as exc:  # noqa: BLE001
        raise CommandError("failed to get node information", getattr(exc, "message", str(exc))) from None
    rows = [
        ("CPU model:", info.model),
        ("CPU(s):", info.cpus),
        ("CPU frequency:", f"{info.mhz} MHz"),
        ("CPU socket(s):", info.sockets),
        ("Core(s) per socket:", info.cores),
        ("Thread(s) per core:", info.threads),
        ("NUMA cell(s):", info.nodes),
        ("Memory size:", f"{info.memory} KiB"),
    ]
    ctl.print("".join(f"{k:<20} {v}\n" for k, v in rows))
    return True


@command("capabilities")
def cmd_capabilities(ctl: Control, cmd: ParsedCommand) -> bool:
    try:
        caps = ctl.conn.capabilities()
    except Exception as exc:  # noqa: BLE001
        raise CommandError("failed to get capabilities", getattr(exc, "message", str(exc))) from None
    ctl.print(_nl(caps))
    return True


@command("sysinfo")
def cmd_sysinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    try:
        text = ctl.conn.sysinfo()
    except Exception as exc:  # noqa: BLE001
        raise CommandError("failed to get sysinfo", getattr(exc, "message", str(exc))) from None
    ctl.print(text)
    return True


@command("maxvcpus")
def cmd_maxvcpus(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{ctl.conn.max_vcpus(cmd.get('type'))}\n")
    return True


def _nl(text: str) -> str:
    """virsh prints XML documents with ``%s\\n``."""
    return text + "\n"


@command("freecell")
def cmd_freecell(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..util import int_option

    cell = int_option(cmd, "cellno")
    conn = ctl.conn
    if cmd.flag("all"):
        if cell is not None:
            raise CommandError("Options --cellno and --all are mutually exclusive")
        cells = conn.cells_free_memory(0, ctl.conn.node_info().nodes)
        ctl.print("".join(f"{i:5d}: {free // 1024:10d} KiB\n" for i, free in enumerate(cells)))
        ctl.print_extra(f"--------------------\n{'Total':>5}: {sum(cells) // 1024:10d} KiB\n")
        return True
    if cell is not None:
        free = conn.cells_free_memory(cell, 1)[0]
        ctl.print(f"{cell}: {free // 1024} KiB\n")
        return True
    ctl.print(f"Total: {conn.free_memory() // 1024} KiB\n")
    return True


@command("nodecpustats")
def cmd_nodecpustats(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..util import int_option

    if cmd.flag("percent"):
        raise CommandError("pyvirsh does not implement nodecpustats --percent yet")
    cpu = int_option(cmd, "cpu")
    stats = ctl.conn.cpu_stats(-1 if cpu is None else cpu)
    names = (("user", "user"), ("kernel", "system"), ("idle", "idle"), ("iowait", "iowait"))
    ctl.print("".join(f"{label + ':':<15} {stats[key]:20d}\n" for key, label in names if key in stats))
    return True
