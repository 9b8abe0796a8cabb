"""The public ``Domain`` object (libvirt's virDomain)."""

from __future__ import annotations

from .snapshot import DomainSnapshotAPI


class Domain(DomainSnapshotAPI):
    """A domain seen through a connection; holds only its identity (DomainRef)."""
