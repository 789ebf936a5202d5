"""Alertmanager label matchers (`name="value"`, `name=~"re"`), checked as Alertmanager does
(regular expressions in Go's RE2 syntax)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

from augur.api.regex import regex_problem

_MATCHER = re.compile(
    r"^\s*(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"
    r'(?P<value>"(?:\\.|[^"\\])*"|[^"\s,{}]*)\s*$'
)


@dataclass(frozen=True)
class Matcher:
    """One parsed matcher."""

    name: str
    op: str
    value: str

    def render(self) -> str:
        """The matcher in Alertmanager's quoted form."""
        return f"{self.name}{self.op}{json.dumps(self.value)}"


def parse_matcher(text: str) -> Matcher:
    """Parse `name op value`; raise ValueError saying what is wrong."""
    match = _MATCHER.match(text)
    if not match:
        raise ValueError(f'{text!r} is not a matcher like name="value" (operators: = != =~ !~)')
    raw = match.group("value")
    value = json.loads(raw) if raw.startswith('"') else raw
    if match.group("op") in ("=~", "!~"):
        problem = regex_problem(value)
        if problem is not None:
            raise ValueError(f"{text!r}: bad regular expression: {problem}")
    return Matcher(match.group("name"), match.group("op"), value)


def _check(text: str) -> str:
    parse_matcher(text)
    return text


MatcherString = Annotated[str, AfterValidator(_check)]
"""An Alertmanager matcher such as `service="checkout"`."""
