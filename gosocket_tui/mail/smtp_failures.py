"""SMTP failures: what went wrong on the wire, classified, and when to try again.

A send ends in one of three answers for the deliverer: delivered, try again later
(``TemporaryFailure``, after ``backoff_delay``) or give up on this message
(``PermanentFailure``); ``SetupFailure`` is a temporary one that stops the whole batch. The
text is the server's own reply or a short English description: stored as evidence, so not
translated, and never holding the SMTP password.
"""

from __future__ import annotations

import random
import smtplib
import socket
import ssl
from typing import Literal

from gosocket_tui.errors import GosocketError

Stage = Literal["connect", "tls", "auth", "mail", "rcpt", "data"]

_RNG = random.Random()


class SmtpFailure(GosocketError):
    """The message was not accepted. ``reply`` is the evidence support asks for.

    ``code`` is the SMTP reply code when the server answered, None when it did not (refused
    connection, timeout, dropped connection). ``stage`` says where it happened.
    """

    def __init__(self, code: int | None, reply: str, *, stage: Stage) -> None:
        super().__init__(reply)
        self.code = code
        self.reply = reply
        self.stage: Stage = stage

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(code={self.code!r}, reply={self.reply!r}, stage={self.stage!r})"


class TemporaryFailure(SmtpFailure):
    """Try again later (with ``backoff_delay``): 4xx replies, unreachable or slow server."""


class PermanentFailure(SmtpFailure):
    """The server refused this message for good (5xx): retrying the same message is useless."""


class SetupFailure(TemporaryFailure):
    """The connection cannot be set up as configured (TLS, certificate, login, sender refused).

    No message is at fault, so it is a TemporaryFailure (messages stay queued), but every
    other message would fail the same way: stop the batch and show the operator this text.
    """


def backoff_delay(
    attempt: int, *, base: float = 30, cap: float = 3600, rng: random.Random | None = None
) -> float:
    """Seconds to wait before the next try, after ``attempt`` failed attempts (1, 2, …).

    Exponential (``base * 2**(attempt-1)``, at most ``cap``) with full jitter: a uniform draw
    between 0 and that ceiling, so messages that failed together (server down) do not all
    come back at the same moment.
    """
    if base < 0 or cap < 0:
        raise ValueError("base and cap must not be negative")
    exponent = min(max(attempt - 1, 0), 64)  # 2**64 * base is far above any cap
    ceiling = min(cap, base * 2.0**exponent)
    return (rng if rng is not None else _RNG).uniform(0, ceiling)


def reply_text(code: int, resp: bytes | str) -> str:
    """``550 5.1.1 mailbox unavailable``: code plus decoded text, multi-line joined."""
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return " ".join([str(code), *text.split()])


def classify(code: int, reply: str, stage: Stage) -> SmtpFailure:
    """The failure a refusal means: 5xx permanent (a refused sender stops the batch), else
    temporary."""
    if 500 <= code <= 599:
        if stage == "mail" and code != 552:
            # MAIL FROM refused for good: sender, auth or policy, the same for every message.
            return SetupFailure(code, reply, stage=stage)
        return PermanentFailure(code, reply, stage=stage)
    return TemporaryFailure(code, reply, stage=stage)


def failure_from_exception(
    exc: BaseException, stage: Stage, where: str, timeout: float
) -> SmtpFailure:
    """Turn what smtplib/ssl/socket raised into a classified failure with a readable reply."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
        return SetupFailure(None, f"TLS certificate of {where} rejected: {reason}", stage=stage)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        return SetupFailure(None, f"TLS with {where} failed: {reason}", stage=stage)
    if isinstance(exc, smtplib.SMTPConnectError):
        # Refused at the greeting (421, 554): about the server, not the message; retry later.
        reply = reply_text(exc.smtp_code, exc.smtp_error)
        return TemporaryFailure(exc.smtp_code, reply, stage=stage)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        reply = reply_text(code, exc.smtp_error)
        if code >= 500 and stage in ("tls", "auth"):
            return SetupFailure(code, reply, stage=stage)
        return classify(code, reply, stage)
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return TemporaryFailure(None, f"{where} did not answer within {timeout:g} s", stage=stage)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryFailure(None, f"{where} closed the connection ({exc})", stage=stage)
    if isinstance(exc, smtplib.SMTPException):  # e.g. AUTH not offered, no usable mechanism
        return SetupFailure(None, f"{where}: {exc}", stage=stage)
    if isinstance(exc, ConnectionRefusedError):
        return TemporaryFailure(None, f"connection to {where} refused", stage=stage)
    if isinstance(exc, socket.gaierror):
        return TemporaryFailure(None, f"cannot resolve {where}: {exc.strerror}", stage=stage)
    if isinstance(exc, OSError):
        return TemporaryFailure(None, f"cannot talk to {where}: {exc.strerror or exc}", stage=stage)
    return TemporaryFailure(None, f"{where}: {exc}", stage=stage)
