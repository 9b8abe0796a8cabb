"""Unit tests of the shell's pieces that need no oracle: lexer, option binding, table layout."""

from __future__ import annotations

import pytest

from pyvirt.shell import catalog
from pyvirt.shell.format import table
from pyvirt.shell.lexer import LexError, ScriptLexer, Token
from pyvirt.shell.options import ParseError, parse_script
from pyvirt.shell.util import scaled_value


def tokens(text: str) -> list[list[str]]:
    """The script as a list of commands, each a list of arguments."""
    lexer, out, current = ScriptLexer(text), [], []
    while True:
        kind, value = lexer.next()
        if kind is Token.ARG:
            current.append(value)
            continue
        if current:
            out.append(current)
        current = []
        if kind is Token.END:
            return out


def test_quotes_and_escapes() -> None:
    assert tokens("a 'b c' \"d \\\"e\" f\\ g") == [["a", "b c", 'd "e', "f g"]]
    assert tokens("'a\\b' \"a\\b\"") == [["a\\b", "ab"]]
    assert tokens("x'y'\"z\"") == [["xyz"]]


def test_separators_and_comments() -> None:
    assert tokens("a;b\nc ; ;d") == [["a"], ["b"], ["c"], ["d"]]
    assert tokens("a # b; c\nd") == [["a"], ["d"]]
    assert tokens("a#b") == [["a#b"]]
    assert tokens("a \\\n b") == [["a", "b"]]


def test_lexer_errors() -> None:
    with pytest.raises(LexError, match="dangling"):
        tokens("a\\")
    with pytest.raises(LexError, match='missing "'):
        tokens('a "b')
    assert tokens("a 'b") == [["a", "b"]]  # an open single quote runs to the end


def parse(text: str):
    return parse_script(ScriptLexer(text), catalog.load())


def test_positional_binding_follows_definition_order() -> None:
    (cmd,) = parse("snapshot-create-as dom n1 d1 --print-xml disk1 disk2")
    assert cmd.values == {"domain": "dom", "name": "n1", "description": "d1", "print-xml": True,
                          "diskspec": ["disk1", "disk2"]}


def test_named_options_free_their_positional_slot() -> None:
    (cmd,) = parse("snapshot-create-as --name n1 dom d1")
    assert cmd.values == {"name": "n1", "domain": "dom", "description": "d1"}


def test_equals_and_double_dash() -> None:
    (cmd,) = parse("echo --shell -- --xml --=x")
    assert cmd.values == {"shell": True, "string": ["--xml", "--=x"]}
    (cmd,) = parse("dominfo --domain=x")
    assert cmd.values == {"domain": "x"}


@pytest.mark.parametrize("text, message", [
    ("list --al", "command 'list' doesn't support option --al"),
    ("list --all=1", "invalid '=' after option --all"),
    ("list --all --all", "option --all already seen"),
    ("dominfo", "command 'dominfo' requires <domain> option"),
    ("setmem x", "command 'setmem' requires --size option"),
    ("dominfo a b", "unexpected data 'b'"),
    ("dominfo --domain", "expected syntax: --domain <string>"),
    ("nosuch", "unknown command: 'nosuch'"),
])
def test_option_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.messages[0] == message


def test_hidden_alias_maps_to_option() -> None:
    (cmd,) = parse("echo --str a")
    assert cmd.values == {"string": ["a"]}


def test_help_flag_skips_required_checks() -> None:
    (cmd,) = parse("dominfo --help")
    assert cmd.help and cmd.values == {}


def test_table_layout() -> None:
    text = table(["Id", "Name"], [["1", "alpha"], ["-", "b"]])
    assert text.splitlines() == [" Id   Name", "-" * (2 + 3 + 5 + 3), " 1    alpha", " -    b"]
    quiet = table(["Id", "Name"], [["1", "alpha"]], show_header=False)
    assert quiet == " 1   alpha\n"


def test_scaled_values() -> None:
    assert scaled_value("2", 1024, 1 << 64) == 2048
    assert scaled_value("1M", 1024, 1 << 64) == 1 << 20
    assert scaled_value("1MB", 1, 1 << 64) == 1_000_000
    with pytest.raises(ValueError, match="unknown suffix 'x'"):
        scaled_value("1x", 1, 1 << 64)
    with pytest.raises(ValueError, match="too large"):
        scaled_value(str(1 << 60), 1024, (1 << 64) - 1)
