"""Repeated top-level elements and the <vcpu> / iothread id number spellings, against live
libvirt 9.0 (``test:///<empty node>``, the oracle).

Each document is defined in libvirt and read by pyvirt (``DomainDef.from_xml``): both refuse
it with the same code *and message*, or both accept it and write the same inactive XML
(compared as ``domain_oracle.canonical``). What libvirt 9.0 does with a second copy:

* most elements are read with ``./x[1]``: the first copy wins and the others are not read
  at all, a bad value in them included (<name>, <uuid>, <memory>, <vcpu>, <cpu>, <title>,
  the lifecycle actions, <metadata>, <launchSecurity> ...);
* the containers whose children it reads with paths through them (``./cputune/shares[1]``,
  ``./clock/timer``, ``./os/boot``) act as one element holding every copy's children: of
  each single child the first wins, the lists keep them all (<os>, <clock>, <cputune>,
  <memtune>, <blkiotune>, <memoryBacking>, <pm>, <perf>, <keywrap>, <idmap>, <vcpus>,
  <iothreadids>); <sysinfo> and <seclabel> are lists themselves;
* a second <genid>, <numatune> or <resource> is an error, raised where libvirt parses that
  element (after the UUID; after <cpu>, before <features>).

An empty first <title>, <description>, <bootloader> or <bootloader_args> is read as none
(virXPathString gives NULL for an empty string): not written, the later copies ignored.

The enumerated values of these elements (boot devices, <cpu match>, perf events, sysinfo
types, key wrap ciphers, launch security types) are refused, and of several bad ones the
first in libvirt's parse is reported: <vcpu>, <cpu>, the tunables, <features>, the lifecycle
actions, <pm>, <perf>, <clock>, the firmware, boot devices, the devices, <launchSecurity>,
<sysinfo>, <keywrap>.

The number spellings: <vcpu> is read by virStrToLong_ui (blanks before, a sign, leading
zeros; "-N" wraps to 2**32-N) and ``current``, the iothread ``id`` and <iothreads> by
virXMLPropUInt / virStrToLong_ui (blanks before and '+', never '-' nor a trailing blank);
all are written back plainly. (A <vcpu> of -1 or 4294967295 makes libvirt allocate four
billion vCPUs and crash, so those are not defined here.)
"""

from __future__ import annotations

import pytest
from conformance.domain_oracle import compare_text, oracle_result

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError

pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")

OS = "<os><type arch='x86_64'>hvm</type></os>"
UUID1 = "11111111-2222-3333-4444-555555555555"
UUID2 = "aaaaaaaa-2222-3333-4444-555555555555"


def doc(body: str, *, name: str = "<name>gap</name>", memory: str = "<memory>1048576</memory>",
        os: str = OS) -> str:
    return "<domain type='kvm'>" + name + memory + os + body + "</domain>"


CASES: dict[str, tuple[str, str]] = {}


def pair(key: str, first: str, second: str, bad: str, *, bad_first: str | None = None) -> None:
    """The element twice with different values, with a bad value only in the second copy,
    and (``bad_first``: what libvirt does then) only in the first."""
    CASES[f"{key}-twice"] = (doc(first + second), "accepts")
    CASES[f"{key}-bad-second"] = (doc(first + bad), "accepts")
    if bad_first is not None:
        CASES[f"{key}-bad-first"] = (doc(bad + first), bad_first)


# -- the first copy wins -----------------------------------------------------------------------
CASES["name-twice"] = (doc("", name="<name>a</name><name>b</name>"), "accepts")
CASES["name-bad-second"] = (doc("", name="<name>a</name><name>a/b</name>"), "accepts")
CASES["name-bad-first"] = (doc("", name="<name>a/b</name><name>a</name>"), "refuses")
CASES["memory-twice"] = (doc("", memory="<memory>1048576</memory><memory>2097152</memory>"), "accepts")
CASES["memory-bad-second"] = (doc("", memory="<memory>1048576</memory><memory>zz</memory>"), "accepts")
CASES["memory-bad-second-unit"] = (doc("", memory="<memory>1048576</memory><memory unit='zz'>1</memory>"),
                                   "accepts")
CASES["memory-bad-first"] = (doc("", memory="<memory>zz</memory><memory>1048576</memory>"), "refuses")
pair("uuid", f"<uuid>{UUID1}</uuid>", f"<uuid>{UUID2}</uuid>", "<uuid>zz</uuid>", bad_first="refuses")
pair("current-memory", "<currentMemory>524288</currentMemory>", "<currentMemory>262144</currentMemory>",
     "<currentMemory>zz</currentMemory>", bad_first="refuses")
pair("max-memory", "<maxMemory slots='4'>4194304</maxMemory>", "<maxMemory slots='8'>8388608</maxMemory>",
     "<maxMemory slots='zz'>1</maxMemory>")
pair("vcpu", "<vcpu>2</vcpu>", "<vcpu current='1'>4</vcpu>", "<vcpu>zz</vcpu>", bad_first="refuses")
pair("vcpu-placement", "<vcpu placement='static'>2</vcpu>", "<vcpu placement='auto'>4</vcpu>",
     "<vcpu placement='zz'>2</vcpu>", bad_first="refuses")
pair("cpu", "<cpu mode='host-model'/>", "<cpu mode='host-passthrough'/>", "<cpu mode='zz'/>",
     bad_first="refuses")
pair("cpu-match", "<cpu match='exact'><model>qemu64</model></cpu>",
     "<cpu match='minimum'><model>core2duo</model></cpu>", "<cpu match='zz'><model>x</model></cpu>")
CASES["cpu-children-of-second-unread"] = (doc(
    "<cpu mode='custom' match='exact'><model>qemu64</model></cpu>"
    "<cpu><feature policy='require' name='vmx'/><topology sockets='1' cores='2' threads='1'/></cpu>"), "accepts")
for action, one, other in (("on_poweroff", "destroy", "restart"), ("on_reboot", "restart", "destroy"),
                           ("on_crash", "destroy", "coredump-restart"), ("on_lockfailure", "poweroff", "pause")):
    pair(action, f"<{action}>{one}</{action}>", f"<{action}>{other}</{action}>", f"<{action}>zz</{action}>",
         bad_first="refuses")
pair("title", "<title>a</title>", "<title>b</title>", "<title>a\nb</title>")
pair("description", "<description>a</description>", "<description>b</description>",
     "<description></description>")
pair("bootloader", "<bootloader>/a</bootloader>", "<bootloader>/b</bootloader>", "<bootloader></bootloader>")
pair("bootloader-args", "<bootloader>/a</bootloader><bootloader_args>x</bootloader_args>",
     "<bootloader_args>y</bootloader_args>", "<bootloader_args></bootloader_args>")
pair("metadata", "<metadata><a:x xmlns:a='http://a'/></metadata>", "<metadata><b:y xmlns:b='http://b'/></metadata>",
     "<metadata>zz</metadata>")
pair("launch-security", "<launchSecurity type='sev'><policy>0x0001</policy><cbitpos>47</cbitpos>"
     "<reducedPhysBits>1</reducedPhysBits></launchSecurity>", "<launchSecurity type='s390-pv'/>",
     "<launchSecurity type='zz'/>")
pair("iothreads", "<iothreads>2</iothreads>", "<iothreads>4</iothreads>", "<iothreads>zz</iothreads>",
     bad_first="refuses")

# -- containers read across their copies ---------------------------------------------------------
CASES["os-twice"] = (doc("<os><type arch='i686'>hvm</type></os>"), "accepts")
CASES["os-bad-second-arch"] = (doc("<os><type arch='zz'>hvm</type></os>"), "accepts")
CASES["os-bad-second-type"] = (doc("<os><type arch='x86_64'>zz</type></os>"), "accepts")
CASES["os-bad-first-arch"] = (doc(OS, os="<os><type arch='zz'>hvm</type></os>"), "refuses")
CASES["os-second-kernel-and-boot"] = (doc("<os><type arch='i686'>hvm</type><boot dev='cdrom'/><kernel>/k</kernel></os>"),
                                      "accepts")
CASES["os-boots-of-both"] = (doc("<os><boot dev='cdrom'/><kernel>/k</kernel><bios useserial='yes'/></os>",
                                 os="<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>"), "accepts")
pair("clock", "<clock offset='utc'/>", "<clock offset='localtime'/>", "<clock offset='zz'/>",
     bad_first="refuses")
pair("clock-timers", "<clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>",
     "<clock offset='utc'><timer name='pit' tickpolicy='delay'/></clock>",
     "<clock offset='utc'><timer name='zz'/></clock>", bad_first="refuses")
CASES["clock-timers-bad-second"] = (CASES["clock-timers-bad-second"][0], "refuses")  # every timer is read
pair("cputune", "<cputune><shares>100</shares></cputune>", "<cputune><shares>200</shares><period>1000</period></cputune>",
     "<cputune><shares>zz</shares></cputune>")
pair("memtune", "<memtune><hard_limit>1048576</hard_limit></memtune>",
     "<memtune><hard_limit>2097152</hard_limit><soft_limit>524288</soft_limit></memtune>",
     "<memtune><hard_limit>zz</hard_limit></memtune>", bad_first="refuses")
pair("blkiotune", "<blkiotune><weight>100</weight></blkiotune>",
     "<blkiotune><weight>200</weight><device><path>/dev/sda</path><weight>10</weight></device></blkiotune>",
     "<blkiotune><weight>zz</weight></blkiotune>")
pair("memory-backing", "<memoryBacking><nosharepages/></memoryBacking>", "<memoryBacking><locked/></memoryBacking>",
     "<memoryBacking><locked/><locked/></memoryBacking>")
pair("pm", "<pm><suspend-to-mem enabled='yes'/></pm>",
     "<pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>",
     "<pm><suspend-to-mem enabled='zz'/></pm>", bad_first="refuses")
pair("perf", "<perf><event name='cmt' enabled='yes'/></perf>", "<perf><event name='mbmt' enabled='no'/></perf>",
     "<perf><event name='mbml' enabled='no'/></perf>")
pair("keywrap", "<keywrap><cipher name='aes' state='on'/></keywrap>", "<keywrap><cipher name='dea' state='off'/></keywrap>",
     "<keywrap><cipher name='dea' state='on'/></keywrap>")
pair("idmap", "<idmap><uid start='0' target='1000' count='10'/><gid start='0' target='1000' count='10'/></idmap>",
     "<idmap><uid start='0' target='2000' count='10'/><gid start='0' target='2000' count='10'/></idmap>",
     "<idmap><uid start='0' target='3000' count='10'/></idmap>")
pair("iothreadids", "<iothreads>2</iothreads><iothreadids><iothread id='1'/></iothreadids>",
     "<iothreadids><iothread id='2'/></iothreadids>", "<iothreadids><iothread id='zz'/></iothreadids>")
CASES["iothreadids-bad-second"] = (CASES["iothreadids-bad-second"][0], "refuses")  # every id is read
pair("sysinfo", "<sysinfo type='smbios'><bios><entry name='vendor'>a</entry></bios></sysinfo>",
     "<sysinfo type='smbios'><bios><entry name='vendor'>b</entry></bios></sysinfo>",
     "<sysinfo type='fwcfg'><entry name='opt/a'>b</entry></sysinfo>")
pair("features", "<features><acpi/></features>", "<features><apic/></features>", "<features><zz/></features>",
     bad_first="refuses")
CASES["features-bad-second"] = (CASES["features-bad-second"][0], "refuses")  # every feature is read
pair("devices", "<devices><emulator>/a</emulator></devices>", "<devices><emulator>/b</emulator></devices>",
     "<devices><zz/></devices>")

# -- refused twice, where libvirt parses them ----------------------------------------------------
GENIDS = f"<genid>{UUID1}</genid><genid>{UUID2}</genid>"
NUMATUNES = "<numatune><memory mode='strict' nodeset='0'/></numatune>" * 2
RESOURCES = "<resource><partition>/a</partition></resource><resource><partition>/b</partition></resource>"
CASES["genid-twice"] = (doc(GENIDS), "refuses")
CASES["genid-twice-after-bad-uuid"] = (doc(GENIDS, name="<name>g</name><uuid>zz</uuid>"), "refuses")
CASES["genid-twice-before-bad-memory"] = (doc(GENIDS, memory="<memory>zz</memory>"), "refuses")
CASES["numatune-twice"] = (doc(NUMATUNES), "refuses")
CASES["numatune-twice-after-bad-vcpu"] = (doc(NUMATUNES + "<vcpu>zz</vcpu>"), "refuses")
CASES["numatune-twice-after-bad-cpu-mode"] = (doc(NUMATUNES + "<cpu mode='zz'/>"), "refuses")
CASES["numatune-twice-before-bad-feature"] = (doc(NUMATUNES + "<features><zz/></features>"), "refuses")
CASES["numatune-twice-before-bad-lifecycle"] = (doc(NUMATUNES + "<on_crash>zz</on_crash>"), "refuses")
CASES["numatune-before-resource"] = (doc(RESOURCES + NUMATUNES), "refuses")
CASES["resource-twice"] = (doc(RESOURCES), "refuses")
CASES["resource-twice-before-bad-clock"] = (doc(RESOURCES + "<clock offset='zz'/>"), "refuses")
CASES["resource-twice-before-bad-feature"] = (doc(RESOURCES + "<features><zz/></features>"), "refuses")

# -- number spellings ----------------------------------------------------------------------------
SPELLINGS = {"blank-before": " 3", "blank-after": "3 ", "plus": "+2", "leading-zero": "03", "hex": "0x3",
             "minus-zero": "-0", "empty": "", "blank": " ", "decimal": "2.0", "exponent": "1e1",
             "zeros": "00", "plus-zero": "+0", "blank-plus": " +3", "tab": "\t3",
             "minus-wraps-to-one": "-4294967295", "minus-too-far": "-4294967296", "too-large": "4294967296",
             "huge": "9999999999999999999999", "fullwidth-digit": "\uff11"}
for label, spelling in SPELLINGS.items():
    CASES[f"vcpu-current-{label}"] = (doc(f"<vcpu current='{spelling}'>4</vcpu>"), "")
    CASES[f"vcpu-{label}"] = (doc(f"<vcpu>{spelling}</vcpu>"), "")
    CASES[f"iothread-id-{label}"] = (doc(f"<iothreads>4</iothreads><iothreadids><iothread id='{spelling}'/>"
                                         "</iothreadids>"), "")
    CASES[f"iothreads-{label}"] = (doc(f"<iothreads>{spelling}</iothreads>"), "")
#: the spellings each reading takes (the others are refused)
SPELLINGS_ACCEPTED = {
    "vcpu-current": {"blank-before", "plus", "leading-zero", "blank-plus", "tab", "zeros", "plus-zero"},
    "vcpu": {"blank-before", "plus", "leading-zero", "blank-plus", "tab", "minus-wraps-to-one"},
    "iothread-id": {"blank-before", "plus", "leading-zero", "blank-plus", "tab"},
    "iothreads": {"blank-before", "plus", "leading-zero", "blank-plus", "tab", "zeros", "plus-zero", "empty"},
}
for key, (text, verdict) in list(CASES.items()):
    if verdict == "":
        label = max((lbl for lbl in SPELLINGS if key.endswith("-" + lbl)), key=len)
        reading = key[: -len(label) - 1]
        CASES[key] = (text, "accepts" if label in SPELLINGS_ACCEPTED[reading] else "refuses")


# -- enumerated values of the sweep's elements, and which one libvirt reports first ---------------
#: one bad value each, named by where libvirt reads it (``FIRMWARE`` and ``BOOT`` go in <os>)
BAD = {
    "placement": "<vcpu placement='zz'>1</vcpu>", "memtune": "<memtune><hard_limit>zz</hard_limit></memtune>",
    "iothreads": "<iothreads>zz</iothreads>", "cpu-mode": "<cpu mode='zz'/>",
    "cpu-match": "<cpu match='zz'><model>x</model></cpu>", "feature": "<features><zz/></features>",
    "crash": "<on_crash>zz</on_crash>", "pm": "<pm><suspend-to-mem enabled='zz'/></pm>",
    "perf": "<perf><event name='zz' enabled='no'/></perf>", "clock": "<clock offset='zz'/>",
    "timer": "<clock offset='utc'><timer name='zz'/></clock>", "firmware": "FIRMWARE", "boot": "BOOT",
    "disk": "<devices><disk type='zz'/></devices>", "launch": "<launchSecurity type='zz'/>",
    "sysinfo": "<sysinfo type='zz'/>", "keywrap": "<keywrap><cipher name='zz' state='on'/></keywrap>",
}


def bad_doc(*names: str) -> str:
    os = "<os" + (" firmware='zz'" if "firmware" in names else "") + "><type arch='x86_64'>hvm</type>"
    os += ("<boot dev='zz'/>" if "boot" in names else "") + "</os>"
    return doc("".join(BAD[n] for n in names if n not in ("firmware", "boot")), os=os)


for one in ("cpu-match", "perf", "boot", "launch", "sysinfo", "keywrap"):
    CASES[f"bad-{one}"] = (bad_doc(one), "refuses")
LATE = ("crash", "pm", "perf", "clock", "timer", "firmware", "boot", "disk", "launch", "sysinfo", "keywrap")
for i, one in enumerate(LATE):
    for other in LATE[i + 1:]:
        if {one, other} != {"clock", "timer"}:
            CASES[f"bad-{one}-and-{other}"] = (bad_doc(one, other), "refuses")
for one in ("cpu-match", "perf", "boot", "sysinfo"):
    for other in ("placement", "memtune", "iothreads", "feature"):
        CASES[f"bad-{one}-and-{other}"] = (bad_doc(one, other), "refuses")
CASES["bad-memtune-and-placement"] = (bad_doc("placement", "memtune"), "refuses")  # <memtune> first
CASES["bad-current-memory-before-memtune"] = (doc(BAD["memtune"] + "<currentMemory>zz</currentMemory>"),
                                              "refuses")

# -- the <seclabel> list -------------------------------------------------------------------------
SECLABELS = {
    "dynamic": ("<seclabel type='dynamic' model='selinux'/>", "accepts"),
    "dynamic-without-model": ("<seclabel type='dynamic'/>", "accepts"),
    "dynamic-not-relabelled": ("<seclabel type='dynamic' model='selinux' relabel='no'/>", "refuses"),
    "without-type": ("<seclabel model='selinux'/>", "accepts"),
    "bare": ("<seclabel/>", "accepts"),
    "static": ("<seclabel type='static' model='selinux'><label>a</label></seclabel>", "accepts"),
    "none-relabelled": ("<seclabel type='none' model='none' relabel='yes'/>", "refuses"),
    "two-models": ("<seclabel type='none' model='none'/><seclabel type='dynamic' model='dac'/>", "accepts"),
    "model-twice": ("<seclabel type='dynamic' model='dac'/><seclabel type='none' model='dac'/>", "refuses"),
    "same-twice": ("<seclabel type='none' model='none'/>" * 2, "refuses"),
    "first-without-model": ("<seclabel type='none'/><seclabel type='dynamic' model='dac'/>", "refuses"),
    "two-without-model": ("<seclabel type='none'/><seclabel type='none'/>", "refuses"),
    "bad-type": ("<seclabel type='zz'/>", "refuses"),
    "empty-type": ("<seclabel type=''/>", "refuses"),
    "bad-type-second": ("<seclabel type='none' model='none'/><seclabel type='zz' model='dac'/>", "refuses"),
    "twice-then-bad-type": ("<seclabel type='none' model='none'/>" * 2 + "<seclabel type='zz'/>", "refuses"),
    # read before the memory sizes and tunables
    "bad-type-and-memtune": ("<seclabel type='zz'/>" + BAD["memtune"], "refuses"),
    "twice-and-placement": ("<seclabel type='none' model='none'/>" * 2 + BAD["placement"], "refuses"),
    "twice-and-current-memory": ("<seclabel type='none' model='none'/>" * 2 + "<currentMemory>zz</currentMemory>",
                                 "refuses"),
}
for label, (body, verdict) in SECLABELS.items():
    CASES[f"seclabel-{label}"] = (doc(body), verdict)

# -- an empty first copy of a text element is as if none were given ------------------------------
for tag in ("title", "description", "bootloader", "bootloader_args"):
    for label, body in (("empty", f"<{tag}></{tag}>"), ("empty-then-text", f"<{tag}/><{tag}>a</{tag}>"),
                        ("text-then-empty", f"<{tag}>a</{tag}><{tag}/>"), ("blank", f"<{tag}> </{tag}>")):
        CASES[f"{tag}-{label}"] = (doc(("<bootloader>/a</bootloader>" if tag == "bootloader_args" else "") + body),
                                   "accepts")

# -- <memoryBacking>'s modes, read after the memory sizes (before its huge pages) ----------------
BACKINGS = {
    "source": ("<memoryBacking><source type='zz'/></memoryBacking>", "refuses"),
    "access": ("<memoryBacking><access mode='zz'/></memoryBacking>", "refuses"),
    "allocation": ("<memoryBacking><allocation mode='zz'/></memoryBacking>", "refuses"),
    "all-three": ("<memoryBacking><allocation mode='zz'/><access mode='zz'/><source type='zz'/></memoryBacking>",
                  "refuses"),
    "access-and-allocation": ("<memoryBacking><allocation mode='zz'/><access mode='zz'/></memoryBacking>", "refuses"),
    "after-current-memory": ("<currentMemory>zz</currentMemory><memoryBacking><source type='zz'/></memoryBacking>",
                             "refuses"),
    "before-huge-pages": ("<memoryBacking><hugepages><page size='zz'/></hugepages><source type='zz'/>"
                          "</memoryBacking>", "refuses"),
    "before-memtune": ("<memoryBacking><source type='zz'/></memoryBacking>" + BAD["memtune"], "refuses"),
    "before-placement": ("<memoryBacking><source type='zz'/></memoryBacking>" + BAD["placement"], "refuses"),
    "valid": ("<memoryBacking><source type='memfd'/><access mode='shared'/><allocation mode='immediate'/>"
              "</memoryBacking>", "accepts"),
    "second-copy-unread": ("<memoryBacking><source type='memfd'/></memoryBacking>"
                           "<memoryBacking><source type='zz'/></memoryBacking>", "accepts"),
}
for label, (body, verdict) in BACKINGS.items():
    CASES[f"memory-backing-{label}"] = (doc(body), verdict)

def _pyvirt_message(text: str) -> str:
    try:
        DomainDef.from_xml(text).to_xml(inactive=True)
    except VirtError as exc:
        return exc.message
    return ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    text, expected = CASES[name]
    want_xml, _, want_message = oracle_result(libvirt_oracle, text)
    assert (want_xml is None) == (expected == "refuses"), f"libvirt {want_message or 'accepts'}: the case is stale"
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason
    if want_xml is None:
        assert _pyvirt_message(text) == want_message
