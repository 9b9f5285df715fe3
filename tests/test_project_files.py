"""The project's own files agree with the code: README, .gitignore, declared dependencies."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest
from conftest import REPO

from tjcrawl.storage.migrations import SCHEMA_VERSION

README = (REPO / "README.md").read_text("utf-8")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))


def test_the_readme_states_the_schema_version_of_the_code() -> None:
    stated = re.findall(r"version \((\d+) today\)", README)
    assert stated == [str(SCHEMA_VERSION)]


def test_the_manual_install_gets_the_test_tools_before_running_the_tests() -> None:
    block = README.split("## Manual installation", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    extra = next(n for n, line in enumerate(lines) if line == "pip install -e '.[test]'")
    tests = next(n for n, line in enumerate(lines) if line.startswith("python -m pytest"))
    assert extra < tests


@pytest.mark.parametrize(
    "path",
    [
        "archive.db",
        "archive.db-wal",
        "archive.db.lock",
        "articles.csv",
        "articles.jsonl",
        "pages.warc.gz",
        "archive.wacz",
        "report.html",
        ".articles.csv.1234.part",
        "tests/artifacts/article.png",
        "bench/out/extraction.json",
        ".venv-replay/bin/python",
        "tjcrawl/__pycache__/x.pyc",
        ".hypothesis/examples/x",
    ],
)
def test_what_the_readme_and_the_tests_write_is_ignored_by_git(path: str) -> None:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO, check=False
    )
    assert result.returncode == 0, f"{path} is not in .gitignore"


def _declared() -> set[str]:
    names = set()
    for requirement in PYPROJECT["project"]["dependencies"]:
        names.add(_normal(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> dict[str, list[str]]:
    """Top-level module -> the tjcrawl files that import it (absolute imports only)."""
    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "tjcrawl").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                found.setdefault(top, []).append(str(path.relative_to(REPO)))
    return found


def test_every_third_party_module_tjcrawl_imports_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    declared = _declared()
    undeclared = {}
    for module, files in _imported_modules().items():
        if module in sys.stdlib_module_names or module == "tjcrawl" or module == "__future__":
            continue
        providers = {_normal(d) for d in distributions.get(module, [])}
        assert providers, f"{module} (imported by {files[0]}) is not installed"
        if not providers & declared:
            undeclared[module] = (sorted(providers), files[0])
    assert undeclared == {}
