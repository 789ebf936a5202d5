"""Jaeger of a stack: its configuration and Kubernetes objects."""
