"""Monitoring: the alert rules are valid and fire on what they are about, and every metric
they and the dashboard use is one the running processes export."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.publishing import PRESS_RELEASE, Desk
from tests.support.stack import running_stack

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
RULES = MONITORING / "meria-alerts.yml"
DASHBOARD = MONITORING / "meria-dashboard.json"
METRIC = re.compile(r"\b(meria_[a-z_]+)")


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: apt-get install prometheus")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def test_the_alert_rules_are_valid_and_fire_on_what_they_are_about() -> None:
    tool = promtool()
    checked = subprocess.run(
        [tool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The rules' own unit tests: each alert fires on its symptom and not on a healthy stack.
    tested = subprocess.run(
        [tool, "test", "rules", "meria-alerts.test.yml"],
        cwd=MONITORING,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def used_metrics() -> set[str]:
    """Every Meria metric the alert rules and the dashboard ask Prometheus for."""
    text = RULES.read_text(encoding="utf-8")
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    names = set(METRIC.findall(text + "\n".join(exprs)))
    return {re.sub(r"_(bucket|sum|count)$", "", name) for name in names}


def exported(metrics_text: str) -> dict[str, list[str]]:
    """Metric families by name (as `# TYPE` gives them), with their sample lines."""
    families: dict[str, list[str]] = {}
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            families.setdefault(line.split()[2], [])
    for line in metrics_text.splitlines():
        if line and not line.startswith("#"):
            name = re.split(r"[{ ]", line, maxsplit=1)[0]
            family = re.sub(r"_(bucket|sum|count|created)$", "", name)
            families.setdefault(family, []).append(line)
    return families


async def test_every_metric_the_rules_and_the_dashboard_use_is_exported(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with (
        running_stack(
            ["publishing", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        # A press release goes through its route to publication.
        editor = Desk(stack, http, "nino.beridze", "editor")
        head = Desk(stack, http, "tamar.gelashvili", "head_of_department")
        document = (await editor.create(PRESS_RELEASE))["id"]
        await editor.submit(document)
        await head.wait_for_stage(document, "department_review")
        assert (await head.decide(document)).status_code == 200
        await editor.wait_for_state(document, "published")

        # `meria backup` has left its note of the last archive.
        backups = stack.shared["var_dir"] / "backups"
        backups.mkdir(parents=True)
        finished = time.time() - 3600
        note = {"archive": "a.tar.gz", "finished_at": finished, "seconds": 1, "size": 1234}
        (backups / "latest.json").write_text(json.dumps(note))

        families: dict[str, list[str]] = {}
        for name in ("publishing", "worker", "website"):
            scraped = await http.get(f"{stack.urls[name]}/metrics")
            assert scraped.status_code == 200
            for family, samples in exported(scraped.text).items():
                families.setdefault(family, []).extend(samples)

    missing = sorted(
        name for name in used_metrics() if name not in families and f"{name}_total" not in families
    )
    assert not missing, f"used in deploy/monitoring but exported by no process: {missing}"

    # The gauges read at scrape time say what is so.
    backup = families["meria_backup_last_success_timestamp_seconds"]
    assert float(backup[0].split()[-1]) == pytest.approx(finished)
    assert 'meria_ready{check="temporal"} 1.0' in families["meria_ready"]
    assert 'meria_dead_letters_open{service="website"} 0.0' in families["meria_dead_letters_open"]
    assert any(line.startswith("meria_tasks_overdue ") for line in families["meria_tasks_overdue"])
    completed = [line for line in families["meria_workflows"] if 'status="Completed"' in line]
    assert completed and float(completed[0].split()[-1]) >= 2  # the document and its task
    latency = [
        line
        for line in families["meria_publication_latency_seconds"]
        if line.startswith("meria_publication_latency_seconds_count")
    ]
    assert latency and float(latency[0].split()[-1]) >= 1
    assert any(
        line.startswith('meria_disk_free_bytes{folder="var"}')
        for line in families["meria_disk_free_bytes"]
    )
