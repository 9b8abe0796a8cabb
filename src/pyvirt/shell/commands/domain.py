"""Domain management and monitoring commands (virsh's 'domain' and 'monitor' groups)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..format import table
from ..options import ParsedCommand
from ..util import int_option, lib_message, lookup_domain, opt_string, parse_scaled, read_file
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


def print_xml(ctl: Control, cmd: ParsedCommand, xml: str) -> bool:
    """Print an XML document, or with ``--xpath`` the matching nodes (``--wrap``: in <nodes>).

    Matches virsh: nodes are serialised as libxml2 does (re-indented, double-quoted
    attributes), one per line; an expression that is not a node set is an error; a syntax
    error only gets libxml2's own complaint.
    """
    xpath = opt_string(cmd, "xpath") if cmd.cmd.option("xpath") else None
    if xpath is None:
        ctl.print(xml)
        return True
    from lxml import etree

    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(xml.encode(), parser)
    try:
        result = root.getroottree().xpath(xpath)
    except etree.XPathError:
        ctl.out.flush()
        ctl.err.write("XPath error : Invalid expression\n")
        ctl.err.flush()
        return True
    if not isinstance(result, list):
        raise CommandError(f"internal error: Incorrect xpath '{xpath}'")
    if cmd.flag("wrap"):
        wrapper = etree.Element("nodes")
        for node in result:
            if isinstance(node, etree._Element):
                wrapper.append(_copy(node))
            elif getattr(node, "is_text", False) or getattr(node, "is_tail", False):
                if len(wrapper):
                    wrapper[-1].tail = (wrapper[-1].tail or "") + str(node)
                else:
                    wrapper.text = (wrapper.text or "") + str(node)
        ctl.print(_dump(wrapper) + "\n")
        return True
    out = []
    for node in result:
        if isinstance(node, etree._Element):
            out.append(_dump(_copy(node)))
        elif getattr(node, "is_attribute", False):
            value = str(node).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            out.append(f' {node.attrname}="{value}"')
        else:
            out.append(str(node))
    ctl.print("".join(f"{text}\n" for text in out))
    return True


def _dump(node) -> str:
    from lxml import etree

    return etree.tostring(node, pretty_print=True, encoding="unicode", with_tail=False).rstrip("\n")


def _copy(node):
    from copy import deepcopy

    copied = deepcopy(node)
    copied.tail = None
    return copied


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
    dom = lookup_domain(ctl, cmd)
    count = int_option(cmd, "count", unsigned=True)
    if count == 0:
        raise CommandError("Can't set 0 processors for a VM")
    if cmd.flag("maximum") and not cmd.flag("config"):
        raise CommandError("Option --config is required by option --maximum")
    if cmd.flag("guest") or cmd.flag("hotpluggable"):
        raise CommandError("pyvirt's Domain.set_vcpus() does not accept --guest or --hotpluggable yet")
    dom.set_vcpus(count, maximum=cmd.flag("maximum"), **impact)
    return True


@command("vcpucount")
def cmd_vcpucount(ctl: Control, cmd: ParsedCommand) -> bool:
    maximum, active = cmd.flag("maximum"), cmd.flag("active")
    live, config, current = cmd.flag("live"), cmd.flag("config"), cmd.flag("current")
    if maximum and active:
        raise CommandError("Options --maximum and --active are mutually exclusive")
    if live and config:
        raise CommandError("Options --live and --config are mutually exclusive")
    if current and (live or config):
        raise CommandError("Options --current and --live are mutually exclusive" if live else
                           "Options --current and --config are mutually exclusive")
    if cmd.flag("guest"):
        raise CommandError("pyvirt's Domain.vcpus() does not accept --guest yet")
    dom = lookup_domain(ctl, cmd)
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


# -- save / restore / managed save --------------------------------------------------------------


def run_job(ctl: Control, dom, label: str, verbose: bool, action) -> None:
    """Run a long operation in a worker thread; show progress with ``--verbose``; Ctrl-C aborts.

    Progress is read from the domain's job info when the API offers it; when the operation
    completes it shows 100 % as virsh does.
    """
    result: dict = {}
    done = threading.Event()  # not Thread.join: an interrupted join can lose track of the thread

    def work() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - handed back to the shell thread
            result["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"pyvirsh-{label}", daemon=True)
    worker.start()
    try:
        while not done.wait(0.5):
            if verbose:
                percent = _job_percent(dom)
                if percent is not None:
                    _progress(ctl, label, percent)
    except KeyboardInterrupt:
        abort = getattr(dom, "abort_job", None)
        if callable(abort):
            try:
                abort()
            except VirtError:
                pass
        done.wait()  # the job ends (aborted or finished); its own result is what counts
    ctl.debug_log(0, f"watchJob: job done, status {-1 if 'error' in result else 0}\n")
    if "error" in result:
        raise result["error"]
    if verbose:
        _progress(ctl, label, 100)


def _progress(ctl: Control, label: str, percent: int) -> None:
    """virsh's job progress: a carriage-return line on stderr, no newline."""
    ctl.err.write(f"\r{label}: [{percent:3d} %]")
    ctl.err.flush()


def _job_percent(dom) -> int | None:
    getter = getattr(dom, "job_info", None)
    if not callable(getter):
        return None
    try:
        info = getter()
        total = getattr(info, "data_total", 0)
        remaining = getattr(info, "data_remaining", 0)
    except (VirtError, AttributeError):
        return None
    if not total:
        return None
    if remaining == 0:
        return 100
    return min(int(100.0 - remaining * 100.0 / total), 99)  # never 100 % before the end


def _save_flags(cmd: ParsedCommand) -> int:
    from pyvirt.enums import DomainSaveRestoreFlags as S

    flags = 0
    for opt, bit in (("bypass-cache", S.BYPASS_CACHE), ("running", S.RUNNING),
                     ("paused", S.PAUSED), ("reset-nvram", S.RESET_NVRAM)):
        if cmd.cmd.option(opt) and cmd.flag(opt):
            flags |= int(bit)
    return flags


def _no_save_flags(cmd: ParsedCommand, context: str, api: str) -> None:
    """pyvirt's save/restore calls take no flags yet: refuse instead of silently ignoring."""
    if _save_flags(cmd):
        raise CommandError(context, f"pyvirt's {api} does not accept --bypass-cache, "
                                    "--running, --paused or --reset-nvram yet")


@command("save")
def cmd_save(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml")) if cmd.has("xml") else None
    name = dom.name
    _no_save_flags(cmd, f"Failed to save domain '{name}' to {path}", "Domain.save()")
    dom = lookup_domain(ctl, cmd)  # virsh's job thread looks the domain up again (seen at -d 0)
    try:
        run_job(ctl, dom, "Save", cmd.flag("verbose"), lambda: dom.save(path, xml))
    except VirtError as exc:
        raise _fail(f"Failed to save domain '{name}' to {path}", exc) from None
    ctl.print_extra(f"\nDomain '{name}' saved to {path}\n")
    return True


@command("restore")
def cmd_restore(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml")) if cmd.has("xml") else None
    _no_save_flags(cmd, f"Failed to restore domain from {path}", "Connection.restore()")
    try:
        ctl.conn.restore(path, xml)
    except VirtError as exc:
        raise _fail(f"Failed to restore domain from {path}", exc) from None
    ctl.print_extra(f"Domain restored from {path}\n")
    return True


@command("managedsave")
def cmd_managedsave(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    name = dom.name
    dom = lookup_domain(ctl, cmd)  # virsh's job thread looks the domain up again (seen at -d 0)
    try:
        flags = _save_flags(cmd)
        run_job(ctl, dom, "Managedsave", cmd.flag("verbose"), lambda: dom.managed_save(flags=flags))
    except VirtError as exc:
        raise _fail(f"Failed to save domain '{name}' state", exc) from None
    ctl.print_extra(f"\nDomain '{name}' state saved by libvirt\n")
    return True


@command("managedsave-remove")
def cmd_managedsave_remove(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    name = dom.name
    try:
        has = dom.has_managed_save
    except VirtError as exc:
        raise _fail("Failed to check for domain managed save image", exc) from None
    if not has:
        ctl.print_extra(f"Domain '{name}' has no manage save image; removal skipped")
        return True
    try:
        dom.managed_save_remove()
    except VirtError as exc:
        raise _fail(f"Failed to remove managed save image for domain '{name}'", exc) from None
    ctl.print_extra(f"Removed managedsave image for domain '{name}'")
    return True


# -- edit ------------------------------------------------------------------------------------------


def edit_text(ctl: Control, text: str, suffix: str) -> str | None:
    """Let the user edit text in $VISUAL/$EDITOR (default vi); None when the editor failed."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="virsh", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        rc = subprocess.call(f"{editor} {path}", shell=True)
        if rc != 0:
            raise CommandError(f"{editor} {path}: editor exited with status {rc}")
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


_EDIT_FAILED = object()


def edit_retry(ctl: Control, define, text: str, suffix: str, relax=None):
    """Apply edited text with ``define``; on failure ask virsh's question on a terminal.

    Without a terminal virsh only says "Failed." (virsh 9.0 then goes on to claim success;
    pyvirsh reports the failure instead).  Returns define's result or ``_EDIT_FAILED``.
    """
    import sys

    while True:
        try:
            return define(text)
        except VirtError as exc:
            if not sys.stdin.isatty():
                ctl.error("Failed.")
                return _EDIT_FAILED
            ctl.error(lib_message(exc))
        choices = "[y,n,i,f,?]" if relax else "[y,n,f,?]"
        while True:
            ctl.print(f"\rFailed. Try again? {choices}: ")
            ctl.out.flush()
            answer = sys.stdin.readline().strip().lower()[:1]
            if answer == "?":
                ctl.print("y - yes, start editor again\nn - no, throw away my changes\n")
                if relax:
                    ctl.print("i - turn off validation and try to redefine again\n")
                ctl.print("f - force, try to redefine again\n? - print this help\n")
                continue
            if answer in ("y", "n", "f") or (relax and answer == "i"):
                break
        ctl.print("\r\n")
        if answer == "n" or answer == "":
            return _EDIT_FAILED
        if answer == "y":
            edited = edit_text(ctl, text, suffix)
            if edited is None:
                return _EDIT_FAILED
            text = edited
        elif answer == "i" and relax:
            define = relax


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


def inactive_xml(obj) -> str:
    """The persistent XML, falling back to the live one where the driver rejects the flag
    (virsh does the same for networks and pools)."""
    from pyvirt.errors import ErrorNumber

    try:
        return obj.xml(inactive=True)
    except VirtError as exc:
        if exc.code != ErrorNumber.INVALID_ARG:
            raise
        return obj.xml()


def edit_object(ctl: Control, original: str, define, unchanged: str, edited) -> bool:
    """The shared edit flow: $EDITOR, 'not changed', redefine with virsh's re-edit prompt."""
    text = edit_text(ctl, original, ".xml")
    if text is None:
        return False
    if text == original:
        ctl.print_extra(unchanged)
        return True
    result = edit_retry(ctl, define, text, ".xml")
    if result is _EDIT_FAILED:
        return False
    ctl.print_extra(edited(result))
    return True


@command("save-image-dumpxml")
def cmd_save_image_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    return print_xml(ctl, cmd, ctl.conn.save_image_xml(path, secure=cmd.flag("security-info")))


@command("save-image-define")
def cmd_save_image_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml"))
    if cmd.flag("running") or cmd.flag("paused"):
        raise CommandError(f"Failed to update {path}",
                           "pyvirt's Connection.define_save_image_xml() does not accept --running or --paused yet")
    try:
        ctl.conn.define_save_image_xml(path, xml)
    except VirtError as exc:
        raise _fail(f"Failed to update {path}", exc) from None
    ctl.print_extra(f"State file {path} updated.\n")
    return True


@command("save-image-edit")
def cmd_save_image_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    original = ctl.conn.save_image_xml(path, secure=True)
    return edit_object(ctl, original, lambda t: ctl.conn.define_save_image_xml(path, t),
                       f"Saved image {path} XML configuration not changed.\n",
                       lambda _r: f"State file {path} edited.\n")
