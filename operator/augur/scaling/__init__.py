"""ScalingPolicy evaluation, pure: forecast, recommendation, HPA steering, status and metrics.

No Kubernetes client, kopf or Prometheus client here: the controller reads the history, the
target and the HPA, calls `policy.evaluate_policy`, and carries out what it returns.

The package itself imports nothing: the operator imports `scaling.worker` (a fit worker's
start) and `scaling.inputs` at startup, and the forecast with numpy (`evaluate`, `policy`,
`report`) only once a ScalingPolicy exists. Import the modules: `inputs` (what is read),
`kept` (what the status keeps), `evaluate` and `policy` (one evaluation), `steering` (the
HPA's minimum), `report` (status, Events, metrics), `worker` (a fit worker process).
"""
