"""The cluster dashboards: overview, nodes, workloads and pods."""
