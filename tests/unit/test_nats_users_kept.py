"""`meria run nats` makes the NATS users again only when what they are made from changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from meria import cli


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def authorization() -> str:
        calls.append("made")
        return f"# users, made {len(calls)} times\n"

    monkeypatch.setattr(cli, "nats_authorization", authorization)
    return calls


def test_the_users_are_kept_until_a_setting_changes(
    tmp_path: Path, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "nats.conf"
    cli.write_nats_config(config)
    cli.write_nats_config(config)
    assert made == ["made"]
    assert config.read_text().endswith("# users, made 1 times\n")
    assert config.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600

    # A process's password changes: the users are made again, with it.
    monkeypatch.setenv("MERIA_PORTAL_NATS_PASSWORD", "a-new-password-of-thirty-characters")
    cli.write_nats_config(config)
    assert made == ["made", "made"]
    assert config.read_text().endswith("# users, made 2 times\n")
