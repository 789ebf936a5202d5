"""The YAML writer behind `augur.render.output.dump_yaml`: fast enough for large configurations.

A thousand policies make configurations of several MB; PyYAML's representer and emitter need
seconds for them. This writer builds the node tree directly from the plain data every rendered
file is made of (dicts, lists, strings, booleans, numbers, null), caches the implicit-tag
checks of repeated scalars and emits with libyaml (PyYAML's own emitter where libyaml is
missing). The text is what PyYAML's safe dumper writes for the same data (a test holds them
equal), except that characters beyond the Basic Multilingual Plane are written as they are."""

from __future__ import annotations

import functools
import gc
import io
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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


@functools.lru_cache(maxsize=65536)
def _resolve_scalar(value: str, implicit: tuple[bool, bool]) -> str:
    resolved: str = _RESOLVER.resolve(ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
    return resolved


_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _CachedResolverDumper(_Base):  # type: ignore[valid-type,misc]
    """libyaml's emitter; scalar tag resolution cached (it depends on the value alone)."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _resolve_scalar(value, implicit)
        return str(super().resolve(kind, value, implicit))


def _node(value: Any) -> Node:
    kind = type(value)
    if kind is str:
        return ScalarNode(_STR, value, style="|" if "\n" in value else None)
    if kind is dict:
        pairs = [(_node(k), _node(v)) for k, v in value.items()]
        return MappingNode(_MAP, pairs, flow_style=False)
    if kind is list:
        return SequenceNode(_SEQ, [_node(item) for item in value], flow_style=False)
    if kind is bool:
        return ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return ScalarNode(_INT, str(value))
    if kind is float:
        return ScalarNode(_FLOAT, _float_text(value))
    if value is None:
        return ScalarNode(_NULL, "null")
    raise TypeError(f"cannot write {kind.__name__} as YAML here")


def write_yaml(documents: list[Any]) -> str:
    """YAML text of one or more documents of plain data, keys in the order built."""
    stream = io.StringIO()
    dumper = _CachedResolverDumper(stream, sort_keys=False, allow_unicode=True, width=100)
    # Hundreds of thousands of short-lived, acyclic nodes would otherwise trigger collections
    # that walk every live object of the process, several times over: most of the cost.
    collecting = gc.isenabled()
    gc.disable()
    try:
        dumper.open()
        for document in documents:
            dumper.serialize(_node(document))
        dumper.close()
    finally:
        dumper.dispose()
        if collecting:
            gc.enable()
    return stream.getvalue()
