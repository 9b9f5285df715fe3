"""The suite says in one line what is missing when ../shared is not beside the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SHARED_PARTS


def test_without_the_shared_folder_the_suite_stops_with_one_line_naming_it(
    tmp_path: Path,
) -> None:
    tests = tmp_path / "checkout" / "tests"
    tests.mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", tests)
    (tests / "test_anything.py").write_text("def test_anything():\n    pass\n")
    (tmp_path / "shared" / SHARED_PARTS[0]).mkdir(parents=True)  # one part only

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path / "checkout",
        check=False,
    )

    assert run.returncode == 4  # pytest's usage error, not a pass
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert lines == [
        f"ERROR: the tests need {tmp_path / 'shared'} beside this checkout "
        "(missing: extraction-dev, attachments-dev); clone the project next to the shared "
        "folder, as CI does"
    ]
    assert "Traceback" not in run.stdout + run.stderr
