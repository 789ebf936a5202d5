"""The one YAML writer every rendered file goes through: fast enough for large configurations.

A thousand policies make configurations of several MB; PyYAML's representer and emitter need
seconds for them. This writer walks the plain data every rendered file is made of (dicts,
lists, strings, booleans, numbers, null) and hands libyaml's emitter the events PyYAML's
serializer would make of it, without building PyYAML's node tree in between (PyYAML's own
emitter where libyaml is missing). The text is what PyYAML's safe dumper writes for the same
data (a test holds them equal), except that characters beyond the Basic Multilingual Plane are
written as they are."""

from __future__ import annotations

import copy
import functools
import io
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"


def _float_text(value: float) -> str:
    """A float as PyYAML's safe representer writes it."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


_RESOLVER = yaml.resolver.Resolver()
# First characters with which a plain scalar may read as something other than a string: the
# resolver's table is keyed by first character, and a string starting with any other character
# needs no look-up (unless the table has resolvers for every first character, keyed None).
_FIRST_CHARACTERS = frozenset(_RESOLVER.yaml_implicit_resolvers)
_BY_FIRST_CHARACTER = None not in _FIRST_CHARACTERS


@functools.lru_cache(maxsize=65536)
def _resolve_scalar(value: str, implicit: tuple[bool, bool]) -> str:
    resolved: str = _RESOLVER.resolve(ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
    return resolved


def _implicit(tag: str, text: str) -> tuple[bool, bool]:
    """The scalar event's implicit flags, as PyYAML's serializer works them out."""
    return (
        _resolve_scalar(text, (True, False)) == tag,
        _resolve_scalar(text, (False, True)) == tag,
    )


class _Events:
    """Emits the events of plain data. libyaml copies each event as it takes it, so the
    constant ones are made once and a string's event is refilled, not made anew."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.emit = emit
        self.mapping_start = MappingStartEvent(None, _MAP, True, flow_style=False)
        self.mapping_end = MappingEndEvent()
        self.sequence_start = SequenceStartEvent(None, _SEQ, True, flow_style=False)
        self.sequence_end = SequenceEndEvent()
        # strings by (plain reads back as a string, has a line break)
        self.strings = {
            (plain, multiline): ScalarEvent(
                None, _STR, (plain, True), "", style="|" if multiline else None
            )
            for plain in (True, False)
            for multiline in (True, False)
        }

    def document(self, value: Any) -> None:
        self.emit(DocumentStartEvent(explicit=False))
        self.value(value)
        self.emit(DocumentEndEvent(explicit=False))

    def value(self, value: Any) -> None:
        kind = type(value)
        if kind is str:
            plain = (
                _BY_FIRST_CHARACTER and value != "" and value[0] not in _FIRST_CHARACTERS
            ) or _resolve_scalar(value, (True, False)) == _STR
            event = self.strings[plain, "\n" in value]
            event.value = value
            self.emit(event)
        elif kind is dict:
            emit, write = self.emit, self.value
            emit(self.mapping_start)
            for key, item in value.items():
                write(key)
                write(item)
            emit(self.mapping_end)
        elif kind is list:
            emit, write = self.emit, self.value
            emit(self.sequence_start)
            for item in value:
                write(item)
            emit(self.sequence_end)
        else:
            self.other(value)

    def other(self, value: Any) -> None:
        kind = type(value)
        if kind is bool:
            tag, text = _BOOL, "true" if value else "false"
        elif kind is int:
            tag, text = _INT, str(value)
        elif kind is float:
            tag, text = _FLOAT, _float_text(value)
        elif value is None:
            tag, text = _NULL, "null"
        else:
            raise TypeError(f"cannot write {kind.__name__} as YAML here")
        self.emit(ScalarEvent(None, tag, _implicit(tag, text), text))


_LIBYAML: type[yaml.SafeDumper] | None = getattr(yaml, "CSafeDumper", None)


def write_yaml(documents: list[Any]) -> str:
    """YAML text of one or more documents of plain data, keys in the order built."""
    stream = io.StringIO()
    options: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 100}
    if _LIBYAML is not None:
        dumper = _LIBYAML(stream, **options)
        emit: Callable[[Event], None] = dumper.emit
    else:
        # PyYAML's emitter keeps events to look ahead: each gets its own copy.
        dumper = yaml.SafeDumper(stream, **options)
        emit = functools.partial(_emit_copy, dumper)
    events = _Events(emit)
    try:
        dumper.open()
        for document in documents:
            events.document(document)
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


def _emit_copy(dumper: yaml.SafeDumper, event: Event) -> None:
    dumper.emit(copy.copy(event))


GENERATED_HEADER = (
    "# Generated by augur from the MonitoringStack and the objects it selects. Do not edit.\n"
)


def dump_yaml(data: Any) -> str:
    """Deterministic YAML for one document (keys in the order built, never sorted; multi-line
    strings as literal blocks; no anchors)."""
    return write_yaml([data])


def dump_yaml_documents(documents: list[Any]) -> str:
    """Deterministic multi-document YAML."""
    return write_yaml(documents)
