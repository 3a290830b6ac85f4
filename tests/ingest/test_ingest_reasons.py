"""Quarantine reasons that say what really happened (hand-written sources)."""

from __future__ import annotations

from pathlib import Path

from ducky.ingest import run_ingest
from ducky.ingest.quarantine import read_quarantine


def test_orphan_of_a_quarantined_user_and_an_unknown_zone(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text(
        "user_id,signup_date,age\nC-1,2025-01-01,30\nC-7,2025-01-02,7\n"  # C-7: age 7
    )
    (tmp_path / "events.csv").write_text(
        "user_id,event_type,timestamp\n"
        "C-1,login,2025-01-05T10:00:00Z\n"
        "C-7,login,2025-01-05T11:00:00Z\n"  # C-7 is in users.csv, but quarantined
        "C-9,login,2025-01-05T12:00:00Z\n"  # C-9 is in no users file at all
        "C-1,login,2025-01-05 13:00 Mars/Olympus\n"
    )
    out = tmp_path / "data"
    run_ingest(
        out,
        {"users": str(tmp_path / "users.csv"), "events": str(tmp_path / "events.csv")},
        fail_on="never",
    )
    reasons = {r["record"]: r["reason"] for r in read_quarantine(out, "events").to_pylist()}
    assert reasons == {
        3: "user_id: C-7 is not in users: its users row was quarantined in this ingest "
        "(`ducky quarantine users` says why)",
        4: "user_id: C-9 is not in users (orphan)",
        5: "timestamp: '2025-01-05 13:00 Mars/Olympus' names the time zone 'Mars/Olympus', "
        "which the time zone database does not know (IANA names such as Europe/Berlin, or an "
        "offset)",
    }
