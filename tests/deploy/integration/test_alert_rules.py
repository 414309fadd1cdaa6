"""The alert rules through promtool: valid, and firing (or not) on made-up series."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

RULES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "roles" / "prometheus" / "files"


def _promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: deploy/scripts/ensure-system-packages.sh prometheus")
    return promtool


def test_rules_are_valid() -> None:
    result = subprocess.run(
        [_promtool(), "check", "rules", "showfloor.rules.yml"],
        cwd=RULES_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_fire_on_the_situations_they_describe() -> None:
    result = subprocess.run(
        [_promtool(), "test", "rules", "showfloor.rules.test.yml"],
        cwd=RULES_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ensure_system_packages_does_nothing_when_all_are_installed() -> None:
    script = RULES_DIR.parents[2] / "scripts" / "ensure-system-packages.sh"
    result = subprocess.run(
        ["bash", str(script), "coreutils", "bash"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stderr
