"""No password, and no password hash, in any response of the whole run."""

import json
import re

import pytest
from support import ALL_EXCHANGES, PASSWORDS, transcript

HASH_PATTERNS = re.compile(rb"(pbkdf2:sha\d+|scrypt:\d+|\$2[aby]\$\d\d\$|\$argon2(id|i|d)\$|\$pbkdf2|\$scrypt\$)")
SENSITIVE_KEYS = re.compile(r"pass(word)?(_?hash)?$|^hash(ed)?_?password$|^password", re.I)


def _keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


@pytest.mark.last
@pytest.mark.check("no-password-in-responses")
def test_no_response_contains_a_password_or_its_hash(record_property):
    assert PASSWORDS, "the suite sent no passwords"
    leaks = []
    for exchange in ALL_EXCHANGES:
        body = exchange.get("_full", b"")
        if any(p.encode() in body for p in PASSWORDS) or HASH_PATTERNS.search(body):
            leaks.append(exchange)
            continue
        if exchange["path"].endswith("openapi.json"):
            continue  # a schema may name password fields; values were checked above
        try:
            keys = set(_keys(json.loads(body))) if body else set()
        except ValueError:
            continue
        if any(SENSITIVE_KEYS.search(str(k)) for k in keys):
            leaks.append(exchange)
    if leaks:
        record_property("evidence", {"transcript": transcript(leaks, last=5)})
    assert not leaks, f"{len(leaks)} response(s) carried a password, a hash or a password field, e.g. {leaks[0]['method']} {leaks[0]['path']}"
