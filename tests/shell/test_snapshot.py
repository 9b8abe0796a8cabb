"""The snapshot tree workflow of issue 4, compared with real virsh byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import assert_same, run_virsh

URI = ["-c", "test:///default"]

# A fan-out: reverting to an older snapshot before each create makes siblings.
FAN_OUT = ("snapshot-create-as test s1 --description root; snapshot-create-as test s2; "
           "snapshot-revert test s1; snapshot-create-as test s3; snapshot-create-as test s4; "
           "snapshot-revert test s1; snapshot-create-as test s5; snapshot-revert test s3; "
           "snapshot-create-as test s6; ")

FILTERS = [
    "", "--parent", "--roots", "--leaves", "--no-leaves", "--name", "--metadata",
    "--from s1", "--from s1 --descendants", "--from s3 --name", "--current", "--current --descendants",
    "--active", "--inactive", "--internal", "--external", "--tree", "--from s1 --tree",
    "--from s3 --tree --descendants", "--leaves --name --parent", "--roots --name",
]


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
def test_fan_out_tree_and_filters(quiet: bool) -> None:
    listing = "; ".join(f"snapshot-list test {f}" for f in FILTERS)
    assert_same([*(["-q"] if quiet else []), *URI, FAN_OUT + listing])


def test_info_parent_current() -> None:
    script = FAN_OUT + (
        "snapshot-current test --name; snapshot-info test --current; snapshot-info test s1; "
        "snapshot-info test s3; snapshot-parent test s6; snapshot-parent test s1; "
        "snapshot-parent test --current; snapshot-current test s2; snapshot-current test --name; "
        "snapshot-info test s2; snapshot-create-as test s7; snapshot-list test --tree; "
        "snapshot-current test nosuch; snapshot-info test; snapshot-info test s1 --current; "
        "snapshot-dumpxml test s1 --xpath //description; snapshot-dumpxml test nosuch"
    )
    assert_same([*URI, script])


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
def test_delete_with_each_flag(quiet: bool) -> None:
    script = FAN_OUT + (
        "snapshot-delete test s4; snapshot-list test --tree; snapshot-current test --name; "
        "snapshot-delete test s3 --children-only; snapshot-list test --tree; "
        "snapshot-delete test --current; snapshot-list test --tree; snapshot-current test --name; "
        "snapshot-delete test s1 --children; snapshot-list test; snapshot-current test; "
        "snapshot-delete test s1; snapshot-delete test --current"
    )
    assert_same([*(["-q"] if quiet else []), *URI, script])


def test_revert_flags() -> None:
    script = (
        "snapshot-create-as test live; destroy test; snapshot-create-as test off; "
        "snapshot-revert test live; domstate test --reason; snapshot-revert test off; "
        "domstate test --reason; snapshot-revert test live --paused --force; domstate test --reason; "
        "snapshot-revert test live --running --paused; snapshot-revert test; "
        "snapshot-create-as test --halt halted; domstate test --reason; list --all --with-snapshot; "
        "list --all --without-snapshot"
    )
    assert_same([*URI, script])


def test_create_variants() -> None:
    script = (
        "snapshot-create test snap1.xml; snapshot-create test; snapshot-list test --name; "
        "snapshot-create-as test --print-xml --name pp --description dd "
        "--diskspec vda,snapshot=external,file=/x.qcow2 --memspec file=/m,snapshot=external; "
        "snapshot-create-as test --print-xml --diskspec vda,snapshot=external,driver=qcow2,stype=block,file=/dev/x "
        "--diskspec vdb; snapshot-create-as test --print-xml --memspec /m; "
        "snapshot-create-as test --print-xml --memspec snapshot=no; "
        "snapshot-create-as test --print-xml --diskspec vda,bogus=1; "
        "snapshot-create-as test --print-xml a,,b 'x<y'; snapshot-create test /nonexistent.xml; "
        "snapshot-create-as nosuch s1"
    )
    assert_same([*URI, script])


def test_dump_and_redefine_in_topological_order(tmp_path: Path) -> None:
    """Dump every snapshot's XML (from real virsh), then redefine them all, parents first."""
    made = run_virsh([*URI, FAN_OUT + "snapshot-list test --topological --name"])
    order = [line for line in made.out.splitlines() if line and not line.startswith("Domain")]
    assert order and order[0] == "s1"
    for name in order:
        dumped = run_virsh([*URI, FAN_OUT + f"snapshot-dumpxml test {name}"])
        xml = dumped.out[dumped.out.index("<domainsnapshot>"):]
        (tmp_path / f"{name}.xml").write_text(xml.rstrip("\n") + "\n")
    redefine = "; ".join(f"snapshot-create test {tmp_path / n}.xml --redefine" for n in order)
    assert_same([*URI, redefine + f"; snapshot-create test {tmp_path / 's6'}.xml --redefine --current; "
                 "snapshot-list test --tree; snapshot-list test --parent; snapshot-current test --name; "
                 "snapshot-info test s3"])


@pytest.mark.xfail(reason="libvirt 9.0's test driver leaves the domain shut off when reverting "
                          "to a shut-off snapshot with --running/--paused; pyvirt starts it",
                   strict=False)
def test_revert_inactive_snapshot_running() -> None:
    assert_same([*URI, "destroy test; snapshot-create-as test off; snapshot-revert test off --running; "
                 "domstate test --reason; snapshot-revert test off --paused; domstate test --reason"])


def test_topological_order() -> None:
    assert_same([*URI, FAN_OUT + "snapshot-list test --topological --name; "
                 "snapshot-list test --topological --parent"])


@pytest.mark.xfail(reason="libvirt 9.0's test driver rejects --no-metadata, --disk-only and "
                          "delete --metadata ('unsupported flags'); pyvirt's driver accepts them",
                   strict=False)
def test_flags_libvirt_test_driver_rejects() -> None:
    assert_same([*URI, "snapshot-create-as test s1; snapshot-create-as test s2 --no-metadata; "
                 "snapshot-create-as test s3 --disk-only; snapshot-delete test s1 --metadata; "
                 "snapshot-list test --no-metadata"])
