from gosocket_tui.tui.safe import plain, text


def test_escape_sequences_are_neutralised() -> None:
    hostile = "Evil\x1b]0;pwned\x07 SpA\x1b[2J\r\x9b31m\u202e"
    shown = plain(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\u202e" not in shown and "\r" not in shown
    assert shown.startswith("Evil") and "SpA" in shown


def test_markup_is_not_interpreted() -> None:
    rendered = text("[bold red]boom[/] [link=http://x]y[/link]")
    assert rendered.plain == "[bold red]boom[/] [link=http://x]y[/link]"
    assert not rendered.spans


def test_newlines_kept_only_when_asked() -> None:
    assert plain("a\nb") == "a b"
    assert plain("a\nb", keep_newlines=True) == "a\nb"
