"""benchmarks.speed_model: its refusal without the corpus and its output comparison."""

from __future__ import annotations

import numpy as np

from benchmarks.speed_model import compare_outputs, main


def test_without_reuters_it_says_so_and_exits_2(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "--repeats", "1"]) == 2
    assert "reuters21578.jsonl" in capsys.readouterr().err


def test_compare_outputs_sees_a_changed_label_and_score(tmp_path):
    pairs = dict(i=np.array([0, 1]), j=np.array([1, 2]))
    np.savez(
        tmp_path / "a.npz", labels=np.array([0, 0, 1]), similarity=np.array([0.5, 0.25]), **pairs
    )
    np.savez(
        tmp_path / "b.npz", labels=np.array([0, 0, 1]), similarity=np.array([0.5, 0.25]), **pairs
    )
    np.savez(
        tmp_path / "c.npz", labels=np.array([0, 1, 1]), similarity=np.array([0.5, 0.75]), **pairs
    )
    same = compare_outputs(str(tmp_path / "a.npz"), str(tmp_path / "b.npz"))
    assert same == (
        "labels identical: True, pairs identical: True (2), "
        "max abs difference of story_similarity: 0"
    )
    changed = compare_outputs(str(tmp_path / "a.npz"), str(tmp_path / "c.npz"))
    assert changed.startswith("labels identical: False, pairs identical: True")
    assert changed.endswith("0.5")
