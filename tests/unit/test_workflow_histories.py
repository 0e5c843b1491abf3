"""Every recorded workflow history replays on today's code (see tests/histories/record.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.worker import WORKFLOWS, sandbox_runner

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_every_workflow_has_a_recorded_history() -> None:
    recorded = {path.name.split("-", 1)[0] for path in HISTORIES}
    assert recorded >= {
        "document_publication",
        "human_task",
        "delegation_visit",
        "press_conference",
        "meeting",
        "media_response",
        "information_request",
        "digest",
        "page_review",
        "scheduled_unpublish",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = json.loads(path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=sandbox_runner(),
    )
    await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, history))
