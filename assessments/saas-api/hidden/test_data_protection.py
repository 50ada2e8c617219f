"""No password, and no password hash, in any response of the whole run.

A password is a value, not a field name: a 422 whose details name ``admin_password``
leaks nothing.  What is looked for: every password the suite sent, its unsalted
digests, the known hash formats, and a hash-like string under a password-like key.
"""

import hashlib
import json
import re

import pytest
from support import ALL_EXCHANGES, PASSWORDS, transcript

HASH_PATTERNS = re.compile(rb"(pbkdf2:sha\d+|scrypt:\d+|\$2[aby]\$\d\d\$|\$argon2(id|i|d)\$|\$pbkdf2|\$scrypt\$)")
SENSITIVE_KEYS = re.compile(r"pass(word)?(_?hash)?$|^hash(ed)?_?password$|^password", re.I)
# A hash or digest under such a key: long, no spaces, several digits (a message has spaces, a code has no digits).
HASH_LIKE = re.compile(r"(?=(?:\D*\d){4})\S{20,}")


def _items(value):
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _items(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _items(inner)


def _known_values() -> list[bytes]:
    """Each password sent, and its unsalted hex digests (MD5, SHA-1, SHA-256, SHA-512)."""
    values = []
    for password in PASSWORDS:
        values.append(password.encode())
        values += [hashlib.new(name, password.encode()).hexdigest().encode() for name in ("md5", "sha1", "sha256", "sha512")]
    return values


def _leaks(body: bytes, path: str, known: list[bytes]) -> bool:
    if any(value in body for value in known) or HASH_PATTERNS.search(body):
        return True
    if path.endswith("openapi.json") or not body:
        return False  # a schema names password fields; its values were checked above
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return any(SENSITIVE_KEYS.search(str(key)) and isinstance(value, str) and HASH_LIKE.fullmatch(value)
               for key, value in _items(document))


@pytest.mark.last
@pytest.mark.check("no-password-in-responses")
def test_no_response_contains_a_password_or_its_hash(record_property):
    assert PASSWORDS, "the suite sent no passwords"
    known = _known_values()
    leaks = [e for e in ALL_EXCHANGES if _leaks(e.get("_full", b""), e["path"], known)]
    if leaks:
        record_property("evidence", {"transcript": transcript(leaks, last=5)})
    assert not leaks, f"{len(leaks)} response(s) carried a password or a password hash, e.g. {leaks[0]['method']} {leaks[0]['path']}"
