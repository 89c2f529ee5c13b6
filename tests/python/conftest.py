"""Fixtures shared by the Python tests (defined in daemon_support.py, which also holds the helpers)."""
from daemon_support import spawn  # noqa: F401
