"""Unknown element and attribute names, against live libvirt (its test driver).

libvirt's domain parser reads only the names it knows, so an unknown element or attribute
anywhere in a document is missing from its output (it copies ``<metadata>`` whole, so there
they stay). pyvirt drops the names its schema-derived tables do not know at each path
(``conf/domain/known_data.py``). Here, every 10th corpus document libvirt accepts gets an
unknown child element, then an unknown attribute (every third document also a namespaced
attribute), injected at each of its elements in turn; each variant is defined in libvirt and
in pyvirt and the canonical outputs compared (see ``domain_oracle``). A difference means
pyvirt kept what libvirt drops or dropped what libvirt keeps.

At a few paths libvirt *refuses* an unknown child instead (it reads every child of
``<features>``, ``<hyperv>``, ... and rejects names it does not know): ``REFUSED_BY_LIBVIRT``.
pyvirt refuses there too; those variants are compared like the others (same code and message)
and must be refused at those paths only.

Text is handled the same way: libvirt reads character data only in elements whose schema has
some, so text put in any other element (``<controller type='usb'>-0</controller>``) is
missing from its output. ``test_text_in_elements_is_handled_as_libvirt_does`` puts a text
into each element of the sampled documents that has none, in turn, and compares.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError

from .domain_oracle import compare_text, domain_inputs, oracle_result

UNKNOWN_ELEMENT = "pyvirtUnknownElement"
UNKNOWN_ATTRIBUTE = "pyvirtUnknownAttribute"
INJECTED_TEXT = "pyvirtText"
STEP = 10

#: element paths where libvirt rejects an unknown child element (and pyvirt with it)
REFUSED_BY_LIBVIRT = frozenset({
    "/domain/features",
    "/domain/features/hyperv",
    "/domain/features/hyperv/stimer",
    "/domain/features/kvm",
    "/domain/features/xen",
    "/domain/features/capabilities",
    "/domain/devices/tpm/backend/active_pcr_banks",
})  # fmt: skip


def _pyvirt_message(text: str) -> str | None:
    try:
        DomainDef.from_xml(text)
    except VirtError as exc:
        return exc.message
    return None


def _accepted(conn: object, corpus: Path) -> list[Path]:
    return [p for p in domain_inputs(corpus) if oracle_result(conn, p.read_text())[0] is not None]


def _variants(text: bytes, kinds: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """``(kind, element path, document)`` for each element of ``text`` and each kind."""
    count = sum(1 for el in etree.fromstring(text).iter() if isinstance(el.tag, str))
    out = []
    for i in range(count):
        for kind in kinds:
            root = etree.fromstring(text)
            target = [el for el in root.iter() if isinstance(el.tag, str)][i]
            if kind == "element":
                etree.SubElement(target, UNKNOWN_ELEMENT)
            elif kind == "attribute":
                target.set(UNKNOWN_ATTRIBUTE, "1")
            elif kind == "text":
                if (target.text or "").strip():
                    continue  # its own text is data: replacing it is another test
                target.text = INJECTED_TEXT
            else:  # declared on the element itself, so its declaration must go too
                target.set(f"{{urn:pyvirt-test}}{UNKNOWN_ATTRIBUTE}", "1")
            path = re.sub(r"\[\d+\]", "", root.getroottree().getpath(target))
            out.append((kind, path, etree.tostring(root).decode()))
    return out


def test_unknown_names_are_handled_as_libvirt_does(corpus: Path, libvirt_oracle: object) -> None:
    sample = _accepted(libvirt_oracle, corpus)[::STEP]
    assert len(sample) >= 40
    problems: list[str] = []
    dropped = kept = refused = 0
    seen_paths: set[str] = set()
    for n, doc in enumerate(sample):
        kinds = ("element", "attribute") + (("namespaced attribute",) if n % 3 == 0 else ())
        for kind, path, text in _variants(doc.read_bytes(), kinds):
            seen_paths.add(path)
            want_xml, _, want_msg = oracle_result(libvirt_oracle, text)
            outcome = compare_text(libvirt_oracle, text, doc.name)
            if want_xml is None:
                refused += 1
                if kind != "element" or path not in REFUSED_BY_LIBVIRT:
                    problems.append(f"{doc.name}: unknown {kind} in {path}: refused by libvirt, not listed")
                elif _pyvirt_message(text) != want_msg:
                    problems.append(f"{doc.name}: unknown {kind} in {path}: libvirt says {want_msg!r}, "
                                    f"pyvirt {_pyvirt_message(text)!r}")
            if not outcome.agree:
                problems.append(f"{doc.name}: unknown {kind} in {path}: {outcome.reason}")
            elif want_xml is not None:
                if UNKNOWN_ELEMENT in want_xml or UNKNOWN_ATTRIBUTE in want_xml:
                    kept += 1
                else:
                    dropped += 1
    report = "\n".join(problems[:40])
    assert not problems, f"{len(problems)} disagreements:\n{report}"
    # the comparison is not vacuous: most variants lose the name, some keep it (<metadata>)
    assert dropped > 2000 and len(seen_paths) > 100, (dropped, len(seen_paths))
    assert kept > 0
    print(f"\nunknown names: {dropped} dropped, {kept} kept, {refused} refused by libvirt, "
          f"{len(seen_paths)} element paths")


#: hand-written documents for what the corpus sample does not reach: recursion, namespaced
#: names, and an open subtree
HAND_WRITTEN = {
    "nested backing stores": """<domain type='test'><name>n</name><memory>1024</memory>
      <os><type>hvm</type></os><devices>
      <disk type='file' device='disk' x='1'><driver name='qemu' type='qcow2' y='2'/>
        <source file='/a.qcow2'><z/></source>
        <backingStore type='file' x='1'><format type='qcow2' x='1'/><source file='/b.qcow2' x='1'/>
          <backingStore type='file' x='1'><format type='qcow2'/><source file='/c.qcow2'><w/></source>
            <backingStore type='file' x='1'><format type='raw'/><source file='/d.raw' x='1'/>
              <backingStore/><unknown/></backingStore><unknown/></backingStore><u/></backingStore>
        <target dev='vda' bus='virtio'/></disk></devices></domain>""",
    "namespaced names": """<domain type='test' xmlns:u='urn:u'><name>n</name><memory>1024</memory>
      <os u:a='1'><type>hvm</type></os><devices>
      <disk type='file' device='disk'><source file='/a.img' u:b='2'><u:x/></source>
        <target dev='vda' bus='virtio' u:c='3'/><u:y/></disk></devices></domain>""",
    "namespaces declared below the root": """<domain type='test'><name>n</name>
      <uuid xmlns:x='urn:x'>11111111-2222-3333-4444-555555555555</uuid><memory>1024</memory>
      <os><type>hvm</type></os><devices><disk type='file' device='disk'>
        <source file='/a.img'><z:e xmlns:z='urn:z'/></source>
        <target dev='vda' bus='virtio' xmlns:y='urn:y' y:a='1'/></disk></devices></domain>""",
    "metadata kept whole": """<domain type='test'><name>n</name><memory>1024</memory>
      <metadata extra='1'><m:app xmlns:m='urn:m' any='1'><m:deep unknown='2'><m:x/></m:deep>
      </m:app></metadata><os><type>hvm</type></os></domain>""",
    "text-only elements": """<domain type='test'><name>n<x/></name><memory unit='KiB' q='1'>1024<y/></memory>
      <vcpu placement='static' z='1'>2<a/></vcpu><os><type>hvm<b/></type></os>
      <on_crash>destroy<c/></on_crash></domain>""",
    "text in elements without text": """<domain type='test'>  x <name>n</name><memory>1024</memory>
      <os><type>hvm</type></os><features><apic> </apic><pae>
      </pae><gic version='2'>0x10</gic></features><devices>1.2<controller type='usb' index='0'>-0</controller>tail
      <input type='mouse' bus='ps2'><![CDATA[abc]]></input><disk type='block' device='disk'>
      <source dev='/dev/x'>010</source><target dev='vda' bus='virtio'>t<!-- c --></target>
      <driver name='qemu' type='raw'>4294967296</driver></disk></devices>text at end</domain>""",
    "emptied elements": """<domain type='test'><name>n</name><memory>1024</memory>
      <os><type>hvm</type></os><cpu x='1'/><devices><panic y='1'/>
      <channel type='unix'><source z='1'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
      </devices></domain>""",
}


def test_hand_written_unknown_names(libvirt_oracle: object) -> None:
    bad = []
    for name, text in HAND_WRITTEN.items():
        outcome = compare_text(libvirt_oracle, text, name)
        if not outcome.agree:
            bad.append(f"{name}: {outcome.reason}")
    assert not bad, "\n".join(bad)


def test_refusals_agree_with_libvirt(libvirt_oracle: object) -> None:
    """At each listed path libvirt refuses an unknown child, and pyvirt with the same code
    and message."""
    docs = {
        "/domain/features": "<features><{u}/></features>",
        "/domain/features/hyperv": "<features><hyperv mode='custom'><{u}/></hyperv></features>",
        "/domain/features/hyperv/stimer": (
            "<features><hyperv mode='custom'><stimer state='on'><{u}/></stimer></hyperv></features>"
        ),
        "/domain/features/kvm": "<features><kvm><{u}/></kvm></features>",
        "/domain/features/xen": "<features><xen><{u}/></xen></features>",
        "/domain/features/capabilities": "<features><capabilities policy='default'><{u}/></capabilities></features>",
        "/domain/devices/tpm/backend/active_pcr_banks": (
            "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'>"
            "<active_pcr_banks><{u}/></active_pcr_banks></backend></tpm></devices>"
        ),
    }
    assert set(docs) == REFUSED_BY_LIBVIRT
    codes = Counter()
    for path, body in docs.items():
        text = (
            "<domain type='kvm'><name>r</name><memory>1024</memory>"
            "<os><type arch='x86_64'>hvm</type></os>" + body.format(u=UNKNOWN_ELEMENT) + "</domain>"
        )
        xml, code, message = oracle_result(libvirt_oracle, text)
        assert xml is None, path
        codes[code] += 1
        outcome = compare_text(libvirt_oracle, text, path)
        assert outcome.agree, f"{path}: {outcome.reason}"
        assert _pyvirt_message(text) == message, path
    assert codes == Counter({67: len(docs)})


def test_text_in_elements_is_handled_as_libvirt_does(corpus: Path, libvirt_oracle: object) -> None:
    """A text in an element that has none: libvirt drops it where its schema has no text
    (so does pyvirt, ``tables.TEXT_FREE_PATHS``), elsewhere it is read as the value."""
    sample = _accepted(libvirt_oracle, corpus)[::STEP]
    problems: list[str] = []
    dropped = kept = refused = 0
    seen_paths: set[str] = set()
    for doc in sample:
        for _, path, text in _variants(doc.read_bytes(), ("text",)):
            seen_paths.add(path)
            outcome = compare_text(libvirt_oracle, text, doc.name)
            want_xml = oracle_result(libvirt_oracle, text)[0]
            if not outcome.agree:
                problems.append(f"{doc.name}: text in {path}: {outcome.reason}")
            elif want_xml is None:
                refused += 1
            elif INJECTED_TEXT in want_xml:
                kept += 1
            else:
                dropped += 1
    report = "\n".join(problems[:40])
    assert not problems, f"{len(problems)} disagreements:\n{report}"
    assert dropped > 800 and kept > 0 and len(seen_paths) > 100, (dropped, len(seen_paths))
    print(f"\ntext in elements: {dropped} dropped, {kept} kept, {refused} refused by libvirt, "
          f"{len(seen_paths)} element paths")
