"""Differential comparison of pyvirt's domain parse+format against libvirt's (the oracle).

Used by ``test_domain_corpus.py`` and runnable by hand (``python3 -m
tests.conformance.domain_oracle [-v] [names...]``) to list every disagreement.

Canonical form: both documents are parsed, whitespace-only text dropped, and compared as
C14N. Values that are *generated* when the input lacks them (MAC addresses, the VM
generation id) are masked in both, and the test driver's own interface target names
(``testnetN``, which libvirt's test driver invents; a driver detail, not the generic parse)
are removed from libvirt's output when the input interface had no target.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError


@dataclass
class Outcome:
    name: str
    agree: bool
    reason: str = ""


def canonical(text: str, source: etree._Element | None = None) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    root = etree.fromstring(text.encode(), parser)
    for el in root.iter():
        if el.text is not None and not el.text.strip() and (len(el) or True):
            el.text = None
        el.tail = None
    if source is not None:
        _mask_generated(root, source)
    return etree.tostring(root, method="c14n")


def _mask_generated(root: etree._Element, source: etree._Element) -> None:
    src_nics = source.findall("devices/interface")
    for i, nic in enumerate(root.findall("devices/interface")):
        src = src_nics[i] if i < len(src_nics) else None
        mac = nic.find("mac")
        if mac is not None and (src is None or src.find("mac") is None):
            mac.set("address", "generated")
        params = nic.find("virtualport/parameters")
        if params is not None and params.get("interfaceid") and (
            src is None or src.find("virtualport/parameters[@interfaceid]") is None
        ):
            params.set("interfaceid", "generated")
        target = nic.find("target")
        src_target = None if src is None else src.find("target")
        src_dev = "" if src_target is None else (src_target.get("dev") or "")
        if (
            target is not None
            and (src_target is None or src_dev.startswith(("vnet", "macvtap", "macvlan")))
            and (target.get("dev") or "").startswith("testnet")
        ):
            nic.remove(target)
    genid = root.find("genid")
    if genid is not None and (source.find("genid") is None or not (source.findtext("genid") or "").strip()):
        genid.text = "generated"
    if source.find("uuid") is None and root.find("uuid") is not None:
        root.find("uuid").text = "generated"


def oracle_result(conn: object, text: str) -> tuple[str | None, int | None, str]:
    """(inactive XML, None, '') when libvirt accepts; (None, code, message) when it rejects."""
    import libvirt

    try:
        dom = conn.defineXML(text)  # type: ignore[attr-defined]
    except libvirt.libvirtError as exc:
        return None, exc.get_error_code(), exc.get_error_message()
    try:
        return dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), None, ""
    finally:
        dom.undefine()


def compare(conn: object, path: Path) -> Outcome:
    return compare_text(conn, path.read_text(), path.name)


def compare_text(conn: object, text: str, name: str = "<text>") -> Outcome:
    """Compare pyvirt with libvirt on one document given as text."""
    path = Path(name)
    want_xml, want_code, want_msg = oracle_result(conn, text)
    try:
        got_xml = DomainDef.from_xml(text).to_xml(inactive=True)
        got_code, got_msg = None, ""
    except VirtError as exc:
        got_xml, got_code, got_msg = None, int(exc.code), exc.message
    except Exception as exc:  # a traceback is always a disagreement
        return Outcome(path.name, False, f"python error {type(exc).__name__}: {exc}")
    if want_xml is None:
        if got_code == want_code:
            return Outcome(path.name, True)
        if got_xml is not None:
            return Outcome(path.name, False, f"libvirt rejects ({want_code}: {want_msg}), pyvirt accepts")
        return Outcome(path.name, False, f"codes differ: libvirt {want_code} ({want_msg}), pyvirt {got_code} ({got_msg})")
    if got_xml is None:
        return Outcome(path.name, False, f"pyvirt rejects ({got_code}: {got_msg}), libvirt accepts")
    source = etree.fromstring(text.encode())
    a = canonical(want_xml, source)
    b = canonical(got_xml, source)
    if a == b:
        return Outcome(path.name, True)
    return Outcome(path.name, False, "output differs: " + first_difference(a, b))


def first_difference(want: bytes, got: bytes) -> str:
    import difflib

    def lines(c: bytes) -> list[str]:
        root = etree.fromstring(c)
        return etree.tostring(root, pretty_print=True).decode().splitlines()

    out = []
    for line in difflib.unified_diff(lines(want), lines(got), lineterm="", n=0):
        if line[:1] in "+-" and line[:3] not in ("+++", "---"):
            out.append(line.strip()[:110])
        if len(out) >= 4:
            break
    return " | ".join(out)


def domain_inputs(corpus: Path) -> list[Path]:
    return sorted((corpus / "qemuxml2argv").glob("*.xml"))


def run(conn: object, paths: Iterable[Path]) -> list[Outcome]:
    return [compare(conn, p) for p in paths]


def main(argv: list[str]) -> int:
    import collections
    import os

    import libvirt

    libvirt.registerErrorHandler(lambda *a: None, None)
    node = Path("/tmp/pyvirt-oracle-empty.xml")
    node.write_text("<node/>")
    conn = libvirt.open(f"test://{node}")
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    corpus = Path(os.environ.get("PYVIRT_CORPUS", Path(__file__).resolve().parents[2].parent / "shared/corpus/libvirt-9.0.0"))
    paths = domain_inputs(corpus)
    if names:
        paths = [p for p in paths if any(n in p.name for n in names)]
    results = run(conn, paths)
    bad = [r for r in results if not r.agree]
    classes: collections.Counter[str] = collections.Counter()
    for r in bad:
        if verbose or names:
            print(f"{r.name}: {r.reason}")
        classes[r.reason.split(" | ")[0][:100]] += 1
    if not names:
        for reason, count in classes.most_common(40):
            print(count, reason)
    print(f"agree {len(results) - len(bad)}/{len(results)} = {100 * (len(results) - len(bad)) / max(len(results), 1):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
