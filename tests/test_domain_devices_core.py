"""The core's device post-parse where the corpus tests cannot see a regression.

* Element objects a user holds across ``DomainDef.normalize()`` stay valid while the device
  step reorders, replaces (a console becomes a copy of its serial port) and removes nodes.
* The C insertion order and index assignment equal the Python reference on random
  controller and disk arrays (the corpus has few orders that exercise them).
"""

from __future__ import annotations

import gc
import random

import pytest
from lxml import etree

from pyvirt._core import domain_devices, xmlcore
from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError

insertion_order_py = domain_devices.insertion_order_py
normalize_all = domain_devices.normalize_all
post_parse_devices = domain_devices.post_parse_devices

HELD = """<domain type='kvm'><name>held</name><memory>1048576</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><source file='/b.img'/><target dev='sdb'/><mirror file='/m'/></disk>
<disk type='file' device='disk'><source file='/a.img'/><target dev='sda'/></disk>
<controller type='pci' model='pci-bridge'/><controller type='pci' index='0' model='pci-root'/>
<interface type='network'><source network='default'/><target dev='vnet3'/><model type='E1000'/>
  <driver name='vhost'/></interface>
<serial type='pty'><target port='0'/></serial>
<console type='pty'><target type='serial' port='0'/><alias name='held-console'/></console>
<panic/>
</devices></domain>"""


def _device_step(root: etree._Element) -> None:
    devices = root.find("devices")
    normalize_all(devices)
    post_parse_devices(root, devices, "hvm", "x86_64")


def test_held_elements_stay_valid_through_the_device_step() -> None:
    root = xmlcore.parse(HELD)
    devices = root.find("devices")
    disks = devices.findall("disk")
    mirror = disks[0].find("mirror")
    console = devices.find("console")
    target = devices.find("interface/target")
    driver = devices.find("interface/driver")
    panic = devices.find("panic")
    _device_step(root)
    gc.collect()
    # reordered in place: the same objects, sda first
    assert devices.findall("disk") == [disks[1], disks[0]]
    # removed nodes are detached, not freed
    for gone in (mirror, console, target, driver, panic):
        assert gone.getparent() is None
    assert mirror.get("file") == "/m" and target.tag == "target" and not target.attrib
    assert console.find("alias").get("name") == "held-console"
    # the console written is a copy of the serial port, without the serial's own children
    new_console = devices.find("console")
    assert new_console is not console
    assert new_console.find("target").attrib == {"type": "serial", "port": "0"}
    # a second run (DomainDef.normalize re-runs it) on the tree the first one left
    _device_step(root)
    gc.collect()
    assert devices.findall("disk") == [disks[1], disks[0]]
    assert etree.tostring(root).count(b"<console") == 1


def test_held_elements_stay_valid_through_normalize() -> None:
    d = DomainDef.from_xml(HELD)
    devices = d.element.find("devices")
    held = list(devices.iter())
    interface = devices.find("interface")
    added = etree.SubElement(devices, "console", type="pty")
    etree.SubElement(interface, "target", dev="vnet9")
    etree.SubElement(devices, "disk", type="file", device="cdrom").append(etree.Element("target", dev="hdc"))
    d.normalize()
    gc.collect()
    for el in held:
        assert isinstance(el.tag, str)
    assert added.get("type") == "pty"
    out = etree.fromstring(d.to_xml())
    assert out.find("devices/interface/target") is None
    assert [c.get("type") for c in out.findall("devices/controller")].count("ide") == 1
    again = d.to_xml()
    d.normalize()
    assert d.to_xml() == again


# -- insertion order and index assignment against the Python reference ------------------------

USB_COMPANION_PORTS = {"ich9-uhci1", "ich9-uhci2", "ich9-uhci3"}


def _reference_controllers(specs: list[tuple[str | None, int | None, str | None, bool]]) -> list[tuple]:
    """(type, index, model, master) in libvirt's array order, missing indexes assigned."""
    keys = [(t, i, master or (m in USB_COMPANION_PORTS)) for t, i, m, master in specs]
    order = insertion_order_py(keys)
    used: dict[str | None, set[int]] = {}
    for t, i, _, _ in specs:
        if i is not None:
            used.setdefault(t, set()).add(i)
    lowest: dict[str | None, int] = {}
    out = []
    for k in order:
        t, i, m, master = specs[k]
        if i is None:
            taken = used.setdefault(t, set())
            i = lowest.get(t, 0)
            while i in taken:
                i += 1
            taken.add(i)
            lowest[t] = i + 1
        out.append((t, i, m, master))
    return out


def _controller_xml(t: str | None, i: int | None, m: str | None, master: bool) -> str:
    attrs = "".join(f" {k}='{v}'" for k, v in (("type", t), ("index", i), ("model", m)) if v is not None)
    inner = "<master startport='0'/>" if master else ""
    return f"<controller{attrs}>{inner}</controller>"


def test_controller_order_and_indexes_match_reference() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        specs = [
            (rng.choice(["pci", "usb", "usb", "scsi", None]), rng.choice([None, None, 0, 1, 2, 3, 5]),
             rng.choice([None, "ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "piix3-uhci"]), rng.random() < 0.15)
            for _ in range(rng.randint(1, 40))
        ]
        xml = "<domain type='kvm'><devices>" + "".join(_controller_xml(*s) for s in specs) + "</devices></domain>"
        root = xmlcore.parse(xml)
        devices = root.find("devices")
        post_parse_devices(root, devices, "hvm", "x86_64")
        got = [(c.get("type"), int(c.get("index")), c.get("model"), c.find("master") is not None)
               for c in devices.findall("controller")[: len(specs)]]
        # a controller with no type is an IDE controller to libvirt (its type enum starts there)
        want = _reference_controllers([(t or "ide", i, m, master) for t, i, m, master in specs])
        # usb companions without <master> get one added: compare the given ones only
        assert [g[:3] for g in got] == [w[:3] for w in want], xml


def test_disk_order_matches_reference() -> None:
    rng = random.Random(11)
    names = ["hda", "hdb", "hdc", "sda", "sdb", "sdc", "sdz", "sdaa", "vda", "vdb", "fda", "xyz"]
    for _ in range(2000):
        picks = [(rng.choice(names), rng.choice([None, "ide", "scsi", "virtio", "sata"])) for _ in range(rng.randint(1, 12))]
        disks = "".join(
            f"<disk type='file' device='disk'><target dev='{dev}'{'' if bus is None else ' bus=' + repr(bus)}/>"
            f"<address type='drive' controller='0' bus='0' target='0' unit='{k}'/></disk>"
            for k, (dev, bus) in enumerate(picks)
        )
        root = xmlcore.parse(f"<domain type='kvm'><devices>{disks}</devices></domain>")
        devices = root.find("devices")
        post_parse_devices(root, devices, "hvm", "x86_64")
        index = {"hda": 0, "hdb": 1, "hdc": 2, "sda": 0, "sdb": 1, "sdc": 2, "sdz": 25, "sdaa": 26,
                 "vda": 0, "vdb": 1, "fda": 0, "xyz": -1}  # fmt: skip
        want = insertion_order_py([(bus, index[dev], False) for dev, bus in picks])
        got = [int(d.find("address").get("unit")) for d in devices.findall("disk")]
        assert got == want, picks


def test_huge_indexes() -> None:
    # a controller index is a C int to libvirt: beyond it, its "Expected integer value"
    xml = "<domain type='kvm'><devices>" + _controller_xml("pci", 2**31, None, False) + "</devices></domain>"
    root = xmlcore.parse(xml)
    with pytest.raises(VirtError, match="'2147483648'. Expected integer value"):
        post_parse_devices(root, root.find("devices"), "hvm", "x86_64")
    # a drive name's index has no such limit: beyond 62 bits Python orders the disks
    disks = "".join(
        f"<disk type='file'><target dev='{dev}' bus='virtio'/><address type='pci' slot='{k + 1}'/></disk>"
        for k, dev in enumerate(["vd" + "z" * 20, "vdb", "vd" + "z" * 19])
    )
    root = xmlcore.parse(f"<domain type='kvm'><devices>{disks}</devices></domain>")
    post_parse_devices(root, root.find("devices"), "hvm", "x86_64")
    assert [d.find("target").get("dev") for d in root.findall("devices/disk")] == ["vdb", "vd" + "z" * 19, "vd" + "z" * 20]
