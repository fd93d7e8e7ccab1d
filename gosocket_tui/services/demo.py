"""The trainers' demo: a database seeded from ``fixtures/demo.toml`` with realistic data.

Suppliers are generated deterministically (seeded) with valid Tax IDs, so every demo and every
snapshot shows the same companies. Each buyer also gets twelve weeks of onboarding history
before the demo clock's now (:func:`seed_history`): invitations sent, activated after a
realistic delay, expired, bounced or cancelled, with their outbox messages, delivery attempts
and audit events, so the Overview has a story to tell.

The demo needs no mail server: :func:`start_demo_sink` runs the built-in SMTP sink
(``mail/sink.py``) on a free loopback port, keeping what it receives in a Maildir beside the
demo database, and returns the configuration that points delivery at it. The app's Mailbox
reads that Maildir (``DemoInfo.maildir``), so a trainer can show the invitation just sent.
"""

from __future__ import annotations

import math
import random
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.pe import ruc

from gosocket_tui.config import Config
from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import (
    ALL_MODELS,
    AuditEvent,
    Company,
    CompanySettings,
    DeliveryAttempt,
    Invitation,
    OutboxMessage,
    SupplierLink,
    User,
)
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _, translate
from gosocket_tui.mail.compose import REMINDER_SUBJECT
from gosocket_tui.services import audit
from gosocket_tui.services.company_settings import DEFAULT_REMINDER_DAYS
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.invitation_queue import (
    KIND_INVITATION,
    KIND_REMINDER,
    SUBJECT,
    invitation_language,
)
from gosocket_tui.services.overview import week_starts
from gosocket_tui.services.passwords import hash_password
from gosocket_tui.services.taxid import parse_tax_id

if TYPE_CHECKING:
    from gosocket_tui.mail.sink import MailSink  # aiosmtpd: only when a demo starts

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "demo.toml"
DEMO_PASSWORD = "gosocket-demo-2026"
DEMO_MAILDIR = "demo-maildir"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    company_name: str
    is_admin: bool


@dataclass(frozen=True)
class DemoInfo:
    """What the demo login screen shows: the accounts and their shared password."""

    password: str
    accounts: list[DemoAccount] = field(default_factory=list)
    maildir: Path | None = None


def demo_db_url() -> str:
    return "sqlite:///" + str(Path(platformdirs.user_data_dir("gosocket-tui")) / "demo.db")


def load_fixture(path: Path = FIXTURE) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def demo_info(fixture: dict[str, Any], maildir: Path | None = None) -> DemoInfo:
    accounts = []
    for buyer in fixture["buyer"]:
        accounts.append(DemoAccount(buyer["admin"], buyer["name"], True))
        accounts.append(DemoAccount(buyer["user"], buyer["name"], False))
    return DemoInfo(password=DEMO_PASSWORD, accounts=accounts, maildir=maildir)


def generate_tax_id(country: str, rng: random.Random) -> str:
    """A valid, random compact Tax ID for the demo's countries."""
    if country == "CL":
        body = str(rng.randint(60_000_000, 99_999_999))
        return body + rut.calc_check_digit(body)
    if country == "PE":
        body = "20" + str(rng.randint(10_000_000, 99_999_999))
        return body + ruc.calc_check_digit(body)
    if country == "CO":
        body = str(rng.randint(800_000_000, 999_999_999))
        return body + nit.calc_check_digit(body)
    if country == "MX":
        letters = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXZ") for _ in range(3))
        date = f"{rng.randint(70, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        tail = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ123456789") for _ in range(3))
        return letters + date + tail
    raise ValueError(country)


def seed_demo(ctx: ServiceContext, fixture: dict[str, Any]) -> None:
    """Fill an empty database with the demo companies, users and suppliers."""
    rng = random.Random(fixture.get("seed", 1))
    now = ctx.clock.now()
    password_hash = hash_password(DEMO_PASSWORD)
    names = fixture["names"]

    def write() -> None:
        buyers: list[Company] = []
        admins: dict[int, User] = {}  # the buyer's first user: its administrator
        for spec in fixture["buyer"]:
            tax = parse_tax_id(spec["country"], spec["tax_id"])
            company = Company.create(
                country=tax.country,
                tax_id=tax.compact,
                name=spec["name"],
                registered_at=now,
                created_at=now,
            )
            buyers.append(company)
            for username, is_admin in ((spec["admin"], True), (spec["user"], False)):
                user = User.create(
                    company=company,
                    username=username,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    created_at=now,
                )
                if is_admin:
                    admins[company.id] = user
            audit.record(
                ctx,
                None,
                "demo.seed",
                target=f"{tax.country}:{tax.compact}",
                company_id=company.id,
                actor_name="system",
            )
        countries = [b.country for b in buyers]
        used: set[tuple[str, str]] = {(b.country, b.tax_id) for b in buyers}
        for buyer in buyers:
            rows = []
            for _index in range(int(fixture["suppliers_per_buyer"])):
                country = rng.choice(countries)
                tax_id = generate_tax_id(country, rng)
                while (country, tax_id) in used:
                    tax_id = generate_tax_id(country, rng)
                used.add((country, tax_id))
                name = (
                    f"{rng.choice(names['first'])} {rng.choice(names['second'])} "
                    f"{rng.choice(names['suffix'])}"
                )
                registered = rng.random() < float(fixture["registered_share"])
                supplier = Company.create(
                    country=country,
                    tax_id=tax_id,
                    name=name if registered else "",
                    registered_at=now if registered else None,
                    created_at=now,
                )
                slug = "".join(ch for ch in name.lower() if ch.isalnum())[:16]
                rows.append(
                    {
                        "buyer": buyer.id,
                        "supplier": supplier.id,
                        "country": country,
                        "tax_id": tax_id,
                        "name": name,
                        "email": f"contacto@{slug}.example",
                        "groups": rng.choice(names["groups"]),
                        "status": "registered" if registered else "not_invited",
                        "status_at": now if registered else None,
                        "added_at": now,
                        "updated_at": now,
                    }
                )
            for start in range(0, len(rows), 200):
                SupplierLink.insert_many(rows[start : start + 200]).execute()
            # The demo's buyers chase their invitations: reminders on, the default schedule.
            CompanySettings.create(company=buyer, reminders_enabled=True, updated_at=now)
            seed_history(ctx, buyer, admins[buyer.id], fixture["history"], now)
        # Each buyer supplies the next one, so the Clients tab has something to show.
        for buyer, client in zip(buyers, buyers[1:] + buyers[:1], strict=True):
            SupplierLink.create(
                buyer=client,
                supplier=buyer,
                country=buyer.country,
                tax_id=buyer.tax_id,
                name=buyer.name,
                email=f"ventas@{buyer.tax_id.lower()}.example",
                status="registered",
                status_at=now,
                added_at=now,
                updated_at=now,
            )

    transaction(write)


BOUNCE_REPLY = "550 5.1.1 <{email}>: Recipient address rejected: User unknown"
SENT_REPLY = "250 2.0.0 Ok: queued"


def seed_history(
    ctx: ServiceContext, buyer: Company, admin: User, spec: dict[str, Any], now: datetime
) -> None:
    """Twelve weeks of onboarding before ``now`` for some of ``buyer``'s suppliers not yet
    invited: each was invited by ``admin`` and sent, then activated after a delay (most within
    two days, a few near the code's expiry), bounced, was cancelled, expired, or is still
    waiting. Written as the app would have: invitation, outbox message and delivery attempt,
    the link's state, the registered supplier company, and the audit events of each step.

    Deterministic for a buyer (its own seeded generator, so the suppliers drawn before stay
    the same); ``spec`` is the fixture's ``[history]`` table (shares of each outcome).
    """
    rng = random.Random(f"{spec['seed']}:{buyer.country}:{buyer.tax_id}")
    lifetime = timedelta(hours=ctx.config.activation_code_lifetime_hours)
    candidates = list(
        SupplierLink.select()
        .where((SupplierLink.buyer == buyer.id) & (SupplierLink.status == "not_invited"))
        .order_by(SupplierLink.id)
    )
    chosen = rng.sample(candidates, round(len(candidates) * float(spec["invited_share"])))
    span = (now - week_starts(now)[0]).total_seconds() - 3600  # within the Overview's weeks
    for link in sorted(chosen, key=lambda link: link.id):
        # More invitations in recent weeks (the company is rolling the network out).
        sent = now - timedelta(seconds=int(span * (1 - math.sqrt(rng.random()))) + 600)
        outcome = rng.random()
        used = cancelled = None
        if outcome < float(spec["activated_share"]):
            delay = min(rng.lognormvariate(math.log(1.2), 0.9), 6.8)  # days; median 1.2
            used = sent + timedelta(days=delay)
            if used >= now:
                used = None  # not yet: still waiting
        failed = used is None and outcome > 1 - float(spec["bounced_share"])
        if used is None and not failed and rng.random() < float(spec["cancelled_share"]):
            cancelled = sent + timedelta(days=rng.uniform(1, 6))
            if cancelled >= now:
                cancelled = None
        _write_history(ctx, buyer, admin, link, now, sent, lifetime, used, cancelled, failed, rng)


def _write_history(
    ctx: ServiceContext,
    buyer: Company,
    admin: User,
    link: SupplierLink,
    now: datetime,
    sent: datetime,
    lifetime: timedelta,
    used: datetime | None,
    cancelled: datetime | None,
    failed: bool,
    rng: random.Random,
) -> None:
    """One supplier's invitation, its reminders, and what became of it (see
    :func:`seed_history`)."""
    language = invitation_language(link)
    subject = translate(SUBJECT, language, buyer=buyer.name)
    queued = sent - timedelta(seconds=rng.randint(2, 40))
    expires = None if failed else sent + lifetime
    target = f"{link.country}:{link.tax_id}"
    status = "used" if used else "cancelled" if cancelled else "failed" if failed else "sent"
    invitation = Invitation.create(
        link=link,
        buyer=buyer,
        supplier=link.supplier_id,
        email=link.email,
        language=language,
        status=status,
        attempts=1,
        created_at=queued,
        sent_at=None if failed else sent,
        expires_at=expires,
        used_at=used,
        cancelled_at=cancelled,
        invited_by=admin,
    )
    message_id = f"<history-{invitation.id}-{rng.getrandbits(48):012x}@demo.gosocket.example>"
    reply = BOUNCE_REPLY.format(email=link.email) if failed else SENT_REPLY
    message = OutboxMessage.create(
        buyer=buyer,
        invitation=invitation,
        kind=KIND_INVITATION,
        recipient=link.email,
        subject=subject,
        language=language,
        message_id=message_id,
        status="failed" if failed else "sent",
        attempts=1,
        next_attempt_at=queued,
        sent_at=None if failed else sent,
        last_error=reply if failed else None,
        server_reply=None if failed else reply,
        created_at=queued,
    )
    DeliveryAttempt.create(
        message=message,
        at=sent,
        outcome="permanent" if failed else "sent",
        code=550 if failed else 250,
        reply=reply,
    )
    events: list[tuple[datetime, str, int | None, int, str, str, str]] = [
        (queued, admin.username, admin.id, buyer.id, "invitation.invite", "ok", f"to {link.email}")
    ]
    # The reminders the deliverer sent on the default schedule while the code still waited.
    until = min(moment for moment in (used, cancelled, expires, now) if moment is not None)
    reminders = (
        []
        if failed
        else [
            sent + timedelta(days=day, seconds=rng.randint(30, 900))
            for day in DEFAULT_REMINDER_DAYS
            if sent + timedelta(days=day) < until
        ]
    )
    for at in reminders:
        reminder_id = f"<history-{invitation.id}-r{rng.getrandbits(48):012x}@demo.gosocket.example>"
        reminder = OutboxMessage.create(
            buyer=buyer,
            invitation=invitation,
            kind=KIND_REMINDER,
            recipient=link.email,
            subject=translate(REMINDER_SUBJECT, language, buyer=buyer.name),
            language=language,
            message_id=reminder_id,
            status="sent",
            attempts=1,
            next_attempt_at=at,
            sent_at=at,
            server_reply=SENT_REPLY,
            created_at=at,
        )
        DeliveryAttempt.create(message=reminder, at=at, outcome="sent", code=250, reply=SENT_REPLY)
        detail = f"to {link.email}; {reminder_id}; {SENT_REPLY}"
        events.append((at, "system", None, buyer.id, "invitation.reminded", "ok", detail))
    if failed:
        detail = f"to {link.email}; {message_id}; {reply}"
        events.append(
            (sent, "system", None, buyer.id, "invitation.delivery_failed", "failed", detail)
        )
    else:
        detail = f"to {link.email}; {message_id}; {reply}"
        events.append((sent, "system", None, buyer.id, "invitation.sent", "ok", detail))
    if cancelled:
        events.append(
            (cancelled, admin.username, admin.id, buyer.id, "invitation.cancel", "ok", "")
        )
    if used:
        username = f"{link.tax_id.lower()}.admin"
        events += [
            (used, username, None, link.supplier_id, "supplier.activate", "ok", ""),
            (
                used,
                username,
                None,
                buyer.id,
                "supplier.registered",
                "ok",
                "activated with your invitation",
            ),
        ]
        Company.update(name=link.name, registered_at=used).where(
            Company.id == link.supplier_id
        ).execute()
    AuditEvent.insert_many(
        [
            {
                "at": at,
                "actor_id": actor_id,
                "actor_name": actor,
                "company_id": company_id,
                "action": action,
                "target": target,
                "outcome": outcome,
                "detail": detail,
            }
            for at, actor, actor_id, company_id, action, outcome, detail in events
        ]
    ).execute()
    state = {"used": "registered", "cancelled": "cancelled", "failed": "delivery_failed"}
    Invitation.update(reminders_queued=len(reminders)).where(
        Invitation.id == invitation.id
    ).execute()
    SupplierLink.update(
        reminders=len(reminders),
        status=state.get(status, "invited"),
        status_at=used or cancelled or sent,
        expires_at=expires if status == "sent" else None,
        updated_at=used or cancelled or sent,
    ).where(SupplierLink.id == link.id).execute()


def prepare_demo(
    config: Config, *, fresh: bool = False, maildir: Path | None = None
) -> tuple[ServiceContext, DemoInfo]:
    """Open (or recreate with ``fresh``) the demo database and seed it when empty.

    ``maildir`` is where the demo's mail sink keeps what it receives (see
    :func:`start_demo_sink`); it reaches the app's Mailbox through ``DemoInfo.maildir``.
    """
    if fresh and config.db == demo_db_url():  # the demo's own file: recreated whole
        path = Path(config.db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        fresh = False
    fixture = load_fixture()
    ctx = open_context(config)
    try:
        if Company.select().exists():
            if config.db != demo_db_url():
                refuse_unless_demo(ctx)
            if fresh:
                reset_demo(ctx, maildir)
        else:
            seed_demo(ctx, fixture)
    except BaseException:
        ctx.close()
        raise
    return ctx, demo_info(fixture, maildir)


def is_demo_database(ctx: ServiceContext) -> bool:
    """Whether the open database was seeded by the demo (its ``demo.seed`` audit events: no
    user can write an audit action, so no one can make a real database look like a demo)."""
    return bool(AuditEvent.select().where(AuditEvent.action == "demo.seed").exists())


def refuse_unless_demo(ctx: ServiceContext) -> None:
    """The demo seeds, resets and shows its shared password only on a database it seeded:
    ``demo --db`` pointed at real data must never empty it or run it as a demo."""
    if not is_demo_database(ctx):
        raise UserError(
            _(
                "This database holds data that is not the demo's: the demo runs only on a "
                "database of its own (leave out --db, or name an empty database)."
            )
        )


def reset_demo(ctx: ServiceContext, maildir: Path | None = None) -> None:
    """Start the demo over on its open database, as ``demo --fresh`` does: every row gone,
    the fixtures seeded again, and the mail the sink kept (its codes belong to data that is
    gone) removed from ``maildir``. The guided tour's Restart calls it; the demo only. A demo
    stopped between the emptying and the seeding is seeded at its next start
    (:func:`prepare_demo` seeds an empty database)."""

    refuse_unless_demo(ctx)

    def empty() -> None:
        for model in reversed(ALL_MODELS):  # listed parents first
            model.delete().execute()

    transaction(empty)
    seed_demo(ctx, load_fixture())
    if maildir is not None:
        for folder in ("new", "cur", "tmp"):
            for message in (maildir / folder).glob("*"):
                message.unlink(missing_ok=True)


def demo_maildir(config: Config) -> Path:
    """The demo's Maildir: beside the demo database file, else in the user data folder."""
    if config.db.startswith("sqlite:///"):
        database = config.db.removeprefix("sqlite:///")
        if database and database != ":memory:":
            return Path(database).parent / DEMO_MAILDIR
    return Path(platformdirs.user_data_dir("gosocket-tui")) / DEMO_MAILDIR


def start_demo_sink(
    config: Config,
    *,
    fresh: bool = False,
    maildir: Path | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[MailSink, Config]:
    """Start the built-in mail sink for the demo; returns it and the config that uses it.

    The sink listens on a free loopback port and stores messages in ``maildir`` (default
    :func:`demo_maildir`; emptied with ``fresh``, since the codes in old mail belong to a
    database that is gone). The returned config sends over plain SMTP to that port, without
    authentication. The caller stops the sink (``sink.stop()``) when the demo ends; the Maildir
    is kept, so the next demo still shows it.
    """
    from gosocket_tui.mail.sink import MailSink  # aiosmtpd: only when a demo starts

    folder = maildir if maildir is not None else demo_maildir(config)
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the mail holds activation codes
    sink = MailSink(host="127.0.0.1", maildir=folder, clock=clock)
    sink.start()
    delivery = replace(
        config,
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_security="none",
        smtp_username="",
        smtp_password="",
    )
    return sink, delivery


def with_demo_database(config: Config) -> Config:
    return replace(config, db=demo_db_url())
