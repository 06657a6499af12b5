"""docker/: the compose stack, example env and nginx template agree with the code's settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
SETTINGS = {f"MIAUFLIX_{name.upper()}" for name in Settings.model_fields}
# Variables of the compose files themselves (interpolated by compose, not read by Miauflix).
COMPOSE_ONLY = {
    "MIAUFLIX_SERVER_NAME", "MIAUFLIX_HTTPS_PORT", "MIAUFLIX_HTTP_PORT",
    "MIAUFLIX_PUBLIC_PORT_SUFFIX", "MIAUFLIX_TLS_DIR", "MIAUFLIX_SUBNET", "MIAUFLIX_IMAGE_TAG",
    "MIAUFLIX_PUBLISH_ADDRESS", "MIAUFLIX_VPN_IMAGE", "MIAUFLIX_ENGINE_UPSTREAM",
    "MIAUFLIX_API_UPSTREAM",
}  # fmt: skip


def _compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((DOCKER / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_every_miauflix_variable_in_the_stack_is_a_setting_or_a_compose_variable() -> None:
    text = "".join((DOCKER / n).read_text() for n in ("compose.yaml", "compose.vpn.yaml"))
    names = set(re.findall(r"\bMIAUFLIX_[A-Z0-9_]+", text))
    names |= set(re.findall(r"^(MIAUFLIX_[A-Z0-9_]+)=", (DOCKER / "example.env").read_text(), re.M))
    assert names - SETTINGS - COMPOSE_ONLY == set()


def test_the_stack_wires_shared_limits_trusted_proxies_and_the_engine_url() -> None:
    services = _compose("compose.yaml")["services"]
    api = services["api"]["environment"]
    assert api["MIAUFLIX_RATE_LIMIT_STORAGE_URI"].startswith("redis://")
    assert api["MIAUFLIX_TRUSTED_PROXIES"]
    assert services["engine"]["environment"]["MIAUFLIX_ENGINE_URL"].endswith("/engine")
    assert "PREFECT_API_DATABASE_CONNECTION_URL" in services["prefect-server"]["environment"]
    assert {"api", "engine", "prefect-server", "worker", "postgres", "redis", "nginx"} <= set(
        services
    )


def test_the_vpn_override_puts_the_engine_in_the_tunnel() -> None:
    engine = _compose("compose.vpn.yaml")["services"]["engine"]
    assert engine["network_mode"] == "service:vpn"
    assert engine["environment"]["MIAUFLIX_REQUIRE_VPN"] == "true"
    assert "networks" not in _compose("compose.yaml")["services"]["engine"]


@pytest.mark.parametrize("name", ["compose.yaml", "compose.vpn.yaml"])
def test_every_build_names_an_existing_dockerfile(name: str) -> None:
    for service in _compose(name)["services"].values():
        build = service.get("build")
        if build:
            assert (DOCKER / build["context"] / build["dockerfile"]).is_file()


def test_the_nginx_template_uses_only_the_variables_its_entrypoint_fills() -> None:
    template = (DOCKER / "nginx" / "miauflix.conf.template").read_text()
    entrypoint = (DOCKER / "nginx" / "entrypoint.sh").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)\}", template))
    substituted = set(re.findall(r"\$\{([A-Z_]+)\}", entrypoint.split("envsubst", 1)[1]))
    assert used and used <= substituted


def test_streams_pass_through_nginx_unbuffered_with_ranges() -> None:
    template = (DOCKER / "nginx" / "miauflix.conf.template").read_text()
    engine = template.split("location /engine/", 1)[1].split("}", 1)[0]
    for directive in ("proxy_buffering off;", "proxy_set_header Range $http_range;"):
        assert directive in engine
    assert "ssl http2;" in template and "Strict-Transport-Security" in template
