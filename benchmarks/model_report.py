"""The RESULTS.md section of a :mod:`benchmarks.train_model` run."""

from __future__ import annotations

import os
import platform


def markdown(results: dict, metadata: dict, reach: dict, seconds: float, recipe) -> str:
    """The RESULTS.md section of a run."""
    long_text = "every text"
    if recipe.long_text_tokens:
        long_text = f"texts of {recipe.long_text_tokens}+ tokens {recipe.long_text_neighbors}"
    lines = [
        "## Pair model: leave-one-corpus-out",
        "",
        f"- command: `{metadata['trained_by']}` ({seconds / 60:.1f} min)",
        f"- commit: {metadata['commit'][:7]} (+ the working tree of that run)",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(shared with other sessions); Python {platform.python_version()}",
        f"- training files sha256: `{metadata['training_files_sha256'][:16]}...`",
        f"- model: terms `{recipe.terms}` (`benchmarks/model_terms.py`), C {recipe.c:g}",
        f"- clustering: {recipe.linkage} linkage, threshold {recipe.threshold}, clearly "
        f"different below {recipe.veto} (linkage distance {recipe.veto_distance:g}; never "
        f"for a pair with a text under {recipe.veto_min_tokens} tokens); copies (Jaccard "
        f">= 0.5 or containment >= 0.8) score 1, pairs more than {recipe.window_days:g} "
        "days apart 0",
        f"- candidates: LSH copies + body and lead TF-IDF neighbours, floor {recipe.floor}, "
        f"{recipe.max_neighbors} neighbours ({long_text}), {recipe.window_days:g}-day "
        "window; neighbour "
        f"graph edges of body cosine >= {recipe.graph_floor:g}",
        "",
        "`in-sample`: the shipped model, trained on every corpus. `LOCO`: trained without",
        "that corpus (and without its headline view), scored on it.",
        "",
        "| corpus | measure | in-sample | LOCO | today (rule, cosine 0.15) |",
        "|---|---|---|---|---|",
    ]
    today = {"ecbplus_dev": "0.905", "gva_dev": "0.677", "uci_headlines_dev": "0.333"}
    for name in results["in_sample"]:
        inside, loco = results["in_sample"][name], results["loco"].get(name, {})
        for key in inside:
            a, b = inside[key], loco.get(key, "")
            a = f"{a:.3f}" if isinstance(a, float) else a
            b = f"{b:.3f}" if isinstance(b, float) else b
            base = today.get(name, "") if key == "ari" else ""
            lines.append(f"| {name} | {key} | {a} | {b} | {base} |")
    lines += [
        "",
        "Gold same-story pairs that reach scoring as candidates (the rest can still",
        "join through the full probability matrix of their component):",
        "",
        "| corpus | reached / gold pairs | share |",
        "|---|---|---|",
    ]
    for name, (got, total) in reach.items():
        lines.append(f"| {name} | {got} / {total} | {got / total:.3f} |")
    return "\n".join(lines) + "\n"
