"""The README's Python example runs as written (over the test index of the seeds)."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_readme_python_example_runs(seed_index, monkeypatch, capsys):
    import qa

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1
    # open_index() would build ./index in the repository; the example gets the session's index instead.
    monkeypatch.setattr(qa, "open_index", lambda *a, **k: seed_index)
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})  # noqa: S102 - the README is ours
    out = capsys.readouterr().out
    assert "4.4万个" in out and "新增停车位4.4万个" in out  # the answer and its quote
    assert "支持" in out  # the verdict
    assert "矛盾 新增停车位 2024" in out  # conflicts(index.corpus) shown, not only imported
    assert re.search(r"^\S+ \S+ \S+ 2024年呼和浩特市人民政府工作报告 \d+$", out, re.MULTILINE)  # a commitment row


def test_readme_states_one_question_limit():
    from qa.answer import MAX_QUESTION

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    limits = set(re.findall(r"over ([\d,]+) characters", text))
    assert limits == {f"{MAX_QUESTION:,}"}


def test_conflicts_and_commitments_take_an_index_too(seed_index):
    from qa.audit import commitments, conflicts

    assert [e.to_dict() for e in conflicts(seed_index)] == [e.to_dict() for e in conflicts(seed_index.corpus)]
    assert commitments(seed_index, year=2024) == commitments(seed_index.corpus, year=2024)
