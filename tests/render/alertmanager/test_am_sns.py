"""SNS with credentialsSecretRef: the operator writes the one file AWS_SHARED_CREDENTIALS_FILE
points at, holding only the profile each receiver chose, never a user's whole file."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from augur.dev.processes import free_port
from augur.render.alertmanager import (
    AWS_CREDENTIALS_KEY,
    CREDENTIALS_MOUNT_PATH,
    render_alertmanager_component,
    render_alertmanager_config,
)
from augur.render.alertmanager.credentials import gather_credentials
from augur.render.alertmanager.objects import alertmanager_workload
from augur.render.selection import StackInputs

LoadInputs = Callable[[str], StackInputs]

USER_FILE = """\
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[alerts]
aws_access_key_id = AKIDALERTS
aws_secret_access_key = alerts-secret
aws_session_token = alerts-token

[billing]
aws_access_key_id = AKIDBILLING
aws_secret_access_key = billing-secret
"""

POLICY = """\
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: pay, namespace: shop}
spec:
  alerts:
    - {name: PayDown, severity: critical, expr: 'up{job="pay"} == 0'}
  routing:
    routes:
      - receivers: [sms]
  receivers:
    - name: sms
      sns:
        phoneNumber: "+4915112345678"
        region: eu-central-1
        credentialsSecretRef: {secretKeyRef: {name: aws, key: credentials}}
        profile: alerts
---
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: ops, namespace: team}
spec:
  alerts:
    - {name: OpsDown, severity: critical, expr: 'up{job="ops"} == 0'}
  routing:
    routes:
      - receivers: [sms]
  receivers:
    - name: sms
      sns:
        phoneNumber: "+4915100000000"
        region: eu-central-1
        credentialsSecretRef: {secretKeyRef: {name: aws, key: credentials}}
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def gathered(inputs: StackInputs, files: dict[str, str]) -> Any:
    """What the operator puts in the credentials Secret, from these users' Secrets."""
    output = render_alertmanager_component(inputs)
    sources = {f"{ns}/aws": {"credentials": b64(text)} for ns, text in files.items()}
    return gather_credentials(
        output.secret_keys,
        sources,
        "monitoring/default",
        output.secret_users,
        aws_profiles=output.aws_profiles,
    )


def test_the_merged_file_is_written_under_the_key_the_container_reads(
    load_inputs: LoadInputs,
) -> None:
    inputs = load_inputs(POLICY)
    creds = gathered(inputs, {"shop": USER_FILE, "team": USER_FILE})
    env = alertmanager_workload(inputs, "").containers[0]["env"]
    path = {e["name"]: e.get("value") for e in env}["AWS_SHARED_CREDENTIALS_FILE"]
    assert path == f"{CREDENTIALS_MOUNT_PATH}/{AWS_CREDENTIALS_KEY}"
    assert set(creds.data) == {AWS_CREDENTIALS_KEY}, "no user's file is copied whole"
    merged = base64.b64decode(creds.data[AWS_CREDENTIALS_KEY]).decode()
    config = yaml.safe_load(render_alertmanager_config(inputs.stack, inputs.alert_policies).text())
    profiles = {
        r["name"]: r["sns_configs"][0]["sigv4"]["profile"]
        for r in config["receivers"]
        if "sns_configs" in r
    }
    assert merged == (
        f"[{profiles['shop/pay/sms']}]\n"
        "aws_access_key_id = AKIDALERTS\n"
        "aws_secret_access_key = alerts-secret\n"
        "aws_session_token = alerts-token\n\n"
        f"[{profiles['team/ops/sms']}]\n"
        "aws_access_key_id = AKIDDEFAULT\n"
        "aws_secret_access_key = default-secret\n\n"
    )
    assert "billing" not in merged.lower()
    assert creds.missing == {}


def test_a_file_without_the_profile_is_missing_for_its_policy_only(
    load_inputs: LoadInputs,
) -> None:
    inputs = load_inputs(POLICY)
    only_default = "[default]\naws_access_key_id = X\naws_secret_access_key = Y\n"
    creds = gathered(inputs, {"shop": only_default, "team": "not ini at all"})
    assert creds.missing == {
        "shop/pay": ["key 'credentials' of Secret shop/aws: no profile [alerts]"],
        "team/ops": [
            "key 'credentials' of Secret team/aws: not an AWS credentials file: "
            "File contains no section headers."
        ],
    }
    assert base64.b64decode(creds.data[AWS_CREDENTIALS_KEY]) == b""
    assert "Y" not in repr(creds.missing)


def test_an_unreadable_aws_file_holds_the_merged_file(load_inputs: LoadInputs) -> None:
    inputs = load_inputs(POLICY)
    output = render_alertmanager_component(inputs)
    creds = gather_credentials(
        output.secret_keys,
        {"team/aws": {"credentials": b64(USER_FILE)}},
        "monitoring/default",
        output.secret_users,
        unreadable={"shop/aws": "ServiceUnavailable"},
        aws_profiles=output.aws_profiles,
    )
    assert AWS_CREDENTIALS_KEY in creds.held


class FakeSNS(BaseHTTPRequestHandler):
    """Records the Authorization header of each Publish; answers as SNS does."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        FakeSNS.seen.append({"authorization": self.headers.get("Authorization", ""), "body": body})
        reply = (
            b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
            b"<PublishResult><MessageId>m-1</MessageId></PublishResult>"
            b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_sns() -> Iterator[str]:
    FakeSNS.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSNS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _quick(node: Any, api_url: str) -> None:
    """Notify at once (no group wait), and send SNS requests to the stand-in."""
    if isinstance(node, dict):
        if "group_wait" in node:
            node["group_wait"] = "0s"
        for config in node.get("sns_configs") or []:
            config["api_url"] = api_url
        for value in node.values():
            _quick(value, api_url)
    elif isinstance(node, list):
        for item in node:
            _quick(item, api_url)


@pytest.mark.tools
def test_alertmanager_signs_sns_requests_with_the_chosen_profile(
    load_inputs: LoadInputs, alertmanager_binary: Path, tmp_path: Path, fake_sns: str
) -> None:
    """The real Alertmanager, the mounted Secret as the operator writes it: the Publish is
    signed with the access key of profile [alerts], the profile the receiver chose."""
    inputs = load_inputs(POLICY.split("---")[0])
    mount = tmp_path / "credentials"
    mount.mkdir()
    rendered = render_alertmanager_config(
        inputs.stack, inputs.alert_policies, mount_path=str(mount)
    )
    creds = gathered(inputs, {"shop": USER_FILE})
    for key, value in creds.data.items():
        (mount / key).write_bytes(base64.b64decode(value))
    config = yaml.safe_load(rendered.text())
    _quick(config, fake_sns)
    (tmp_path / "am.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    with (tmp_path / "am.log").open("wb") as log:
        am = subprocess.Popen(
            [
                str(alertmanager_binary),
                f"--config.file={tmp_path / 'am.yml'}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={
                "HOME": str(home),
                "AWS_SHARED_CREDENTIALS_FILE": str(mount / AWS_CREDENTIALS_KEY),
                "AWS_CONFIG_FILE": str(home / "no-config"),
            },
        )
    try:
        alert = [
            {
                "labels": {
                    "alertname": "PayDown",
                    "severity": "critical",
                    "namespace": "shop",
                    "augur_policy": "pay",
                }
            }
        ]
        deadline = time.monotonic() + 60
        posted = False
        while time.monotonic() < deadline and not FakeSNS.seen:
            assert am.poll() is None, (tmp_path / "am.log").read_text()
            try:
                if not posted:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/api/v2/alerts",
                        data=json.dumps(alert).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    urllib.request.urlopen(request, timeout=5).close()
                    posted = True
            except OSError:
                pass
            time.sleep(0.2)
    finally:
        am.terminate()
        am.wait(timeout=20)
    assert FakeSNS.seen, "no SNS request: " + (tmp_path / "am.log").read_text()[-2000:]
    authorization = FakeSNS.seen[0]["authorization"]
    assert "Credential=AKIDALERTS/" in authorization, authorization
    assert "/eu-central-1/sns/aws4_request" in authorization
    assert "Action=Publish" in FakeSNS.seen[0]["body"]
