"""What an SMTP server's answer means for a message Meria tried to send.

The portal's notifications, the events service's invitations and the media service's
press distribution send through aiosmtplib and keep trying until the server has accepted
a message; they share how its refusals are read: a 5xx for a message is final (a bounce),
a 4xx may pass, and a server that cannot be reached or will not talk holds back the rest
of the round too. One message at a time goes through `deliver`.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from pydantic import SecretStr

# How long one message may take to hand over, connection included.
SEND_TIMEOUT_SECONDS = 30

# What a send may raise that is the server's answer or the way to it, not a bug.
SMTP_TROUBLE = (aiosmtplib.SMTPException, OSError, TimeoutError)


@dataclass(frozen=True)
class Refusal:
    """Why the server did not take a message, and whether trying again can help."""

    answer: str
    permanent: bool
    # The server itself cannot be reached or will not talk: the rest can wait too.
    server_down: bool = False


def refusal_of(trouble: BaseException) -> Refusal:
    if isinstance(trouble, aiosmtplib.SMTPRecipientsRefused):
        codes = [recipient.code for recipient in trouble.recipients]
        answer = "; ".join(f"{r.code} {r.message}" for r in trouble.recipients)
        return Refusal(answer, permanent=min(codes, default=500) >= 500)
    if isinstance(
        trouble,
        aiosmtplib.SMTPAuthenticationError
        | aiosmtplib.SMTPConnectResponseError
        | aiosmtplib.SMTPHeloError,
    ):
        # The server's own trouble or ours with it (credentials), not this message's.
        return Refusal(f"{trouble.code} {trouble.message}", permanent=False, server_down=True)
    if isinstance(trouble, aiosmtplib.SMTPResponseException):
        answer = f"{trouble.code} {trouble.message}"
        if trouble.code == 421:  # the server is closing the connection
            return Refusal(answer, permanent=False, server_down=True)
        return Refusal(answer, permanent=trouble.code >= 500)
    return Refusal(f"{type(trouble).__name__}: {trouble}", permanent=False, server_down=True)


class SmtpServer(Protocol):
    """The SMTP settings a process sends through."""

    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: SecretStr | None
    smtp_starttls: bool


async def deliver(message: EmailMessage, server: SmtpServer) -> Refusal | None:
    """Hand a message to the SMTP server; None once the server has accepted it."""
    password = server.smtp_password.get_secret_value() if server.smtp_password else None
    try:
        await aiosmtplib.send(
            message,
            hostname=server.smtp_host,
            port=server.smtp_port,
            username=server.smtp_username,
            password=password,
            start_tls=server.smtp_starttls,
            timeout=SEND_TIMEOUT_SECONDS,
        )
    except SMTP_TROUBLE as trouble:
        return refusal_of(trouble)
    return None
