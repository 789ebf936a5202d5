"""The configuration of a stack's Jaeger v2: an OpenTelemetry Collector configuration with
Jaeger's extensions (OTLP receivers and, when asked, Jaeger Thrift over HTTP and Zipkin; one
storage backend, query, remote sampling, health).

The Elasticsearch password is read from a mounted Secret file (`password_file`), so the
configuration holds no credential."""

from __future__ import annotations

from typing import Any

from augur.api.monitoringstack import JaegerSpec
from augur.render.jaeger.ports import (
    JAEGER_HEALTH_PORT,
    JAEGER_METRICS_PORT,
    JAEGER_QUERY_PORT,
    JAEGER_THRIFT_HTTP_PORT,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    SAMPLING_PORT,
    ZIPKIN_PORT,
)
from augur.render.k8s.workloads import route_prefix
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

Obj = dict[str, Any]

CONFIG_FILE = "jaeger/config.yaml"
"""Where `augur render` writes the configuration, relative to the stack's folder."""
DATA_DIR = "/var/lib/jaeger"
ES_PASSWORD_DIR = "/etc/jaeger/elasticsearch"
ES_PASSWORD_FILE = f"{ES_PASSWORD_DIR}/password"
STORE = "primary"
SAMPLING_GRPC_PORT = 5779
ANY = "0.0.0.0"


def _endpoint(port: int) -> Obj:
    return {"endpoint": f"{ANY}:{port}"}


def _storage_backend(spec: JaegerSpec) -> Obj:
    storage = spec.storage
    if storage.type == "memory":
        return {"memory": {"max_traces": storage.max_traces}}
    if storage.type == "badger":
        return {
            "badger": {
                "directories": {"keys": f"{DATA_DIR}/keys", "values": f"{DATA_DIR}/values"},
                "ephemeral": False,
            }
        }
    es: Obj = {"server_urls": [str(storage.url)]}
    if storage.username is not None or storage.password is not None:
        basic: Obj = {}
        if storage.username is not None:
            basic["username"] = storage.username
        if storage.password is not None:
            basic["password_file"] = ES_PASSWORD_FILE
        es["auth"] = {"basic": basic}
    return {"elasticsearch": es}


def _receivers(spec: JaegerSpec) -> Obj:
    """The trace receivers asked for: OTLP (gRPC, HTTP), Jaeger Thrift over HTTP, Zipkin."""
    receivers: Obj = {}
    protocols: Obj = {}
    if spec.otlp.grpc:
        protocols["grpc"] = _endpoint(OTLP_GRPC_PORT)
    if spec.otlp.http:
        protocols["http"] = _endpoint(OTLP_HTTP_PORT)
    if protocols:
        receivers["otlp"] = {"protocols": protocols}
    if spec.receivers.jaeger_thrift_http:
        receivers["jaeger"] = {"protocols": {"thrift_http": _endpoint(JAEGER_THRIFT_HTTP_PORT)}}
    if spec.receivers.zipkin:
        receivers["zipkin"] = _endpoint(ZIPKIN_PORT)
    return receivers


def _extensions(spec: JaegerSpec) -> Obj:
    return {
        "healthcheckv2": {"use_v2": True, "http": _endpoint(JAEGER_HEALTH_PORT)},
        "jaeger_storage": {"backends": {STORE: _storage_backend(spec)}},
        "jaeger_query": {
            "storage": {"traces": STORE},
            "base_path": route_prefix(spec.ingress) or "/",
            "http": _endpoint(JAEGER_QUERY_PORT),
        },
        "remote_sampling": {
            "file": {"default_sampling_probability": spec.sampling.default_rate},
            "http": _endpoint(SAMPLING_PORT),
            "grpc": _endpoint(SAMPLING_GRPC_PORT),
        },
    }


def _telemetry() -> Obj:
    prometheus = {"host": ANY, "port": JAEGER_METRICS_PORT}
    return {
        "resource": {"service.name": "jaeger"},
        "metrics": {
            "level": "detailed",
            "readers": [{"pull": {"exporter": {"prometheus": prometheus}}}],
        },
        "logs": {"level": "info"},
    }


def render_jaeger_config(spec: JaegerSpec) -> Obj:
    """Jaeger's configuration: the trace receivers, one storage backend, query, sampling,
    health."""
    extensions = _extensions(spec)
    service: Obj = {"extensions": list(extensions)}
    config: Obj = {"extensions": extensions}
    receivers = _receivers(spec)
    if receivers:
        config["receivers"] = receivers
        config["processors"] = {"batch": {}}
        config["exporters"] = {"jaeger_storage_exporter": {"trace_storage": STORE}}
        service["pipelines"] = {
            "traces": {
                "receivers": list(receivers),
                "processors": ["batch"],
                "exporters": ["jaeger_storage_exporter"],
            }
        }
    service["telemetry"] = _telemetry()
    config["service"] = service
    return config


def config_text(spec: JaegerSpec) -> str:
    """The configuration file's text."""
    return GENERATED_HEADER + dump_yaml(render_jaeger_config(spec))
