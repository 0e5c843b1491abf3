"""The case contracts name workflows and their handlers by string, so that a service need
not import the worker: every name they give is one the worker's workflows answer to."""

from __future__ import annotations

import importlib
import pkgutil

import temporalio.workflow

import meria.cases
from meria.cases import Handler
from workflows.worker import WORKFLOWS


def _definitions() -> dict[str, temporalio.workflow._Definition]:
    return {
        definition.name: definition
        for definition in map(temporalio.workflow._Definition.must_from_class, WORKFLOWS)
        if definition.name is not None
    }


def _contract_modules() -> list[object]:
    return [meria.cases] + [
        importlib.import_module(f"meria.cases.{module.name}")
        for module in pkgutil.iter_modules(meria.cases.__path__)
    ]


def test_every_workflow_a_contract_names_runs_on_the_worker() -> None:
    names = {
        value
        for module in _contract_modules()
        for key, value in vars(module).items()
        if key.isupper() and isinstance(value, str) and value.endswith("Workflow")
    }
    assert names
    assert names <= set(_definitions())


def test_every_handler_a_contract_names_is_a_query_or_an_update_of_a_workflow() -> None:
    handlers = [
        value
        for module in _contract_modules()
        for value in vars(module).values()
        if isinstance(value, Handler)
    ]
    known = {
        name
        for definition in _definitions().values()
        for name in (*definition.queries, *definition.updates)
    }
    assert handlers
    assert {handler.name for handler in handlers} <= known
