"""Field checks that turn untrusted input into error codes (the 422 answers)."""

import re

HANDLE = re.compile(r"[A-Za-z0-9_]{1,32}")


def text_errors(value, field: str, max_chars: int) -> list[str]:
    """Codes for a required text field: <field>_blank, <field>_invalid, <field>_exceed_max_chars."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return [f"{field}_blank"]
    if not isinstance(value, str):
        return [f"{field}_invalid"]
    if len(value) > max_chars:
        return [f"{field}_exceed_max_chars"]
    return []


def handle_errors(value, field: str = "user_handle") -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [f"{field}_blank"]
    if not isinstance(value, str) or not HANDLE.fullmatch(value):
        return [f"{field}_invalid"]
    return []
