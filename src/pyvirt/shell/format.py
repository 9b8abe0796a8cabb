"""virsh's output layouts: tables (``list``, ``net-list`` ...) and size pretty-printing.

A table is one line per row, each cell preceded by a space, every column but the last padded
to its widest cell plus two spaces; with a header, a line of dashes as wide as every column's
width plus three follows it.  Under ``-q`` the header and dashes are left out.
"""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (wide East-Asian characters count twice)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def safe_cell(text: str) -> str:
    """Escape control characters the way virsh's table does (``\\xNN``)."""
    if all(ch.isprintable() for ch in text):
        return text
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def table(header: list[str], rows: list[list[str]], *, show_header: bool = True) -> str:
    """Render rows under header in virsh's column layout."""
    cells = [[safe_cell(c) for c in row] for row in rows]
    head = [safe_cell(c) for c in header]
    widths = [display_width(h) if show_header else 0 for h in head]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    lines: list[str] = []

    def render(row: list[str]) -> str:
        parts = []
        last = len(row) - 1
        for i, cell in enumerate(row):
            parts.append(" " + cell)
            if i < last:
                parts.append(" " * (widths[i] - display_width(cell) + 2))
        return "".join(parts) + "\n"

    if show_header:
        lines.append(render(head))
        lines.append("-" * sum(w + 3 for w in widths) + "\n")
    if not cells:
        return "".join(lines)
    for row in cells:
        lines.append(render(row))
    return "".join(lines)


def pretty_capacity(value: int) -> tuple[float, str]:
    """A byte count scaled to the largest binary unit below it, as virsh prints sizes."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    limit = 1024
    for unit in units:
        if value < limit:
            return (value / (limit / 1024) if unit != "B" else float(value)), unit
        limit *= 1024
    return value / (limit / 1024), "EiB"


def capacity(value: int) -> str:
    """``100.00 GiB`` style text."""
    number, unit = pretty_capacity(value)
    return f"{number:.2f} {unit}"
