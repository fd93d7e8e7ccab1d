"""The business: every rule lives here so the CLI and the TUI agree. Never imports textual."""
