"""Pure renderers: spec -> Kubernetes objects and configuration files. No I/O.

One package per component (prometheus, alertmanager, grafana, jaeger), independent of each
other; what they share is in `k8s` (workloads, Services, claims, labels, endpoints) and `rules`
(Prometheus rules and PromQL text). `stack.py` composes them and passes each what it needs of
the others as typed values; `selection.py` decides what a stack selects. See
docs/architecture.md."""
