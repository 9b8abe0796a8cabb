"""pyvirt's exceptions: one class per libvirt error number, all built from one table.

Every failure in pyvirt is a :class:`VirtError` carrying libvirt's ``code``, ``domain`` and the
message libvirt would print, so a caller can catch by family (``except NoDomainError``), a
remote client receives the same code a local one would, and the shell prints the same text.

Raise with :func:`virt_error`, which picks the subclass for the code and formats the message
the way libvirt's ``virReportError`` does (template without detail, or ``template % detail``)::

    raise virt_error(ErrorNumber.NO_DOMAIN, "no domain with matching name 'x'")
"""

from __future__ import annotations

from .errortable import DOMAIN_NAMES, MESSAGES, ErrorDomain, ErrorLevel, ErrorNumber

__all__ = [
    "VirtError",
    "ErrorNumber",
    "ErrorDomain",
    "ErrorLevel",
    "virt_error",
    "error_class",
    "format_message",
]


class VirtError(Exception):
    """Base of every pyvirt error; mirrors libvirt's ``virError``.

    ``code`` is an :class:`ErrorNumber`, ``domain`` an :class:`ErrorDomain`, ``message`` the
    full text (template plus detail) and ``detail`` the part the raiser supplied.
    """

    code: ErrorNumber = ErrorNumber.INTERNAL_ERROR

    def __init__(
        self,
        message: str | None = None,
        *,
        code: int | None = None,
        domain: int = ErrorDomain.NONE,
        detail: str | None = None,
        level: int = ErrorLevel.ERROR,
    ) -> None:
        if code is not None:
            self.code = ErrorNumber(code)
        if message is None:
            message = format_message(self.code, detail)
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.domain = ErrorDomain(domain)
        self.level = ErrorLevel(level)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code.name}, domain={self.domain.name}, message={self.message!r})"

    # libvirt-python compatible accessors
    def get_error_code(self) -> int:
        return int(self.code)

    def get_error_domain(self) -> int:
        return int(self.domain)

    def get_error_message(self) -> str:
        return self.message

    def get_error_level(self) -> int:
        return int(self.level)

    @property
    def domain_name(self) -> str:
        """libvirt's human-readable name for the error domain (e.g. ``'Domain Config'``)."""
        index = int(self.domain)
        return DOMAIN_NAMES[index] if index < len(DOMAIN_NAMES) else "Unknown"


def format_message(code: int, detail: str | None = None) -> str:
    """The text libvirt prints for ``code``: the bare template, or the template with ``detail``."""
    plain, with_detail = MESSAGES.get(ErrorNumber(code), ("unknown error", "%s"))
    if detail is None or detail == "":
        return plain
    return with_detail.replace("%s", detail, 1)


def _class_name(number: ErrorNumber) -> str:
    words = number.name.split("_")
    if words[0] == "WAR":
        words = words[1:] + ["warning"]
    elif words[-1] == "ERROR":
        words = words[:-1] + ["error"]
    else:
        words = words + ["error"]
    return "".join(w.capitalize() for w in words).replace("Error", "Error")


_CLASSES: dict[ErrorNumber, type[VirtError]] = {}
for _number in ErrorNumber:
    if _number is ErrorNumber.OK:
        continue
    _name = _class_name(_number)
    _cls = type(_name, (VirtError,), {"code": _number, "__doc__": MESSAGES.get(_number, ("",))[0]})
    _cls.__module__ = __name__
    _CLASSES[_number] = _cls
    globals()[_name] = _cls
    __all__.append(_name)
del _number, _name, _cls


def error_class(code: int) -> type[VirtError]:
    """The exception class for a libvirt error number (``NoDomainError`` for 42, ...)."""
    return _CLASSES.get(ErrorNumber(code), VirtError)


def virt_error(
    code: int,
    detail: str | None = None,
    *,
    domain: int = ErrorDomain.NONE,
    message: str | None = None,
) -> VirtError:
    """Build the exception libvirt would report for ``code`` with ``detail``."""
    return error_class(code)(message, domain=domain, detail=detail)
