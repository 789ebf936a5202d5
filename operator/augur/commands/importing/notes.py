"""What `augur import` says about its input (parts not carried over, parts changed, input it
cannot read), and the small helpers the converters share. Pure data; `commands/import_.py`
places and prints the notes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from augur.api.resources import problems_from

NoteKind = Literal["dropped", "changed", "error"]


@dataclass(frozen=True)
class Note:
    """One thing about one part of one input document.

    `path` is the field path in the input document (`spec.groups[0].rules[3].labels`), so the
    command can say at which line and column it is written.
    """

    kind: NoteKind
    """dropped: not carried over; changed: carried over differently; error: the input is not
    what it claims to be (nothing of the document is converted)."""
    path: str
    subject: str
    """What the note is about, in the input's words: `alert KubePodCrashLooping`, `group
    node.rules`, `route routes[2]`, `receiver pager`."""
    message: str


def dropped(path: str, subject: str, message: str) -> Note:
    """A part not carried over, and why."""
    return Note("dropped", path, subject, message)


def changed(path: str, subject: str, message: str) -> Note:
    """A part carried over differently, and how."""
    return Note("changed", path, subject, message)


def error(path: str, message: str) -> Note:
    """Input that cannot be converted at all."""
    return Note("error", path, "", message)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def item_name(name: Any) -> str:
    """A receiver or interval name as an AlertPolicy allows it."""
    text = re.sub(r"[^-_.a-zA-Z0-9]+", "-", str(name)).strip("-_.")
    return text or "unnamed"


def checked(
    model: type[BaseModel], body: dict[str, Any], path: str, subject: str, notes: list[Note]
) -> bool:
    try:
        model.model_validate(body)
    except ValidationError as failure:
        for problem in problems_from(failure, model):
            notes.append(dropped(path, subject, str(problem)))
        return False
    return True
