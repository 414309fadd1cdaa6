"""The playbook through ansible-lint, --syntax-check and a --check run against this machine.

The --check run uses connection local and changes nothing here; the secrets it generates go to
a temporary credentials folder. It starts when the module starts, so it overlaps the linting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent
ROLES = ("showfloor_common", "postgresql", "redis", "showfloor", "nginx", "prometheus", "grafana")


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(DEPLOY / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    }


def _run_ok(args: list[str], cwd: Path, timeout: float) -> None:
    """Run an ansible tool with the project's environment; it must succeed."""
    result = subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, check=False, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing: pip install ansible-core ansible-lint")
    return str(path)


@pytest.fixture(scope="module")
def check_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    work = tmp_path_factory.mktemp("ansible-check")
    wheel = work / "dist" / "showfloor-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"placeholder: check mode copies nothing")
    frontend = work / "frontend"
    (frontend / "assets").mkdir(parents=True)
    (frontend / "index.html").write_text("<!doctype html>\n")
    process = subprocess.Popen(
        [
            _tool("ansible-playbook"),
            "site.yml",
            "--check",
            "--diff",
            "-i",
            "inventories/single-host/hosts.yml",
            "-e",
            "ansible_host=127.0.0.1",
            "-e",
            "ansible_connection=local",
            # The system Python has python3-apt, which the apt module needs to simulate.
            "-e",
            "ansible_python_interpreter=/usr/bin/python3",
            "-e",
            f"showfloor_credentials_dir={work / 'credentials'}",
            "-e",
            f"showfloor_wheel={wheel}",
            "-e",
            f"showfloor_frontend_dist={frontend}",
        ],
        cwd=DEPLOY,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.credentials = work / "credentials"  # type: ignore[attr-defined]
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate()


def test_ansible_lint_passes_at_the_production_profile(
    check_run: subprocess.Popen[str],
) -> None:
    _run_ok([_tool("ansible-lint"), "--offline", "--profile", "production", "site.yml"],
            DEPLOY, timeout=300)


@pytest.mark.parametrize("inventory", ["single-host", "multi-host"])
def test_playbook_syntax(inventory: str) -> None:
    _run_ok([_tool("ansible-playbook"), "site.yml", "--syntax-check",
             "-i", f"inventories/{inventory}/hosts.yml"], DEPLOY, timeout=120)


def test_check_run_gets_through_every_role(check_run: subprocess.Popen[str]) -> None:
    output, _ = check_run.communicate(timeout=400)
    assert check_run.returncode == 0, output[-6000:]
    recap = output[output.rindex("PLAY RECAP") :]
    assert "failed=0" in recap
    assert "unreachable=0" in recap
    for role in ROLES:
        assert f"TASK [{role} :" in output, f"no task of role {role} ran"
    # The nginx config was rendered from the shared template by ansible itself.
    assert "+++ after: " in output
    assert "proxy_cache_lock on;" in output
    credentials: Path = check_run.credentials  # type: ignore[attr-defined]
    jwt = (credentials / "jwt_secret").read_text().split()[0]
    assert len(jwt) >= 32


def test_ansible_renders_the_same_nginx_config_as_python(tmp_path: Path) -> None:
    from nginx import NginxOptions, render_nginx_config

    rendered = tmp_path / "nginx.conf"
    playbook = tmp_path / "render.yml"
    playbook.write_text(
        f"""
- hosts: localhost
  gather_facts: false
  vars_files: [{DEPLOY}/roles/nginx/defaults/main.yml]
  vars:
    showfloor_domain: localhost
    showfloor_extra_domains: []
    showfloor_private_address: 127.0.0.1
    showfloor_commerce_port: 8081
    showfloor_edge_port: 8082
    showfloor_media_port: 8083
    showfloor_rtmp_port: 1935
    showfloor_frontend_root: /opt/showfloor/frontend
    showfloor_config_dir: /etc/showfloor
  tasks:
    - ansible.builtin.template:
        src: {REPO}/nginx/showfloor.conf.j2
        dest: {rendered}
        mode: "0644"
"""
    )
    _run_ok([_tool("ansible-playbook"), "-c", "local", "-i", "localhost,", str(playbook),
             "-e", f"ansible_python_interpreter={sys.executable}"], tmp_path, timeout=120)
    assert rendered.read_text() == render_nginx_config(NginxOptions())
