"""Pure renderers: spec -> Kubernetes objects and configuration files. No I/O."""
