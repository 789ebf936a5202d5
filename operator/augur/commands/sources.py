"""Input as a GitOps pipeline hands it over: files, folders or standard input, multi-document
YAML, `kind: List` wrappers, and where in the text each field of each object is written."""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from augur.api.bounds import MAX_DEPTH

YAML_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
"""The path that names standard input (`kustomize build . | augur validate -f -`)."""
STDIN_NAME = "<stdin>"
"""How positions in standard input are reported."""

_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")

MAX_ALIASED_NODES = 100_000
"""Most nodes that aliases may add to one document once expanded. Anchors shared a few times
stay far below it; an alias bomb (each level repeating the one before) is refused before
anything walks its billions of expanded nodes."""


class InputError(Exception):
    """A named input that cannot be read at all (no such file, standard input twice)."""


@dataclass(frozen=True)
class Source:
    """The text of one input file, or of standard input."""

    name: str
    text: str


@dataclass(frozen=True)
class Unreadable:
    """A file found but not readable as text."""

    name: str
    reason: str


@dataclass(frozen=True)
class Position:
    """A place in a source: 1-based line and column (0 when unknown)."""

    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Document:
    """One object of a source: its data and its YAML node (for positions).

    `index` counts documents in the source from 1; an item of a `kind: List` has its List's
    index.
    """

    source: str
    index: int
    body: Any
    node: yaml.Node | None = field(default=None, compare=False, repr=False)

    def position(self, path: str = "") -> Position:
        """Where the field `path` (as `spec.alerts[0].expr`) is written: the key of a mapping
        entry, the start of a list item; the nearest enclosing field when it is not written
        (a missing field), the object itself for an empty path."""
        node = self.node
        if node is None:
            return Position()
        mark = node.start_mark
        for index, key in _PATH_TOKEN.findall(path):
            if isinstance(node, yaml.MappingNode) and not index:
                entry = next((e for e in node.value if _scalar(e[0]) == key), None)
                if entry is None:
                    continue  # a part of the path the text does not spell (a union's tag)
                mark, node = entry[0].start_mark, entry[1]
            elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
                node = node.value[int(index)]
                mark = node.start_mark
            else:
                continue
        return Position(mark.line + 1, mark.column + 1)


def _scalar(node: yaml.Node) -> Any:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _excluded(path: Path, root: Path, patterns: tuple[str, ...]) -> bool:
    """True when a pattern matches the path as found, its part below `root`, its name or the
    name of a folder it is in (so `templates` skips every Helm templates folder)."""
    relative = path.relative_to(root) if path.is_relative_to(root) else path
    candidates = {str(path), str(relative), path.name, *relative.parts[:-1]}
    return any(fnmatch.fnmatch(c, p) for c in candidates for p in patterns)


def input_files(paths: Iterable[str], exclude: tuple[str, ...] = ()) -> list[Path | None]:
    """Every YAML file named, or found under a named folder, in a stable order; None stands for
    standard input. Files matching an `exclude` glob are left out."""
    found: list[Path | None] = []
    for raw in paths:
        if raw == STDIN:
            if None in found:
                raise InputError("standard input (-) can be read only once")
            found.append(None)
            continue
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in YAML_SUFFIXES and p.is_file() and not _excluded(p, path, exclude)
                )
            )
        elif path.exists():
            if not _excluded(path, path.parent, exclude):
                found.append(path)
        else:
            raise InputError(f"{raw}: no such file or folder")
    return found


def read_sources(
    paths: Iterable[str], exclude: tuple[str, ...] = (), stdin: TextIO | None = None
) -> tuple[list[Source], list[Unreadable]]:
    """The text of every input; the files that could not be read, with why."""
    sources: list[Source] = []
    unreadable: list[Unreadable] = []
    for path in input_files(paths, exclude):
        if path is None:
            sources.append(Source(STDIN_NAME, (stdin or sys.stdin).read()))
            continue
        try:
            sources.append(Source(str(path), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            unreadable.append(Unreadable(str(path), "not UTF-8 text"))
        except OSError as error:
            unreadable.append(Unreadable(str(path), error.strerror or str(error)))
    return sources, unreadable


@dataclass(frozen=True)
class SyntaxProblem:
    """Text that is not YAML: where, and what the parser says."""

    source: str
    position: Position
    message: str


class BoundExceeded(yaml.composer.ComposerError):
    """A YAML document refused for its shape (too deep, aliases expanding too far), not for
    its syntax."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses documents nested deeper than MAX_DEPTH, aliases that
    expand beyond MAX_ALIASED_NODES, and aliases inside the node they refer to (a cycle).

    Each composed node's expanded size and height are kept (by identity), so an alias costs
    what the node it names costs, without walking it again: the check is linear in the text.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._aliased = 0
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, height)

    def compose_document(self) -> yaml.Node | None:
        self._depth, self._aliased, self._sizes = 0, 0, {}
        node = super().compose_document()
        self._sizes = {}
        return node

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:
                self._count_alias(target, event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise BoundExceeded(
                None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
            )
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None:
            self._sizes[id(node)] = self._measure(node)
        return node

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """(expanded nodes, height) of a node whose children are all composed."""
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            return 1, 1
        size, height = 1, 0
        for child in children:
            child_size, child_height = self._sizes[id(child)]
            size += child_size
            height = max(height, child_height)
        if height + 1 > MAX_DEPTH:
            raise BoundExceeded(
                None,
                None,
                f"nested deeper than {MAX_DEPTH} levels once its aliases are expanded",
                node.start_mark,
            )
        return size, height + 1

    def _count_alias(self, target: yaml.Node, mark: Any) -> None:
        measured = self._sizes.get(id(target))
        if measured is None:
            raise BoundExceeded(
                None, None, "an alias inside the node its anchor names (a cycle)", mark
            )
        self._aliased += measured[0]
        if self._aliased > MAX_ALIASED_NODES:
            raise BoundExceeded(
                None,
                None,
                f"aliases expand to more than {MAX_ALIASED_NODES} nodes (an alias bomb?)",
                mark,
            )


def documents(source: Source) -> tuple[list[Document], SyntaxProblem | None]:
    """The objects of a source, `kind: List` items one by one; the documents up to a YAML
    error are kept, the error is returned. A document nested deeper than MAX_DEPTH or whose
    aliases expand beyond MAX_ALIASED_NODES is such an error, placed where it happens."""
    found: list[Document] = []
    loader = _BoundedLoader(source.text)
    index = 0
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is None:
                continue
            found.extend(
                _objects(Document(source.name, index, loader.construct_document(node), node))
            )
    except yaml.YAMLError as error:
        return found, _syntax_problem(source, error)
    finally:
        loader.dispose()
    return found, None


def _objects(document: Document) -> Iterator[Document]:
    """A document, or the items of a List (kubectl's `kind: List`, an API's `AlertPolicyList`)."""
    body = document.body
    items = body.get("items") if isinstance(body, dict) else None
    if not (isinstance(items, list) and str(body.get("kind", "")).endswith("List")):
        yield document
        return
    nodes: list[yaml.Node | None] = [None] * len(items)
    if isinstance(document.node, yaml.MappingNode):
        for key, value in document.node.value:
            if _scalar(key) == "items" and isinstance(value, yaml.SequenceNode):
                nodes = list(value.value)
    for item, node in zip(items, nodes, strict=True):
        yield from _objects(Document(document.source, document.index, item, node))


def _syntax_problem(source: Source, error: yaml.YAMLError) -> SyntaxProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    position = Position(mark.line + 1, mark.column + 1) if mark is not None else Position()
    problem = getattr(error, "problem", None) or str(error)
    if isinstance(error, BoundExceeded):
        return SyntaxProblem(source.name, position, f"YAML refused: {problem}")
    message = f"not valid YAML: {problem}"
    if "{{" in source.text:
        message += " (a template, e.g. Helm's? leave it out with --exclude GLOB)"
    return SyntaxProblem(source.name, position, message)
