"""The invitation actions of the Suppliers tab: Invite (the cursor row or the marked rows),
Resend, Change email and Cancel, for administrators; the Overview's pending invitations reuse
them (anything that is an :class:`ActionOwner`).

Each asks first where it should (a confirmation naming the first few suppliers, the new email),
runs the ``invitations`` service in a worker, tells the outcome in a notice and redraws the
rows. Queued emails are announced to the app (:class:`~gosocket_tui.tui.host.InvitationsQueued`),
whose background delivery sends them; the rows are redrawn again as it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, format_int
from gosocket_tui.services import invitations
from gosocket_tui.services.suppliers import SupplierRow, get_supplier
from gosocket_tui.tui.dialogs.invite import ChangeEmailScreen, ConfirmScreen
from gosocket_tui.tui.host import Happened, InvitationsQueued
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.tour import Seen
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from textual.widget import Widget

    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

INVITATION_ACTIONS = ("invite", "invite_selected", "resend", "change_email", "cancel")
INVITE_PREVIEW = 3  # suppliers named in the invite confirmation and the skipped notice
REFRESH_AFTER_INVITE = (3.0, 8.0)  # seconds: redraw the rows as the deliverer sends


class SupplierRows(Protocol):
    """What the actions need of the view showing the rows, besides it being a widget: its
    context and session, the rows on screen, and a way to show them again."""

    ctx: ServiceContext

    @property
    def session(self) -> Session: ...

    def shown_rows(self) -> Sequence[SupplierRow]:
        """The rows on screen (named in a confirmation without asking the database)."""
        ...

    def clear_marks(self) -> None: ...

    def refresh_rows(self) -> None: ...


class InvitationActions:
    """The invitation actions of one view showing suppliers (its workers, notices, dialogs)."""

    def __init__(self, panel: Widget, rows: SupplierRows) -> None:
        self.panel = panel  # where the workers, notices and dialogs belong
        self.rows = rows

    def run(self, action: str, row: SupplierRow | None, marked: set[int]) -> None:
        """``invite`` takes the marked rows when any are marked (Invite selected), else the
        cursor row; ``resend``, ``change_email`` and ``cancel`` take the cursor row."""
        panel = self.panel
        if action in ("invite", "invite_selected"):
            self._ask_invite(sorted(marked), row)
        elif row is None:
            return
        elif action == "resend":
            session = self.rows.session
            self._call("resend", lambda: invitations.resend(self.rows.ctx, session, row.id))
        elif action == "change_email":
            panel.app.push_screen(
                ChangeEmailScreen(row.name, row.email),
                lambda email: self._email_chosen(row, email),
            )
        elif action == "cancel":
            panel.app.push_screen(
                ConfirmScreen(
                    _("Cancel invitation"),
                    [
                        _(
                            "Cancel the invitation to {name} ({email})? Its code stops working.",
                            name=row.name,
                            email=row.email,
                        )
                    ],
                    destructive=True,
                ),
                lambda ok: self._cancel_confirmed(row, ok),
            )

    # ------------------------------------------------------------------------ invite

    def _ask_invite(self, marked: list[int], row: SupplierRow | None) -> None:
        """Confirm how many suppliers get an invitation and to which emails (the first few);
        marked suppliers outside the table's window are read in a worker first."""
        panel = self.panel
        session = self.rows.session
        if marked:
            ids = marked
        elif row is not None:
            ids = [row.id]
            if row.registered:
                # The service refuses it and says why: no need to ask first.
                self._run_invite(session, ids)
                return
        else:
            return
        known = {r.id: r for r in self.rows.shown_rows()}
        shown = ids[:INVITE_PREVIEW]
        if all(link_id in known for link_id in shown):
            # At once, so keys typed right after ``i`` reach the confirmation.
            self._confirm_invite(session, ids, [known[i] for i in shown], bool(marked))
            return

        def preview() -> list[SupplierRow]:
            rows: list[SupplierRow] = []
            for link_id in shown:
                found = known.get(link_id)
                if found is None:
                    try:
                        found = get_supplier(self.rows.ctx, session, link_id)
                    except GosocketError:
                        continue  # gone meanwhile: the service will say so
                rows.append(found)
            return rows

        call_service(
            panel,
            preview,
            lambda rows: self._confirm_invite(session, ids, rows, bool(marked)),
            group="supplier-invite-preview",
        )

    def _confirm_invite(
        self, session: Session, ids: list[int], rows: list[SupplierRow], marked: bool
    ) -> None:
        lines: list[str] = []
        if len(ids) == 1:
            lines.append(_("Invite 1 supplier to the Gosocket network?"))
        else:
            lines.append(
                _("Invite {count} suppliers to the Gosocket network?", count=format_int(len(ids)))
            )
        for shown in rows:
            email = shown.email or _("(no email)")
            lines.append(f"  • {shown.name} <{email}>")
        if len(ids) > INVITE_PREVIEW:
            lines.append(
                "  " + _("… and {count} more", count=format_int(len(ids) - INVITE_PREVIEW))
            )
        title = (
            _("Invite selected ({count})", count=format_int(len(ids))) if marked else _("Invite")
        )
        self.panel.app.push_screen(
            ConfirmScreen(title, lines),
            lambda ok: self._run_invite(session, ids) if ok else None,
        )

    def _run_invite(self, session: Session, ids: list[int]) -> None:
        ctx = self.rows.ctx
        self._call("invite", lambda: invitations.invite(ctx, session, ids))

    # ------------------------------------------------------------ email and cancel

    def _email_chosen(self, row: SupplierRow, email: str | None) -> None:
        if email is None:
            return
        ctx, session = self.rows.ctx, self.rows.session
        self._call("change_email", lambda: invitations.change_email(ctx, session, row.id, email))

    def _cancel_confirmed(self, row: SupplierRow, ok: bool | None) -> None:
        if not ok:
            return
        ctx, session = self.rows.ctx, self.rows.session
        self._call("cancel", lambda: invitations.cancel(ctx, session, row.id))

    # ------------------------------------------------------------------- outcome

    def _call(self, action: str, call: Callable[[], object]) -> None:
        """Run one invitation service call off the screen; the outcome comes back as a notice."""
        call_service(
            self.panel,
            call,
            lambda outcome: self._done(action, outcome),
            self._failed,
            group="supplier-invitations",
            exclusive=False,  # each action's outcome is told, however fast they follow
        )

    def _failed(self, error: GosocketError) -> None:
        self.panel.notify(plain(error.message), severity="error", markup=False)

    def _done(self, action: str, outcome: object) -> None:
        panel = self.panel
        queued = False
        if isinstance(outcome, invitations.InviteResult):
            queued = bool(outcome.queued)
            if queued:
                ids = tuple(o.link_id for o in outcome.queued)
                panel.post_message(Happened(Seen("invited", link_ids=ids)))
            self._notify_invite(outcome)
            if queued:
                self.rows.clear_marks()
        elif isinstance(outcome, invitations.InvitationInfo):
            queued = outcome.state == "queued"
            if action == "cancel":
                text = _("Invitation to {name} cancelled.", name=outcome.name)
            elif action == "change_email":
                text = _(
                    "Email of {name} changed to {email}; a new invitation is queued.",
                    name=outcome.name,
                    email=outcome.email,
                )
            else:
                text = _("A new invitation to {name} is queued.", name=outcome.name)
            panel.notify(plain(text), markup=False)
        self.rows.refresh_rows()
        if queued:
            panel.post_message(InvitationsQueued())
            # The deliverer sends in the background: show queued → invited as it happens.
            for delay in REFRESH_AFTER_INVITE:
                panel.set_timer(delay, self._refresh_if_mounted)

    def _refresh_if_mounted(self) -> None:
        if self.panel.is_mounted:
            self.rows.refresh_rows()

    def _notify_invite(self, result: invitations.InviteResult) -> None:
        """``2 invitations queued, 1 skipped`` and the reasons of the first few skipped."""
        panel = self.panel
        queued, skipped = len(result.queued), len(result.skipped)
        if queued == 1 and not skipped:
            panel.notify(plain(result.queued[0].message), markup=False)
            return
        if skipped == 1 and not queued:
            panel.notify(plain(result.skipped[0].message), severity="warning", markup=False)
            return
        lines = [
            _(
                "{queued} queued, {skipped} skipped.",
                queued=format_int(queued),
                skipped=format_int(skipped),
            )
        ]
        lines += [o.message for o in result.skipped[:INVITE_PREVIEW]]
        if skipped > INVITE_PREVIEW:
            lines.append(_("… and {count} more", count=format_int(skipped - INVITE_PREVIEW)))
        panel.notify(
            plain("\n".join(lines)),
            title=_("Invitations"),
            severity="information" if queued else "warning",
            markup=False,
        )
