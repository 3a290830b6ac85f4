"""CSV files whose quoted values span lines, as shop exports write product names and addresses:
every record is read whole, numbered by the line it starts on, and a malformed record after a
multi-line one is quarantined with its own line number. (Written by hand for this test.)"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ducky.ingest import run_ingest
from ducky.ingest.quarantine import read_quarantine

PRODUCTS = (
    "product_id,category,price,name\n"
    'p1,home,9.99,"Mug\nwith handle"\n'  # lines 2-3
    'p2,home,19.99,"Plate, large"\n'  # line 4
    'p3,fashion,5.00,"Scarf ""Aurora""\n\nwool, 2 m"\n'  # lines 5-7, a blank line inside
    "p4,fashion,7.50\n"  # line 8: a field short
    "\n"  # line 9: blank, skipped
    "p5,beauty,3.25,plain\n"  # line 10
)


def test_quoted_values_across_lines_are_read_whole(tmp_path: Path) -> None:
    src = tmp_path / "products.csv"
    src.write_text(PRODUCTS, encoding="utf-8")
    out = tmp_path / "data"
    result = run_ingest(out, {"products": str(src)}, fail_on="never")
    (acc,) = result.accounts
    assert (acc.rows_in, acc.loaded, acc.quarantined) == (5, 4, 1)
    rows = pq.read_table(out / "products.parquet").sort_by("product_id").to_pylist()
    assert [(r["product_id"], r["price"], r["name"]) for r in rows] == [
        ("p1", Decimal("9.99"), "Mug\nwith handle"),
        ("p2", Decimal("19.99"), "Plate, large"),
        ("p3", Decimal("5.00"), 'Scarf "Aurora"\n\nwool, 2 m'),
        ("p5", Decimal("3.25"), "plain"),
    ]
    q = read_quarantine(out, "products").to_pylist()
    assert [(r["record"], r["checks"], r["record_kind"]) for r in q] == [(8, "parse", "line")]
    assert q[0]["reason"].startswith("line 8 has 3 field(s), the header has 4")
    assert json.loads(q[0]["raw"]) == "p4,fashion,7.50"


def test_crlf_file_with_a_multi_line_value(tmp_path: Path) -> None:
    src = tmp_path / "products.csv"
    src.write_bytes(PRODUCTS.replace("\n", "\r\n").encode("utf-8"))
    out = tmp_path / "data"
    result = run_ingest(out, {"products": str(src)}, fail_on="never")
    assert (result.accounts[0].loaded, result.accounts[0].quarantined) == (4, 1)
    names = {
        r["product_id"]: r["name"] for r in pq.read_table(out / "products.parquet").to_pylist()
    }
    assert names["p1"] == "Mug\r\nwith handle"  # the value's own line break, kept as written
    assert [r["record"] for r in read_quarantine(out, "products").to_pylist()] == [8]


def test_text_skus_after_a_users_only_ingest(tmp_path: Path) -> None:
    # A users-only ingest leaves an empty products table typed with integer ids: that empty
    # table holds no id, so a catalog of text SKUs ingested next is taken as it is.
    (tmp_path / "users.csv").write_text("user_id,signup_date\n1,2025-01-01\n2,2025-01-02\n")
    (tmp_path / "products.csv").write_text(
        "product_id,category,price\nSKU-1,home,9.99\nSKU-2,home,5.00\n"
    )
    out = tmp_path / "data"
    run_ingest(out, {"users": str(tmp_path / "users.csv")})
    result = run_ingest(out, {"products": str(tmp_path / "products.csv")})
    assert result.accounts[0].loaded == 2
    from ducky.datasets import DataDir

    assert DataDir(out).id_types() == {"user_id": "int64", "product_id": "string"}
    ids = pq.read_table(out / "products.parquet").column("product_id").to_pylist()
    assert sorted(ids) == ["SKU-1", "SKU-2"]
    # A directory that does hold integer product ids still refuses strings, as before.
    (tmp_path / "p_int.csv").write_text("product_id,category,price\n7,home,9.99\n")
    other = tmp_path / "other"
    run_ingest(other, {"products": str(tmp_path / "p_int.csv")})
    from ducky.errors import UserError

    with pytest.raises(UserError, match="stores product_id as integers"):
        run_ingest(other, {"products": str(tmp_path / "products.csv")})


def test_negative_amounts_are_kept_and_counted(tmp_path: Path) -> None:
    # A refund line (-5.00) is revenue as the metric defines it, but the shop should see how
    # many there are: a warning with the count, the rows loaded (not quarantined).
    (tmp_path / "events.csv").write_text(
        "user_id,event_type,timestamp,amount,currency,order_id\n"
        "1,purchased,2025-01-06T10:00:00Z,12.50,USD,A1\n"
        "1,purchased,2025-01-07T10:00:00Z,-5.00,USD,A2\n"
        "2,purchased,2025-01-07T11:00:00Z,0,USD,A3\n"
    )
    out = tmp_path / "data"
    result = run_ingest(out, {"events": str(tmp_path / "events.csv")}, fail_on="never")
    (sign,) = [c for c in result.checks if c.check == "amount_sign"]
    assert (sign.checked, sign.failed, sign.status) == (3, 1, "warn")
    assert result.accounts[0].loaded == 3 and result.accounts[0].quarantined == 0
    amounts = sorted(float(a) for a in pq.read_table(out / "events").column("amount").to_pylist())
    assert amounts == [-5.0, 0.0, 12.5]
