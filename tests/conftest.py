"""Shared fixtures: the seed corpus, loaded once, and small folders written for a test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
REPORT, COMMUNIQUE = "report2024", "communique2023"


@pytest.fixture(scope="session")
def seeds():
    """(corpus, documents) of the project's seeds."""
    return load_corpus(SEEDS)


@pytest.fixture(scope="session")
def corpus(seeds):
    return seeds[0]


@pytest.fixture(scope="session")
def documents(seeds):
    return {d.id: d for d in seeds[1]}


def nows(s: str) -> str:
    return re.sub(r"\s+", "", s)


def find_clause(corpus, doc_id: str, needle: str):
    """The one clause of a document that contains `needle`."""
    hits = [c for c in corpus.clauses if c.doc_id == doc_id and needle in c.text]
    assert hits, f"no clause of {doc_id} contains {needle!r}"
    return hits[0]


MINI_POLICY = """一、2023年工作回顾
过去一年，我们新增停车位6.9万个，完成老旧小区改造309个。
二、2024年工作安排
（一）城市建设
要畅通城市路网。改扩建停车场108处，新增停车位4.4万个；新建充电桩1万个。
（二）民生
把温暖工程作为今年的民生“一号工程”。主城区建成“环型供热网”，改造老旧供热二次管网4554公里。
"""


@pytest.fixture
def mini_folder(tmp_path):
    """A folder with one small cataloged policy document."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "mini.txt").write_text(MINI_POLICY, encoding="utf-8")
    (folder / "catalog.toml").write_text(
        '["mini.txt"]\nid = "mini"\ntitle = "测试工作报告"\nissuer = "测试市政府"\ndate = "2024-01"\nthis_year = 2024\nkind = "report"\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory):
    """An index of the seeds with the corpus-fitted embedder, built once."""
    from qa.index import Settings, build_index

    return build_index(tmp_path_factory.mktemp("index") / "index", SEEDS, Settings(embedder="corpus"))


@pytest.fixture(scope="session")
def answerer(seed_index):
    from qa.answer import Answerer

    return Answerer(seed_index)


# Quality of each named question set (qa.evalsets), collected by tests/test_eval_sets.py and
# printed at the end of the run beside the gate and issue #12's target.
EVAL_REPORT: dict[str, dict] = {}


@pytest.fixture(scope="session")
def set_index(tmp_path_factory, seed_index):
    """name -> index of a question set's documents (corpus embedder), built once per session.

    Skips when the set's folders are not on this machine (../shared/corpora is beside the
    repository on the team's machines, not in a fresh clone).
    """
    from qa.evalsets import eval_sets, seeds_for
    from qa.index import Settings, build_index

    built = {"seeds": seed_index}

    def get(name: str):
        evset = eval_sets()[name]
        if evset.missing():
            pytest.skip(f"question set {name}: not on this machine: {', '.join(map(str, evset.missing()))}")
        if name not in built:
            folder = tmp_path_factory.mktemp(f"index-{name}") / "index"
            built[name] = build_index(folder, seeds_for(evset, folder), Settings(embedder="corpus"))
        return built[name]

    return get


def pytest_terminal_summary(terminalreporter):
    if not EVAL_REPORT:
        return
    terminalreporter.section("question sets: measured · gate · issue #12 target")
    for name, rows in EVAL_REPORT.items():
        for metric, (value, gate, target) in rows.items():
            g = f"{gate[0]} {gate[1]:.2f}" if gate else "—"
            t = f"{target[0]} {target[1]:.2f}" if target else "—"
            terminalreporter.write_line(f"{name:14s} {metric:18s} {value:6.3f}   gate {g:8s} target {t}")


CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def state_council_corpus():
    """The State Council work reports of ../shared/corpora, loaded (not indexed)."""
    from qa.corpus import load_corpus

    folder = CORPORA / "state_council_reports"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not on this machine")
    return load_corpus(folder)[0]


@pytest.fixture(scope="session")
def state_council_index(tmp_path_factory):
    """An index of the State Council work reports with the corpus-fitted embedder, built once."""
    from qa.index import Settings, build_index

    folder = CORPORA / "state_council_reports"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not on this machine")
    return build_index(tmp_path_factory.mktemp("sc") / "index", folder, Settings(embedder="corpus"))
