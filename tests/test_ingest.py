"""Incremental ingest: add, replace and remove a document in both stores without a rebuild."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from qa import indexdir
from qa.answer import Answerer
from qa.index import Settings, build_index, load_index, paragraph_units
from qa.ingest import DRIFT_LIMIT, open_index, update_index
from qa.retrieve import Retriever

from .conftest import SEEDS

SETTINGS = Settings(embedder="corpus")
# A document in the seeds' own language (so the corpus embedder's vocabulary covers it) whose
# figures appear nowhere in the seeds.
EXTRA = """关于推进城市更新的实施方案
一、总体要求
（一）工作目标
2024年，全市安装智慧灯杆35个，完成雨污分流改造120公里，新增公共充电桩2600个。
（二）重点任务
加快老旧小区改造，完善社区养老托育设施，新增养老床位800张。
"""
CATALOG = '\n["extra.txt"]\nid = "extra2024"\ntitle = "城市更新实施方案"\nissuer = "呼和浩特市人民政府"\ndate = "2024-03"\nthis_year = 2024\nkind = "plan"\n'
BACKENDS = ["local", pytest.param("milvus", marks=pytest.mark.skipif(not __import__("importlib").util.find_spec("milvus_lite"), reason="milvus-lite not installed"))]


@pytest.fixture
def seeds_copy(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def _add_extra(folder):
    (folder / "extra.txt").write_text(EXTRA, encoding="utf-8")
    with open(folder / "catalog.toml", "a", encoding="utf-8") as f:
        f.write(CATALOG)


def _ids(index, q, k=5):
    return [h.clause.id for h in Retriever(index).search(q, k)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_add_replace_remove_one_document(tmp_path, seeds_copy, backend):
    folder = tmp_path / "index"
    base = build_index(folder, seeds_copy, SETTINGS, backend=backend)
    before = Answerer(base).answer("2024年新增停车位目标")
    n0 = base.manifest["counts"]["clauses"]

    _add_extra(seeds_copy)
    index, update = update_index(folder, seeds_copy)
    assert update.added == ("extra2024",) and not update.replaced and not update.removed and not update.rebuilt
    assert update.drift is not None and update.drift <= DRIFT_LIMIT and "未超过阈值" in update.describe()
    extra = [c for c in index.corpus.clauses if c.doc_id == "extra2024"]
    assert extra and index.manifest["counts"]["clauses"] == n0 + len(extra)
    loaded = load_index(folder)  # what was written passes the load checks (files, counts, store rows)
    assert Retriever(loaded).search("智慧灯杆", 1)[0].clause.doc_id == "extra2024"
    # the new clauses are a segment of their own; the build's clause file is linked into the new version, not rewritten
    assert [seg["path"] for seg in loaded.manifest["segments"]] == ["", "segments/0001"]
    assert (indexdir.resolve(folder) / "clauses.jsonl").stat().st_nlink == 2
    assert loaded.manifest["counts"]["paragraphs"] == len(paragraph_units(loaded.corpus.clauses)[0])
    assert "35个" in Answerer(loaded).answer("2024年安装智慧灯杆多少个？").answer
    after = Answerer(loaded).answer("2024年新增停车位目标")
    assert [c.quote for c in after.citations] == [c.quote for c in before.citations]  # existing answers stay

    (seeds_copy / "extra.txt").write_text(EXTRA.replace("35个", "42个"), encoding="utf-8")
    index, update = update_index(folder, seeds_copy)
    assert update.replaced == ("extra2024",) and not update.added and not update.removed
    loaded = load_index(folder)
    texts = [c.text for c in loaded.corpus.clauses if c.doc_id == "extra2024"]
    assert any("42个" in t for t in texts) and not any("35个" in t for t in texts)
    assert "42个" in Answerer(loaded).answer("2024年安装智慧灯杆多少个？").answer

    (seeds_copy / "extra.txt").unlink()
    index, update = update_index(folder, seeds_copy)
    assert update.removed == ("extra2024",)
    loaded = load_index(folder)
    assert loaded.manifest["counts"]["clauses"] == n0 and not any(c.doc_id == "extra2024" for c in loaded.corpus.clauses)
    assert loaded.manifest["deleted"] > 0  # the removed document's rows are tombstones
    assert {k: v for k, v in loaded.manifest["counts"].items() if k != "skipped"} == {k: v for k, v in base.manifest["counts"].items() if k != "skipped"}
    assert all(h.clause.doc_id != "extra2024" for h in Retriever(loaded).search("智慧灯杆", 10))

    index, update = update_index(folder, seeds_copy)
    assert not update.changed and "没有变化" in update.describe()


def test_local_update_gives_the_bm25_of_a_fresh_build(tmp_path, seeds_copy):
    """The updated local index's lexical scores equal those of an index built from scratch."""
    folder = tmp_path / "index"
    build_index(folder, seeds_copy, SETTINGS)
    _add_extra(seeds_copy)
    (seeds_copy / "hohhot_party_plenary_communique_2023-12.txt").unlink()
    updated, update = update_index(folder, seeds_copy)
    assert update.added == ("extra2024",) and update.removed == ("communique2023",)
    fresh = build_index(tmp_path / "fresh", seeds_copy, SETTINGS)
    assert sorted(c.id for c in updated.corpus.clauses) == sorted(c.id for c in fresh.corpus.clauses)
    where = fresh.corpus.position
    order = np.array([where[c.id] for c in updated.corpus.clauses])
    for q in ["新增停车位", "智慧灯杆 充电桩", "供热管网改造", "养老床位"]:
        toks = fresh.tokenizer.query_tokens(q)
        a = updated.lexical.scores(toks)
        b = fresh.lexical.scores(toks)[order]
        assert np.allclose(a, b, atol=1e-6) and a.max() > 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_open_index_updates_instead_of_rebuilding(tmp_path, seeds_copy, backend):
    folder = tmp_path / "index"
    build_index(folder, seeds_copy, SETTINGS, backend=backend)
    _add_extra(seeds_copy)
    messages = []
    index = open_index(folder, seeds_copy, SETTINGS, log=messages.append)
    assert any("增量更新" in m and "extra2024" in m for m in messages), messages
    assert index.manifest["update"]["added"] == ["extra2024"] and index.store.backend == backend


def test_vocabulary_drift_past_the_threshold_refits_and_says_so(tmp_path, mini_folder):
    folder = tmp_path / "index"
    build_index(folder, mini_folder, SETTINGS)
    # text in characters the mini document never uses: the fitted vocabulary no longer covers it
    (mini_folder / "other.txt").write_text("Municipal budget review: revenue rose; spending on schools, clinics and transit grew.\n", encoding="utf-8")
    index, update = update_index(folder, mini_folder)
    assert update.rebuilt and "阈值" in update.note and "重新训练" in update.note
    assert any(c.doc_id == "other" for c in index.corpus.clauses)
    assert load_index(folder).manifest["counts"]["documents"] == 2


def test_cli_update(tmp_path, mini_folder, capsys):
    import json

    from qa.cli import main

    index = tmp_path / "idx"
    assert main(["index", "--update", "--index", str(index), "--seeds", str(mini_folder)]) == 2  # no index yet
    assert "manifest" in capsys.readouterr().err
    assert main(["index", "--index", str(index), "--seeds", str(mini_folder), "--embedder", "corpus"]) == 0
    capsys.readouterr()
    doc = mini_folder / "mini.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "要新建充电站10座。\n", encoding="utf-8")
    assert main(["index", "--update", "--index", str(index), "--seeds", str(mini_folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["update"]["replaced"] == ["mini"] and out["counts"]["documents"] == 1
    assert main(["index", "--update", "--index", str(index), "--seeds", str(mini_folder)]) == 0
    assert "没有变化" in capsys.readouterr().out


def test_parallel_loading_gives_load_corpus_result(tmp_path):
    """Documents loaded and segmented by a pool of processes: the same corpus, in the same order."""
    from qa.corpus import load_corpus, load_documents
    from qa.ingest_bench import write_documents
    from qa.segment import Segmenter

    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    write_documents(1200, folder, doc_clauses=100)  # twelve more documents
    (folder / "notes.xlsx").write_bytes(b"PK\x03\x04")  # skipped: unsupported type
    (folder / "zcopy.txt").write_text((folder / "doc000001.txt").read_text(encoding="utf-8"), encoding="utf-8")
    with open(folder / "catalog.toml", "a", encoding="utf-8") as f:
        f.write('\n["zcopy.txt"]\nid = "d000001"\n')  # skipped: a second file with the same id
    expected, _ = load_corpus(folder)
    for workers in (1, 2):
        got, doc_files = load_documents(folder, Segmenter(), workers)
        assert got.docs == expected.docs and got.clauses == expected.clauses and got.skipped == expected.skipped
        assert doc_files["doc000001.txt"] == "d000001" and "zcopy.txt" not in doc_files
    assert {s.path for s in expected.skipped} == {"notes.xlsx", "zcopy.txt"}


def test_updated_segments_answer_as_a_fresh_build(tmp_path, seeds_copy):
    """After add, replace and remove (segments and deleted rows in the build's segment and an
    update's), the dev questions get the same top 3 citations and answer text as an index built
    from scratch over the same documents with the same embedder fit."""
    import json

    from .conftest import ROOT

    folder = tmp_path / "index"
    build_index(folder, seeds_copy, SETTINGS)
    _add_extra(seeds_copy)
    update_index(folder, seeds_copy, load=False)  # segment 1: the extra document
    report = seeds_copy / "hohhot_gov_work_report_2024.txt"
    report.write_text(report.read_text(encoding="utf-8") + "\n2024年，新建口袋公园12个。\n", encoding="utf-8")
    _, update = update_index(folder, seeds_copy, load=False)  # segment 2: the report, its rows in segment 0 deleted
    assert update.replaced == ("report2024",) and not update.rebuilt
    (seeds_copy / "extra.txt").unlink()
    _, update = update_index(folder, seeds_copy, load=False)  # segment 1's rows deleted
    assert update.removed == ("extra2024",) and not update.rebuilt
    updated = load_index(folder)
    assert len(updated.manifest["segments"]) == 3 and updated.manifest["deleted"] > 0
    fresh = build_index(tmp_path / "fresh", seeds_copy, SETTINGS, embedder=updated.embedder)
    assert sorted(c.id for c in updated.corpus.clauses) == sorted(c.id for c in fresh.corpus.clauses)
    assert updated.manifest["counts"] == fresh.manifest["counts"]
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    questions += ["2024年安装智慧灯杆多少个？", "2024年新建口袋公园多少个？"]
    assert "12个" in Answerer(updated).answer("2024年新建口袋公园多少个？").answer
    a, b = Answerer(updated), Answerer(fresh)
    differ = []
    for q in questions:
        x, y = a.answer(q), b.answer(q)
        if [(c.doc_id, c.quote) for c in x.citations[:3]] != [(c.doc_id, c.quote) for c in y.citations[:3]] or x.answer != y.answer:
            differ.append(q)
    assert differ == []
    from qa.store import Where

    for where in (Where(years=(2024,)), Where(doc_ids=("report2024",)), Where(doc_ids=("communique2023",))):  # filtered search over segments
        for q in ["新增停车位", "口袋公园", "供热管网改造"]:
            assert _ids(updated, q) == _ids(fresh, q)
            got = [h.clause.id for h in Retriever(updated).search(q, 5, where=where)]
            assert got == [h.clause.id for h in Retriever(fresh).search(q, 5, where=where)] and got


@pytest.mark.parametrize("step", ["corpus", "vectors", "dense"])
def test_a_killed_build_resumes_where_it_stopped(tmp_path, mini_folder, step):
    """`qa index` killed (SIGKILL, by the documented debug hook) after a step — or, for
    "vectors", after the first of the batches the seeds' clauses are embedded in: the next
    run continues from there, says so, and writes the same index as a build never killed."""
    import os
    import signal
    import subprocess
    import sys

    from qa import indexdir
    from qa.index import KILL_AFTER

    from .conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(KILL_AFTER, None)

    docs = SEEDS if step == "vectors" else mini_folder

    def run(index, **extra):
        cmd = [sys.executable, "-m", "qa", "index", "--index", str(index), "--seeds", str(docs), "--embedder", "corpus"]
        return subprocess.run(cmd, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=300)

    folder = tmp_path / "index"
    killed = run(folder, **{KILL_AFTER: step})
    assert killed.returncode == -signal.SIGKILL
    assert not folder.exists()  # nothing half-built is published
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".index.tmp-")]
    assert len(left) == 1 and (left[0] / indexdir.PROGRESS).exists()
    resumed = run(folder)
    assert resumed.returncode == 0, resumed.stderr
    assert "继续上次中断的构建" in resumed.stderr
    index = load_index(folder)
    assert index.manifest["resumed"] == {"corpus": ["corpus"], "vectors": ["corpus", "fit"], "dense": ["corpus", "fit", "dense"]}[step]
    if step == "vectors":  # one batch of the eight was embedded before the kill, and not again
        from qa.index import dense_batch

        assert 0 < index.manifest["resumed_vectors"] == dense_batch(index.manifest["counts"]["clauses"]) < index.manifest["counts"]["clauses"]
        assert f"向量 {index.manifest['resumed_vectors']} 条" in resumed.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index.tmp-")]
    assert "phases" in index.manifest and "load_segment_measures" not in index.manifest["phases"]

    clean = run(tmp_path / "clean")
    assert clean.returncode == 0 and "继续" not in clean.stderr
    a, b = indexdir.resolve(folder), indexdir.resolve(tmp_path / "clean")
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert files == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert "dense.faiss" in files and "clauses.jsonl" in files
    assert [f for f in files if (a / f).read_bytes() != (b / f).read_bytes()] == []
    other = load_index(tmp_path / "clean")
    assert index.manifest["counts"] == other.manifest["counts"] and index.manifest["files"] == other.manifest["files"]


def test_a_killed_build_of_other_documents_is_not_resumed(tmp_path, mini_folder):
    """A leftover build folder whose signature does not match the documents now is removed, not continued."""
    from qa import indexdir

    folder = tmp_path / "index"
    stale = tmp_path / ".index.tmp-999999-1"
    stale.mkdir()
    (stale / indexdir.PROGRESS).write_text('{"signature": "other", "done": ["corpus"]}', encoding="utf-8")
    messages = []
    index = build_index(folder, mini_folder, SETTINGS, log=messages.append)
    assert not stale.exists() and "resumed" not in index.manifest and not any("继续" in m for m in messages)


@pytest.mark.parametrize("backend", BACKENDS)
def test_updates_past_the_compaction_threshold_build_the_index_again(tmp_path, seeds_copy, monkeypatch, backend):
    """Local: a full build. Milvus: the clause files are written again as one segment, and the
    collection, already up to date, is kept."""
    import qa.ingest as ingest

    folder = tmp_path / "index"
    built = build_index(folder, seeds_copy, SETTINGS, backend=backend)
    _add_extra(seeds_copy)
    _, update = update_index(folder, seeds_copy, load=False)
    assert not update.rebuilt and len(load_index(folder).manifest["segments"]) == 2
    monkeypatch.setattr(ingest, "COMPACT_MIN_ROWS", 0)
    monkeypatch.setattr(ingest, "COMPACT_FRACTION", 0.001)  # the extra document's rows are past it
    (seeds_copy / "extra.txt").write_text(EXTRA.replace("35个", "42个"), encoding="utf-8")
    index, update = update_index(folder, seeds_copy)
    assert update.rebuilt == (backend == "local") and ("合并" in update.note) == (backend == "local")
    assert len(index.manifest["segments"]) == 1 and not index.manifest.get("deleted")
    if backend == "milvus":
        assert index.manifest["store"]["collection"] == built.manifest["store"]["collection"] and update.replaced == ("extra2024",)
        assert not (indexdir.resolve(folder) / "segments").exists()
    assert "42个" in Answerer(load_index(folder)).answer("2024年安装智慧灯杆多少个？").answer


@pytest.mark.parametrize("exact_limit", [50_000, 100])
def test_a_resumed_dense_step_embeds_only_the_batches_not_written(tmp_path, seed_index, exact_limit):
    """The dense step of a resumed build takes the batches a killed build wrote as they are (here
    a first batch of zeros stands in for them) and embeds only the clauses after them, into the
    FAISS index the killed build had trained (flat, or IVF with exact_limit=100)."""
    from dataclasses import replace
    from types import SimpleNamespace

    from qa.index import _CHUNKS, _dense, dense_batch

    settings = replace(SETTINGS, exact_limit=exact_limit)
    clauses = list(seed_index.corpus.clauses)
    step = dense_batch(len(clauses))
    (tmp_path / "killed").mkdir()
    fit = SimpleNamespace(signature="s", done=["corpus"], info={}, finish=lambda step, info=None: None, note=lambda step, info: None)
    never_killed = _dense(clauses, seed_index.embedder, settings, False, tmp_path / "killed", fit)  # saves the trained, empty index first
    assert ("IVF" in never_killed.kind) == (exact_limit < len(clauses))
    np.save(tmp_path / "killed" / _CHUNKS / f"{0:010d}.npy", np.zeros((step, seed_index.embedder.dim), np.float32))
    notes = []
    progress = SimpleNamespace(signature="s", done=["corpus", "fit"], info={"vectors": {"rows": step}}, note=lambda s, info: notes.append(info["rows"]))
    embedded = []

    class Counting:
        dim = seed_index.embedder.dim

        def encode_documents(self, texts):
            embedded.append(len(texts))
            return seed_index.embedder.encode_documents(texts)

    vectors = _dense(clauses, Counting(), settings, False, tmp_path / "killed", progress)
    assert vectors.ntotal == len(clauses) and sum(embedded) == len(clauses) - step and notes[-1] == len(clauses)
    assert not vectors.reconstruct(np.arange(step)).any()  # the written batch, not embedded again
    rest = np.arange(step, len(clauses))
    assert np.array_equal(vectors.reconstruct(rest), never_killed.reconstruct(rest))
    query = seed_index.embedder.encode_documents(["新增停车位"])
    assert vectors.describe() == never_killed.describe()
    hits = [[i for i in v.search(query, 10 + step)[1][0].tolist() if i >= step][:10] for v in (vectors, never_killed)]
    assert hits[0] == hits[1] and len(hits[0]) == 10
