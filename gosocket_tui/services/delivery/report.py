"""What a delivery run did, counted, and the one sentence the CLI and the app show for it."""

from __future__ import annotations

from dataclasses import dataclass

from gosocket_tui.i18n import _


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did; ``server_error`` is set when it stopped early."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    released: int = 0
    server_error: str | None = None
    seconds: float = 0.0

    def add(self, other: DeliveryReport) -> None:
        """Count ``other``'s run in this one (runs over several connections at once); the
        time stays this report's own."""
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.released += other.released
        self.server_error = self.server_error or other.server_error

    def summary(self) -> str:
        text = _(
            "{sent} sent, {retrying} to retry, {failed} failed, {cancelled} cancelled "
            "in {seconds:.1f} s.",
            sent=self.sent,
            retrying=self.retrying,
            failed=self.failed,
            cancelled=self.cancelled,
            seconds=self.seconds,
        )
        if self.server_error:
            text += " " + _("Mail server problem: {error}", error=self.server_error)
            text += " " + _(
                "The queue waits for the server; {count} back in the queue, no attempt counted.",
                count=self.released,
            )
        return text
