"""The compiled parse rules of networks, pools, volumes and snapshots (pyvirt._core.netstore_rules,
snapshot_rules) where the corpus does not reach them.

The rules read usual spellings in C and hand the others to the Python readers: each case below
takes the other path, or a check few documents trigger (DHCP range limits, PCI forward
addresses in C's bases, permissions in odd spellings), and must end as the live libvirt ends
(same document, or the same error code and text). The canonical child order of the core
(``shape.order``) is checked against the Python reference it replaced.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lxml import etree

from pyvirt._core import shape as core_shape
from pyvirt.conf._shape import compiled
from pyvirt.conf.network import NetworkDef
from pyvirt.conf.snapshot import SNAPSHOT_SHAPE, SnapshotDef
from pyvirt.conf.storage import StoragePoolDef, StorageVolDef
from pyvirt.errors import VirtError

UUID = "<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>"
NET = f"<network><name>a</name>{UUID}"
POOL = f"<pool type='dir'><name>p</name>{UUID}"


def canonical(text: str) -> bytes:
    """C14N without blank text and without the runtime sizes the test driver invents."""
    root = etree.fromstring(text.encode(), etree.XMLParser(remove_blank_text=True))
    for tag in ("capacity", "allocation", "available"):
        for el in root.findall(tag):
            root.remove(el)
    for el in root.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
        el.tail = None
    return etree.tostring(root, method="c14n")


NETWORKS = [
    # addresses in getaddrinfo's other spellings are written as libvirt writes them
    NET + "<forward mode='route'/><ip address='10.1' prefix='8'><dhcp><range start='10.0.0.5' end='10.0.0.9'/>"
    "<host mac='52:54:00:00:00:01' ip='167772167'/></dhcp></ip></network>",
    NET + "<ip family='ipv6' address='FD00:0:0::1' prefix='64'><dhcp><range start='fd00::0:10' end='FD00::20'/>"
    "</dhcp></ip></network>",
    NET + "<ip family='ipv6' address='::ffff:a00:1' prefix='96'><dhcp><range start='::ffff:10.0.0.5' "
    "end='::ffff:10.0.0.9'/></dhcp></ip></network>",
    NET + "<ip family='ipv6' address='::10.0.0.1' prefix='96'/></network>",
    # a gateway in a short IPv4 spelling (was a Python ValueError)
    NET + "<ip address='192.168.122.1' prefix='24'/><route address='192.168.222.0' prefix='24' gateway='3232266762'/></network>",
    NET + "<ip address='192.168.122.1' prefix='24'/><route address='192.168.222.0' prefix='24' gateway='192.168.1'/></network>",
    # metadata is kept as written, addresses included
    NET + "<metadata><x:a xmlns:x='urn:x'><ip address='::0:1'/></x:a></metadata></network>",
    # PCI forward addresses in C's bases; one device listed twice; out of range
    NET + "<forward mode='hostdev'><address type='pci' domain='0' bus='3' slot='010' function='1'/>"
    "<address type='pci' bus='0x03' slot='0x09' function='0x1'/></forward></network>",
    NET + "<forward mode='hostdev'><address type='pci' domain='0' bus='3' slot='010' function='1'/>"
    "<address type='pci' bus='0x03' slot='0x08' function='0x1'/></forward></network>",
    NET + "<forward mode='hostdev'><address type='pci' bus='0x03' slot='0x20' function='0x1'/></forward></network>",
    NET + "<forward mode='hostdev'><address type='pci' bus=' 3' slot='+4' function='1' multifunction='on'/></forward></network>",
    # DHCP ranges: libvirt's virSocketAddrGetRange, in its order
    NET + "<ip address='10.0.0.1' prefix='8'><dhcp><range start='bad'/></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.9' end='10.0.0.5'>"
    "<lease expiry='1' unit='seconds'/></range></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' netmask='255.0.255.0'><dhcp><range start='fd00::1' end='10.0.0.5'/></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' prefix='8'><dhcp><range start='fd00::1' end='fd00::5'/></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' netmask='0.255.255.255'><dhcp><range start='10.0.0.5' end='10.0.0.9'/></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.5' end='10.1.0.9'/></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.0' end='10.0.0.9'/></dhcp></ip></network>",
    NET + "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.5' end='10.0.0.255'/></dhcp></ip></network>",
    NET + "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp><range start='fd00::1:5' end='fd00::2:9'/></dhcp></ip></network>",
    NET + "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp><range start='fd00::9' end='fd00::5'/></dhcp></ip></network>",
    NET + "<ip address='230.0.0.1'><dhcp><range start='230.0.0.5' end='230.0.0.9'/></dhcp></ip></network>",
    NET + "<ip address='0.0.0.0'><dhcp><range start='0.0.0.5' end='0.0.0.9'/></dhcp></ip></network>",
    NET + "<forward mode='nat'><nat><address start='10.0.0.1' end='10.2.0.0'/></nat></forward><ip address='10.0.0.1' prefix='8'/></network>",
    NET + "<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.5' end='10.0.0.9'><lease expiry='010' unit='minutes'/>"
    "</range></dhcp></ip></network>",
    # netmasks: a hostmask is no netmask
    NET + "<ip address='192.168.122.1' prefix='24'/><route address='192.168.0.0' netmask='0.0.255.255' gateway='192.168.122.2'/></network>",
    NET + "<ip address='192.168.122.1' netmask='0.0.0.255'/><route address='10.0.0.0' prefix='8' gateway='192.168.122.2'/></network>",
]
POOLS = [
    POOL + "<target><path>/p</path><permissions><owner>99999999999999999999</owner></permissions></target></pool>",
    POOL + "<target><path>/p</path><permissions><mode> 0755</mode><owner>+7</owner><group>-1</group></permissions></target></pool>",
] + [
    POOL + f"<target><path>/p</path><permissions><mode>{mode}</mode></permissions></target></pool>"
    for mode in ("0755 ", "0o755", "+0755", "-0", "777", "1000", "0x1ff", "08", "-1", "0_7", "00000000000755")
] + [
    f"<pool type='netfs'><name>p</name>{UUID}<source><host name='h' port='{port}'/><dir path='/x'/></source>"
    "<target><path>//a//b/</path></target></pool>"
    for port in ("0x10", "010", "0", " 7")
] + [
    f"<pool type='scsi'><name>p</name>{UUID}<source><adapter type='scsi_host'><parentaddr unique_id='010'>"
    "<address domain='0' bus='10' slot='0x1f' function='07'/></parentaddr></adapter></source>"
    "<target><path>/dev/disk/by-path</path></target></pool>",
]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *args: None, None)
    node: Path = tmp_path_factory.mktemp("rules") / "empty.xml"
    node.write_text("<node/>")
    c = libvirt.open(f"test://{node}")
    yield libvirt, c
    c.close()


def _agree(conn, text: str) -> None:  # noqa: ANN001
    libvirt, c = conn
    network = text.startswith("<network")
    try:
        obj = c.networkDefineXML(text) if network else c.storagePoolDefineXML(text)
    except libvirt.libvirtError as exc:
        with pytest.raises(VirtError) as info:
            (NetworkDef if network else StoragePoolDef).from_xml(text)
        assert (int(info.value.code), info.value.message) == (exc.get_error_code(), exc.get_error_message())
        return
    try:
        theirs = obj.XMLDesc(0)
    finally:
        obj.undefine()
    ours = (NetworkDef if network else StoragePoolDef).from_xml(text).to_xml()
    assert canonical(ours) == canonical(theirs)


@pytest.mark.parametrize("index", range(len(NETWORKS)))
def test_network_against_libvirt(conn, index: int) -> None:  # noqa: ANN001
    _agree(conn, NETWORKS[index])


@pytest.mark.parametrize("index", range(len(POOLS)))
def test_pool_against_libvirt(conn, index: int) -> None:  # noqa: ANN001
    _agree(conn, POOLS[index])


# ---------------------------------------------------------------------------------------------
# volume sizes: the C reading of plain digits and the Python reader agree


@pytest.mark.parametrize(
    "text, unit, size",
    [
        ("1", "KiB", 1024),
        (" 1", "KiB", 1024),
        ("+1", "k", 1024),
        ("2", "KB", 2000),
        ("3", "bytes", 3),
        ("3", "", 3),
        ("5", "E", 5 * 1024**6),
        ("18446744073709551615", None, 2**64 - 1),
    ],
)
def test_volume_size_spellings(text: str, unit: str | None, size: int) -> None:
    unit_attr = "" if unit is None else f" unit='{unit}'"
    vol = StorageVolDef.from_xml(f"<volume><name>v</name><capacity{unit_attr}>{text}</capacity></volume>")
    assert vol.capacity == size
    assert vol.allocation == size


@pytest.mark.parametrize(
    "text, unit, needle",
    [
        ("18446744073709551616", None, "malformed capacity element"),
        ("17", "E", "value too large"),
        ("1", "kiB ", "unknown suffix"),
        ("1x", None, "malformed capacity element"),
    ],
)
def test_volume_size_errors(text: str, unit: str | None, needle: str) -> None:
    unit_attr = "" if unit is None else f" unit='{unit}'"
    with pytest.raises(VirtError) as info:
        StorageVolDef.from_xml(f"<volume><name>v</name><capacity{unit_attr}>{text}</capacity></volume>")
    assert needle in info.value.message


# ---------------------------------------------------------------------------------------------
# shape.order: the known children in the formatter's order, the rest after, tails moving along


def _reference_order(el: etree._Element, order: tuple[str, ...]) -> None:
    """The Python it replaced (conf/_shape.child_order)."""
    rank = {tag: i for i, tag in enumerate(order)}
    kids = list(el)
    kids.sort(key=lambda c: rank.get(c.tag, len(rank)) if isinstance(c.tag, str) else len(rank))
    for child in kids:
        el.append(child)


def test_order_matches_the_python_reference() -> None:
    tags = [tag for tag, _ in SNAPSHOT_SHAPE.children] + ["zz", "{urn:x}name"]
    rng = random.Random(7)
    table = compiled(SNAPSHOT_SHAPE)
    for _ in range(300):
        root = etree.Element("domainsnapshot")
        root.text = rng.choice([None, "lead"])
        for _ in range(rng.randint(0, 8)):
            kind = rng.random()
            if kind < 0.15:
                node = etree.Comment("c")
            else:
                node = etree.SubElement(root, rng.choice(tags))
                root.remove(node)
            node.tail = rng.choice([None, None, "t"])
            root.append(node)
        a, b = etree.fromstring(etree.tostring(root)), etree.fromstring(etree.tostring(root))
        core_shape.order(a, table)
        _reference_order(b, tuple(tag for tag, _ in SNAPSHOT_SHAPE.children))
        assert etree.tostring(a) == etree.tostring(b)


def test_snapshot_fields_set_late_are_written_in_order() -> None:
    snap = SnapshotDef.from_xml("<domainsnapshot><name>s</name></domainsnapshot>", creation_time=5)
    snap.current = True
    snap.element.insert(0, etree.Element("memory", snapshot="no"))
    tags = [el.tag for el in etree.fromstring(snap.to_xml(internal=True).encode())]
    assert tags == ["name", "creationTime", "memory", "active"]
