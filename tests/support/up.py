"""The whole stack as `make run` starts it: `meria migrate`, then `meria up` under one
supervisor, every process on free ports and with its data in a temporary `var/`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from meria.processes import PROCESSES
from meria.testing.servers import free_port

MERIA = str(Path(sys.executable).parent / "meria")
ROOT = Path(__file__).resolve().parents[2]


def up_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a newcomer's `make run`, on free ports and a var/ of its own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    env |= {
        "MERIA_VAR_DIR": str(tmp_path / "var"),
        "MERIA_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        "MERIA_NATS_MONITOR_URL": f"http://127.0.0.1:{free_port()}",
        "MERIA_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "MERIA_TEMPORAL_UI_URL": f"http://127.0.0.1:{free_port()}",
    }
    for name in PROCESSES:
        port = free_port()
        env[f"MERIA_{name.upper()}_PORT"] = str(port)
        env[f"MERIA_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    return env


def migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MERIA, "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


class Stack:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.write_text("")
        self.process = subprocess.Popen(
            [MERIA, "up", "--municipality", str(ROOT / "deploy/municipalities/akhmeta.toml")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process is not None and self.process.poll() is None, self.output()[-3000:]
            assert time.monotonic() < deadline, f"no {text!r} in time:\n{self.output()[-3000:]}"
            time.sleep(0.25)

    def interrupt(self) -> int:
        """Ctrl-C, as a person at the terminal would press it."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
