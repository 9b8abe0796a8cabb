"""Benchmark of the XML hot path over the corpus's domain documents.

For every domain input in ``qemuxml2argv/`` (that libvirt accepts, so the three measure the
same work) this prints, per document and in total:

* pyvirt: ``DomainDef.from_xml(text).to_xml()`` (parse, generic post-parse, validate, format);
* lxml: ``etree.tostring(etree.fromstring(text))``, the floor of any lxml-based parser;
* libvirt (when libvirt-python is installed): ``defineXML`` + ``XMLDesc`` + ``undefine`` on a
  test driver with an empty node, i.e. libvirt's own parse and format of the same text.

The same three figures are then printed, in total, for the corpus's network, storage pool,
storage volume and snapshot inputs (``*xml2xmlin/``), libvirt's side being the test driver's
``networkDefineXML``/``storagePoolDefineXML`` + ``XMLDesc`` + ``undefine``, ``createXML`` of a
volume in a running pool + ``XMLDesc`` + ``delete``, and ``snapshotCreateXML`` on a defined
domain + ``getXMLDesc`` + ``delete``.

Each figure is the best of ``--repeat`` rounds of ``--number`` calls (timeit's method).
Usage: ``python3 benchmarks/bench_xml.py [--corpus DIR] [--number N] [--repeat R] [-q]
[--formats domain,network,pool,volume,snapshot]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import timeit
from pathlib import Path

from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.conf.network import NetworkDef
from pyvirt.conf.snapshot import SnapshotDef
from pyvirt.conf.storage import StoragePoolDef, StorageVolDef
from pyvirt.errors import VirtError

REPO = Path(__file__).resolve().parent.parent


def best(fn, number: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds per call: the fastest of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def open_libvirt():  # type: ignore[no-untyped-def]
    try:
        import libvirt
    except ImportError:
        return None, None
    libvirt.registerErrorHandler(lambda *a: None, None)
    node = Path(tempfile.gettempdir()) / "pyvirt-bench-empty.xml"
    node.write_text("<node/>")
    return libvirt, libvirt.open(f"test://{node}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared/corpus/libvirt-9.0.0"))
    ap.add_argument("--number", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("-q", "--quiet", action="store_true", help="totals only")
    ap.add_argument("--formats", default="domain,network,pool,volume,snapshot")
    args = ap.parse_args(argv)
    formats = args.formats.split(",")
    if "domain" not in formats:
        libvirt, conn = open_libvirt()
        return bench_others(Path(args.corpus), formats, libvirt, conn, args.number, args.repeat)
    paths = sorted((Path(args.corpus) / "qemuxml2argv").glob("*.xml"))
    if not paths:
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 1
    libvirt, conn = open_libvirt()
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    totals = {"pyvirt": 0.0, "lxml": 0.0, "libvirt": 0.0}
    count = 0
    if not args.quiet:
        head = f"{'document':<58} {'pyvirt µs':>10} {'lxml µs':>9} {'libvirt µs':>11} {'lv/py':>6} {'py/lx':>6}"
        print(head)
    for path in paths:
        text = path.read_text()
        data = text.encode()
        try:
            DomainDef.from_xml(text).to_xml()
        except VirtError:
            continue  # rejected documents are not a parse+format workload
        if conn is not None:
            try:
                conn.defineXML(text).undefine()
            except libvirt.libvirtError:
                continue

            def lv(text: str = text) -> None:
                dom = conn.defineXML(text)
                dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
                dom.undefine()

            t_lv = best(lv, args.number, args.repeat)
        else:
            t_lv = 0.0
        t_py = best(lambda text=text: DomainDef.from_xml(text).to_xml(), args.number, args.repeat)
        t_lx = best(lambda data=data: etree.tostring(etree.fromstring(data, parser)), args.number, args.repeat)
        totals["pyvirt"] += t_py
        totals["lxml"] += t_lx
        totals["libvirt"] += t_lv
        count += 1
        if not args.quiet:
            ratio_lv = f"{t_lv / t_py:6.1f}" if t_lv else "     -"
            print(f"{path.name[:58]:<58} {t_py * 1e6:10.1f} {t_lx * 1e6:9.1f} {t_lv * 1e6:11.1f} {ratio_lv} {t_py / t_lx:6.2f}")
    print(f"\n{count} documents (accepted by pyvirt{' and libvirt' if conn else ''})")
    print(f"total pyvirt  from_xml+to_xml : {totals['pyvirt'] * 1e3:9.2f} ms")
    print(f"total lxml    parse+serialize : {totals['lxml'] * 1e3:9.2f} ms")
    if conn is not None:
        print(f"total libvirt define+dump+undef: {totals['libvirt'] * 1e3:9.2f} ms")
        print(f"libvirt / pyvirt  = {totals['libvirt'] / totals['pyvirt']:.2f}x  (target >= 3x)")
    else:
        print("libvirt-python not installed: no libvirt figures")
    print(f"pyvirt / lxml     = {totals['pyvirt'] / totals['lxml']:.2f}x  (target <= 2x)")
    return bench_others(Path(args.corpus), formats, libvirt, conn, args.number, args.repeat)


#: a domain with enough disks for the corpus's snapshot inputs to name
SNAPSHOT_DOMAIN = (
    "<domain type='test'><name>pyvirt-bench</name><memory>1024</memory>"
    "<os><type>hvm</type></os><devices>"
    + "".join(
        f"<disk type='file' device='disk'><source file='/bench/{d}'/><target dev='{d}'/></disk>"
        for d in ("hda", "hdb", "hdc", "hdd", "vda", "vdb")
    )
    + "</devices></domain>"
)


def libvirt_roundtrips(libvirt, conn):  # type: ignore[no-untyped-def]
    """Per format, a function doing libvirt's define + format + undefine of one text."""
    if conn is None:
        return {}
    pool = conn.storagePoolLookupByName("pyvirt-bench") if "pyvirt-bench" in conn.listStoragePools() else (
        conn.storagePoolCreateXML(
            "<pool type='dir'><name>pyvirt-bench</name><target><path>/bench</path></target></pool>", 0
        )
    )
    dom = conn.defineXML(SNAPSHOT_DOMAIN)

    def network(text: str) -> None:
        net = conn.networkDefineXML(text)
        net.XMLDesc(0)
        net.undefine()

    def pool_(text: str) -> None:
        p = conn.storagePoolDefineXML(text)
        p.XMLDesc(0)
        p.undefine()

    def volume(text: str) -> None:
        vol = pool.createXML(text, 0)
        vol.XMLDesc(0)
        vol.delete(0)

    def snapshot(text: str) -> None:
        snap = dom.snapshotCreateXML(text, 0)
        snap.getXMLDesc(0)
        snap.delete(0)

    return {"network": network, "pool": pool_, "volume": volume, "snapshot": snapshot}


OTHER_FORMATS = {
    "network": ("networkxml2xmlin", NetworkDef),
    "pool": ("storagepoolxml2xmlin", StoragePoolDef),
    "volume": ("storagevolxml2xmlin", StorageVolDef),
    "snapshot": ("snapshotxml2xmlin", SnapshotDef),
}


def bench_others(corpus: Path, formats: list[str], libvirt, conn, number: int, repeat: int) -> int:  # type: ignore[no-untyped-def]
    """Totals per format for the non-domain documents both pyvirt and libvirt accept."""
    if not any(kind in OTHER_FORMATS for kind in formats):
        return 0
    lv_fns = libvirt_roundtrips(libvirt, conn)
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    print(f"\n{'format':<9} {'docs':>4} {'pyvirt µs/doc':>14} {'lxml µs/doc':>12} {'libvirt µs/doc':>15} {'lv/py':>6} {'py/lx':>6}")
    for kind in formats:
        if kind not in OTHER_FORMATS:
            continue
        folder, cls = OTHER_FORMATS[kind]
        t_py = t_lx = t_lv = 0.0
        count = 0
        lv = lv_fns.get(kind)
        for path in sorted((corpus / folder).glob("*.xml")):
            text = path.read_text()
            try:
                cls.from_xml(text).to_xml()
            except VirtError:
                continue
            if lv is not None:
                try:
                    lv(text)
                except libvirt.libvirtError:
                    continue
                t_lv += best(lambda text=text, lv=lv: lv(text), number, repeat)
            t_py += best(lambda text=text, cls=cls: cls.from_xml(text).to_xml(), number, repeat)
            data = text.encode()
            t_lx += best(lambda data=data: etree.tostring(etree.fromstring(data, parser)), number, repeat)
            count += 1
        if not count:
            print(f"{kind:<9} no documents accepted")
            continue
        per = 1e6 / count
        lv_col = f"{t_lv * per:15.1f} {t_lv / t_py:6.2f}" if lv else f"{'-':>15} {'-':>6}"
        print(f"{kind:<9} {count:4d} {t_py * per:14.1f} {t_lx * per:12.1f} {lv_col} {t_py / t_lx:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
