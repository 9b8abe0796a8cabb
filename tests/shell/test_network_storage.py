"""Network, storage pool/volume, interface and node device commands against real virsh."""

from __future__ import annotations

import pytest

from .harness import assert_same

URI = ["-c", "test:///default"]

SCRIPTS = {
    "net": "net-list; net-list --all; net-list --name; net-list --uuid; net-list --table --name; "
           "net-define net.xml; net-list --all; net-info net2; net-info default; net-start net2; "
           "net-autostart net2; net-list --autostart; net-autostart net2 --disable; net-destroy net2; "
           "net-undefine net2; net-uuid default; net-name dd8fe884-6c02-601e-7551-cca97df1c5df; "
           "net-name dd0a3e42-5bde-4d86-86d8-6d3eb98d3b8a; net-destroy nosuch; net-create net.xml; "
           "net-list --transient; net-destroy net2; net-dumpxml default; net-start default; "
           "net-list --inactive; net-list --persistent --name; net-dumpxml default --xpath //ip/@address",
    "pool": "pool-list; pool-list --all --details; pool-list --name; pool-list --uuid; "
            "pool-info default-pool; pool-define pool.xml; pool-list --all; pool-info p2; pool-start p2; "
            "pool-autostart p2; pool-autostart p2 --disable; pool-list --all --details; pool-destroy p2; "
            "pool-undefine p2; pool-uuid default-pool; pool-name dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566; "
            "pool-refresh default-pool; pool-build default-pool; pool-info nosuch; "
            "pool-list --name --details",
    "vol": "pool-define pool.xml; pool-start p2; vol-create-as p2 v1.img 1G; vol-create p2 vol.xml; "
           "vol-list p2; vol-list p2 --details; vol-info v1.img --pool p2; vol-info /p2-pool/v2.img; "
           "vol-path v1.img --pool p2; vol-key v1.img --pool p2; vol-name /p2-pool/v1.img; "
           "vol-pool /p2-pool/v1.img; vol-dumpxml v1.img --pool p2; vol-delete v1.img --pool p2; "
           "vol-list p2; vol-info nosuch --pool default-pool; vol-info nosuch; "
           "vol-create-as p2 v3 10M --allocation 1M --print-xml; vol-create-as p2 v3 1x",
    "pool-as": "pool-define-as p3 dir --target /p3; pool-start p3; pool-create-as p4 dir --target /p4; "
               "pool-list --all; pool-define-as p5 dir --print-xml --target /p5; "
               "pool-define-as p6 netfs --source-host h:2049 --source-path /exp --target /mnt "
               "--source-format nfs --print-xml; pool-define-as p7 logical --source-dev /dev/sdb "
               "--source-name vg --print-xml; vol-create-as default-pool vv 1M; "
               "vol-resize vv 2M --pool default-pool; vol-resize vv +1M --pool default-pool --delta; "
               "vol-resize vv -1M --pool default-pool",
    "create-flows": "iface-define iface.xml; iface-list --all; iface-start eth7; iface-destroy eth7; "
                    "iface-undefine eth7; pool-create pool-create.xml; pool-list --all; "
                    "vol-create-as p9 w1 1M --format qcow2; vol-dumpxml w1 --pool p9; vol-wipe w1 --pool p9; "
                    "vol-delete w1 --pool p9; pool-destroy p9; pool-list --all; maxvcpus --type test; "
                    "maxvcpus --type kvm; vol-create-as p9 w1 1M; pool-delete default-pool",
    "domain-devices": "domblklist test; domblklist test --details; domblklist test --inactive; "
                      "domiflist test; domiflist test --inactive; domhostname test; domjobabort test; "
                      "define dom1.xml; domblklist d1 --details; domiflist d1",
    "iface": "iface-list; iface-list --all; iface-list --inactive; iface-mac eth1; "
             "iface-name aa:bb:cc:dd:ee:ff; iface-dumpxml eth1; iface-destroy eth1; iface-list --all; "
             "iface-start eth1; iface-undefine eth1; iface-list --all; iface-mac nosuch",
    "nodedev": "nodedev-dumpxml computer; nodedev-info computer; nodedev-dumpxml nosuch; "
               "nodedev-list --inactive --all; nodedev-create nodedev.xml; nodedev-dumpxml scsi_host12; "
               "nodedev-info scsi_host12; nodedev-destroy scsi_host12; nodedev-destroy scsi_host12; "
               "nodedev-define nodedev.xml",
}


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script(name: str, quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, SCRIPTS[name]])


def test_nodedev_list() -> None:
    assert_same([*URI, "nodedev-list; nodedev-list --tree; nodedev-list --all"])


HOST = ("inject-nmi test; domtime test; domtime test --pretty; domcontrol test; schedinfo test; "
        "freecell; freecell --all; freecell 1; nodecpustats; nodecpustats 1; domblkerror test; "
        "dommemstat test; vcpuinfo test; vcpuinfo test --pretty; destroy test; inject-nmi test; "
        "domcontrol test; dommemstat test; domtime test; vcpuinfo test; vcpuinfo test --pretty")


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
def test_host_and_monitor_queries(quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, HOST])


@pytest.mark.parametrize("change", [True, False], ids=["changed", "unchanged"])
def test_object_edits(tmp_path, change: bool) -> None:
    """net-edit, pool-edit, iface-edit, save-image-edit through $EDITOR; save-image-define."""
    editor = tmp_path / "ed.sh"
    body = ('sed -i "s/192.168.122.254/192.168.122.200/; s/<on_crash>destroy/<on_crash>restart/" "$1"'
            if change else "exit 0")
    editor.write_text("#!/bin/sh\n" + body + "\n")
    editor.chmod(0o755)
    image = tmp_path / "si.img"
    assert_same([*URI, f"net-edit default; net-dumpxml default; pool-edit default-pool; iface-edit eth1; "
                       f"save test {image}; save-image-edit {image}; "
                       f"save-image-dumpxml {image} --xpath //on_crash; save-image-define {image} dom1.xml; "
                       f"save-image-dumpxml {image} --xpath //name; save-image-dumpxml /nonexistent"],
                env={"EDITOR": str(editor)})


def test_block_and_interface_queries() -> None:
    assert_same([*URI, "domblkinfo test vda; domblkinfo test vda --human; domblkinfo test; "
                       "domblkinfo test nosuch; domifstat test nosuch; domblkstat test nosuch"])


def test_stats_layout() -> None:
    """The test drivers derive I/O counters from the wall clock: compare the layout only."""
    import re

    from .harness import compare

    expected, actual = compare([*URI, "domblkstat test vda; domifstat test testnet0; "
                                      "domifstat test aa:bb:cc:dd:ee:ff"])
    digits = re.compile(r" \d+$", re.M)
    assert digits.sub(" N", actual.out) == digits.sub(" N", expected.out)
    assert (actual.err, actual.rc) == (expected.err, expected.rc)


TUNING = ("memtune test --hard-limit 1G; memtune test; memtune test --soft-limit -1 --config; "
          "memtune test --config; memtune test --hard-limit x; perf test --enable cmt,mbmt; "
          "perf test --disable cmt; numatune test --mode interleave --nodeset 0 --config; "
          "numatune test --config; blkiotune test --weight 500; blkiotune test; vcpupin test; "
          "vcpupin test 1; emulatorpin test; domifaddr test; domifaddr test --full; domfsinfo test; "
          "domfsfreeze test; domfsthaw test; domfstrim test; destroy test; memtune test; "
          "numatune test; perf test; domfsinfo test; vcpupin test; emulatorpin test; "
          "domifaddr test; domfsfreeze test; domfsthaw test; domfstrim test")


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
def test_tuning_and_guest_queries(quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, TUNING])


@pytest.mark.parametrize("name", ["net", "pool", "vol", "iface"])
def test_debug_trace(name: str) -> None:
    assert_same(["-d", "0", *URI, SCRIPTS[name]])
