"""The guided tour's logic (``tui/tour.py``), without a terminal: the article's steps in order,
each ticked by its own event only, and back, skip and restart."""

from __future__ import annotations

import pytest

from gosocket_tui.i18n import set_language
from gosocket_tui.tui.tour import STEPS, Seen, Tour

BUYER = 7
SUPPLIER_LINK = 41
KEYS = {
    name: f"<{name}>"
    for name in (
        "network",
        "mailbox",
        "logout",
        "search",
        "table",
        "add_supplier",
        "invite",
        "bulk",
        "palette",
    )
}

# The event that completes each step, in the article's order.
COMPLETES: list[tuple[str, Seen]] = [
    ("login", Seen("logged_in", admin=True, company_id=BUYER, username="ana.admin")),
    ("network", Seen("view_shown", view="network", tab="suppliers")),
    ("search", Seen("searched", tax_id="76.086")),
    ("registered", Seen("supplier_seen", link_id=3, registered=True)),
    (
        "add",
        Seen("supplier_added", link_id=SUPPLIER_LINK, name="Sur SpA", tax_id="76.086.429-3"),
    ),
    ("invite", Seen("invited", link_ids=(SUPPLIER_LINK,))),
    ("mailbox", Seen("mail_read")),
    ("logout", Seen("logged_out")),
    ("activate", Seen("activated", username="sur.admin")),
    ("supplier_login", Seen("logged_in", admin=True, company_id=99, username="sur.admin")),
    ("buyer_sees", Seen("supplier_seen", link_id=SUPPLIER_LINK, registered=True)),
    ("bulk", Seen("bulk_opened")),
]

# Events close to a step's own that must not tick it.
NOT_YET: dict[str, list[Seen]] = {
    "login": [Seen("logged_in", admin=False, company_id=BUYER, username="carlos.viewer")],
    "network": [
        Seen("view_shown", view="mailbox"),
        Seen("view_shown", view="network", tab="clients"),
    ],
    "search": [Seen("searched", tax_id="")],
    "registered": [Seen("supplier_seen", link_id=3, registered=False)],
    "invite": [Seen("invited", link_ids=(5,))],
    "supplier_login": [Seen("logged_in", admin=True, company_id=BUYER, username="ana.admin")],
    "buyer_sees": [
        Seen("supplier_seen", link_id=SUPPLIER_LINK, registered=False),
        Seen("supplier_seen", link_id=3, registered=True),
    ],
}


@pytest.fixture(autouse=True)
def english() -> None:
    set_language("en")


def test_the_steps_follow_the_article() -> None:
    assert [step.id for step in STEPS] == [step for step, _seen in COMPLETES]


def test_each_step_ticks_by_its_own_event_only() -> None:
    tour = Tour()
    for step_id, seen in COMPLETES:
        assert tour.current is not None and tour.current.id == step_id
        for other_step, other in COMPLETES:
            if other_step != step_id and not _same_kind_ticks(step_id, other, tour):
                tour.see(other)
                assert tour.current.id == step_id, (step_id, other)
        for near in NOT_YET.get(step_id, []):
            tour.see(near)
            assert tour.current.id == step_id, (step_id, near)
        assert tour.see(seen)
    assert tour.finished and tour.current is None
    assert tour.marks == ["done"] * len(STEPS)


def _same_kind_ticks(step_id: str, other: Seen, tour: Tour) -> bool:
    """An event of another step that would rightly tick this one too (a login is a login)."""
    step = tour.current
    assert step is not None and step.id == step_id
    return step.done_by(other, tour.memory)


def test_later_steps_name_what_was_learnt() -> None:
    tour = Tour()
    for _step, seen in COMPLETES[:5]:
        tour.see(seen)
    assert tour.current is not None and tour.current.id == "invite"
    assert "Sur SpA" in tour.current.says(KEYS, tour.memory)
    assert "<invite>" in tour.current.says(KEYS, tour.memory)
    for _step, seen in COMPLETES[5:10]:
        tour.see(seen)
    says = tour.current.says(KEYS, tour.memory) if tour.current else ""
    assert "ana.admin" in says and "76.086.429-3" in says and "<logout>" in says


def test_a_long_name_is_shortened_in_a_step() -> None:
    tour = Tour()
    for _step, seen in COMPLETES[:4]:
        tour.see(seen)
    tour.see(Seen("supplier_added", link_id=1, name="N" * 200))
    assert tour.current is not None
    says = tour.current.says(KEYS, tour.memory)
    assert "N" * 29 + "…" in says and "N" * 31 not in says


def test_every_step_names_its_keys_and_reads_in_spanish() -> None:
    english = {step.id: (step.title(), step.says(KEYS, Tour().memory)) for step in STEPS}
    for step in STEPS:
        for name in step.keys:
            assert KEYS[name] in english[step.id][1], step.id
    set_language("es")
    for step in STEPS:
        title, says = step.title(), step.says(KEYS, Tour().memory)
        assert title != english[step.id][0] and says != english[step.id][1], step.id
        for name in step.keys:
            assert KEYS[name] in says, step.id
    assert STEPS[0].title() == "Inicie sesión como administrador"


def test_skip_back_and_restart() -> None:
    tour = Tour()
    assert not tour.back()  # nothing before the first step
    assert tour.skip()
    assert tour.marks[0] == "skipped" and tour.current is not None
    assert tour.current.id == "network"
    tour.see(COMPLETES[1][1])
    assert tour.marks[:2] == ["skipped", "done"]
    assert tour.back() and tour.current.id == "network" and tour.marks[1] == "todo"
    assert tour.back() and tour.current.id == "login" and tour.marks[0] == "todo"
    tour.see(COMPLETES[0][1])
    assert tour.memory.buyer_company == BUYER
    while tour.skip():
        pass
    assert tour.finished and not tour.skip()
    tour.restart()
    assert tour.index == 0 and tour.marks == ["todo"] * len(STEPS)
    assert tour.memory.buyer_company is None


def test_no_step_ticks_by_time_or_by_nothing() -> None:
    """Only ``see`` moves the tour forward: asking for the step again changes nothing."""
    tour = Tour()
    for _ in range(3):
        assert tour.current is not None and tour.current.id == "login"
    assert not tour.see(Seen("mail_read"))
