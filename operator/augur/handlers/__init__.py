"""kopf handlers, one module per kind plus startup/settings; importing registers them."""

from augur.handlers import alertpolicy, businesskpi, monitoringstack, namespaces, settings
from augur.handlers.registry import registry

__all__ = ["alertpolicy", "businesskpi", "monitoringstack", "namespaces", "registry", "settings"]
