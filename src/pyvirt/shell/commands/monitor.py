"""Domain monitoring commands that read the domain XML: domblklist, domiflist; jobs, hostname."""

from __future__ import annotations

from lxml import etree

from ..control import Control
from ..format import table
from ..options import ParsedCommand
from ..util import lookup_domain
from . import command


def _source(disk) -> str:
    src = disk.find("source")
    if src is None:
        return "-"
    for attr in ("file", "dev", "dir", "name"):
        if src.get(attr):
            return src.get(attr)
    if src.get("pool") and src.get("volume"):
        return f"{src.get('pool')}/{src.get('volume')}"
    return "-"


@command("domblklist")
def cmd_domblklist(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    root = etree.fromstring(dom.xml(inactive=cmd.flag("inactive")).encode())
    details = cmd.flag("details")
    rows = []
    for disk in root.findall("devices/disk"):
        target = disk.find("target")
        row = [target.get("dev", "-") if target is not None else "-", _source(disk)]
        if details:
            row = [disk.get("type", "-"), disk.get("device", "disk")] + row
        rows.append(row)
    header = (["Type", "Device"] if details else []) + ["Target", "Source"]
    ctl.print(table(header, rows, show_header=not ctl.quiet))
    return True


_IFACE_SOURCE = {"network": "network", "bridge": "bridge", "direct": "dev", "ethernet": None,
                 "user": None, "hostdev": None, "vhostuser": "path", "server": "address",
                 "client": "address", "mcast": "address", "udp": "address", "vdpa": "dev"}


@command("domiflist")
def cmd_domiflist(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    root = etree.fromstring(dom.xml(inactive=cmd.flag("inactive")).encode())
    rows = []
    for iface in root.findall("devices/interface"):
        kind = iface.get("type", "-")
        target = iface.find("target")
        src = iface.find("source")
        attr = _IFACE_SOURCE.get(kind)
        source = src.get(attr, "-") if (src is not None and attr) else "-"
        model = iface.find("model")
        mac = iface.find("mac")
        rows.append([
            target.get("dev", "-") if target is not None else "-",
            kind, source or "-",
            model.get("type", "-") if model is not None else "-",
            mac.get("address", "-") if mac is not None else "-",
        ])
    ctl.print(table(["Interface", "Type", "Source", "Model", "MAC"], rows, show_header=not ctl.quiet))
    return True


@command("domhostname")
def cmd_domhostname(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    ctl.print(f"{dom.hostname()}\n")
    return True


@command("domjobabort")
def cmd_domjobabort(ctl: Control, cmd: ParsedCommand) -> bool:
    lookup_domain(ctl, cmd).abort_job()
    return True


@command("schedinfo")
def cmd_schedinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    if cmd.argv("set") or cmd.has("weight") or cmd.has("cap"):
        from ..control import CommandError

        raise CommandError("pyvirsh does not implement setting scheduler parameters yet")
    lines = [f"{'Scheduler':<15}: {dom.scheduler_type()}\n"]
    for key, value in dom.scheduler_parameters().items():
        lines.append(f"{key:<15}: {value}\n")
    ctl.print("".join(lines))
    return True


_CONTROL_STATES = ["ok", "background job", "occupied", "error"]


@command("domcontrol")
def cmd_domcontrol(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    state, _details, duration = dom.control_info()
    name = _CONTROL_STATES[state] if 0 <= state < len(_CONTROL_STATES) else "unknown"
    if state != 0 and duration:
        ctl.print(f"{name} ({duration / 1000.0:0.3f}s)\n")
    else:
        ctl.print(f"{name}\n")
    return True


@command("domtime")
def cmd_domtime(ctl: Control, cmd: ParsedCommand) -> bool:
    import time

    dom = lookup_domain(ctl, cmd)
    if cmd.flag("now") or cmd.flag("sync") or cmd.has("time"):
        from ..control import CommandError

        raise CommandError("pyvirsh does not implement setting the guest time yet")
    seconds, _nanos = dom.get_time()
    if cmd.flag("pretty"):
        ctl.print(f"Time: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(seconds))}")
    else:
        ctl.print(f"Time: {seconds}")
    return True


_DISK_ERRORS = ["no error", "unspecified error", "no space"]


@command("domblkerror")
def cmd_domblkerror(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    errors = dom.disk_errors()
    if not errors:
        ctl.print("No errors found\n")
        return True
    ctl.print("".join(f"{disk}: {_DISK_ERRORS[code] if 0 <= code < 3 else 'unknown error'}\n"
                      for disk, code in errors.items()))
    return True


@command("dommemstat")
def cmd_dommemstat(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    if cmd.has("period"):
        from ..control import CommandError

        raise CommandError("pyvirsh does not implement dommemstat --period yet")
    from pyvirt.errors import VirtError

    from ..control import CommandError

    try:
        stats = dom.memory_stats()
    except VirtError as exc:
        raise CommandError(f"Failed to get memory statistics for domain {dom.name}", exc.message) from None
    ctl.print("".join(f"{key} {value}\n" for key, value in stats.items()))
    return True


@command("inject-nmi")
def cmd_inject_nmi(ctl: Control, cmd: ParsedCommand) -> bool:
    lookup_domain(ctl, cmd).inject_nmi()
    return True


def _cpu_ranges(cpus: list[int]) -> str:
    """``0-3,5`` style list (virsh's --pretty affinity)."""
    parts: list[str] = []
    start = prev = None
    for cpu in cpus:
        if start is None:
            start = prev = cpu
        elif cpu == prev + 1:
            prev = cpu
        else:
            parts.append(f"{start}-{prev}" if prev != start else f"{start}")
            start = prev = cpu
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ",".join(parts)


@command("vcpuinfo")
def cmd_vcpuinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    from pyvirt.errors import VirtError

    dom = lookup_domain(ctl, cmd)
    maxcpu = ctl.conn.cpu_map()[0]
    pins = dom.vcpu_pin_info()
    try:
        infos = dom.vcpu_info()
    except VirtError:
        if dom.is_active():
            raise
        infos = None
    states = {0: "offline", 1: "running", 2: "blocked"}
    out = []
    for index, pin in enumerate(pins):
        if index:
            out.append("\n")  # a blank line between vCPUs, not after the last
        out.append(f"{'VCPU:':<15} {index}\n")
        if infos is not None and index < len(infos):
            info = infos[index]
            out.append(f"{'CPU:':<15} {info.cpu}\n")
            out.append(f"{'State:':<15} {states.get(info.state, 'no state')}\n")
            out.append(f"{'CPU time:':<15} {info.cpu_time / 1e9:.1f}s\n")
        else:
            out.append(f"{'CPU:':<15} N/A\n{'State:':<15} N/A\n{'CPU time':<15} N/A\n")
        cpus = sorted(c for c in pin if c < maxcpu)
        if cmd.flag("pretty"):
            affinity = f"{_cpu_ranges(cpus)} (out of {maxcpu})"
        else:
            affinity = "".join("y" if c in pin else "-" for c in range(maxcpu))
        out.append(f"{'CPU Affinity:':<15} {affinity}\n")
    ctl.print("".join(out))
    return True


@command("domblkinfo")
def cmd_domblkinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..control import CommandError
    from ..format import pretty_capacity
    from ..util import opt_string

    dom = lookup_domain(ctl, cmd)
    if cmd.flag("all"):
        raise CommandError("pyvirsh does not implement domblkinfo --all yet")
    device = opt_string(cmd, "device")
    if device is None:
        raise CommandError("command 'domblkinfo' requires <device> option")
    cap, alloc, phys = dom.block_info(device)

    def show(value: int) -> str:
        if not cmd.flag("human"):
            return str(value)
        number, unit = pretty_capacity(value)
        return f"{number:.3f} {unit}"

    ctl.print(f"{'Capacity:':<15} {show(cap)}\n{'Allocation:':<15} {show(alloc)}\n"
              f"{'Physical:':<15} {show(phys)}\n")
    return True


_BLK_FIELDS = ("rd_req", "rd_bytes", "wr_req", "wr_bytes", "errs")
_IF_FIELDS = ("rx_bytes", "rx_packets", "rx_errs", "rx_drop",
              "tx_bytes", "tx_packets", "tx_errs", "tx_drop")


@command("domblkstat")
def cmd_domblkstat(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..control import CommandError
    from ..util import opt_string

    dom = lookup_domain(ctl, cmd)
    if cmd.flag("human"):
        raise CommandError("pyvirsh does not implement domblkstat --human yet")
    from pyvirt.errors import VirtError

    device = opt_string(cmd, "device", empty_ok=True) or ""
    try:
        stats = dom.block_stats(device)
    except VirtError as exc:
        raise CommandError(f"Failed to get block stats {dom.name} {device}", exc.message) from None
    ctl.print("".join(f"{device} {name} {value}\n" for name, value in zip(_BLK_FIELDS, stats, strict=False)
                      if value >= 0))
    return True


@command("domifstat")
def cmd_domifstat(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..util import opt_string

    dom = lookup_domain(ctl, cmd)
    from pyvirt.errors import VirtError

    from ..control import CommandError

    device = opt_string(cmd, "interface")
    try:
        stats = dom.interface_stats(device)
    except VirtError as exc:
        raise CommandError(f"Failed to get interface stats {dom.name} {device}", exc.message) from None
    ctl.print("".join(f"{device} {name} {value}\n" for name, value in zip(_IF_FIELDS, stats, strict=False)
                      if value >= 0))
    return True


# -- domjobinfo, qemu-monitor-command -------------------------------------------------------

_JOB_TYPES = ["None", "Bounded", "Unbounded", "Completed", "Failed", "Cancelled"]


@command("domjobinfo")
def cmd_domjobinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    """virsh asks virDomainGetJobStats first and falls back to virDomainGetJobInfo when the
    driver lacks it. pyvirt's public API offers only the latter (Domain.job_info), so pyvirsh
    behaves as virsh does against a daemon without GetJobStats: plain requests fall back,
    --completed / --rawstats fail with virsh's two error lines."""
    from pyvirt.errors import VirtError

    from ..control import CommandError
    from ..format import pretty_capacity
    from .domain import _fail

    if cmd.flag("keep-completed") and not cmd.flag("completed"):
        raise CommandError("Option --completed is required by option --keep-completed")
    dom = lookup_domain(ctl, cmd)
    if cmd.flag("completed") or cmd.flag("rawstats"):
        raise CommandError("Optional flags or --rawstats are not supported by the daemon",
                           "this function is not supported by the connection driver: virDomainGetJobStats")
    try:
        info = dom.job_info()
    except VirtError as exc:
        raise _fail(None, exc) from None  # type: ignore[arg-type]
    kind = int(info.type)
    out = [f"{'Job type:':<17} {(_JOB_TYPES[kind] if 0 <= kind < len(_JOB_TYPES) else 'unknown'):<12}\n"]
    if kind != 0:
        out.append(f"{'Time elapsed:':<17} {info.time_elapsed:<12} ms\n")
        if kind == 1:
            out.append(f"{'Time remaining:':<17} {info.time_remaining:<12} ms\n")
        for label, total, processed, remaining in (
                ("Data", info.data_total, info.data_processed, info.data_remaining),
                ("Memory", info.mem_total, info.mem_processed, info.mem_remaining),
                ("File", info.file_total, info.file_processed, info.file_remaining)):
            if total or processed or remaining:
                for what, value in (("processed", processed), ("remaining", remaining), ("total", total)):
                    val, unit = pretty_capacity(value)
                    out.append(f"{label + ' ' + what + ':':<17} {val:.3f} {unit}\n")
    ctl.print("".join(out))
    return True


@command("qemu-monitor-command")
def cmd_qemu_monitor_command(ctl: Control, cmd: ParsedCommand) -> bool:
    import json

    from pyvirt.errors import VirtError

    from ..control import CommandError
    from .domain import _fail

    hmp = cmd.flag("hmp")
    for other in ("pretty", "return-value"):
        if hmp and cmd.flag(other):
            raise CommandError(f"Options --hmp and --{other} are mutually exclusive")
    dom = lookup_domain(ctl, cmd)
    fds = cmd.get("pass-fds")
    if fds is not None:
        for fd in str(fds).split(","):
            if not fd.strip().isdigit():
                raise CommandError(f"Unable to parse FD number '{fd}'")
    words = cmd.argv("cmd")
    if len(words) > 1 and not hmp:
        # virsh wraps 'name arg...' into {"execute":name,"arguments":{arg,...}}
        try:
            arguments = json.loads("{" + ",".join(words[1:]) + "}")
        except ValueError:
            raise CommandError(f"failed to wrap arguments '{' '.join(words[1:])}' into a QMP command wrapper",
                               "pyvirsh cannot reproduce libvirt's JSON parser error") from None
        text = json.dumps({"execute": words[0], "arguments": arguments}, separators=(",", ":"))
    else:
        text = " ".join(words)
    if fds is not None:
        raise CommandError("pyvirsh cannot pass file descriptors: pyvirt's API has no "
                           "virDomainQemuMonitorCommandWithFiles")
    try:
        result = dom.qemu_monitor_command(text, hmp=hmp)
    except VirtError as exc:
        raise _fail(None, exc) from None  # type: ignore[arg-type]
    if cmd.flag("pretty") or cmd.flag("return-value"):
        try:
            reply = json.loads(result)
        except ValueError:
            ctl.print(result + "\n")
            return True
        if cmd.flag("return-value"):
            if "return" not in reply:
                raise CommandError("'return' member missing")
            reply = reply["return"]
        if cmd.flag("pretty"):
            ctl.print(json.dumps(reply, indent=2) + "\n")
        else:
            ctl.print(json.dumps(reply, separators=(",", ":")) + "\n")
        return True
    ctl.print(result + "\n")
    return True
