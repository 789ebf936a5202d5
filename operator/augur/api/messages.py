"""pydantic's generic validation messages, said in the words of a CR's author.

`Input should be a valid dictionary or instance of SecretRef` becomes `the slack receiver's
apiURL must reference a Secret (secretKeyRef: {name, key}), not an inline URL`; an unknown
field names the field it probably meant; a wrong enum value lists the allowed ones. Messages a
validator of augur's own raised pass through unchanged. `augur validate`, the admission check
and the operator's conditions all word problems through here.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from augur.api.common import PATTERN_MEANINGS

_CHANNEL_PARENTS = {"receivers"}

_YAML_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "int_parsing": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
    "int_from_float": "a whole number",
}


def yaml_type(value: Any) -> str:
    """What a value is, as YAML calls it."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _members(annotation: Any) -> list[Any]:
    """The types an annotation allows: Optional/Union members, Annotated unwrapped."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _step(candidates: list[Any], part: int | str) -> list[Any]:
    """The types found one location part further down from `candidates`."""
    found: list[Any] = []
    for candidate in candidates:
        origin = get_origin(candidate)
        if isinstance(part, int) and origin in (list, tuple, set, frozenset):
            found += _members(get_args(candidate)[0])
        elif isinstance(part, str) and origin is dict:
            found += _members(get_args(candidate)[1])
        elif (
            isinstance(part, str)
            and isinstance(candidate, type)
            and issubclass(candidate, BaseModel)
        ):
            for name, info in candidate.model_fields.items():
                if part in (name, info.alias):
                    found += _members(info.annotation)
    return found


def types_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[Any]:
    """The types a location in a document of `model` may hold (empty when unknown). Location
    parts the models do not spell (a union member's tag, a validator's name) are passed over."""
    candidates: list[Any] = [model]
    for part in loc:
        found = _step(candidates, part)
        if found:
            candidates = found
    return candidates


def field_names(candidates: list[Any]) -> list[str]:
    """The wire names of the fields of the models among `candidates`."""
    names: list[str] = []
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            names += [info.alias or name for name, info in candidate.model_fields.items()]
    return sorted(set(names))


def _unknown_field(item: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    loc = tuple(item["loc"])
    if model is None or not loc or not isinstance(loc[-1], str):
        return "unknown field"
    known = field_names(types_at(model, loc[:-1]))
    close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
    if close:
        return f"unknown field (did you mean `{close[0]}`?)"
    if known and len(known) <= 12:
        return f"unknown field (fields here: {', '.join(known)})"
    return "unknown field"


def _not_a_model(item: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    """A scalar or list where a structure (a reference, a group of settings) belongs."""
    loc = tuple(item["loc"])
    value = item.get("input")
    ctx = item.get("ctx") or {}
    class_name = str(ctx.get("class_name", ""))
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "this field")
    if class_name == "SecretRef":
        if isinstance(value, str):
            inline = "an inline URL" if "://" in value else "an inline value"
        else:
            inline = yaml_type(value)
        owner = _receiver_channel(loc)
        subject = f"the {owner} receiver's {field}" if owner else field
        return (
            f"{subject} must reference a Secret (secretKeyRef: {{name, key}}), not {inline}; "
            "credentials are never written into a CR"
        )
    fields = field_names(types_at(model, loc)) if model is not None else []
    listed = f" with {', '.join(fields)}" if fields and len(fields) <= 8 else ""
    return f"must be a mapping{listed}, not {yaml_type(value)}"


def _receiver_channel(loc: tuple[int | str, ...]) -> str:
    """`slack` for spec.receivers[0].slack.apiURL; empty outside a receiver."""
    for index, part in enumerate(loc[:-2]):
        if part in _CHANNEL_PARENTS and isinstance(loc[index + 1], int):
            channel = loc[index + 2]
            return str(channel) if isinstance(channel, str) else ""
    return ""


def _bounds(kind: str, ctx: dict[str, Any]) -> str | None:
    limits = {
        "greater_than": f"must be greater than {ctx.get('gt')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
    }
    if kind in limits:
        return limits[kind]
    if kind == "string_too_short":
        minimum = ctx.get("min_length")
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        minimum = ctx.get("min_length")
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} items"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items"
    return None


def problem_message(item: Mapping[str, Any], model: type[BaseModel] | None = None) -> str:
    """One pydantic error as a sentence about the field (its path is said elsewhere).

    `model` is the model validated (for did-you-mean suggestions and the fields of a
    structure); without it the messages are only less specific.
    """
    kind = item["type"]
    ctx: dict[str, Any] = dict(item.get("ctx") or {})
    value = item.get("input")
    if kind == "extra_forbidden":
        return _unknown_field(item, model)
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        return _not_a_model(item, model)
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not allowed: use one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        pattern = ctx["pattern"]
        return f"{value!r} is not {PATTERN_MEANINGS.get(pattern, f'matching {pattern}')}"
    if kind in _YAML_TYPE_WORDS:
        wanted = _YAML_TYPE_WORDS[kind]
        shown = repr(value) if isinstance(value, str | int | float) else yaml_type(value)
        return f"must be {wanted}, not {shown}"
    bounded = _bounds(kind, ctx)
    if bounded is not None:
        return bounded
    return str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
