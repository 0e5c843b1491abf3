"""What `meria backup` asks of PostgreSQL's tools for a Temporal server on PostgreSQL, and
how the Temporal dev server is told where its UI lives. The dump itself runs for real in
tests/reliability/test_backup_elsewhere.py; a Temporal server on PostgreSQL cannot run
here (see there), so its databases' dump commands are checked as built."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import tarfile
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


def test_a_process_whose_name_no_longer_resolves_counts_as_stopped_for_a_restore() -> None:
    """In a compose stack a stopped service's name leaves the network's DNS: no answer,
    where the restore once failed on the name itself."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    with listening:
        port = listening.getsockname()[1]
        assert backup._answers(f"http://127.0.0.1:{port}")
        plan = backup.Plan(
            BackupSettings(temporal_address="temporal.invalid:7233"),
            process_urls={"publishing": "http://publishing.invalid:8101"},
        )
        backup._refuse_running(plan)
        plan.process_urls["portal"] = f"http://127.0.0.1:{port}"
        with pytest.raises(backup.BackupError, match="portal is running"):
            backup._refuse_running(plan)


@pytest.mark.parametrize("filters", [True, False], ids=["data filter", "no filters"])
def test_an_archive_reaching_outside_its_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filters: bool
) -> None:
    """With Python's "data" filter, or without it (the image's Python, 3.11.2), a member
    outside the folder is refused and nothing is written there."""
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    archive = tmp_path / "meria-backup-bad.tar.gz"
    outside = tmp_path / "outside.txt"
    payload = tmp_path / "payload.txt"
    payload.write_text("written where no archive may write")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(payload, arcname="../outside.txt")
    folder = tmp_path / "unpacked"
    folder.mkdir()
    with pytest.raises(backup.BackupError, match="is not a readable Meria backup"):
        backup.unpack_and_check(archive, folder)
    assert not outside.exists()


def test_a_good_archive_unpacks_without_python_s_filters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    staging = tmp_path / "staging"
    (staging / "databases").mkdir(parents=True)
    (staging / "databases" / "portal.sqlite").write_bytes(b"portal")
    manifest = {"format": backup.FORMAT, "files": {"databases/portal.sqlite": {
        "size": 6, "sha256": backup._sha256(staging / "databases" / "portal.sqlite")}}}  # fmt: skip
    (staging / backup.MANIFEST).write_text(json.dumps(manifest))
    archive = tmp_path / "meria-backup-good.tar.gz"
    backup._write_tar(staging, archive)
    folder = tmp_path / "unpacked"
    folder.mkdir()
    assert backup.unpack_and_check(archive, folder)["files"] == manifest["files"]
    assert (folder / "databases" / "portal.sqlite").read_bytes() == b"portal"


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
