"""`augur run`'s flags that are checked before the operator starts."""

from __future__ import annotations

from pathlib import Path

import kopf
import pytest
from click.testing import CliRunner

from augur.cli import main
from augur.commands import run
from augur.controllers.settings import configure


def test_the_webhook_needs_its_certificate_and_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--webhook-listen", "127.0.0.1:9443"])
    assert result.exit_code == 2
    assert "give --webhook-tls-cert and --webhook-tls-key" in result.stderr


def test_the_operator_namespace_comes_from_the_pod_then_the_service_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = tmp_path / "namespace"
    monkeypatch.setattr(run, "SERVICE_ACCOUNT_NAMESPACE", account)
    monkeypatch.delenv("POD_NAMESPACE", raising=False)
    assert run.default_operator_namespace() is None  # outside a cluster
    account.write_text("augur-system\n")
    assert run.default_operator_namespace() == "augur-system"
    monkeypatch.setenv("POD_NAMESPACE", "ops")
    assert run.default_operator_namespace() == "ops"


def test_each_shard_keeps_its_own_finalizer_and_annotations() -> None:
    default, red = kopf.OperatorSettings(), kopf.OperatorSettings()
    configure(default)
    configure(red, "red")
    assert default.persistence.finalizer == "augur.dev/kopf-finalizer"
    assert red.persistence.finalizer == "red.shard.augur.dev/kopf-finalizer"
    progress = red.persistence.progress_storage
    assert isinstance(progress, kopf.AnnotationsProgressStorage)
    assert progress.prefix == "red.shard.augur.dev"


def test_a_shard_name_must_be_a_dns_label() -> None:
    result = CliRunner().invoke(main, ["run", "--shard", "Red_1"])
    assert result.exit_code == 2
    assert "--shard" in result.stderr and "DNS label" in result.stderr
