"""Keyword index internals: token ids, parallel tokenizing, paragraph tokens, BM25 arrays vs bm25s."""

from __future__ import annotations

from collections import Counter

import bm25s
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.index import paragraph_rows, paragraph_units
from qa.lexical import LexicalIndex, TokenIds, Tokenizer, bm25_index, tokenize

QUESTIONS = ["2024年新增停车位目标", "供热方面有什么新举措？", "2023年地区生产总值", "老百姓收入能涨多少", "暖气", "规上工业增加值目标"]


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


@pytest.fixture(scope="module")
def seed_tokens(corpus, tokenizer):
    """The seeds' clause texts, the paragraph plan, and their tokens (one vocabulary)."""
    clauses = list(corpus.clauses)
    para_texts, para_of = paragraph_units(clauses)
    extra, rows, offsets = paragraph_rows(clauses, para_texts, para_of, tokenizer)
    texts = [c.text for c in clauses] + extra
    return texts, para_texts, para_of, extra, rows, offsets, tokenize(tokenizer, texts, workers=1)


def test_separable_knows_where_tokens_join(tokenizer):
    # "停车" + "位" is cut as the word 停车位 and the bigram ~车位 whole, not apart
    whole, apart = tokenizer.tokens("停车位"), tokenizer.tokens("停车") + tokenizer.tokens("位")
    assert Counter(whole) != Counter(apart)
    assert not tokenizer.separable("新增停车", "位4.4万个")
    assert not tokenizer.separable("增长10", "%")  # digits and % are one jieba block
    assert tokenizer.separable("新增停车位4.4万个；", "新建充电桩")
    assert tokenizer.separable("", "位") and tokenizer.separable("停车", "")
    for left, right in [("新增停车位4.4万个；", "新建充电桩1万个。"), ("（一）城市建设 ", "要畅通城市路网。"), ("一是", "，二是")]:
        assert Counter(tokenizer.tokens(left + right)) == Counter(tokenizer.tokens(left) + tokenizer.tokens(right))


def test_paragraph_tokens_from_clause_tokens_equal_tokenizing_the_paragraph(seed_tokens, tokenizer):
    texts, para_texts, para_of, extra, rows, offsets, tokens = seed_tokens
    para = tokens.gather(rows, offsets)
    assert len(para) == len(para_texts) == para_of[-1] + 1
    for p, text in enumerate(para_texts):  # BM25 sees a bag of tokens: compare as multisets
        assert Counter(para.tokens(p)) == Counter(tokenizer.tokens(text)), text
    n = len(para_of)
    reused = sum(bool((rows[offsets[p] : offsets[p + 1]] < n).any()) for p in range(len(para_texts)))
    assert reused > len(para_texts) // 2  # most paragraphs are made of their clauses' tokens, not tokenized again
    # the seeds do have clauses that join; only those runs are tokenized again, never a whole paragraph
    joined = [e for e in extra if not e.endswith(" ")]
    assert joined and not any(e in para_texts for e in extra)
    assert sum(map(len, joined)) < sum(map(len, para_texts)) // 4


def test_paragraph_rows_tokenizes_clauses_that_join_together(tokenizer):
    from qa.segment import Clause

    def clause(i, text, para):
        return Clause(f"d@{i}", "d", ("二、工作安排",), para, 1, i, text, 0, 0, 1, 1, None, 2024, "plan")

    clauses = [clause(1, "新增停车", 1), clause(2, "位4.4万个；", 1), clause(3, "改造管网。", 1), clause(4, "新建充电桩1万个。", 2), clause(5, "改造管网。", 2)]
    para_texts, para_of = paragraph_units(clauses)
    extra, rows, offsets = paragraph_rows(clauses, para_texts, para_of, tokenizer)
    # the heading path once; the two clauses that join as one text; every other clause its own tokens
    assert extra == ["二、工作安排 ", "新增停车位4.4万个；"]
    assert rows.tolist() == [5, 6, 2, 5, 3, 4] and offsets.tolist() == [0, 3, 6]
    tokens = tokenize(tokenizer, [c.text for c in clauses] + extra, workers=1)
    para = tokens.gather(rows, offsets)
    assert "停车位" in para.tokens(0)
    for p, text in enumerate(para_texts):
        assert Counter(para.tokens(p)) == Counter(tokenizer.tokens(text))


def test_parallel_tokenizing_gives_the_same_ids_as_serial(seed_tokens, tokenizer):
    texts, *_, serial = seed_tokens
    from qa.lexical import TokenJob

    with TokenJob(tokenizer, texts, workers=2, chunk=37) as job:
        assert job._pool is not None  # really a pool, with many chunks
        parallel = job.result()
    assert parallel.vocab == serial.vocab
    assert np.array_equal(parallel.ids, serial.ids) and np.array_equal(parallel.offsets, serial.offsets)
    assert parallel.ids.dtype == np.int32
    for i in (0, 7, len(texts) - 1):
        assert parallel.tokens(i) == tokenizer.tokens(texts[i])


def test_token_ids_round_trip_and_gather():
    t = TokenIds.from_lists([["a", "b", "a"], [], ["c"], ["b", "d"]])
    assert t.vocab == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert t.ids.tolist() == [0, 1, 0, 2, 1, 3] and t.offsets.tolist() == [0, 3, 3, 4, 6]
    assert [t.tokens(i) for i in range(len(t))] == [["a", "b", "a"], [], ["c"], ["b", "d"]]
    for block in (1, 2, 100):  # rows gathered in blocks of any size
        g = t.gather(np.array([2, 0, 1, 3, 3]), np.array([0, 2, 3, 5]), block=block)
        assert [g.tokens(i) for i in range(len(g))] == [["c", "a", "b", "a"], [], ["b", "d", "b", "d"]]


def test_bm25_arrays_match_bm25s_index_bit_for_bit(seed_tokens, tokenizer):
    texts, *_, tokens = seed_tokens
    n = len(seed_tokens[2])
    clause_lists = [tokenizer.tokens(t) for t in texts[:n]]
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index(clause_lists, show_progress=False)
    ours = bm25_index(TokenIds(tokens.ids[: tokens.offsets[n]], tokens.offsets[: n + 1], tokens.vocab), 1.2, 0.75)
    assert set(ours.vocab_dict) == set(ref.vocab_dict)  # only the clauses' terms, and bm25s's empty token
    assert ours.scores["num_docs"] == ref.scores["num_docs"] == n
    df_ref, df_ours = np.diff(ref.scores["indptr"]), np.diff(ours.scores["indptr"])
    assert all(df_ours[ours.vocab_dict[w]] == df_ref[ref.vocab_dict[w]] for w in ref.vocab_dict if w)
    small_blocks = bm25_index(TokenIds(tokens.ids[: tokens.offsets[n]], tokens.offsets[: n + 1], tokens.vocab), 1.2, 0.75, block=50)
    for q in QUESTIONS + texts[:40]:
        qt = tokenizer.query_tokens(q)
        a, b = ref.get_scores(ref.get_tokens_ids(qt)), ours.get_scores(ours.get_tokens_ids(qt))
        assert a.dtype == b.dtype == np.float32
        assert np.array_equal(a, b), q
        assert np.array_equal(a, small_blocks.get_scores(small_blocks.get_tokens_ids(qt))), q
    for key in ("data", "indices", "indptr"):  # the very arrays bm25s saves, in its order
        assert np.array_equal(ours.scores[key], small_blocks.scores[key])


def test_bm25_arrays_save_and_load_as_bm25s_files(tmp_path, seed_tokens):
    texts, *_, tokens = seed_tokens
    bm = bm25_index(tokens, 1.5, 0.6)
    bm.save(str(tmp_path / "bm"), show_progress=False)
    loaded = bm25s.BM25.load(str(tmp_path / "bm"), show_progress=False)
    assert (loaded.k1, loaded.b) == (1.5, 0.6)
    ids = loaded.get_tokens_ids(["停车位", "~车位", "供热"])
    assert len(ids) == 3 and np.array_equal(loaded.get_scores(ids), bm.get_scores(bm.get_tokens_ids(["停车位", "~车位", "供热"])))


def test_lexical_index_same_scores_from_lists_or_ids(seed_tokens, tokenizer):
    texts, para_texts, para_of, extra, rows, offsets, tokens = seed_tokens
    n = len(para_of)
    from_lists = LexicalIndex()
    from_lists.build([tokenizer.tokens(t) for t in texts[:n]], [tokenizer.tokens(t) for t in para_texts], para_of)
    from_ids = LexicalIndex()
    from_ids.build(TokenIds(tokens.ids[: tokens.offsets[n]], tokens.offsets[: n + 1], tokens.vocab), tokens.gather(rows, offsets), para_of)
    for q in QUESTIONS:
        qt = tokenizer.query_tokens(q)
        assert np.array_equal(from_lists.scores(qt), from_ids.scores(qt)), q


def test_cut_is_jiebas_cut_on_the_seeds(corpus, tokenizer):
    from qa.lexical import _TOKEN_OK

    texts = [c.text for c in corpus.clauses] + paragraph_units(list(corpus.clauses))[0]
    for t in texts:
        assert tokenizer.cut(t) == list(tokenizer._jieba.cut(t)), t
        assert tokenizer.words(t) == [w for w in tokenizer._jieba.cut_for_search(t) if _TOKEN_OK.search(w)], t


_ALPHABET = "停车位新增供热管网改造呼和浩特市年万个的了是中小学幼儿园ABCabc0123456789 .%％-+#&_，。；、：“”（）\r\n\t鿖鿿"


@given(st.text(alphabet=_ALPHABET, max_size=60))
@settings(max_examples=300, deadline=None)
def test_cut_is_jiebas_cut_on_any_text(tokenizer, text):
    # jieba splits text into runs of word characters, tries words by dictionary score and
    # hands runs of unknown characters to its HMM: every branch of that is reachable here
    from qa.lexical import _TOKEN_OK

    assert tokenizer.cut(text) == list(tokenizer._jieba.cut(text))
    assert tokenizer.words(text) == [w for w in tokenizer._jieba.cut_for_search(text) if _TOKEN_OK.search(w)]


def test_cut_breaks_ties_toward_the_longer_word_as_jieba_does():
    tok = Tokenizer(userdict="", synonyms="")
    total = tok._jieba.total
    for w in ("犇", "鑫", "犇鑫"):  # every one scores log(total) - log(total) = 0: an exact tie
        tok._jieba.FREQ[w] = total
    tok._score_words()
    assert list(tok._jieba.cut("犇鑫")) == ["犇鑫"]
    assert tok.cut("犇鑫") == ["犇鑫"]
