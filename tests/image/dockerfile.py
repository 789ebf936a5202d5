"""A small reader of the repository's Dockerfile: its stages and instructions, as written."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case) and the rest of its (joined) line."""

    keyword: str
    arguments: str


@dataclass
class Stage:
    """A build stage: its base, its name, and its instructions after FROM."""

    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)


def instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile: comments dropped, continuation lines joined."""
    found: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        found.append(Instruction(keyword.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def stages(path: Path) -> list[Stage]:
    """The build stages, in order (the last is the image)."""
    result: list[Stage] = []
    for instruction in instructions(path.read_text()):
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            result.append(Stage(words[0], name))
        else:
            assert result, f"{instruction.keyword} before the first FROM"
            result[-1].instructions.append(instruction)
    return result


def env_pairs(arguments: str) -> dict[str, str]:
    """The variables an `ENV k=v k2=v2` instruction sets."""
    pairs = {}
    for word in shlex.split(arguments):
        key, sep, value = word.partition("=")
        assert sep, f"ENV {arguments!r}: use the key=value form"
        pairs[key] = value
    return pairs
