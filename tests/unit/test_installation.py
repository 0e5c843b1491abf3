"""The secrets of a single-server installation: every one the stack needs, made once."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy.engine import make_url

from meria import installation, keys
from meria.config import load_settings
from meria.processes import bus_users
from services.publishing.settings import PublishingSettings


def test_every_secret_the_stack_needs_is_made_in_a_folder_only_its_owner_enters(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "secrets"
    made = installation.generate(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "keys").stat().st_mode) == 0o700
    for name in ["secret_key", "metrics_token", "postgres_password", "publishing_signing_key"]:
        assert name in made
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o444
    # A NATS password per user, a database of its own per service, a key per issuer.
    for user in bus_users():
        assert len((folder / f"nats_{user.name}_password").read_text().strip()) >= 24
    roles = set()
    for name in installation.databases():
        url = make_url((folder / f"{name}_database_url").read_text().strip())
        assert (url.host, url.database) == ("postgres", f"meria_{name}")
        roles.add(url.username)
    assert len(roles) == len(installation.databases()) == 6
    published = json.loads((folder / "keys" / "jwks.json").read_text())
    issuers = {keys.issuer_in_kid(entry["kid"]) for entry in published["keys"]}
    assert issuers == set(keys.ISSUERS)
    pem = (folder / "publishing_signing_key").read_text().encode()
    assert isinstance(load_pem_private_key(pem, password=None), Ed25519PrivateKey)


def test_a_second_run_keeps_every_secret_and_adds_only_what_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    installation.generate(folder)
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    (folder / "metrics_token").chmod(0o600)
    (folder / "metrics_token").unlink()
    assert installation.generate(folder) == ["metrics_token"]
    after = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert {path for path in after} == set(before)
    assert all(after[path] == before[path] for path in before if path.name != "metrics_token")


def test_production_settings_accept_what_was_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "secrets"
    installation.generate(folder)
    # As compose hands them over: a file per setting.
    monkeypatch.setenv("MERIA_ENVIRONMENT", "production")
    for variable, name in [
        ("MERIA_SECRET_KEY", "secret_key"),
        ("MERIA_METRICS_TOKEN", "metrics_token"),
        ("MERIA_PUBLISHING_SIGNING_KEY", "publishing_signing_key"),
        ("MERIA_PUBLISHING_NATS_PASSWORD", "nats_publishing_password"),
        ("MERIA_PUBLISHING_DATABASE_URL", "publishing_database_url"),
    ]:
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv(f"{variable}_FILE", str(folder / name))
    monkeypatch.setenv("MERIA_TOKEN_KEYSET", str(folder / "keys" / "jwks.json"))
    settings = load_settings(PublishingSettings)
    assert settings.production
    assert settings.database_url.startswith("postgresql+asyncpg://meria_publishing:")
    assert settings.bus_credentials().user == "publishing"
