"""Delivery: the outbox of invitation emails, from a queued row to evidence of each try.

- ``deliverer``: takes due messages and sends them (``mail deliver``, the app's background
  delivery); ``pump``: the app's one-run-at-a-time loop around it, each problem logged once.
- ``claims``: leases on due rows, so two deliverers never send the same message.
- ``message``: the email with its activation code, built at send time.
- ``outcomes``: the retry and evidence rules, and the code's hash stored before SMTP.
- ``report``: what one run did; ``log``: the delivery evidence administrators read.

Nothing is imported here: the app loads ``pump`` at start without SMTP, TLS or email.
"""
