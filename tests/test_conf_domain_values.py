"""Units, UUIDs, MACs, node sets and enumerations: what libvirt accepts and how it refuses."""

from __future__ import annotations

import pytest

from pyvirt.conf import units, values
from pyvirt.conf.domain import DomainDef
from pyvirt.errors import ErrorNumber, VirtError

HEAD = "<domain type='qemu'><name>a</name><memory>1024</memory><os><type>hvm</type></os>"


def dom(body: str) -> str:
    return f"{HEAD}{body}</domain>"


@pytest.mark.parametrize(
    "suffix, scale",
    [
        (None, 1024), ("", 1024), ("b", 1), ("bytes", 1), ("k", 1024), ("KiB", 1024),
        ("KB", 1000), ("M", 1024**2), ("MiB", 1024**2), ("MB", 10**6), ("G", 1024**3),
        ("GiB", 1024**3), ("GB", 10**9), ("T", 1024**4), ("TB", 10**12), ("P", 1024**5),
        ("E", 1024**6), ("eib", 1024**6),
    ],
)  # fmt: skip
def test_unit_scale(suffix: str | None, scale: int) -> None:
    assert units.unit_scale(suffix, default=1024) == scale


@pytest.mark.parametrize("suffix", ["xx", "Kb2", "q", "MiBB"])
def test_unknown_suffix(suffix: str) -> None:
    with pytest.raises(VirtError) as info:
        units.unit_scale(suffix)
    assert info.value.code == ErrorNumber.INVALID_ARG
    assert f"unknown suffix '{suffix}'" in info.value.message


def test_overflow() -> None:
    with pytest.raises(VirtError) as info:
        units.scale_integer(2**60, "E")
    assert info.value.code == ErrorNumber.OVERFLOW and "value too large" in info.value.message
    assert units.scale_integer(3, "KiB") == 3072


def test_memory_rounds_up_to_kib() -> None:
    d = DomainDef.from_xml(dom("").replace("<memory>1024</memory>", "<memory unit='b'>1025</memory>"))
    assert d.memory == 2


@pytest.mark.parametrize(
    "text, ok",
    [
        ("c7a5fdbd-edaf-9455-926a-d65c16db1809", True),
        ("C7A5FDBDEDAF9455926AD65C16DB1809", True),
        ("  c7a5fdbd edaf 9455 926a d65c16db1809  ", True),
        ("c7a5fdbd-edaf-9455-926a-d65c16db180", False),
        ("c7a5fdbd-edaf-9455-926a-d65c16db18090", False),
        ("g7a5fdbd-edaf-9455-926a-d65c16db1809", False),
    ],
)
def test_uuid_parse(text: str, ok: bool) -> None:
    raw = values.parse_uuid(text)
    assert (raw is not None) == ok
    if ok:
        assert values.format_uuid(raw) == "c7a5fdbd-edaf-9455-926a-d65c16db1809"


def test_mac_rules() -> None:
    assert values.normalize_mac("52:54:0:AB:cd:1") == "52:54:00:ab:cd:01"
    for bad in ("52:54:00:ab:cd", "52:54:00:ab:cd:01:02", "zz:54:00:ab:cd:01", "525:4:00:ab:cd:01"):
        with pytest.raises(VirtError) as info:
            values.normalize_mac(bad)
        assert info.value.code == ErrorNumber.XML_ERROR
        assert f"unable to parse mac address '{bad}'" in info.value.message
    with pytest.raises(VirtError) as info:
        values.normalize_mac("01:00:5e:00:00:01")
    assert "expected unicast mac address, found multicast" in info.value.message
    mac = values.generate_mac()
    assert mac.startswith("52:54:00:") and values.parse_mac(mac) is not None
    assert values.generate_mac() != mac


def test_generated_mac_in_document() -> None:
    d = DomainDef.from_xml(dom("<devices><interface type='user'/></devices>"))
    assert d.devices.interfaces[0].mac.address.startswith("52:54:00:")


def test_bitmaps() -> None:
    assert values.parse_bitmap("0-3,^2,8") == {0, 1, 3, 8}
    assert values.format_bitmap({0, 1, 3, 4, 5, 9}) == "0-1,3-5,9"
    assert values.parse_bitmap("1-") is None and values.parse_bitmap("a") is None


@pytest.mark.parametrize(
    "body, code, fragment",
    [
        ("<devices><interface type='user'><mac address='zz'/></interface></devices>",
         ErrorNumber.XML_ERROR, "unable to parse mac address 'zz'"),
        ("<devices><disk type='foo'><source file='/a'/><target dev='vda'/></disk></devices>",
         ErrorNumber.XML_ERROR, "Invalid value for attribute 'type' in element 'disk': 'foo'."),
        ("<devices><disk type='file'><source file='/a'/><target dev='vda' bus='foo'/></disk></devices>",
         ErrorNumber.XML_ERROR, "attribute 'bus' in element 'target'"),
        ("<devices><disk type='file'><source file='/a'/><target dev='vda'/></disk>"
         "<disk type='file'><source file='/b'/><target dev='vda'/></disk></devices>",
         ErrorNumber.XML_ERROR, "target 'vda' duplicated for disk sources '/a' and '/b'"),
        ("<devices><controller type='usb' index='-1'/></devices>",
         ErrorNumber.XML_ERROR, "'index' in element 'controller': '-1'. Expected non-negative value"),
        ("<vcpu placement='foo'>1</vcpu>", ErrorNumber.XML_ERROR, "attribute 'placement' in element 'vcpu'"),
        ("<devices><video><model type='foo'/></video></devices>",
         ErrorNumber.CONFIG_UNSUPPORTED, "unknown video model 'foo'"),
        ("<clock offset='foo'/>", ErrorNumber.CONFIG_UNSUPPORTED, "unknown clock offset 'foo'"),
        ("<vcpu>x</vcpu>", ErrorNumber.XML_ERROR, "maximum vcpus count must be an integer"),
        ("<vcpu current='3'>2</vcpu>", ErrorNumber.CONFIG_UNSUPPORTED,
         "maximum vCPU count must not be less than current vCPU count"),
        ("<vcpu current='x'>2</vcpu>", ErrorNumber.XML_ERROR, "attribute 'current' in element 'vcpu'"),
        ("<devices><serial type='pty'><target port='x'/></serial></devices>",
         ErrorNumber.XML_ERROR, "Invalid port number: x"),
        ("<devices><graphics type='vnc' port='abc'/></devices>",
         ErrorNumber.INTERNAL_ERROR, "cannot parse vnc port abc"),
        ("<devices><graphics type='spice' tlsPort='x'/></devices>",
         ErrorNumber.XML_ERROR, "attribute 'tlsPort' in element 'graphics': 'x'. Expected integer value"),
        ("<devices><video><model type='vga' vram='x'/></video></devices>",
         ErrorNumber.XML_ERROR, "cannot parse video vram 'x'"),
        ("<devices><interface type='user'><model type='virtio'/><driver queues='x'/></interface></devices>",
         ErrorNumber.XML_ERROR, "attribute 'queues' in element 'driver': 'x'"),
        ("<numatune><memory nodeset='0,^0'/></numatune>",
         ErrorNumber.CONFIG_UNSUPPORTED, "Invalid value of 'nodeset': 0,^0"),
    ],
)  # fmt: skip
def test_bad_values_name_the_attribute(body: str, code: ErrorNumber, fragment: str) -> None:
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(dom(body))
    assert info.value.code == code
    assert fragment in info.value.message


def test_validate_names_element_and_line() -> None:
    text = HEAD + "\n<bogus/>\n</domain>"
    DomainDef.from_xml(text)  # without validation the unknown element is dropped
    assert "bogus" not in DomainDef.from_xml(text).to_xml()
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(text, validate=True)
    assert info.value.code == ErrorNumber.XML_INVALID_SCHEMA
    assert "bogus" in info.value.message and "line 2" in info.value.message
