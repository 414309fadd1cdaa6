"""The ``showfloor`` command as a self-hoster uses it, including the README's first steps."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.processes import SHOWFLOOR, free_port, showfloor_server

pytestmark = pytest.mark.integration


def run(args: list[str], env: dict[str, str], stdin: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SHOWFLOOR, *args], env={**os.environ, **env}, input=stdin, text=True,
        capture_output=True, timeout=60, check=False,
    )


@pytest.mark.parametrize(
    "args",
    [[], ["up"], ["serve"], ["db"], ["db", "upgrade"], ["user"], ["user", "create"],
     ["user", "set-role"]],
)
def test_help_everywhere(args: list[str], tmp_path: Path) -> None:
    result = run([*args, "--help"], {"SHOWFLOOR_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "usage: showfloor" in result.stdout


def test_bad_setting_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], {"SHOWFLOOR_VAR_DIR": str(tmp_path),
                                      "SHOWFLOOR_DATABASE_URL": "mysql://nope"})
    assert result.returncode == 2
    assert "SHOWFLOOR_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_commands(tmp_path: Path) -> None:
    env = {"SHOWFLOOR_VAR_DIR": str(tmp_path)}
    assert run(["db", "upgrade"], env).returncode == 0
    created = run(["user", "create", "--email", "Admin@Example.com", "--role", "admin",
                   "--password-stdin"], env, stdin="a sturdy password\n")
    assert created.returncode == 0, created.stderr
    assert "admin@example.com" in created.stdout
    again = run(["user", "create", "--email", "admin@example.com", "--password-stdin"], env,
                stdin="a sturdy password\n")
    assert again.returncode == 2
    assert "set-role" in again.stderr
    weak = run(["user", "create", "--email", "b@example.com", "--password-stdin"], env,
               stdin="short\n")
    assert weak.returncode == 2
    assert "at least" in weak.stderr
    missing = run(["user", "set-role", "--email", "ghost@example.com", "--role", "host"], env)
    assert missing.returncode == 2
    assert "no account" in missing.stderr
    bad_role = run(["user", "set-role", "--email", "admin@example.com", "--role", "king"], env)
    assert bad_role.returncode == 2
    assert "invalid choice" in bad_role.stderr


def test_media_refuses_several_workers(tmp_path: Path) -> None:
    result = run(["serve", "media", "--workers", "2"], {"SHOWFLOOR_VAR_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "--workers 1" in result.stderr


def test_readme_first_steps_against_showfloor_up(tmp_path: Path) -> None:
    """Register, log in, promote to host with the CLI, create a show, add a product."""
    port = free_port()
    env = {"SHOWFLOOR_VAR_DIR": str(tmp_path), "SHOWFLOOR_FRONTEND_DIR": str(tmp_path / "none"),
           "SHOWFLOOR_RTMP_PORT": str(free_port())}
    with showfloor_server(["up", "--port", str(port)], env=env, port=port, log_dir=tmp_path):
        base = f"http://127.0.0.1:{port}"
        home = httpx.get(f"{base}/")
        assert home.status_code == 200
        assert "showfloor is running" in home.text
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        assert httpx.get(f"{base}/schema/openapi.json").status_code == 200

        account = {"email": "host@example.com", "password": "a long password",
                   "display_name": "Host"}
        assert httpx.post(f"{base}/api/v1/auth/register", json=account).status_code == 201
        promoted = run(["user", "set-role", "--email", "host@example.com", "--role", "host"],
                       env)
        assert promoted.returncode == 0, promoted.stderr
        login = httpx.post(f"{base}/api/v1/auth/login",
                           json={"email": account["email"], "password": account["password"]})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        show = httpx.post(f"{base}/api/v1/shows", json={"title": "Friday drop"},
                          headers=headers, follow_redirects=True)
        assert show.status_code == 201, show.text
        product = httpx.post(
            f"{base}/api/v1/shows/{show.json()['id']}/products",
            json={"sku": "TEE-1", "title": "Tee", "price_minor": 2500, "currency": "EUR",
                  "stock": 20},
            headers=headers,
        )
        assert product.status_code == 201, product.text
        assert product.json()["available"] == 20

        metrics = httpx.get(f"{base}/metrics").text
        assert 'showfloor_http_requests_total{app="embedded",method="POST",' \
               'route="/api/v1/shows/{show_id}/products",status="201"} 1.0' in metrics
        assert "showfloor_http_request_duration_seconds_bucket" in metrics
