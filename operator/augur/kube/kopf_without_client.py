"""kopf, imported without the `kubernetes` client package even where that is installed.

kopf imports `kubernetes.client` when it can, only to recognise that package's model objects
(which augur never hands it); the import costs the operator some 17 MiB of memory. Import this
module before anything imports kopf: kopf then takes the package as absent. The package stays
importable afterwards (tests use its models), and if something had imported it already, kopf
is imported as usual."""

from __future__ import annotations

import sys

_HIDDEN = "kubernetes"

if "kopf" not in sys.modules and _HIDDEN not in sys.modules:
    sys.modules[_HIDDEN] = None  # type: ignore[assignment]  # `import kubernetes` fails
    try:
        import kopf  # noqa: F401
    finally:
        if sys.modules.get(_HIDDEN, ...) is None:
            del sys.modules[_HIDDEN]
