"""Small promises: secret keys, compression, the AWS credentials merge, the YAML writer."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from augur.api.common import SecretRef
from augur.render.alertmanager import (
    CONFIG_SECRET_KEY,
    AwsCredentialsError,
    AwsProfile,
    compress_config,
    credentials_secret_name,
    decompress_config,
    merge_aws_credentials,
    render_alertmanager_component,
)
from augur.render.alertmanager.credentials import Credentials, CredentialScope, secret_key
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER

GOLDEN = Path(__file__).resolve().parent / "golden"
LoadInputs = Callable[[str], StackInputs]
KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def test_secret_keys_are_unique_where_names_could_run_together() -> None:
    scopes = [
        CredentialScope.of_policy("a", "b.c", "d"),
        CredentialScope.of_policy("a", "b", "c.d"),
        CredentialScope.of_policy("a-b", "c", "d"),
        CredentialScope.of_policy("a", "b-c", "d"),
        CredentialScope.of_policy("a", "b", "c_d"),
        CredentialScope.of_stack("a"),
    ]
    keys = {secret_key(scope, "slack", "api-url") for scope in scopes}
    assert len(keys) == len(scopes)
    assert all(KEY.match(key) for key in keys)


def test_long_secret_keys_stay_valid_and_distinct() -> None:
    long_policy = "p" * 253
    first = secret_key(CredentialScope.of_policy("ns", long_policy, "r" * 128), "email", "x")
    second = secret_key(CredentialScope.of_policy("ns", long_policy, "r" * 127 + "s"), "email", "x")
    assert first != second
    assert len(first) <= 253 and KEY.match(first)


def test_credentials_are_files_under_the_mount_path() -> None:
    files = Credentials(mount_path="/mnt/creds/")
    ref = SecretRef.model_validate({"secretKeyRef": {"name": "slack", "key": "url"}})
    path = files.file(CredentialScope.of_policy("shop", "api", "chat"), "slack", "api-url", ref)
    assert path == "/mnt/creds/shop_api_chat_slack_api-url"
    assert files.secret_keys == {"shop_api_chat_slack_api-url": ("shop/slack", "url")}
    assert credentials_secret_name("platform") == "platform-alertmanager-credentials"


def test_compression_is_deterministic_and_round_trips() -> None:
    text = "route:\n  receiver: x\n" * 1000
    assert compress_config(text) == compress_config(text)
    assert decompress_config(compress_config(text)) == text
    assert len(compress_config(text)) < len(text) / 10
    assert CONFIG_SECRET_KEY.endswith(".gz")


def test_aws_profiles_are_merged_under_their_configured_names() -> None:
    profiles = {
        "a_p_sms_sns_credentials": AwsProfile("a_p_sms_sns_credentials", "alerts"),
        "b_p_sms_sns_credentials": AwsProfile("b_p_sms_sns_credentials", "default"),
    }
    files = {
        "a_p_sms_sns_credentials": "[alerts]\naws_access_key_id = A\naws_secret_access_key = AS\n",
        "b_p_sms_sns_credentials": "[default]\naws_access_key_id = B\naws_secret_access_key = BS\n",
    }
    merged = merge_aws_credentials(profiles, files)
    assert merged == (
        "[a_p_sms_sns_credentials]\naws_access_key_id = A\naws_secret_access_key = AS\n\n"
        "[b_p_sms_sns_credentials]\naws_access_key_id = B\naws_secret_access_key = BS\n\n"
    )
    with pytest.raises(AwsCredentialsError, match=r"no profile \[default\]"):
        merge_aws_credentials(
            {"x": AwsProfile("a_p_sms_sns_credentials", "default")},
            {"a_p_sms_sns_credentials": files["a_p_sms_sns_credentials"]},
        )


def test_a_disabled_alertmanager_renders_nothing(load_inputs: LoadInputs) -> None:
    inputs = load_inputs((GOLDEN / "stack-only.in.yaml").read_text())
    inputs.stack.spec.alertmanager.enabled = False
    output = render_alertmanager_component(inputs)
    assert output.files == {} and output.secret_keys == {}


def test_the_component_writes_the_file_and_lists_the_keys(load_inputs: LoadInputs) -> None:
    inputs = load_inputs((GOLDEN / "shop.in.yaml").read_text())
    output = render_alertmanager_component(inputs)
    assert list(output.files) == ["alertmanager/alertmanager.yml"]
    assert output.files["alertmanager/alertmanager.yml"].startswith(GENERATED_HEADER)
    assert output.secret_keys["shop_api_pagerduty_pagerduty_routing-key"] == (
        "shop/pagerduty",
        "routing-key",
    )
    # Who needs a key is recorded as it is named, never read back from the key.
    assert output.secret_users["shop_api_pagerduty_pagerduty_routing-key"] == "shop/api"
    assert set(output.secret_users) == {k for k in output.secret_keys if k.startswith("shop_")}
    assert "default-receiver_pagerduty_routing-key" in output.secret_keys
