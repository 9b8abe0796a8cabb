"""libvirt's domain output flags (secure, running id, inactive), compared with libvirt.

Without VIR_DOMAIN_XML_SECURE libvirt leaves out graphics passwords and the HTTP cookies
of network disk sources; a running domain's id follows ``type``. pyvirt's writer applies
these flags without touching the tree, so formatting twice (or insecure then secure) gives
the same text as formatting once.
"""

from __future__ import annotations

import pytest

from pyvirt.conf.domain import DomainDef
from tests.conformance.domain_oracle import canonical

SECRETS = """<domain type='test'>
  <name>flags</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <memory>1024</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='network' device='disk'>
      <source protocol='https' name='/x.iso'>
        <host name='example.org' port='443'/>
        <cookies><cookie name='session'>abc123</cookie></cookies>
      </source>
      <backingStore type='network'>
        <format type='raw'/>
        <source protocol='http' name='/y'>
          <host name='h' port='80'/>
          <cookies><cookie name='c'>d</cookie></cookies>
        </source>
      </backingStore>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' passwd='s3cret' passwdValidTo='2030-01-01T00:00:00' connected='keep'/>
    <graphics type='spice' passwd='sp1ce'/>
  </devices>
</domain>
"""


@pytest.fixture(scope="module")
def lv():  # type: ignore[no-untyped-def]
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *a: None, None)
    conn = libvirt.open("test:///default")
    yield libvirt, conn
    conn.close()


@pytest.mark.parametrize("secure", [False, True])
def test_secrets_match_libvirt(lv, secure: bool) -> None:  # type: ignore[no-untyped-def]
    libvirt, conn = lv
    dom = conn.defineXML(SECRETS)
    try:
        flags = libvirt.VIR_DOMAIN_XML_INACTIVE | (libvirt.VIR_DOMAIN_XML_SECURE if secure else 0)
        want = dom.XMLDesc(flags)
    finally:
        dom.undefine()
    got = DomainDef.from_xml(SECRETS).to_xml(secure=secure, inactive=True)
    assert canonical(got) == canonical(want)
    assert ("s3cret" in got) is secure and ("abc123" in got) is secure and ("<cookie " in got) is secure


def test_running_id_matches_libvirt(lv) -> None:  # type: ignore[no-untyped-def]
    _, conn = lv
    dom = conn.createXML(SECRETS.replace("<name>flags", "<name>flags-live"), 0)
    try:
        want_head = dom.XMLDesc(0).splitlines()[0]
        domain_id = dom.ID()
    finally:
        dom.destroy()
    got = DomainDef.from_xml(SECRETS).to_xml(domain_id=domain_id)
    assert got.splitlines()[0] == want_head == f"<domain type='test' id='{domain_id}'>"
    assert DomainDef.from_xml(SECRETS).to_xml(domain_id=domain_id, inactive=True).splitlines()[0] == (
        "<domain type='test'>"
    )


def test_flags_leave_the_tree_alone() -> None:
    d = DomainDef.from_xml(SECRETS.replace("<domain type='test'>", "<domain type='test' id='7'>"))
    secure_first = d.to_xml(secure=True)
    d.to_xml()
    d.to_xml(domain_id=3)
    d.to_xml(inactive=True)
    assert d.to_xml(secure=True) == secure_first
    # libvirt's attribute order: the password right after autoport, before passwdValidTo
    assert "autoport='yes' passwd='s3cret' passwdValidTo=" in secure_first
    assert secure_first.splitlines()[0] == "<domain type='test'>"
    assert d.to_xml(domain_id=3).splitlines()[0] == "<domain type='test' id='3'>"
