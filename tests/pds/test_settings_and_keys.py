"""Settings come from an injected environment; keys come from a private file or a setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pds.app import build_services
from pds.cli import main
from pds.keystore import (
    EnvKeyProvider,
    FileKeyProvider,
    KeyConfigurationError,
    dump_key_material,
    generate_key_material,
)
from pds.settings import Environment, load_settings


def test_settings_read_the_given_environment_only(tmp_path: Path) -> None:
    settings = load_settings(
        {"PDS_ENVIRONMENT": "production", "PDS_DATA_DIR": str(tmp_path), "OTHER": "x"}
    )
    assert settings.environment is Environment.PRODUCTION
    assert settings.secure_cookies
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'pds.db'}"
    assert settings.resolved_keyring_file == tmp_path / "keys" / "keyring.json"


def test_bad_setting_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="session_ttl_seconds"):
        load_settings({"PDS_SESSION_TTL_SECONDS": "ten"})


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = load_settings({"PDS_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,::1,"})
    assert [str(network) for network in settings.trusted_proxies] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    assert load_settings({}).trusted_proxies == ()  # the default: trust nobody
    for bad, named in (("10.0.0.1, nginx", "'nginx'"), ("10.0.0.5/24", "host bits set")):
        with pytest.raises(ValueError, match=f"trusted_proxies[\\s\\S]*{named}"):
            load_settings({"PDS_TRUSTED_PROXIES": bad})


def test_trusted_proxies_come_from_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A comma-separated list, not the JSON pydantic-settings expects of a list by default."""
    monkeypatch.setenv("PDS_TRUSTED_PROXIES", "10.0.0.1,10.1.0.0/16")
    assert [str(network) for network in load_settings().trusted_proxies] == [
        "10.0.0.1/32",
        "10.1.0.0/16",
    ]


def test_a_bad_trusted_proxy_stops_the_command_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["migrate"],
        env={"PDS_DATA_DIR": str(tmp_path), "PDS_TRUSTED_PROXIES": "127.0.0.1,proxy.internal"},
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: invalid settings: PDS_TRUSTED_PROXIES: "
        "Value error, not an IP address or CIDR network: 'proxy.internal'"
    )


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "keyring.json")
    provider.save(generate_key_material(development=True))
    assert provider.load().development
    provider.path.chmod(0o644)
    with pytest.raises(KeyConfigurationError, match="chmod 600"):
        provider.load()


def test_missing_or_malformed_keys_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigurationError, match="pds keys init"):
        FileKeyProvider(tmp_path / "none.json").load()
    with pytest.raises(KeyConfigurationError, match="malformed"):
        EnvKeyProvider('{"format": 1}').load()


def test_keys_from_a_setting_and_production_refuses_development_keys(tmp_path: Path) -> None:
    base = {"PDS_DATA_DIR": str(tmp_path), "PDS_ENVIRONMENT": "production"}
    dev = dump_key_material(generate_key_material(development=True))
    with pytest.raises(KeyConfigurationError, match="development keys"):
        build_services(load_settings({**base, "PDS_KEYRING_JSON": dev}))
    prod = dump_key_material(generate_key_material(development=False))
    services = build_services(load_settings({**base, "PDS_KEYRING_JSON": prod}))
    assert not services.keys.material.development
    services.db.dispose()


def test_key_material_repr_never_shows_key_bytes() -> None:
    material = generate_key_material(development=False)
    text = repr(material) + str(material.keyring) + repr(material.signing)
    dumped = json.loads(dump_key_material(material))
    secrets = [*dumped["kek"]["keys"].values(), *dumped["signing"]["keys"].values()]
    secrets.append(dumped["index_key"])
    for secret in secrets:
        assert secret not in text
