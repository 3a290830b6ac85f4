"""User segmentation from search history: a feature plugin loaded through `ducky.plugins`.

Pipeline: search logs (local Parquet or Elasticsearch/OpenSearch) -> distinct normalized queries
-> embeddings (local sentence-transformers model or the Hugging Face Inference API, cached on
disk) -> per-user features (query embeddings + behaviour) -> K-means -> named segments ->
Parquet, optional Elasticsearch index, plot. Nothing heavy is imported at module import time.
"""
