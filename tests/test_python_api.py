"""The Python API (`ducky.open`) against the CLI's own results, and the example notebook run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import ducky
from tests.cli_support import run_cli

AGES = {"where": {"type": "attribute", "column": "age", "op": "between", "value": [18, 90]}}


def test_import_is_lazy_and_typed() -> None:
    assert (Path(ducky.__file__).parent / "py.typed").is_file()
    assert {"open", "Shop", "Cohort", "DuckyError", "UserError"} <= set(ducky.__all__)
    # tab-completion in a notebook offers the API, not `TYPE_CHECKING` or `annotations`
    assert dir(ducky) == ["Cohort", "DuckyError", "Shop", "UserError", "__version__", "open"]


@pytest.mark.integration
def test_query_matches_cli(generated_dir: Path) -> None:
    shop = ducky.open(generated_dir)
    for name in ("wau", "revenue"):
        cli = json.loads(run_cli("--data", str(generated_dir), "query", name, "--json").stdout)
        frame = shop.query(name)
        assert frame.columns == cli["columns"]
        assert len(frame) == len(cli["rows"])
        first = frame.row(0, named=True)
        got = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in first.items()}
        if name == "revenue":
            got["revenue"] = float(got["revenue"])
            got["avg_order_value"] = float(got["avg_order_value"])
        assert got == cli["rows"][0]
    arrow = shop.query("wau", arrow=True)
    assert arrow.num_rows == len(shop.query("wau"))


def test_revenue_month_range_is_inclusive(generated_dir: Path) -> None:
    shop = ducky.open(generated_dir)
    march = shop.query("revenue", date_from="2025-03", date_to="2025-03")
    march_days = shop.query("revenue", date_from="2025-03-01", date_to="2025-03-31")
    q1 = shop.query("revenue", date_from="2025-01", date_to="2025-03")
    assert len(march) > 0 and march.equals(march_days)
    assert float(q1["revenue"].sum()) > float(march["revenue"].sum())


@pytest.mark.integration
def test_cohort_object(generated_dir: Path) -> None:
    c = ducky.open(generated_dir).cohort(weeks=4)
    cli = json.loads(
        run_cli("--data", str(generated_dir), "cohort", "--weeks", "4", "--json").stdout
    )
    assert len(c.frame) == len(cli["rows"])
    sizes = dict(sorted({(r["cohort_month"][:7], r["cohort_size"]) for r in cli["rows"]}))
    assert dict(zip(c.matrix["cohort"], c.matrix["size"], strict=True)) == sizes
    html = c._repr_html_()
    assert "<table>" in html and "w4" in html and "·" in html
    assert c.insights == cli["insights"]


def test_audience_returns_every_user(generated_dir: Path) -> None:
    shop = ducky.open(generated_dir)
    users = shop.audience(AGES)  # 2,000 users: more than one 1,000-user page
    assert len(users) == shop.audience_count(AGES) == 2000
    assert users["user_id"].n_unique() == 2000
    assert len(shop.audience(json.dumps(AGES), limit=1500)) == 1500


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.query("wau", date_from="2025-01"), "query 'wau' takes no parameter"),
        (lambda s: s.query("revenue", date_from="2025-04", date_to="2025-03"), "date_from 2025-04"),
        (lambda s: s.query("nope"), "unknown query 'nope'"),
        (lambda s: s.cohort(weeks=99), "weeks must be between 0 and 52"),
        (lambda s: s.cohort(date_from="2030-01"), "no cohorts in the chosen month range"),
    ],
)
def test_errors_name_arguments_not_flags(generated_dir: Path, call: object, message: str) -> None:
    shop = ducky.open(generated_dir)
    with pytest.raises(ducky.DuckyError) as e:
        call(shop)  # type: ignore[operator]
    assert message in str(e.value) and "--" not in str(e.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # A list once slipped through as "no conditions" and matched every user.
        ([], "an audience spec is a dict or its JSON text, not list"),
        (None, "not None"),
        (42, "not int"),
        ("[]", "expected a JSON object, got an array"),
        ("null", "expected a JSON object, got null"),
        ("{bad json", "malformed JSON"),
        ("", "malformed JSON"),
    ],
)
def test_audience_rejects_what_is_not_a_spec(
    generated_dir: Path, spec: object, message: str
) -> None:
    shop = ducky.open(generated_dir)
    with pytest.raises(ducky.UserError, match=message):
        shop.audience(spec)  # type: ignore[arg-type]
    with pytest.raises(ducky.UserError, match=message):
        shop.audience_count(spec)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, True, 1.5])
def test_audience_limit_must_be_positive(generated_dir: Path, limit: object) -> None:
    with pytest.raises(ducky.UserError, match="limit must be a whole number of at least 1"):
        ducky.open(generated_dir).audience(AGES, limit=limit)  # type: ignore[arg-type]


def test_open_errors(tmp_path: Path) -> None:
    with pytest.raises(ducky.UserError, match="no such data directory"):
        ducky.open(tmp_path / "missing")
    with pytest.raises(ducky.UserError, match="cannot open postgresql://"):
        ducky.open("postgresql://localhost/shop")
    # an unknown engine is said when the shop opens, not at its first query
    tmp_path.joinpath("d").mkdir()
    with pytest.raises(ducky.UserError, match=r"engine: unknown engine 'oracle'; installed en"):
        ducky.open(tmp_path / "d", engine="oracle")
    assert ducky.open(tmp_path / "d", engine="polars").engine == "polars"  # cohort's own path


@pytest.mark.slow
def test_quickstart_notebook_runs(generated_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    path = Path(__file__).parent.parent / "examples" / "quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("DUCKY_DATA", str(generated_dir))
    src = str(Path(ducky.__file__).parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("Cohort retention by week since signup" in h for h in html)
    text = "".join(o.get("text", "") for o in outputs)
    assert "error: date_from 2025-04 is after date_to 2025-03" in text


def test_open_defaults_from_env_and_config(
    generated_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ducky.toml").write_text(f'data = "{generated_dir}"\nengine = "duckdb"\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.delenv("DUCKY_CONFIG")
    shop = ducky.open()
    assert shop.path == generated_dir and shop.engine == "duckdb"
    monkeypatch.setenv("DUCKY_DATA", str(tmp_path))
    assert ducky.open().path == tmp_path  # the environment beats the file
