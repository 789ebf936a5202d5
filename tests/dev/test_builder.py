"""The builder: wrapper go.mod generation from plain data, reuse of the cache, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from augur.cli import main
from augur.dev import builder, gomod, toolcache
from augur.dev.tools import (
    TOOLS,
    BuildFailed,
    NoGoToolchain,
    NotEnoughDisk,
    ProxyUnreachable,
    ToolError,
    cached_tool_path,
    selected_tools,
    tool_path,
)

from .conftest import FakeGo

KUBERNETES_MOD = {
    "Module": {"Path": "k8s.io/kubernetes"},
    "Go": "1.24.0",
    "Require": [
        {"Path": "github.com/blang/semver/v4", "Version": "v4.0.0"},
        {"Path": "k8s.io/api", "Version": "v0.0.0"},
        {"Path": "k8s.io/client-go", "Version": "v0.0.0"},
    ],
    "Replace": [
        {"Old": {"Path": "k8s.io/api"}, "New": {"Path": "./staging/src/k8s.io/api"}},
        {"Old": {"Path": "k8s.io/client-go"}, "New": {"Path": "./staging/src/k8s.io/client-go"}},
        {
            "Old": {"Path": "k8s.io/sample-controller"},
            "New": {"Path": "./staging/src/k8s.io/sample-controller"},
        },
    ],
}

PO = "github.com/prometheus-operator/prometheus-operator"

ETCD_SERVER_MOD = {
    "Module": {"Path": "go.etcd.io/etcd/server/v3"},
    "Go": "1.26.0",
    "Require": [
        {"Path": "go.etcd.io/etcd/api/v3", "Version": "v3.5.35"},
        {"Path": "go.etcd.io/etcd/client/v2", "Version": "v2.305.35"},
    ],
    "Replace": [
        {"Old": {"Path": "go.etcd.io/etcd/api/v3"}, "New": {"Path": "../api"}},
        {"Old": {"Path": "go.etcd.io/etcd/client/v2"}, "New": {"Path": "../client/v2"}},
        {"Old": {"Path": "go.etcd.io/etcd"}, "New": {"Path": "./FORBIDDEN_DEPENDENCY"}},
        {"Old": {"Path": "go.etcd.io/tests/v3"}, "New": {"Path": "./FORBIDDEN_DEPENDENCY"}},
    ],
}

PROMETHEUS_MOD = {
    "Module": {"Path": "github.com/prometheus/prometheus"},
    "Go": "1.23.0",
    "Require": [{"Path": "github.com/fsnotify/fsnotify", "Version": "v1.8.0"}],
    "Replace": [
        {
            "Old": {"Path": "github.com/fsnotify/fsnotify", "Version": "v1.8.0"},
            "New": {"Path": "github.com/fsnotify/fsnotify", "Version": "v1.7.0"},
        }
    ],
    "Exclude": [
        {"Path": "github.com/linode/linodego", "Version": "v1.0.0"},
        {"Path": "google.golang.org/api", "Version": "v0.30.0"},
    ],
}


def _wrapper(data: dict[str, object], version: str, twin: str | None = None) -> str:
    return gomod.wrapper_go_mod(
        wrapper_module="augur-tools/x",
        target=gomod.GoMod.from_json(data),
        version=version,
        twin_version=twin,
    )


def test_kubernetes_staging_modules_are_replaced_by_their_published_twins() -> None:
    text = _wrapper(KUBERNETES_MOD, "v1.33.13", twin="v0.33.13")
    assert "module augur-tools/x\n" in text
    assert "go 1.24.0\n" in text
    assert "require k8s.io/kubernetes v1.33.13\n" in text
    assert "\tk8s.io/api => k8s.io/api v0.33.13\n" in text
    assert "\tk8s.io/client-go => k8s.io/client-go v0.33.13\n" in text
    # every staging module, required or not, so nothing can reach a ./staging path
    assert "\tk8s.io/sample-controller => k8s.io/sample-controller v0.33.13\n" in text
    assert "./staging" not in text
    assert "exclude (" not in text


def test_etcd_local_modules_use_the_versions_the_server_requires() -> None:
    text = _wrapper(ETCD_SERVER_MOD, "v3.5.35")
    assert "go 1.26.0\n" in text
    assert "\tgo.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v3.5.35\n" in text
    assert "\tgo.etcd.io/etcd/client/v2 => go.etcd.io/etcd/client/v2 v2.305.35\n" in text
    assert "FORBIDDEN" not in text
    assert "go.etcd.io/tests/v3" not in text
    assert "../" not in text


def test_prometheus_replaces_and_excludes_are_repeated() -> None:
    text = _wrapper(PROMETHEUS_MOD, "v0.305.0")
    assert "require github.com/prometheus/prometheus v0.305.0\n" in text
    assert "\tgithub.com/fsnotify/fsnotify v1.8.0 => github.com/fsnotify/fsnotify v1.7.0\n" in text
    assert "exclude (\n\tgithub.com/linode/linodego v1.0.0\n\tgoogle.golang.org/api v0.30.0\n)" in (
        text
    )


def test_go_directive_is_the_highest() -> None:
    assert gomod.go_directive("1.23.0", "1.21") == "1.23.0"
    assert gomod.go_directive("1.9", "1.21") == "1.21"
    text = gomod.wrapper_go_mod(
        wrapper_module="w",
        target=gomod.GoMod.from_json(PROMETHEUS_MOD),
        version="v0",
        min_go="1.24",
    )
    assert "go 1.24\n" in text


def test_prometheus_operator_wrapper_keeps_its_replaces() -> None:
    """Its go.mod points its own API and client modules at local directories; the wrapper
    keeps both replaces, at the version the operator requires (the release's own)."""
    target = gomod.GoMod.from_json(
        {
            "Module": {"Path": "github.com/prometheus-operator/prometheus-operator"},
            "Go": "1.24.0",
            "Require": [
                {"Path": f"{PO}/pkg/apis/monitoring", "Version": "v0.85.0"},
                {"Path": f"{PO}/pkg/client", "Version": "v0.85.0"},
            ],
            "Replace": [
                {
                    "Old": {"Path": f"{PO}/pkg/apis/monitoring"},
                    "New": {"Path": "./pkg/apis/monitoring"},
                },
                {"Old": {"Path": f"{PO}/pkg/client"}, "New": {"Path": "./pkg/client"}},
            ],
        }
    )
    text = gomod.wrapper_go_mod(wrapper_module="w", target=target, version="v0.85.0")
    assert f"\t{PO}/pkg/apis/monitoring => {PO}/pkg/apis/monitoring v0.85.0\n" in text
    assert f"\t{PO}/pkg/client => {PO}/pkg/client v0.85.0\n" in text
    assert "./pkg" not in text


def test_generated_main_calls_the_entry_point() -> None:
    text = gomod.generated_main_go("go.etcd.io/etcd/server/v3/etcdmain", "Main")
    assert "package main" in text
    assert '"go.etcd.io/etcd/server/v3/etcdmain"' in text
    assert "etcdmain.Main(os.Args)" in text


# --- selection -------------------------------------------------------------------------------


def test_the_test_suite_set_and_the_default_set() -> None:
    for_tests = [tool.name for tool in selected_tools(for_tests=True)]
    assert set(for_tests) == {
        "promtool",
        "amtool",
        "prometheus",
        "alertmanager",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "etcd",
        "kwok",
        "jaeger",
        "helm",
        "node_exporter",
    }
    assert "jaeger" not in [tool.name for tool in selected_tools()]
    assert "prometheus-operator" not in [tool.name for tool in selected_tools()]
    assert "helm" not in [tool.name for tool in selected_tools()]
    assert [tool.name for tool in selected_tools(["jaeger"])] == ["jaeger"]
    with pytest.raises(ToolError, match="Unknown tool 'nope'"):
        selected_tools(["nope"])


# --- the cache -------------------------------------------------------------------------------


def _plant(cache: Path, name: str) -> Path:
    path = toolcache.binary_path(TOOLS[name], cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_a_cached_tool_is_reused_without_go(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert cached_tool_path("amtool") is None
    planted = _plant(cache, "amtool")
    assert planted == cache / "bin" / "amtool-0.28.1"
    assert cached_tool_path("amtool") == planted
    assert tool_path("amtool") == planted


def test_not_built_and_not_allowed_to_build(cache: Path) -> None:
    with pytest.raises(ToolError, match=r"kwok 0\.7\.0 is not built yet: run `augur dev tools"):
        tool_path("kwok", build_missing=False)


# --- errors: one clear sentence --------------------------------------------------------------


def test_no_go_toolchain(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(NoGoToolchain, match=r"^No Go toolchain: `go` is not on PATH"):
        tool_path("promtool")


def test_not_enough_disk(cache: Path) -> None:
    with pytest.raises(NotEnoughDisk, match=r"^Not enough disk to build etcd 3\.5\.35: .* free"):
        builder.check_disk(TOOLS["etcd"], cache, need=1 << 60)


def test_proxy_unreachable(fake_go: FakeGo, cache: Path) -> None:
    fake_go(
        resolve_error="go: github.com/prometheus/alertmanager@v0.28.1: Get "
        '"https://proxy.golang.org/...": dial tcp: lookup proxy.golang.org: no such host'
    )
    with pytest.raises(ProxyUnreachable) as err:
        tool_path("amtool")
    message = str(err.value)
    assert message.startswith("Go module proxy unreachable (GOPROXY=")
    assert "no such host" in message
    assert str(cache / "logs" / "amtool-0.28.1.log") in message
    assert cached_tool_path("amtool") is None


def test_proxy_unreachable_as_go_reports_it_in_json(fake_go: FakeGo, cache: Path) -> None:
    error = (
        'github.com/prometheus/alertmanager@v0.28.1: Get "http://127.0.0.1:9/...": '
        "dial tcp 127.0.0.1:9: connect: connection refused"
    )
    fake_go(
        resolve_error=json.dumps({"Path": "github.com/prometheus/alertmanager", "Error": error})
    )
    with pytest.raises(ProxyUnreachable) as err:
        tool_path("alertmanager")
    assert f"while resolving alertmanager 0.28.1: {error} (full log: " in str(err.value)


def test_version_missing_on_the_proxy(fake_go: FakeGo, cache: Path) -> None:
    fake_go(resolve_error="go: k8s.io/kubernetes@v1.33.99: reading ...: 404 Not Found")
    with pytest.raises(ProxyUnreachable, match=r"k8s\.io/kubernetes@v1\.33\.\d+ is not on the Go"):
        tool_path("kube-scheduler")


def test_build_failed_shows_the_last_lines_and_the_log(fake_go: FakeGo, cache: Path) -> None:
    fake_go(compile_error="main.go:3:1: syntax error: unexpected }")
    with pytest.raises(BuildFailed) as err:
        tool_path("kwok")
    message = str(err.value)
    assert message.startswith("Building kwok 0.7.0 failed while compiling; last lines")
    assert "syntax error: unexpected }" in message
    assert "compile noise 29" in message
    assert "compile noise 0\n" not in message  # only the tail
    assert message.endswith(f"full log: {cache / 'logs' / 'kwok-0.7.0.log'}")


def test_disk_full_during_a_build() -> None:
    error = builder.classify_go_failure(
        TOOLS["etcd"], "compiling", "write /x: no space left on device", Path("/l.log")
    )
    assert isinstance(error, NotEnoughDisk)


# --- a whole build with a scripted go --------------------------------------------------------


def test_direct_install_is_cached_and_recorded(fake_go: FakeGo, cache: Path) -> None:
    calls = fake_go()
    messages: list[str] = []
    path = tool_path("amtool", progress=messages.append)
    assert path == cache / "bin" / "amtool-0.28.1"
    assert path.is_file()
    install = [line for line in calls.read_text().splitlines() if line.startswith("install")]
    assert len(install) == 1
    assert "-p " in install[0] and "-trimpath" in install[0]
    assert "github.com/prometheus/common/version.Version=0.28.1" in install[0]
    assert "github.com/prometheus/common/version.Revision=abc123" in install[0]
    assert install[0].endswith("github.com/prometheus/alertmanager/cmd/amtool@v0.28.1")
    record = json.loads((cache / "bin" / "amtool-0.28.1.json").read_text())
    assert record["tool"] == "amtool" and record["version"] == "0.28.1"
    assert set(record["steps"]) == {"resolving", "compiling"}
    assert any("resolving github.com/prometheus/alertmanager@v0.28.1" in m for m in messages)
    # a second call never runs go again
    before = calls.read_text()
    assert tool_path("amtool") == path
    assert calls.read_text() == before


def test_wrapped_build_writes_the_wrapper_module(fake_go: FakeGo, cache: Path) -> None:
    calls = fake_go(go_mod=KUBERNETES_MOD)
    path = tool_path("kube-apiserver")
    assert path == cache / "bin" / "kube-apiserver-1.33.13"
    src = cache / "src" / "k8s.io_kubernetes-v1.33.13"
    assert "\tk8s.io/api => k8s.io/api v0.33.13\n" in (src / "go.mod").read_text()
    build = [line for line in calls.read_text().splitlines() if line.startswith("build")]
    assert "-X k8s.io/component-base/version.gitVersion=v1.33.13" in build[0]
    assert "-X k8s.io/component-base/version.gitMinor=33" in build[0]
    assert "-X k8s.io/component-base/version.buildDate=2025-07-14T12:00:00Z" in build[0]
    assert "-X k8s.io/component-base/version.gitCommit=abc123" in build[0]
    assert build[0].endswith("k8s.io/kubernetes/cmd/kube-apiserver")


def test_etcd_gets_a_generated_main(fake_go: FakeGo, cache: Path) -> None:
    fake_go(go_mod=ETCD_SERVER_MOD)
    tool_path("etcd")
    src = cache / "src" / "go.etcd.io_etcd_server_v3-v3.5.35-etcd"
    assert "etcdmain.Main(os.Args)" in (src / "main.go").read_text()


# --- the command -----------------------------------------------------------------------------


def test_cli_lists_and_finds_everything_cached(cache: Path) -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["dev", "tools", "--list"])
    assert listing.exit_code == 0, listing.output
    assert "kube-apiserver" in listing.output and "(optional)" in listing.output
    for tool in selected_tools(for_tests=True):
        _plant(cache, tool.name)
    warm = runner.invoke(main, ["dev", "tools", "--build", "--for-tests"])
    assert warm.exit_code == 0, warm.output
    assert "all 12 tools cached" in warm.output


def test_cli_unknown_tool_is_a_usage_error(cache: Path) -> None:
    result = CliRunner().invoke(main, ["dev", "tools", "--build", "nope"])
    assert result.exit_code == 2
    assert "Unknown tool 'nope'" in result.output


def test_cli_failure_is_one_sentence(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(main, ["dev", "tools", "--build", "kwok"])
    assert result.exit_code == 1
    assert "Error: No Go toolchain" in result.output


def test_the_wrapper_go_sum_starts_from_the_targets(
    fake_go: FakeGo, cache: Path, tmp_path: Path
) -> None:
    target_dir = tmp_path / "prometheus@v0.305.0"
    target_dir.mkdir()
    (target_dir / "go.sum").write_text("github.com/dep/a v1.0.0 h1:AAA=\n")
    dot_info = tmp_path / "v0.305.0.info"
    dot_info.write_text('{"Version": "v0.305.0", "Time": "2025-07-14T16:17:09Z"}')
    fake_go(
        info={
            "Path": "github.com/prometheus/prometheus",
            "Version": "v0.305.0",
            "Info": str(dot_info),
            "GoMod": str(tmp_path / "target.mod"),
            "Dir": str(target_dir),
            "Sum": "h1:ZIP=",
            "GoModSum": "h1:MOD=",
        },
        go_mod=PROMETHEUS_MOD,
    )
    tool_path("promtool")
    go_sum = (cache / "src" / "github.com_prometheus_prometheus-v0.305.0" / "go.sum").read_text()
    assert go_sum == (
        "github.com/dep/a v1.0.0 h1:AAA=\n"
        "github.com/prometheus/prometheus v0.305.0 h1:ZIP=\n"
        "github.com/prometheus/prometheus v0.305.0/go.mod h1:MOD=\n"
    )


def test_the_error_tail_skips_package_lists() -> None:
    output = "\n".join(
        [
            "go: downloading example.com/a v1.0.0",
            "x.go:1:2: example.com/a@v1.0.0: verifying module: 404 Not Found",
            *[f"example.com/pkg{i}" for i in range(40)],
        ]
    )
    assert builder.error_tail(output) == [
        "x.go:1:2: example.com/a@v1.0.0: verifying module: 404 Not Found"
    ]
    assert builder.error_tail("a\nb\nc", count=2) == ["b", "c"]


def test_python_m_augur_dev_runs_the_same_command(cache: Path) -> None:
    from augur.dev.__main__ import main as dev_main

    result = CliRunner().invoke(dev_main, ["tools", "--list", "--for-tests"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.output.splitlines()[1:] if line.strip()}
    assert {tool.name for tool in selected_tools(for_tests=True)} <= listed
