"""The `meria` command: run a process, bring up the stack, migrate, seed, check, integrate."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from meria.config import ReaderSettings, Settings, SettingsError, env_name, load_settings
from meria.processes import PROCESSES, SERVERS, ProcessSpec

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "deploy" / "Procfile"
NATS_CONFIG = ROOT / "deploy" / "nats.conf"

app = typer.Typer(
    help="Meria: the Public Relations and International Projects Department's platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
events_app = typer.Typer(help="Watch the event bus.", no_args_is_help=True)
website_app = typer.Typer(help="The public website's read model.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema tools for developers.", no_args_is_help=True)
keys_app = typer.Typer(help="The keys that sign bearer tokens.", no_args_is_help=True)
nats_app = typer.Typer(help="The NATS server's users.", no_args_is_help=True)
secrets_app = typer.Typer(help="The secrets of an installation.", no_args_is_help=True)
temporal_app = typer.Typer(help="The Temporal namespace's setup.", no_args_is_help=True)
municipality_app = typer.Typer(
    help="The municipality Meria serves (its profile, on the bus).", no_args_is_help=True
)
app.add_typer(events_app, name="events")
app.add_typer(nats_app, name="nats")
app.add_typer(db_app, name="db")
app.add_typer(website_app, name="website")
app.add_typer(keys_app, name="keys")
app.add_typer(secrets_app, name="secrets")
app.add_typer(temporal_app, name="temporal")
app.add_typer(municipality_app, name="municipality")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"meria: {message}", err=True)
    return typer.Exit(code)


def quiet_logging(settings: Settings) -> None:
    """Commands print their results on stdout; only warnings go to the log, on stderr."""
    from meria.logging import configure_logging

    configure_logging(settings.model_copy(update={"log_level": "WARNING"}), "cli", sys.stderr)


def _check_process(name: str) -> str:
    if name not in PROCESSES and name not in SERVERS:
        known = ", ".join([*PROCESSES, *SERVERS])
        raise typer.BadParameter(f"unknown process {name!r}; one of: {known}")
    return name


@app.command()
def run(
    process: Annotated[str, typer.Argument(help="A process name, `nats` or `temporal`.")],
    listen: Annotated[
        str | None,
        typer.Option(
            help="The address nats or temporal listens on (default: its URL's host; "
            "0.0.0.0 in a container, where the other processes reach it by name)."
        ),
    ] = None,
) -> None:
    """Run one process in the foreground (what the Procfile and the container image run)."""
    _check_process(process)
    if process in SERVERS:
        _exec_server(process, listen)
        return
    if listen is not None:
        raise fail(f"--listen is for nats and temporal; {process} listens on its HOST setting")
    import uvicorn

    spec = PROCESSES[process]
    settings = load_settings(spec.settings_class())
    application = spec.load().create_app(settings)
    refused: list[str] = []

    def refuse(reason: str) -> None:
        # No municipality installed: the process stops rather than serve without one.
        refused.append(reason)
        server.should_exit = True

    application.state.runtime.on_missing = refuse
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host=settings.host,
            port=settings.port,
            log_config=None,
            lifespan="on",
            proxy_headers=False,
            timeout_graceful_shutdown=10,
        )
    )
    server.run()
    if refused:
        raise fail(refused[0], 1)
    if not server.started:
        raise fail(f"{process} did not start on {settings.host}:{settings.port}", 1)


def _exec_server(name: str, listen: str | None) -> None:
    """Replace this process with nats-server or the Temporal dev server."""
    from urllib.parse import urlsplit

    from meria.servers import binary, temporal_dev_server_command

    settings = load_settings(Settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if name == "nats":
        store = settings.var_dir / "nats"
        store.mkdir(exist_ok=True)
        config = write_nats_config(store / "nats.conf")
        client, monitor = urlsplit(settings.nats_url), urlsplit(settings.nats_monitor_url)
        # The config holds what does not change and the users; addresses and the store
        # follow settings.
        command = [
            binary("nats-server"),
            "-c", str(config),
            "-a", listen or client.hostname or "127.0.0.1",
            "-p", str(client.port or 4222),
            "-m", str(monitor.port or 8222),
            "-sd", str(store),
        ]  # fmt: skip
    else:
        port = settings.temporal_address.rpartition(":")[2]
        # The UI's address may carry a path (http://temporal:8233/ops/temporal): the UI is
        # served under it, as Caddy passes it on.
        ui = urlsplit(settings.temporal_ui_url)
        command = temporal_dev_server_command(
            settings.var_dir / "temporal.db",
            port=int(port),
            ui_port=ui.port or 8233,
            ui_public_path=ui.path,
            ip=listen or "127.0.0.1",
            namespace=settings.temporal_namespace,
        )
    sys.stdout.flush()
    os.execv(command[0], command)


def write_nats_config(path: Path) -> Path:
    """deploy/nats.conf and a user per process, written afresh at each start (readable by
    its owner only), so the users follow the code and the processes' settings.

    Making the users means importing every process's code (their permissions come from
    their subscriptions) and a bcrypt hash per password: seconds that every other process
    waits for. So the users are kept beside the config with a fingerprint of what they
    are made from (Meria's source, the MERIA_* variables, the .env file) and made again
    only when that changes."""
    fingerprint = users_fingerprint()
    kept = path.with_name("users.json")
    users = None
    with contextlib.suppress(OSError, ValueError, KeyError):
        note = json.loads(kept.read_text(encoding="utf-8"))
        if note["fingerprint"] == fingerprint:
            users = str(note["users"])
    if users is None:
        users = nats_authorization()
        _write_private(kept, json.dumps({"fingerprint": fingerprint, "users": users}))
    _write_private(path, f"{NATS_CONFIG.read_text()}\n{users}")
    return path


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


def users_fingerprint() -> str:
    """A digest of everything the NATS users are made from."""
    import hashlib

    from meria.processes import source_digest

    digest = hashlib.sha256(source_digest().encode())
    for name, value in sorted(os.environ.items()):
        if name.upper().startswith("MERIA_"):
            digest.update(f"{name}={value}\0".encode())
    env_file = Path(".env")
    if env_file.is_file():
        digest.update(env_file.read_bytes())
    return digest.hexdigest()


def nats_authorization() -> str:
    from meria.bus import authorization
    from meria.processes import bus_accounts

    heading = "# A user per Meria process, with bcrypt hashes of the passwords in its settings.\n"
    return heading + authorization(bus_accounts())


@temporal_app.command("search-attributes")
def temporal_search_attributes() -> None:
    """Register Meria's search attributes in the namespace, those it lacks (a Temporal
    server started by `meria run temporal` has them already; a cluster of the official
    chart is given them once, by the migration job)."""
    from meria.temporal import SEARCH_ATTRIBUTES, connect_to, register_search_attributes

    settings = load_settings(Settings)

    async def register() -> None:
        client = await connect_to(settings)
        await register_search_attributes(client, settings.temporal_namespace)

    asyncio.run(register())
    typer.echo(f"{settings.temporal_namespace}: {', '.join(SEARCH_ATTRIBUTES)} registered")


@nats_app.command("authorization")
def nats_authorization_command() -> None:
    """Print the users and permissions for a NATS server that `meria run nats` does not
    start (a cluster): a user per process, bcrypt hashes of the passwords set for them."""
    typer.echo(nats_authorization(), nl=False)


@app.command()
def up(
    seed_data: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Seed demo data once all are ready.")
    ] = True,
    wait: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 120.0,
    municipality_file: Annotated[
        Path | None,
        typer.Option(
            "--municipality",
            help="A profile (TOML) to install as NATS comes up, if none is installed yet.",
        ),
    ] = None,
) -> None:
    """Start the whole stack under one supervisor; Ctrl-C stops it all."""
    from honcho.environ import parse_procfile
    from honcho.printer import Printer

    settings = load_settings(Settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    procfile = parse_procfile(PROCFILE.read_text())
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }

    def announce() -> None:
        from meria.status import wait_until_ready

        ready = asyncio.run(wait_until_ready(settings, timeout=wait))
        if not ready:
            print("meria: not everything became ready; see `meria status`", flush=True)
            return
        if seed_data:
            from meria.seed import seed_all

            try:
                asyncio.run(seed_all(settings))
            except Exception as error:
                print(f"meria: seeding failed: {error}", flush=True)
        print(urls_text(settings), flush=True)

    if municipality_file is not None:
        from meria import municipality

        try:
            profile = municipality.load(municipality_file)
        except municipality.MunicipalityError as error:
            raise fail(str(error)) from None

        def install_first() -> None:
            # As NATS comes up, before the processes give up waiting for a profile.
            try:
                installed = asyncio.run(
                    _with_installer(lambda js: municipality.write_if_missing(js, profile))
                )
            except (Exception, typer.Exit) as error:
                print(f"meria: the municipality was not installed: {error!r}", flush=True)
                return
            if installed:
                print(f"meria: installed {profile.city_hall('en')}", flush=True)

        threading.Thread(target=install_first, name="municipality", daemon=True).start()

    from meria.preload import PreloadedManager, preload

    # The processes are forks of this one, with what they all import imported once; the
    # announcement starts once all are forked.
    preload()
    manager = PreloadedManager(
        Printer(sys.stdout, colour=sys.stdout.isatty()),
        then=threading.Thread(target=announce, name="announce", daemon=True).start,
    )
    for name, command in procfile.processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    manager.loop()
    sys.exit(manager.returncode)


def urls_text(settings: Settings) -> str:
    from services.portal.seed import demo_accounts_text

    lines = [
        "",
        "Meria is up.",
        f"  Staff portal      {settings.portal_url}/",
        *([demo_accounts_text()] if not settings.production else []),
        f"  Public website    {settings.website_url}/   (English: {settings.website_url}/en/)",
        f"  Temporal UI       {settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}",
        "  API docs:",
    ]
    for name in ("publishing", "events", "visits", "media"):
        url = getattr(settings, f"{name}_url")
        lines.append(f"    {name:<15} {url}/docs")
    lines += [
        f"  NATS              {settings.nats_url}  (monitoring {settings.nats_monitor_url})",
        "  API token         .venv/bin/meria token --user you --role editor",
        "  Stop with Ctrl-C; `make status` checks readiness.",
        "",
    ]
    return "\n".join(lines)


@app.command()
def status(
    wait: Annotated[
        float, typer.Option(help="Wait up to this many seconds for everything to be ready.")
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print each process's readiness; exit 0 only when all are ready."""
    from meria.status import check_all, wait_until_ready

    settings = load_settings(Settings)
    if wait > 0:
        asyncio.run(wait_until_ready(settings, timeout=wait))
    results = asyncio.run(check_all(settings))
    if as_json:
        typer.echo(json.dumps([result.__dict__ for result in results], ensure_ascii=False))
    else:
        for result in results:
            mark = "ready" if result.ready else "NOT READY"
            detail = f"  {result.detail}" if result.detail and not result.ready else ""
            typer.echo(f"{result.name:<11} {mark:<10} {result.url}{detail}")
    if not all(result.ready for result in results):
        raise typer.Exit(1)


@app.command()
def health(
    process: Annotated[
        str | None,
        typer.Argument(help="The process to probe; default: the one this container runs."),
    ] = None,
    ready: Annotated[
        bool, typer.Option("--ready", help="Ask /healthz/ready: its database, NATS, Temporal.")
    ] = False,
) -> None:
    """Exit 0 when a process on this machine is alive: a Meria process answers
    /healthz/live (or /healthz/ready), nats its monitoring /healthz, Temporal its
    namespace (a container's health check)."""
    from meria.status import probe_live

    name = _check_process(process or _container_process())
    try:
        detail = asyncio.run(probe_live(name, ready=ready))
    except SettingsError:
        raise
    except Exception as error:
        raise fail(f"{name} is not {'ready' if ready else 'alive'}: {error}", 1) from None
    typer.echo(f"{name}: {'ready' if ready else 'alive'} ({detail})")


def _container_process() -> str:
    """What `meria run` runs as this container's first process."""
    try:
        arguments = Path("/proc/1/cmdline").read_bytes().decode().split("\0")
    except OSError:
        arguments = []
    if "run" in arguments[:-1]:
        return arguments[arguments.index("run") + 1]
    raise fail("name the process: PID 1 is not `meria run <process>`")


@app.command()
def migrate(
    processes: Annotated[
        list[str] | None, typer.Argument(help="Processes to migrate; all when none given.")
    ] = None,
) -> None:
    """Bring each service's database to the newest schema."""
    from meria.db import Database
    from meria.db import migrate as upgrade

    async def run_all() -> None:
        for name in processes or list(PROCESSES):
            spec = PROCESSES[_check_process(name)]
            versions = _migrations_of(spec)
            if versions is None:
                continue  # a process without a database (the worker)
            current = _already_current(spec, versions)
            if current is not None:
                typer.echo(f"{name}: migrated ({current}, already at the newest revision)")
                continue
            parts = spec.parts()
            if parts.metadata is None or parts.migrations is None:
                continue
            settings = load_settings(spec.settings_class())
            database = Database(settings.database_url)
            try:
                await upgrade(database, parts.migrations, parts.metadata)
            finally:
                await database.dispose()
            typer.echo(f"{name}: migrated ({database.url.render_as_string(hide_password=True)})")

    asyncio.run(run_all())


@db_app.command("provision")
def provision(
    superuser_url_file: Annotated[
        Path,
        typer.Option(help="A file holding the PostgreSQL superuser's URL (postgresql://…)."),
    ],
    wait: Annotated[float, typer.Option(help="Seconds to wait for the server.")] = 120.0,
) -> None:
    """Create each service's PostgreSQL role and database as its DATABASE_URL names them
    (once, before `meria migrate`; harmless to repeat: a role's password follows the URL)."""
    from meria import provision as provisioning

    try:
        superuser_url = superuser_url_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise fail(f"cannot read {superuser_url_file}: {error.strerror}") from None

    async def run_all() -> None:
        targets = []
        for spec in PROCESSES.values():
            if spec.parts().metadata is None:
                continue
            settings_class = spec.settings_class()
            url = load_settings(settings_class).database_url
            targets.append(provisioning.target_of(url, env_name(settings_class, "database_url")))
        connection = await provisioning.connect(superuser_url, wait)
        try:
            for target in targets:
                done = await provisioning.provision(connection, target)
                made = "created" if done.created else "kept"
                typer.echo(f"{done.database}: {made}, owned by {done.role}")
        finally:
            await connection.close()

    try:
        asyncio.run(run_all())
    except provisioning.ProvisionError as error:
        raise fail(str(error), 1) from None


def _migrations_of(spec: ProcessSpec) -> Path | None:
    """The migrations beside a process's module (as its ServiceParts name them), found
    without importing the process's code, which is most of what `meria migrate` would
    cost on a second `make run`; None for a process without a database."""
    import importlib.util

    found = importlib.util.find_spec(spec.module)
    if found is None or found.origin is None:
        return None
    versions = Path(found.origin).parent / "migrations"
    return versions if versions.is_dir() else None


def _already_current(spec: ProcessSpec, versions: Path) -> str | None:
    """The database's URL when it is a SQLite file already at the newest revision, None
    when it may need migrating."""
    import sqlite3

    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url

    from meria.db import alembic_config

    url = make_url(load_settings(spec.settings_class()).database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    if not Path(url.database).is_file():
        return None
    head = ScriptDirectory.from_config(alembic_config(versions, "")).get_current_head()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(url) if row is not None and row[0] == head else None


@app.command()
def backup(
    folder: Annotated[
        Path | None, typer.Option("--to", help="Where the archive goes (MERIA_BACKUP_DIR).")
    ] = None,
) -> None:
    """Take every database, the bus's streams, the stored files and Temporal's state into
    one dated archive with a manifest of checksums (while the stack runs)."""
    from meria.backup import BackupError, plan_from_settings, take_backup

    try:
        plan = plan_from_settings()
        quiet_logging(plan.settings)
        archive, manifest = asyncio.run(take_backup(plan, folder))
    except BackupError as error:
        raise fail(str(error), 1) from None
    size = archive.stat().st_size
    streams = ", ".join(
        f"{name} ({each['messages']})" for name, each in manifest["streams"].items()
    )
    typer.echo(f"databases: {', '.join(manifest['databases']) or 'none'}")
    typer.echo(f"streams: {streams or 'none'}")
    typer.echo(f"files: {sum(each['count'] for each in manifest['file_areas'].values())}")
    typer.echo(f"temporal: {manifest['temporal']['engine']}")
    typer.echo(f"wrote {archive} ({size / 1e6:.1f} MB)")


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive `meria backup` wrote.")],
) -> None:
    """Put a backup back, replacing every database, stream, stored file and Temporal's
    state. The archive is checked first; the stack must be stopped, NATS alone running."""
    from meria.backup import BackupError, plan_from_settings, restore_backup

    try:
        plan = plan_from_settings()
        quiet_logging(plan.settings)
        done = asyncio.run(restore_backup(plan, archive))
    except BackupError as error:
        raise fail(str(error), 1) from None
    typer.echo(f"restored the backup of {done.created_at}")
    typer.echo(f"databases: {', '.join(done.databases)}; streams: {', '.join(done.streams)}")
    typer.echo(f"files: {', '.join(done.file_areas)}; temporal: {done.temporal}")
    typer.echo("now run `meria migrate`, then start the stack")


@db_app.command("revision")
def revision(
    process: Annotated[str, typer.Argument(help="The service whose schema changed.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    from meria.db import Database, make_revision
    from meria.db import migrate as upgrade

    spec = PROCESSES[_check_process(process)]
    parts = spec.parts()
    if parts.metadata is None or parts.migrations is None:
        raise fail(f"{process} has no database")
    settings = load_settings(spec.settings_class())

    async def revise() -> None:
        database = Database(settings.database_url)
        try:
            await upgrade(database, parts.migrations, parts.metadata)  # type: ignore[arg-type]
            await make_revision(database, parts.migrations, parts.metadata, message)  # type: ignore[arg-type]
        finally:
            await database.dispose()

    asyncio.run(revise())


async def _with_installer(work: Any) -> Any:
    """Run `work(js)` connected to NATS as the installer (a few tries while it starts)."""
    from meria.bus import Bus
    from meria.config import InstallerSettings

    settings = load_settings(InstallerSettings)
    quiet_logging(settings)
    bus = Bus(settings.nats_url, "meria-installer", settings.bus_credentials())
    try:
        async with asyncio.timeout(30):
            await bus.connect()
    except TimeoutError:
        raise fail(f"NATS at {settings.nats_url} did not answer within 30 s", 1) from None
    try:
        return await work(bus.js)
    finally:
        await bus.close()


def install_municipality(path: Path, *, if_missing: bool = False) -> None:
    """Read, check and install the profile at `path` for every process (with
    `if_missing`, only when none is installed yet)."""
    from meria import municipality

    try:
        profile = municipality.load(path)
    except municipality.MunicipalityError as error:
        raise fail(str(error)) from None
    if if_missing:
        made = asyncio.run(_with_installer(lambda js: municipality.write_if_missing(js, profile)))
        if not made:
            typer.echo("kept the municipality already installed")
            return
        typer.echo(f"installed {profile.city_hall('en')} ({profile.code})")
        return
    revision = asyncio.run(_with_installer(lambda js: municipality.write(js, profile)))
    municipality.install(profile)
    typer.echo(f"installed {profile.city_hall('en')} ({profile.code}), revision {revision}")


def _ask_for_profile() -> Path:
    from meria.municipality import PROFILES

    known = sorted(path.stem for path in PROFILES.glob("*.toml"))
    typer.echo(f"Profiles shipped with Meria: {', '.join(known)} (in {PROFILES})")
    answer = typer.prompt("The municipality's profile (a code above, or a TOML file)")
    return PROFILES / f"{answer}.toml" if answer in known else Path(answer)


@municipality_app.command("set")
def municipality_set(
    profile: Annotated[Path, typer.Argument(help="The profile, a TOML file.")],
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Only when no profile is installed yet.")
    ] = False,
) -> None:
    """Install the municipality's profile; every process shows it without a restart."""
    install_municipality(profile, if_missing=if_missing)


@municipality_app.command("show")
def municipality_show() -> None:
    """Print the installed profile as JSON."""
    from meria import municipality

    async def show(js: Any) -> str:
        try:
            return (await municipality.read(js)).model_dump_json(indent=2)
        except municipality.MunicipalityError as error:
            raise fail(str(error), 1) from None

    typer.echo(asyncio.run(_with_installer(show)))


@app.command()
def init(
    official: Annotated[
        list[str] | None,
        typer.Option(help="A signing official as USER_ID=NAME; repeat for several."),
    ] = None,
    municipality_file: Annotated[
        Path | None,
        typer.Option(
            "--municipality",
            help="The municipality's profile (TOML) to install; asked for when not given "
            "and the terminal is interactive.",
        ),
    ] = None,
) -> None:
    """Set an installation up: install the municipality's profile on the bus (NATS must
    be running), and in development make the secrets for signing legal acts under var/: a
    local test CA (a root, the municipality's intermediate) and a certificate for each
    signing official (the demo mayor unless named), kept if already there. Production
    makes no test certificates: there the officials' own are set
    (MERIA_PUBLISHING_SIGNERS)."""
    from services.publishing.seed import PEOPLE
    from services.publishing.settings import PublishingSettings
    from services.publishing.signed_originals import Officials

    settings = load_settings(PublishingSettings)
    if municipality_file is None and sys.stdin.isatty():
        municipality_file = _ask_for_profile()
    if municipality_file is not None:
        install_municipality(municipality_file)
    else:
        from meria import municipality
        from meria.seed import installed_municipality

        try:
            asyncio.run(installed_municipality(settings))
        except (municipality.MunicipalityError, TimeoutError) as error:
            raise fail(f"{error} (or give --municipality FILE)", 1) from None
    if settings.production:
        if municipality_file is None:
            raise fail(
                "meria init makes development test certificates; production signs with "
                "the officials' own (MERIA_PUBLISHING_SIGNERS)"
            )
        return
    ca = Officials(settings).development_ca
    for made in ca.ensure():
        typer.echo(f"made {made}")
    mayor = PEOPLE["mayor"]
    for entry in official or [f"{mayor.id}={mayor.name}"]:
        user, _, name = entry.partition("=")
        if not user:
            raise fail(f"--official {entry!r}: give USER_ID=NAME")
        existed = ca.signer_path(user).exists()
        certificate = ca.signer(user, name or user)
        typer.echo(f"{'kept' if existed else 'made'} {certificate} ({user})")
    typer.echo(f"trust root (published by the website at /ca.pem): {ca.root_path}")


@app.command()
def seed() -> None:
    """Fill the running stack with demo data in Georgian and English (harmless to repeat)."""
    from meria.seed import seed_all

    asyncio.run(seed_all(load_settings(Settings)))


@app.command()
def token(
    user: Annotated[str, typer.Option(help="The user id the token speaks for.")],
    role: Annotated[list[str], typer.Option(help="A role; repeat for several.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    ttl: Annotated[
        int, typer.Option(help="Lifetime in seconds (at most MERIA_TOKEN_MAX_TTL_SECONDS).")
    ] = 3600,
) -> None:
    """Issue a signed bearer token for an integrator or a script (signed with the
    operator's key: MERIA_TOKEN_SIGNING_KEY in production)."""
    from pydantic import ValidationError

    from meria.auth import ROLES, User, issue_token
    from meria.keys import KeysError

    unknown = sorted(set(role) - set(ROLES))
    if unknown:
        raise fail(f"unknown role {', '.join(unknown)}; roles are: {', '.join(ROLES)}")
    settings = load_settings(Settings)
    if not 0 < ttl <= settings.token_max_ttl_seconds:
        raise fail(
            f"--ttl must be between 1 and {settings.token_max_ttl_seconds} seconds "
            "(MERIA_TOKEN_MAX_TTL_SECONDS)"
        )
    try:
        subject = User(id=user, name=name, roles=frozenset(role))
        typer.echo(issue_token(settings, subject, ttl_seconds=ttl))
    except ValidationError as error:
        raise fail(f"invalid user: {error.errors()[0]['msg']}") from None
    except (KeysError, ValueError) as error:
        raise fail(str(error)) from None


@keys_app.command("generate")
def keys_generate(
    folder: Annotated[Path, typer.Argument(help="Where the keys go (kept secret but jwks.json).")],
    issuer: Annotated[
        list[str] | None, typer.Option(help="Only this issuer's key; repeat for several.")
    ] = None,
) -> None:
    """Make a signing key for every issuer (or those named) and add its public half to
    FOLDER/jwks.json, the key set every process reads (MERIA_TOKEN_KEYSET). Each process
    gets its own FOLDER/<issuer>.key.json as MERIA_TOKEN_SIGNING_KEY: the portal's,
    the worker's, a service's; `operator` is for `meria token` and `meria seed`.

    Rotating an issuer's key: generate a new one with --issuer (the old public key stays
    in the set), give every process the new jwks.json, then the issuer its new key; once
    the old key's tokens have expired (MERIA_TOKEN_MAX_TTL_SECONDS), retire it."""
    from meria import keys

    unknown = sorted(set(issuer or ()) - set(keys.ISSUERS))
    if unknown:
        raise fail(f"unknown issuer {', '.join(unknown)}; issuers: {', '.join(keys.ISSUERS)}")
    try:
        made = keys.generate(folder, tuple(issuer) if issuer else keys.ISSUERS)
    except (keys.KeysError, OSError) as error:
        raise fail(str(error)) from None
    for kid in made:
        typer.echo(f"made {kid}")
    typer.echo(f"key set: {keys.keyset_path(folder)}")


@secrets_app.command("generate")
def secrets_generate(
    folder: Annotated[Path, typer.Argument(help="Where the secrets go (made 0700).")],
    postgres_host: Annotated[str, typer.Option(help="PostgreSQL's host name.")] = "postgres",
) -> None:
    """Make every secret a single-server installation needs, a file each
    (deploy/single-server/): files already there are kept, so an upgrade adds only
    what is new."""
    from meria import installation

    made = installation.generate(folder, postgres_host=postgres_host)
    for name in made:
        typer.echo(f"made {name}")
    typer.echo(f"{folder}: {len(made)} made, the rest kept")


@secrets_app.command("kubernetes")
def secrets_kubernetes(
    folder: Annotated[Path, typer.Argument(help="The folder `meria secrets generate` made.")],
    namespace: Annotated[str, typer.Option(help="The namespace of the Secrets.")] = "meria",
) -> None:
    """Print the Secrets of deploy/kubernetes/ made from that folder, for `kubectl apply
    -f -`: every file, each PostgreSQL role's password, the NATS servers' users."""
    from meria import installation

    typer.echo(json.dumps(installation.kubernetes_secrets(folder, namespace=namespace)))


@keys_app.command("retire")
def keys_retire(
    folder: Annotated[Path, typer.Argument(help="The folder of jwks.json.")],
    kid: Annotated[str, typer.Argument(help="The key id to take out of the set.")],
) -> None:
    """Take a key out of the key set: the tokens it signed are refused from then on."""
    from meria import keys

    try:
        keys.retire(folder, kid)
    except (keys.KeysError, OSError) as error:
        raise fail(str(error)) from None
    typer.echo(f"retired {kid}")


@events_app.command("tail")
def events_tail(
    subject: Annotated[
        str | None, typer.Argument(help="A subject or wildcard, e.g. publishing.>")
    ] = None,
    replay: Annotated[bool, typer.Option("--all", help="Start from the first stored event.")] = (
        False
    ),
) -> None:
    """Print bus events as they happen, one line each (as the read-only NATS user)."""
    from meria.tail import tail

    settings = load_settings(ReaderSettings)
    quiet_logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(tail(settings, subject, replay=replay))


@website_app.command("rebuild")
def website_rebuild(
    database_url: Annotated[
        str | None,
        typer.Option(help="Build into this database instead of the website's own."),
    ] = None,
) -> None:
    """Rebuild the website's read model by replaying the streams into it."""
    from services.website.rebuild import rebuild
    from services.website.settings import WebsiteSettings

    settings = load_settings(WebsiteSettings)
    quiet_logging(settings)
    done = asyncio.run(rebuild(settings, database_url))
    skipped = (
        f"; {done.skipped} skipped as dead letters (GET /dead-letters)" if done.skipped else ""
    )
    typer.echo(f"website: rebuilt from {done.applied} events{skipped}")


@app.command()
def asyncapi(
    output: Annotated[Path, typer.Option(help="Where to write the document.")] = ROOT
    / "docs"
    / "asyncapi.json",
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the file differs instead of writing it.")
    ] = False,
) -> None:
    """Generate the AsyncAPI 3 document of the bus from the event contracts."""
    from meria.asyncapi import render

    text = render()
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            raise fail(f"{output} is out of date; run `meria asyncapi`", 1)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command()
def access(
    output: Annotated[Path, typer.Option(help="Where to write the table.")] = ROOT
    / "docs"
    / "access.md",
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the file differs instead of writing it.")
    ] = False,
) -> None:
    """Write the table of who may call each endpoint, read off the routes' gates."""
    from meria.access import render, tables

    text = render(tables())
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            raise fail(f"{output} is out of date; run `meria access`", 1)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


def main() -> None:
    try:
        app()
    except SettingsError as error:
        typer.echo(f"meria: {error}", err=True)
        sys.exit(2)
