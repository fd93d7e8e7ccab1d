"""One administrator's session for the concurrency test, run as its own process.

For a bounded time it adds suppliers from a Tax ID pool shared with the other workers (so
they collide on purpose), invites them, delivers due mail, activates suppliers with codes
read from the sink's Maildir, and logs in. Prints a JSON report of what happened; any error
that is not one of the project's expected user errors is "unexpected".
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from stdnum.cl import rut

from gosocket_tui.config import load_config
from gosocket_tui.errors import UserError
from gosocket_tui.mail.maildir import read_maildir
from gosocket_tui.mail.smtp_settings import SmtpSettings
from gosocket_tui.services import activation, auth, invitations, suppliers
from gosocket_tui.services.context import open_context
from gosocket_tui.services.delivery.deliverer import Deliverer
from gosocket_tui.services.taxid import parse_company_ref

POOL = 40
PASSWORD = "correct horse battery"
COMMAND = re.compile(r"--tax-id\s+'?([A-Z]{2}:[^\s']+)'?\s+--inviter\s+'?([A-Z]{2}:[^\s']+)'?")
CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


def pool_tax_id(i: int) -> str:
    body = str(30_000_000 + i * 13)
    return body + rut.calc_check_digit(body)


def main() -> None:
    db_url, port, maildir, index, seconds = sys.argv[1:6]
    worker = int(index)
    rng = random.Random(worker)
    config = load_config({"db": db_url, "lang": "en"}, env={}, config_path=Path("/nonexistent"))
    ctx = open_context(config)
    settings = SmtpSettings(
        host="127.0.0.1",
        port=int(port),
        security="none",
        username=None,
        password=None,
        sender="no-reply@gosocket.example",
        timeout=5.0,
    )
    deliverer = Deliverer(ctx, settings, f"worker-{worker}")
    report: dict[str, object] = {"ops": {}, "expected": {}, "unexpected": []}
    ops: dict[str, int] = report["ops"]  # type: ignore[assignment]
    expected: dict[str, int] = report["expected"]  # type: ignore[assignment]
    unexpected: list[str] = report["unexpected"]  # type: ignore[assignment]
    admin = ("ana", "lucia")[worker % 2]
    session = auth.authenticate(ctx, admin, PASSWORD)
    tried_codes: set[str] = set()
    deadline = time.monotonic() + float(seconds)

    def attempt(name: str, action: Callable[..., object], *args: object, **kw: object) -> object:
        try:
            result = action(*args, **kw)
            ops[name] = ops.get(name, 0) + 1
            return result
        except UserError as exc:
            if "locked" in exc.message.lower() and "account" not in exc.message.lower():
                unexpected.append(f"{name}: {exc.message}")
            key = f"{name}:{type(exc).__name__}"
            expected[key] = expected.get(key, 0) + 1
        except Exception:
            unexpected.append(f"{name}: {traceback.format_exc(limit=3)}")
        return None

    while time.monotonic() < deadline:
        step = rng.random()
        if step < 0.35:
            tax_id = pool_tax_id(rng.randrange(POOL))
            data = suppliers.SupplierInput(
                "CL", tax_id, f"Proveedor {tax_id}", f"s{tax_id}@example.com"
            )
            attempt("add", suppliers.add_supplier, ctx, session, data)
        elif step < 0.55:
            page = suppliers.list_suppliers(
                ctx, session, suppliers.SupplierFilter(status="not_invited"), limit=5
            )
            ids = [row.id for row in page.rows]
            if ids:
                attempt("invite", invitations.invite, ctx, session, ids)
        elif step < 0.75:
            attempt("deliver", deliverer.deliver_due, limit=20)
        elif step < 0.92:
            for message in read_maildir(Path(maildir)):
                found, command = CODE.search(message.text), COMMAND.search(message.text)
                if not found or not command or found.group(1) in tried_codes:
                    continue
                tried_codes.add(found.group(1))
                supplier = parse_company_ref(command.group(1))
                inviter = parse_company_ref(command.group(2))
                name = f"w{worker}u{len(tried_codes)}"
                attempt(
                    "activate",
                    activation.activate,
                    ctx,
                    supplier_country=supplier.country,
                    supplier_tax_id=supplier.compact,
                    inviter_country=inviter.country,
                    inviter_tax_id=inviter.compact,
                    code=found.group(1),
                    username=name,
                    password=PASSWORD,
                )
                break
        else:
            fresh = attempt("login", auth.authenticate, ctx, admin, PASSWORD)
            if fresh is not None:
                session = fresh  # type: ignore[assignment]
    attempt("deliver", deliverer.deliver_due)
    deliverer.close()
    ctx.close()
    print(json.dumps(report))


if __name__ == "__main__":
    try:
        main()
    except Exception:
        print(json.dumps({"ops": {}, "expected": {}, "unexpected": [traceback.format_exc()]}))
    sys.exit(0)
