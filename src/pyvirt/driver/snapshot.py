"""Driver interface for domain snapshots; every method defaults to VIR_ERR_NO_SUPPORT."""

from __future__ import annotations

from .unsupported import unsupported  # noqa: F401


class SnapshotDriver:
    """Methods for domain snapshots, named after libvirt's C API in snake_case."""
