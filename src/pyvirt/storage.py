"""Public API for storage pools and volumes: the ``StoragePool`` object and the methods ``Connection`` gains for them."""

from __future__ import annotations


class StorageAPI:
    """Methods mixed into ``Connection`` for storage pools and volumes."""
