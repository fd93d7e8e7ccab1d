"""Mail: compose invitation emails, send them over SMTP, and a local sink for tests and demos.

Nothing here touches the database: the outbox that queues and retries messages is built on top
of ``smtp.SmtpTransport`` (send + failure classification) and ``smtp.backoff_delay``.
"""
