"""Kubernetes I/O: server-side apply and pruning of a stack's objects, reading objects and Secrets,
events and conditions.

What is pure about the objects augur owns (labels, owner references) is `augur.render.k8s`;
see docs/architecture.md."""
