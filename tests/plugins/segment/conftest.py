"""Shared data for the segmentation tests: private copies of the data directories (segment runs
write <data>/segments and the embedding cache, and the shared fixtures are read-only)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.segment.synth import build


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 users of six personas (tests/plugins/segment/synth.py), 3 months."""
    return build(tmp_path_factory.mktemp("seg-synth") / "data")


@pytest.fixture(scope="session")
def warm_synth_dir(synth_dir: Path, local_model: Any) -> Path:
    """synth_dir after one in-process run: its embedding cache holds every query and label
    description, so CLI subprocesses on it never load the model."""
    from ducky.datasets import DataDir
    from ducky.plugins.segment import pipeline
    from ducky.plugins.segment.embed.local import LocalEmbedder
    from ducky.plugins.segment.store.parquet import read_search_logs

    d = DataDir(synth_dir)
    pipeline.segment(read_search_logs(d), d, LocalEmbedder(), k=6, seed=42)
    return synth_dir


@pytest.fixture(scope="session")
def generated_copy(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the project's generated dataset (2,000 users, 3 months)."""
    dst = tmp_path_factory.mktemp("seg-generated") / "data"
    shutil.copytree(generated_dir, dst)
    return dst
