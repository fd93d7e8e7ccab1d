"""Versioned schema migrations with a ``schema_version`` table.

Each migration is frozen DDL for both engines (never generated from the current models, so an
old migration keeps meaning what it meant). The app upgrades an older database itself and
refuses one written by a newer version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee

from gosocket_tui.db.connection import is_postgres, is_sqlite, transaction
from gosocket_tui.errors import DatabaseError

Migration = Callable[[peewee.Database], None]


def _types(db: peewee.Database) -> dict[str, str]:
    if is_postgres(db):
        return {"pk": "BIGSERIAL PRIMARY KEY", "ts": "TIMESTAMP", "ref": "BIGINT"}
    return {"pk": "INTEGER PRIMARY KEY", "ts": "DATETIME", "ref": "INTEGER"}


V1_TABLES = """
CREATE TABLE company (
    id {pk},
    country VARCHAR(2) NOT NULL,
    tax_id VARCHAR(32) NOT NULL,
    name TEXT NOT NULL,
    registered_at {ts},
    created_at {ts} NOT NULL,
    UNIQUE (country, tax_id)
);
CREATE TABLE app_user (
    id {pk},
    company_id {ref} NOT NULL REFERENCES company (id),
    username VARCHAR(64) NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until {ts},
    last_login_at {ts},
    language VARCHAR(5),
    created_at {ts} NOT NULL
);
CREATE INDEX app_user_company ON app_user (company_id);
CREATE TABLE supplier_link (
    id {pk},
    buyer_id {ref} NOT NULL REFERENCES company (id),
    supplier_id {ref} NOT NULL REFERENCES company (id),
    country VARCHAR(2) NOT NULL,
    tax_id VARCHAR(32) NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    fax TEXT NOT NULL DEFAULT '',
    groups TEXT NOT NULL DEFAULT '',
    status VARCHAR(20) NOT NULL DEFAULT 'not_invited',
    status_at {ts},
    expires_at {ts},
    added_by_id {ref} REFERENCES app_user (id) ON DELETE SET NULL,
    added_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    UNIQUE (buyer_id, supplier_id)
);
CREATE INDEX supplier_link_buyer_tax ON supplier_link (buyer_id, tax_id, id);
CREATE INDEX supplier_link_buyer_name ON supplier_link (buyer_id, name, id);
CREATE INDEX supplier_link_buyer_status ON supplier_link (buyer_id, status, tax_id, id);
CREATE INDEX supplier_link_supplier ON supplier_link (supplier_id);
CREATE TABLE invitation (
    id {pk},
    link_id {ref} NOT NULL REFERENCES supplier_link (id) ON DELETE CASCADE,
    buyer_id {ref} NOT NULL REFERENCES company (id),
    supplier_id {ref} NOT NULL REFERENCES company (id),
    email TEXT NOT NULL,
    language VARCHAR(5) NOT NULL DEFAULT 'en',
    code_hash TEXT,
    status VARCHAR(20) NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL,
    sent_at {ts},
    expires_at {ts},
    used_at {ts},
    cancelled_at {ts},
    invited_by_id {ref} REFERENCES app_user (id) ON DELETE SET NULL
);
CREATE INDEX invitation_link ON invitation (link_id);
CREATE INDEX invitation_supplier_buyer ON invitation (supplier_id, buyer_id, status);
CREATE TABLE outbox_message (
    id {pk},
    buyer_id {ref} NOT NULL REFERENCES company (id),
    invitation_id {ref} REFERENCES invitation (id) ON DELETE SET NULL,
    kind VARCHAR(32) NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    language VARCHAR(5) NOT NULL DEFAULT 'en',
    message_id TEXT NOT NULL UNIQUE,
    status VARCHAR(16) NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {ts} NOT NULL,
    claimed_at {ts},
    claimed_by TEXT,
    sent_at {ts},
    last_error TEXT,
    server_reply TEXT,
    created_at {ts} NOT NULL
);
CREATE INDEX outbox_due ON outbox_message (status, next_attempt_at);
CREATE INDEX outbox_invitation ON outbox_message (invitation_id);
CREATE INDEX outbox_buyer ON outbox_message (buyer_id, created_at);
CREATE TABLE delivery_attempt (
    id {pk},
    message_id {ref} NOT NULL REFERENCES outbox_message (id) ON DELETE CASCADE,
    at {ts} NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    code INTEGER,
    reply TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempt_message ON delivery_attempt (message_id, at);
CREATE TABLE audit_event (
    id {pk},
    at {ts} NOT NULL,
    actor_id {ref},
    actor_name TEXT NOT NULL DEFAULT '',
    company_id {ref},
    action VARCHAR(64) NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    outcome VARCHAR(16) NOT NULL DEFAULT 'ok',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_company_at ON audit_event (company_id, at);
CREATE INDEX audit_company_action ON audit_event (company_id, action, at)
"""


def _run_script(db: peewee.Database, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute_sql(statement.format(**_types(db)))


def v1_tables(db: peewee.Database) -> None:
    _run_script(db, V1_TABLES)


SQLITE_NAME_INDEX = (
    "CREATE VIRTUAL TABLE supplier_link_fts USING fts5("
    "name, content='supplier_link', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER supplier_link_fts_ai AFTER INSERT ON supplier_link BEGIN "
    "INSERT INTO supplier_link_fts (rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER supplier_link_fts_ad AFTER DELETE ON supplier_link BEGIN "
    "INSERT INTO supplier_link_fts (supplier_link_fts, rowid, name) "
    "VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER supplier_link_fts_au AFTER UPDATE OF name ON supplier_link BEGIN "
    "INSERT INTO supplier_link_fts (supplier_link_fts, rowid, name) "
    "VALUES ('delete', old.id, old.name); "
    "INSERT INTO supplier_link_fts (rowid, name) VALUES (new.id, new.name); END",
    "INSERT INTO supplier_link_fts (supplier_link_fts) VALUES ('rebuild')",
)


def v2_name_search_index(db: peewee.Database) -> None:
    """Name search without a scan: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL."""
    if is_postgres(db):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql(
            "CREATE INDEX supplier_link_name_trgm ON supplier_link USING gin (name gin_trgm_ops)"
        )
        return
    for statement in SQLITE_NAME_INDEX:
        db.execute_sql(statement)


SQLITE_GROUPS = (
    "CREATE TABLE supplier_group ("
    "link_id INTEGER NOT NULL REFERENCES supplier_link (id) ON DELETE CASCADE, "
    "buyer_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (buyer_id, name, link_id)"
    ") WITHOUT ROWID",
    "CREATE INDEX supplier_group_link ON supplier_group (link_id)",
    # Groups are stored normalised (no commas, quotes or backslashes), so a JSON array
    # literal built by string replacement is safe to split with json_each.
    "CREATE TRIGGER supplier_group_ai AFTER INSERT ON supplier_link WHEN new.groups <> '' "
    "BEGIN INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT new.id, new.buyer_id, value FROM json_each('[\"' || "
    "replace(new.groups, ',', '\",\"') || '\"]'); END",
    "CREATE TRIGGER supplier_group_au AFTER UPDATE OF groups ON supplier_link BEGIN "
    "DELETE FROM supplier_group WHERE link_id = old.id; "
    "INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT new.id, new.buyer_id, value FROM json_each('[\"' || "
    "replace(new.groups, ',', '\",\"') || '\"]') WHERE new.groups <> ''; END",
    "INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT l.id, l.buyer_id, j.value FROM supplier_link AS l, "
    "json_each('[\"' || replace(l.groups, ',', '\",\"') || '\"]') AS j WHERE l.groups <> ''",
)
POSTGRES_GROUPS = (
    "CREATE TABLE supplier_group ("
    "link_id BIGINT NOT NULL REFERENCES supplier_link (id) ON DELETE CASCADE, "
    "buyer_id BIGINT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (buyer_id, name, link_id))",
    "CREATE INDEX supplier_group_link ON supplier_group (link_id)",
    "CREATE FUNCTION supplier_group_sync() RETURNS trigger AS $$ BEGIN "
    "DELETE FROM supplier_group WHERE link_id = NEW.id; "
    "INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT NEW.id, NEW.buyer_id, g FROM unnest(string_to_array(NEW.groups, ',')) AS g "
    "WHERE g <> ''; RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER supplier_group_sync AFTER INSERT OR UPDATE OF groups ON supplier_link "
    "FOR EACH ROW EXECUTE FUNCTION supplier_group_sync()",
    "INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT l.id, l.buyer_id, g FROM supplier_link AS l, "
    "unnest(string_to_array(l.groups, ',')) AS g WHERE g <> ''",
)


def v3_group_index(db: peewee.Database) -> None:
    """One row per (buyer, group, supplier), kept by triggers: the group filter uses an index."""
    for statement in POSTGRES_GROUPS if is_postgres(db) else SQLITE_GROUPS:
        db.execute_sql(statement)


V4_INVITATION_CODES = """
CREATE TABLE invitation_code (
    id {pk},
    invitation_id {ref} NOT NULL REFERENCES invitation (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL
);
CREATE INDEX invitation_code_invitation ON invitation_code (invitation_id);
INSERT INTO invitation_code (invitation_id, code_hash, created_at, expires_at)
SELECT id, code_hash, COALESCE(sent_at, created_at), expires_at FROM invitation
WHERE code_hash IS NOT NULL AND expires_at IS NOT NULL;
ALTER TABLE invitation DROP COLUMN code_hash
"""


def v4_invitation_codes(db: peewee.Database) -> None:
    """Every code of an invitation in its own row, so each email ever sent keeps working."""
    _run_script(db, V4_INVITATION_CODES)


# Frozen copy of ZERO_INSIGNIFICANT (services/taxid/countries.py) as this migration applied it:
# country → shortest compact length (leading zeros are dropped, then padded back to it).
V5_ZERO_INSIGNIFICANT = {"CL": 8, "CO": 8, "PY": 3, "GT": 3}


def _sql(
    db: peewee.Database, statement: str, params: tuple[object, ...] = ()
) -> list[tuple[Any, ...]]:
    """Run one statement written with ``?`` (patterns as parameters: psycopg2 reads ``%``)."""
    cursor = db.execute_sql(statement.replace("?", db.param), params)
    return list(cursor.fetchall()) if cursor.description else []


def _drop_link(db: peewee.Database, link_id: int, ref: str) -> None:
    """Delete a buyer's duplicate link, its pending mail first; the buyer's trail says so."""
    ((buyer_id, name, email),) = _sql(
        db, "SELECT buyer_id, name, email FROM supplier_link WHERE id = ?", (link_id,)
    )
    _sql(
        db,
        "UPDATE outbox_message SET status = 'cancelled' WHERE status IN ('pending', 'sending') "
        "AND invitation_id IN (SELECT id FROM invitation WHERE link_id = ?)",
        (link_id,),
    )
    _sql(db, "DELETE FROM supplier_link WHERE id = ?", (link_id,))
    _sql(
        db,
        "INSERT INTO audit_event (at, actor_name, company_id, action, target, outcome, detail) "
        "VALUES (CURRENT_TIMESTAMP, 'system', ?, 'supplier.merged', ?, 'ok', ?)",
        (buyer_id, ref, f"duplicate entry removed (zero-padded Tax ID): {name} <{email}>"),
    )


def _merge_company(db: peewee.Database, keep: int, drop: int, ref: str) -> None:
    """Fold company ``drop`` into ``keep`` (one company under two Tax ID notations).

    Where a buyer listed both, its older link stays (repointed) and the newer is removed; the
    users, invitations, mail and trail of ``drop`` move to ``keep``.
    """
    pairs = (("supplier_id", "buyer_id"), ("buyer_id", "supplier_id"))
    for side, other in pairs:
        for (other_id,) in _sql(
            db,
            f"SELECT {other} FROM supplier_link WHERE {side} = ? AND {other} IN "
            f"(SELECT {other} FROM supplier_link WHERE {side} = ?)",
            (drop, keep),
        ):
            ids = sorted(
                row[0]
                for row in _sql(
                    db,
                    f"SELECT id FROM supplier_link WHERE {other} = ? AND {side} IN (?, ?)",
                    (other_id, keep, drop),
                )
            )
            for link_id in ids[1:]:
                _drop_link(db, link_id, ref)
    # A company cannot be its own supplier: a link between the two notations goes.
    for (link_id,) in _sql(
        db,
        "SELECT id FROM supplier_link WHERE (buyer_id = ? AND supplier_id = ?) "
        "OR (buyer_id = ? AND supplier_id = ?)",
        (keep, drop, drop, keep),
    ):
        _drop_link(db, link_id, ref)
    for table, column in (
        ("supplier_link", "supplier_id"),
        ("supplier_link", "buyer_id"),
        ("supplier_group", "buyer_id"),
        ("invitation", "supplier_id"),
        ("invitation", "buyer_id"),
        ("outbox_message", "buyer_id"),
        ("app_user", "company_id"),
        ("audit_event", "company_id"),
    ):
        _sql(db, f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (keep, drop))
    ((registered_at,),) = _sql(
        db, "SELECT MIN(registered_at) FROM company WHERE id IN (?, ?)", (keep, drop)
    )
    _sql(db, "UPDATE company SET registered_at = ? WHERE id = ?", (registered_at, keep))
    _sql(db, "DELETE FROM company WHERE id = ?", (drop,))
    if registered_at is not None:
        # Links that came from the unregistered row now show the registered profile.
        _sql(
            db,
            "UPDATE supplier_link SET status = 'registered', status_at = ?, expires_at = NULL, "
            "name = (SELECT name FROM company WHERE id = ?) WHERE supplier_id = ?",
            (registered_at, keep, keep),
        )
    _sql(
        db,
        "INSERT INTO audit_event (at, actor_name, company_id, action, target, outcome, detail) "
        "VALUES (CURRENT_TIMESTAMP, 'system', ?, 'company.merged', ?, 'ok', ?)",
        (keep, ref, f"company {drop} was the same Tax ID with leading zeros"),
    )


def v5_tenant_names_and_canonical_tax_ids(db: peewee.Database) -> None:
    """An unregistered company's row holds no buyer's name; Tax IDs lose leading zeros.

    Names: before this version the first buyer's name for a supplier was copied to the
    network's row and from there to every later buyer's list. Each buyer's own name lives on
    its link; the row's name is the supplier's own profile, which exists once it registers.

    Tax IDs: a company stored under a zero-padded notation of a country whose numbers ignore
    leading zeros gets the canonical one. When that notation is taken too, the two rows are
    one company and are merged: the registered one survives (else the one already canonical),
    each buyer keeps its older link, and each removed link is named in that buyer's trail.
    """
    _sql(db, "UPDATE company SET name = '' WHERE registered_at IS NULL")
    for country, shortest in V5_ZERO_INSIGNIFICANT.items():
        rows = _sql(
            db,
            "SELECT id, tax_id, registered_at FROM company WHERE country = ? AND tax_id LIKE ? "
            "ORDER BY id",
            (country, "0%"),
        )
        for company_id, tax_id, registered_at in rows:
            canonical = str(tax_id).lstrip("0").rjust(shortest, "0")
            if canonical == tax_id:
                continue
            ref = f"{country}:{canonical}"
            taken = _sql(
                db,
                "SELECT id, registered_at FROM company WHERE country = ? AND tax_id = ?",
                (country, canonical),
            )
            keep = company_id
            if taken:
                other_id, other_registered = taken[0]
                if other_registered is not None or registered_at is None:
                    keep, drop = other_id, company_id
                else:
                    drop = other_id
                _merge_company(db, keep, drop, ref)
            _sql(db, "UPDATE company SET tax_id = ? WHERE id = ?", (canonical, keep))
        _sql(
            db,
            "UPDATE supplier_link SET tax_id = (SELECT tax_id FROM company "
            "WHERE company.id = supplier_link.supplier_id) "
            "WHERE country = ? AND tax_id LIKE ?",
            (country, "0%"),
        )


V6_USER_KEYS = """
CREATE TABLE user_key (
    id {pk},
    user_id {ref} NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    algorithm VARCHAR(64) NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint VARCHAR(100) NOT NULL UNIQUE,
    comment VARCHAR(100) NOT NULL DEFAULT '',
    created_at {ts} NOT NULL,
    last_used_at {ts}
);
CREATE INDEX user_key_user ON user_key (user_id, created_at)
"""


def v6_user_keys(db: peewee.Database) -> None:
    """SSH public keys as app credentials: a fingerprint belongs to exactly one user."""
    _run_script(db, V6_USER_KEYS)


SQLITE_GROUPS_ON_CHANGE = (
    "DROP TRIGGER supplier_group_au",
    "CREATE TRIGGER supplier_group_au AFTER UPDATE OF groups ON supplier_link "
    "WHEN old.groups IS NOT new.groups BEGIN "
    "DELETE FROM supplier_group WHERE link_id = old.id; "
    "INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT new.id, new.buyer_id, value FROM json_each('[\"' || "
    "replace(new.groups, ',', '\",\"') || '\"]') WHERE new.groups <> ''; END",
)
POSTGRES_GROUPS_BY_STATEMENT = (
    "DROP TRIGGER supplier_group_sync ON supplier_link",
    "CREATE FUNCTION supplier_group_added() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO supplier_group (link_id, buyer_id, name) "
    "SELECT a.id, a.buyer_id, g FROM added AS a, unnest(string_to_array(a.groups, ',')) AS g "
    "WHERE a.groups <> '' AND g <> ''; RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER supplier_group_added AFTER INSERT ON supplier_link "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION supplier_group_added()",
    "CREATE TRIGGER supplier_group_changed AFTER UPDATE OF groups ON supplier_link "
    "FOR EACH ROW WHEN (OLD.groups IS DISTINCT FROM NEW.groups) "
    "EXECUTE FUNCTION supplier_group_sync()",
)


def v7_set_based_group_triggers(db: peewee.Database) -> None:
    """The group index keeps up with bulk writes: work only for rows whose groups change.

    PostgreSQL: new links are indexed by one statement per INSERT (a transition table), so a
    bulk import's ``INSERT … SELECT`` of thousands of links runs one set-based insert and
    links without groups cost nothing; an update re-indexes a link only when its groups
    changed. SQLite (no statement triggers; the bulk writer appends the index itself) gets
    the same rule for updates.
    """
    for statement in POSTGRES_GROUPS_BY_STATEMENT if is_postgres(db) else SQLITE_GROUPS_ON_CHANGE:
        db.execute_sql(statement)


NAME_INDEX_PENDING_KB = 256


def v8_name_index_pending_list(db: peewee.Database) -> None:
    """PostgreSQL: keep the name index's list of not-yet-merged entries short.

    A GIN index collects new entries in a pending list (up to 4 MB by default) that every
    search reads whole, whatever it looks for: after a bulk import, a name that matches
    nothing read some 450 pages instead of about 45. A short list is merged into the index
    more often by the writes themselves. The list left by earlier writes is merged now.
    Nothing to do on SQLite (FTS5 has no such list).
    """
    if not is_postgres(db):
        return
    db.execute_sql(
        "ALTER INDEX supplier_link_name_trgm "
        f"SET (gin_pending_list_limit = {NAME_INDEX_PENDING_KB})"
    )
    db.execute_sql("SELECT gin_clean_pending_list('supplier_link_name_trgm')")


# Frozen copy of the default-language rule (services/supplier_language.py) as this migration
# applied it: Brazil reads Portuguese, the network's other countries and the Spanish-speaking
# ones Spanish, the rest English.
V9_PORTUGUESE = ("BR",)
V9_SPANISH = (
    "CL", "PE", "CO", "MX", "UY", "EC", "CR", "GT", "AR", "PY", "DO", "VE", "SV", "PA", "HN",
    "BO", "NI", "ES", "CU", "PR", "GQ",
)  # fmt: skip


def v9_supplier_language(db: peewee.Database) -> None:
    """Each supplier link says the language its mail and activation screen are written in.

    Every existing link gets its country's language, set-based. SQLite: the column is added
    empty and one UPDATE fills every row (1.6 s for 1M links). PostgreSQL writes a new
    version of each updated row and of its every index entry (the name's GIN index too: 23 s
    when all of 1M links are updated), so the column is added with Spanish, the language of
    most of the network, as its default (a constant default is stored once, no table
    rewrite), only the other countries' rows are updated (11 s for 1M links of which 2 in 7
    are not Spanish-speaking), and the default then becomes empty for rows to come (existing
    rows keep their value). No index covers the column and the name and group triggers (``UPDATE OF
    name``/``groups``) do not fire. An empty value (a row some later writer leaves without
    one) reads as its country's default.
    """
    portuguese = ", ".join(f"'{code}'" for code in V9_PORTUGUESE)
    spanish = ", ".join(f"'{code}'" for code in V9_SPANISH)
    by_country = (
        f"CASE WHEN country IN ({portuguese}) THEN 'pt' "
        f"WHEN country IN ({spanish}) THEN 'es' ELSE 'en' END"
    )
    if is_postgres(db):
        db.execute_sql(
            "ALTER TABLE supplier_link ADD COLUMN language VARCHAR(5) NOT NULL DEFAULT 'es'"
        )
        db.execute_sql(
            f"UPDATE supplier_link SET language = {by_country} WHERE country NOT IN ({spanish})"
        )
        db.execute_sql("ALTER TABLE supplier_link ALTER COLUMN language SET DEFAULT ''")
        return
    db.execute_sql("ALTER TABLE supplier_link ADD COLUMN language VARCHAR(5) NOT NULL DEFAULT ''")
    db.execute_sql(f"UPDATE supplier_link SET language = {by_country}")


V10_OVERVIEW_INDEXES = (
    # Counts per state, the invited ones past their expiry, and the oldest waiting ones in
    # order, all from the index (services/overview.py).
    "CREATE INDEX supplier_link_buyer_status_at "
    "ON supplier_link (buyer_id, status, status_at, expires_at)",
    # Invitations sent per week; activations per week and how many (sent_at: covered).
    "CREATE INDEX invitation_buyer_sent ON invitation (buyer_id, sent_at)",
    "CREATE INDEX invitation_buyer_used ON invitation (buyer_id, used_at, sent_at)",
)
# The time from sending to activation, in order: percentiles read two index entries at an
# offset instead of sorting every activation. Each engine's own difference of two times; the
# expression must stay the one services/overview.py orders by (its _activation_order).
ACTIVATION_INDEX = (
    "CREATE INDEX invitation_buyer_activation ON invitation (buyer_id, {expression}){include} "
    "WHERE used_at IS NOT NULL AND sent_at IS NOT NULL"
)


def v10_overview_indexes(db: peewee.Database) -> None:
    """The Overview's figures over a million suppliers from index ranges, not table scans."""
    for statement in V10_OVERVIEW_INDEXES:
        db.execute_sql(statement)
    if is_postgres(db):
        expression, include = "(used_at - sent_at)", " INCLUDE (used_at, sent_at)"
    else:
        expression, include = "(julianday(used_at) - julianday(sent_at))", ""
    db.execute_sql(ACTIVATION_INDEX.format(expression=expression, include=include))


V11_REMINDERS_AND_EXPIRY = """
CREATE TABLE company_settings (
    id {pk},
    company_id {ref} NOT NULL UNIQUE REFERENCES company (id) ON DELETE CASCADE,
    reminders_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    reminder_days VARCHAR(32) NOT NULL DEFAULT '2,5',
    note TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '',
    updated_at {ts},
    updated_by_id {ref} REFERENCES app_user (id) ON DELETE SET NULL
);
ALTER TABLE supplier_link ADD COLUMN reminders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invitation ADD COLUMN reminders_queued INTEGER NOT NULL DEFAULT 0;
CREATE INDEX supplier_link_invited_expiry ON supplier_link (expires_at) WHERE status = 'invited';
CREATE INDEX invitation_sent_expiry ON invitation (expires_at) WHERE status = 'sent';
CREATE INDEX invitation_sent_buyer ON invitation (buyer_id, sent_at) WHERE status = 'sent'
"""


def v11_reminders_and_expiry(db: peewee.Database) -> None:
    """Company settings (reminders, note, reply-to), reminder counts, and expiry as a state.

    Settings live in a table of their own, one row per company written on the first change
    (no row: the defaults): the company row is read on every hot path and copied by
    ``db copy``, and its settings are an administrator's, audited on their own. The reminder
    count sits on the link so the million-row listing shows it without a join. The partial
    indexes hold only invitations still waiting, so the expiry sweep and the reminder
    scheduler find their few rows without reading the rest.
    """
    _run_script(db, V11_REMINDERS_AND_EXPIRY)


# The number of each company's suppliers in each stored state, kept by the same transactions
# that write the links (services/overview.py reads the funnel here instead of counting a
# million index entries). A row per (company, state) ever seen; a count may fall to 0. No
# foreign key: the counts fall to 0 with the links, which must go before their company, and
# a copy or a demo reset that empties the companies leaves them at 0.
STATE_COUNT_TABLE = """
CREATE TABLE supplier_state_count (
    buyer_id {ref} NOT NULL,
    status VARCHAR(20) NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, status)
)"""
# Every count from the links themselves (the migration; a database built without triggers).
STATE_COUNT_FILL = (
    "INSERT INTO supplier_state_count (buyer_id, status, n) "
    "SELECT buyer_id, status, COUNT(*) FROM supplier_link GROUP BY buyer_id, status"
)
# SQLite: per row (the bulk writer adds a set of new links' counts itself, db/bulk.py). The
# "WHERE true" keeps SQLite's parser from reading ON CONFLICT as part of a join.
SQLITE_STATE_COUNT_ADD = (
    "INSERT INTO supplier_state_count (buyer_id, status, n) SELECT {buyer}, {status}, 1 "
    "WHERE true ON CONFLICT (buyer_id, status) DO UPDATE SET n = n + 1"
)
SQLITE_STATE_COUNT_REMOVE = (
    "UPDATE supplier_state_count SET n = n - 1 WHERE buyer_id = {buyer} AND status = {status}"
)
SQLITE_STATE_COUNTS = (
    "CREATE TRIGGER supplier_state_count_ai AFTER INSERT ON supplier_link BEGIN "
    + SQLITE_STATE_COUNT_ADD.format(buyer="new.buyer_id", status="new.status")
    + "; END",
    "CREATE TRIGGER supplier_state_count_ad AFTER DELETE ON supplier_link BEGIN "
    + SQLITE_STATE_COUNT_REMOVE.format(buyer="old.buyer_id", status="old.status")
    + "; END",
    "CREATE TRIGGER supplier_state_count_au AFTER UPDATE OF buyer_id, status ON supplier_link "
    "WHEN old.buyer_id <> new.buyer_id OR old.status <> new.status BEGIN "
    + SQLITE_STATE_COUNT_REMOVE.format(buyer="old.buyer_id", status="old.status")
    + "; "
    + SQLITE_STATE_COUNT_ADD.format(buyer="new.buyer_id", status="new.status")
    + "; END",
)
# PostgreSQL: one statement per written statement (transition tables, as migration 7 does for
# groups), so a bulk INSERT … SELECT of thousands of links adds its counts in one upsert. The
# rows are upserted in key order, so two transactions take the count rows' locks in the same
# order; an update applies only the states that changed (old rows -1, new rows +1, summed).
# A count row stays locked until its transaction ends: a long one (a bulk import) sets
# STATE_DELTAS_SETTING and gathers its changes in its own temporary STATE_DELTAS table
# instead, adding them up in its last moment (db/bulk.py), so the company's other writes
# meanwhile do not wait for it.
STATE_DELTAS = "supplier_state_delta"
STATE_DELTAS_SETTING = "gosocket.state_count_deltas"
POSTGRES_STATE_COUNT_APPLY = (
    "INSERT INTO supplier_state_count (buyer_id, status, n) "
    "SELECT buyer_id, status, SUM(k) FROM ({rows}) AS d GROUP BY buyer_id, status "
    "HAVING SUM(k) <> 0 ORDER BY buyer_id, status "
    "ON CONFLICT (buyer_id, status) DO UPDATE SET n = supplier_state_count.n + excluded.n"
)
POSTGRES_STATE_DELTA_APPLY = (
    f"IF current_setting('{STATE_DELTAS_SETTING}', true) = 'on' THEN "
    f"INSERT INTO {STATE_DELTAS} (buyer_id, status, n) "
    "SELECT buyer_id, status, SUM(k) FROM ({rows}) AS d GROUP BY buyer_id, status; "
    f"ELSE {POSTGRES_STATE_COUNT_APPLY}; END IF"
)
POSTGRES_STATE_COUNTS = tuple(
    statement
    for name, event, tables, rows in (
        ("added", "INSERT", "NEW TABLE AS added", "SELECT buyer_id, status, 1 AS k FROM added"),
        ("removed", "DELETE", "OLD TABLE AS removed",
         "SELECT buyer_id, status, -1 AS k FROM removed"),
        ("changed", "UPDATE", "OLD TABLE AS old_links NEW TABLE AS new_links",
         "SELECT buyer_id, status, -1 AS k FROM old_links "
         "UNION ALL SELECT buyer_id, status, 1 FROM new_links"),
    )
    for statement in (
        f"CREATE FUNCTION supplier_state_count_{name}() RETURNS trigger AS $$ BEGIN "
        + POSTGRES_STATE_DELTA_APPLY.format(rows=rows)
        + "; RETURN NULL; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER supplier_state_count_{name} AFTER {event} ON supplier_link "
        f"REFERENCING {tables} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION supplier_state_count_{name}()",
    )
)  # fmt: skip

# The invited links by expiry: the ones still valid are one short range (a week's invitations),
# whatever the number already lapsed. Partial, so links in other states (a bulk import's new
# ones) have no entry to write.
INVITED_EXPIRY_INDEX = (
    "CREATE INDEX supplier_link_buyer_invited_expiry ON supplier_link (buyer_id, expires_at) "
    "WHERE status = 'invited'"
)


# Invitations per company, day and event, kept the same way: "sent" (the day of sent_at),
# "used" (the day of used_at) and "activated" (used, with a known send time: the basis of the
# time to activation). The Overview's weekly chart sums 84 days of rows instead of counting
# index ranges of every invitation of twelve weeks (and the activations, of all time).
DAY_COUNT_TABLE = """
CREATE TABLE invitation_day_count (
    buyer_id {ref} NOT NULL,
    kind VARCHAR(10) NOT NULL,
    day DATE NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, kind, day)
)"""
# Each kind: the day it counts on, and when a row counts (in terms of a row alias).
DAY_KINDS = (
    ("sent", "sent_at", "{r}.sent_at IS NOT NULL"),
    ("used", "used_at", "{r}.used_at IS NOT NULL"),
    ("activated", "used_at", "{r}.used_at IS NOT NULL AND {r}.sent_at IS NOT NULL"),
)


def _day_rows(source: str, k: str, day: Callable[[str], str]) -> str:
    """``buyer_id, kind, day, k`` of every count the rows of ``source`` (alias r) make."""
    return " UNION ALL ".join(
        f"SELECT r.buyer_id, '{kind}' AS kind, {day('r.' + column)} AS day, {k} AS k "
        f"FROM {source} AS r WHERE {condition.format(r='r')}"
        for kind, column, condition in DAY_KINDS
    )


DAY_COUNT_FILL = (
    "INSERT INTO invitation_day_count (buyer_id, kind, day, n) "
    "SELECT buyer_id, kind, day, SUM(k) FROM ({rows}) AS d GROUP BY buyer_id, kind, day"
)
DAY_COUNT_APPLY = (
    "INSERT INTO invitation_day_count (buyer_id, kind, day, n) "
    "SELECT buyer_id, kind, day, SUM(k) FROM ({rows}) AS d WHERE true "
    "GROUP BY buyer_id, kind, day HAVING SUM(k) <> 0 ORDER BY buyer_id, kind, day "
    "ON CONFLICT (buyer_id, kind, day) DO UPDATE SET n = invitation_day_count.n + excluded.n"
)


def _sqlite_day(column: str) -> str:
    return f"date({column})"


def _postgres_day(column: str) -> str:
    return f"CAST({column} AS DATE)"


def _sqlite_single(alias: str, k: str) -> str:
    """SQLite's per-row trigger has no table of rows: the one row ``alias`` as a subquery."""
    return _day_rows(
        f"(SELECT {alias}.buyer_id AS buyer_id, {alias}.sent_at AS sent_at, "
        f"{alias}.used_at AS used_at)",
        k,
        _sqlite_day,
    )


# SQLite: per row, and only for rows that count (a queued invitation, what a bulk import
# writes, has neither time: the trigger's WHEN skips it).
SQLITE_DAY_COUNTS = (
    "CREATE TRIGGER invitation_day_count_ai AFTER INSERT ON invitation "
    "WHEN new.sent_at IS NOT NULL OR new.used_at IS NOT NULL BEGIN "
    + DAY_COUNT_APPLY.format(rows=_sqlite_single("new", "1"))
    + "; END",
    "CREATE TRIGGER invitation_day_count_ad AFTER DELETE ON invitation "
    "WHEN old.sent_at IS NOT NULL OR old.used_at IS NOT NULL BEGIN "
    + DAY_COUNT_APPLY.format(rows=_sqlite_single("old", "-1"))
    + "; END",
    "CREATE TRIGGER invitation_day_count_au AFTER UPDATE OF buyer_id, sent_at, used_at "
    "ON invitation WHEN old.buyer_id <> new.buyer_id OR old.sent_at IS NOT new.sent_at "
    "OR old.used_at IS NOT new.used_at BEGIN "
    + DAY_COUNT_APPLY.format(
        rows=_sqlite_single("old", "-1") + " UNION ALL " + _sqlite_single("new", "1")
    )
    + "; END",
)
POSTGRES_DAY_COUNTS = tuple(
    statement
    for name, event, tables, rows in (
        ("added", "INSERT", "NEW TABLE AS added", _day_rows("added", "1", _postgres_day)),
        ("removed", "DELETE", "OLD TABLE AS removed",
         _day_rows("removed", "-1", _postgres_day)),
        ("changed", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
         _day_rows("old_rows", "-1", _postgres_day) + " UNION ALL "
         + _day_rows("new_rows", "1", _postgres_day)),
    )
    for statement in (
        f"CREATE FUNCTION invitation_day_count_{name}() RETURNS trigger AS $$ BEGIN "
        + DAY_COUNT_APPLY.format(rows=rows)
        + "; RETURN NULL; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER invitation_day_count_{name} AFTER {event} ON invitation "
        f"REFERENCING {tables} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION invitation_day_count_{name}()",
    )
)  # fmt: skip


def v12_overview_counts(db: peewee.Database) -> None:
    """The Overview's counts kept exact by triggers: suppliers per company and state, and
    invitations sent, used and activated per company and day.

    Counting index ranges read every entry: the funnel a million (SQLite 25 ms for the 450k
    suppliers of one state of a 1M company, PostgreSQL 32 ms), the weekly chart and the
    activations every invitation of twelve weeks. A stored count is one row (a day's, 84 for
    the chart). Triggers keep them in the writing transaction, so they commit and roll back
    with the rows (a killed import leaves them as they were). The invited links still valid
    are counted from a partial index of invited links by expiry.
    """
    _run_script(db, STATE_COUNT_TABLE)
    db.execute_sql(STATE_COUNT_FILL)
    db.execute_sql(INVITED_EXPIRY_INDEX)
    _run_script(db, DAY_COUNT_TABLE)
    day = _postgres_day if is_postgres(db) else _sqlite_day
    db.execute_sql(DAY_COUNT_FILL.format(rows=_day_rows("invitation", "1", day)))
    if is_postgres(db):
        statements = POSTGRES_STATE_COUNTS + POSTGRES_DAY_COUNTS
    else:
        statements = SQLITE_STATE_COUNTS + SQLITE_DAY_COUNTS
    for statement in statements:
        db.execute_sql(statement)


MIGRATIONS: list[Migration] = [
    v1_tables,
    v2_name_search_index,
    v3_group_index,
    v4_invitation_codes,
    v5_tenant_names_and_canonical_tax_ids,
    v6_user_keys,
    v7_set_based_group_triggers,
    v8_name_index_pending_list,
    v9_supplier_language,
    v10_overview_indexes,
    v11_reminders_and_expiry,
    v12_overview_counts,
]
LATEST_VERSION = len(MIGRATIONS)


def current_version(db: peewee.Database) -> int:
    """The schema version of ``db``; 0 for an empty database."""
    if "schema_version" not in db.get_tables():
        if db.get_tables():
            raise DatabaseError("The database holds tables but is not a gosocket-tui database.")
        return 0
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def check_version(db: peewee.Database) -> int:
    version = current_version(db)
    if version > LATEST_VERSION:
        raise DatabaseError(
            f"The database was created by a newer version of gosocket-tui (schema {version}, "
            f"this version knows up to {LATEST_VERSION}). Upgrade gosocket-tui."
        )
    return version


def upgrade(db: peewee.Database) -> list[int]:
    """Apply every missing migration, each in its own transaction; return those applied."""
    applied: list[int] = []
    if not is_sqlite(db) and not is_postgres(db):  # pragma: no cover - guarded by open
        raise DatabaseError("Only SQLite and PostgreSQL databases are supported.")

    def ensure_table() -> None:
        if "schema_version" not in db.get_tables():
            check_version(db)
            db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")

    transaction(ensure_table, db=db)
    while True:

        def step() -> int | None:
            version = check_version(db)
            if version >= LATEST_VERSION:
                return None
            MIGRATIONS[version](db)
            db.execute_sql(
                "INSERT INTO schema_version (version) VALUES (?)".replace("?", db.param),
                (version + 1,),
            )
            return version + 1

        done = transaction(step, db=db)
        if done is None:
            return applied
        applied.append(done)
