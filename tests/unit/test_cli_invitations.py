"""Invitation commands: suppliers invite/resend/cancel/delivery-log, mail, smtp-sink, activate."""

import os
import re
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gosocket_tui.mail.maildir import read_maildir
from gosocket_tui.mail.sink import MailSink, free_port
from tests.cli_helpers import Cli, Result
from tests.invitation_helpers import CODE_RE

COMPANY = "CL:76.086.428-5"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


@pytest.fixture
def cli(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sink: MailSink,
) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    monkeypatch.setenv("GOSOCKET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GOSOCKET_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("GOSOCKET_SMTP_SECURITY", "none")
    company = ("company", "add", "--country", "CL", "--tax-id", "76.086.428-5")
    assert runner(*company, "--name", "Comercial Andes SpA").code == 0
    supplier = ("suppliers", "add", "--company", COMPANY, "--country", "CO")
    added = runner(
        *supplier,
        "--tax-id",
        "860.007.386-1",
        "--name",
        "Cafés SAS",
        "--email",
        "ventas@cafe.example",
    )
    assert added.code == 0, added.err
    return runner


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    return lines[0]


def activate(cli: Cli, code: str, username: str = "cafe.admin") -> tuple[int, str, str]:
    result = cli(
        "activate",
        "--tax-id",
        "CO:860007386",
        "--inviter",
        COMPANY,
        "--code",
        code,
        "--username",
        username,
        "--password-stdin",
        stdin="tostado medio 2026\n",
    )
    return result.code, result.out, result.err


def test_invite_deliver_activate(cli: Cli, sink: MailSink) -> None:
    invited = cli("suppliers", "invite", "--company", COMPANY, "860007386-1")
    assert invited.code == 0, invited.err
    assert "Invitation to Cafés SAS queued." in invited.out

    delivered = cli("mail", "deliver")
    assert delivered.code == 0, delivered.err
    assert delivered.out.startswith("1 sent, 0 to retry, 0 failed")
    (message,) = sink.wait_for(1)
    found = CODE_RE.search(message.text)
    assert found
    code = found.group(1)

    listed = cli("suppliers", "list", "--company", COMPANY, "--format", "json")
    assert '"invitation": "invited"' in listed.out

    status, out, err = activate(cli, code)
    assert status == 0, err
    assert "Cafés SAS is now registered" in out and "cafe.admin" in out
    listed = cli("suppliers", "list", "--company", COMPANY, "--format", "json")
    assert '"registered": true' in listed.out

    status, out, err = activate(cli, code, "another.user")
    assert status == 1
    assert one_error_line(err) == "Error: Invalid or expired activation code."


def test_wrong_code_is_one_generic_line(cli: Cli) -> None:
    assert cli("suppliers", "invite", "--company", COMPANY, "CO:8600073861", "--send").code == 0
    status, out, err = activate(cli, "0000-0000-0000")
    assert status == 1 and out == ""
    assert one_error_line(err) == "Error: Invalid or expired activation code."
    status, out, err = activate(cli, "garbage")
    assert one_error_line(err) == "Error: Invalid or expired activation code."


def test_messages_follow_the_language(cli: Cli) -> None:
    result = cli(
        "--lang",
        "es",
        "activate",
        "--tax-id",
        "CO:860007386",
        "--inviter",
        COMPANY,
        "--code",
        "0000-0000-0000",
        "--username",
        "cafe.admin",
        "--password-stdin",
        stdin="tostado medio 2026\n",
    )
    assert result.code == 1
    assert one_error_line(result.err) == "Error: Código de activación inválido o vencido."


def test_activate_needs_the_password_on_stdin(cli: Cli) -> None:
    result = cli(
        "activate",
        "--tax-id",
        "CO:860007386",
        "--inviter",
        COMPANY,
        "--code",
        "0000-0000-0000",
        "--username",
        "cafe.admin",
        "--password-stdin",
    )
    assert result.code == 1
    assert "No password on standard input." in one_error_line(result.err)
    bad_ref = cli("activate", "--tax-id", "860007386", "--inviter", COMPANY, "--code", "x")
    assert bad_ref.code == 2  # missing --username: a usage error
    bad_ref = activate_with(cli, "--tax-id", "860007386")
    assert bad_ref.code == 1 and "COUNTRY:TAXID" in one_error_line(bad_ref.err)


def activate_with(cli: Cli, *args: str) -> Result:
    defaults = {"--inviter": COMPANY, "--code": "0000-0000-0000", "--username": "cafe.admin"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    merged = {**defaults, **given}
    flat = [part for pair in merged.items() for part in pair]
    return cli("activate", *flat, "--password-stdin", stdin="tostado medio 2026\n")


def test_invite_errors_exit_1(cli: Cli) -> None:
    unknown = cli("suppliers", "invite", "--company", COMPANY, "96.790.240-3")
    assert unknown.code == 1
    assert "No supplier with Tax ID 96.790.240-3" in one_error_line(unknown.err)
    missing_company = cli("suppliers", "invite", "--company", "PE:20512333797", "860007386-1")
    assert missing_company.code == 1 and one_error_line(missing_company.err)
    assert cli("suppliers", "invite", "--company", COMPANY, "860007386-1").code == 0
    again = cli("suppliers", "invite", "--company", COMPANY, "860007386-1")
    assert again.code == 1
    assert "already on its way" in again.err and "No invitation was queued." in again.err


def test_resend_with_new_email_cancel_and_delivery_log(cli: Cli, sink: MailSink) -> None:
    assert cli("suppliers", "invite", "--company", COMPANY, "860007386-1", "--send").code == 0
    resent = cli(
        "suppliers",
        "resend",
        "--company",
        COMPANY,
        "860007386-1",
        "--email",
        "compras@cafe.example",
        "--send",
    )
    assert resent.code == 0, resent.err
    assert "Queued" in resent.out and "compras@cafe.example" in resent.out
    messages = sink.wait_for(2)
    assert [m.rcpt_tos for m in messages] == [("ventas@cafe.example",), ("compras@cafe.example",)]

    log = cli("suppliers", "delivery-log", "--company", COMPANY, "860007386-1")
    assert log.code == 0
    for message in messages:
        assert message.message_id in log.out
    assert "250 " in log.out and "ventas@cafe.example" in log.out

    cancelled = cli("suppliers", "cancel", "--company", COMPANY, "860007386-1")
    assert cancelled.code == 0 and "Cancelled" in cancelled.out
    again = cli("suppliers", "cancel", "--company", COMPANY, "860007386-1")
    assert again.code == 1 and "no pending invitation" in one_error_line(again.err)
    bad_email = cli("suppliers", "resend", "--company", COMPANY, "860007386-1", "--email", "x@")
    assert bad_email.code == 1 and "Invalid email" in one_error_line(bad_email.err)


def test_deliver_with_the_server_down_keeps_the_mail_queued(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("suppliers", "invite", "--company", COMPANY, "860007386-1").code == 0
    monkeypatch.setenv("GOSOCKET_SMTP_PORT", str(free_port()))
    down = cli("mail", "deliver")
    assert down.code == 1
    # A server problem counts no attempt (rule of issue 10; before, "1 to retry").
    assert "0 sent, 0 to retry" in down.out and "no attempt counted" in down.out
    assert "stay queued" in one_error_line(down.err)
    listed = cli("suppliers", "list", "--company", COMPANY, "--format", "json")
    assert '"invitation": "queued"' in listed.out
    log = cli("suppliers", "delivery-log", "--company", COMPANY, "860007386-1")
    assert "Mail server problem (not counted" in log.out and "refused" in log.out
    assert "Attempts: 0" in log.out


def test_smtp_sink_command_stores_mail(tmp_path: Path) -> None:
    port = free_port()
    maildir = tmp_path / "box"
    env = {**os.environ, "GOSOCKET_CONFIG": str(tmp_path / "none.toml"), "LANG": "en_US.UTF-8"}
    command = [sys.executable, "-m", "gosocket_tui", "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    proc = subprocess.Popen(
        [*command, "smtp-sink", "--port", str(port), "--maildir", str(maildir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in first
        message = EmailMessage()
        message["From"] = "a@example.com"
        message["To"] = "b@example.com"
        message["Subject"] = "hola"
        message["Message-ID"] = "<t1@example.com>"
        message.set_content("body")
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.send_message(message)
        line = proc.stdout.readline()
        assert "subject=hola" in line and re.search(r"message-id=<t1@example.com>", line)
        assert [m.message_id for m in read_maildir(maildir)] == ["<t1@example.com>"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_deliver_watch_runs_until_terminated(cli: Cli, sink: MailSink, tmp_path: Path) -> None:
    assert cli("suppliers", "invite", "--company", COMPANY, "860007386-1").code == 0
    env = {
        **os.environ,
        "GOSOCKET_CONFIG": str(tmp_path / "none.toml"),
        "LANG": "en_US.UTF-8",
        "GOSOCKET_SMTP_HOST": "127.0.0.1",
        "GOSOCKET_SMTP_PORT": str(sink.port),
        "GOSOCKET_SMTP_SECURITY": "none",
    }
    command = [sys.executable, "-m", "gosocket_tui", "--db", cli.db_url, "mail", "deliver"]
    proc = subprocess.Popen(
        [*command, "--watch", "--poll", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert len(sink.wait_for(1, timeout=30)) == 1
        assert cli("suppliers", "resend", "--company", COMPANY, "860007386-1").code == 0
        assert len(sink.wait_for(2, timeout=30)) == 2
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 sent" in out and out.rstrip().endswith("Stopped.")


def test_activate_speaks_portuguese_from_the_environment(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Brazilian supplier's terminal (LANG=pt_BR) reads the command in Portuguese; the
    interface's languages stay English and Spanish."""
    assert cli("suppliers", "invite", "--company", COMPANY, "CO:8600073861", "--send").code == 0
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    status, out, err = activate(cli, "0000-0000-0000")
    assert status == 1 and out == ""
    assert err == "Erro: Código de ativação inválido ou expirado.\n"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    result = cli(
        "activate",
        "--tax-id",
        "CO:860007386",
        "--inviter",
        COMPANY,
        "--code",
        "0000-0000-0000",
        "--username",
        "cafe.admin",
        "--password-stdin",
        "--language",
        "pt",
        stdin="tostado medio 2026\n",
    )
    assert result.code == 1
    assert result.err == "Erro: Código de ativação inválido ou expirado.\n"
