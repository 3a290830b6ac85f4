"""CSV files whose quoted values span lines, as shop exports write product names and addresses:
every record is read whole, numbered by the line it starts on, and a malformed record after a
multi-line one is quarantined with its own line number. (Written by hand for this test.)"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

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
