"""The generic post-parse in the core (``pyvirt._core.domain_post``) where the corpus is thin.

The corpus runs pin the post-parse's output document by document; these probes pin what it
does not reach: element objects a user holds across ``DomainDef.normalize()`` while the
post-parse removes or replaces their elements, the choice of the enumerated-value error when
several values are wrong, the split between the C path (values already in libvirt's
spelling) and the Python helpers (any other spelling), and importing the core module before
the configuration layer.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import ErrorNumber, VirtError

DOMAIN = (
    "<domain type='kvm'><name>probe</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
    "<memory unit='KiB'>1048576</memory><vcpu placement='static'>4</vcpu>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>{}</domain>"
)

CPU_NUMA = (
    "<cpu><numa>"
    "<cell id='0' cpus='0-1' memory='524288'><distances><sibling id='1' value='21'/></distances></cell>"
    "<cell id='1' cpus='2-3' memory='524288'/>"
    "</numa></cpu>"
)


def test_held_elements_survive_normalize() -> None:
    """Elements the post-parse removes stay valid objects for whoever holds them, and the
    output is the one a fresh parse of the same document gives."""
    extra = (
        "<seclabel type='dynamic' model='selinux'><label>a</label><imagelabel>b</imagelabel></seclabel>"
        "<metadata><plain/><x:a xmlns:x='urn:x'/><x:b xmlns:x='urn:x'/></metadata>"
    )
    text = DOMAIN.format(CPU_NUMA + extra)
    expected = DomainDef.from_xml(text).to_xml()

    d = DomainDef.from_xml(DOMAIN.format(""))
    root = d.element
    root.append(etree.fromstring(CPU_NUMA))
    for el in etree.fromstring(f"<x>{extra}</x>"):
        root.append(el)
    held = {
        "distances": root.find("cpu/numa/cell/distances"),  # replaced by the completed matrix
        "sibling": root.find("cpu/numa/cell/distances/sibling"),
        "label": root.find("seclabel/label"),  # runtime labels are dropped
        "imagelabel": root.find("seclabel/imagelabel"),
        "plain": root.find("metadata/plain"),  # metadata without a namespace is dropped
    }
    d.normalize()
    assert d.to_xml() == expected
    for name, el in held.items():
        assert el.tag == name
    for name in ("distances", "label", "imagelabel", "plain"):
        assert held[name].getparent() is None  # detached, not freed
    assert held["sibling"].getparent() is held["distances"] and held["sibling"].get("value") == "21"
    assert held["label"].text == "a"
    assert root.find("cpu/numa/cell/distances") is not held["distances"]


def test_held_empty_cpu_and_model_are_dropped_cleanly() -> None:
    """An empty <cpu/> and a host-model's empty <model/> go; held objects stay usable."""
    d = DomainDef.from_xml(DOMAIN.format(""))
    root = d.element
    empty = etree.SubElement(root, "cpu")
    d.normalize()
    assert root.find("cpu") is None and empty.getparent() is None and empty.tag == "cpu"

    d = DomainDef.from_xml(DOMAIN.format("<cpu mode='host-model'><model fallback='allow'/></cpu>"))
    model = etree.SubElement(d.element.find("cpu"), "model")
    d.normalize()
    assert d.element.find("cpu/model") is None and model.getparent() is None
    assert "<cpu mode='host-model'/>" in d.to_xml()


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        # the lowest row of enums.ENUMS wins, wherever it is in the document
        (
            "<input type='bogus' bus='usb'/><disk type='bad1' device='disk'/><disk type='bad2' device='disk'/>",
            "Invalid value for attribute 'type' in element 'disk': 'bad1'.",
        ),
        (
            "<controller type='usb' model='bogus'/><controller type='bad'/>",
            "Invalid value for attribute 'type' in element 'controller': 'bad'.",
        ),
        # capabilities-mode host devices have types of their own
        (
            "<hostdev mode='capabilities' type='storage'/><watchdog model='bogus'/>",
            "unknown watchdog model 'bogus'",
        ),
    ],
)
def test_enum_error_choice(devices: str, message: str) -> None:
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(DOMAIN.format(f"<devices>{devices}</devices>"))
    assert message in info.value.message


def test_enum_error_comes_after_the_os_checks() -> None:
    text = DOMAIN.format("<devices><disk type='bogus' device='disk'/></devices>").replace(
        ">hvm<", ">bogus<"
    )
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(text)
    assert (
        info.value.code == ErrorNumber.CONFIG_UNSUPPORTED
        and "unknown OS type 'bogus'" in info.value.message
    )


def _out(extra: str) -> etree._Element:
    return etree.fromstring(DomainDef.from_xml(DOMAIN.format(extra)).to_xml())


@pytest.mark.parametrize(
    ("extra", "path", "attr", "value"),
    [
        # node sets: already canonical (C) and respelled (Python helpers)
        (
            "<cputune><vcpupin vcpu='0' cpuset='0,2-3'/></cputune>",
            "cputune/vcpupin",
            "cpuset",
            "0,2-3",
        ),
        (
            "<cputune><vcpupin vcpu='0' cpuset='3,0,2'/></cputune>",
            "cputune/vcpupin",
            "cpuset",
            "0,2-3",
        ),
        (
            "<cputune><vcpupin vcpu='0' cpuset='0-3,^1'/></cputune>",
            "cputune/vcpupin",
            "cpuset",
            "0,2-3",
        ),
        ("<cputune><vcpupin vcpu='0' cpuset='2-2'/></cputune>", "cputune/vcpupin", "cpuset", "2"),
        # NUMA cell sizes: KiB digits (C) and other units (units.py)
        (
            "<cpu><numa><cell cpus='0-3' memory='1048576'/></numa></cpu>",
            "cpu/numa/cell",
            "memory",
            "1048576",
        ),
        (
            "<cpu><numa><cell cpus='0-3' memory='1024' unit='MiB'/></numa></cpu>",
            "cpu/numa/cell",
            "memory",
            "1048576",
        ),
        (
            "<cpu><numa><cell cpus='0-3' memory='01048576'/></numa></cpu>",
            "cpu/numa/cell",
            "memory",
            "1048576",
        ),
        # scaled sizes
        (
            "<memtune><hard_limit unit='KiB'>2048</hard_limit></memtune>",
            "memtune/hard_limit",
            None,
            "2048",
        ),
        (
            "<memtune><hard_limit unit='M'>2</hard_limit></memtune>",
            "memtune/hard_limit",
            None,
            "2048",
        ),
        # file modes
        (
            "<devices><filesystem type='mount' fmode='644'><source dir='/a'/><target dir='t'/></filesystem></devices>",
            "devices/filesystem",
            "fmode",
            "0644",
        ),
        (
            "<devices><filesystem type='mount' fmode='0o644'><source dir='/a'/><target dir='t'/></filesystem></devices>",
            "devices/filesystem",
            "fmode",
            "0644",
        ),
    ],
)
def test_spellings_c_and_python_paths(extra: str, path: str, attr: str | None, value: str) -> None:
    el = _out(extra).find(path)
    assert (el.text if attr is None else el.get(attr)) == value


@pytest.mark.parametrize(
    ("memory", "current", "expected"),
    [
        ("<memory unit='KiB'>1048576</memory>", "", ("1048576", "1048576")),
        (
            "<memory unit='GiB'>1</memory>",
            "<currentMemory>2097152</currentMemory>",
            ("1048576", "1048576"),
        ),
        (
            "<memory>1048576</memory>",
            "<currentMemory unit='MiB'>512</currentMemory>",
            ("1048576", "524288"),
        ),
    ],
)
def test_memory_totals(memory: str, current: str, expected: tuple[str, str]) -> None:
    text = DOMAIN.format("").replace("<memory unit='KiB'>1048576</memory>", memory + current)
    out = etree.fromstring(DomainDef.from_xml(text).to_xml())
    assert (out.findtext("memory"), out.findtext("currentMemory")) == expected
    assert out.find("memory").get("unit") == out.find("currentMemory").get("unit") == "KiB"


def test_core_module_imports_first() -> None:
    """The core imports the configuration layer, whose model imports the core back."""
    code = "import pyvirt._core.domain_post as m; from pyvirt.conf.domain import DomainDef; print(m.post_parse)"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def _first_bad_enum(root: etree._Element) -> str | None:
    """enums.ENUMS read directly: the lowest row any element breaks, its first element in
    document order (the reference for the core walk's choice)."""
    from pyvirt.conf.domain.enums import ENUMS
    from pyvirt.conf.values import invalid_prop

    for row in ENUMS:
        path, attr, allowed, maker = row[:4]
        cond = row[4] if len(row) > 4 else ("mode", "subsystem", "subsystem") if path == "devices/hostdev" else None
        for el in root.iterfind(path):
            if cond is not None and el.get(cond[0], cond[1]) != cond[2]:
                continue
            value = el.get(attr)
            if value is not None and value not in allowed:
                return str((maker or invalid_prop)(attr, path.rsplit("/", 1)[-1], value))
    return None


def test_enum_choice_matches_the_rows_on_corpus_documents(corpus: Path) -> None:
    """Bad values planted at random in corpus documents: the error is the reference's."""
    from pyvirt.conf.domain.enums import ENUMS

    rng = random.Random(2024)
    texts = []
    for path in sorted((corpus / "qemuxml2argv").glob("*.xml"))[::7]:
        try:
            DomainDef.from_xml(path.read_text())
        except VirtError:
            continue
        texts.append(path.read_text())
    checked = 0
    for text in texts:
        root = etree.fromstring(text.encode())
        targets = [(el, row[1]) for row in ENUMS for el in root.iterfind(row[0])]
        if not targets:
            continue
        for el, attr in rng.sample(targets, min(len(targets), rng.randint(1, 3))):
            el.set(attr, "bogus")
        expected = _first_bad_enum(root)
        if expected is None:  # only capabilities-mode host devices were hit
            continue
        with pytest.raises(VirtError) as info:
            DomainDef.from_xml(etree.tostring(root, encoding=str))
        assert str(info.value) == expected
        checked += 1
    assert checked > 20
