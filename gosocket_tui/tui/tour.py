"""The guided tour of the help article: its steps, their order, and what the app must see done.

No Textual here (an import-linter contract checks it): the tour is a small state machine fed
with :class:`Seen` events, the things the app and its screens report as they happen (a login,
a view shown, a search run …). Only the current step can tick, and only by its own event;
nothing ticks by time. The panel (``tui/tour_panel.py``) shows :meth:`Tour.current` and the
app moves the tour with :meth:`Tour.see`, :meth:`Tour.back`, :meth:`Tour.skip` and
:meth:`Tour.restart`.

The tour belongs to the app, not to a screen: logging out, activating and logging in again
keep it where it is. What the steps learn on the way (the buyer's company, the supplier added,
the username chosen at activation) is kept in :class:`Memory` and named in later steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from gosocket_tui.i18n import _

EventKind = Literal[
    "logged_in",
    "logged_out",
    "view_shown",
    "searched",
    "supplier_seen",
    "supplier_added",
    "invited",
    "mail_read",
    "activated",
    "bulk_opened",
]
Mark = Literal["todo", "done", "skipped"]
# The keys a step names, each looked up in the bindings where it is bound (the panel's
# ``KEY_SOURCES``), so the text follows the key map when it moves.
KeyName = Literal[
    "network", "mailbox", "logout", "search", "table", "add_supplier", "invite", "bulk", "palette"
]
Keys = Mapping[str, str]


@dataclass(frozen=True)
class Seen:
    """Something the app saw happen. Only the fields its ``kind`` needs are set."""

    kind: EventKind
    admin: bool = False
    company_id: int | None = None
    username: str = ""
    view: str = ""
    tab: str = ""
    tax_id: str = ""
    link_id: int | None = None
    link_ids: tuple[int, ...] = ()
    name: str = ""
    registered: bool = False


@dataclass(frozen=True)
class Memory:
    """What the tour learnt on its way, to name it in later steps."""

    buyer_company: int | None = None
    buyer_username: str = ""
    supplier_link: int | None = None
    supplier_name: str = ""
    supplier_tax_id: str = ""
    supplier_username: str = ""


@dataclass(frozen=True)
class Step:
    """One step: its name, what to do (with the keys filled in), the widget it is about
    (a CSS selector, or empty), and the test of the event that completes it."""

    id: str
    title: Callable[[], str]
    says: Callable[[Keys, Memory], str]
    target: str
    done_by: Callable[[Seen, Memory], bool]
    keys: tuple[KeyName, ...] = ()


NAME_SHOWN = 30  # characters of a supplier's name in a step: the text has two lines


def _supplier(memory: Memory) -> str:
    name = memory.supplier_name
    if len(name) > NAME_SHOWN:
        name = name[: NAME_SHOWN - 1] + "…"
    return name or _("the supplier")


def _buyer(memory: Memory) -> str:
    return memory.buyer_username or _("the administrator")


def _is_buyer_supplier(seen: Seen, memory: Memory) -> bool:
    """The supplier added and invited in this tour, shown Registered (any, when that step
    was skipped)."""
    if seen.kind != "supplier_seen" or not seen.registered:
        return False
    return memory.supplier_link is None or seen.link_id == memory.supplier_link


def _invited(seen: Seen, memory: Memory) -> bool:
    if seen.kind != "invited":
        return False
    return memory.supplier_link is None or memory.supplier_link in seen.link_ids


def _supplier_login(seen: Seen, memory: Memory) -> bool:
    if seen.kind != "logged_in":
        return False
    if memory.supplier_username:
        return seen.username == memory.supplier_username
    return seen.company_id != memory.buyer_company


STEPS: tuple[Step, ...] = (
    Step(
        "login",
        lambda: _("Log in as an administrator"),
        lambda keys, memory: _(
            "Type an administrator's username (an *.admin account of the list) and the demo "
            "password, then Enter."
        ),
        "#login-panel",
        lambda seen, memory: seen.kind == "logged_in" and seen.admin,
    ),
    Step(
        "network",
        lambda: _("Network → Suppliers"),
        lambda keys, memory: _(
            "Open Network from the menu on the left: press {network}. Suppliers is its first tab.",
            network=keys["network"],
        ),
        "#sidebar",
        lambda seen, memory: (
            seen.kind == "view_shown" and seen.view == "network" and seen.tab == "suppliers"
        ),
        ("network",),
    ),
    Step(
        "search",
        lambda: _("Filter by Tax ID and Search"),
        lambda keys, memory: _(
            "Type a Tax ID (or its first digits) in the Tax ID filter and press Enter (Search). "
            "{search} puts the cursor in the filter.",
            search=keys["search"],
        ),
        "#supplier-search-row",
        lambda seen, memory: seen.kind == "searched" and bool(seen.tax_id),
        ("search",),
    ),
    Step(
        "registered",
        lambda: _("See Registered"),
        lambda keys, memory: _(
            "Press {table} to go to the list and put the cursor on a supplier with the orange ✓ "
            "in the Registered column: it already has access to the network.",
            table=keys["table"],
        ),
        "#supplier-table",
        lambda seen, memory: seen.kind == "supplier_seen" and seen.registered,
        ("table",),
    ),
    Step(
        "add",
        lambda: _("Add Supplier"),
        lambda keys, memory: _(
            "Search a Tax ID that is not listed, then press {add} (Add Supplier): the form "
            "holds that Tax ID. Fill in the name and email, and save.",
            add=keys["add_supplier"],
        ),
        "#supplier-add",
        lambda seen, memory: seen.kind == "supplier_added",
        ("add_supplier",),
    ),
    Step(
        "invite",
        lambda: _("Invite"),
        lambda keys, memory: _(
            "With the cursor on {supplier}, press {invite} (Invite) and confirm: an email with "
            "an activation code is queued.",
            supplier=_supplier(memory),
            invite=keys["invite"],
        ),
        "#supplier-table",
        _invited,
        ("invite",),
    ),
    Step(
        "mailbox",
        lambda: _("Read the email in the Mailbox"),
        lambda keys, memory: _(
            "Press {mailbox} (Mailbox) and read the invitation to {supplier}: note its "
            "activation code.",
            mailbox=keys["mailbox"],
            supplier=_supplier(memory),
        ),
        "#sidebar",
        lambda seen, memory: seen.kind == "mail_read",
        ("mailbox",),
    ),
    Step(
        "logout",
        lambda: _("Log out"),
        lambda keys, memory: _(
            "Press {logout} to log out: the supplier takes over.", logout=keys["logout"]
        ),
        "#header",
        lambda seen, memory: seen.kind == "logged_out",
        ("logout",),
    ),
    Step(
        "activate",
        lambda: _("Activate with the code"),
        lambda keys, memory: _(
            "Activate with activation code (Tab to it, or {palette}): the Tax ID of "
            "{supplier}, yours, the code, a new username and password.",
            palette=keys["palette"],
            supplier=_supplier(memory),
        ),
        "#activate-button",
        lambda seen, memory: seen.kind == "activated",
        ("palette",),
    ),
    Step(
        "supplier_login",
        lambda: _("Log in as the supplier"),
        lambda keys, memory: _(
            "Log in as {username} with the password just chosen, then Enter.",
            username=memory.supplier_username or _("the supplier's new user"),
        ),
        "#login-panel",
        _supplier_login,
    ),
    Step(
        "buyer_sees",
        lambda: _("Back as the buyer: Registered ✓"),
        lambda keys, memory: _(
            "Press {logout}, log in as {buyer}, search {tax_id} and press {table}: {supplier} "
            "now shows Registered ✓.",
            logout=keys["logout"],
            buyer=_buyer(memory),
            tax_id=memory.supplier_tax_id or _("its Tax ID"),
            table=keys["table"],
            supplier=_supplier(memory),
        ),
        "#supplier-table",
        _is_buyer_supplier,
        ("logout", "table"),
    ),
    Step(
        "bulk",
        lambda: _("Bulk registration"),
        lambda keys, memory: _(
            "Many suppliers at once: press {bulk} (Bulk add) to check and import a CSV or "
            "Excel file, or rows pasted from a spreadsheet.",
            bulk=keys["bulk"],
        ),
        "#supplier-bulk",
        lambda seen, memory: seen.kind == "bulk_opened",
        ("bulk",),
    ),
)


def _learn(memory: Memory, seen: Seen, step: str) -> Memory:
    """Keep what later steps name: the administrator who started, the supplier added, the
    username chosen at activation."""
    if seen.kind == "logged_in" and seen.admin and step == "login":
        return replace(memory, buyer_company=seen.company_id, buyer_username=seen.username)
    if seen.kind == "supplier_added":
        return replace(
            memory,
            supplier_link=seen.link_id,
            supplier_name=seen.name,
            supplier_tax_id=seen.tax_id,
        )
    if seen.kind == "activated":
        return replace(memory, supplier_username=seen.username)
    return memory


@dataclass
class Tour:
    """Where the tour is: the current step's index (``len(STEPS)`` once finished), each step's
    mark, and what it learnt."""

    steps: tuple[Step, ...] = STEPS
    index: int = 0
    marks: list[Mark] = field(default_factory=list)
    memory: Memory = field(default_factory=Memory)

    def __post_init__(self) -> None:
        if not self.marks:
            self.marks = ["todo"] * len(self.steps)

    @property
    def finished(self) -> bool:
        return self.index >= len(self.steps)

    @property
    def current(self) -> Step | None:
        return None if self.finished else self.steps[self.index]

    def see(self, seen: Seen) -> bool:
        """The app saw ``seen``: the current step ticks when it is its event. Returns whether
        the tour changed (moved on, or learnt something to show)."""
        step = self.current
        learnt = _learn(self.memory, seen, step.id if step is not None else "")
        changed = learnt != self.memory
        self.memory = learnt
        if step is None or not step.done_by(seen, self.memory):
            return changed
        self.marks[self.index] = "done"
        self.index += 1
        return True

    def skip(self) -> bool:
        """Leave the current step undone and go to the next one."""
        if self.finished:
            return False
        self.marks[self.index] = "skipped"
        self.index += 1
        return True

    def back(self) -> bool:
        """Go back one step, to do it again (it is no longer ticked)."""
        if self.index == 0:
            return False
        self.index -= 1
        self.marks[self.index] = "todo"
        return True

    def restart(self) -> None:
        """From the first step, with nothing learnt (the demo database starts over too)."""
        self.index = 0
        self.marks = ["todo"] * len(self.steps)
        self.memory = Memory()
