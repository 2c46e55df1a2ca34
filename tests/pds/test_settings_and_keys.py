"""Settings come from an injected environment; keys come from a private file or a setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pds.app import build_services
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
