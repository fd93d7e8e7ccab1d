"""My SSH keys (F6 or the palette): the logged-in user sees and removes their own keys.

Keys are added by the server's operator (``gosocket-tui user key add``), never here: a key
is a credential, and adding one from inside a session would let whoever holds the session
keep a way back in. Removing needs a confirmation; removing the key this SSH session logged
in with ends the session, and the confirmation says so first. The list and the removal go
through ``services.ssh_keys`` (``my_keys``, ``remove_my_key``) with ``call_service``; a
comment is the user's text and is shown plain, never as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from gosocket_tui.i18n import _
from gosocket_tui.services.ssh_keys import KeyInfo, my_keys, remove_my_key
from gosocket_tui.tui.dialogs.base import Dialog
from gosocket_tui.tui.dialogs.invite import ConfirmScreen
from gosocket_tui.tui.host import SessionEnded, host
from gosocket_tui.tui.safe import content, plain
from gosocket_tui.tui.widgets.supplier_table import long_date
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session


def key_prompt(key: KeyInfo, *, current: bool) -> Content:
    """Three lines for one key: its comment, its fingerprint, when it was added and used."""
    comment = plain(key.comment) or _("(no comment)")
    if current:
        comment = f"{comment}  ·  {_('this session')}"
    used = long_date(key.last_used_at) if key.last_used_at else _("never")
    when = _(
        "added {added} · last used {used}",
        added=long_date(key.created_at),
        used=used,
    )
    return Content.assemble(
        content(comment, "bold"),
        "\n",
        content(f"{key.algorithm} {key.fingerprint}"),
        "\n",
        content(when, "dim"),
    )


def how_to_add(username: str) -> str:
    """The empty state: who adds a key, and the command they run."""
    return _(
        "You have no SSH keys. To log in over SSH with a key, send your public key (the .pub "
        "file, never the private key) to the operator of this server, who runs:\n\n"
        "  gosocket-tui user key add {username} --key-file KEY.pub",
        username=plain(username),
    )


class MyKeysScreen(Dialog[None]):
    """The logged-in user's SSH keys; Delete removes the highlighted one after asking."""

    CSS_PATH = "my_keys.tcss"
    FRAME_ID = "keys-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("delete,x", "remove_key", "Remove"),
    ]

    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        super().__init__()
        self.ctx = ctx
        self.session = session
        self.keys: list[KeyInfo] = []

    def compose_body(self) -> ComposeResult:
        yield OptionList(id="keys-list", compact=True)
        yield Static(id="keys-empty")

    def on_mount(self) -> None:
        self.query_one("#keys-dialog").border_title = _("My SSH keys")
        self.query_one("#keys-empty").display = False
        self.reload()

    def reload(self) -> None:
        session = host(self).session or self.session
        ctx = self.ctx
        call_service(self, lambda: my_keys(ctx, session), self._loaded, group="my-keys")

    def _loaded(self, keys: list[KeyInfo]) -> None:
        self.keys = keys
        listing = self.query_one("#keys-list", OptionList)
        listing.clear_options()
        current = self.session.key_fingerprint
        options: list[Option | None] = []
        for key in keys:
            if options:
                options.append(None)  # a rule between two keys
            prompt = key_prompt(key, current=key.fingerprint == current)
            options.append(Option(prompt, id=key.fingerprint))
        listing.add_options(options)
        empty = self.query_one("#keys-empty", Static)
        empty.update(content(how_to_add(self.session.username), keep_newlines=True))
        empty.display = not keys
        listing.display = bool(keys)
        if keys:
            listing.highlighted = 0
            listing.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_key":
            return bool(self.keys)
        return True

    def _highlighted_key(self) -> KeyInfo | None:
        listing = self.query_one("#keys-list", OptionList)
        if listing.highlighted is None:
            return None
        fingerprint = listing.get_option_at_index(listing.highlighted).id
        return next((key for key in self.keys if key.fingerprint == fingerprint), None)

    def action_remove_key(self) -> None:
        key = self._highlighted_key()
        if key is None:
            return
        current = key.fingerprint == self.session.key_fingerprint
        lines = [
            _("Remove this key? You can no longer log in with it."),
            "",
            plain(key.comment) or _("(no comment)"),
            key.fingerprint,
        ]
        if current:
            lines += [
                "",
                _("This session logged in with this key: removing it ends the session."),
            ]

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._remove(key, current=current)

        self.app.push_screen(
            ConfirmScreen(_("Remove SSH key"), lines, confirm_label=_("Remove"), destructive=True),
            answered,
        )

    def _remove(self, key: KeyInfo, *, current: bool) -> None:
        session = host(self).session or self.session
        ctx, fingerprint = self.ctx, key.fingerprint

        def removed(_none: None) -> None:
            if current:
                # The server would end the connection within seconds anyway; say why now.
                self.app.post_message(
                    SessionEnded(_("You removed the key this session logged in with."))
                )
                return
            self.notify(_("Key removed: {fingerprint}", fingerprint=fingerprint))
            self.reload()

        call_service(
            self, lambda: remove_my_key(ctx, session, fingerprint), removed, group="my-keys-remove"
        )

    @on(OptionList.OptionSelected, "#keys-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # Enter removes nothing: that takes Delete and a confirmation

    def action_close(self) -> None:
        self.dismiss(None)
