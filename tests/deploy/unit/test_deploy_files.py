"""The deployment's data files agree with each other and with the code that shares them."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from nginx import NginxOptions

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
ROLES = DEPLOY / "roles"
DASHBOARD = ROLES / "grafana" / "files" / "showfloor-dashboard.json"
RULES = ROLES / "prometheus" / "files" / "showfloor.rules.yml"


def load_yaml(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_nginx_role_defines_every_template_variable_with_the_same_default() -> None:
    defaults = load_yaml(ROLES / "nginx" / "defaults" / "main.yml")
    expected = NginxOptions().template_variables()
    role_vars = {k for k in defaults if k in expected or k.startswith("nginx_")}
    role_only = {
        "nginx_template_path",
        "nginx_tls_mode",
        "nginx_tls_dir",
        "nginx_certificate_links",
    }
    assert role_vars - role_only == set(expected)
    for name, value in expected.items():
        role_value = defaults[name]
        if isinstance(role_value, str) and "{{" in role_value:
            continue  # derived from the inventory (addresses, ports, names)
        if isinstance(role_value, list) and any("{{" in str(v) for v in role_value):
            continue
        assert role_value == value, name


def test_every_template_variable_is_a_known_option() -> None:
    source = (Path(__file__).resolve().parents[3] / "nginx" / "showfloor.conf.j2").read_text()
    used = set(re.findall(r"\bnginx_[a-z0-9_]+", source))
    fields = {f"nginx_{f.name}" for f in dataclasses.fields(NginxOptions)}
    assert used <= fields
    assert fields - used == set(), "options that the template never uses"


def test_dashboard_queries_the_provisioned_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    template = (ROLES / "grafana" / "templates" / "datasource.yml.j2").read_text()
    uid = re.search(r"^\s+uid: (\S+)$", template, re.MULTILINE)
    assert uid is not None
    assert dashboard["uid"] == "showfloor-overview"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 12
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["datasource"]["uid"] == uid.group(1), panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
    titles = " ".join(p["title"].lower() for p in panels)
    for topic in (
        "publish",
        "viewers",
        "holds per minute",
        "orders per minute",
        "sold-out",
        "5xx",
        "latency",
        "ingest",
    ):
        assert topic in titles


def test_alert_rules_cover_the_operational_risks() -> None:
    rules = load_yaml(RULES)
    alerts = {
        rule["alert"]: rule
        for group in rules["groups"]  # type: ignore[attr-defined]
        for rule in group["rules"]
    }
    for name in (
        "ShowfloorIngestDown",
        "ShowfloorPartPublishLagHigh",
        "ShowfloorHigh5xxRate",
        "ShowfloorInventoryGateNotReady",
        "ShowfloorHoldSweeperStalled",
        "RedisDown",
        "PostgresqlDown",
    ):
        assert name in alerts
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name


def test_secrets_are_generated_once_on_the_controller() -> None:
    common = (ROLES / "showfloor_common" / "defaults" / "main.yml").read_text()
    for secret in ("jwt_secret", "postgresql_password", "redis_password", "grafana_admin_password"):
        assert f"showfloor_credentials_dir ~ '/{secret}'" in common
    assert "length=64" in common  # the JWT secret is well over the 32 characters required
