"""SMTP settings: where and how to connect (host, port, TLS mode, login, sender), checked once.

Frozen and validated at construction, so a transport's settings cannot change under it and a
bad value is a ConfigError before any connection. The password never appears in a repr.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal

from gosocket_tui.errors import ConfigError
from gosocket_tui.i18n import _

Security = Literal["none", "starttls", "ssl"]
SECURITY_MODES: tuple[Security, ...] = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail; frozen so a transport's settings cannot change under it.

    ``sender`` may carry a display name (``"Gosocket <no-reply@example.com>"``); the bare
    address is the envelope sender. ``local_hostname`` is the EHLO name (default: this host's
    FQDN, as smtplib does).
    """

    host: str
    port: int
    security: Security
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0
    verify_tls: bool = True
    local_hostname: str | None = None

    def __post_init__(self) -> None:
        if not self.host or any(ch.isspace() for ch in self.host):
            raise ConfigError(_("SMTP host {host!r} is not valid", host=self.host))
        if self.security not in SECURITY_MODES:
            raise ConfigError(
                _("SMTP security must be none, starttls or ssl, not {value!r}", value=self.security)
            )
        if isinstance(self.port, bool) or not 0 < self.port < 65536:
            raise ConfigError(
                _("SMTP port must be between 1 and 65535, not {port}", port=self.port)
            )
        if not self.timeout > 0:
            raise ConfigError(_("SMTP timeout must be positive"))
        if "@" not in self.envelope_sender or any(ch in self.sender for ch in "\r\n"):
            raise ConfigError(
                _("SMTP sender {sender!r} is not an email address", sender=self.sender)
            )

    def __repr__(self) -> str:
        password = "'********'" if self.password else repr(self.password)
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port!r}, security={self.security!r}, "
            f"username={self.username!r}, password={password}, sender={self.sender!r}, "
            f"timeout={self.timeout!r}, verify_tls={self.verify_tls!r}, "
            f"local_hostname={self.local_hostname!r})"
        )

    @property
    def envelope_sender(self) -> str:
        """The bare address used in MAIL FROM."""
        return parseaddr(self.sender)[1]


def make_ssl_context(verify: bool = True) -> ssl.SSLContext:
    """A client TLS context; verifies certificate and host name unless ``verify`` is False.

    smtplib does not verify certificates without an explicit context, hence this helper.
    """
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses: the only hosts a password may reach
    without TLS."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
