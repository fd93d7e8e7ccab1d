"""Activity (Actividad): the company's audit trail, for administrators.

``ActivityView`` lists the audit events of the acting user's company (logins, supplier
changes, invitations, refused attempts), newest first, read page by page from
``services.activity.list_events`` (keyset cursor; the whole trail is never loaded). Filters:
action prefix (with suggestions of the known actions), user, and a from/to day in local time;
Enter in any filter applies them, a badly written date is explained under the filters. Moving
down from the last row loads the next page. The export row writes the filtered trail to a CSV
file (``services.activity.export_events_csv``, formula cells neutralised) and reports the count.

Non-administrators see one sentence instead of the table: the view does not even ask the
service; an administrator demoted while logged in gets the same sentence once the service
refuses. Every service call runs through ``tui.workers.call_service``: a newer load drops the
answer of an older one, and an expired session logs out instead of showing a load error.

Times are stored as naive UTC and shown in local time; set :attr:`ActivityView.timezone` to
show another zone (the tests set ``TZ`` instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.events import Resize, Show
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, DataTable, Input, Label, Static

from gosocket_tui.errors import GosocketError, PermissionDenied
from gosocket_tui.i18n import _
from gosocket_tui.services import activity
from gosocket_tui.services.activity import AuditFilter
from gosocket_tui.tui.files import EXPORT_NOTICE_SECONDS, with_fetch_hint, write_export
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import plain, text
from gosocket_tui.tui.views.activity_filter import (
    FILTER_IDS,
    KNOWN_ACTIONS,
    FilterError,
    build_filter,
)
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.widgets.activity_table import ActivityTable, event_detail, local_time
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.activity import AuditPage
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

WIDE_FROM = 100  # view width from which the filters sit on one line


@dataclass(frozen=True)
class _Status:
    kind: str  # loading | events | empty | refused | error
    count: int = 0
    more: bool = False
    text: str = ""


class ActivityView(View):
    """The audit trail of the acting user's company."""

    PAGE_SIZE: ClassVar[int] = 100
    timezone: ClassVar[tzinfo | None] = None
    """The zone times are shown in and dates are read in; None: the local zone."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "refresh_events", "Refresh", show=False),
        Binding("ctrl+s", "focus_export", "Export…", show=False),
    ]

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(ctx, session, id=id)
        self._filter = AuditFilter()
        self._loading = False
        self._advance_after_load = False
        self._status = _Status("loading")

    # ----------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="activity-title", classes="view-title"):
            yield Static(id="activity-heading", classes="view-heading")
            yield Static(id="activity-status", classes="view-status")
        yield Static(id="activity-refused", classes="view-notice view-refused")
        with Vertical(id="activity-body"):
            with Grid(id="activity-filters"):
                yield Label(id="activity-action-label")
                yield Input(
                    id="activity-action",
                    compact=True,
                    max_length=64,
                    suggester=SuggestFromList(KNOWN_ACTIONS, case_sensitive=False),
                )
                yield Label(id="activity-user-label")
                yield Input(id="activity-user", compact=True, max_length=64)
                yield Label(id="activity-since-label")
                yield Input(id="activity-since", compact=True, max_length=10)
                yield Label(id="activity-until-label")
                yield Input(id="activity-until", compact=True, max_length=10)
            yield Static(id="activity-filter-message", classes="activity-message")
            yield ActivityTable(id="activity-table", tz=self.timezone)
            yield Static(id="activity-detail")
            yield Static(id="activity-export-message", classes="activity-message")
            with Horizontal(id="activity-export"):
                yield Label(id="activity-export-label")
                yield Input(id="activity-path", compact=True)
                yield Button(id="activity-export-button", compact=True)

    def on_mount(self) -> None:
        today = local_time(self.ctx.clock.now(), self.timezone).date()
        name = f"gosocket-activity-{today:%Y%m%d}.csv"
        confined = host(self).files_for(self.session).confined
        self.query_one("#activity-path", Input).value = name if confined else f"~/{name}"
        self.relabel()
        self._set_refused(not self.session.is_admin)

    def relabel(self) -> None:
        """Every label in the current language (after a language switch)."""
        self.query_one("#activity-heading", Static).update(_("Activity"))
        self.query_one("#activity-refused", Static).update(
            _("Only administrators can see the activity.")
        )
        labels = {
            "activity-action-label": _("Action"),
            "activity-user-label": _("User"),
            "activity-since-label": _("From"),
            "activity-until-label": _("To"),
            "activity-export-label": _("Export to"),
        }
        for widget_id, label in labels.items():
            self.query_one(f"#{widget_id}", Label).update(label)
        self.query_one("#activity-action", Input).placeholder = _("e.g. supplier.")
        self.query_one("#activity-user", Input).placeholder = _("username")
        for widget_id in ("activity-since", "activity-until"):
            self.query_one(f"#{widget_id}", Input).placeholder = _("YYYY-MM-DD")
        self.query_one("#activity-export-button", Button).label = _("Export")
        self.query_one(ActivityTable).relabel()
        self._show_status(self._status)
        self._show_detail()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE_FROM, "-wide")

    def focus_content(self) -> bool:
        if self.has_class("-refused"):
            return False
        self.query_one(ActivityTable).focus()
        return True

    # ------------------------------------------------------------------ loading

    def on_show(self, event: Show) -> None:
        self.refresh_events()

    def action_refresh_events(self) -> None:
        self.refresh_events()

    def refresh_events(self) -> None:
        """Read the first page again with the applied filters (when shown, ctrl+r, Enter)."""
        if not self.session.is_admin:
            self._set_refused(True)
            return
        self._loading = True
        self._advance_after_load = False
        self._show_status(_Status("loading"))
        self._load(self._filter, None, append=False)

    def load_more(self) -> None:
        """Fetch the page after the last loaded row (older events)."""
        table = self.query_one(ActivityTable)
        if self._loading or not table.has_more or not table.events:
            return
        last = table.events[-1]
        self._loading = True
        self._show_status(_Status("loading", count=len(table.events)))
        self._load(self._filter, (last.at, last.id), append=True)

    def _load(
        self, filt: AuditFilter, cursor: tuple[datetime, int] | None, *, append: bool
    ) -> None:
        """Read one page in a worker; a newer load (filters applied again) drops this one."""
        ctx, session, limit = self.ctx, self.session, self.PAGE_SIZE
        call_service(
            self,
            lambda: activity.list_events(ctx, session, filt, cursor=cursor, limit=limit),
            lambda page: self._loaded(page, append),
            self._load_failed,
            group="activity-load",
        )

    def _loaded(self, page: AuditPage, append: bool) -> None:
        self._loading = False
        self._set_refused(False)
        table = self.query_one(ActivityTable)
        if append:
            table.append_events(page.rows, page.has_after)
            if self._advance_after_load and page.rows:
                table.action_cursor_down()
        else:
            table.show_events(page.rows, page.has_after)
        self._advance_after_load = False
        count = len(table.events)
        self._show_status(_Status("events" if count else "empty", count, table.has_more))
        self._show_detail()

    def _load_failed(self, error: GosocketError) -> None:
        self._loading = False
        if isinstance(error, PermissionDenied):  # demoted while logged in
            self._set_refused(True)
        else:
            self._show_status(_Status("error", text=error.message))

    @on(ActivityTable.LoadMore)
    def _load_more(self) -> None:
        self._advance_after_load = True
        self.load_more()

    @on(DataTable.RowHighlighted, "#activity-table")
    def _highlighted(self) -> None:
        self._show_detail()

    # ------------------------------------------------------------------ filters

    def _today(self) -> date:
        return local_time(self.ctx.clock.now(), self.timezone).date()

    def read_filter(self) -> AuditFilter | None:
        """The filter the fields describe, or None after showing what is wrong."""
        values = [self.query_one(f"#{i}", Input).value for i in FILTER_IDS]
        for widget_id in FILTER_IDS:
            self.query_one(f"#{widget_id}", Input).remove_class("-invalid")
        try:
            filt = build_filter(*values, today=self._today(), tz=self.timezone)
        except FilterError as exc:
            self._message("activity-filter-message", exc.message)
            self.query_one(f"#{exc.field}", Input).add_class("-invalid")
            return None
        self._message("activity-filter-message", "")
        return filt

    def apply_filters(self) -> bool:
        """Read the fields and show the first page that matches; False when one is wrong."""
        filt = self.read_filter()
        if filt is None:
            return False
        self._filter = filt
        self.refresh_events()
        return True

    @on(Input.Submitted, "#activity-filters Input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.apply_filters() and event.input.has_class("-invalid"):
            event.input.focus()

    @on(Input.Changed, "#activity-since, #activity-until")
    def _date_changed(self, event: Input.Changed) -> None:
        # A complete-looking date is checked at once; a half-typed one waits for Enter.
        value = event.value.strip()
        if not value or len(value) >= 10 or event.input.has_class("-invalid"):
            self.read_filter()

    # ------------------------------------------------------------------- export

    def action_focus_export(self) -> None:
        if not self.has_class("-refused"):
            self.query_one("#activity-path", Input).focus()

    @on(Input.Submitted, "#activity-path")
    @on(Button.Pressed, "#activity-export-button")
    def export(self, event: Message | None = None) -> None:
        """Export the trail, filtered as the fields say, to the file in the path field."""
        if event is not None:
            event.stop()
        raw = self.query_one("#activity-path", Input).value.strip()
        if not raw:
            self._message("activity-export-message", _("Enter the name of the file to write."))
            self.query_one("#activity-path", Input).focus()
            return
        filt = self.read_filter()
        if filt is None:
            return
        if filt != self._filter:
            self._filter = filt
            self.refresh_events()  # what is exported is what the table shows
        self._message("activity-export-message", "")
        self._show_status(_Status("exporting", self._status.count, self._status.more))
        ctx, session = self.ctx, self.session
        files = host(self).files_for(session)

        call_service(
            self,
            lambda: write_export(
                files, raw, lambda staging: activity.export_events_csv(ctx, session, staging, filt)
            ),
            self._exported,
            self._export_failed,
            group="activity-export",
        )

    def _exported(self, written: tuple[int, str]) -> None:
        count, path = written
        self._show_status(self._status_after_export())
        shown = plain(path)
        files = host(self).files_for(self.session)
        message = (
            _("Exported 1 event to {path}.", path=shown)
            if count == 1
            else _("Exported {count} events to {path}.", count=count, path=shown)
        )
        self.app.notify(
            with_fetch_hint(self.app, files, message, shown),
            title=_("Export"),
            markup=False,
            timeout=EXPORT_NOTICE_SECONDS,
        )

    def _export_failed(self, error: GosocketError) -> None:
        self._show_status(self._status_after_export())
        if isinstance(error, PermissionDenied):
            self._message("activity-export-message", _("Only administrators can see the activity."))
        else:
            self._message("activity-export-message", error.message)

    def _status_after_export(self) -> _Status:
        if self._status.kind != "exporting":
            return self._status
        table = self.query_one(ActivityTable)
        count = len(table.events)
        return _Status("events" if count else "empty", count, table.has_more)

    # ------------------------------------------------------------------ display

    def _set_refused(self, refused: bool) -> None:
        self.set_class(refused, "-refused")
        if refused:
            self.query_one(ActivityTable).show_events([], False)
            self._show_status(_Status("refused"))

    def _message(self, widget_id: str, message: str) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        widget.update(text(message))
        widget.set_class(bool(message), "-shown")

    def _show_status(self, status: _Status) -> None:
        self._status = status
        if status.kind == "loading":
            line = _("Loading…")
        elif status.kind == "exporting":
            line = _("Exporting…")
        elif status.kind == "events" and status.more:
            line = _("{count} events · ↓ at the end loads more", count=status.count)
        elif status.kind == "events" and status.count == 1:
            line = _("1 event")
        elif status.kind == "events":
            line = _("{count} events", count=status.count)
        elif status.kind == "empty":
            line = _("No events match these filters.")
        elif status.kind == "error":
            line = status.text
        else:
            line = ""
        widget = self.query_one("#activity-status", Static)
        widget.update(text(line))
        widget.set_class(status.kind == "error", "-error")

    def _show_detail(self) -> None:
        """The highlighted event in full, under the table (nothing is lost to narrow columns)."""
        event = self.query_one(ActivityTable).highlighted_event()
        self.query_one("#activity-detail", Static).update(
            event_detail(event, self.timezone) if event is not None else ""
        )
