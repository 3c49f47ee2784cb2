"""The HTTP layer: JSON API (and later the dashboard) over ``hub.Hub``."""
