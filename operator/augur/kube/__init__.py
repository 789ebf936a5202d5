"""Kubernetes I/O: the API client, server-side apply of a stack's objects, object identity,
events.

What is pure about the objects augur owns (labels, owner references) is `augur.render.k8s`;
see docs/architecture.md."""
