"""Allow ``python -m gosocket_tui``."""

from gosocket_tui.cli import main

if __name__ == "__main__":
    main()
