"""Portable API benchmark: the same calls on pyvirt's and libvirt's test drivers, in one run.

Method: each operation runs on both implementations in alternating small batches (BATCH
calls of pyvirt, then BATCH of libvirt, repeated) so that load from other users of the shared
machine hits both alike; every batch is timed and the per-call figure is the median batch time
divided by BATCH. libvirt is driven through libvirt-python, pyvirt through its public API, each
on its own private ``test:///PATH.xml`` node (an empty ``<node/>`` plus the domains the
operation needs), so neither sees the other's objects.

Operations (what one "call" is):
  open                 open + close of test:///default
  lookup               lookupByName / lookup_domain_by_name
  xml                  XMLDesc / xml() of a running 40-line domain
  info                 info()
  define+undefine      defineXML + undefine of a 40-line domain
  start+destroy        create + destroy of a defined domain
  create+destroy       createXML (transient) + destroy
  snapshot c+r+d       snapshotCreateXML + revertToSnapshot + delete (skipped if unsupported)
  list N               listAllDomains with N defined domains (N = 1, 100, 1000, 10000)

Run: ``python3 benchmarks/bench_api.py [--batch 50] [--rounds 9] [--max-list 10000]``.
Targets (issue 3): pyvirt at parity or faster on each (ratio pyvirt/libvirt <= 1.0) and
list_domains growing linearly in N.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import pyvirt  # noqa: E402

try:
    import libvirt  # type: ignore[import-not-found]

    libvirt.registerErrorHandler(lambda *a: None, None)
except ImportError:  # pragma: no cover - the oracle is optional
    libvirt = None

DOMAIN = """<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <title>A benchmark guest</title>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/images/{name}.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/var/lib/images/install.iso'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <graphics type='vnc' port='-1' autoport='yes'/>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""


def domain_xml(name: str) -> str:
    return DOMAIN.format(name=name, uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{name}"))


#: the small domain used to fill lists (list cost does not depend on the document's size,
#: and 10000 of the 40-line guest would pass the 10 MiB document cap both parsers share)
SMALL = (
    "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
    "<name>{name}</name><uuid>{uuid}</uuid><memory>65536</memory><os><type>hvm</type></os>"
    "<test:runstate>5</test:runstate></domain>\n"
)


def node_file(directory: str, count: int, prefix: str = "d") -> str:
    """A node document holding ``count`` shut-off domains (one file per size, shared)."""
    path = os.path.join(directory, f"node-{prefix}-{count}.xml")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write("<node>\n")
            for i in range(count):
                name = f"{prefix}{i}"
                fh.write(SMALL.format(name=name, uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{name}")))
            fh.write("</node>\n")
    return path


class Impl:
    """One implementation, exposing each benchmarked operation as a zero-argument call."""

    name = ""

    def ops(self, tmp: str) -> dict[str, Callable[[], object]]:
        raise NotImplementedError

    def list_op(self, path: str) -> tuple[Callable[[], object], Callable[[], None]]:
        raise NotImplementedError


class Pyvirt(Impl):
    name = "pyvirt"

    def ops(self, tmp: str) -> dict[str, Callable[[], object]]:
        conn = pyvirt.open(f"test://{node_file(tmp, 0)}")
        self.conn = conn
        running = conn.define_domain(domain_xml("running"))
        running.start()
        stopped = conn.define_domain(domain_xml("stopped"))
        snap_dom = conn.define_domain(domain_xml("snapper"))
        text_dd = domain_xml("dd")
        text_cd = domain_xml("cd")

        def opener() -> None:
            pyvirt.open("test:///default").close()

        def define_undefine() -> None:
            conn.define_domain(text_dd).undefine()

        def start_destroy() -> None:
            stopped.start()
            stopped.destroy()

        def create_destroy() -> None:
            conn.create_domain(text_cd).destroy()

        def snapshot_cycle() -> None:
            snap = snap_dom.create_snapshot()
            snap.revert()
            snap.delete()

        keep = pyvirt.open("test:///default")  # keeps the default state alive, as libvirtd would
        self.keep = keep
        return {
            "open": opener,
            "lookup": lambda: conn.lookup_domain_by_name("running"),
            "xml": running.xml,
            "info": running.info,
            "define+undefine": define_undefine,
            "start+destroy": start_destroy,
            "create+destroy": create_destroy,
            "snapshot c+r+d": snapshot_cycle,
        }

    def list_op(self, path: str) -> tuple[Callable[[], object], Callable[[], None]]:
        conn = pyvirt.open(f"test://{path}")
        return conn.list_domains, conn.close


class Libvirt(Impl):
    name = "libvirt"

    def ops(self, tmp: str) -> dict[str, Callable[[], object]]:
        conn = libvirt.open(f"test://{node_file(tmp, 0)}")
        self.conn = conn
        running = conn.defineXML(domain_xml("running"))
        running.create()
        stopped = conn.defineXML(domain_xml("stopped"))
        snap_dom = conn.defineXML(domain_xml("snapper"))
        text_dd = domain_xml("dd")
        text_cd = domain_xml("cd")

        def opener() -> None:
            libvirt.open("test:///default").close()

        def define_undefine() -> None:
            conn.defineXML(text_dd).undefine()

        def start_destroy() -> None:
            stopped.create()
            stopped.destroy()

        def create_destroy() -> None:
            conn.createXML(text_cd, 0).destroy()

        def snapshot_cycle() -> None:
            snap = snap_dom.snapshotCreateXML("<domainsnapshot/>", 0)
            snap_dom.revertToSnapshot(snap, 0)
            snap.delete(0)

        self.keep = libvirt.open("test:///default")
        return {
            "open": opener,
            "lookup": lambda: conn.lookupByName("running"),
            "xml": lambda: running.XMLDesc(0),
            "info": running.info,
            "define+undefine": define_undefine,
            "start+destroy": start_destroy,
            "create+destroy": create_destroy,
            "snapshot c+r+d": snapshot_cycle,
        }

    def list_op(self, path: str) -> tuple[Callable[[], object], Callable[[], None]]:
        conn = libvirt.open(f"test://{path}")
        return lambda: conn.listAllDomains(0), conn.close


def per_call(fn: Callable[[], object], batch: int) -> float:
    t0 = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - t0) / batch


def measure(fns: dict[str, Callable[[], object]], batch: int, rounds: int) -> dict[str, float | None]:
    """Median per-call seconds of each implementation, batches interleaved; None if it fails."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    broken: set[str] = set()
    for name, fn in fns.items():  # warm-up and feature check
        try:
            per_call(fn, 2)
        except Exception as exc:  # noqa: BLE001 - report, don't abort the run
            print(f"    ({name}: {type(exc).__name__}: {exc})", file=sys.stderr)
            broken.add(name)
    for _ in range(rounds):
        for name, fn in fns.items():
            if name not in broken:
                samples[name].append(per_call(fn, batch))
    return {k: (None if k in broken else statistics.median(v)) for k, v in samples.items()}


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "n/a".rjust(10)
    return f"{seconds * 1e6:9.1f}µ"


def ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None else f"{a / b:5.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--max-list", type=int, default=10000)
    args = parser.parse_args()

    impls: list[Impl] = [Pyvirt()] + ([Libvirt()] if libvirt is not None else [])
    if libvirt is None:
        print("libvirt-python not installed: pyvirt figures only")

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        ops = {impl.name: impl.ops(tmp) for impl in impls}
        print(f"{'operation':<18}{'pyvirt':>11}{'libvirt':>11}{'ratio':>8}   (median per call, batch={args.batch})")
        for op in ops["pyvirt"]:
            fns = {impl.name: ops[impl.name][op] for impl in impls}
            res = measure(fns, args.batch, args.rounds)
            print(f"{op:<18}{fmt(res['pyvirt'])}{fmt(res.get('libvirt'))}{ratio(res['pyvirt'], res.get('libvirt')):>8}")

        print()
        print(f"{'list_domains N':<18}{'pyvirt':>11}{'libvirt':>11}{'ratio':>8}{'pyvirt/dom':>12}{'libvirt/dom':>12}")
        for n in (1, 100, 1000, 10000):
            if n > args.max_list:
                break
            path = node_file(tmp, n, prefix="l")
            fns, closers = {}, []
            for impl in impls:
                fn, close = impl.list_op(path)
                fns[impl.name] = fn
                closers.append(close)
            batch = max(1, args.batch * 100 // max(n, 100))
            res = measure(fns, batch, max(3, args.rounds // (2 if n >= 10000 else 1)))
            for close in closers:
                close()
            p, lv = res["pyvirt"], res.get("libvirt")
            print(
                f"{n:<18}{fmt(p)}{fmt(lv)}{ratio(p, lv):>8}"
                f"{(p or 0) / n * 1e6:11.2f}µ{((lv or 0) / n * 1e6) if lv else 0:11.2f}µ"
            )


if __name__ == "__main__":
    main()
