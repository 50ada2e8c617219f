"""data-intact: the app left the seeded data and the schema as they were (indexes aside)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.check("data-intact")


def test_rows_are_the_seeded_ones(data_snapshot):
    assert "error" not in data_snapshot, f"could not read the databases: {data_snapshot.get('error')}"
    changed = {
        table: {"rows now": data_snapshot["candidate"][table][0], "rows seeded": seeded[0]}
        for table, seeded in data_snapshot["baseline"].items()
        if data_snapshot["candidate"][table] != seeded
    }
    assert not changed, (
        f"the app changed seeded data before any test wrote (only POST /reviews and PATCH /books may write): {changed}"
    )


def test_no_tables_views_triggers_or_functions_were_added(data_snapshot):
    assert "error" not in data_snapshot, f"could not read the databases: {data_snapshot.get('error')}"
    assert data_snapshot["forbidden"] == [], (
        f"objects the contract forbids (only indexes may be added): {data_snapshot['forbidden']}"
    )
