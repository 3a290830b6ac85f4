"""Optional narration of the brief by a language model (`ducky report --narrate hf`).

The model gets each part's template sentences (the facts) and returns prose; every returned
sentence containing a number that is not one of the facts' numbers is dropped, so a model can
reword but never invent or round a figure. A part with no surviving sentence keeps its template
prose. Per-item lines (the optimization, action and segment bullets) stay verbatim.

The Hugging Face Inference API is called through `huggingface_hub.InferenceClient
.chat_completion` (OpenAI-compatible chat completion); `endpoint` points it at another server
speaking that protocol (a dedicated Inference Endpoint, a local TGI, or the tests' loopback).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace

from ducky.errors import UserError
from ducky.report.brief import Brief, numbers_in

DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
SYSTEM = (
    "You rewrite analytics facts into a short, plain paragraph for a head of e-commerce. "
    "Use only the facts given. Copy every number exactly as written (same digits, separators "
    "and units); do not round, convert, add or compute numbers. No headings, no lists."
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"\u201c(])")

Complete = Callable[[str, str], str]  # (system prompt, user prompt) -> model text


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def checked(text: str, allowed: set[str]) -> tuple[list[str], list[str]]:
    """(kept, dropped) sentences: a sentence is kept when all its numbers are in `allowed`."""
    kept: list[str] = []
    dropped: list[str] = []
    for s in split_sentences(text):
        (kept if all(n in allowed for n in numbers_in(s)) else dropped).append(s)
    return kept, dropped


def narrate(brief: Brief, complete: Complete, label: str) -> Brief:
    """Rephrase each part's prose with `complete`, keeping only number-checked sentences."""
    allowed = brief.numbers()
    parts = []
    for p in brief.parts:
        if not p.sentences or not p.ran:
            parts.append(p)
            continue
        facts = "\n".join(f"- {s}" for s in p.sentences)
        text = complete(SYSTEM, f"Section: {p.title}\nFacts:\n{facts}")
        kept, _dropped = checked(text, allowed)
        parts.append(replace(p, sentences=kept) if kept else p)
    return Brief(parts, narrated_by=label)


def hf_complete(
    model: str, token: str | None, endpoint: str | None, timeout: float = 60.0
) -> Complete:
    """A `Complete` backed by huggingface_hub's chat completion."""
    from huggingface_hub import InferenceClient

    client = (
        InferenceClient(base_url=endpoint, token=token, timeout=timeout)
        if endpoint
        else InferenceClient(token=token, timeout=timeout)
    )

    def complete(system: str, user: str) -> str:
        from huggingface_hub.errors import HfHubHTTPError

        where = endpoint or f"the Hugging Face Inference API ({model})"
        try:
            out = client.chat_completion(
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                model=model,
                max_tokens=400,
                temperature=0.0,
            )
        except HfHubHTTPError as e:
            status = getattr(getattr(e, "response", None), "status_code", "?")
            hint = " (check HF_TOKEN)" if status in (401, 403) else ""
            raise UserError(f"narration failed: {where} answered HTTP {status}{hint}") from e
        except OSError as e:  # connection refused, DNS, timeouts (requests errors are OSErrors)
            raise UserError(f"narration failed: cannot reach {where}: {type(e).__name__}") from e
        content = out.choices[0].message.content if out.choices else None
        return content or ""

    return complete


def hf_narrator(
    model: str | None = None, token: str | None = None, endpoint: str | None = None
) -> Callable[[Brief], Brief]:
    """The `--narrate hf` narrator: model from the option or DUCKY_NARRATE_MODEL, token from
    HF_TOKEN, endpoint from DUCKY_NARRATE_ENDPOINT (default: the Inference API)."""
    model = model or os.environ.get("DUCKY_NARRATE_MODEL") or DEFAULT_MODEL
    token = token if token is not None else os.environ.get("HF_TOKEN") or None
    endpoint = endpoint or os.environ.get("DUCKY_NARRATE_ENDPOINT") or None
    if token is None and endpoint is None:
        raise UserError("--narrate hf needs a Hugging Face token in HF_TOKEN")
    complete = hf_complete(model, token, endpoint)
    return lambda brief: narrate(brief, complete, f"hf:{model}")
