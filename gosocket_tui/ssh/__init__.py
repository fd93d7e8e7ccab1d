"""The app's own SSH endpoint (``gosocket-tui serve``), built on asyncssh.

``host_key`` keeps the server's identity, ``server`` decides who gets in and what they may
ask for, ``launcher`` runs each interactive session as its own child process on a pty.
"""
