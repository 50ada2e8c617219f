"""The candidate's own account of their work, read from their repository.

The brief may ask for a file such as ``PERFORMANCE.md`` (what they profiled, changed and
measured). Interviewers weigh it beside the grader's own figures; recruiters only learn
whether it was written. It is never scored: a well-told story is not a fast app.

The checkout is the candidate's: the file may be a link to the worker's own files, a link
through a linked folder, a folder, binary, or huge. Only a regular file inside the
checkout is read, and only its first ``max_bytes``.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from grader.specs import CandidateAccountSpec


def read(spec: CandidateAccountSpec, checkout: Path) -> dict[str, Any]:
    """``{path, present, text, truncated, problem}`` as stored on a grading run.

    ``present`` is False when the file is missing or could not be read as text; ``problem``
    then says why in words an interviewer can pass on (None when it is simply missing).
    """
    absent = {"path": spec.path, "present": False, "text": "", "truncated": False, "problem": None}
    try:
        data, truncated = _read_regular(checkout, spec.path, spec.max_bytes)
    except FileNotFoundError:
        return absent
    except _NotAFile as exc:
        return {**absent, "problem": str(exc)}
    except OSError as exc:
        return {**absent, "problem": f"{spec.path} could not be read: {exc.strerror}"}
    if b"\0" in data:
        return {**absent, "problem": f"{spec.path} is not text (it holds NUL bytes): not shown"}
    text = data.decode("utf-8", "replace")
    return {"path": spec.path, "present": True, "text": text, "truncated": truncated, "problem": None}


class _NotAFile(Exception):
    """The path exists but is not a regular file we may read."""


def _read_regular(root: Path, relative: str, max_bytes: int) -> tuple[bytes, bool]:
    """Walk ``relative`` from ``root`` one component at a time, never following a link."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    parts = relative.split("/")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for folder in parts[:-1]:
            try:
                next_fd = os.open(folder, flags | os.O_DIRECTORY, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _NotAFile(f"{relative}: {folder} is a link or not a folder: not read") from exc
                raise
            os.close(fd)
            fd = next_fd
        try:
            file_fd = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _NotAFile(f"{relative} is a link: not read") from exc
            raise
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        os.close(file_fd)
        raise _NotAFile(f"{relative} is not a regular file: not read")
    with os.fdopen(file_fd, "rb") as handle:
        data = handle.read(max_bytes + 1)
    return data[:max_bytes], len(data) > max_bytes
