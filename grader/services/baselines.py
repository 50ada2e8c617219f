"""The starter baselines measured on this host: JSON files beside the host lock.

Per host on purpose: a starter's speed is a property of the machine that ran
it, so a baseline is only ever reused where it was measured (the directory is
shared by the host's workers, never between hosts).  Written atomically, so a
reader never sees half a file; an unreadable file counts as absent.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path


class HostBaselines:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"[a-z0-9-]{8,128}", key):
            raise ValueError(f"bad baseline key {key!r}")
        return self.directory / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            value = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(temporary, self._path(key))

    def forget(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
