"""The operator never loads the `kubernetes` package: not itself (it is a test dependency, not
a runtime one) and not through kopf, which imports it whenever it is installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OPERATOR = Path(__file__).resolve().parents[2] / "operator"
PACKAGE = OPERATOR / "augur"


def _fresh(code: str) -> object:
    process = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(OPERATOR), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(process.stdout.splitlines()[-1])


def test_the_operator_loads_no_kubernetes_package() -> None:
    online = sorted(
        ".".join(path.relative_to(OPERATOR).with_suffix("").parts)
        for folder in ("kube", "controllers")
        for path in (PACKAGE / folder).glob("*.py")
        if path.name != "__init__.py"
    )
    code = (
        "import importlib, json, sys\n"
        "import augur.cli, augur.commands.run\n"
        f"for name in {online!r}:\n    importlib.import_module(name)\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'kopf', 'kubernetes'})\n"
        "import kubernetes.client\n"  # still importable by whoever wants it afterwards
        "print(json.dumps(loaded))"
    )
    assert _fresh(code) == ["kopf"]


def test_kopf_is_imported_as_usual_when_kubernetes_was_loaded_first() -> None:
    code = (
        "import json, sys, kubernetes.client\n"
        "import augur.commands.run\n"
        "from kopf._cogs.helpers import thirdparty\n"
        "print(json.dumps(thirdparty.V1ObjectMetaSync is kubernetes.client.V1ObjectMeta))"
    )
    assert _fresh(code) is True


def test_run_works_where_the_package_is_not_installed() -> None:
    """As in the image, which installs the runtime dependencies only."""
    code = (
        "import json, sys\n"
        "sys.modules['kubernetes'] = None  # `import kubernetes` fails, as when not installed\n"
        "from augur.cli import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit as done:\n    code = done.code\n"
        "import augur.controllers.settings, augur.kube.client, augur.kube.credentials\n"
        "print(json.dumps(code))"
    )
    assert _fresh(code) == 0
