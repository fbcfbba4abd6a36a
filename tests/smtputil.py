"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 and a free port (the `mailbox` and `start_mailbox`
fixtures in conftest start and stop it)."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Mailbox:
    """aiosmtpd on 127.0.0.1 and a free port. Keeps each accepted message with its envelope recipients; can ask
    for a user name and password, refuse every message (`refuse`, a reply such as "554 5.7.1 rejected") or one
    recipient (`refuse_rcpt`), and take its time over each message (`delay`, seconds)."""

    def __init__(
        self, *, login: tuple[str, str] | None = None, refuse: str = "", refuse_rcpt: str = "", delay: float = 0
    ) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[tuple[str, bool]] = []
        self.login, self.refuse, self.refuse_rcpt, self.delay = login, refuse, refuse_rcpt, delay
        auth: dict[str, Any] = {}
        if login:  # AUTH over plain text: a local test server has no certificate for STARTTLS
            auth = {"authenticator": self._authenticate, "auth_require_tls": False}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        ok = (user, password) == self.login
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False, auth_data=data)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_rcpt and address == self.refuse_rcpt:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        return sorted(to for tos, _ in self.received for to in tos)

    def to(self, email: str) -> EmailMessage:
        [message] = [m for tos, m in self.received if tos == [email]]
        return message


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd checks its own port by connecting to it, so it needs a real one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
