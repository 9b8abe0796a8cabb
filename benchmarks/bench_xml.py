"""Benchmark of the XML hot path over the corpus's domain documents.

For every domain input in ``qemuxml2argv/`` (that libvirt accepts, so the three measure the
same work) this prints, per document and in total:

* pyvirt: ``DomainDef.from_xml(text).to_xml()`` (parse, generic post-parse, validate, format);
* lxml: ``etree.tostring(etree.fromstring(text))``, the floor of any lxml-based parser;
* libvirt (when libvirt-python is installed): ``defineXML`` + ``XMLDesc`` + ``undefine`` on a
  test driver with an empty node, i.e. libvirt's own parse and format of the same text.

Each figure is the best of ``--repeat`` rounds of ``--number`` calls (timeit's method).
Usage: ``python3 benchmarks/bench_xml.py [--corpus DIR] [--number N] [--repeat R] [-q]``.
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
    args = ap.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
