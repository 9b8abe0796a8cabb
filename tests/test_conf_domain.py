"""The domain model: typed fields read and write the document; libvirt's errors for bad values."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

BASIC = """<domain type='kvm'>
  <name>guest</name>
  <uuid>C7A5FDBD-EDAF-9455-926A-D65C16DB1809</uuid>
  <memory unit='MiB'>512</memory>
  <vcpu current='1'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/g.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:AB:cd:01'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' passwd='s3cret' port='5900'/>
  </devices>
</domain>"""


def dom(body: str = "", *, head: str = "<domain type='qemu'><name>a</name>", os: str = "<os><type>hvm</type></os>") -> str:
    return f"{head}<memory>1024</memory>{os}{body}</domain>"


def test_fields_read() -> None:
    d = DomainDef.from_xml(BASIC)
    assert d.type == "kvm"
    assert d.name == "guest"
    assert d.uuid == "c7a5fdbd-edaf-9455-926a-d65c16db1809"
    assert d.memory == 512 * 1024
    assert d.current_memory == 512 * 1024
    assert d.max_vcpus == 2 and d.vcpus == 1
    assert (d.os.type, d.os.arch, d.os.machine) == ("hvm", "x86_64", "pc")
    assert d.os.boot_devices == ["cdrom"]
    disk = d.devices.disks[0]
    assert (disk.device, disk.type, disk.target.dev, disk.target.bus) == ("disk", "file", "vda", "virtio")
    assert disk.source.file.endswith("g.qcow2") and disk.driver.type == "qcow2"
    nic = d.devices.interfaces[0]
    assert nic.mac.address == "52:54:00:ab:cd:01"
    assert nic.source.network == "default" and nic.model.type == "virtio"
    assert d.devices.graphics[0].type == "vnc"
    assert (d.on_poweroff, d.on_reboot, d.on_crash) == ("destroy", "restart", "destroy")


def test_changes_show_in_output() -> None:
    d = DomainDef.from_xml(BASIC)
    d.name = "renamed"
    d.memory = 2 * 1024 * 1024
    d.devices.disks[0].target.dev = "vdb"
    d.os.boot_devices = ["network", "hd"]
    out = etree.fromstring(d.to_xml())
    assert out.findtext("name") == "renamed"
    mem = out.find("memory")
    assert (mem.text, mem.get("unit")) == ("2097152", "KiB")
    assert out.find("devices/disk/target").get("dev") == "vdb"
    assert [b.get("dev") for b in out.findall("os/boot")] == ["network", "hd"]
    again = DomainDef.from_xml(d.to_xml())
    assert again.memory == 2 * 1024 * 1024 and again.name == "renamed"


def test_uuid_generated_when_missing() -> None:
    a = DomainDef.from_xml(dom())
    b = DomainDef.from_xml(dom())
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", a.uuid)
    assert a.uuid != b.uuid


def test_secure_and_id() -> None:
    d = DomainDef.from_xml(BASIC)
    assert "s3cret" not in d.to_xml()
    assert "passwd='s3cret'" in d.to_xml(secure=True)
    root = etree.fromstring(d.to_xml(domain_id=7))
    assert root.get("id") == "7"
    assert etree.fromstring(d.to_xml(inactive=True, domain_id=7)).get("id") is None
    assert "s3cret" in d.to_xml(secure=True)  # the tree still holds it


def test_copy_is_independent() -> None:
    d = DomainDef.from_xml(BASIC)
    c = d.copy()
    c.name = "other"
    assert d.name == "guest" and c.name == "other"


def test_metadata_roundtrip() -> None:
    d = DomainDef.from_xml(dom())
    assert d.get_metadata("http://x.org/") is None
    d.set_metadata("<foo a='1'><bar/></foo>", "app", "http://x.org/")
    meta = etree.fromstring(d.to_xml()).find("metadata")
    el = meta[0]
    assert el.tag == "{http://x.org/}foo" and el[0].tag == "{http://x.org/}bar"
    assert etree.fromstring(d.get_metadata("http://x.org/")).tag == "foo"
    d.set_metadata("<baz/>", "app", "http://x.org/")
    assert len(etree.fromstring(d.to_xml()).find("metadata")) == 1
    d.remove_metadata("http://x.org/")
    assert d.get_metadata("http://x.org/") is None


@pytest.mark.parametrize(
    "text, code, fragment",
    [
        (dom(head="<domain type='qemu'>"), ErrorNumber.NO_NAME, "missing name information"),
        (dom(head="<domain><name>a</name>"), ErrorNumber.INTERNAL_ERROR, "missing domain type"),
        (dom(head="<domain type='foo'><name>a</name>"), ErrorNumber.CONFIG_UNSUPPORTED, "invalid domain type foo"),
        (dom("<uuid>zz</uuid>"), ErrorNumber.INTERNAL_ERROR, "malformed uuid element"),
        (dom(os=""), ErrorNumber.XML_ERROR, "an os <type> must be specified"),
        (dom("<on_crash>foo</on_crash>"), ErrorNumber.CONFIG_UNSUPPORTED, "unknown on_crash action: foo"),
    ],
)
def test_errors(text: str, code: ErrorNumber, fragment: str) -> None:
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(text)
    assert info.value.code == code
    assert fragment in info.value.message


def test_memory_unit_errors() -> None:
    base = "<domain type='qemu'><name>a</name><os><type>hvm</type></os>{}</domain>"
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(base.format("<memory unit='xx'>1</memory>"))
    assert info.value.code == ErrorNumber.INVALID_ARG and "unknown suffix 'xx'" in info.value.message
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(base.format("<memory unit='P'>9000</memory>"))
    assert info.value.code == ErrorNumber.OVERFLOW
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(base.format("<memory>abc</memory>"))
    assert info.value.code == ErrorNumber.XML_ERROR and "./memory[1]" in info.value.message
    d = DomainDef.from_xml(base.format("<memory unit='b'>1</memory>"))
    assert d.memory == 1  # rounded up to a whole KiB
    assert info.value.domain in (ErrorDomain.XML, ErrorDomain.DOMAIN)


def test_build_devices_then_normalize() -> None:
    from pyvirt.conf.domain import Disk
    from pyvirt.conf.domain.model import DiskSource, DiskTarget, Interface, InterfaceSource

    d = DomainDef.from_xml(dom("<devices><interface type='user'/></devices>"))
    disk = Disk.new(type="file", device="cdrom")
    disk.source = DiskSource.new(file="/iso/x.iso")
    disk.target = DiskTarget.new(dev="hdc")
    d.devices.add(disk)
    nic = Interface.new(type="network")
    nic.source = InterfaceSource.new(network="default")
    d.devices.add(nic)
    assert d.devices.interfaces[1].mac is None  # the model writes only what it is told
    d.normalize()
    out = etree.fromstring(d.to_xml())
    cd = out.find("devices/disk")
    assert cd.find("target").get("bus") == "ide" and cd.find("readonly") is not None
    assert cd.find("address").get("type") == "drive"
    assert out.find("devices/controller[@type='ide']") is not None
    macs = [m.get("address") for m in out.findall("devices/interface/mac")]
    assert len(macs) == 2 and all(m.startswith("52:54:00:") for m in macs)
    assert [el.tag for el in out.find("devices")][:2] == ["disk", "controller"]
