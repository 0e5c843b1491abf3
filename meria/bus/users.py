"""Who may do what on NATS: a user per process, allowed its own subjects and nothing more.

A service publishes its own events (`<service>.>`) and declares its own stream. It reads
only through its durable consumers: it may look them up, create them with their filter
subject, fetch from them, acknowledge their messages and dead-letter what they cannot
apply. Everything a server answers (PubAcks, API replies, fetched messages) comes to an
inbox only that user may subscribe to (`_INBOX.<user>.>`), so no process reads another's
replies, and no process may subscribe to an event subject itself.

The reader (`meria events tail`, `meria website rebuild`) reads streams through ephemeral
consumers and by sequence, and publishes nothing.

The municipality's profile (meria/municipality.py) is a key-value bucket every process
reads and watches; only the portal (its administrators' page) and the `installer` (the
command line: `meria init`, `meria municipality set`) may write it.

nats-server checks each publish and subscription against these lists; a refused one
answers `Permissions Violation` and the connection stays up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bcrypt

from meria.bus.streams import (
    DEAD_LETTER_PREFIX,
    DEAD_LETTER_STREAM,
    stream_for_subject,
    stream_name,
)
from meria.config import BusCredentials

READER = "reader"
BACKUP = "backup"
INSTALLER = "installer"
API = "$JS.API"
# The municipality's profile: the JetStream stream behind the key-value bucket
# meria.municipality.BUCKET (kept in step by a unit test).
MUNICIPALITY_STREAM = "KV_meria_municipality"
WRITES_MUNICIPALITY = frozenset({"portal", INSTALLER})


@dataclass(frozen=True)
class BusUser:
    """One NATS user: the subjects it may publish and subscribe to, and the streams it
    declares when it connects."""

    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    streams: tuple[str, ...] = ()


def inbox_prefix(user: str) -> str:
    """Where the server answers `user`: its replies, PubAcks and fetched messages."""
    return f"_INBOX.{user}"


def municipality_access(user: str) -> list[str]:
    """What `user` may ask of the municipality's bucket: read the profile and watch it
    (an ordered, ephemeral consumer, whose flow control it answers); write it only if
    it is one of WRITES_MUNICIPALITY."""
    stream = MUNICIPALITY_STREAM
    subjects = [
        f"{API}.STREAM.INFO.{stream}",
        f"{API}.STREAM.MSG.GET.{stream}",
        f"{API}.DIRECT.GET.{stream}",
        f"{API}.DIRECT.GET.{stream}.>",
        f"{API}.CONSUMER.CREATE.{stream}",
        f"{API}.CONSUMER.INFO.{stream}.*",
        f"{API}.CONSUMER.DELETE.{stream}.*",
        "$JS.FC.>",
    ]
    if user in WRITES_MUNICIPALITY:
        subjects += [f"{API}.STREAM.CREATE.{stream}", "$KV.meria_municipality.>"]
    return subjects


def service_user(name: str, *, produces: bool, consumes: Sequence[tuple[str, str]]) -> BusUser:
    """A service's user: it publishes its own events if it `produces`, and reads through
    its durable consumers, `consumes` being (durable, subject) pairs; it reads the
    municipality's profile (and the portal writes it)."""
    publish: list[str] = municipality_access(name)
    streams: list[str] = []
    if produces:
        own = stream_name(name)
        publish += [f"{name}.>", f"{API}.STREAM.CREATE.{own}", f"{API}.STREAM.UPDATE.{own}"]
        streams.append(own)
    for durable, subject in consumes:
        stream = stream_for_subject(subject)
        publish += [
            f"{API}.CONSUMER.INFO.{stream}.{durable}",
            # The filter subject is part of the request's subject: a consumer made with
            # this permission can only ever deliver what the service subscribes to.
            f"{API}.CONSUMER.CREATE.{stream}.{durable}.{subject}",
            f"{API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
            f"{DEAD_LETTER_PREFIX}.{durable}",
        ]
    if consumes:
        # Wider than the rest: the dead-letter stream is shared, and every service that
        # consumes may declare it (and so update its settings), since whichever starts
        # first must create it before a dead letter can be stored. Its subjects are only
        # ever `deadletter.>`, and each service may publish only its consumers' letters.
        publish += [f"{API}.STREAM.CREATE.{DEAD_LETTER_STREAM}"]
        publish += [f"{API}.STREAM.UPDATE.{DEAD_LETTER_STREAM}"]
        streams.append(DEAD_LETTER_STREAM)
    return BusUser(name, tuple(publish), (f"{inbox_prefix(name)}.>",), tuple(streams))


def reader_user() -> BusUser:
    """Reads every stream and changes nothing: stream and consumer information, messages
    by sequence, and ephemeral consumers (the one-token form of CONSUMER.CREATE, which the
    server refuses for a durable or named consumer, so the reader can neither make nor
    alter one)."""
    return BusUser(
        READER,
        (
            *municipality_access(READER),
            f"{API}.STREAM.NAMES",
            f"{API}.STREAM.INFO.*",
            f"{API}.STREAM.MSG.GET.*",
            f"{API}.CONSUMER.INFO.*.*",
            f"{API}.CONSUMER.CREATE.*",
            # (municipality_access allows "$JS.FC.>", the answers to an ordered
            # consumer's flow control. Only push consumers ask for them, and no service
            # consumes by push but to watch the municipality's profile.)
        ),
        (f"{inbox_prefix(READER)}.>",),
    )


def installer_user() -> BusUser:
    """The command line's `meria init` and `meria municipality set|show`: it writes the
    municipality's profile and nothing else."""
    return BusUser(
        INSTALLER, tuple(municipality_access(INSTALLER)), (f"{inbox_prefix(INSTALLER)}.>",)
    )


def backup_user() -> BusUser:
    """`meria backup` and `meria restore`: snapshots of every stream (with its consumers'
    state), and restoring them, which replaces a stream of the same name. It reads no
    message and publishes no event."""
    return BusUser(
        BACKUP,
        (
            f"{API}.STREAM.NAMES",
            f"{API}.STREAM.INFO.*",
            f"{API}.STREAM.SNAPSHOT.*",
            f"{API}.STREAM.RESTORE.*",
            f"{API}.STREAM.DELETE.*",
            # Flow control of a snapshot's chunks, and the chunks of a restore.
            "$JS.SNAPSHOT.ACK.>",
            "$JS.SNAPSHOT.RESTORE.>",
        ),
        (f"{inbox_prefix(BACKUP)}.>",),
    )


def authorization(users: Iterable[tuple[BusUser, BusCredentials]], *, cost: int = 11) -> str:
    """The `authorization` block of nats-server's configuration: each user with a bcrypt
    hash of its password (never the password itself) and its permissions."""
    entries = []
    for user, credentials in users:
        if credentials.user != user.name:
            raise ValueError(f"credentials of {credentials.user} given for {user.name}")
        password = credentials.password.get_secret_value().encode()
        hashed = bcrypt.hashpw(password, bcrypt.gensalt(rounds=cost)).decode()
        entries.append(
            "    {\n"
            f"      user: {json.dumps(user.name)}\n"
            f"      password: {json.dumps(hashed)}\n"
            "      permissions: {\n"
            f"        publish: {_rule(user.publish)}\n"
            f"        subscribe: {_rule(user.subscribe)}\n"
            "      }\n"
            "    }"
        )
    return "authorization {\n  users = [\n" + "\n".join(entries) + "\n  ]\n}\n"


def _rule(subjects: Sequence[str]) -> str:
    # nats-server reads an empty allow list as no restriction at all: nothing is denied.
    if not subjects:
        return '{ deny: [">"] }'
    return "{ allow: [" + ", ".join(json.dumps(subject) for subject in subjects) + "] }"
