"""Tuning and guest-agent queries: memtune, blkiotune, numatune, perf, vcpupin, emulatorpin,
domfsinfo/freeze/thaw/trim, domifaddr.  Setting tunables is not wired yet and says so."""

from __future__ import annotations

from ..control import CommandError, Control
from ..format import table
from ..options import ParsedCommand
from ..util import int_option, lookup_domain, scaled_value
from . import command
from .domain import _impact
from .monitor import _cpu_ranges

_UNLIMITED_KIB = 9007199254740991
_NUMA_MODES = ["strict", "preferred", "interleave", "restrictive"]


def _print_params(ctl: Control, params: dict, render=str, *, extra: bool = False) -> None:
    (ctl.print_extra if extra else ctl.print)("".join(f"{key:<15}: {render(key, value)}\n" for key, value in params.items()))


def _refuse_setting(cmd: ParsedCommand, names: tuple[str, ...]) -> None:
    given = [n for n in names if cmd.has(n)]
    if given:
        raise CommandError(f"pyvirsh does not implement setting --{given[0]} yet")


@command("memtune")
def cmd_memtune(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    changes: dict[str, int] = {}
    for opt in ("hard-limit", "soft-limit", "swap-hard-limit", "min-guarantee"):
        text = cmd.get(opt)
        if text is None:
            continue
        if str(text).strip() == "-1":
            changes[opt.replace("-", "_")] = _UNLIMITED_KIB
            continue
        try:
            value = scaled_value(str(text), 1024, (1 << 63) - 1)
        except ValueError:
            raise CommandError(f"Unable to parse integer parameter {opt}") from None
        changes[opt.replace("-", "_")] = min((value + 1023) // 1024, _UNLIMITED_KIB)
    if changes:
        try:
            dom.set_memory_parameters(changes, **impact)
        except Exception as exc:  # noqa: BLE001 - reported with virsh's prefix
            raise CommandError("Unable to change memory parameters", getattr(exc, "message", str(exc))) from None
        return True
    _print_params(ctl, dom.memory_parameters(**impact),
                  lambda k, v: "unlimited" if v == _UNLIMITED_KIB else str(v))
    return True


@command("blkiotune")
def cmd_blkiotune(ctl: Control, cmd: ParsedCommand) -> bool:
    _refuse_setting(cmd, ("device-weights", "device-read-iops-sec", "device-write-iops-sec",
                          "device-read-bytes-sec", "device-write-bytes-sec"))
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    weight = int_option(cmd, "weight", unsigned=True)
    if weight is not None:
        try:
            dom.set_blkio_parameters({"weight": weight}, **impact)
        except Exception as exc:  # noqa: BLE001
            raise CommandError("Unable to change blkio parameters", getattr(exc, "message", str(exc))) from None
        return True
    _print_params(ctl, dom.blkio_parameters(**impact), lambda k, v: str(v))
    return True


@command("numatune")
def cmd_numatune(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    changes: dict[str, object] = {}
    mode = cmd.get("mode")
    if mode is not None:
        if str(mode) in _NUMA_MODES:
            changes["numa_mode"] = _NUMA_MODES.index(str(mode))
        else:
            try:
                changes["numa_mode"] = int(str(mode))
            except ValueError:
                raise CommandError(f"Invalid mode: {mode}") from None
    if cmd.get("nodeset") is not None:
        changes["numa_nodeset"] = str(cmd.get("nodeset"))
    if changes:
        try:
            dom.set_numa_parameters(changes, **impact)
        except Exception as exc:  # noqa: BLE001
            raise CommandError("Unable to change numa parameters", getattr(exc, "message", str(exc))) from None
        return True

    def render(key: str, value) -> str:
        if key == "numa_mode" and isinstance(value, int):
            return _NUMA_MODES[value] if 0 <= value < len(_NUMA_MODES) else str(value)
        return str(value)

    _print_params(ctl, dom.numa_parameters(**impact), render)
    return True


@command("perf")
def cmd_perf(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    changes: dict[str, bool] = {}
    for opt, state in (("enable", True), ("disable", False)):
        for name in str(cmd.get(opt) or "").split(","):
            if name:
                changes[name] = state
    if changes:
        try:
            dom.set_perf_events(changes, **impact)
        except Exception as exc:  # noqa: BLE001
            raise CommandError("Unable to enable/disable perf events", getattr(exc, "message", str(exc))) from None
        _print_params(ctl, changes, lambda k, v: "enabled" if v else "disabled", extra=True)
        return True
    _print_params(ctl, dom.perf_events(**impact), lambda k, v: "enabled" if v else "disabled",
                  extra=True)  # virsh prints perf status only when not quiet
    return True


@command("vcpupin")
def cmd_vcpupin(ctl: Control, cmd: ParsedCommand) -> bool:
    if cmd.has("cpulist"):
        raise CommandError("pyvirsh does not implement pinning vCPUs yet")
    dom = lookup_domain(ctl, cmd)
    maxcpu = ctl.conn.cpu_map()[0]
    pins = dom.vcpu_pin_info()
    wanted = cmd.get("vcpu")
    rows = []
    for index, pin in enumerate(pins):
        if wanted is not None and str(index) != str(wanted):
            continue
        rows.append([str(index), _cpu_ranges(sorted(c for c in pin if c < maxcpu))])
    ctl.print(table(["VCPU", "CPU Affinity"], rows, show_header=not ctl.quiet))
    return True


@command("emulatorpin")
def cmd_emulatorpin(ctl: Control, cmd: ParsedCommand) -> bool:
    if cmd.has("cpulist"):
        raise CommandError("pyvirsh does not implement pinning the emulator yet")
    dom = lookup_domain(ctl, cmd)
    maxcpu = ctl.conn.cpu_map()[0]
    cpus = _cpu_ranges(sorted(c for c in dom.emulator_pin_info() if c < maxcpu))
    ctl.print_extra("emulator: CPU Affinity\n----------------------------------\n       *: ")
    ctl.print(f"{cpus}\n")
    return True


def _guest(call, context: str):
    """Run a guest query, prefixing a failure with virsh's context line."""
    from pyvirt.errors import VirtError

    try:
        return call()
    except VirtError as exc:
        raise CommandError(context, exc.message) from None


@command("domfsinfo")
def cmd_domfsinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    rows = [[mount, name, kind, ",".join(targets)]
            for mount, name, kind, targets in _guest(dom.fs_info, "Unable to get filesystem information")]
    ctl.print(table(["Mountpoint", "Name", "Type", "Target"], rows, show_header=not ctl.quiet))
    return True


@command("domfsfreeze")
def cmd_domfsfreeze(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    count = _guest(lambda: dom.fs_freeze(cmd.argv("mountpoint") or None), "Unable to freeze filesystems")
    ctl.print_extra(f"Froze {count} filesystem(s)\n")
    return True


@command("domfsthaw")
def cmd_domfsthaw(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    count = _guest(lambda: dom.fs_thaw(cmd.argv("mountpoint") or None), "Unable to thaw filesystems")
    ctl.print_extra(f"Thawed {count} filesystem(s)\n")
    return True


@command("domfstrim")
def cmd_domfstrim(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..util import parse_scaled

    dom = lookup_domain(ctl, cmd)
    minimum = parse_scaled(cmd, "minimum", 1, (1 << 64) - 1) or 0
    _guest(lambda: dom.fs_trim(cmd.get("mountpoint"), minimum), "Unable to invoke fstrim")
    return True


@command("domifaddr")
def cmd_domifaddr(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    sources = {"lease": 0, "agent": 1, "arp": 2}
    source = cmd.get("source")
    if source is not None and source not in sources:
        raise CommandError(f"Unknown data source '{source}'")
    addresses = _guest(lambda: dom.interface_addresses(sources.get(source or "lease", 0)),
                       "Failed to query for interfaces addresses")
    wanted = cmd.get("interface")
    full = cmd.flag("full")
    ctl.print_extra(f" {'Name':<10} {'MAC address':<20} {'Protocol':<8}     Address\n"
                    + "-" * 79 + "\n")
    lines = []
    for name in sorted(addresses):
        if wanted is not None and name != wanted:
            continue
        info = addresses[name]
        hwaddr = str(info.get("hwaddr") or "N/A")
        addrs = info.get("addrs") or []
        if not addrs:
            lines.append(f" {name:<10} {hwaddr:<17}    {'N/A':<12} N/A\n")
            continue
        for index, addr in enumerate(addrs):
            kind = "ipv6" if addr.get("type") == 1 else "ipv4"
            text = f"{addr.get('addr')}/{addr.get('prefix')}"
            if index == 0 or full:
                lines.append(f" {name:<10} {hwaddr:<17}    {kind:<12} {text}\n")
            else:
                lines.append(f" {'-':<10} {'-':<17}    {kind:<12} {text}\n")
    ctl.print("".join(lines))
    return True
