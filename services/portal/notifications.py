"""Notifications: reminders, escalations and decisions on my cases (being built)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter

from meria.bus import Subscriptions
from meria.runtime import Runtime

router = APIRouter(include_in_schema=False)
subscriptions = Subscriptions()
background: list[Callable[[Runtime], Coroutine[Any, Any, None]]] = []
