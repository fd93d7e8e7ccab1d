"""The full-screen app: screens, views and widgets over the services layer.

Nothing here touches the database directly: every service call runs in a thread worker and
hands its result back to the UI as a message (an import-linter contract keeps peewee out, and
another ``mail/``: the sink's mail comes through ``services.received_mail``). Services are
imported inside the workers that call them, for startup speed: the login screen paints
before they load (``benchmarks/startup.py``).
"""
