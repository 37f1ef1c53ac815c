"""``python -m benchmarks.prepare_speed``: the prepare stage on Reuters, step by step.

Times :func:`dedupe_news.prepare.prepare_texts` on the 19,043 Reuters-21578 texts
(title and text joined as the pipeline joins them) in chunks of
:data:`dedupe_news.batch_prepare.CHUNK`, in this process, as CPU time
(``time.process_time``): on a shared machine CPU time is what one core spends.
Each pass starts with an empty token table (:data:`dedupe_news.prepare.TOKENS`),
as a fresh worker does, and the table shows medians over ``--repeats`` passes:

- tokens: :func:`~dedupe_news.prepare.batch_article_tokens` (boilerplate, case,
  tokens);
- token lookup: :meth:`~dedupe_news.token_table.TokenTable.lookup` (CRC-32, term
  column and stop-word flag of every token, computed once per distinct token);
- signing: :meth:`~dedupe_news.minhash.MinHasher.sign_token_hashes`, with the numpy
  path and, when numba is installed, the compiled one;
- ``prepare_texts``: all of it (the steps above, term counts and bookkeeping).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import statistics
import time
from pathlib import Path

import numpy as np

from dedupe_news.articles import joined_text
from dedupe_news.batch_prepare import CHUNK
from dedupe_news.minhash import MinHasher
from dedupe_news.prepare import TOKENS, batch_article_tokens, prepare_texts

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def reuters_texts(data_dir: Path) -> list[str]:
    with open(data_dir / "reuters21578.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [joined_text(r.get("title"), r.get("text") or "") for r in rows]


def step_seconds(texts: list[str], hasher: MinHasher) -> dict[str, float]:
    """CPU seconds of each step over all chunks, from an empty token table."""
    TOKENS.clear()
    spent = dict.fromkeys(("tokens", "token lookup", "signing"), 0.0)
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        clock = time.process_time()
        tokens = batch_article_tokens(chunk)
        lengths = np.array([len(t) for t in tokens])
        spent["tokens"] += time.process_time() - clock
        clock = time.process_time()
        crc = TOKENS.lookup(itertools.chain.from_iterable(tokens), int(lengths.sum()))[0]
        spent["token lookup"] += time.process_time() - clock
        clock = time.process_time()
        hasher.sign_token_hashes(crc, lengths)
        spent["signing"] += time.process_time() - clock
    TOKENS.clear()
    clock = time.process_time()
    for start in range(0, len(texts), CHUNK):
        prepare_texts(texts[start : start + CHUNK], hasher)
    spent["prepare_texts"] = time.process_time() - clock
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    texts = reuters_texts(args.data_dir)
    backends = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])
    hashers = {name: MinHasher(backend=name) for name in backends}
    for hasher in hashers.values():  # loads (or compiles) the signing kernel
        prepare_texts(texts[:CHUNK], hasher)
    passes: dict[str, list[dict[str, float]]] = {name: [] for name in backends}
    for _ in range(args.repeats):  # the backends take turns, so they see alike loads
        for name, hasher in hashers.items():
            passes[name].append(step_seconds(texts, hasher))
    print(f"{len(texts)} Reuters texts, medians of {args.repeats} passes, CPU time, one core\n")
    print("| step | " + " | ".join(f"{name} signing" for name in backends) + " |")
    print("|---|" + "---|" * len(backends))
    for step in passes[backends[0]][0]:
        cells = []
        for name in backends:
            seconds = statistics.median(p[step] for p in passes[name])
            per_second = (
                f", {len(texts) / seconds:,.0f} articles/s" if step == "prepare_texts" else ""
            )
            cells.append(f"{seconds * 1e6 / len(texts):.1f} us{per_second}")
        print(f"| {step} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
