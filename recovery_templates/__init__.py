"""Jinja2 templates of the recovery kit (rendered by hub/recovery.py; no code lives here)."""
