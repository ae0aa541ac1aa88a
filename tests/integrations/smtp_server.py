"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and
can refuse the next messages with a temporary failure."""

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.integrations.ports import free_port


@dataclass
class MailServer:
    """What the server received, as parsed messages, in order."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse_next:
                self.refuse_next -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            message = email.message_from_bytes(
                envelope.content, policy=email.policy.default
            )
            self.received.append(message)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def mail_server(settings):
    """Django's SMTP backend pointed at a fresh loopback server."""
    server = MailServer()
    controller = None
    for _ in range(5):
        server.port = free_port()
        controller = Controller(server, hostname="127.0.0.1", port=server.port)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            controller = None
    assert controller is not None, "no loopback port for the SMTP server"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "mlgov@example.com"
    settings.NOTIFICATION_BASE_URL = "https://mlgov.example.com"
    yield server
    controller.stop()
