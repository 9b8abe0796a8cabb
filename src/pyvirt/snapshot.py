"""Public API for domain snapshots: the ``DomainSnapshot`` object and the methods ``Domain`` gains for them."""

from __future__ import annotations


class DomainSnapshotAPI:
    """Methods mixed into ``Domain`` for domain snapshots."""
