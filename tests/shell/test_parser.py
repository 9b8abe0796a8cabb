"""virsh's script syntax, option binding and invocation, compared with the real virsh."""

from __future__ import annotations

import pytest

from .harness import assert_same

URI = ["-c", "test:///default"]

SCRIPTS = [
    # quoting and escapes
    "echo a\\ b 'c d' \"e \\\"f\" g'h'\"i\"",
    "echo 'unterminated",
    'echo "unterminated',
    "echo dangling\\",
    "echo a\\\nb",
    "echo 'a\\b' \"a\\b\" a\\\\b",
    "echo \"it's\" 'say \"hi\"'",
    # separators and comments
    "echo a; echo b\necho c",
    "echo a;;;echo b",
    "echo x#y # comment\necho next",
    "# only a comment",
    "echo \\#a '#b' \"#c\"",
    "   ;  ; echo spaced\t\targs ;",
    # echo options
    "echo --shell '' a b\"\" 'x y' '$' \"it's\"",
    "echo --xml \"<a&b>\" \"'q'\" '\"d\"'",
    "echo --xml --shell x",
    "echo --split a,b,,c d '' e,",
    "echo --err oops; echo after",
    "echo -- --foo --shell",
    "echo --=a ---a -a",
    "echo --string=value --string other",
    # option binding errors (the whole script is refused before anything runs)
    "echo before; list --al",
    "echo before; list --all=1",
    "list --all --all",
    "dominfo",
    "dominfo test --foo",
    "dominfo test extra",
    "vol-create-as",
    "dominfo --domain",
    "dominfo --domain=",
    "dominfo ''",
    "setmem test",
    "setmem test abc; echo still",
    "setmem test --size 1 --size 2",
    "lis",
    "echo a; nosuchcommand; echo b",
    "domstate --domain=test --reason",
    "snapshot-create-as test --print-xml foo bar baz qux",
    "snapshot-create-as --print-xml --name=n1 --domain test --description=d",
    # help
    "help",
    "help dominfo",
    "help snapshot",
    "help nosuch",
    "dominfo --help",
    "dominfo --help x y",
    "help dominfo extra junk --foo",
    "list --help --all",
    # quit stops the script
    "echo a; quit; echo b",
    "exit; echo b",
    # built-ins
    "cd /tmp",
    "connect test:///default; uri; hostname",
    "connect --name test:///default --readonly; destroy test",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script(script: str) -> None:
    assert_same([*URI, script])


@pytest.mark.parametrize("script", ["echo a; dominfo x; echo b", "list; uri", "echo hi", "echo --err e"])
def test_quiet(script: str) -> None:
    assert_same(["-q", *URI, script])


ARGV = [
    [*URI, "echo", "a;", "b c", "'d'"],
    [*URI, "echo a;echo b", "c"],
    [*URI, "domuuid", "test"],
    [*URI, "--", "echo", "hi"],
    ["--connect=test:///default", "echo", "hi"],
    ["-ctest:///default", "echo", "hi"],
    ["-q", "-c", "test:///default", "domstate", "test"],
    ["--foo"],
    ["-x"],
    ["-c"],
    ["-d", "x", "echo", "hi"],
    ["-d", "5", *URI, "echo", "hi"],
    ["-v"],
    ["--version"],
    ["-h"],
    ["-r", *URI, "destroy test"],
    ["-c", "test:///default", "-t", "echo hi"],
    ["-c", "nosuchdriver:///x", "nosuchcommand"],
    *[[*opt.split(), *URI, "echo hi"] for opt in (
        "-k x", "-k -1", "-K 3", "-k 5", "-k 0", "-K 0", "-e ^x", "-e xx", "-e a", "-e ^^", "-e ^1",
        "-e ^]", "--keepalive-count=x", "--keepalive-interval=-1", "-l /dev/null", "--debug=3",
        "--quiet", "--readonly", "--escape=^]")],
    ["-c", "test:///default", "-q", "-r", "-t", "list; uri"],
]


@pytest.mark.parametrize("args", ARGV, ids=[" ".join(a) for a in ARGV])
def test_invocation(args: list[str]) -> None:
    assert_same(args)  # -t durations are masked by the harness
