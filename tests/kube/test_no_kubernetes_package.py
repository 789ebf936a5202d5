"""The operator never loads the `kubernetes` package: not itself (it is a test dependency, not
a runtime one) and not through kopf, which imports it whenever it is installed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import FreshPython

OPERATOR = Path(__file__).resolve().parents[2] / "operator"
PACKAGE = OPERATOR / "augur"


def test_the_operator_loads_no_kubernetes_package(fresh_python: FreshPython) -> None:
    online = sorted(
        ".".join(path.relative_to(OPERATOR).with_suffix("").parts)
        for folder in ("kube", "controllers")
        for path in (PACKAGE / folder).glob("*.py")
        if path.name != "__init__.py"
    )
    code = (
        "import importlib\n"
        "import augur.cli, augur.commands.run\n"
        f"for name in {online!r}:\n    importlib.import_module(name)"
    )
    assert fresh_python.loaded_after(code, ["kopf", "kubernetes"]) == ["kopf"]
    # still importable by whoever wants it afterwards
    assert fresh_python.loaded_after(f"{code}\nimport kubernetes.client", ["kubernetes"]) == [
        "kubernetes"
    ]


def test_kopf_is_imported_as_usual_when_kubernetes_was_loaded_first(
    fresh_python: FreshPython,
) -> None:
    code = (
        "import json, sys, kubernetes.client\n"
        "import augur.commands.run\n"
        "from kopf._cogs.helpers import thirdparty\n"
        "print(json.dumps(thirdparty.V1ObjectMetaSync is kubernetes.client.V1ObjectMeta))"
    )
    assert fresh_python.run(code) is True


def test_run_works_where_the_package_is_not_installed(fresh_python: FreshPython) -> None:
    """As in the image, which installs the runtime dependencies only."""
    code = (
        "import json, sys\n"
        "sys.modules['kubernetes'] = None  # `import kubernetes` fails, as when not installed\n"
        "from augur.cli import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit as done:\n    code = done.code\n"
        "import augur.controllers.settings, augur.kube.client, augur.kube.credentials\n"
        "print(json.dumps(code))"
    )
    assert fresh_python.run(code) == 0
