"""Reading CRs from files and folders (multi-document YAML), as a GitOps repository holds them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from augur.api.inventory import Inventory
from augur.api.resources import InvalidObject, Problem, is_augur_document, parse_resource
from augur.render.selection import reference_problems

YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Finding:
    """One problem in one document of one file."""

    file: str
    document: int
    kind: str
    namespace: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.document}" if self.document else self.file
        obj = f" {self.kind}/{self.namespace}/{self.name}" if self.kind else ""
        field_path = f" {self.path}:" if self.path else ""
        return f"{where}{obj}:{field_path} {self.message}"


@dataclass
class LoadResult:
    """The valid objects of the input, and everything found wrong."""

    inventory: Inventory = field(default_factory=Inventory)
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    skipped: int = 0
    origin: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Where each object came from: 'Kind/namespace/name' -> (file, document)."""


def yaml_files(paths: Iterable[str]) -> list[Path]:
    """Every YAML file named, or found under a named folder, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{raw}: no such file or folder")
    return found


def _documents(path: Path, result: LoadResult) -> list[tuple[int, Any]]:
    try:
        return list(enumerate(yaml.safe_load_all(path.read_text()), start=1))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        result.findings.append(
            Finding(str(path), 0, "", "", "", "", f"{line}not valid YAML: {error}")
        )
        return []


def load(paths: Iterable[str]) -> LoadResult:
    """Parse and validate every augur object under `paths`; other objects are skipped."""
    result = LoadResult()
    for path in yaml_files(paths):
        for index, doc in _documents(path, result):
            if doc is None:
                continue
            if isinstance(doc, dict) and doc.get("kind") == "Namespace":
                meta = doc.get("metadata") or {}
                result.inventory.namespace_labels[str(meta.get("name"))] = dict(
                    meta.get("labels") or {}
                )
            if not is_augur_document(doc):
                result.skipped += 1
                continue
            result.objects += 1
            try:
                resource = parse_resource(doc)
            except InvalidObject as error:
                result.findings.extend(
                    Finding(
                        str(path), index, error.kind, error.namespace, error.name, p.path, p.message
                    )
                    for p in error.problems
                )
                continue
            key = f"{resource.kind}/{resource.key}"
            if key in result.origin:
                first = result.origin[key]
                result.findings.append(
                    Finding(
                        str(path),
                        index,
                        resource.kind,
                        resource.namespace,
                        resource.name,
                        "metadata.name",
                        f"defined twice (first in {first[0]}:{first[1]})",
                    )
                )
                continue
            result.origin[key] = (str(path), index)
            result.inventory.add(resource)
    result.inventory.sort()
    _add_reference_findings(result)
    return result


def _add_reference_findings(result: LoadResult) -> None:
    for key, problems in reference_problems(result.inventory).items():
        kind, namespace, name = key.split("/")
        file, index = result.origin.get(key, ("<input>", 0))
        result.findings.extend(
            Finding(file, index, kind, namespace, name, p.path, p.message) for p in problems
        )


def problem_findings(result: LoadResult, key: str, problems: list[Problem]) -> list[Finding]:
    """Findings for problems of one object named by 'Kind/namespace/name'."""
    kind, namespace, name = key.split("/")
    file, index = result.origin.get(key, ("<input>", 0))
    return [Finding(file, index, kind, namespace, name, p.path, p.message) for p in problems]
