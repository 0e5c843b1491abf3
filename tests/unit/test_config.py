"""Settings: read from MERIA_* variables, one-line reasons, no development secret in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from meria.config import (
    DEVELOPMENT_SECRET,
    ReaderSettings,
    SettingsError,
    bus_credentials_of,
    derived_nats_password,
    load_settings,
)
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


def test_development_derives_a_nats_password_per_process_from_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MERIA_PUBLISHING_NATS_PASSWORD", raising=False)
    monkeypatch.delenv("MERIA_WEBSITE_NATS_PASSWORD", raising=False)
    publishing = load_settings(PublishingSettings).bus_credentials()
    website = load_settings(WebsiteSettings).bus_credentials()
    assert (publishing.user, website.user) == ("publishing", "website")
    # The same wherever the secret is the same, so `meria run nats` agrees with each process.
    assert publishing == bus_credentials_of("publishing")
    assert publishing.password != website.password
    assert len(publishing.password.get_secret_value()) >= 40
    monkeypatch.setenv("MERIA_SECRET_KEY", "ახმეტის-მერიის-სხვა-საიდუმლო-გასაღები")
    assert load_settings(PublishingSettings).bus_credentials().password != publishing.password
    # A password that is set is the one used.
    monkeypatch.setenv("MERIA_READER_NATS_PASSWORD", "read-only-password-of-the-tail")
    reader = load_settings(ReaderSettings).bus_credentials()
    assert reader.user == "reader"
    assert reader.password.get_secret_value() == "read-only-password-of-the-tail"


def test_production_refuses_a_missing_or_derived_nats_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "x" * 48
    monkeypatch.setenv("MERIA_ENVIRONMENT", "production")
    monkeypatch.setenv("MERIA_SECRET_KEY", secret)
    monkeypatch.setenv("MERIA_TOKEN_KEYSET", "/etc/meria/keys/jwks.json")
    monkeypatch.delenv("MERIA_WEBSITE_NATS_PASSWORD", raising=False)
    settings = load_settings(WebsiteSettings)
    with pytest.raises(SettingsError) as error:
        settings.bus_credentials()
    assert str(error.value) == (
        "MERIA_WEBSITE_NATS_PASSWORD is not set; production gives each process a NATS "
        "password of its own"
    )
    for derived in (
        derived_nats_password(DEVELOPMENT_SECRET, "website"),
        derived_nats_password(secret, "website"),
    ):
        monkeypatch.setenv("MERIA_WEBSITE_NATS_PASSWORD", derived)
        with pytest.raises(
            SettingsError, match=r"^invalid setting MERIA_WEBSITE_NATS_PASSWORD: is derived"
        ):
            load_settings(WebsiteSettings)
    monkeypatch.setenv("MERIA_WEBSITE_NATS_PASSWORD", "short")
    with pytest.raises(SettingsError, match="at least 24 characters"):
        load_settings(WebsiteSettings)
    monkeypatch.setenv("MERIA_WEBSITE_NATS_PASSWORD", "a-long-password-of-the-website-only")
    credentials = load_settings(WebsiteSettings).bus_credentials()
    assert credentials.password.get_secret_value() == "a-long-password-of-the-website-only"
    # The server's configuration reads the same variables, and refuses the same way.
    with pytest.raises(SettingsError, match="MERIA_PUBLISHING_NATS_PASSWORD is not set"):
        bus_credentials_of("publishing")


def test_a_setting_comes_from_the_file_its_file_variable_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As a container is handed its secrets: /run/secrets/<name>, one value per file.
    secret = tmp_path / "publishing_nats_password"
    secret.write_text("ახმეტის-გამოქვეყნების-პაროლი-ფაილიდან\n", encoding="utf-8")
    monkeypatch.delenv("MERIA_PUBLISHING_NATS_PASSWORD", raising=False)
    monkeypatch.setenv("MERIA_PUBLISHING_NATS_PASSWORD_FILE", str(secret))
    settings = load_settings(PublishingSettings)
    password = settings.bus_credentials().password.get_secret_value()
    assert password == "ახმეტის-გამოქვეყნების-პაროლი-ფაილიდან"
    # Given both ways and differently, the process stops rather than guess.
    monkeypatch.setenv("MERIA_PUBLISHING_NATS_PASSWORD", "another-password-set-by-hand")
    with pytest.raises(SettingsError, match="are both set; set one of them"):
        load_settings(PublishingSettings)


def test_a_setting_file_that_cannot_be_read_or_names_no_setting_stops_the_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MERIA_SECRET_KEY", raising=False)
    monkeypatch.setenv("MERIA_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError) as error:
        load_settings(WebsiteSettings)
    assert str(error.value).startswith("invalid setting MERIA_SECRET_KEY_FILE: cannot read")
    monkeypatch.delenv("MERIA_SECRET_KEY_FILE")
    (tmp_path / "port").write_text("9080")
    monkeypatch.delenv("MERIA_WEBSITE_PROT", raising=False)
    monkeypatch.setenv("MERIA_WEBSITE_PROT_FILE", str(tmp_path / "port"))
    with pytest.raises(SettingsError, match="unknown settings MERIA_WEBSITE_PROT"):
        load_settings(WebsiteSettings)


def test_each_test_worker_draws_ports_from_a_slice_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from meria.testing import servers

    slices = []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
        slices.append(servers.ports_of_this_process())
        random.seed(7)  # as Hypothesis seeds it: the ports do not follow
        assert servers.free_port() in slices[-1]
    assert not set(slices[0]) & set(slices[1])
    assert slices[0].start >= 12000 and slices[1].stop <= 32768  # below the ephemeral range
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert servers.ports_of_this_process() == servers.PORTS


def test_temporal_is_reached_over_tls_with_a_certificate_or_an_api_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from temporalio.service import TLSConfig

    from meria.config import Settings
    from meria.temporal import tls_of

    plain = load_settings(Settings)
    assert tls_of(plain) is False
    # Temporal Cloud's API key, from a file as a container is handed it: TLS with the
    # system's CAs.
    (tmp_path / "api-key").write_text("cloud-api-key-of-akhmeta\n")
    monkeypatch.setenv("MERIA_TEMPORAL_API_KEY_FILE", str(tmp_path / "api-key"))
    cloud = load_settings(Settings)
    assert cloud.temporal_api_key is not None
    assert cloud.temporal_api_key.get_secret_value() == "cloud-api-key-of-akhmeta"
    assert tls_of(cloud) == TLSConfig()
    monkeypatch.delenv("MERIA_TEMPORAL_API_KEY_FILE")
    # Mutual TLS: the client's certificate and key, the CA of a cluster of its own.
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(f"-----{name}-----".encode())
    monkeypatch.setenv("MERIA_TEMPORAL_TLS_CA", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("MERIA_TEMPORAL_TLS_CERT", str(tmp_path / "client.pem"))
    monkeypatch.setenv("MERIA_TEMPORAL_TLS_KEY", str(tmp_path / "client.key"))
    monkeypatch.setenv("MERIA_TEMPORAL_TLS_SERVER_NAME", "temporal.akhmeta.internal")
    mutual = tls_of(load_settings(Settings))
    assert mutual == TLSConfig(
        server_root_ca_cert=b"-----ca.pem-----",
        client_cert=b"-----client.pem-----",
        client_private_key=b"-----client.key-----",
        domain="temporal.akhmeta.internal",
    )
    # A certificate without its key is refused, naming both.
    monkeypatch.delenv("MERIA_TEMPORAL_TLS_KEY")
    with pytest.raises(SettingsError, match="MERIA_TEMPORAL_TLS_CERT and MERIA_TEMPORAL_TLS_KEY"):
        load_settings(Settings)


def test_the_streams_replicas_and_a_clusters_servers_come_from_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from meria.bus import Bus
    from meria.bus.streams import stream_configs

    assert {config.num_replicas for config in stream_configs()} == {1}
    monkeypatch.setenv("MERIA_NATS_STREAM_REPLICAS", "3")
    assert load_settings(PublishingSettings).nats_stream_replicas == 3
    assert {config.num_replicas for config in stream_configs(3)} == {3}
    monkeypatch.setenv("MERIA_NATS_STREAM_REPLICAS", "0")
    with pytest.raises(SettingsError, match="MERIA_NATS_STREAM_REPLICAS"):
        load_settings(PublishingSettings)
    bus = Bus("nats://nats-0:4222, nats://nats-1:4222,nats://nats-2:4222", "meria-publishing")
    assert bus.servers == ["nats://nats-0:4222", "nats://nats-1:4222", "nats://nats-2:4222"]
