"""The one exception type the Kubernetes layer raises."""

from __future__ import annotations


class KubeError(Exception):
    """A failed call to the Kubernetes API, with the HTTP status and the server's reason."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{status} {reason}: {message}" if status else message)

    @property
    def not_found(self) -> bool:
        """The object (or its kind) does not exist."""
        return self.status == 404

    @property
    def conflict(self) -> bool:
        """A conflict (another writer, or the object already exists)."""
        return self.status == 409

    @property
    def invalid(self) -> bool:
        """The server refused the object itself (schema, immutable field, admission)."""
        return self.status == 422

    @property
    def permanent(self) -> bool:
        """Retrying the same request cannot succeed (it must change first)."""
        return self.status in (400, 403, 404, 405, 413, 415, 422)
