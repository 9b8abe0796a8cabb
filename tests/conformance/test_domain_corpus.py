"""Differential conformance of the domain format against live libvirt (its test driver).

Every domain input of the corpus's ``qemuxml2argv/`` goes through libvirt (define, dumpxml
--inactive, undefine, on a test driver with an empty node) and through pyvirt
(``DomainDef.from_xml(...).to_xml(inactive=True)``). They agree when both accept and the
canonical forms match, or both reject with the same error code. See
:mod:`tests.conformance.domain_oracle` for the comparison and docs/domain-conformance.md for
the documents that still disagree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .domain_oracle import compare, domain_inputs, run

TARGET = 0.97

#: documents covering the main classes of libvirt's generic parse; each must agree
MUST_AGREE = (
    "default-qemu-host-arch.xml",       # defaults: boot, clock, vcpu placement, lifecycle
    "disk-cdrom.xml",                   # cdrom readonly, ide drive address, implicit controller
    "disk-scsi-disk-split.xml",         # scsi drive addresses, implicit scsi controllers
    "serial-pty-chardev.xml",           # serial port + console alias
    "console-compat.xml",
    "serial-tcp-chardev.xml",           # tcp source mode and protocol defaults
    "graphics-vnc-no-listen-attr.xml",  # vnc port/autoport/listen defaults, implicit video
    "graphics-spice-socket.xml",
    "graphics-vnc-socket.xml",
    "video-qxl-heads.xml",              # primary video moved first, qxl defaults
    "cpu-numa2.xml",                    # numa cells ids/units, cpu mode/match/fallback
    "q35-usb2.xml",                     # usb companions with <master>
    "metadata-duplicate.xml",           # custom metadata: one element per namespace
    "hugepages-default-5M.xml",         # scaled page sizes
    "numatune-memory-invalid-nodeset.xml",  # rejected: empty node set
    "disk-device-lun-type-invalid.xml",     # rejected: lun on a file
    "q35-dmi-bad-address1.xml",         # rejected: duplicate controller index
)  # fmt: skip


def test_agreement_rate(corpus: Path, libvirt_oracle: object) -> None:
    paths = domain_inputs(corpus)
    assert paths, "no domain inputs in the corpus"
    results = run(libvirt_oracle, paths)
    bad = [r for r in results if not r.agree]
    rate = 1 - len(bad) / len(results)
    report = "\n".join(f"  {r.name}: {r.reason}" for r in bad)
    print(f"\ndomain conformance: {len(results) - len(bad)}/{len(results)} agree ({rate:.1%})\n{report}")
    assert rate >= TARGET, f"agreement {rate:.1%} below {TARGET:.0%}; disagreements:\n{report}"


def test_agreement_on_libvirt_written_documents(corpus: Path, libvirt_oracle: object) -> None:
    """The same comparison over documents libvirt itself wrote (qemuxml2xmlout, lxcxml2xml):
    inputs pyvirt's rules were not tuned on, so this measures how well they generalise."""
    paths = sorted((corpus / "qemuxml2xmlout").glob("*.xml")) + sorted((corpus / "lxcxml2xml").glob("*.xml"))
    if not paths:
        pytest.skip("no qemuxml2xmlout/lxcxml2xml documents in this corpus")
    results = run(libvirt_oracle, paths)
    bad = [r for r in results if not r.agree]
    rate = 1 - len(bad) / len(results)
    report = "\n".join(f"  {r.name}: {r.reason}" for r in bad)
    print(f"\nlibvirt-written documents: {len(results) - len(bad)}/{len(results)} agree\n{report}")
    assert rate >= TARGET, report


@pytest.mark.parametrize("name", MUST_AGREE)
def test_must_agree(corpus: Path, libvirt_oracle: object, name: str) -> None:
    path = corpus / "qemuxml2argv" / name
    if not path.exists():
        pytest.skip(f"{name} not in this corpus")
    outcome = compare(libvirt_oracle, path)
    assert outcome.agree, outcome.reason
