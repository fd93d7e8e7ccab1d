"""Overview (Resumen): how the company's onboarding goes, in one screen.

The funnel (not invited → invited → registered, each with its share of all suppliers), the
states beside it (expired, delivery failed, cancelled), the median and 90th-percentile days
from invitation to activation, invitations sent and activations per week over 12 weeks, and
the ten oldest invitations still waiting, each with its row action (``R`` resends, through
the Suppliers tab's own :class:`~gosocket_tui.tui.views.invitation_actions.InvitationActions`).

Everything comes from ``services.overview.overview`` in a thread worker, read again each time
the view is shown and after a resend; the view never touches the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import Show
from textual.message import Message
from textual.widgets import DataTable, Static

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, format_decimal, format_int
from gosocket_tui.services import overview as service
from gosocket_tui.services.suppliers import SupplierRow, invitation_label, state_label
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import content, text
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.views.invitation_actions import InvitationActions
from gosocket_tui.tui.widgets.overview_charts import ShareBars, ShareRow, WeeklyChart
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session


class PendingTable(DataTable[Text]):
    """The oldest invitations still waiting; ``R`` resends the one under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R,shift+r", "resend", "Resend"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.pending: list[service.PendingInvitation] = []

    def show(self, pending: list[service.PendingInvitation]) -> None:
        self.pending = pending
        self.clear(columns=True)
        self.add_column(_("Name"), key="name")
        self.add_column(_("Tax ID"), key="tax_id")
        self.add_column(_("Invited at"), key="invited_at")
        self.add_column(_("Age"), key="age")
        self.add_column(_("State"), key="state")
        for item in pending:
            row = item.row
            invited = item.invited_at.strftime("%Y-%m-%d") if item.invited_at else ""
            self.add_row(
                text(row.name),
                text(f"{row.country} {row.tax_id_formatted}"),
                Text(invited),
                Text(_("{days} d", days=format_int(item.age_days)), justify="right"),
                Text(invitation_label(row.state, row.reminders)),
            )

    class Resend(Message):
        """Resend the invitation of ``row`` (the view runs the invitation action)."""

        def __init__(self, row: SupplierRow) -> None:
            super().__init__()
            self.row = row

    @property
    def current(self) -> SupplierRow | None:
        if not 0 <= self.cursor_row < len(self.pending):
            return None
        return self.pending[self.cursor_row].row

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resend shows greyed out for non-administrators (as in the Suppliers tab)."""
        session = host(self).session
        return None if action == "resend" and not (session and session.is_admin) else True

    def action_resend(self) -> None:
        if self.current is not None:
            self.post_message(self.Resend(self.current))


class OverviewView(View):
    """The acting company's onboarding figures (every user may see them; resending is for
    administrators, as the service decides)."""

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(ctx, session, id=id)
        self._invitations = InvitationActions(self, self)
        self.figures: service.Overview | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="view-title"):
            yield Static(content(_("Overview")), classes="view-heading")
            yield Static(id="overview-status", classes="view-status")
        with VerticalScroll(id="overview-body"):
            with Horizontal(id="overview-shares"):
                yield ShareBars(id="overview-funnel", style="bold dodger_blue1")
                yield ShareBars(id="overview-beside", style="bold dark_orange")
            yield Static(id="overview-times", classes="overview-line")
            yield Static(content(_("Per week, last 12 weeks")), classes="overview-heading")
            yield WeeklyChart(id="overview-weeks")
            yield Static(content(_("Oldest pending invitations")), classes="overview-heading")
            yield Static(
                content(_("None: no invitation is waiting.")),
                id="overview-no-pending",
                classes="overview-line",
            )
            yield PendingTable(id="overview-pending")

    def focus_content(self) -> bool:
        self.query_one(PendingTable).focus()
        return True

    # ------------------------------------------------------------------ loading

    def on_show(self, event: Show) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Read the figures again (when shown, after a resend)."""
        self.query_one("#overview-status", Static).update(content(_("Loading…")))
        ctx, session = self.ctx, self.session
        call_service(
            self,
            lambda: service.overview(ctx, session),
            self._loaded,
            self._failed,
            group="overview-load",
        )

    def _failed(self, error: GosocketError) -> None:
        status = self.query_one("#overview-status", Static)
        status.add_class("-error")
        status.update(content(error.message))

    def _loaded(self, figures: service.Overview) -> None:
        self.figures = figures
        status = self.query_one("#overview-status", Static)
        status.remove_class("-error")
        status.update(content(_("{count} suppliers", count=format_int(figures.total))))

        def rows(states: tuple[str, ...]) -> list[ShareRow]:
            return [ShareRow(state_label(s), figures.counts[s], figures.percent(s)) for s in states]

        self.query_one("#overview-funnel", ShareBars).show(rows(service.FUNNEL))
        self.query_one("#overview-beside", ShareBars).show(rows(service.BESIDE))
        self.query_one("#overview-times", Static).update(content(self._times(figures)))
        self.query_one(WeeklyChart).show(figures.weeks)
        pending = self.query_one(PendingTable)
        pending.show(figures.oldest_pending)
        pending.display = bool(figures.oldest_pending)
        self.query_one("#overview-no-pending", Static).display = not figures.oldest_pending

    @staticmethod
    def _times(figures: service.Overview) -> str:
        if figures.median_days is None or figures.p90_days is None:
            return _("Days from invitation to activation: no activation yet.")
        return _(
            "Days from invitation to activation: median {median}, 90th percentile {p90} "
            "({count} activations)",
            median=format_decimal(figures.median_days),
            p90=format_decimal(figures.p90_days),
            count=format_int(figures.activations),
        )

    # ------------------------------------------------------------- row action

    def on_pending_table_resend(self, event: PendingTable.Resend) -> None:
        self._invitations.run("resend", event.row, set())

    def shown_rows(self) -> list[SupplierRow]:
        return [item.row for item in self.query_one(PendingTable).pending]

    def clear_marks(self) -> None:
        """The overview marks no rows (what the invitation actions expect of their owner)."""
