"""The supported Python and Django versions are stated once and agree everywhere.

``requires-python`` and the package's classifiers make the claim; the nox matrix sessions,
mypy's and ruff's target versions and the CI workflow's matrix must test exactly that.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = tomllib.loads((ROOT / "packages/strawberry-channels/pyproject.toml").read_text())
REPO = tomllib.loads((ROOT / "pyproject.toml").read_text())
WORKFLOW = (ROOT / ".github/workflows/ci.yml").read_text()


def classifier_versions(prefix: str) -> list[str]:
    return [
        c.removeprefix(prefix)
        for c in PACKAGE["project"]["classifiers"]
        if c.startswith(prefix) and c.removeprefix(prefix).count(".") == 1
    ]


def nox_pythons() -> list[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "PYTHONS" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[attr-defined]
            assert isinstance(value, list)
            return [str(v) for v in value]
    raise AssertionError("noxfile.py defines no PYTHONS")


def workflow_matrix(key: str) -> list[str]:
    match = re.search(rf"^\s+{key}: \[([^\]]*)\]", WORKFLOW, re.MULTILINE)
    assert match, f"the workflow has no {key} matrix"
    return [v.strip().strip('"') for v in match.group(1).split(",")]


def minor(version: str) -> tuple[int, int]:
    major, minor_ = version.split(".")[:2]
    return int(major), int(minor_)


def test_pythons_agree() -> None:
    pythons = classifier_versions("Programming Language :: Python :: ")
    assert pythons == sorted(pythons, key=minor)
    assert PACKAGE["project"]["requires-python"] == f">={pythons[0]}"
    assert nox_pythons() == pythons
    assert workflow_matrix("python") == pythons
    # Type-checked and linted as the oldest supported version.
    assert REPO["tool"]["mypy"]["python_version"] == pythons[0]
    assert REPO["tool"]["ruff"]["target-version"] == "py" + pythons[0].replace(".", "")


def test_djangos_agree() -> None:
    djangos = classifier_versions("Framework :: Django :: ")
    assert djangos == sorted(djangos, key=minor)
    assert f"django>={djangos[0]}" in PACKAGE["project"]["dependencies"]
    assert workflow_matrix("django") == djangos


def test_the_workflow_runs_what_ci_runs() -> None:
    assert "bash .ci/run" in WORKFLOW
    assert "python-version: ${{ matrix.python }}" in WORKFLOW
    assert "DJANGO: ${{ matrix.django }}" in WORKFLOW
    ci_run = (ROOT / ".ci/run").read_text()
    # The README's command, bare (its output may be piped on).
    assert re.search(r"^nox(\s|$)", ci_run, re.MULTILINE)
    pythons = nox_pythons()
    assert f"nox -s tests-{pythons[0]} tests-{pythons[-1]}" in ci_run
