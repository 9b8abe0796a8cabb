"""Where the QEMU driver keeps its files, per connection URI.

Three URIs, as libvirt has them:

* ``qemu:///system``  -- pyvirt's system directories (``/etc/pyvirt/qemu``, ``/run/pyvirt/qemu``,
  ``/var/log/pyvirt/qemu``, ``/var/lib/pyvirt/qemu``).
* ``qemu:///session`` -- the calling user's XDG directories.
* ``qemu:///embed?root=DIR`` -- everything under DIR (``DIR/etc/qemu``, ``DIR/run/qemu``,
  ``DIR/log/qemu``, ``DIR/lib/qemu``): the driver runs inside the calling process, which is
  what tests and single-process programs open.

The layout under each root is the one in DESIGN.md: ``etc/qemu/<name>.xml`` persistent configs,
``etc/qemu/snapshot/<name>/<snap>.xml`` snapshot metadata, ``run/qemu/<name>.xml`` status,
``run/qemu/<name>.monitor`` QMP socket, ``log/qemu/<name>.log`` QEMU's output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ...errors import ErrorDomain, ErrorNumber, virt_error
from ...uri import URI

__all__ = ["QemuPaths", "paths_for_uri"]

#: sun_path holds 108 bytes including the terminating NUL
_MAX_SOCKET_PATH = 107


def _qemu_error(code: int, detail: str) -> Exception:
    return virt_error(code, detail, domain=ErrorDomain.QEMU)


@dataclass(frozen=True)
class QemuPaths:
    """The directories of one driver instance; ``for_*`` give per-domain file names."""

    kind: str  # "system", "session" or "embed"
    config_dir: Path
    run_dir: Path
    log_dir: Path
    lib_dir: Path
    root: Path | None = None  # the embed root

    @property
    def snapshot_dir(self) -> Path:
        return self.config_dir / "snapshot"

    @property
    def save_dir(self) -> Path:
        """Managed-save images (libvirt: <lib>/qemu/save/<name>.save)."""
        return self.lib_dir / "save"

    def config(self, name: str) -> Path:
        return self.config_dir / f"{name}.xml"

    def autostart(self, name: str) -> Path:
        return self.config_dir / "autostart" / f"{name}.xml"

    def status(self, name: str) -> Path:
        return self.run_dir / f"{name}.xml"

    def monitor(self, name: str) -> Path:
        return self.run_dir / f"{name}.monitor"

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def domain_run_dir(self, name: str) -> Path:
        """Per-domain directory for sockets QEMU creates (channels, consoles)."""
        return self.run_dir / f"domain-{name}"

    def snapshots(self, name: str) -> Path:
        return self.snapshot_dir / name

    def snapshot(self, name: str, snap: str) -> Path:
        return self.snapshots(name) / f"{snap}.xml"

    def managed_save(self, name: str) -> Path:
        return self.save_dir / f"{name}.save"

    def ensure(self) -> None:
        """Create the directories (private to the owner: they hold sockets and images)."""
        for path in (self.config_dir, self.snapshot_dir, self.run_dir, self.log_dir, self.save_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)

    def check_socket_path(self, path: Path) -> None:
        if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
            raise _qemu_error(
                ErrorNumber.INTERNAL_ERROR,
                f"UNIX socket path '{path}' too long (limit {_MAX_SOCKET_PATH} bytes); use a shorter root",
            )


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value and os.path.isabs(value) else Path.home() / default


def paths_for_uri(uri: URI) -> QemuPaths:
    """The layout a ``qemu://`` URI asks for, or libvirt's error for a path it does not know."""
    path = uri.path.rstrip("/") or "/"
    if path == "/system":
        return QemuPaths(
            kind="system",
            config_dir=Path("/etc/pyvirt/qemu"),
            run_dir=Path("/run/pyvirt/qemu"),
            log_dir=Path("/var/log/pyvirt/qemu"),
            lib_dir=Path("/var/lib/pyvirt/qemu"),
        )
    if path == "/session":
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        run_base = Path(runtime) if runtime and os.path.isabs(runtime) else _xdg("XDG_CACHE_HOME", ".cache")
        cache = _xdg("XDG_CACHE_HOME", ".cache")
        return QemuPaths(
            kind="session",
            config_dir=_xdg("XDG_CONFIG_HOME", ".config") / "pyvirt" / "qemu",
            run_dir=run_base / "pyvirt" / "qemu" / "run",
            log_dir=cache / "pyvirt" / "qemu" / "log",
            lib_dir=_xdg("XDG_DATA_HOME", ".local/share") / "pyvirt" / "qemu",
        )
    if path == "/embed":
        root = uri.param("root")
        if not root:
            raise _qemu_error(ErrorNumber.INVALID_ARG, "root parameter is required for embedded driver")
        if not os.path.isabs(root):
            raise _qemu_error(ErrorNumber.INVALID_ARG, f"root path must be absolute, not '{root}'")
        base = Path(root)
        return QemuPaths(
            kind="embed",
            config_dir=base / "etc" / "qemu",
            run_dir=base / "run" / "qemu",
            log_dir=base / "log" / "qemu",
            lib_dir=base / "lib" / "qemu",
            root=base,
        )
    raise _qemu_error(
        ErrorNumber.INTERNAL_ERROR, f"unexpected QEMU URI path '{uri.path}', try qemu:///system"
    )
