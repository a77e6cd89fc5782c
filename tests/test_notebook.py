"""notebooks/pipeline.ipynb runs top to bottom on the seeds and shows what its text says it shows.

The notebook is executed once per module with nbclient, in a kernel that imports `qa` from this
checkout (PYTHONPATH) and runs on this interpreter (a "python3" kernelspec written for the test
and put first on JUPYTER_PATH). Each test then reads the outputs of the cells it cares about,
found by their tags.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "pipeline.ipynb"
CELL_TIMEOUT = 300  # seconds per cell (nbclient's unit); the index build is the slow one
BUDGET = 120  # seconds for the whole notebook: it takes ~15 s; this catches a pathologically slow one


def _files(folder: Path) -> dict[str, int]:
    """Relative path → mtime of every file under a folder ({} when it does not exist)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """(executed notebook, seconds, repo files before) — executed once for the module."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (test)", "language": "python"}),
        encoding="utf-8",
    )
    before = {"index": _files(ROOT / "index"), "notebooks": _files(NOTEBOOK.parent)}
    nb = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        # The kernel is a subprocess: it inherits these, and the test's own environment is restored after.
        mp.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        mp.setenv("JUPYTER_PATH", str(jupyter))  # searched before user and venv kernelspecs
        mp.setenv("JUPYTER_RUNTIME_DIR", str(jupyter / "runtime"))
        mp.setenv("IPYTHONDIR", str(jupyter / "ipython"))
        # On a busy 2-core CI box multi-threaded BLAS makes the corpus embedder's SVD 4x slower.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            mp.setenv(var, "1")
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        t0 = time.perf_counter()
        client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
        seconds = time.perf_counter() - t0
    return nb, seconds, before


def text_of(nb, tag: str) -> str:
    """Everything a tagged cell printed or displayed (stream, text/plain, text/html), joined."""
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    parts = []
    for out in cells[0].get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append("\n".join(out.traceback))
        else:
            data = out.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def images_of(nb, tag: str) -> int:
    cell = next(c for c in nb.cells if tag in c.get("metadata", {}).get("tags", []))
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_saved_clean_and_for_the_python3_kernel():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    assert all(not c.outputs and c.execution_count is None for c in code), "save the notebook with outputs cleared"


def test_runs_top_to_bottom_without_touching_the_repo(run):
    nb, seconds, before = run
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert "notebook ran in" in text_of(nb, "cleanup")
    assert seconds < BUDGET, f"notebook took {seconds:.0f} s"
    # It builds its index in a temporary folder: the repository's index/ and notebooks/ are unchanged.
    assert _files(ROOT / "index") == before["index"]
    assert _files(NOTEBOOK.parent) == before["notebooks"]


def test_kernel_imports_this_checkout_on_this_interpreter(run):
    out = text_of(run[0], "setup")
    assert f"qa package: {ROOT / 'qa'}" in out
    assert f"python: {sys.executable}" in out


def test_normalization_before_and_after(run):
    nb = run[0]
    out = text_of(nb, "before-after")
    assert "raw  lines (3, 4): '2023年 12\\n月 28日'" in out
    assert "'2023年12月28日'" in out
    assert "'新增停车位 1.8万个'" in out and "'新增停车位1.8万个'" in out
    offsets = text_of(nb, "offsets")
    assert offsets.count("offsets increasing: True") == 2
    # The date's "月" sits on raw line 4, the digits before it on line 3.
    assert re.search(r"\| 月 \| \d+ \| 月 \| 4", offsets)


def test_clause_tree_and_one_passage(run):
    nb = run[0]
    tree = text_of(nb, "tree")
    assert "report2024 · 2024年呼和浩特市人民政府工作报告" in tree
    assert re.search(r"^ {8}（五）通过高质量的城市规划建设和管理", tree, re.M)  # a sub-heading under 二、
    assert re.search(r"^ {12}要畅通城市路网 5$", tree, re.M)  # a topic sentence under it, with its clause count
    assert "七是推动首府向现代化区域中心城市目标迈进" in tree
    clauses = text_of(nb, "clauses")
    row = next(line for line in clauses.splitlines() if "| 新增停车位1.8万个；" in line)
    assert row.startswith("communique2023@") and "| 238–238 | 2024 | plan |" in row


def test_facts_table_and_area_plot(run):
    nb = run[0]
    facts = text_of(nb, "facts")
    for value in ("4.4万个", "1.8万个", "6.9万个"):
        assert value in facts
    total = next(line for line in facts.splitlines() if line.startswith("all |"))
    target, result, other = (int(x) for x in total.split(" | ")[1:4])
    assert target > 0 and result > 0 and other >= 0
    assert images_of(nb, "areas") == 1
    assert "城市建设" in text_of(nb, "areas")


def test_retrieval_scores_and_time_prior(run):
    nb = run[0]
    table = text_of(nb, "retrieval").splitlines()
    first = next(line for line in table if line.startswith("1 | "))
    assert "新增停车位4.4万个" in first
    assert "+ time: True" in text_of(nb, "scores-plot")
    assert images_of(nb, "scores-plot") == 1
    prior = text_of(nb, "time-prior").splitlines()
    asked_2023 = {needle: line for line in prior if line.startswith("2023年新增了多少停车位")
                  for needle in ("4.4万个", "6.9万个") if needle in line}
    assert asked_2023["6.9万个"].endswith("| 1")  # with the prior, the 2023 result comes first
    assert not asked_2023["4.4万个"].endswith("| 1")


def test_answer_with_citations_and_abstention(run):
    nb = run[0]
    answer = text_of(nb, "answer")
    assert "4.4万个[1]" in answer and "1.8万个[2]" in answer
    assert "⚠ 文件之间不一致" in answer
    assert '"abstained": false' in answer
    assert "figures not quoted by a citation: []" in answer
    nothing = text_of(nb, "abstain")
    assert "文件中没有找到能回答这个问题的内容" in nothing and "abstained: True" in nothing


def test_audit_and_conflicts(run):
    nb = run[0]
    assert "结论：矛盾" in text_of(nb, "audit")
    out = text_of(nb, "conflicts")
    m = re.search(r"矛盾 (\d+) 项，口径不同 (\d+) 项，一致 (\d+) 项", out)
    assert m and int(m.group(1)) >= 1 and int(m.group(3)) >= 1
    contradictions = out.split("矛盾 · ", 1)[1].split("口径不同 · ", 1)[0]
    assert "新增停车位4.4万个" in contradictions and "新增停车位1.8万个" in contradictions


def test_plots_draw_every_glyph(run):
    nb = run[0]
    stderr = "".join(o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream" and o.name == "stderr")
    assert "missing from font" not in stderr
    assert sum(images_of(nb, tag) for tag in ("areas", "scores-plot")) == 2
