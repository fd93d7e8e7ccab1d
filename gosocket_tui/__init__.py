"""gosocket_tui: manage your suppliers in the Gosocket network from the terminal."""

__version__ = "0.1.0"
