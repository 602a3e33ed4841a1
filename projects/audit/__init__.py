"""Audit events: an append-only record of who changed what, read through GitLab's API.

A Django app of its own (label `audit`) inside `projects/`, so that every app can record an
event (`services.audit_event_record`) and its migrations never collide with `projects`'.
"""
