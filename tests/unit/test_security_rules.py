"""Two security rules checked over every service, enumerated so a new service cannot slip by.

1. Every service that writes (or shows administrator-only evidence) refuses a
   non-administrator and writes nothing but the audit event of the refusal.
2. No read service shows one company's suppliers, invitations, delivery evidence or audit
   trail to another company; writes aimed at another company's supplier find nothing.

The service functions are found by introspection: every public function of
``gosocket_tui.services`` that takes a ``Session`` or a ``ServiceContext`` must be classified
below (WRITES, ADMIN_READS, READS or EXEMPT), so a new one fails here until someone decides
which rule it falls under.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from gosocket_tui import services
from gosocket_tui.db.models import (
    ALL_MODELS,
    AuditEvent,
    CompanySettings,
    DeliveryAttempt,
    OutboxMessage,
    User,
)
from gosocket_tui.errors import NotFound, PermissionDenied
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import (
    activity,
    bulk,
    company_settings,
    invitations,
    overview,
    ssh_keys,
    suppliers,
)
from gosocket_tui.services.bulk import ImportOptions
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery import log as delivery_log
from gosocket_tui.services.delivery import preview
from gosocket_tui.services.session import Session
from tests.invitation_helpers import CO_TAX, deliver

CO_COMPACT = "8600073861"
CL_ONLY_TAX = "96.790.240-3"  # a supplier only the Chilean buyer has
CL_ONLY_COMPACT = "967902403"
NEW_TAX = "78.555.111-7"  # not yet in the network: what add_supplier adds
FILE_TAX = "79.111.222-2"  # the one row of the bulk-import file
CL_EMAIL = "ventas@cafe.example"  # the Chilean buyer's private contact for the shared supplier
PE_EMAIL = "compras-pe@cafe.example"  # the Peruvian buyer's contact for the same supplier
CL_ONLY_EMAIL = "solo@chile.example"
CL_ONLY_NAME = "Solo Chile Ltda"
FILE_HEADER = ["Tax ID*", "Name*", "Email*", "Notify*", "Country"]

Call = Callable[[ServiceContext, Session, "World"], object]


@dataclass(frozen=True)
class World:
    """What the Chilean administrator set up, for one test."""

    invited_id: int  # the shared Colombian supplier, with a queued invitation and its mail
    plain_id: int  # a Chilean supplier never invited
    import_file: Path  # a valid one-row supplier file
    out_dir: Path  # an empty folder for exports


# --- the classification ---------------------------------------------------------------------

WRITES: dict[str, Call] = {
    "suppliers.add.add_supplier": lambda ctx, s, w: suppliers.add_supplier(
        ctx,
        s,
        suppliers.SupplierInput(
            country="CL", tax_id=NEW_TAX, name="Nuevo Proveedor Ltda", email="nuevo@prov.example"
        ),
    ),
    "suppliers.edit.update_supplier": lambda ctx, s, w: suppliers.update_supplier(
        ctx, s, w.plain_id, suppliers.SupplierUpdate(email="otro@chile.example", city="Talca")
    ),
    "suppliers.edit.remove_supplier": lambda ctx, s, w: suppliers.remove_supplier(
        ctx, s, w.plain_id
    ),
    "invitations.invite": lambda ctx, s, w: invitations.invite(ctx, s, [w.plain_id]),
    "invitations.resend": lambda ctx, s, w: invitations.resend(ctx, s, w.invited_id),
    "invitations.change_email": lambda ctx, s, w: invitations.change_email(
        ctx, s, w.invited_id, "nuevo@cafe.example"
    ),
    "invitations.cancel": lambda ctx, s, w: invitations.cancel(ctx, s, w.invited_id),
    "bulk.importer.import_file": lambda ctx, s, w: bulk.import_file(
        ctx, s, w.import_file, ImportOptions(default_country="CL")
    ),
    "company_settings.update_settings": lambda ctx, s, w: company_settings.update_settings(
        ctx, s, reminders_enabled=True, note="Gracias"
    ),
}
"""Services that change data: administrators only."""

ADMIN_READS: dict[str, Call] = {
    "activity.list_events": lambda ctx, s, w: activity.list_events(ctx, s),
    "activity.export_events_csv": lambda ctx, s, w: activity.export_events_csv(
        ctx, s, w.out_dir / "audit.csv"
    ),
    "delivery.log.delivery_log": lambda ctx, s, w: delivery_log.delivery_log(ctx, s, w.invited_id),
    "delivery.log.delivery_log_text": lambda ctx, s, w: delivery_log.delivery_log_text(
        ctx, s, w.invited_id
    ),
    "delivery.log.recent_deliveries": lambda ctx, s, w: delivery_log.recent_deliveries(ctx, s),
    "bulk.importer.validate": lambda ctx, s, w: bulk.validate(
        ctx, s, w.import_file, ImportOptions(default_country="CL")
    ),
    "company_settings.get_settings": lambda ctx, s, w: company_settings.get_settings(ctx, s),
    "delivery.preview.preview_invitation": lambda ctx, s, w: preview.preview_invitation(
        ctx, s, note="", reply_to=""
    ),
}
"""Reads that show evidence (audit trail, recipients and server replies, a file check that
prepares an import): administrators only, held to the same refusal rule as the writes."""

READS: dict[str, Call] = {
    "suppliers.listing.list_suppliers": lambda ctx, s, w: suppliers.list_suppliers(ctx, s),
    "suppliers.listing.count_suppliers": lambda ctx, s, w: suppliers.count_suppliers(ctx, s),
    "suppliers.lookup.get_supplier": lambda ctx, s, w: suppliers.get_supplier(ctx, s, w.plain_id),
    "suppliers.lookup.find_supplier": lambda ctx, s, w: suppliers.find_supplier(
        ctx, s, "CO", CO_TAX
    ),
    "suppliers.listing.locate_supplier": lambda ctx, s, w: suppliers.locate_supplier(
        ctx, s, suppliers.SupplierFilter(), w.plain_id
    ),
    "suppliers.clients.list_clients": lambda ctx, s, w: suppliers.list_clients(ctx, s),
    "invitations.resolve_suppliers": lambda ctx, s, w: invitations.resolve_suppliers(
        ctx, s, [f"CO:{CO_TAX}"]
    ),
    "ssh_keys.my_keys": lambda ctx, s, w: ssh_keys.my_keys(ctx, s),
    "overview.overview": lambda ctx, s, w: overview.overview(ctx, s),
}
"""Reads any user of the company may call."""

EXEMPT: dict[str, str] = {
    # The guards themselves and the audit writer every service calls after its checks.
    "session.session_expired_reason": "the session guard",
    "session.require_session": "the session guard",
    "session.require_admin": "the administrator guard (records the refusal)",
    "session.touch": "restarts the idle timer of the caller's own session",
    "audit.record": "the audit writer; services call it after their own checks",
    "audit.record_many": "the audit writer for many rows (a big invite), after its checks",
    # Anyone logged in may end their own session; it writes only the logout audit event.
    "auth.logout": "ends the caller's own session",
    "ssh_keys.remove_my_key": "removes only the caller's own key (test_ssh_keys checks another's)",
    "ssh_keys.key_still_valid": "the SSH server re-checks its own session's user and key",
    "own_company.own_company_session": "the guard of --company over SSH: the user's own only",
    # No session exists yet: login, and activation by the supplier with its emailed code.
    "auth.authenticate": "login: creates the session",
    "ssh_keys.authenticate_key": "SSH login by key: creates the session",
    "ssh_keys.key_accepted": "the SSH server's check before the key is proved; reads only",
    "ssh_keys.key_registered": "an SSH activation's check of the key it proved; reads only",
    "ssh_keys.refuse_key": "the SSH server's refusal of a key: audits a failed login only",
    "activation.activate": "done by the invited supplier, authorised by its code",
    "auth.insert_user_in_transaction": "activation's user insert, inside its transaction",
    # Server-operator commands (CLI ``admin`` group, demo): whoever runs them holds the
    # database file; the TUI never calls them.
    "auth.create_user": "server-operator command",
    "auth.list_users": "server-operator command",
    "auth.unlock_user": "server-operator command",
    "auth.set_user_active": "server-operator command",
    "ssh_keys.add_key": "server-operator command",
    "ssh_keys.list_keys": "server-operator command",
    "ssh_keys.remove_key": "server-operator command",
    "companies.create_company": "server-operator command",
    "companies.get_company_by_ref": "looks up a company for operator commands",
    "system.system_session": "the CLI's system actor (server operator)",
    "demo.seed_demo": "fills the trainers' demo database",
    "demo.reset_demo": "starts the trainers' demo database over (refuses a database it did "
    "not seed: test_demo_guard)",
    "demo.is_demo_database": "whether the demo seeded this database (read-only)",
    "demo.refuse_unless_demo": "the demo's guard against real data (test_demo_guard)",
    "demo.seed_history": "the demo's onboarding history, part of seed_demo",
    # Helpers with no actor of their own, called inside an authorised service.
    "invitation_queue.new_message_id": "Message-ID generator for the invite and import services",
    # The deliverer: sends what an authorised invite queued, as the system (no session).
    "delivery.deliverer.deliver_over_connections": "the deliverer (`mail deliver`), a system actor",
    "delivery.claims.claim_due": "the deliverer's claims",
    "delivery.claims.release_claims": "the deliverer's claims",
    "delivery.message.prepare": "the deliverer builds the queued email with its code",
    "delivery.message.compose_job_email": "builds one email from data its caller read "
    "(the deliverer, or the preview after its administrator check)",
    "delivery.outcomes.load_jobs": "the deliverer reads the messages it claimed",
    "delivery.outcomes.reserve_code": "the deliverer stores a code's hash before sending",
    "delivery.outcomes.record_sent": "the deliverer's evidence of a try",
    "delivery.outcomes.record_server_problem": "the deliverer's evidence of a try",
    "delivery.outcomes.record_failed": "the deliverer's evidence of a try",
    "delivery.reminders.queue_due_reminders": "the deliverer queues the reminders a company's "
    "administrator scheduled, as the system",
    "expiry.sweep_expired": "marks expired codes' invitations, as the system (deliverer, listing)",
    "invitation_queue.queue_invitations": "queues the links an authorised service chose (invite, "
    "resend, bulk import), inside its transaction",
}
"""Session or context taking functions outside both rules, with the reason."""


# --- introspection --------------------------------------------------------------------------


def _takes(function: Callable[..., Any], type_name: str) -> bool:
    """True when a parameter is annotated with ``type_name`` (alone or in a union)."""
    pattern = re.compile(rf"\b{type_name}\b")
    return any(
        pattern.search(str(p.annotation))
        for p in inspect.signature(function).parameters.values()
        if p.annotation is not inspect.Parameter.empty
    )


def service_functions() -> dict[str, Callable[..., Any]]:
    """Public functions defined in the services package that take a Session or a context."""
    found: dict[str, Callable[..., Any]] = {}
    prefix = services.__name__ + "."
    for info in pkgutil.walk_packages(services.__path__, prefix):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ != module.__name__:
                continue  # imported, classified where it is defined
            if _takes(obj, "Session") or _takes(obj, "ServiceContext"):
                found[f"{info.name.removeprefix(prefix)}.{name}"] = obj
    return found


def test_every_service_function_is_classified() -> None:
    """A new service must be put under a rule (or exempted with a reason) before it ships."""
    tables = [set(WRITES), set(ADMIN_READS), set(READS), set(EXEMPT)]
    for i, one in enumerate(tables):
        for other in tables[i + 1 :]:
            assert not one & other, f"classified twice: {sorted(one & other)}"
    found = service_functions()
    classified = set().union(*tables)
    assert not set(found) - classified, f"unclassified services: {sorted(set(found) - classified)}"
    assert not classified - set(found), f"stale entries: {sorted(classified - set(found))}"


def test_session_taking_services_are_not_exempt_lightly() -> None:
    """Only the guards, the audit writer and logout may take a Session and skip both rules."""
    found = service_functions()
    exempt_with_session = {name for name in EXEMPT if _takes(found[name], "Session")}
    assert exempt_with_session == {
        "session.session_expired_reason",
        "session.require_session",
        "session.require_admin",
        "session.touch",
        "audit.record",
        "audit.record_many",
        "auth.logout",
        "ssh_keys.remove_my_key",
        "ssh_keys.key_still_valid",
        "own_company.own_company_session",
    }
    assert all(_takes(found[name], "Session") for name in [*WRITES, *ADMIN_READS, *READS])


# --- rule 1: a non-administrator is refused and nothing is written ---------------------------


def _add(ctx: ServiceContext, session: Session, tax_id: str, name: str, email: str) -> int:
    country = "CO" if tax_id == CO_TAX else "CL"
    data = suppliers.SupplierInput(country=country, tax_id=tax_id, name=name, email=email)
    return suppliers.add_supplier(ctx, session, data).id


@pytest.fixture
def world(ctx: ServiceContext, admin: Session, tmp_path: Path) -> World:
    invited = _add(ctx, admin, CO_TAX, "Cafés de Colombia SAS", CL_EMAIL)
    plain = _add(ctx, admin, CL_ONLY_TAX, CL_ONLY_NAME, CL_ONLY_EMAIL)
    invitations.invite(ctx, admin, [invited])
    path = tmp_path / "suppliers.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FILE_HEADER)
        writer.writerow([FILE_TAX, "Importado Ltda", "importado@prov.example", "1", "CL"])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    return World(invited_id=invited, plain_id=plain, import_file=path, out_dir=out_dir)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit trail, to detect any insert, update or delete."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for model in ALL_MODELS:
        if model is not AuditEvent:
            rows: Any = model.select().order_by(model.id).tuples()  # peewee's stubs miss tuples
            tables[model.__name__] = list(rows)
    return tables


def _last_event_id() -> int:
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    return last.id if last else 0


@pytest.mark.parametrize("name", sorted([*WRITES, *ADMIN_READS]))
def test_non_administrator_is_refused_and_nothing_is_written(
    ctx: ServiceContext, viewer: Session, admin: Session, world: World, name: str
) -> None:
    """The refusal must come before any write, and leave an audit event saying who tried."""
    call = {**WRITES, **ADMIN_READS}[name]
    before = snapshot()
    last_event = _last_event_id()

    with pytest.raises(PermissionDenied):
        call(ctx, viewer, world)

    assert snapshot() == before
    assert list(world.out_dir.iterdir()) == []
    new_events = list(AuditEvent.select().where(AuditEvent.id > last_event))
    assert new_events, "the refused attempt left no audit event"
    assert {(e.actor_id, e.company_id, e.outcome) for e in new_events} == {
        (viewer.user_id, viewer.company_id, "refused")
    }
    # The same call by an administrator goes through: the refusal was about rights, not
    # about arguments that would have failed anyway.
    call(ctx, admin, world)


@pytest.mark.parametrize("name", sorted(READS))
def test_reads_are_open_to_every_user_of_the_company(
    ctx: ServiceContext, viewer: Session, world: World, name: str
) -> None:
    """READS are what a non-administrator may see; one needing rights belongs in ADMIN_READS."""
    READS[name](ctx, viewer, world)


# --- rule 2: another company sees nothing ---------------------------------------------------


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


@dataclass(frozen=True)
class Evidence:
    """The Chilean buyer's data, and markers that must never reach the Peruvian buyer."""

    world: World
    cl_message_ids: frozenset[str]
    cl_event_ids: frozenset[int]
    pe_link_id: int
    markers: tuple[str, ...]


@pytest.fixture
def evidence(
    ctx: ServiceContext, admin: Session, other_admin: Session, world: World, sink: MailSink
) -> Evidence:
    """Both buyers have the same Colombian supplier (shared company, separate links) and
    invited it; the mail was delivered, so there are tries and server replies to leak."""
    pe_link = _add(ctx, other_admin, CO_TAX, "Cafés de Colombia SAS", PE_EMAIL)
    invitations.invite(ctx, other_admin, [pe_link])
    report = deliver(ctx, sink.port)
    assert report.sent == 2
    cl_messages = {
        m.message_id for m in OutboxMessage.select().where(OutboxMessage.buyer == admin.company_id)
    }
    assert len(cl_messages) == 1 and DeliveryAttempt.select().count() == 2
    # The owner does see it all (so "nothing" below means isolation, not missing data).
    assert suppliers.count_suppliers(ctx, admin) == 2
    assert len(delivery_log.delivery_log(ctx, admin, world.invited_id)[0].tries) == 1
    cl_events = {e.id for e in AuditEvent.select().where(AuditEvent.company_id == admin.company_id)}
    assert any(r.target == f"CL:{CL_ONLY_TAX}" for r in activity.list_events(ctx, admin).rows)
    return Evidence(
        world=world,
        cl_message_ids=frozenset(cl_messages),
        cl_event_ids=frozenset(cl_events),
        pe_link_id=pe_link,
        markers=(CL_EMAIL, CL_ONLY_TAX, CL_ONLY_COMPACT, CL_ONLY_EMAIL, CL_ONLY_NAME, *cl_messages),
    )


def _no_marker(ev: Evidence, value: object) -> None:
    text = repr(value)
    leaked = [m for m in ev.markers if m in text]
    assert not leaked, f"another company's data leaked: {leaked}"


def _rejects_or_empty(ev: Evidence, ctx: ServiceContext, s: Session, call: Call) -> None:
    try:
        result = call(ctx, s, ev.world)
    except (NotFound, PermissionDenied):
        return
    _no_marker(ev, result)


def _check_list(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    page = suppliers.list_suppliers(ctx, s)
    assert [r.id for r in page.rows] == [ev.pe_link_id]
    assert page.rows[0].email == PE_EMAIL
    _no_marker(ev, page)


def _check_count(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    assert suppliers.count_suppliers(ctx, s) == 1
    assert suppliers.count_suppliers(ctx, s, suppliers.SupplierFilter(tax_id=CL_ONLY_COMPACT)) == 0


def _check_overview(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    figures = overview.overview(ctx, s)
    assert figures.total == 1
    assert [p.row.id for p in figures.oldest_pending] == [ev.pe_link_id]
    _no_marker(ev, figures)


def _check_get(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    for link_id in (ev.world.invited_id, ev.world.plain_id):
        with pytest.raises(NotFound):
            suppliers.get_supplier(ctx, s, link_id)
    _no_marker(ev, suppliers.get_supplier(ctx, s, ev.pe_link_id))


def _check_find(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    assert suppliers.find_supplier(ctx, s, "CL", CL_ONLY_TAX) is None
    own = suppliers.find_supplier(ctx, s, "CO", CO_TAX)
    assert own is not None and own.id == ev.pe_link_id
    _no_marker(ev, own)


def _check_locate(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    hiding = suppliers.SupplierFilter(name=CL_ONLY_NAME, sort="name")
    for link_id in (ev.world.invited_id, ev.world.plain_id):
        with pytest.raises(NotFound):
            suppliers.locate_supplier(ctx, s, hiding, link_id)
    own = suppliers.locate_supplier(ctx, s, hiding, ev.pe_link_id)
    assert own.filter == suppliers.SupplierFilter(sort="name")
    assert own.key[1] == ev.pe_link_id
    _no_marker(ev, own)


def _check_clients(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    assert suppliers.list_clients(ctx, s).rows == []


def _check_resolve(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    assert invitations.resolve_suppliers(ctx, s, [f"CO:{CO_TAX}"]) == [ev.pe_link_id]
    with pytest.raises(NotFound):
        invitations.resolve_suppliers(ctx, s, [f"CL:{CL_ONLY_TAX}"])


def _check_delivery_log(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    for link_id in (ev.world.invited_id, ev.world.plain_id):
        with pytest.raises(NotFound):
            delivery_log.delivery_log(ctx, s, link_id)
    own = delivery_log.delivery_log(ctx, s, ev.pe_link_id)
    assert [e.recipient for e in own] == [PE_EMAIL]
    _no_marker(ev, own)


def _check_delivery_text(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    for link_id in (ev.world.invited_id, ev.world.plain_id):
        with pytest.raises(NotFound):
            delivery_log.delivery_log_text(ctx, s, link_id)
    _no_marker(ev, delivery_log.delivery_log_text(ctx, s, ev.pe_link_id))


def _check_recent(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    recent = delivery_log.recent_deliveries(ctx, s)
    assert [e.recipient for e in recent] == [PE_EMAIL]
    assert not {e.message_id for e in recent} & ev.cl_message_ids
    _no_marker(ev, recent)


def _check_audit_list(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    rows = activity.list_events(ctx, s, limit=1000).rows
    assert rows and not {r.id for r in rows} & ev.cl_event_ids
    assert "ana" not in {r.user for r in rows}
    _no_marker(ev, rows)


def _check_audit_csv(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    path = ev.world.out_dir / "audit.csv"
    count = activity.export_events_csv(ctx, s, path)
    own = AuditEvent.select().where(AuditEvent.company_id == s.company_id).count()
    assert 0 < count <= own  # the export's own read may add a row after it started
    text = path.read_text(encoding="utf-8-sig")
    assert ",ana," not in text
    _no_marker(ev, text)


def _check_validate(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    path = ev.world.out_dir / "cl_only.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FILE_HEADER)
        writer.writerow([CL_ONLY_TAX, "Otro Nombre", "pe@prov.example", "0", "CL"])
    report = bulk.validate(ctx, s, path, ImportOptions(default_country="CL"))
    report.discard()
    # The Chilean buyer's supplier is new for Peru: "existing" would reveal someone's list.
    assert (report.new, report.existing) == (1, 0)
    _no_marker(ev, report.issues)


def _check_my_keys(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    ana_key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    ana = ssh_keys.add_key(ctx, "ana", ana_key)
    own = ssh_keys.my_keys(ctx, s)
    assert ana.fingerprint not in {k.fingerprint for k in own}
    with pytest.raises(NotFound):
        ssh_keys.remove_my_key(ctx, s, ana.fingerprint)
    assert [k.fingerprint for k in ssh_keys.list_keys(ctx, "ana")] == [ana.fingerprint]


def _check_settings(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    chile = CompanySettings.create(
        company=User.get(User.username == "ana").company_id, note=CL_ONLY_NAME, reply_to=CL_EMAIL
    )
    own = company_settings.get_settings(ctx, s)
    assert own == company_settings.DEFAULTS
    _no_marker(ev, own)
    company_settings.update_settings(ctx, s, note="Peru")
    assert CompanySettings.get_by_id(chile.id).note == CL_ONLY_NAME


def _check_preview(ctx: ServiceContext, s: Session, ev: Evidence) -> None:
    CompanySettings.create(
        company=User.get(User.username == "ana").company_id, note=CL_ONLY_NAME, reply_to=CL_EMAIL
    )
    email = preview.preview_invitation(ctx, s, note="", reply_to="")
    assert "Distribuidora del Pacífico SAC" in email.text
    _no_marker(ev, email)


ISOLATION: dict[str, Callable[[ServiceContext, Session, Evidence], None]] = {
    "delivery.preview.preview_invitation": _check_preview,
    "company_settings.get_settings": _check_settings,
    "suppliers.listing.list_suppliers": _check_list,
    "suppliers.listing.count_suppliers": _check_count,
    "suppliers.lookup.get_supplier": _check_get,
    "suppliers.lookup.find_supplier": _check_find,
    "suppliers.listing.locate_supplier": _check_locate,
    "suppliers.clients.list_clients": _check_clients,
    "invitations.resolve_suppliers": _check_resolve,
    "delivery.log.delivery_log": _check_delivery_log,
    "delivery.log.delivery_log_text": _check_delivery_text,
    "delivery.log.recent_deliveries": _check_recent,
    "activity.list_events": _check_audit_list,
    "activity.export_events_csv": _check_audit_csv,
    "bulk.importer.validate": _check_validate,
    "ssh_keys.my_keys": _check_my_keys,
    "overview.overview": _check_overview,
}
"""How another company's administrator must see each read: its own data, none of ours."""


def test_every_read_has_an_isolation_check() -> None:
    assert set(ISOLATION) == set(READS) | set(ADMIN_READS)


@pytest.mark.parametrize("name", sorted(ISOLATION))
def test_another_company_sees_nothing(
    ctx: ServiceContext, other_admin: Session, evidence: Evidence, name: str
) -> None:
    """Peru's administrator, with full rights in Peru, reads none of Chile's data."""
    ISOLATION[name](ctx, other_admin, evidence)


@pytest.mark.parametrize("name", sorted(ISOLATION))
def test_another_company_generic_call_leaks_nothing(
    ctx: ServiceContext, other_admin: Session, evidence: Evidence, name: str
) -> None:
    """The same calls as rule 1 (Chile's ids and Tax IDs), made by Peru: refused or clean."""
    _rejects_or_empty(evidence, ctx, other_admin, {**READS, **ADMIN_READS}[name])


LINK_WRITES = sorted(
    name
    for name, function in service_functions().items()
    if name in WRITES and {"link_id", "link_ids"} & set(inspect.signature(function).parameters)
)


def test_link_writes_are_found() -> None:
    assert LINK_WRITES == [
        "invitations.cancel",
        "invitations.change_email",
        "invitations.invite",
        "invitations.resend",
        "suppliers.edit.remove_supplier",
        "suppliers.edit.update_supplier",
    ]


@pytest.mark.parametrize("name", LINK_WRITES)
def test_another_company_cannot_write_our_suppliers(
    ctx: ServiceContext, other_admin: Session, world: World, name: str
) -> None:
    """Another company's administrator aiming at our supplier ids finds nothing to change."""
    before = snapshot()
    last_event = _last_event_id()
    try:
        result = WRITES[name](ctx, other_admin, world)
    except NotFound:
        pass
    else:
        assert isinstance(result, invitations.InviteResult)
        assert [o.reason for o in result.outcomes] == ["not_found"]
    assert snapshot() == before
    new_events = AuditEvent.select().where(AuditEvent.id > last_event)
    assert all(e.company_id == other_admin.company_id for e in new_events)  # not in our trail
