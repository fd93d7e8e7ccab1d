"""The one path by which text from users, files, mail servers or the database reaches the screen.

Supplier names, emails, file cells and server replies may hold ESC sequences (a terminal would
act on them: ``ESC ] 0 ;`` retitles it) or markup (Textual parses ``[@click=app.…]`` in
border titles, ``Static``/``Label`` strings and notifications, and makes it a live action).
Every such value goes through one of these helpers, which replace control and bidi characters
with ``�`` (``safe_text.plain``) and never parse markup:

* ``text``: a Rich ``Text``, for tables and renderables built from parts;
* ``content``: a Textual ``Content``, for ``Static``/``Label`` contents, border titles and
  subtitles, tooltips and option prompts.

Notifications are made safe by the app itself (``GosocketApp.notify``), and the app runs no
action that came from markup (``GosocketApp._broker_event``). ``tests/tui/test_hostile_text.py``
shows hostile values in every field on every screen; ``tests/unit/test_safe_text.py`` checks
the helpers and that no screen module passes data to a markup-parsing place any other way.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from gosocket_tui.safe_text import plain

__all__ = ["content", "plain", "text"]


def text(value: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A Rich ``Text`` of ``plain(value)``: safe for widgets that would parse markup."""
    return Text(plain(value, keep_newlines=keep_newlines), style=style)


def content(value: object, style: str = "", *, keep_newlines: bool = False) -> Content:
    """A Textual ``Content`` of ``plain(value)``, never parsed as markup: for ``Static`` and
    ``Label`` contents, border titles, tooltips and option prompts."""
    return Content.styled(plain(value, keep_newlines=keep_newlines), style)
