"""Sync: rules, job queue, day states, worker loop."""
