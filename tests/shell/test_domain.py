"""Domain commands on test:///default and on a custom node file, compared with real virsh."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import DATA, assert_same

URI = ["-c", "test:///default"]
NODE = ["-c", f"test://{DATA / 'node.xml'}"]

SCRIPTS = {
    "lookup": "list; list --all; domstate test; domstate test --reason; domid test; domuuid test; "
              "domname 1; domname 6695eb01-f6a4-8304-79aa-97f2502e193f; domid 6695eb01f6a4830479aa97f2502e193f; "
              "domstate nosuch; domid 1; domuuid 1; domname 2",
    "lifecycle": "define dom1.xml; dominfo d1; list --all; start d1; domstate d1 --reason; domid d1; "
                 "suspend d1; domstate d1 --reason; resume d1; domstate d1 --reason; reboot d1; reset d1; "
                 "shutdown d1; domstate d1 --reason; start d1; destroy d1; domstate d1 --reason; domid d1",
    "errors": "define /nonexistent.xml; define node.xml; start test; shutdown nosuch; destroy test; "
              "destroy test; suspend test; resume test; reboot test; reset test; shutdown test; "
              "undefine test; dominfo test; domrename test x",
    "transient": "create dom1.xml; list --all; list --transient; list --persistent --all; destroy d1; "
                 "list --all; create dom2.xml --paused; domstate d2 --reason; list --state-paused; destroy d2",
    "autostart": "define dom2.xml; autostart d2; list --all --autostart; list --all --no-autostart; "
                 "autostart --disable d2; list --autostart --all",
    "memory": "define dom1.xml; setmem d1 400000 --config; setmaxmem d1 2000000 --config; "
              "dumpxml d1 --inactive; setmem d1 100G --config; setmem d1 1x; setmem test 1048576 --live; "
              "setmem test 512M; dominfo d1",
    "vcpus": "define dom1.xml; vcpucount d1; setvcpus d1 2 --config; vcpucount d1; "
             "setvcpus d1 3 --config --maximum; vcpucount d1 --maximum --config; vcpucount test; "
             "setvcpus test 1 --live; vcpucount test --live --active; vcpucount d1 --live --config",
    "desc": "define dom1.xml; desc d1; desc d1 --title; desc d1 --title hello world; desc d1 --title; "
            "desc d1 'new desc'; desc d1; desc d1 --config; list --all --title",
    "metadata": "define dom2.xml; metadata d2 http://example.org/ns; "
                "metadata d2 http://example.org/ns --key ex --set '<thing/>'; "
                "metadata d2 http://example.org/ns; metadata d2 http://example.org/ns --remove; "
                "metadata d2 http://example.org/ns; metadata d2 http://example.org/ns --set '<x/>'; "
                "metadata d2 http://example.org/ns --edit --set '<x/>'",
    "rename": "define dom2.xml; domrename d2 renamed; list --all --name; domrename renamed test; "
              "domrename test x",
    "undefine": "define dom2.xml; undefine d2; list --all; undefine nosuch; "
                "define dom1.xml; start d1; undefine d1; list --all --transient; destroy d1; list --all",
    "list-formats": "define dom1.xml; define dom2.xml; start d2; list --name; list --uuid; list --id; "
                    "list --name --uuid --all; list --id --name --all; list --uuid --id --name --all; "
                    "list --table --name; list --inactive; list --state-shutoff; list --state-running --state-shutoff; "
                    "list --title --all; list --table --uuid",
    "dumpxml": "dumpxml test; dumpxml test --inactive; dumpxml test --security-info; "
               "dumpxml test --xpath //name; dumpxml test --xpath //disk/target --wrap; "
               "dumpxml test --xpath 'string(//memory/@unit)'; dumpxml test --xpath 'count(//disk)'",
    "managedsave": "managedsave test; list --all --managed-save; list --all; list --all --with-managed-save; "
                   "dominfo test; start test; managedsave-remove test; managedsave test; "
                   "managedsave-remove test; list --all --managed-save; managedsave-remove nosuch",
    "save-restore": "save test /tmp/pyvirsh-test-save.img; list --all; domstate test --reason; "
                    "restore /tmp/pyvirsh-test-save.img; domstate test --reason; restore /nonexistent.img",
    "save-verbose": "save --verbose test /tmp/pyvirsh-test-save2.img; restore /tmp/pyvirsh-test-save2.img; "
                    "managedsave --verbose test",
    "save-flags": "save test /tmp/pyvirsh-test-save3.img --running; save test /tmp/pyvirsh-test-save3.img "
                  "--running --paused; save test /tmp/pyvirsh-test-save3.img --bypass-cache; "
                  "save test /tmp/pyvirsh-test-save3.img --xml /dev/null; save test /tmp/pyvirsh-test-save3.img; "
                  "restore /tmp/pyvirsh-test-save3.img --paused; restore /tmp/pyvirsh-test-save3.img --running "
                  "--paused; restore /tmp/pyvirsh-test-save3.img --bypass-cache; "
                  "restore --xml /dev/null /tmp/pyvirsh-test-save3.img; "
                  "save-image-define /tmp/pyvirsh-test-save3.img /dev/null --running --paused; "
                  "restore /tmp/pyvirsh-test-save3.img; managedsave test --running --paused; "
                  "managedsave test --paused --bypass-cache; dominfo test; start test",
    "vcpus-guest": "setvcpus test 1 --guest; setvcpus test 1 --guest --config; setvcpus test 1 --hotpluggable; "
                   "setvcpus test 1 --guest --live; setvcpus test 1 --guest --hotpluggable; setvcpus test 0 --guest; "
                   "setvcpus test 1 --hotpluggable --maximum; setvcpus test 1 --hotpluggable --maximum --config; "
                   "setvcpus nope 1 --guest --config; setvcpus nope 1 --maximum; setvcpus test x --guest --config; "
                   "vcpucount test --guest; vcpucount test --guest --live; vcpucount nope --guest; "
                   "vcpucount test --guest --config --current; vcpucount test --active --maximum",
    "readonly-connect": "connect test:///default --readonly; destroy test; define dom1.xml; list",
    "start-flags": "destroy test; start test --autodestroy; start test --bypass-cache; "
                   "start test --force-boot; shutdown test --mode acpi; reboot test --mode agent; "
                   "reboot test --mode bogus; shutdown test --mode acpi,signal; list; destroy test; "
                   "start test --paused; list; managedsave test; start test --force-boot; "
                   "list --all --managed-save; dumpxml test --migratable",
    "host": "nodeinfo; capabilities; sysinfo; hostname; uri; version; version --daemon; maxvcpus",
}


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_default_driver(name: str, quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, SCRIPTS[name]])


NODE_SCRIPTS = {
    "listing": "list --all; list --all --name; domstate alpha --reason; dominfo beta; net-list --all",
    "lifecycle": "start alpha; list; destroy alpha; list --all; undefine beta; list --all",
}


@pytest.mark.parametrize("name", sorted(NODE_SCRIPTS))
def test_node_file(name: str) -> None:
    assert_same([*NODE, NODE_SCRIPTS[name]])


RICH = ["-c", f"test://{DATA / 'node-rich.xml'}"]


def test_rich_node_file() -> None:
    """Run states, managed save, transient domains, predefined snapshots, pools with volumes."""
    assert_same([*RICH, "nodeinfo; list --all; list --all --managed-save; list --transient --all; "
                 "list --with-snapshot --all --name; domstate paused --reason; dominfo saved; "
                 "snapshot-list runner --tree; snapshot-list runner --parent; "
                 "snapshot-current runner --name; snapshot-info runner first; "
                 "snapshot-revert runner first; snapshot-list runner --tree; "
                 "pool-list --all --details; vol-list store --details; start saved; "
                 "domstate saved --reason; list --all; resume paused; list"])


def test_list_inactive_and_running() -> None:
    assert_same([*URI, "list --inactive --state-running; list --inactive --state-paused --state-running"])


def test_dominfo_running() -> None:
    assert_same([*URI, "dominfo test; dominfo 1; dominfo 6695eb01-f6a4-8304-79aa-97f2502e193f"])


def test_metadata_attributes() -> None:
    assert_same([*URI, "define dom2.xml; metadata d2 http://example.org/ns --key ex --set '<t a=\"1\"/>'; "
                       "metadata d2 http://example.org/ns; dumpxml d2"])


def test_edit_through_editor(tmp_path: Path) -> None:
    """edit runs $EDITOR on the XML and redefines the domain from the result."""
    editor = tmp_path / "ed.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/<memory unit=.KiB.>1048576/<memory unit=\"KiB\">2097152/' \"$1\"\n")
    editor.chmod(0o755)
    unchanged = tmp_path / "true.sh"
    unchanged.write_text("#!/bin/sh\nexit 0\n")
    unchanged.chmod(0o755)
    assert_same([*URI, "define dom1.xml; edit d1; dumpxml d1 --inactive"], env={"EDITOR": str(editor)})
    assert_same([*URI, "define dom1.xml; edit d1"], env={"EDITOR": str(unchanged)})


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def test_desc_and_snapshot_edit(tmp_path: Path) -> None:
    """desc --edit, desc --title --edit and snapshot-edit through $EDITOR, changed or not."""
    text = _script(tmp_path, "text.sh", 'echo "new text" > "$1"')
    keep = _script(tmp_path, "keep.sh", "exit 0")
    sdesc = _script(tmp_path, "sdesc.sh",
                    'sed -i "s/<description>.*<.description>/<description>edited<\\/description>/" "$1"')
    for editor in (text, keep):
        assert_same([*URI, "define dom1.xml; desc d1 --edit; desc d1; desc d1 --title --edit; "
                           "desc d1 --title"],
                    env={"EDITOR": editor})
    assert_same([*URI, "define dom1.xml; metadata d1 http://x --key k --edit"], env={"EDITOR": keep})
    assert_same([*URI, "snapshot-create test snap1.xml; snapshot-edit test fromfile; "
                       "snapshot-dumpxml test fromfile --xpath //description; snapshot-edit test --current; "
                       "snapshot-list test --name"], env={"EDITOR": sdesc})
    assert_same([*URI, "snapshot-create test snap1.xml; snapshot-edit test --current"],
                env={"EDITOR": keep})


def test_edit_failure_without_terminal(tmp_path: Path) -> None:
    """Without a terminal virsh cannot ask to re-edit: it says "Failed." (virsh 9.0 then even
    claims success or crashes; pyvirsh reports the failure)."""
    from .harness import run_pyvirsh

    bad = _script(tmp_path, "bad.sh", 'echo garbage > "$1"')
    got = run_pyvirsh([*URI, "define dom1.xml; edit d1; snapshot-create-as test s1; "
                             "snapshot-edit test s1"], env={"EDITOR": bad})
    assert got.err == "error: Failed.\nerror: Failed.\n"
    assert got.rc == 1
    assert "edited" not in got.out


@pytest.mark.parametrize("level", ["0", "1", "2"])
@pytest.mark.parametrize("name", ["lifecycle", "save-verbose", "lookup", "list-formats"])
def test_debug_trace(name: str, level: str) -> None:
    """-d N: virsh's trace of parsed options, lookups and jobs on stdout."""
    assert_same(["-d", level, *URI, SCRIPTS[name]])
