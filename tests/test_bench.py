"""The benchmark and the CMRC check: every field present and sane on tiny inputs (no timing asserts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.bench import format_bench, run_bench, seed_material, synthetic_corpus
from qa.cmrc import format_cmrc, run_cmrc, sentences

CMRC = Path(__file__).resolve().parents[2] / "shared" / "bench" / "cmrc2018_trial.json"
if not CMRC.exists():
    CMRC = Path("/work/shared/bench/cmrc2018_trial.json")


@pytest.fixture(scope="module")
def material():
    return seed_material()


def test_synthetic_corpus_is_deterministic_and_shaped_like_the_seeds(material):
    a = synthetic_corpus(900, seed=7, material=material)
    b = synthetic_corpus(900, seed=7, material=material)
    c = synthetic_corpus(900, seed=8, material=material)
    assert [x.text for x in a.clauses] == [x.text for x in b.clauses]
    assert [x.id for x in a.clauses] == [x.id for x in b.clauses]
    assert [x.text for x in a.clauses] != [x.text for x in c.clauses]
    assert len(a.clauses) == 900
    assert len({x.id for x in a.clauses}) == 900  # ids unique
    assert {x.year for x in a.clauses} >= {2023, 2024}
    assert {x.scope for x in a.clauses} >= {"review", "plan"}
    assert all(x.heading_path and x.text.endswith(("。", "；")) for x in a.clauses)
    per_para: dict = {}
    for x in a.clauses:
        per_para[(x.doc_id, x.para)] = per_para.get((x.doc_id, x.para), 0) + 1
    assert 5 <= sum(per_para.values()) / len(per_para) <= 11  # ~8 clauses a paragraph
    seed_chars = set(material.chars) | set("，。；、：0123456789.“”《》（）")
    assert sum(ch in seed_chars for x in a.clauses for ch in x.text) / sum(len(x.text) for x in a.clauses) > 0.95


def test_synthetic_corpus_rejects_a_bad_size(material):
    with pytest.raises(ValueError, match="positive"):
        synthetic_corpus(0, material=material)


def test_run_bench_reports_every_field():
    result = run_bench([1500], queries=12, log=lambda m: None, seeds=False)
    json.dumps(result, ensure_ascii=False)  # serializable as it is
    (row,) = result["rows"]
    assert "error" not in row, row.get("error")
    assert row["clauses"] == 1500 and row["paragraphs"] > 100
    assert row["build_s"] > 0 and row["index_mb"] > 0
    assert row["peak_build_mb"] > 50 and row["peak_serve_mb"] > 50 and row["peak_mb"] >= row["peak_build_mb"]
    assert row["peak_build_mb"] >= row["peak_build_main_mb"] and "peak_build_with_workers_mb" in row
    assert row["faiss_params"] == {"type": "IndexFlatIP", "ntotal": 1500}
    for name in ("tokenize", "encode", "lexical", "dense", "hybrid"):
        lat = row["latency_ms"][name]
        assert lat["n"] == 12 and 0 < lat["p50"] <= lat["p95"], name
    assert row["hybrid_empty"] == 0
    assert all(e["top"] for e in row["examples"])
    ref = row["reference"]
    assert ref["rank_bm25"]["lexical"]["p50"] > 0
    assert ref["faiss_flat"]["dense"]["p50"] > 0
    assert ref["faiss_flat"]["recall_at_10_ours_vs_exact"] == pytest.approx(1.0)  # flat below the HNSW limit
    assert set(row["ratios"]) >= {"lexical_vs_rank_bm25_p50", "dense_vs_flat_p50"}
    assert row["build_phases"] and all(p["seconds"] >= 0 for p in row["build_phases"])
    targets = {(t["target"], t["size"]): t for t in result["targets"]}
    assert targets[("build time", "1000000")]["met"] is None  # not measured, not guessed
    text = format_bench(result)
    assert "1500" in text and "hybrid" in text and "rank_bm25" in text


def test_cmrc_slice_reports_hit_rates_beside_the_references(tmp_path):
    result = run_cmrc(CMRC, work_dir=tmp_path, limit=12)
    assert result["articles"] == 12 and result["questions"] > 20
    assert len(list((tmp_path / "docs").glob("*.txt"))) == 12
    for name in ("ours", "bm25_sentences", "bm25_paragraphs"):
        r = result[name]
        assert 0.0 <= r["hit@1"] <= r["hit@3"] <= r["hit@5"] <= 1.0, name
        assert r["hits@5"] == round(r["hit@5"] * result["questions"])
    assert result["bm25_paragraphs"]["hit@5"] > 0.5  # 12 paragraphs: the right one is nearly always near the top
    assert result["ours"]["hit@5"] > 0
    assert 0.0 <= result["ours_without_ranker"]["hit@1"] <= 1.0 and 0.0 <= result["ask"]["citation1_hit_without_ranker"] <= 1.0
    ask = result["ask"]
    assert 0 <= ask["citation1_hits"] <= result["questions"] and ask["citation1_hit"] == round(ask["citation1_hits"] / result["questions"], 4)
    cv = result["ranker_cross_validated"]
    assert cv["folds"] == 5 and len(cv["per_fold"]) == 5 and 0.0 <= cv["hit@1"] <= 1.0 and 0.0 <= cv["default_hit@1"] <= 1.0
    text = format_cmrc(result)
    assert "hit@1" in text and "citation-1" in text and "交叉验证" in text


def test_cmrc_first_80_articles_meet_the_measured_levels(tmp_path):
    """Issue #13's CMRC targets, as a regression gate on the first 80 articles (318 questions; the
    packaged ranker weights were fitted on the whole file, so this is the in-sample figure; the
    full run's cross-validated one is in README). Measured: hit@1 0.799 (fused order 0.594, BM25
    sentences 0.598), citation [1] 0.770, abstained 0.041."""
    result = run_cmrc(CMRC, work_dir=tmp_path, limit=80, cv_folds=0)
    assert result["questions"] == 318
    ours, bm25 = result["ours"]["hit@1"], result["bm25_sentences"]["hit@1"]
    assert ours >= 0.78 and ours >= bm25 + 0.15 and ours >= result["ours_without_ranker"]["hit@1"] + 0.15
    ask = result["ask"]
    assert ask["citation1_hit"] >= 0.75 and ask["abstained"] <= 0.06


def test_sentences_split_after_terminals():
    assert sentences("甲乙。丙丁！戊？己") == ["甲乙。", "丙丁！", "戊？", "己"]


def test_build_memory_counts_the_tokenizing_processes():
    import multiprocessing

    from qa.bench import _children, _tree_mb

    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()

    def hold():
        block = bytearray(200 * 2**20)  # touched: zero-filled by bytearray, private to the child
        block[:: 4096] = b"x" * len(block[:: 4096])
        ready.set()
        done.wait(30)

    alone = _tree_mb()
    child = ctx.Process(target=hold)
    child.start()
    try:
        assert ready.wait(30)
        assert child.pid in _children()
        assert _tree_mb() > alone + 150
    finally:
        done.set()
        child.join(30)


def test_written_documents_load_back_as_the_synthetic_clauses(tmp_path, material):
    from qa.corpus import load_corpus
    from qa.ingest_bench import write_documents

    assert write_documents(900, tmp_path / "docs", seed=3, material=material, doc_clauses=300) == 3
    corpus, _ = load_corpus(tmp_path / "docs")
    assert len(corpus.docs) == 3 and all(d.cataloged for d in corpus.docs)
    synthetic = "".join(c.text for c in synthetic_corpus(900, seed=3, material=material, doc_clauses=300).clauses)
    titles = {d.title for d in corpus.docs}
    loaded = "".join(c.text for c in corpus.clauses if c.text not in titles)
    drop = str.maketrans("", "", "，；。、")  # the segmenter may cut a long clause at a comma, which no clause keeps
    assert loaded.translate(drop) == synthetic.translate(drop)  # every other character survives writing, loading, segmenting
    assert 0.8 * 900 <= len(corpus.clauses) <= 1.2 * 900
    assert {c.year for c in corpus.clauses} >= {2023, 2024}


def test_ingest_benchmark_reports_both_backends(capsys):
    pytest.importorskip("milvus_lite")
    from qa.cli import main

    assert main(["bench", "--ingest", "--sizes", "600", "--backends", "local,milvus", "--queries", "5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    rows = {r["backend"]: r for r in result["rows"]}
    assert set(rows) == {"local", "milvus"}
    for r in rows.values():
        assert "error" not in r, r.get("error")
        assert r["clauses"] > 400 and r["documents"] >= 2 and r["clauses_per_s"] > 0 and r["peak_mb"] > 50
        assert r["phases_s"]["load_segment_measures"] > 0 and r["hybrid_ms"]["n"] == 5
        split = r["load_us_per_clause_one_core"]  # sampled: on 600 clauses a small stage may get no sample
        assert sum(split.values()) > 0 and set(split) <= {"load/normalize", "segment", "time scope", "measures", "other"}
        assert r["add_one_document"]["added"] and not r["add_one_document"]["rebuilt"]
    assert "milvus_insert_index_load" in rows["milvus"]["phases_s"] and "bm25_and_save" in rows["local"]["phases_s"]
    assert main(["bench", "--ingest", "--sizes", "600", "--backends", "elastic"]) == 2
