"""The only code that calls the Kubernetes API: apply, read, list, delete, status, events."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from augur.kube.credentials import Auth, ConfigError, Credentials
from augur.kube.errors import KubeError
from augur.kube.ownership import FIELD_MANAGER, ObjectKey, object_key

_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
_METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json"
"""The object's metadata alone where the server can send it (a rule shard's apply would
otherwise send back, and have parsed, the whole ConfigMap of up to 900 KiB)."""
_TIMEOUT = urllib3.Timeout(connect=5, read=30)
_POOL_MAXSIZE = 16
"""Connections kept per host: the operator applies many objects concurrently from a few
threads."""


@dataclass(frozen=True)
class ResourceInfo:
    """What discovery says about a kind: its plural and whether it is namespaced."""

    plural: str
    namespaced: bool


def _error_from_body(status: int, reason: str, data: bytes | str | None) -> KubeError:
    """The server's Status object as a KubeError (its message, never the request body)."""
    message = reason
    try:
        body = json.loads(data or "{}")
        message = str(body.get("message") or message)
        reason = str(body.get("reason") or reason)
    except (TypeError, ValueError, AttributeError):
        pass
    return KubeError(status, reason, message)


class KubeClient:
    """A thin, thread-safe wrapper of the API: plain dicts in and out, KubeError on failure.

    HTTP through one urllib3 pool; credentials (`augur.kube.credentials`) renewed when due and
    once more after a 401."""

    def __init__(self, credentials: Credentials, field_manager: str = FIELD_MANAGER) -> None:
        self.credentials = credentials
        self.field_manager = field_manager
        self._discovery: dict[str, dict[str, ResourceInfo]] = {}
        self._lock = threading.Lock()
        self._pool: urllib3.PoolManager | None = None
        self._pool_auth: Auth | None = None
        """The Auth whose client certificate the pool's TLS context holds."""

    def close(self) -> None:
        """Release the connection pool."""
        with self._lock:
            if self._pool is not None:
                self._pool.clear()
            self._pool = None

    # -- plumbing ------------------------------------------------------------------------

    def _pool_for(self, auth: Auth) -> urllib3.PoolManager:
        """The pool, built again when the client certificate changed (an exec plugin's)."""
        with self._lock:
            previous = self._pool_auth
            same_certificate = (
                previous is not None and previous.client_certificate == auth.client_certificate
            )
            if self._pool is None or not same_certificate:
                if self._pool is not None:
                    self._pool.clear()
                extra: dict[str, Any] = {}
                if self.credentials.tls_server_name:
                    extra["server_hostname"] = self.credentials.tls_server_name
                self._pool = urllib3.PoolManager(
                    maxsize=_POOL_MAXSIZE,
                    ssl_context=self.credentials.ssl_context(auth),
                    timeout=_TIMEOUT,
                    **extra,
                )
                self._pool_auth = auth
            return self._pool

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
    ) -> Any:
        url = self.credentials.server + path
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        elif payload is not None:
            headers["Content-Type"] = "application/json"
        stale: Auth | None = None
        while True:
            try:
                auth = self.credentials.auth() if stale is None else self.credentials.renew(stale)
                pool = self._pool_for(auth)
            except ConfigError as error:
                raise KubeError(0, "LoginFailed", f"{method} {path}: {error}") from None
            try:
                response = pool.request(
                    method, url, body=payload, headers={**headers, **auth.header()}
                )
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise KubeError(0, "Unreachable", f"{method} {path}: {error}") from None
            if response.status == 401 and stale is None and self.credentials.renewable:
                stale = auth  # a rotated token or an expired exec credential: once more
                continue
            break
        data = response.data
        if not 200 <= int(response.status) <= 299:
            raise _error_from_body(int(response.status), str(response.reason or ""), data)
        return json.loads(data) if data else None

    def resource_info(self, api_version: str, kind: str) -> ResourceInfo:
        """Plural and scope of `kind` (discovered once per apiVersion)."""
        with self._lock:
            known = self._discovery.get(api_version)
        if known is None:
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            listing = self._call("GET", path)
            known = {
                str(item["kind"]): ResourceInfo(str(item["name"]), bool(item["namespaced"]))
                for item in listing.get("resources", [])
                if "/" not in str(item["name"])
            }
            with self._lock:
                self._discovery[api_version] = known
        if kind not in known:
            raise KubeError(404, "NotFound", f"the server has no kind {kind} in {api_version}")
        return known[kind]

    def path(self, key: ObjectKey, *, subresource: str = "", collection: bool = False) -> str:
        """The URL path of an object (or of its collection)."""
        info = self.resource_info(key.api_version, key.kind)
        prefix = (
            f"/api/{key.api_version}" if "/" not in key.api_version else f"/apis/{key.api_version}"
        )
        if info.namespaced and key.namespace:
            prefix += f"/namespaces/{key.namespace}"
        path = f"{prefix}/{info.plural}"
        if not collection:
            path += f"/{key.name}"
        if subresource:
            path += f"/{subresource}"
        return path

    # -- objects -------------------------------------------------------------------------

    def apply(
        self, obj: dict[str, Any], *, force: bool = True, field_manager: str | None = None
    ) -> dict[str, Any]:
        """Server-side apply of `obj` under augur's field manager (or `field_manager`);
        returns the live object's metadata (as a PartialObjectMetadata; the whole object
        from a server that cannot send metadata alone)."""
        key = object_key(obj)
        manager = field_manager or self.field_manager
        result: dict[str, Any] = self._call(
            "PATCH",
            self.path(key),
            body=obj,
            query=[("fieldManager", manager), ("force", "true" if force else "false")],
            content_type="application/apply-patch+yaml",
            accept=_METADATA,
        )
        return result

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        try:
            result: dict[str, Any] = self._call("GET", self.path(key))
        except KubeError as error:
            if error.not_found:
                return None
            raise
        return result

    def get_scale(self, key: ObjectKey) -> dict[str, Any] | None:
        """The scale subresource of a workload, or None when it (or its kind) does not exist."""
        try:
            result: dict[str, Any] = self._call("GET", self.path(key, subresource="scale"))
        except KubeError as error:
            if error.not_found:
                return None
            raise
        return result

    def list_objects(
        self, api_version: str, kind: str, *, namespace: str = "", label_selector: str = ""
    ) -> list[dict[str, Any]]:
        """Objects of a kind (in one namespace, or all), optionally selected by labels."""
        key = ObjectKey(api_version, kind, namespace, "")
        query = [("labelSelector", label_selector)] if label_selector else []
        listing = self._call("GET", self.path(key, collection=True), query=query)
        items: list[dict[str, Any]] = listing.get("items") or []
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def list_metadata(self, api_version: str, kind: str, label_selector: str) -> list[ObjectKey]:
        """Identity and resourceVersion of selected objects in all namespaces, metadata only."""
        return [key for key, _ in self.list_versions(api_version, kind, label_selector)]

    def list_versions(
        self, api_version: str, kind: str, label_selector: str, *, namespace: str = ""
    ) -> list[tuple[ObjectKey, str]]:
        """(identity, resourceVersion) of selected objects in one namespace (or all), metadata
        only."""
        key = ObjectKey(api_version, kind, namespace, "")
        listing = self._call(
            "GET",
            self.path(key, collection=True),
            query=[("labelSelector", label_selector)],
            accept=_METADATA_LIST,
        )
        found = []
        for item in listing.get("items") or []:
            meta = item.get("metadata", {})
            found.append(
                (
                    ObjectKey(
                        api_version, kind, str(meta.get("namespace") or ""), str(meta["name"])
                    ),
                    str(meta.get("resourceVersion", "")),
                )
            )
        return found

    def delete(self, key: ObjectKey, *, propagation: str = "Background") -> bool:
        """Delete an object; False when it was already gone."""
        try:
            self._call(
                "DELETE",
                self.path(key),
                body={
                    "kind": "DeleteOptions",
                    "apiVersion": "v1",
                    "propagationPolicy": propagation,
                },
                content_type="application/json",
            )
        except KubeError as error:
            if error.not_found:
                return False
            raise
        return True

    def patch_status(self, key: ObjectKey, status: dict[str, Any]) -> dict[str, Any]:
        """Merge-patch the status subresource (never the spec: no reconcile follows). Only the
        object's metadata is read back (as PartialObjectMetadata; the whole object from a
        server that cannot): after a burst thousands of statuses are written, and the objects
        are not needed."""
        result: dict[str, Any] = self._call(
            "PATCH",
            self.path(key, subresource="status"),
            body={"status": status},
            content_type="application/merge-patch+json",
            accept=_METADATA,
        )
        return result

    def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """A Secret's base64 `data`, or None when the Secret does not exist."""
        secret = self.get(ObjectKey("v1", "Secret", namespace, name))
        if secret is None:
            return None
        data: dict[str, str] = secret.get("data") or {}
        return data

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create an object (KubeError with conflict when it exists)."""
        key = object_key(obj)
        result: dict[str, Any] = self._call(
            "POST", self.path(key, collection=True), body=obj, content_type="application/json"
        )
        return result
