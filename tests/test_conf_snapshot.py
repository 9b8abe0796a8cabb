"""SnapshotDef: new-snapshot and redefine parsing, the embedded domains, the current flag,
disk alignment, and differential checks against live libvirt (a test driver's running domain).
"""

from __future__ import annotations

import pytest
from lxml import etree

from pyvirt.conf.snapshot import SnapshotDef, align_disks
from pyvirt.errors import ErrorNumber, VirtError

DOMAIN = """<domain type='test'>
  <name>g</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>1024</memory>
  <os><type arch='i686'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='{vda}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <disk type='block' device='disk' snapshot='no'><source dev='/dev/sdz'/><target dev='vdb' bus='virtio'/></disk>
  </devices>
</domain>"""


def canonical(text: str) -> bytes:
    root = etree.fromstring(text.encode(), etree.XMLParser(remove_blank_text=True))
    for el in root.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
        el.tail = None
    return etree.tostring(root, method="c14n")


def redefine_doc(state: str = "running", extra: str = "", domain: str = DOMAIN.format(vda="/img/vda.qcow2")) -> str:
    return (
        f"<domainsnapshot><name>s1</name><state>{state}</state><creationTime>1700000000</creationTime>"
        f"{extra}{domain}</domainsnapshot>"
    )


# ---------------------------------------------------------------------------------------------
# new snapshots


def test_new_snapshot_generates_name_and_time() -> None:
    snap = SnapshotDef.from_xml("<domainsnapshot><description>d</description></domainsnapshot>", creation_time=42)
    assert (snap.name, snap.creation_time, snap.description) == ("42", 42, "d")


def test_new_snapshot_ignores_saved_metadata() -> None:
    snap = SnapshotDef.from_xml(
        "<domainsnapshot><name>n</name><state>paused</state><parent><name>p</name></parent>"
        "<creationTime>5</creationTime><domain type='test'><name>x</name></domain><active>1</active></domainsnapshot>",
        creation_time=100,
    )
    assert snap.state is None and snap.parent is None and snap.domain is None
    assert snap.creation_time == 100 and not snap.current


def test_memory_and_disk_normalisation() -> None:
    snap = SnapshotDef.from_xml(
        "<domainsnapshot><name>n</name><memory file='/m'/><disks>"
        "<disk name='vda'><source file='/o.qcow2'/><driver type='qcow2'/></disk>"
        "<disk name='vdb' snapshot='external'><source/></disk></disks></domainsnapshot>"
    )
    assert (snap.memory, snap.memory_file) == ("external", "/m")
    vda, vdb = snap.disks
    assert (vda.snapshot, vda.type, vda.source_file, vda.driver_type) == ("external", "file", "/o.qcow2", "qcow2")
    assert vdb.source_file is None and vdb.element.find("source") is None
    # libvirt's order inside a disk: driver before source
    assert [c.tag for c in vda.element] == ["driver", "source"]


@pytest.mark.parametrize(
    "body, code, needle",
    [
        ("<memory snapshot='bogus'/>", ErrorNumber.XML_ERROR, "'snapshot' in element 'memory'"),
        ("<memory snapshot='internal' file='/x'/>", ErrorNumber.XML_ERROR, "requires external snapshot"),
        ("<memory snapshot='external'/>", ErrorNumber.XML_ERROR, "require a filename"),
        ("<disks><disk snapshot='no'/></disks>", ErrorNumber.INTERNAL_ERROR, "missing name"),
        ("<disks><disk name='vda' snapshot='x'/></disks>", ErrorNumber.XML_ERROR, "'snapshot' in element 'disk'"),
        ("<disks><disk name='vda' type='x'/></disks>", ErrorNumber.XML_ERROR, "'type' in element 'disk'"),
        ("<disks><disk name='vda'><source file='/a'/><driver type='zz'/></disk></disks>", ErrorNumber.CONFIG_UNSUPPORTED, "zz"),
    ],
)
def test_new_snapshot_errors(body: str, code: ErrorNumber, needle: str) -> None:
    with pytest.raises(VirtError) as info:
        SnapshotDef.from_xml(f"<domainsnapshot><name>n</name>{body}</domainsnapshot>")
    assert info.value.code == code and needle in info.value.message


# ---------------------------------------------------------------------------------------------
# redefine


def test_redefine_keeps_metadata_and_adopts_domain() -> None:
    snap = SnapshotDef.from_xml(
        redefine_doc(extra="<parent><name>p0</name></parent><active>1</active>"), redefine=True, internal=True
    )
    assert (snap.name, snap.state, snap.parent, snap.creation_time) == ("s1", "running", "p0", 1700000000)
    assert snap.current
    assert snap.memory == "internal"  # implied by the running state
    assert snap.domain.name == "g"
    assert snap.domain_uuid == "6695eb01-f6a4-8304-79aa-97f2502e193f"
    assert "<active>1</active>" in snap.to_xml()
    assert "<active>" not in snap.to_xml(internal=False)
    snap.current = False
    assert "<active>0</active>" in snap.to_xml()


def test_inactive_domain_round_trip() -> None:
    inactive = DOMAIN.format(vda="/img/vda.qcow2").replace("<domain", "<inactiveDomain").replace("</domain>", "</inactiveDomain>")
    snap = SnapshotDef.from_xml(redefine_doc(extra="", domain=DOMAIN.format(vda="/a") + inactive), redefine=True)
    assert snap.inactive_domain is not None
    assert snap.inactive_domain.element.tag == "inactiveDomain"
    again = SnapshotDef.from_xml(snap.to_xml(), redefine=True)
    assert canonical(again.to_xml()) == canonical(snap.to_xml())


def test_set_domain_from_model() -> None:
    snap = SnapshotDef.from_xml("<domainsnapshot><name>n</name></domainsnapshot>", creation_time=1)
    from pyvirt.conf.domain import DomainDef

    snap.domain = DomainDef.from_xml(DOMAIN.format(vda="/a"))
    snap.state = "shutoff"
    tags = [c.tag for c in etree.fromstring(snap.to_xml().encode())]
    assert tags == ["name", "state", "creationTime", "domain"]
    assert SnapshotDef.from_xml(snap.to_xml(), redefine=True).domain.name == "g"


@pytest.mark.parametrize(
    "doc, code, needle",
    [
        ("<domainsnapshot><state>running</state><creationTime>1</creationTime></domainsnapshot>", ErrorNumber.XML_ERROR, "must have a name"),
        ("<domainsnapshot><name>a</name><state>running</state></domainsnapshot>", ErrorNumber.INTERNAL_ERROR, "creationTime"),
        ("<domainsnapshot><name>a</name><creationTime>1</creationTime></domainsnapshot>", ErrorNumber.XML_ERROR, "missing state"),
        ("<domainsnapshot><name>a</name><state>odd</state><creationTime>1</creationTime></domainsnapshot>", ErrorNumber.CONFIG_UNSUPPORTED, "odd"),
        ("<domainsnapshot><name>a</name><state>shutoff</state><creationTime>1</creationTime><memory snapshot='internal'/></domainsnapshot>",
         ErrorNumber.XML_ERROR, "offline"),
    ],
)
def test_redefine_errors(doc: str, code: ErrorNumber, needle: str) -> None:
    with pytest.raises(VirtError) as info:
        SnapshotDef.from_xml(doc, redefine=True)
    assert info.value.code == code and needle in info.value.message


# ---------------------------------------------------------------------------------------------
# disk alignment


def test_align_disks_fills_defaults(tmp_path) -> None:
    image = tmp_path / "vda.qcow2"
    image.write_bytes(b"")
    snap = SnapshotDef.from_xml(
        redefine_doc(extra="<disks><disk name='vda' snapshot='external'/></disks>", domain=DOMAIN.format(vda=image)),
        redefine=True,
    )
    align_disks(snap, "internal")
    modes = {d.name: (d.snapshot, d.source_file) for d in snap.disks}
    assert modes == {
        "vda": ("external", f"{tmp_path}/vda.s1"),  # file named after the snapshot
        "hdc": ("no", None),  # read-only
        "vdb": ("no", None),  # the domain disk's own snapshot='no'
    }
    # in the order of the domain's disks
    order = [d.get("dev") for d in snap.domain.element.findall("devices/disk/target")]
    assert [d.name for d in snap.disks] == order


@pytest.mark.parametrize(
    "disks, needle",
    [
        ("<disk name='vdz'/>", "no disk named 'vdz'"),
        ("<disk name='vda'/><disk name='vda'/>", "specified twice"),
        ("<disk name='vda' snapshot='internal'><source file='/x'/></disk>", "requires use of external"),
        ("<disk name='vda' snapshot='external'/>", "not a regular file"),
    ],
)
def test_align_disks_errors(disks: str, needle: str) -> None:
    snap = SnapshotDef.from_xml(
        redefine_doc(extra=f"<disks>{disks}</disks>", domain=DOMAIN.format(vda="/nonexistent/vda.img")),
        redefine=True,
    )
    with pytest.raises(VirtError) as info:
        snap.align_disks("internal")
    assert info.value.code in (ErrorNumber.CONFIG_UNSUPPORTED, ErrorNumber.XML_ERROR)
    assert needle in info.value.message


# ---------------------------------------------------------------------------------------------
# differential against live libvirt


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory):
    """A private test driver with one running domain (test:///default is shared process-wide)."""
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *args: None, None)
    node = tmp_path_factory.mktemp("snap") / "node.xml"
    node.write_text(
        "<node><domain type='test'><name>test</name><memory>1048576</memory><os><type>hvm</type></os>"
        "<devices><disk type='file' device='disk'><source file='/guest/diskimage1'/>"
        "<target dev='vda' bus='virtio'/></disk></devices></domain></node>"
    )
    conn = libvirt.open(f"test://{node}")
    dom = conn.lookupByName("test")
    yield libvirt, dom
    conn.close()


REDEFINES = [
    "<domainsnapshot><name>s1</name><description>d</description><state>running</state>"
    "<creationTime>5</creationTime><memory snapshot='internal'/><disks><disk name='vda' snapshot='internal'/>"
    "</disks>DOM</domainsnapshot>",
    "<domainsnapshot><name>s1</name><state>disk-snapshot</state><creationTime>5</creationTime>"
    "<memory snapshot='no'/><disks><disk name='vda' snapshot='internal'/></disks>DOM</domainsnapshot>",
    "<domainsnapshot><name>s1</name><state>shutoff</state><creationTime>7</creationTime>"
    "<disks><disk name='vda' snapshot='internal'/></disks>DOM<bogus/></domainsnapshot>",
    # rejected
    "<domainsnapshot><name>s1</name><state>bogus</state><creationTime>5</creationTime>DOM</domainsnapshot>",
    "<domainsnapshot><name>s1</name><creationTime>5</creationTime>DOM</domainsnapshot>",
    "<domainsnapshot><name>s1</name><state>shutoff</state><creationTime>5</creationTime><memory snapshot='internal'/>DOM</domainsnapshot>",
    "<domainsnapshot><name>s1</name><state>running</state><creationTime>x</creationTime>DOM</domainsnapshot>",
    "<domainsnapshot><state>running</state><creationTime>5</creationTime>DOM</domainsnapshot>",
]
NEW = [
    "<domainsnapshot><name>s1</name><memory snapshot='bogus'/></domainsnapshot>",
    "<domainsnapshot><name>s1</name><memory snapshot='internal' file='/x'/></domainsnapshot>",
    "<domainsnapshot><name>s1</name><memory snapshot='external'/></domainsnapshot>",
    "<domainsnapshot><name>s1</name><disks><disk snapshot='no'/></disks></domainsnapshot>",
    "<domainsnapshot><name>s1</name><disks><disk name='vda' snapshot='bogus'/></disks></domainsnapshot>",
    "<domainsnapshot><name>s1</name><disks><disk name='vda' snapshot='internal' type='bogus'/></disks></domainsnapshot>",
    "<domainsnapshot><name>s1</name><disks><disk name='vda'><source file='/a'/><driver type='bogus'/></disk></disks></domainsnapshot>",
    "<domainsnapshot><name>s1</name></domainsnapshot",
]


@pytest.mark.parametrize("index", range(len(REDEFINES)))
def test_redefine_against_libvirt(oracle, index: int) -> None:
    libvirt, dom = oracle
    text = REDEFINES[index].replace("DOM", dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    try:
        snap = dom.snapshotCreateXML(text, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
    except libvirt.libvirtError as exc:
        with pytest.raises(VirtError) as info:
            SnapshotDef.from_xml(text, redefine=True)
        assert (int(info.value.code), info.value.message) == (exc.get_error_code(), exc.get_error_message())
        return
    try:
        theirs = snap.getXMLDesc(0)
    finally:
        snap.delete(0)
    ours = SnapshotDef.from_xml(text, redefine=True)
    ours.align_disks("internal")
    assert canonical(ours.to_xml()) == canonical(theirs)
    SnapshotDef.from_xml(ours.to_xml(), redefine=True, validate=True)


@pytest.mark.parametrize("index", range(len(NEW)))
def test_new_snapshot_errors_match_libvirt(oracle, index: int) -> None:
    libvirt, dom = oracle
    text = NEW[index]
    with pytest.raises(libvirt.libvirtError) as exc:
        dom.snapshotCreateXML(text, 0)
    with pytest.raises(VirtError) as info:
        SnapshotDef.from_xml(text)
    want = exc.value
    assert int(info.value.code) == want.get_error_code()
    if want.get_error_code() != ErrorNumber.XML_DETAIL:
        assert info.value.message == want.get_error_message()


# ---------------------------------------------------------------------------------------------
# disk-only redefines with external disks: parse + align_disks against libvirt's

DISK_CASES = [
    "<disks><disk name='vda' snapshot='external'><source file='/x/new.qcow2'/><driver type='qcow2'/></disk>"
    "<disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external' type='block'><source dev='/dev/sdz'/></disk>"
    "<disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external' type='network'><source protocol='rbd' name='pool/img'>"
    "<host name='h1' port='6789'/><host name='h2'/></source></disk><disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external' type='network'><source protocol='gluster' name='v/p'>"
    "<host name='h' port='24007' transport='tcp'/></source></disk><disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external' type='network'><source protocol='http' name='x'><host name='h'/>"
    "</source></disk><disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='/guest/b.img' snapshot='internal'/><disk name='vda' snapshot='no'/></disks>",
    "<memory snapshot='no'/><disks><disk name='vda' snapshot='manual'/><disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external'><source file='/x/n.qcow2' index='3' startupPolicy='optional'/>"
    "<driver type='qcow2'><metadata_cache><max_size unit='KiB'>10</max_size></metadata_cache></driver></disk>"
    "<disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='internal' type='block'/><disk name='vdb' snapshot='no'/></disks>",
    # rejected
    "<disks><disk name='vda' snapshot='external' type='dir'><source dir='/x'/></disk></disks>",
    "<disks><disk name='vda' snapshot='external' type='block'/><disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external' type='network'><source protocol='nbd'><host name='h'/></source>"
    "</disk><disk name='vdb' snapshot='no'/></disks>",
    "<disks><disk name='vda' snapshot='external'/></disks>",
    "<disks><disk name='vdz'/></disks>",
    "<disks><disk name='vda'/><disk name='vda'/></disks>",
]


@pytest.fixture(scope="module")
def three_disk_domain(tmp_path_factory: pytest.TempPathFactory):
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *args: None, None)
    node = tmp_path_factory.mktemp("snapdisks") / "node.xml"
    node.write_text(
        "<node><domain type='test'><name>test</name><memory>1048576</memory><os><type>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/guest/a.img'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><source file='/guest/b.img'/><target dev='vdb' bus='virtio'/></disk>"
        "<disk type='file' device='cdrom'><source file='/guest/c.iso'/><target dev='hdc' bus='ide'/><readonly/>"
        "</disk></devices></domain></node>"
    )
    conn = libvirt.open(f"test://{node}")
    yield libvirt, conn.lookupByName("test")
    conn.close()


@pytest.mark.parametrize("index", range(len(DISK_CASES)))
def test_disk_snapshot_redefine_against_libvirt(three_disk_domain, index: int) -> None:
    libvirt, dom = three_disk_domain
    text = (
        "<domainsnapshot><name>s1</name><state>disk-snapshot</state><creationTime>5</creationTime>"
        f"{DISK_CASES[index]}{dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)}</domainsnapshot>"
    )
    try:
        snap = dom.snapshotCreateXML(text, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
        theirs, exc = snap.getXMLDesc(0), None
        snap.delete(0)
    except libvirt.libvirtError as e:
        theirs, exc = None, e
    try:
        ours_def = SnapshotDef.from_xml(text, redefine=True)
        ours_def.align_disks("external")  # the test driver's default for a disk-only snapshot
        ours, err = ours_def.to_xml(), None
    except VirtError as e:
        ours, err = None, e
    if theirs is None or ours is None:
        assert theirs is None and ours is None, (exc, err)
        assert (int(err.code), err.message) == (exc.get_error_code(), exc.get_error_message())
    else:
        assert canonical(ours) == canonical(theirs)
