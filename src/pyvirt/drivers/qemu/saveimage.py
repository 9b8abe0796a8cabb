"""libvirt's QEMU save image format, so images move between pyvirt and libvirt.

A header (magic, version, XML length, was-running, compression, cookie offset, 14 unused words,
native byte order) then the domain XML, NUL-padded so QEMU's migration stream starts on a page
boundary. The image is first written with a *partial* magic, replaced only once the stream is
complete, so a save cut short can never be restored.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from ...conf import DomainDef
from ...errors import ErrorNumber
from .errors import qemu_error

__all__ = [
    "SAVE_MAGIC", "SAVE_PARTIAL", "SAVE_VERSION", "SAVE_HEADER", "SAVE_ALIGN",
    "write_save_header", "finish_save_image", "read_save_header",
]

#: libvirt's QEMU save image header (qemu_saveimage.h), so images move between the two:
#: magic, version, data_len, was_running, compressed, cookieOffset, 14 unused words, native order
SAVE_MAGIC = b"LibvirtQemudSave"
SAVE_PARTIAL = b"LibvirtQemudPart"  # written first, replaced once the stream is complete
SAVE_VERSION = 2
SAVE_HEADER = struct.Struct("=16sIIIII14I")
SAVE_ALIGN = 4096


def write_save_header(path: Path, definition: DomainDef, running: bool) -> int:
    """Header and XML, marked partial; returns where QEMU's migration stream starts."""
    xml = definition.to_xml(secure=True).encode() + b"\0"
    size = SAVE_HEADER.size + len(xml)
    data_len = len(xml) + (-size) % SAVE_ALIGN  # the stream starts page-aligned
    header = SAVE_HEADER.pack(SAVE_PARTIAL, SAVE_VERSION, data_len, 1 if running else 0, 0, 0, *([0] * 14))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, header + xml.ljust(data_len, b"\0"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return SAVE_HEADER.size + data_len


def finish_save_image(path: Path) -> None:
    """The stream is complete: only now does the image carry the real magic."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.fsync(fd)
        os.pwrite(fd, SAVE_MAGIC, 0)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_save_header(path: Path) -> tuple[DomainDef, bool, int]:
    """(definition, was running, offset of the migration stream) of a save image."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SAVE_HEADER.size)
            if len(head) != SAVE_HEADER.size:
                raise qemu_error(ErrorNumber.OPERATION_FAILED, "failed to read qemu header")
            magic, version, data_len, running, compressed, cookie, *_unused = SAVE_HEADER.unpack(head)
            if magic == SAVE_PARTIAL:
                raise qemu_error(ErrorNumber.OPERATION_FAILED, "save image is incomplete")
            if magic != SAVE_MAGIC:
                raise qemu_error(ErrorNumber.OPERATION_FAILED, "image magic is incorrect")
            if version > SAVE_VERSION:
                raise qemu_error(ErrorNumber.OPERATION_FAILED,
                           f"image version is not supported ({version} > {SAVE_VERSION})")
            if compressed:
                raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, "compressed save images are not supported")
            data = fh.read(data_len)
    except OSError as exc:
        raise qemu_error(ErrorNumber.SYSTEM_ERROR, f"Failed to open domain image file '{path}': {exc.strerror}") from None
    if len(data) != data_len:
        raise qemu_error(ErrorNumber.OPERATION_FAILED, "failed to read domain XML")
    xml = data[: cookie or len(data)].split(b"\0", 1)[0]
    return DomainDef.from_xml(xml), bool(running), SAVE_HEADER.size + data_len
