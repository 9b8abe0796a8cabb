"""Properties of pyvirt's domain output over the whole corpus (no oracle needed).

* What pyvirt writes is a fixed point: parsing it again and writing it back changes nothing
  after one more round (libvirt itself may move an implicit device once, as it does).
* What pyvirt writes validates against libvirt's RelaxNG schema whenever the input did.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.conf.schema import validate_against_schema
from pyvirt.errors import VirtError


def _accepted(corpus: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted((corpus / "qemuxml2argv").glob("*.xml")):
        text = path.read_text()
        try:
            out.append((path.name, DomainDef.from_xml(text).to_xml(secure=True)))
        except VirtError:
            continue
    return out


def test_output_is_a_fixed_point(corpus: Path) -> None:
    docs = _accepted(corpus)
    assert len(docs) > 400
    moving = []
    for name, first in docs:
        second = DomainDef.from_xml(first).to_xml(secure=True)
        third = DomainDef.from_xml(second).to_xml(secure=True)
        if third != second:
            moving.append(name)
    assert not moving, f"output still changes after two rounds: {moving}"


def test_output_validates_when_input_did(corpus: Path) -> None:
    failures = []
    for name, out in _accepted(corpus):
        source = etree.parse(str(corpus / "qemuxml2argv" / name)).getroot()
        try:
            validate_against_schema(source, "domain")
        except VirtError:
            continue  # the input itself is outside the schema
        try:
            validate_against_schema(etree.fromstring(out.encode()), "domain")
        except VirtError as exc:
            failures.append(f"{name}: {exc.message.splitlines()[-1]}")
    assert not failures, "\n".join(failures)


def test_mutated_documents_fail_only_with_libvirt_errors(corpus: Path) -> None:
    """Seeded mutations of corpus documents (bad numbers, missing attributes and elements):
    every failure must be a VirtError, never a Python exception."""
    import random

    rng = random.Random(20260101)
    files = sorted((corpus / "qemuxml2argv").glob("*.xml"))
    values = ["", "x", "-1", "0", "99999999999999999999999", "0x", "yes", " ", "1.5", "/"]
    errors = 0
    for _ in range(400):
        root = etree.parse(str(rng.choice(files))).getroot()
        for _ in range(rng.randint(1, 3)):
            el = rng.choice(list(root.iter()))
            roll = rng.random()
            if roll < 0.4 and el.attrib:
                el.set(rng.choice(list(el.attrib)), rng.choice(values))
            elif roll < 0.6 and el.attrib:
                del el.attrib[rng.choice(list(el.attrib))]
            elif roll < 0.8 and el.getparent() is not None:
                el.getparent().remove(el)
            else:
                el.text = rng.choice(values)
        try:
            DomainDef.from_xml(etree.tostring(root)).to_xml()
        except VirtError as exc:
            errors += 1
            assert "invalid value in domain definition" not in exc.message, exc.message
    assert errors > 50  # the mutations do hit libvirt's checks
