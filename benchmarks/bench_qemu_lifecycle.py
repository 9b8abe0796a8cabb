"""QEMU domain lifecycle through pyvirt vs libvirt 9.0's ``qemu:///embed`` driver.

Measures, for the same tiny TCG guest (tests/guest/build.py) and the same qcow2 disk:
start-to-running (the create call returning with the guest running), destroy, and, on a booted
guest, internal snapshot create and revert. pyvirt runs in this process; libvirt runs in a
child process with libvirt-python, as an unprivileged user (as root, libvirt's embedded QEMU
driver insists on a ``libvirt-qemu`` user that does not exist here). One guest at a time.

Prints the median of each figure and the ratio pyvirt / libvirt (below 1: pyvirt faster).

    python3 benchmarks/bench_qemu_lifecycle.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from guest.build import READY_MARKER, ensure_guest  # noqa: E402

UNPRIVILEGED = (65534, 65534)  # nobody
SYSTEM_PYTHON = "/usr/bin/python3"  # readable by nobody, with Debian's python3-libvirt


def domain_xml(name: str, kernel: str, initrd: str, cmdline: str, disk: str, serial: str) -> str:
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{kernel}</kernel><initrd>{initrd}</initrd><cmdline>{cmdline}</cmdline></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk}'/><target dev='vda' bus='virtio'/></disk>
    <serial type='file'><source path='{serial}' append='on'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>"""


# the measuring loop, shared by both sides: ``api`` adapts the two libraries
LOOP = textwrap.dedent(
    """
    import time, json, os

    def wait_marker(path, marker, timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with open(path, errors="replace") as fh:
                    if marker in fh.read():
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise RuntimeError("guest never printed " + marker)

    def measure(api, rounds, serial, marker):
        out = {"start": [], "destroy": [], "snapshot_create": [], "snapshot_revert": []}
        for i in range(rounds):
            t = time.perf_counter(); api.start(); out["start"].append(time.perf_counter() - t)
            t = time.perf_counter(); api.destroy(); out["destroy"].append(time.perf_counter() - t)
        api.start()
        wait_marker(serial, marker)
        for i in range(rounds):
            name = "s%d" % i
            t = time.perf_counter(); api.snapshot(name); out["snapshot_create"].append(time.perf_counter() - t)
            t = time.perf_counter(); api.revert(name); out["snapshot_revert"].append(time.perf_counter() - t)
        api.destroy()
        return out
    """
)

LIBVIRT_SIDE = LOOP + textwrap.dedent(
    """
    import sys, threading, libvirt
    libvirt.virEventRegisterDefaultImpl()
    def _loop():
        while True:
            libvirt.virEventRunDefaultImpl()
    threading.Thread(target=_loop, daemon=True).start()
    cfg = json.loads(sys.stdin.read())
    conn = libvirt.open("qemu:///embed?root=" + cfg["root"])
    dom = conn.defineXML(cfg["xml"])

    class Api:
        def start(self): dom.create()
        def destroy(self): dom.destroy()
        def snapshot(self, name):
            dom.snapshotCreateXML("<domainsnapshot><name>%s</name></domainsnapshot>" % name, 0)
        def revert(self, name):
            dom.revertToSnapshot(dom.snapshotLookupByName(name, 0), 0)

    try:
        print(json.dumps(measure(Api(), cfg["rounds"], cfg["serial"], cfg["marker"])))
    finally:
        if dom.isActive():
            dom.destroy()
        conn.close()
    """
)


def run_pyvirt(cfg: dict) -> dict:
    from pyvirt.drivers.qemu import QemuDriver
    from pyvirt.uri import parse_uri

    namespace: dict = {}
    exec(LOOP, namespace)  # noqa: S102 - our own loop text, shared with the libvirt side
    drv = QemuDriver()
    drv.connect_open(parse_uri("qemu:///embed?root=" + cfg["root"]))
    ref = drv.domain_define_xml(cfg["xml"])

    class Api:
        def start(self) -> None:
            drv.domain_create(ref)

        def destroy(self) -> None:
            drv.domain_destroy(ref)

        def snapshot(self, name: str) -> None:
            drv.domain_snapshot_create_xml(ref, f"<domainsnapshot><name>{name}</name></domainsnapshot>")

        def revert(self, name: str) -> None:
            drv.domain_revert_to_snapshot(drv.domain_snapshot_lookup_by_name(ref, name))

    try:
        return namespace["measure"](Api(), cfg["rounds"], cfg["serial"], cfg["marker"])
    finally:
        if drv.domain_is_active(ref):
            drv.domain_destroy(ref)
        drv.connect_close()


def run_libvirt(cfg: dict, workdir: Path) -> dict | None:
    if not os.path.exists(SYSTEM_PYTHON):
        return None
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True)
    if probe.returncode != 0:
        print("libvirt side skipped: python3-libvirt missing for", SYSTEM_PYTHON)
        return None
    uid, gid = UNPRIVILEGED
    env = {"HOME": str(workdir), "XDG_RUNTIME_DIR": str(workdir), "PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    cmd = [SYSTEM_PYTHON, "-c", LIBVIRT_SIDE]
    if os.geteuid() == 0:
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *cmd]
    proc = subprocess.run(cmd, input=json.dumps(cfg), capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        print("libvirt side failed:", proc.stderr.strip()[-2000:])
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def prepare(workdir: Path, name: str, guest) -> dict:  # type: ignore[no-untyped-def]
    side = workdir / name
    side.mkdir()
    kernel, initrd = side / "vmlinux", side / "initrd.cpio"
    shutil.copy(guest.kernel, kernel)
    shutil.copy(guest.initrd, initrd)
    disk = side / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    serial = side / "serial.log"
    return {
        "root": str(side / "root"),
        "xml": domain_xml(f"bench-{name}", str(kernel), str(initrd), guest.cmdline, str(disk), str(serial)),
        "serial": str(serial),
        "marker": READY_MARKER,
    }


def _pool(into: dict, sample: dict) -> dict:
    for key, values in sample.items():
        into.setdefault(key, []).extend(values)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2, help="runs per side, alternating the order")
    parser.add_argument("--verbose", action="store_true", help="print every sample")
    args = parser.parse_args()
    guest = ensure_guest()
    pyvirt: dict = {}
    libvirt: dict | None = {}
    # the sides alternate (pyvirt, libvirt, libvirt, pyvirt, ...) so that neither always runs
    # on a disk still busy writing back the other's snapshots
    for rep in range(args.repeat):
        order = ("pyvirt", "libvirt") if rep % 2 == 0 else ("libvirt", "pyvirt")
        for side in order:
            workdir = Path(tempfile.mkdtemp(prefix="pvbench-", dir="/tmp"))
            os.chmod(workdir, 0o777)
            try:
                cfg = prepare(workdir, side, guest)
                cfg["rounds"] = args.rounds
                if side == "pyvirt":
                    _pool(pyvirt, run_pyvirt(cfg))
                elif libvirt is not None:
                    if os.geteuid() == 0:
                        for path in [workdir / side, *(workdir / side).rglob("*")]:
                            os.chown(path, *UNPRIVILEGED)
                    result = run_libvirt(cfg, workdir / side)
                    libvirt = None if result is None else _pool(libvirt, result)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
    if args.verbose:
        print("pyvirt ", json.dumps(pyvirt))
        print("libvirt", json.dumps(libvirt))
    print(f"QEMU lifecycle, TCG guest with 128 MiB, median of {args.rounds} x {args.repeat} rounds (seconds)")
    print(f"{'operation':<18}{'pyvirt':>10}{'libvirt':>10}{'ratio':>8}")
    for key in ("start", "destroy", "snapshot_create", "snapshot_revert"):
        mine = statistics.median(pyvirt[key])
        theirs = statistics.median(libvirt[key]) if libvirt else float("nan")
        ratio = mine / theirs if libvirt else float("nan")
        print(f"{key:<18}{mine:>10.3f}{theirs:>10.3f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
