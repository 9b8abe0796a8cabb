"""Statistics commands over the public API: cpu-stats, nodecpumap, freepages, iothreadinfo, domstats."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from ..util import int_option, lookup_domain, parse_scaled
from . import command
from .domain import _fail

#: counters virsh prints as seconds (per CPU / in the total block); the rest print raw
_PER_CPU_SECONDS = ("cpu_time", "vcpu_time")
_TOTAL_SECONDS = ("cpu_time", "user_time", "system_time")


def _seconds(ns: int) -> str:
    return f"{ns / 1e9:16.9f}"


@command("cpu-stats")
def cmd_cpu_stats(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    show_total = cmd.flag("total")
    start = int_option(cmd, "start")
    if start is not None and start < 0:
        raise CommandError("Invalid value for start CPU")
    count = int_option(cmd, "count")
    if count is not None and count < 0:
        raise CommandError("Invalid value for number of CPUs to show")
    show_per_cpu = start is not None or count is not None
    if not show_total and not show_per_cpu:
        show_total = show_per_cpu = True
    pos = start or 0
    failure = f"Failed to retrieve CPU statistics for domain '{dom.name}'"
    out: list[str] = []
    try:
        if show_per_cpu:
            max_id = dom.cpu_stats_count()
            if pos >= max_id:
                raise CommandError(f"Start CPU {pos} is out of range (min: 0, max: {max_id - 1})")
            show = count
            if show is None or show > max_id:
                if show is not None:
                    out.append(f"Only {max_id} CPUs available to show\n")
                show = max_id - pos
            if show:
                for offset, stats in enumerate(dom.cpu_stats(pos, show)):
                    if not stats:
                        continue
                    out.append(f"CPU{pos + offset}:\n")
                    for field, value in stats.items():
                        if field in _PER_CPU_SECONDS:
                            out.append(f"\t{field:<15} {_seconds(value)} seconds\n")
                        else:
                            out.append(f"\t{field:<12} {value}\n")
        if show_total:
            totals = dom.cpu_stats(-1, 1)
            if totals:
                out.append("Total:\n")
                for field, value in totals[0].items():
                    if field in _TOTAL_SECONDS:
                        out.append(f"\t{field:<15} {_seconds(value)} seconds\n")
                    else:
                        out.append(f"\t{field:<15} {value}\n")
    except VirtError as exc:
        ctl.print("".join(out))
        raise _fail(failure, exc) from None
    ctl.print("".join(out))
    return True


@command("nodecpumap")
def cmd_nodecpumap(ctl: Control, cmd: ParsedCommand) -> bool:
    from .monitor import _cpu_ranges

    try:
        present, online, count = ctl.conn.cpu_map()
    except VirtError as exc:
        raise _fail("Unable to get cpu map", exc) from None
    if cmd.flag("pretty"):
        shown = _cpu_ranges([i for i, up in enumerate(online) if up])
    else:
        shown = "".join("y" if up else "-" for up in online[:present])
    ctl.print(f"{'CPUs present:':<15} {present}\n{'CPUs online:':<15} {count}\n{'CPU map:':<15} {shown}\n")
    return True


def _host_page_layout(ctl: Control) -> tuple[list[int], list[int]]:
    """(page sizes in KiB, NUMA cell ids) as the capabilities document lists them."""
    from lxml import etree

    root = etree.fromstring(ctl.conn.capabilities().encode())
    sizes = [int(p.get("size")) for p in root.findall("host/cpu/pages") if p.get("size", "").isdigit()]
    cells = [int(c.get("id")) for c in root.findall("host/topology/cells/cell") if c.get("id", "").isdigit()]
    return sizes, cells


@command("freepages")
def cmd_freepages(ctl: Control, cmd: ParsedCommand) -> bool:
    if cmd.flag("all") and cmd.has("cellno"):
        raise CommandError("Options --all and --cellno are mutually exclusive")
    cell = int_option(cmd, "cellno")
    size = parse_scaled(cmd, "pagesize", 1024, (2**32 - 1) * 1024)
    pagesize = size // 1024 if size is not None else None
    if cmd.flag("all"):
        sizes, cells = _host_page_layout(ctl)
        if pagesize:
            sizes = [pagesize]
        out = []
        for cell_id in cells:
            counts = ctl.conn.free_pages(sizes, cell_id, 1)
            out.append(f"Node {cell_id}:\n")
            out.extend(f"{kib}KiB: {n}\n" for kib, n in zip(sizes, counts, strict=False))
            out.append("\n")
        ctl.print("".join(out))
        return True
    if cell is None:
        raise CommandError("missing cellno argument")
    if not pagesize:
        raise CommandError("missing pagesize argument")
    if cell < -1:
        raise CommandError("cell number must be non-negative integer or -1")
    counts = ctl.conn.free_pages([pagesize], cell, 1)
    ctl.print(f"{pagesize}KiB: {counts[0]}\n")
    return True


@command("iothreadinfo")
def cmd_iothreadinfo(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..format import table
    from .domain import _impact
    from .monitor import _cpu_ranges

    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    try:
        threads = dom.iothread_info(**impact)
    except VirtError as exc:
        raise _fail("Unable to get domain IOThreads information", exc) from None
    if not threads:
        ctl.print_extra("No IOThreads found for the domain")
        return True
    rows = [[str(ident), _cpu_ranges(sorted(cpus))] for ident, cpus in threads]
    ctl.print(table(["IOThread ID", "CPU Affinity"], rows, show_header=not ctl.quiet))
    return True


_STATS_GROUPS = ("state", "cpu-total", "balloon", "vcpu", "interface", "block", "perf", "iothread",
                 "memory", "dirtyrate", "vm")  # bit i is 1 << i (virDomainStatsTypes)
_STATS_LISTS = ("list-active", "list-inactive", "list-persistent", "list-transient", "list-running",
                "list-paused", "list-shutoff", "list-other")  # bit i is 1 << i
_STATS_FLAGS = {"nowait": 1 << 29, "backing": 1 << 30, "enforce": 1 << 31}


@command("domstats")
def cmd_domstats(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..util import lookup_domain_text

    stats = sum(1 << i for i, name in enumerate(_STATS_GROUPS) if cmd.flag(name))
    flags = sum(1 << i for i, name in enumerate(_STATS_LISTS) if cmd.flag(name))
    flags |= sum(bit for name, bit in _STATS_FLAGS.items() if cmd.flag(name))
    names = cmd.argv("domain")
    if names:
        domains = [lookup_domain_text(ctl, name) for name in names]
        records = ctl.conn.domain_stats(stats, domains, flags=flags)
    else:
        records = ctl.conn.domain_stats(stats, flags=flags)
    blocks = ["".join([f"Domain: '{dom.name}'\n", *(f"  {field}={value}\n" for field, value in params.items())])
              for dom, params in records]
    ctl.print("\n".join(blocks))  # a blank line between records, as virsh
    return True
