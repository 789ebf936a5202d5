"""Baseline monitoring of the cluster a stack runs in (`spec.clusterMonitoring`): the
exporters' objects (objects.py), the scrape jobs handed to Prometheus (scrape.py), augur's
rules about nodes, pods, workloads, volumes and certificates (rules.py), and the dashboards
handed to Grafana (dashboards/); component.py puts them together."""
