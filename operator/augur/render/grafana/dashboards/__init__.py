"""Grafana dashboards built as typed data, and the provisioning files that load them."""
