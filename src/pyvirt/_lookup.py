"""The one rule for "look up by name or UUID" that every object family's public API shares."""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def by_name_or_uuid(key: str | bytes, by_name: Callable[[str], T], by_uuid: Callable[[str | bytes], T]) -> T:
    """Bytes are a raw UUID; text that parses as a UUID is tried as one first (an object may be
    *named* like a UUID), anything else is a name."""
    if isinstance(key, bytes):
        return by_uuid(key)
    try:
        _uuid.UUID(key)
    except ValueError:
        return by_name(key)
    from .errors import VirtError

    try:
        return by_uuid(key)
    except VirtError:
        return by_name(key)
