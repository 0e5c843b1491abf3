"""Settings: read from MERIA_* variables, one-line reasons, no development secret in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from meria.config import DEVELOPMENT_SECRET, SettingsError, load_settings
from services.publishing.settings import PublishingSettings
from services.website.settings import WebsiteSettings
from workflows.settings import WorkerSettings


def test_shared_and_own_settings_come_from_their_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MERIA_NATS_URL", "nats://bus.akhmeta.internal:4222")
    monkeypatch.setenv("MERIA_PUBLISHING_PORT", "9101")
    publishing = load_settings(PublishingSettings)
    website = load_settings(WebsiteSettings)
    assert publishing.port == 9101
    assert website.port == 8080
    assert publishing.nats_url == website.nats_url == "nats://bus.akhmeta.internal:4222"
    assert publishing.database_url.endswith("var/publishing.db")


def test_an_invalid_setting_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIA_PUBLISHING_PORT", "eighty")
    with pytest.raises(SettingsError) as error:
        load_settings(PublishingSettings)
    message = str(error.value)
    assert message.startswith("invalid setting MERIA_PUBLISHING_PORT:")
    assert "\n" not in message


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIA_ENVIRONMENT", "production")
    monkeypatch.delenv("MERIA_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="MERIA_SECRET_KEY is the development default"):
        load_settings(PublishingSettings)
    monkeypatch.setenv("MERIA_SECRET_KEY", "too-short")
    with pytest.raises(SettingsError, match="at least 32 characters"):
        load_settings(PublishingSettings)
    monkeypatch.setenv("MERIA_SECRET_KEY", "x" * 48)
    # Tokens are verified with the installation's own key set, never the derived ones.
    with pytest.raises(SettingsError, match="MERIA_TOKEN_KEYSET is not set"):
        load_settings(PublishingSettings)
    monkeypatch.setenv("MERIA_TOKEN_KEYSET", "/etc/meria/keys/jwks.json")
    # Publishing signs publications: production brings the municipality's own key.
    with pytest.raises(SettingsError, match="MERIA_PUBLISHING_SIGNING_KEY is not set"):
        load_settings(PublishingSettings)
    settings = load_settings(WebsiteSettings)
    assert settings.production
    assert settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET
    assert settings.effective_log_format == "json"


def test_an_unknown_variable_stops_a_process_naming_the_closest_known_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MERIA_ENV", "production")
    with pytest.raises(SettingsError) as error:
        load_settings(WebsiteSettings)
    assert str(error.value) == (
        "unknown setting MERIA_ENV (did you mean MERIA_ENVIRONMENT?): no Meria process reads it"
    )
    monkeypatch.delenv("MERIA_ENV")
    monkeypatch.setenv("MERIA_PUBLISHING_PROT", "9101")
    with pytest.raises(SettingsError, match=r"MERIA_PUBLISHING_PROT \(did you mean MERIA_PUB"):
        load_settings(PublishingSettings)


def test_another_processs_variables_and_the_test_harnesss_are_no_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One environment for the whole stack: the worker meets the portal's port, and tests
    # export their own MERIA_TEST_* variables.
    monkeypatch.setenv("MERIA_PORTAL_PORT", "9000")
    monkeypatch.setenv("MERIA_MEDIA_SMTP_HOST", "mail.akhmeta.gov.ge")
    monkeypatch.setenv("MERIA_TEST_DATABASE_URL", "postgresql+asyncpg://127.0.0.1/x")
    settings = load_settings(WorkerSettings)
    assert settings.port == 8105


def test_an_unknown_variable_in_the_env_file_is_refused_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MERIA_WEBSITE_PORT=9080\nMERIA_WEBSITE_PROT=9081\n")
    with pytest.raises(SettingsError, match="unknown setting MERIA_WEBSITE_PROT"):
        load_settings(WebsiteSettings)
