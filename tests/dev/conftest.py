"""Fixtures for the builder's tests: an empty cache and a scripted stand-in for `go`."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

FAKE_GO = r"""#!/bin/sh
# A stand-in for `go`: records its arguments, then plays the part the test scripted.
echo "$*" >> "$FAKE_GO_CALLS"
case "$1 $2" in
  "mod download")
    if [ -n "$FAKE_GO_RESOLVE_ERROR" ]; then echo "$FAKE_GO_RESOLVE_ERROR" >&2; exit 1; fi
    cat "$FAKE_GO_INFO"; exit 0 ;;
  "mod edit") cat "$FAKE_GO_MODJSON"; exit 0 ;;
  "env GOVERSION") echo go1.99.0; exit 0 ;;
  "list -mod=mod") echo "go: downloading example.com/dep v1.0.0"; exit 0 ;;
esac
if [ -n "$FAKE_GO_COMPILE_ERROR" ]; then
  i=0; while [ $i -lt 30 ]; do echo "compile noise $i"; i=$((i+1)); done
  echo "$FAKE_GO_COMPILE_ERROR" >&2; exit 2
fi
out=""; prev=""
for arg in "$@"; do
  if [ "$prev" = "-o" ]; then out="$arg"; fi
  prev="$arg"
done
if [ "$1" = "install" ]; then
  for arg in "$@"; do last="$arg"; done
  name=$(basename "${last%@*}")
  out="$GOBIN/$name"
fi
printf '#!/bin/sh\necho built\n' > "$out"; chmod +x "$out"
echo "example.com/pkg"
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty augur cache folder, used by everything the test calls."""
    root = tmp_path / "cache"
    monkeypatch.setenv("AUGUR_CACHE_DIR", str(root))
    return root


FakeGo = Callable[..., Path]


@pytest.fixture
def fake_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path) -> FakeGo:
    """Put a scripted `go` first on PATH; returns the file its calls are recorded in."""

    def install(
        *,
        info: dict[str, object] | None = None,
        go_mod: dict[str, object] | None = None,
        resolve_error: str = "",
        compile_error: str = "",
    ) -> Path:
        bindir = tmp_path / "fakebin"
        bindir.mkdir(exist_ok=True)
        go = bindir / "go"
        go.write_text(FAKE_GO)
        go.chmod(go.stat().st_mode | stat.S_IEXEC)
        calls = tmp_path / "go-calls.txt"
        dot_info = tmp_path / "v1.0.0.info"  # what the proxy serves: version and release time
        dot_info.write_text(json.dumps({"Version": "v1.0.0", "Time": "2025-07-14T12:00:00Z"}))
        info_file = tmp_path / "info.json"  # what `go mod download -json` prints
        info_file.write_text(
            json.dumps(
                info
                or {
                    "GoMod": str(tmp_path / "target.mod"),
                    "Info": str(dot_info),
                    "Origin": {"Hash": "abc123"},
                }
            )
        )
        mod_file = tmp_path / "mod.json"
        mod_file.write_text(json.dumps(go_mod or {"Module": {"Path": "example.com/x"}}))
        monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
        monkeypatch.setenv("FAKE_GO_CALLS", str(calls))
        monkeypatch.setenv("FAKE_GO_INFO", str(info_file))
        monkeypatch.setenv("FAKE_GO_MODJSON", str(mod_file))
        monkeypatch.setenv("FAKE_GO_RESOLVE_ERROR", resolve_error)
        monkeypatch.setenv("FAKE_GO_COMPILE_ERROR", compile_error)
        return calls

    return install
