"""Domain management and monitoring commands (virsh's 'domain' and 'monitor' groups)."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..editor import _EDIT_FAILED, edit_retry, edit_text
from ..format import table
from ..options import ParsedCommand
from ..util import int_option, lib_message, lookup_domain, opt_string, parse_scaled, read_file
from ..xmlout import print_xml
from . import command

STATE_NAMES = {
    0: "no state", 1: "running", 2: "idle", 3: "paused",
    4: "in shutdown", 5: "shut off", 6: "crashed", 7: "pmsuspended",
}

REASONS = {
    0: ["unknown"],
    1: ["unknown", "booted", "migrated", "restored", "from snapshot", "unpaused",
        "migration canceled", "save canceled", "event wakeup", "crashed", "post-copy",
        "post-copy failed"],
    2: ["unknown"],
    3: ["unknown", "user", "migrating", "saving", "dumping", "I/O error", "watchdog",
        "from snapshot", "shutting down", "creating snapshot", "crashed", "starting up",
        "post-copy", "post-copy failed", "api error"],
    4: ["unknown", "user"],
    5: ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
        "from snapshot", "daemon"],
    6: ["unknown", "panicked"],
    7: ["unknown"],
}


def state_name(state: int) -> str:
    return STATE_NAMES.get(int(state), "no state")


def reason_name(state: int, reason: int) -> str:
    names = REASONS.get(int(state), ["unknown"])
    reason = int(reason)
    return names[reason] if 0 <= reason < len(names) else "unknown"


def _fail(message: str, exc: BaseException) -> CommandError:
    return CommandError(message, lib_message(exc))


# -- list ----------------------------------------------------------------------------------


@command("list")
def cmd_list(ctl: Control, cmd: ParsedCommand) -> bool:
    f = cmd.flag
    if f("table") and f("name"):
        raise CommandError("Options --table and --name are mutually exclusive")
    if f("table") and f("uuid"):
        raise CommandError("Options --table and --uuid are mutually exclusive")
    if f("table") and f("id"):
        raise CommandError("Options --table and --id are mutually exclusive")
    active: bool | None = True
    if f("inactive"):
        active = False
    if f("all"):
        active = None
    states = [s for s in ("running", "paused", "shutoff", "other") if f(f"state-{s}")]
    if states and not f("inactive"):
        active = None
    if f("state-shutoff"):
        active = False  # virsh 9.0 narrows to inactive domains whenever shut-off ones are asked for
    kwargs: dict = {}
    for yes, no, key in (
        ("persistent", "transient", "persistent"),
        ("with-managed-save", "without-managed-save", "managed_save"),
        ("autostart", "no-autostart", "autostart"),
        ("with-snapshot", "without-snapshot", "has_snapshot"),
        ("with-checkpoint", "without-checkpoint", "has_checkpoint"),
    ):
        if f(yes) != f(no):
            kwargs[key] = f(yes)
    try:
        doms = ctl.conn.list_domains(active=active, state=states or None, **kwargs)
    except VirtError as exc:
        raise _fail("Failed to list domains", exc) from None
    doms = _sorted(doms)
    if f("name") or f("uuid") or f("id"):
        lines = []
        for dom in doms:
            parts = []
            if f("uuid"):
                parts.append(dom.uuid)
            if f("id"):
                parts.append(str(dom.id) if dom.id >= 0 else "-")
            if f("name"):
                parts.append(dom.name)
            lines.append(" ".join(parts))
        ctl.print("".join(line + "\n" for line in lines))
        return True
    header = ["Id", "Name", "State"] + (["Title"] if f("title") else [])
    body = []
    for dom in doms:
        state, _ = dom.state()
        text = state_name(state)
        if f("managed-save") and int(state) == 5:
            try:
                if dom.has_managed_save:
                    text = "saved"
            except VirtError:
                pass
        row = [str(dom.id) if dom.id >= 0 else "-", dom.name, text]
        if f("title"):
            row.append(_title(dom))
        body.append(row)
    ctl.print(table(header, body, show_header=not ctl.quiet))
    return True


def _title(dom) -> str:
    try:
        return dom.title or ""
    except VirtError:
        return ""


def _sorted(doms):
    active = sorted((d for d in doms if d.id >= 0), key=lambda d: d.id)
    inactive = sorted((d for d in doms if d.id < 0), key=lambda d: d.name.lower())
    return active + inactive


# -- information ----------------------------------------------------------------------------


@command("dominfo")
def cmd_dominfo(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    out = []

    def kv(key: str, value: object) -> None:
        out.append(f"{key:<15} {value}\n")

    kv("Id:", dom.id if dom.id >= 0 else "-")
    kv("Name:", dom.name)
    kv("UUID:", dom.uuid)
    try:
        kv("OS Type:", dom.os_type)
    except VirtError:
        pass
    ok = True
    try:
        info = dom.info()
    except VirtError:
        info = None
        ok = False
    if info is not None:
        kv("State:", state_name(info.state))
        kv("CPU(s):", info.vcpus)
        if info.cpu_time:
            kv("CPU time:", f"{info.cpu_time / 1e9:.1f}s")
        kv("Max memory:", "no limit" if info.max_memory == (1 << 64) - 1 else f"{info.max_memory} KiB")
        kv("Used memory:", f"{info.memory} KiB")
    ctl.print("".join(out))
    out.clear()
    try:
        persistent = dom.is_persistent()
        ctl.debug_log(0, f"Domain persistent flag value: {int(persistent)}\n")
        kv("Persistent:", "yes" if persistent else "no")
    except VirtError:
        kv("Persistent:", "unknown")
    try:
        kv("Autostart:", "enable" if dom.autostart else "disable")
    except VirtError:
        pass
    try:
        kv("Managed save:", "yes" if dom.has_managed_save else "no")
    except VirtError:
        kv("Managed save:", "unknown")
    model, doi = _security_model(ctl)
    if model:
        kv("Security model:", model)
        kv("Security DOI:", doi)
        label = getattr(dom, "security_label", None)
        if dom.id >= 0 and callable(label):
            try:
                text, enforcing = label()
                if text:
                    kv("Security label:", f"{text} ({'enforcing' if enforcing else 'permissive'})")
            except VirtError:
                pass
    ctl.print("".join(out))
    return ok


def _security_model(ctl: Control) -> tuple[str, str]:
    """The host's primary security model and DOI (what virNodeGetSecurityModel reports)."""
    getter = getattr(ctl.conn, "security_model", None)
    if callable(getter):
        try:
            result = getter()
            return result[0], result[1]
        except VirtError:
            return "", ""
    try:
        from lxml import etree

        root = etree.fromstring(ctl.conn.capabilities().encode())
    except Exception:  # noqa: BLE001 - no model is not an error for dominfo
        return "", ""
    sec = root.find("host/secmodel")
    if sec is None:
        return "", ""
    return sec.findtext("model") or "", sec.findtext("doi") or ""


@command("domstate")
def cmd_domstate(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    state, reason = dom.state()
    if cmd.flag("reason"):
        ctl.print(f"{state_name(state)} ({reason_name(state, reason)})\n")
    else:
        ctl.print(f"{state_name(state)}\n")
    return True


@command("domid")
def cmd_domid(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd, by_id=False)
    ctl.print(f"{dom.id}\n" if dom.id >= 0 else "-\n")
    return True


@command("domuuid")
def cmd_domuuid(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    ctl.print(f"{dom.uuid}\n")
    return True


@command("domname")
def cmd_domname(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd, by_name=False)
    ctl.print(f"{dom.name}\n")
    return True


@command("dumpxml")
def cmd_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    from pyvirt.enums import DomainXMLFlags as X

    extra = (int(X.UPDATE_CPU) if cmd.flag("update-cpu") else 0) | (
        int(X.MIGRATABLE) if cmd.flag("migratable") else 0)
    xml = dom.xml(inactive=cmd.flag("inactive"), secure=cmd.flag("security-info"), flags=extra)
    return print_xml(ctl, cmd, xml)


# -- define / create / undefine ---------------------------------------------------------------


@command("define")
def cmd_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        dom = ctl.conn.define_domain(xml, validate=cmd.flag("validate"))
    except VirtError as exc:
        raise _fail(f"Failed to define domain from {path}", exc) from None
    ctl.print_extra(f"Domain '{dom.name}' defined from {path}\n")
    return True


@command("create")
def cmd_create(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        dom = ctl.conn.create_domain(xml, paused=cmd.flag("paused"), validate=cmd.flag("validate"))
    except VirtError as exc:
        raise _fail(f"Failed to create domain from {path}", exc) from None
    ctl.print_extra(f"Domain '{dom.name}' created from {path}\n")
    return True


@command("undefine")
def cmd_undefine(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    name = dom.name
    if cmd.flag("nvram") and cmd.flag("keep-nvram"):
        raise CommandError("Options --nvram and --keep-nvram are mutually exclusive")
    try:
        dom.undefine(
            managed_save=cmd.flag("managed-save"),
            snapshots_metadata=cmd.flag("snapshots-metadata"),
            nvram=cmd.flag("nvram"),
            keep_nvram=cmd.flag("keep-nvram"),
            checkpoints_metadata=cmd.flag("checkpoints-metadata"),
        )
    except VirtError as exc:
        raise _fail(f"Failed to undefine domain '{name}'", exc) from None
    ctl.print_extra(f"Domain '{name}' has been undefined\n")
    return True


# -- lifecycle -------------------------------------------------------------------------------


@command("start")
def cmd_start(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd, by_id=False)
    if dom.id >= 0:
        raise CommandError("Domain is already active")
    from pyvirt.enums import DomainCreateFlags as F

    flags = 0
    for opt, bit in (("paused", F.START_PAUSED), ("autodestroy", F.START_AUTODESTROY),
                     ("bypass-cache", F.START_BYPASS_CACHE), ("force-boot", F.START_FORCE_BOOT),
                     ("reset-nvram", F.START_RESET_NVRAM)):
        if cmd.flag(opt):
            flags |= int(bit)
    if flags & int(F.START_FORCE_BOOT):
        # virsh emulates --force-boot for drivers that reject the flag: drop the managed
        # save image itself and start without it.
        from pyvirt.errors import ErrorNumber

        try:
            dom.start(flags=flags)
            ctl.print_extra(f"Domain '{dom.name}' started\n")
            return True
        except VirtError as exc:
            if exc.code not in (ErrorNumber.NO_SUPPORT, ErrorNumber.INVALID_ARG):
                raise _fail(f"Failed to start domain '{dom.name}'", exc) from None
        try:
            if dom.has_managed_save:
                dom.managed_save_remove()
        except VirtError:
            pass
        flags &= ~int(F.START_FORCE_BOOT)
    try:
        dom.start(flags=flags)
    except VirtError as exc:
        raise _fail(f"Failed to start domain '{dom.name}'", exc) from None
    ctl.print_extra(f"Domain '{dom.name}' started\n")
    return True


def _simple(verb_ok: str, verb_fail: str, action):
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        dom = lookup_domain(ctl, cmd)
        name = dom.name
        try:
            action(dom, cmd)
        except VirtError as exc:
            raise _fail(f"Failed to {verb_fail} domain '{name}'", exc) from None
        ctl.print_extra(f"Domain '{name}' {verb_ok}\n")
        return True

    return handler


_MODES = ["acpi", "agent", "initctl", "signal", "paravirt"]


def _mode_flags(cmd: ParsedCommand) -> int:
    """``--mode acpi,agent`` as the shutdown/reboot flag bits (virsh's list and wording)."""
    text = cmd.get("mode")
    if text is None:
        return 0
    flags = 0
    for mode in str(text).split(","):
        if mode not in _MODES:
            raise CommandError(f"Unknown mode {mode} value, expecting "
                               "'acpi', 'agent', 'initctl', 'signal' or 'paravirt'")
        flags |= 1 << _MODES.index(mode)
    return flags


def _with_mode(verb_ok: str, verb_fail: str, method: str):
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        flags = _mode_flags(cmd)
        return _simple(verb_ok, verb_fail, lambda d, c: getattr(d, method)(flags=flags))(ctl, cmd)

    return handler


command("shutdown")(_with_mode("is being shutdown", "shutdown", "shutdown"))
command("reboot")(_with_mode("is being rebooted", "reboot", "reboot"))
command("reset")(_simple("was reset", "reset", lambda d, c: d.reset()))
command("suspend")(_simple("suspended", "suspend", lambda d, c: d.suspend()))
command("resume")(_simple("resumed", "resume", lambda d, c: d.resume()))
command("destroy")(_simple("destroyed", "destroy", lambda d, c: d.destroy(graceful=c.flag("graceful"))))


# -- resources -------------------------------------------------------------------------------


def _impact(cmd: ParsedCommand) -> dict:
    current, live, config = cmd.flag("current"), cmd.flag("live"), cmd.flag("config")
    if current and live:
        raise CommandError("Options --current and --live are mutually exclusive")
    if current and config:
        raise CommandError("Options --current and --config are mutually exclusive")
    return {"live": live, "config": config}


@command("setmem")
def cmd_setmem(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    size = parse_scaled(cmd, "size", 1024, (1 << 64) - 1)
    dom.set_memory((size + 1023) // 1024, **impact)
    return True


@command("setmaxmem")
def cmd_setmaxmem(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    size = parse_scaled(cmd, "size", 1024, (1 << 64) - 1)
    try:
        dom.set_max_memory((size + 1023) // 1024, **impact)
    except VirtError as exc:
        raise _fail("Unable to change MaxMemorySize", exc) from None
    return True


@command("setvcpus")
def cmd_setvcpus(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    if cmd.flag("guest") and cmd.flag("config"):
        raise CommandError("Options --guest and --config are mutually exclusive")
    if cmd.flag("maximum") and not cmd.flag("config"):
        raise CommandError("Option --config is required by option --maximum")
    dom = lookup_domain(ctl, cmd)
    count = int_option(cmd, "count", unsigned=True)
    if count == 0:
        raise CommandError("Can't set 0 processors for a VM")
    dom.set_vcpus(count, maximum=cmd.flag("maximum"), guest=cmd.flag("guest"),
                  hotpluggable=cmd.flag("hotpluggable"), **impact)
    return True


@command("vcpucount")
def cmd_vcpucount(ctl: Control, cmd: ParsedCommand) -> bool:
    maximum, active = cmd.flag("maximum"), cmd.flag("active")
    live, config, current = cmd.flag("live"), cmd.flag("config"), cmd.flag("current")
    guest = cmd.flag("guest")
    if maximum and active:
        raise CommandError("Options --active and --maximum are mutually exclusive")
    if live and config:
        raise CommandError("Options --live and --config are mutually exclusive")
    if guest and config:
        raise CommandError("Options --guest and --config are mutually exclusive")
    if current and (live or config):
        raise CommandError("Options --current and --live are mutually exclusive" if live else
                           "Options --current and --config are mutually exclusive")
    dom = lookup_domain(ctl, cmd)
    if guest:
        try:
            value = dom.vcpus(live=live, maximum=maximum, guest=True)
        except VirtError as exc:
            raise _fail("Failed to retrieve vCPU count from the guest", exc) from None
        ctl.print(f"{value}\n")
        return True
    if any((maximum, active, live, config, current)):
        value = dom.vcpus(live=live, config=config, maximum=maximum)
        ctl.print(f"{value}\n")
        return True
    lines = []
    for kind, is_max in (("maximum", True), ("current", False)):
        for where in ("config", "live"):
            if where == "live" and dom.id < 0:
                continue
            try:
                value = dom.vcpus(live=where == "live", config=where == "config", maximum=is_max)
            except VirtError:
                continue
            lines.append(f"{kind:<12} {where:<12} {value:>3}\n")
    ctl.print("".join(lines))
    return True


@command("autostart")
def cmd_autostart(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    disable = cmd.flag("disable")
    try:
        dom.autostart = not disable
    except VirtError as exc:
        verb = "unmark" if disable else "mark"
        raise _fail(f"Failed to {verb} domain '{dom.name}' as autostarted", exc) from None
    word = "unmarked" if disable else "marked"
    ctl.print_extra(f"Domain '{dom.name}' {word} as autostarted\n")
    return True


@command("domrename")
def cmd_domrename(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd, by_id=False)
    new = opt_string(cmd, "new-name")
    dom.rename(new)
    ctl.print_extra("Domain successfully renamed\n")
    return True


# -- metadata -----------------------------------------------------------------------------------


@command("desc")
def cmd_desc(ctl: Control, cmd: ParsedCommand) -> bool:
    from pyvirt.enums import DomainMetadataType

    dom = lookup_domain(ctl, cmd)
    impact = _impact(cmd)
    title = cmd.flag("title")
    kind = DomainMetadataType.TITLE if title else DomainMetadataType.DESCRIPTION
    words = cmd.argv("new-desc")
    if cmd.flag("edit") or words:
        if words:
            text = " ".join(words)
        else:
            try:
                current = dom.metadata(kind, **impact)
            except VirtError:
                current = ""
            text = edit_text(ctl, current, ".txt")
            if text is None:
                return False
            if title and text.endswith("\n"):  # a title is one line; a description is kept as is
                text = text[:-1]
            if text == current:
                ctl.print_extra(f"Domain {'title' if title else 'description'} not changed\n")
                return True
        try:
            dom.set_metadata(kind, text, **impact)
        except VirtError as exc:
            raise _fail(f"Failed to set new domain {'title' if title else 'description'}", exc) from None
        ctl.print_extra(f"Domain {'title' if title else 'description'} updated successfully")
        return True
    try:
        text = dom.metadata(kind, **impact)
    except VirtError:
        text = ""
    if text:
        ctl.print(text)
    else:
        ctl.print_extra(f"No {'title' if title else 'description'} for domain: {dom.name}")
    return True


@command("metadata")
def cmd_metadata(ctl: Control, cmd: ParsedCommand) -> bool:
    from pyvirt.enums import DomainMetadataType

    impact = _impact(cmd)
    value = cmd.get("set")
    if cmd.flag("edit") and value is not None:
        raise CommandError("Options --edit and --set are mutually exclusive")
    if cmd.flag("remove") and (cmd.flag("edit") or value is not None):
        raise CommandError("Options --remove and --set are mutually exclusive")
    dom = lookup_domain(ctl, cmd)
    uri = opt_string(cmd, "uri")
    key = opt_string(cmd, "key")
    kind = DomainMetadataType.ELEMENT
    if (value is not None or cmd.flag("edit")) and not key:
        raise CommandError("namespace key is required when modifying metadata")
    if cmd.flag("remove"):
        dom.set_metadata(kind, None, key, uri, **impact)
        ctl.print_extra("Metadata removed\n")
        return True
    if value is not None:
        dom.set_metadata(kind, str(value) or None, key, uri, **impact)
        ctl.print_extra("Metadata modified\n")
        return True
    if cmd.flag("edit"):
        try:
            current = dom.metadata(kind, uri, **impact)
        except VirtError:
            current = ""
        text = edit_text(ctl, current, ".xml")
        if text is None:
            return False
        if text == current:
            ctl.print_extra("Metadata not changed")
            return True
        result = edit_retry(ctl, lambda t: dom.set_metadata(kind, t or None, key, uri, **impact), text, ".xml")
        if result is _EDIT_FAILED:
            return False
        ctl.print_extra("Metadata modified\n")
        return True
    ctl.print(dom.metadata(kind, uri, **impact) + "\n")
    return True


# -- edit ------------------------------------------------------------------------------------------


@command("edit")
def cmd_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    original = dom.xml(inactive=True, secure=True)
    edited = edit_text(ctl, original, ".xml")
    if edited is None:
        return False
    if edited == original:
        ctl.print_extra(f"Domain '{dom.name}' XML configuration not changed.\n")
        return True
    validate = not cmd.flag("skip-validate")
    new = edit_retry(ctl, lambda t: ctl.conn.define_domain(t, validate=validate), edited, ".xml",
                     relax=(lambda t: ctl.conn.define_domain(t, validate=False)) if validate else None)
    if new is _EDIT_FAILED:
        return False
    ctl.print_extra(f"Domain '{new.name}' XML configuration edited.\n")
    return True


