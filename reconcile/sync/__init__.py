"""Sync: who may send what (rules), the job queue (jobs), the convenio refusals, whole grades,
SIGE's answers per course and the reads of where each day stands. The loop that sends is
``reconcile.worker``; the day states are ``reconcile.day_states``."""
