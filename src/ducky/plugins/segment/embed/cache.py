"""On-disk embedding cache: <data>/.ducky/embeddings/<model>/part-*.parquet with columns
(text, vector). Keyed by (model, normalized text); each run appends one part with the texts it
had to embed, written to a temp file and renamed so a crash never leaves a half part."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pyarrow as pa

    from ducky.plugins.segment.embed import Embedder


def cache_dir(state_dir: Path, model: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")[:60]
    digest = hashlib.sha1(model.encode()).hexdigest()[:8]
    return state_dir / "embeddings" / f"{slug}-{digest}"


class EmbeddingCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _read(self) -> tuple[pa.Array, np.ndarray] | None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = sorted(self.directory.glob("part-*.parquet"))
        if not parts:
            return None
        tables = [pq.read_table(p) for p in parts]
        t = pa.concat_tables(tables)
        texts = t["text"].combine_chunks()
        vec = t["vector"].combine_chunks()
        dim = vec.type.list_size
        flat = vec.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
        return texts, flat.reshape(len(t), dim)

    def lookup_or_embed(
        self,
        texts: pa.Array,
        embedder: Embedder,
        progress: Callable[[int], None] | None = None,
        chunk: int = 2048,
    ) -> np.ndarray:
        """Vectors for `texts` (distinct, normalized), embedding and storing only the misses."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        cached = self._read()
        out: np.ndarray | None = None
        missing_idx = np.arange(len(texts))
        if cached is not None:
            ctexts, cvecs = cached
            pos_arr = pc.index_in(texts, value_set=ctexts).fill_null(-1).to_numpy()
            hit = pos_arr >= 0
            out = np.zeros((len(texts), cvecs.shape[1]), dtype=np.float32)
            out[hit] = cvecs[pos_arr[hit]]
            missing_idx = np.flatnonzero(~hit)
        if progress:
            progress(len(texts) - len(missing_idx))
        if len(missing_idx) == 0:
            assert out is not None
            return out
        miss_texts = texts.take(pa.array(missing_idx)).to_pylist()
        new_parts = []
        for i in range(0, len(miss_texts), chunk):
            v = embedder.embed(miss_texts[i : i + chunk])
            new_parts.append(v)
            if progress:
                progress(len(v))
        new = np.concatenate(new_parts)
        if out is None:
            out = np.zeros((len(texts), new.shape[1]), dtype=np.float32)
        out[missing_idx] = new
        self._append(miss_texts, new)
        return out

    def _append(self, texts: list[str], vecs: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.directory.mkdir(parents=True, exist_ok=True)
        dim = vecs.shape[1]
        vector = pa.FixedSizeListArray.from_arrays(pa.array(vecs.reshape(-1)), dim)
        table = pa.table({"text": pa.array(texts, pa.string()), "vector": vector})
        name = f"part-{uuid.uuid4().hex[:12]}.parquet"
        tmp = self.directory / f".{name}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, self.directory / name)
