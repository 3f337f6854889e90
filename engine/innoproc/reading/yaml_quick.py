"""A quick reading of the plainest YAML, for batches of case files.

A case file is nearly always one flat mapping: ``key: value`` a line, a list written ``[a, b]``
or as ``- item`` lines, comments. Composing it through libyaml and building line-carrying values
(:func:`~innoproc.reading.yaml_lines.load_yaml`), then walking it again for the reading policy
(:func:`~innoproc.reading.values.check_structure`), costs about half a millisecond a case, more
than running the rules on it. :func:`read_plain_mapping` reads that plain form line by line in a
few tens of microseconds.

It is an optimistic reader, never a second definition of YAML: it either returns exactly what
``load_yaml`` would return (the same values, types and line numbers) for text that ``load_yaml``
reads without a problem and that ``check_structure`` accepts, or ``None``, and the caller reads
the text the full way, which gives the messages. Anything it is not sure of, it declines: tabs,
carriage returns and other line breaks, quoted text with escapes or over several lines, plain
text over several lines, block scalars, flow mappings, anchors, aliases, tags, directives,
documents markers, nested collections, repeated keys, keys that are not plain names, and
anything near a limit of the reading policy. The tests compare the two readings on the library
and on random, hostile YAML.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from .limits import Limits
from .yaml_lines import LineDict, LineList, _PlainLoader

_CORE = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_CORE + n for n in ("str", "null", "bool", "int", "float"))

#: an item of a flow sequence written plainly: words of letters, digits and ``_.+/-``
_FLOW_ITEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/-]*(?: [A-Za-z0-9_.+/-]+)*")
#: what a plain value may not begin with (YAML indicators), beside ``-`` handled apart
_INDICATORS = frozenset("?:,[]{}#&*!|>'\"%@`")

#: the ASCII characters this reader reads: printable ones but backslash, and line feed
_PLAIN_ASCII = bytes(c for c in range(0x20, 0x7F) if c != ord("\\")) + b"\n"

_RESOLVERS = _PlainLoader.yaml_implicit_resolvers
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _Declined(Exception):
    """The text is not plain enough for this reader."""


def read_plain_mapping(text: str, limits: Limits) -> LineDict | None:
    """The mapping ``load_yaml(text)`` gives, when the text is plain YAML that the reading
    policy accepts whole; ``None`` when it is not sure (the caller then reads it the full way).
    """
    if limits.max_depth < 3:
        return None
    if text.isascii():
        # what is left once printable characters and line feeds are taken out: a control
        # character, tab, carriage return or backslash, each of which this reader declines
        if text.encode().translate(None, _PLAIN_ASCII):
            return None
        lines = text.split("\n")
    else:
        lines = text.split("\n")
        # a line Python finds printable holds no control character, tab, carriage return,
        # other line break, byte-order mark or lone surrogate, and nothing YAML finds
        # unprintable
        if "\\" in text or not all(map(str.isprintable, lines)):
            return None
    try:
        return _Reader(limits).mapping(lines)
    except _Declined:
        return None


class _Reader:
    def __init__(self, limits: Limits):
        self.limits = limits

    def mapping(self, lines: list[str]) -> LineDict:
        limits = self.limits
        result = LineDict()
        result.key_lines = key_lines = {}
        nodes = 1
        #: the key whose value is on the lines that follow (a block sequence), its items, and
        #: the indentation of its items once known
        open_key: str | None = None
        items: LineList | None = None
        indent = -1
        number = 0
        for line in lines:
            number += 1
            known = _LINES.get(line)
            if known is not None:  # a key and its value on one line, read before
                if open_key is not None:
                    result[open_key] = self._close(items)
                    nodes += len(items) if items is not None else 0
                    open_key, items = None, None
                key, tag, value, size = known
                if key in result:
                    raise _Declined
                key_lines[key] = number
                if not result.line:
                    result.line = number
                nodes += 2
                if tag == _FLOW:  # a list written [a, b]: the items' tags, values and lengths
                    flow = self._flow_list(value, number)
                    nodes += len(flow)
                    result[key] = flow
                else:
                    result[key] = self._within_limits(tag, value, size)
                continue
            if not line or line[0] == "#":
                continue
            stripped = line.lstrip(" ") if line[0] == " " else line
            if not stripped or stripped[0] == "#":
                continue
            depth = len(line) - len(stripped)
            if stripped[0] == "-" and (len(stripped) == 1 or stripped[1] == " "):
                if open_key is None or (items is not None and depth != indent):
                    raise _Declined  # an item where no sequence is open, or at another depth
                if items is None:
                    items = LineList()
                    items.line = number
                    items.item_lines = []
                    indent = depth
                value = stripped[1:].lstrip(" ")
                if not value or value[0] in "#[" or value[0] == "-" and value[1:2] in ("", " "):
                    raise _Declined  # an empty item or a nested collection
                items.append(self._within_limits(*self._scalar(value)))
                items.item_lines.append(number)
                continue
            if depth:
                raise _Declined  # a value going on over lines, or a nested mapping
            if open_key is not None:
                result[open_key] = self._close(items)
                nodes += len(items) if items is not None else 0
                open_key, items = None, None
            key, colon, rest = line.partition(":")
            if not colon or (rest and rest[0] != " ") or key in result:
                raise _Declined
            if key not in _KEYS:
                if not (key.isascii() and key.isidentifier()) or _plain_value(key)[0] != _STR:
                    raise _Declined
                if len(key) <= _REMEMBERED_CHARS:
                    if len(_KEYS) >= _RESOLVED_MAX:
                        _KEYS.clear()
                    _KEYS.add(key)
            key_lines[key] = number
            if not result.line:
                result.line = number
            nodes += 2
            value = rest.lstrip(" ")
            if not value or value[0] == "#":
                open_key = key
                result[key] = None  # for now: keeps the order of the keys
            else:
                if value[0] == "[":
                    tag, read, size = _FLOW, _flow_parts(value), 0
                    flow = self._flow_list(read, number)
                    nodes += len(flow)
                    result[key] = flow
                else:
                    tag, read, size = self._scalar(value)
                    result[key] = self._within_limits(tag, read, size)
                if len(line) <= _REMEMBERED_CHARS:
                    if len(_LINES) >= _RESOLVED_MAX:
                        _LINES.clear()
                    _LINES[line] = (key, tag, read, size)
        if open_key is not None:
            result[open_key] = self._close(items)
            nodes += len(items) if items is not None else 0
        if not result or len(result) > limits.max_mapping_keys or nodes > limits.max_nodes:
            raise _Declined
        return result

    def _close(self, items: LineList | None) -> LineList | None:
        if items is not None and len(items) > self.limits.max_list_items:
            raise _Declined
        return items

    def _flow_list(self, parts: tuple[tuple[str, Any, int], ...], line_number: int) -> LineList:
        """The list of a flow sequence's items (see :func:`_flow_parts`), within the limits."""
        items = LineList(self._within_limits(*part) for part in parts)
        if len(items) > self.limits.max_list_items:
            raise _Declined
        items.line = line_number
        items.item_lines = [line_number] * len(items)
        return items

    def _scalar(self, value: str) -> tuple[str, Any, int]:
        """A value on one line, quoted or plain: its tag, its value as YAML reads it, and the
        length the limits apply to (unchecked: see :meth:`_within_limits`)."""
        first = value[0]
        if first == "'" or first == '"':
            end = _closing_quote(value, first)
            if end < 0 or not _only_comment(value[end + 1 :]):
                raise _Declined
            text = value[1:end]
            if first == "'":
                text = text.replace("''", "'")
            return _STR, text, len(text)
        if first in _INDICATORS or (first == "-" and (len(value) == 1 or value[1] == " ")):
            raise _Declined
        cut = value.find(" #")
        plain = (value if cut < 0 else value[:cut]).rstrip(" ")
        if ": " in plain or plain[-1] == ":":
            raise _Declined
        tag, read = _plain_value(plain)
        return tag, read, len(plain)

    def _within_limits(self, tag: str, value: Any, size: int) -> Any:
        """``value`` when the reading policy takes it whole; declined otherwise (``size``: the
        characters of the text, or of the number as written)."""
        limits = self.limits
        if tag == _STR:
            if size > limits.max_text_chars:
                raise _Declined
        elif tag == _INT:
            if size > limits.max_number_chars or value.bit_length() > limits.max_number_chars * 4:
                raise _Declined
        elif tag == _FLOAT:
            if (
                size > limits.max_number_chars
                or not math.isfinite(value)
                or math.log10(abs(value) or 1) >= limits.max_exponent
            ):
                raise _Declined
        elif tag != _NULL and tag != _BOOL:
            raise _Declined
        return value


#: plain scalars already resolved: (tag, value); text that repeats from case to case (choices,
#: numbers, true and false) is resolved once
_RESOLVED: dict[str, tuple[str, Any]] = {}
_RESOLVED_MAX = 50_000
#: only lines and values this short are remembered (each table is emptied when full)
_REMEMBERED_CHARS = 300
#: numbers written longer than this are declined before they are converted (a conversion of
#: thousands of digits is slow, and Python refuses it past 4,300)
_LONGEST_NUMBER = 100
#: the tag given to what is declined unconverted
_OTHER = _CORE + "declined"
#: key lines already read: the line -> its key, tag, value and length (before the limits);
#: for a list written ``[a, b]``, the tag :data:`_FLOW` and the items' tags, values and lengths
_LINES: dict[str, tuple[str, str, Any, int]] = {}
#: the tag of a flow sequence in :data:`_LINES`
_FLOW = _CORE + "seq"
#: keys already found to be plain names that YAML reads as text
_KEYS: set[str] = set()


def _flow_parts(value: str) -> tuple[tuple[str, Any, int], ...]:
    """The tag, value and length of each item of ``[a, b]`` written plainly (unchecked against
    the limits), or declined."""
    end = value.find("]")
    if end < 0 or not _only_comment(value[end + 1 :]):
        raise _Declined
    inner = value[1:end]
    if not inner.strip(" "):
        return ()
    parts = []
    for part in inner.split(","):
        word = part.strip(" ")
        if not _FLOW_ITEM.fullmatch(word):
            raise _Declined
        parts.append((*_plain_value(word), len(word)))
    return tuple(parts)


def _plain_value(plain: str) -> tuple[str, Any]:
    """The tag and value YAML gives a plain scalar (its implicit resolvers; dates stay text)."""
    found = _RESOLVED.get(plain)
    if found is not None:
        return found
    tag = _resolve(plain)
    value: Any = plain
    if tag in (_INT, _FLOAT) and len(plain) > _LONGEST_NUMBER:
        return _OTHER, None  # not converted at all: declined, the full reading refuses it
    if tag == _NULL:
        value = None
    elif tag == _BOOL:
        value = _CONSTRUCTOR.bool_values[plain.lower()]
    elif tag == _INT:
        value = _CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(tag, plain))
    elif tag == _FLOAT:
        value = _CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, plain))
    if len(plain) <= _REMEMBERED_CHARS:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        _RESOLVED[plain] = (tag, value)
    return tag, value


def _resolve(value: str) -> str:
    """The tag YAML's implicit resolvers give a plain scalar (dates stay text)."""
    for tag, pattern in _RESOLVERS.get(value[0] if value else "", ()):
        if pattern.match(value):
            return str(tag)
    return _STR


def _closing_quote(value: str, quote: str) -> int:
    """Where the quoted text that opens ``value`` closes on this line, or -1."""
    at = 1
    while True:
        at = value.find(quote, at)
        if at < 0:
            return -1
        if quote == "'" and value.startswith("''", at):
            at += 2
            continue
        return at


def _only_comment(rest: str) -> bool:
    """Whether what follows a value on its line is nothing, spaces, or a comment after a space."""
    stripped = rest.lstrip(" ")
    return not stripped or (stripped.startswith("#") and len(stripped) < len(rest))
