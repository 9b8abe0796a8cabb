"""Build (once, then cache) the tiny real guest the QEMU driver's tests boot.

Why a real guest: the driver's lifecycle (ACPI shutdown, pause, snapshots, save/restore) can only
be proven against a kernel that reacts to it. This one boots to userspace in a few seconds under
TCG and tells the host what it is doing on its serial console.

Stable API (used by the QEMU driver's tests):

* ``ensure_guest() -> GuestImage(kernel, initrd, cmdline)``: build or reuse the cached image.
  Boot it with ``-kernel <kernel> -initrd <initrd> -append <cmdline>`` (the kernel is an ELF
  ``vmlinux`` with a PVH entry note, so QEMU boots it directly, skipping the real-mode decompressor).
* ``READY_MARKER``: printed on ttyS0 once acpid is listening (the power button works from then on).
* ``TICK_PREFIX``: ``"PYVIRT-TICK <n>"`` is printed every second after the marker, n = 1, 2, ...
* ``POWEROFF_MARKER``: printed when the power button was seen, just before ``poweroff -f``.

Ingredients, all from installed Debian packages: ``/boot/vmlinuz-<ver>`` (linux-image-amd64), the
``button`` and ``evdev`` modules of the same kernel, and ``/bin/busybox`` (busybox-static). The cache
is ``$PYVIRT_GUEST_CACHE`` or ``~/.cache/pyvirt-guest``, keyed by the kernel package version and
this builder's version, and filled atomically under a lock (several test processes may race).

Run ``python3 tests/guest/build.py`` to build and print the paths.
"""

from __future__ import annotations

import fcntl
import gzip
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

READY_MARKER = "PYVIRT-GUEST-READY"
TICK_PREFIX = "PYVIRT-TICK"
POWEROFF_MARKER = "PYVIRT-GUEST-POWEROFF"

#: Bump when the initramfs contents or the cmdline change, so stale caches are not reused.
BUILDER_VERSION = 2

#: quiet: every console byte costs time under TCG; panic=-1: a dying init reboots (-no-reboot
#: then makes QEMU exit) instead of hanging forever.
CMDLINE = "console=ttyS0 quiet panic=-1 8250.nr_uarts=1"

GUEST_MODULES = ("button", "evdev")

_XZ_MAGIC = b"\xfd7zXZ\x00"
_XEN_ELFNOTE_PHYS32_ENTRY = 18


class GuestBuildError(RuntimeError):
    """The host lacks something the guest is built from (the tests skip with this reason)."""


@dataclass(frozen=True)
class GuestImage:
    kernel: Path
    initrd: Path
    cmdline: str


def cache_root() -> Path:
    env = os.environ.get("PYVIRT_GUEST_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "pyvirt-guest"


def _version_key(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def find_kernel() -> tuple[Path, str]:
    """The newest ``/boot/vmlinuz-<ver>`` and its ``<ver>`` (the modules directory name)."""
    kernels = sorted(Path("/boot").glob("vmlinuz-*"), key=lambda p: _version_key(p.name))
    if not kernels:
        raise GuestBuildError("no /boot/vmlinuz-* (install linux-image-amd64)")
    path = kernels[-1]
    return path, path.name[len("vmlinuz-"):]


def package_version(kver: str, kernel: Path) -> str:
    """The Debian package version of the kernel, falling back to size+mtime without dpkg."""
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", f"linux-image-{kver}"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.SubprocessError):
        pass
    st = kernel.stat()
    return f"{st.st_size}-{int(st.st_mtime)}"


# --- kernel: bzImage -> vmlinux ---------------------------------------------------------------

def extract_vmlinux(bzimage: bytes) -> bytes:
    """Find the xz payload of a bzImage and return the ELF kernel inside it."""
    start = bzimage.find(_XZ_MAGIC)
    while start != -1:
        try:
            data = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(bzimage[start:])
        except lzma.LZMAError:
            data = b""
        if data[:4] == b"\x7fELF":
            return data
        start = bzimage.find(_XZ_MAGIC, start + 1)
    raise GuestBuildError("no xz-compressed ELF kernel found in the bzImage")


def has_pvh_note(elf: bytes) -> bool:
    """True when the ELF has the Xen PHYS32_ENTRY note QEMU's PVH loader looks for."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:  # ELFCLASS64 only
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _flags, p_offset, _va, _pa, p_filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == _XEN_ELFNOTE_PHYS32_ENTRY:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


# --- modules ------------------------------------------------------------------------------

def _kernel_config(kver: str) -> dict[str, str]:
    path = Path(f"/boot/config-{kver}")
    conf: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("CONFIG_") and "=" in line:
                key, value = line.split("=", 1)
                conf[key] = value
    return conf


_CONFIG_OF = {"button": "CONFIG_ACPI_BUTTON", "evdev": "CONFIG_INPUT_EVDEV"}


def module_load_order(kver: str, names: Iterable[str]) -> list[str]:
    """Paths (relative to /lib/modules/<kver>) to insmod, dependencies first.

    Modules built into the kernel (``=y`` in its config) are skipped.
    """
    moddir = Path("/lib/modules") / kver
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    dep_file = moddir / "modules.dep"
    if not dep_file.exists():
        raise GuestBuildError(f"{dep_file} is missing")
    for line in dep_file.read_text().splitlines():
        if ":" not in line:
            continue
        mod, rest = line.split(":", 1)
        deps[mod] = rest.split()
        base = Path(mod).name.split(".ko")[0].replace("-", "_")
        by_name[base] = mod
    conf = _kernel_config(kver)
    order: list[str] = []

    def visit(mod: str) -> None:
        if mod in order:
            return
        for dep in deps.get(mod, []):
            visit(dep)
        order.append(mod)

    for name in names:
        if conf.get(_CONFIG_OF.get(name, ""), "") == "y":
            continue
        mod = by_name.get(name.replace("-", "_"))
        if mod is None:
            raise GuestBuildError(f"kernel module {name} not found for {kver}")
        visit(mod)
    return order


def read_module(path: Path) -> bytes:
    """A module's ELF bytes, decompressing .ko.xz / .ko.gz (busybox insmod wants plain ELF)."""
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".zst"):
        raise GuestBuildError(f"{path}: zstd-compressed modules are not supported")
    return data


# --- initramfs (cpio "newc") -----------------------------------------------------------------

class CpioWriter:
    """Writes a cpio newc archive, the format the kernel unpacks into its initramfs."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0),
               nlink: int = 1) -> None:
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(encoded), 0)
        self._ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._parts.append(header + encoded + b"\0" * (-(len(header) + len(encoded)) % 4))
        self._parts.append(data + b"\0" * (-len(data) % 4))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0, nlink=1)
        blob = b"".join(self._parts)
        return blob + b"\0" * (-len(blob) % 512)


INIT_SCRIPT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in @MODULES@; do insmod "$m" || echo "PYVIRT-GUEST-ERROR insmod $m"; done
# acpid scans /dev/input/event* once, at start: wait for the nodes the modules create.
i=0
while [ ! -e /dev/input/event0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
acpid -f -c /etc/acpi -l /tmp/acpid.log &
pid=$!
# "listening" means acpid holds an input device open: check its descriptors.
i=0
while [ $i -lt 200 ]; do
    for f in /proc/$pid/fd/*; do
        case "$(readlink "$f")" in /dev/input/event*) i=1000;; esac
    done
    [ $i -ge 1000 ] && break
    sleep 0.05
    i=$((i+1))
done
[ $i -ge 1000 ] || echo "PYVIRT-GUEST-WARNING acpid is not listening: the power button will not work"
echo @READY@
n=0
while true; do
    n=$((n+1))
    echo "@TICK@ $n"
    sleep 1
done
"""

# busybox acpid's built-in table maps KEY_POWER to the action "PWRF/00000080", a script path
# under its conf dir (no map file needed).
POWEROFF_SCRIPT = """#!/bin/sh
echo @POWEROFF@ >/dev/console
poweroff -f
"""


def build_initramfs(kver: str, busybox: Path = Path("/bin/busybox")) -> bytes:
    if not busybox.exists():
        raise GuestBuildError(f"{busybox} is missing (install busybox-static)")
    moddir = Path("/lib/modules") / kver
    modules = module_load_order(kver, GUEST_MODULES)
    cpio = CpioWriter()
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "etc/acpi", "etc/acpi/PWRF",
              "lib", "lib/modules"):
        cpio.directory(d)
    cpio.chardev("dev/console", 5, 1)
    cpio.chardev("dev/null", 1, 3, 0o666)
    cpio.file("bin/busybox", busybox.read_bytes(), 0o755)
    cpio.symlink("bin/sh", "busybox")
    insmod_paths = []
    for i, mod in enumerate(modules):
        target = f"lib/modules/{i:02d}-{Path(mod).name.split('.ko')[0]}.ko"
        cpio.file(target, read_module(moddir / mod))
        insmod_paths.append("/" + target)
    init = (INIT_SCRIPT.replace("@MODULES@", " ".join(insmod_paths))
            .replace("@READY@", READY_MARKER).replace("@TICK@", TICK_PREFIX))
    cpio.file("init", init.encode(), 0o755)
    cpio.file("etc/acpi/PWRF/00000080", POWEROFF_SCRIPT.replace("@POWEROFF@", POWEROFF_MARKER)
              .encode(), 0o755)
    return cpio.finish()


# --- cache --------------------------------------------------------------------------------

def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def ensure_guest(root: Path | None = None) -> GuestImage:
    """Return the cached guest image, building it first if needed (a few seconds)."""
    root = root or cache_root()
    bzimage, kver = find_kernel()
    key = f"{kver}_{package_version(kver, bzimage)}_v{BUILDER_VERSION}"
    key = re.sub(r"[^A-Za-z0-9._+-]", "_", key)
    final = root / key
    image = GuestImage(final / "vmlinux", final / "initrd.cpio", CMDLINE)
    if image.kernel.exists() and image.initrd.exists():
        return image
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if image.kernel.exists() and image.initrd.exists():
            return image
        vmlinux = extract_vmlinux(bzimage.read_bytes())
        if not has_pvh_note(vmlinux):
            raise GuestBuildError(f"{bzimage}: kernel has no PVH entry note (CONFIG_PVH)")
        initrd = build_initramfs(kver)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        try:
            os.chmod(tmp, 0o755)
            _write(tmp / "vmlinux", vmlinux)
            _write(tmp / "initrd.cpio", initrd)
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return image


if __name__ == "__main__":
    img = ensure_guest()
    print(f"kernel  {img.kernel}\ninitrd  {img.initrd}\ncmdline {img.cmdline}")
