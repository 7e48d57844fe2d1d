"""Mail to people: the durable outbox, its delivery (SMTP or ``.eml`` files), the daily
digest and the alerts. Counts, courses, dates and Casos only: never a RUT or a
child's name, and addresses never in the log.

- ``config``: the mail settings read once (server, security, sender, ``.eml`` folder)
- ``delivery``: one message out, by SMTP or as an ``.eml`` file; errors in Spanish
- ``outbox``: queue, claim under a lease, deliver, retry with backoff, never twice
- ``digest``: the daily digest and the coalesced alerts of a school
"""
