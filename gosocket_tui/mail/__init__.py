"""Mail transport: compose invitation emails, send them over SMTP, and a local sink for tests
and demos.

Nothing here touches the database or the app's configuration: the deliverer that claims,
sends, retries and records the outbox's messages is a service (``services/delivery/``), built
on ``smtp.SmtpTransport`` (send), ``smtp_failures`` (classification, ``backoff_delay``) and
``smtp_settings``.
"""
