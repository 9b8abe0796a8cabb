"""The error table against libvirt itself: numbers from libvirt-python's constants, message
templates from errors the live libvirt raises, classes per family.

Messages are checked differentially: the oracle (libvirt's test driver) is made to fail in
a known way, and pyvirt must build the same text from its table plus the detail libvirt's
code passes (which names the object, e.g. ``no domain with matching name 'x'``).
"""

from __future__ import annotations

import pytest

from pyvirt import errors
from pyvirt.errors import ErrorDomain, ErrorLevel, ErrorNumber, VirtError, error_class, virt_error

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")


def _libvirt_number(name: str) -> int | None:
    if name == "OK":
        return libvirt.VIR_ERR_OK
    if name.startswith("WAR_"):
        return getattr(libvirt, "VIR_WAR_" + name[4:], None)
    return getattr(libvirt, "VIR_ERR_" + name, None)


def test_every_error_number_matches_libvirt() -> None:
    for number in ErrorNumber:
        assert _libvirt_number(number.name) == number.value, number.name


def test_every_libvirt_error_number_is_in_the_table() -> None:
    skip = {"VIR_ERR_NONE", "VIR_ERR_WARNING", "VIR_ERR_ERROR"}  # these are levels
    for const in dir(libvirt):
        if const.startswith("VIR_ERR_") and const not in skip:
            assert hasattr(ErrorNumber, const[len("VIR_ERR_"):]), const


def test_every_error_domain_matches_libvirt() -> None:
    for dom in ErrorDomain:
        assert getattr(libvirt, "VIR_FROM_" + dom.name) == dom.value, dom.name
    for const in dir(libvirt):
        if const.startswith("VIR_FROM_"):
            assert hasattr(ErrorDomain, const[len("VIR_FROM_"):]), const


def test_levels_match_libvirt() -> None:
    assert ErrorLevel.NONE == libvirt.VIR_ERR_NONE
    assert ErrorLevel.WARNING == libvirt.VIR_ERR_WARNING
    assert ErrorLevel.ERROR == libvirt.VIR_ERR_ERROR


def test_issue_named_numbers() -> None:
    assert ErrorNumber.NO_DOMAIN == 42
    assert ErrorNumber.XML_ERROR == 27
    assert ErrorNumber.CONFIG_UNSUPPORTED == 67
    assert ErrorNumber.INVALID_ARG == 8
    assert ErrorNumber.OPERATION_INVALID == 55
    assert ErrorNumber.OPERATION_DENIED == 29


def test_classes_per_family() -> None:
    for number in (ErrorNumber.NO_DOMAIN, ErrorNumber.XML_ERROR, ErrorNumber.OPERATION_INVALID,
                   ErrorNumber.CONFIG_UNSUPPORTED, ErrorNumber.INVALID_ARG):
        cls = error_class(number)
        assert issubclass(cls, VirtError) and cls is not VirtError
        err = virt_error(number, "detail")
        assert type(err) is cls and err.code == number
        assert err.get_error_code() == int(number)
    assert error_class(ErrorNumber.NO_DOMAIN) is errors.NoDomainError  # type: ignore[attr-defined]
    assert error_class(ErrorNumber.XML_ERROR) is not error_class(ErrorNumber.NO_DOMAIN)
    with pytest.raises(errors.NoDomainError):  # type: ignore[attr-defined]
        raise virt_error(ErrorNumber.NO_DOMAIN, "no domain with matching name 'x'")


# ---------------------------------------------------------------------------------------------
# messages against the live libvirt


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    """A private test driver holding one domain, so nothing here touches test:///default
    (whose state every connection in the process shares)."""
    libvirt.registerErrorHandler(lambda *args: None, None)
    node = tmp_path_factory.mktemp("errors") / "node.xml"
    node.write_text(
        "<node><domain type='test'><name>test</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><disk type='file' device='disk'><source file='/x.img'/><target dev='vda'/></disk></devices>"
        "</domain></node>"
    )
    c = libvirt.open(f"test://{node}")
    yield c
    c.close()


def _oracle_error(call) -> libvirt.libvirtError:
    with pytest.raises(libvirt.libvirtError) as info:
        call()
    return info.value


def _inactive(c):
    try:
        return c.lookupByName("pyvirt-inactive")
    except libvirt.libvirtError:
        return c.defineXML(
            "<domain type='test'><name>pyvirt-inactive</name><memory>1024</memory>"
            "<os><type>hvm</type></os></domain>"
        )


CASES = [
    # (how to make libvirt fail, pyvirt code, detail libvirt passes)
    # the test driver reports a failed domain lookup without detail (the bare template)
    (lambda c: c.lookupByName("nosuch"), ErrorNumber.NO_DOMAIN, None),
    (lambda c: c.networkLookupByName("nosuch"), ErrorNumber.NO_NETWORK, "no network with matching name 'nosuch'"),
    (lambda c: c.storagePoolLookupByName("nosuch"), ErrorNumber.NO_STORAGE_POOL, "no storage pool with matching name 'nosuch'"),
    (lambda c: c.interfaceLookupByName("nosuch"), ErrorNumber.NO_INTERFACE, "no interface with matching name 'nosuch'"),
    (lambda c: c.nodeDeviceLookupByName("nosuch"), ErrorNumber.NO_NODE_DEVICE, "no node device with matching name 'nosuch'"),
    (lambda c: c.lookupByName("test").snapshotLookupByName("nosuch"), ErrorNumber.NO_DOMAIN_SNAPSHOT, "no domain snapshot with matching name 'nosuch'"),
    (lambda c: c.networkDefineXML("<network/>"), ErrorNumber.NO_NAME, None),
    (lambda c: c.storagePoolDefineXML("<pool type='dir'><name>p</name></pool>"), ErrorNumber.XML_ERROR, "missing storage pool target path"),
    (lambda c: c.networkDefineXML("<network><name>a</name><forward mode='x'/></network>"), ErrorNumber.CONFIG_UNSUPPORTED, "unknown forwarding type 'x'"),
    (lambda c: _inactive(c).destroy(), ErrorNumber.OPERATION_INVALID, "domain is not running"),
    (lambda c: c.lookupByName("test").snapshotCreateXML("<domainsnapshot/>", 1), ErrorNumber.XML_ERROR, "a redefined snapshot must have a name"),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_message_matches_libvirt(conn, index: int) -> None:
    call, number, detail = CASES[index]
    exc = _oracle_error(lambda: call(conn))
    assert exc.get_error_code() == int(number)
    ours = virt_error(number, detail, domain=exc.get_error_domain())
    assert ours.message == exc.get_error_message()
    assert int(ours.domain) == exc.get_error_domain()


def test_models_raise_what_libvirt_raises(conn) -> None:
    """The conf layer's own failures carry libvirt's code, domain and text."""
    from pyvirt.conf.network import NetworkDef
    from pyvirt.conf.storage import StoragePoolDef

    for cls, define, text in [
        (NetworkDef, conn.networkDefineXML, "<network><name>a</name><mac address='zz'/></network>"),
        (NetworkDef, conn.networkDefineXML, "<network/>"),
        (StoragePoolDef, conn.storagePoolDefineXML, "<pool/>"),
        (StoragePoolDef, conn.storagePoolDefineXML, "<pool type='bogus'><name>p</name></pool>"),
    ]:
        exc = _oracle_error(lambda: define(text))  # noqa: B023
        with pytest.raises(VirtError) as info:
            cls.from_xml(text)
        assert (int(info.value.code), int(info.value.domain), info.value.message) == (
            exc.get_error_code(),
            exc.get_error_domain(),
            exc.get_error_message(),
        )


# ---------------------------------------------------------------------------------------------
# malformed documents: libvirt's pseudo file name, line, context and pointer, per format

MALFORMED = ["<thing", "<a><b>x</a>", "", "  ", "<domain/>"]


@pytest.mark.parametrize("text", MALFORMED)
@pytest.mark.parametrize("kind", ["network", "pool", "volume", "snapshot", "interface", "device"])
def test_malformed_documents_match_libvirt(conn, tmp_path, kind: str, text: str) -> None:
    from pyvirt.conf.interface import InterfaceDef
    from pyvirt.conf.network import NetworkDef
    from pyvirt.conf.nodedev import NodeDeviceDef
    from pyvirt.conf.snapshot import SnapshotDef
    from pyvirt.conf.storage import StoragePoolDef, StorageVolDef

    node = tmp_path / "node.xml"
    node.write_text("<node><pool type='dir'><name>p</name><target><path>/p</path></target></pool></node>")
    private = libvirt.open(f"test://{node}")
    try:
        oracle, cls = {
            "network": (private.networkDefineXML, NetworkDef),
            "pool": (private.storagePoolDefineXML, StoragePoolDef),
            "volume": (lambda t: private.storagePoolLookupByName("p").createXML(t, 0), StorageVolDef),
            "snapshot": (lambda t: conn.lookupByName("test").snapshotCreateXML(t, 0), SnapshotDef),
            "interface": (private.interfaceDefineXML, InterfaceDef),
            "device": (lambda t: private.nodeDeviceCreateXML(t, 0), NodeDeviceDef),
        }[kind]
        exc = _oracle_error(lambda: oracle(text))
    finally:
        private.close()
    with pytest.raises(VirtError) as info:
        cls.from_xml(text)
    assert (int(info.value.code), int(info.value.domain), info.value.message) == (
        exc.get_error_code(),
        exc.get_error_domain(),
        exc.get_error_message(),
    )
