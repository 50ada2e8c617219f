"""Make candidate-controlled text inert before it is stored or shown.

Templates escape HTML; this removes what escaping does not: terminal control
sequences (a log could clear a screen or rewrite a line), other control
characters, and credentials inside repository URLs.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), other two-byte ESC sequences, 8-bit CSI.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def inert(text: object) -> str:
    """Text with terminal escapes and control characters removed (newlines and tabs kept)."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    value = value.replace("\r\n", "\n")
    return _CONTROL.sub("", _ANSI.sub("", value)).replace("\r", "\n")


def without_credentials(url: str) -> str:
    """The URL with any user name, password or token removed (``https://tok@host/x`` → ``https://host/x``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.netloc or "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
