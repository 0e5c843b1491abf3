"""What `meria backup` asks of PostgreSQL's tools for a Temporal server on PostgreSQL, and
how the Temporal dev server is told where its UI lives. The dump itself runs for real in
tests/reliability/test_backup_elsewhere.py; a Temporal server on PostgreSQL cannot run
here (see there), so its databases' dump commands are checked as built."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path
from typing import Any

import fsspec
import pytest

from meria import backup
from meria.config import BackupSettings
from meria.runtime import FileArea
from meria.servers import temporal_dev_server_command

TEMPORAL = "postgresql://temporal:ალაზანი-2026@db.internal:5433/temporal"
VISIBILITY = "postgresql+asyncpg://temporal:ალაზანი-2026@db.internal:5433/temporal_visibility"


def test_each_temporal_database_is_dumped_with_the_password_kept_off_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[list[str], dict[str, str], float]] = []

    def recorded(command: list[str], env: dict[str, str], **kwargs: Any) -> Any:
        ran.append((command, env, kwargs["timeout"]))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup, "_pg_tool", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup.subprocess, "run", recorded)
    plan = backup.Plan(BackupSettings(temporal_database_urls=[TEMPORAL, VISIBILITY]))

    taken = backup._take_temporal(plan, tmp_path)

    assert [command[0] for command, _, _ in ran] == ["/usr/bin/pg_dump"] * 2
    for (command, env, timeout), database in zip(
        ran, ["temporal", "temporal_visibility"], strict=True
    ):
        line = " ".join(command)
        assert f"--file {tmp_path / 'temporal' / database}.pgdump" in line
        assert "--format=custom" in command
        assert f"--host db.internal --port 5433 --username temporal --dbname {database}" in line
        assert "ალაზანი" not in line
        assert env["PGPASSWORD"] == "ალაზანი-2026"
        assert timeout == backup.PG_TOOL_TIMEOUT_SECONDS
    # The manifest names each database without its password.
    assert taken["engine"] == "postgresql"
    assert [entry["file"] for entry in taken["databases"]] == [
        "temporal/temporal.pgdump",
        "temporal/temporal_visibility.pgdump",
    ]
    assert all("ალაზანი" not in entry["url"] for entry in taken["databases"])


def test_a_restore_refuses_a_temporal_database_the_settings_do_not_name(tmp_path: Path) -> None:
    plan = backup.Plan(BackupSettings(temporal_database_urls=[TEMPORAL]))
    taken = {"engine": "postgresql", "databases": [{"file": "temporal/temporal_visibility.pgdump"}]}
    with pytest.raises(backup.BackupError, match="Temporal's temporal_visibility"):
        backup._restore_temporal(plan, taken, tmp_path)


def test_a_file_not_yet_made_at_the_backup_is_not_restored_as_a_folder(tmp_path: Path) -> None:
    local = fsspec.filesystem("file")
    key = tmp_path / "var" / "publishing" / "signing-key.pem"
    area = FileArea("signing-key", local, str(key))
    plan = backup.Plan(BackupSettings(), file_areas={"publishing/signing-key": area})
    taken = backup._take_files("publishing/signing-key", area, tmp_path / "staging")
    assert taken["kind"] == "empty"
    # Something stood there by the time of the restore: it goes, and nothing takes its place.
    key.parent.mkdir(parents=True)
    key.write_text("a key made after the backup")
    backup._restore_files(plan, "publishing/signing-key", taken, tmp_path / "staging")
    assert not key.exists()


def test_a_tool_that_hangs_is_given_up_in_one_line() -> None:
    with pytest.raises(backup.BackupError, match=r"^pg_dump of publishing did not finish in 0.3 s"):
        backup._run(["sleep", "10"], {}, "pg_dump of publishing", timeout=0.3)


def test_the_temporal_ui_is_served_under_the_path_its_address_names() -> None:
    def public_path(ui_port: int | None, path: str) -> list[str]:
        command = temporal_dev_server_command(
            "t.db", port=7233, ui_port=ui_port, ui_public_path=path
        )
        return [value for flag, value in itertools.pairwise(command) if flag == "--ui-public-path"]

    assert public_path(8233, "/ops/temporal/") == ["/ops/temporal"]
    assert public_path(8233, "ops/temporal") == ["/ops/temporal"]
    assert public_path(8233, "/") == []
    assert public_path(8233, "") == []
    # No UI, no path.
    assert public_path(None, "/ops/temporal") == []
