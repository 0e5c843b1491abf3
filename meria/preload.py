"""`meria up` starts its processes as forks of itself, with the kernel already imported.

Every Meria process imports the same libraries before its own code: FastAPI, SQLAlchemy,
Alembic, pydantic, Temporal's SDK, nats-py, OpenTelemetry, uvicorn. Each import costs a
core seconds, and seven processes importing them at once on two cores was most of the
time a second `make run` took until everything was ready. So `meria up` imports them
once, and honcho's processes are forks of it (copy-on-write) that import only their own
service and run `meria run <process>` as the Procfile says. A fork is a session of its
own, as honcho's children are, so Ctrl-C and honcho's stop reach it the same way; a
Procfile line that is not `meria …` runs in a shell as honcho would run it.
"""

from __future__ import annotations

import importlib
import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable
from typing import IO, Any

from honcho.manager import Manager
from honcho.printer import Printer
from honcho.process import Popen, Process

# What every process imports, in the order their own imports would.
KERNEL = (
    "pydantic",
    "pydantic_settings",
    "sqlalchemy.ext.asyncio",
    "alembic.command",
    "alembic.script",
    "aiosqlite",
    "asyncpg",
    "httpx",
    "nats",
    "temporalio.client",
    "temporalio.worker",
    "fastapi",
    "uvicorn",
    "jinja2",
    "structlog",
    "opentelemetry.sdk.trace",
    "opentelemetry.instrumentation.fastapi",
    "opentelemetry.instrumentation.httpx",
    "opentelemetry.instrumentation.sqlalchemy",
    "meria.config",
    "meria.db",
    "meria.bus",
    "meria.auth",
    "meria.runtime",
    "meria.web",
    "meria.idempotency",
    "meria.dead_letters",
    "meria.temporal",
)


def preload() -> None:
    """Import the kernel into this process, before it forks."""
    for module in KERNEL:
        importlib.import_module(module)


class ForkedChild:
    """What honcho's `Process` asks of its child (`pid`, `stdout`, `wait`, `returncode`),
    forked from this process instead of started afresh."""

    def __init__(self, cmd: str, env: dict[str, str], cwd: str | None = None, **_: Any) -> None:
        argv = shlex.split(cmd)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(read)
            _become(argv[1:], env, cwd, write)
        os.close(write)
        self.pid = pid
        self.stdout: IO[bytes] = os.fdopen(read, "rb")
        self.returncode: int | None = None

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def _become(args: list[str], env: dict[str, str], cwd: str | None, output: int) -> None:
    """In the fork: a session of its own, output to the pipe, the Procfile's environment
    and signals as a new process has them, then `meria <args>`; never returns."""
    code = 1
    try:
        os.setsid()
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        if cwd:
            os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        sys.argv = ["meria", *args]
        from meria.cli import main

        main()
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _child(cmd: str, **options: Any) -> ForkedChild | Popen:
    if shlex.split(cmd)[:1] == ["meria"]:
        return ForkedChild(cmd, **options)
    return Popen(cmd, **options)


class PreloadedProcess(Process):  # type: ignore[misc]
    """A honcho process whose `meria …` command runs in a fork of `meria up`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._child_ctor = _child


class PreloadedManager(Manager):  # type: ignore[misc]
    """honcho's manager, forking its processes from this one, and calling `then` once all
    are forked: a thread started before a fork (one that connects to Temporal, whose
    runtime's threads a fork would not have) must not exist while it forks."""

    def __init__(self, printer: Printer, then: Callable[[], None]) -> None:
        super().__init__(printer)
        self._process_ctor = PreloadedProcess
        self._then = then

    def _start(self) -> None:
        super()._start()
        self._then()
