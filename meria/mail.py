"""What an SMTP server's answer means for a message Meria tried to send.

The portal's notifications and the media service's press distribution both send through
aiosmtplib and keep trying until the server has accepted a message; they share how its
refusals are read: a 5xx for a message is final (a bounce), a 4xx may pass, and a server
that cannot be reached or will not talk holds back the rest of the round too.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosmtplib

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
