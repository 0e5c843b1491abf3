"""The table of who may call what (docs/access.md) is the routes' declared gates."""

from __future__ import annotations

from pathlib import Path

from meria.access import apps, render, tables

ROOT = Path(__file__).resolve().parents[2]


def test_the_access_table_is_what_the_routes_declare(tmp_path: Path) -> None:
    built = render(tables(apps(var_dir=tmp_path)))
    written = (ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    assert built == written, "docs/access.md is out of date: run `meria access` and review it"


def test_the_workflows_endpoints_admit_the_worker_alone(tmp_path: Path) -> None:
    for service, found in tables(apps(var_dir=tmp_path)).items():
        for rule in found:
            internal = "/transitions" in rule.path or rule.path.endswith(("/case", "/publication"))
            if internal:
                assert rule.kind == "gate" and rule.gate is not None, (service, rule)
                assert rule.gate.roles == () and rule.gate.services == ("worker",), (service, rule)
