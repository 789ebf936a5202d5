"""Kubernetes I/O: the API client, server-side apply of a stack's objects, ownership, events."""
