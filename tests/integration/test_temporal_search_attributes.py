"""`meria temporal search-attributes` gives a namespace of a Temporal cluster Meria's
search attributes, as the Kubernetes migration job runs it against the official server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from typer.testing import CliRunner, Result

from meria.cli import app
from meria.temporal import SEARCH_ATTRIBUTES, connect
from meria.testing.servers import TemporalDevServer


async def test_a_new_namespace_is_given_merias_search_attributes(
    temporal_server: TemporalDevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A namespace of its own, as a cluster's chart makes it: none of Meria's attributes.
    namespace = f"municipality-{uuid.uuid4().hex[:8]}"
    client = await connect(temporal_server.address, "meria")
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace,
            workflow_execution_retention_period=Duration(
                seconds=int(timedelta(days=1).total_seconds())
            ),
        )
    )

    async def custom() -> set[str]:
        found = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        return set(found.custom_attributes)

    assert not set(SEARCH_ATTRIBUTES) & await custom()
    monkeypatch.setenv("MERIA_TEMPORAL_ADDRESS", temporal_server.address)
    monkeypatch.setenv("MERIA_TEMPORAL_NAMESPACE", namespace)
    for _ in range(2):  # the second run finds them there and changes nothing
        result = await run_cli(["temporal", "search-attributes"])
        assert result.exit_code == 0, result.output
        assert f"{namespace}: MeriaKind" in result.output
    assert set(SEARCH_ATTRIBUTES) <= await custom()


async def run_cli(arguments: list[str]) -> Result:
    """The command runs its own event loop: in a thread, beside the test's."""
    return await asyncio.to_thread(CliRunner().invoke, app, arguments)
