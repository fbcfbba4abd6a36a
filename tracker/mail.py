"""Sending mail through the institution's SMTP server (`TRACKER_SMTP_URL`), with the standard library only.

The URL is `smtp://[user:password@]host[:port]` (port 25 by default; STARTTLS whenever the server offers it, its
certificate checked; `?starttls=no` for a relay that offers it with a certificate nobody can check) or
`smtps://…` (TLS from the first byte, port 465 by default). User and password may be percent-encoded. The
password is never shown: every message names the server as `MailServer.shown` gives it.

Example:
    >>> server = MailServer.parse("smtps://tracker%40uni.ac.uk:s3cret@mail.uni.ac.uk")
    >>> server.shown, server.port, server.username
    ('smtps://tracker%40uni.ac.uk@mail.uni.ac.uk:465', 465, 'tracker@uni.ac.uk')
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, quote, unquote, urlsplit

TIMEOUT = 20  # seconds for connecting and for each reply: a server that hangs is reported, not waited on forever


class MailError(Exception):
    """Mail could not be sent (no server set, the server refused or cannot be reached); the message says why and
    names the server without its password."""


@dataclass(frozen=True)
class MailServer:
    """Where mail goes, read from `TRACKER_SMTP_URL`."""

    scheme: str  # smtp or smtps
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = True

    @classmethod
    def parse(cls, url: str) -> MailServer:
        """Read a `smtp://` or `smtps://` URL; MailError (without the password) if it is not one.

        Example:
            >>> MailServer.parse("smtp://127.0.0.1:2525?starttls=no").starttls
            False
        """
        if not url:
            raise MailError("no mail server is set: set TRACKER_SMTP_URL (e.g. smtp://mail.uni.ac.uk:587)")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise MailError("TRACKER_SMTP_URL is not a URL like smtp://mail.uni.ac.uk:587") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError("TRACKER_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        flag = parse_qs(parts.query).get("starttls", ["yes"])[-1].lower()
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            starttls=flag not in ("no", "false", "0", "off"),
        )

    @property
    def shown(self) -> str:
        """The server as messages name it: never the password."""
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


class Mailer:
    """One open connection to the server: `send` each message; a refusal of one message raises MailError."""

    def __init__(self, server: MailServer, smtp: smtplib.SMTP) -> None:
        self.server = server
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message; MailError saying why if the server does not take it."""
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = "; ".join(f"{to}: {code} {_said(text)}" for to, (code, text) in exc.recipients.items())
            raise MailError(f"{self.server.shown} refused the recipient ({codes})") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"{self.server.shown} refused the message: {exc.smtp_code} {_said(exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{self.server.shown} did not take the message: {_reason(exc)}") from None
        if refused:
            raise MailError(f"{self.server.shown} refused {', '.join(refused)}")


@contextmanager
def connect(server: MailServer) -> Iterator[Mailer]:
    """An open, signed-in connection to `server`; MailError if it cannot be had.

    Example:
        >>> with connect(MailServer.parse("smtp://127.0.0.1:9")) as mailer:  # doctest: +SKIP
        ...     pass
        Traceback (most recent call last):
        tracker.mail.MailError: cannot reach smtp://127.0.0.1:9: connection refused
    """
    try:
        if server.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
            smtp.ehlo()
            if server.starttls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"{server.shown} refused the user name or password: {exc.smtp_code} {_said(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(f"{server.shown} does not accept a user name and password (no AUTH)") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"cannot reach {server.shown}: {_reason(exc)}") from None
    try:
        yield Mailer(server, smtp)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _said(text: bytes | str) -> str:
    return (text.decode(errors="replace") if isinstance(text, bytes) else str(text)).strip()


def _reason(exc: BaseException) -> str:
    """A short reason: 'connection refused', 'timed out', the server's words."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {TIMEOUT} s"
    if isinstance(exc, socket.gaierror):
        return "no such host"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    return str(exc) or type(exc).__name__


def default_sender() -> str:
    """The From address when TRACKER_MAIL_FROM is not set.

    Example:
        >>> default_sender().startswith("technician-commitment-tracker@")
        True
    """
    return f"technician-commitment-tracker@{socket.getfqdn() or 'localhost'}"
