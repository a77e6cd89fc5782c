"""The lexicon: Cilin's tight synonym groups, the phrase tables, matching on words not substrings."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qa.lexical import LexicalIndex, Tokenizer
from qa.lexicon import (
    MAX_GROUP,
    Lexicon,
    cilin_groups,
    cilin_path,
    cilin_thesaurus,
    read_table,
)

from .conftest import ROOT, SEEDS

CORPORA = ROOT.parent / "shared" / "corpora"
FOLDERS = {"seeds": SEEDS, "state_council_reports": CORPORA / "state_council_reports", "cpc_congress_reports": CORPORA / "cpc_congress_reports"}
SUBSTRING_TRAPS = "盖\t新建\n增加\t新增\n涨\t增长\n"  # one-character and inner-word keys that substring matching got wrong


@pytest.fixture(scope="module")
def tok():
    return Tokenizer(synonyms=SUBSTRING_TRAPS)


@pytest.fixture(scope="module")
def corpus_texts():
    """Whitespace-free text of each corpus folder (the seeds and ../shared/corpora)."""
    out = {}
    for name, folder in FOLDERS.items():
        if folder.is_dir():
            out[name] = re.sub(r"\s+", "", "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))))
    return out


def test_thesaurus_keeps_only_tight_cilin_groups():
    import json

    groups = cilin_groups(json.loads(cilin_path().read_text(encoding="utf-8")))
    assert groups["Dj04B01="][:3] == ["利润", "赢利", "盈利"]  # the package's data, read by code
    th = cilin_thesaurus()
    assert "盈利" in th["利润"] and "利润" in th["盈利"]
    assert "工钱" in th["工资"]
    assert "企业" not in th  # its "=" group (商店 铺子 … 企业) has 29 members: too loose
    assert all(len(w) > 1 for w in th) and all(len(s) > 1 for syn in th.values() for s in syn)
    assert "顺民" not in th.get("良民", ())  # together only in a "#" group (related, not synonyms)
    assert "加码" not in th.get("增加", ())  # 增加's "=" group has 18 members
    tight: dict[str, set[str]] = {}
    for code, words in groups.items():
        if code.endswith("=") and len(set(words)) <= MAX_GROUP:
            for w in words:
                tight.setdefault(w, set()).update(words)
    assert len(set(groups["Ih05A02="])) <= MAX_GROUP and "添加" in th["增长"]
    assert all(set(syn) <= tight[w] - {w} for w, syn in th.items())


def test_one_character_words_are_never_expanded(tok):
    assert tok.lexicon.synonyms("盖") == () and tok.lexicon.synonyms("涨") == ()
    assert "盖" not in tok.lexicon.synonyms("覆盖")  # its group has 盖, but one character never expands


@pytest.mark.parametrize(
    "question, absent",
    [
        ("今年供热面积要覆盖多少平方米？", "盖"),  # 覆盖 is one word; 盖 is not a word of it
        ("规模以上工业增加值增长多少？", "增加"),  # 工业增加值 is one word
    ],
)
def test_phrase_keys_match_words_not_substrings(tok, question, absent):
    keys = [k for k, _ in tok.synonym_matches(question)]
    assert absent not in keys, keys
    assert not {"新建", "新增"} & set(tok.query_tokens(question))


def test_phrase_keys_match_runs_compounds_and_guessed_words(tok):
    assert ("涨", ("增长",)) in tok.synonym_matches("今年人均收入涨多少")
    assert "涨" in [k for k, _ in tok.synonym_matches("今年固投要涨多少")]  # jieba's HMM glues 要涨; read by character
    assert "国企" in [k for k, _ in tok.synonym_matches("国企改革进展如何")]  # 国企改革 = 国企 + 改革
    assert "人均收入" in [k for k, _ in tok.synonym_matches("老百姓的人均收入增长多少")]
    assert "居民人均可支配收入" in tok.query_tokens("GDP和居民收入分别增长多少")
    assert {"国内", "生产总值", "地区生产总值"} <= set(tok.query_tokens("GDP增长多少"))


def test_every_phrase_key_is_reachable_as_words():
    tok = Tokenizer()
    for key, _ in tok.lexicon.phrases:
        assert key in [k for k, _ in tok.synonym_matches(key)], key
        assert key in [k for k, _ in tok.synonym_matches(f"请问{key}怎么样")], key


def _lexicon_lines():
    text = (ROOT / "qa" / "data" / "lexicon.tsv").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("line", _lexicon_lines())
def test_each_lexicon_entry_is_general_or_found_in_two_corpora(line, corpus_texts):
    if len(corpus_texts) < 3:
        pytest.skip("../shared/corpora is not present")
    ((key, targets),) = read_table(line)
    general = re.search(r"#\s*general:\s*\S", line)
    where = {name for name, text in corpus_texts.items() if any(t in text for t in targets)}
    assert general or len(where) >= 2, f"{key}: document words found only in {sorted(where)}; mark it '# general: why' or drop it"
    assert where, f"{key}: none of {targets} occurs in any corpus"


def test_read_table_rejects_a_line_without_targets():
    with pytest.raises(ValueError, match="line 2"):
        read_table("GDP\t国内生产总值\n物价\n")
    assert read_table("# a comment\nCPI\t居民消费价格\t# general: its name\n") == [("CPI", ("居民消费价格",))]


def test_lexicon_merges_tables_longest_key_first():
    lex = Lexicon([("涨", ("增长",)), ("老百姓收入", ("居民人均可支配收入",)), ("涨", ("上涨",))])
    assert lex.phrases == [("老百姓收入", ("居民人均可支配收入",)), ("涨", ("增长", "上涨"))]
    assert lex.phrase_matches(["老百姓", "收入", "涨", "了"]) == lex.phrases


def test_expansion_scores_below_the_question_word(tok):
    texts = ["全市规模以上工业企业利润增长10％。", "全市规模以上工业企业盈利增长10％。", "全市新建充电桩1万个。"]
    own = tok.query_tokens("企业利润增长多少")
    exp = tok.expansion_tokens("企业利润增长多少", own)
    assert "盈利" in exp and "利润" not in exp and not set(exp) & set(own)
    idx = LexicalIndex(context_weight=0.0)
    idx.build([tok.tokens(t) for t in texts], [tok.tokens(t) for t in texts], [0, 1, 2])
    plain = idx.scores(own)
    assert plain[0] > plain[1]  # without expansion the synonym's clause only shares 企业/增长
    for w in (0.4, 1.0):
        s = idx.scores(own, exp, w)
        assert s[0] > s[1] > s[2] and s[1] > plain[1] / plain.max(), w
    assert np.array_equal(idx.scores(own, exp, 0.0), plain)


def test_coverage_counts_a_lexicon_synonym_as_the_word(tmp_path):
    from qa.answer import Answerer
    from qa.index import Settings, build_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.txt").write_text("二、2024年工作安排\n全年职工薪资增长8％左右。新建充电桩1万个。\n", encoding="utf-8")
    index = build_index(tmp_path / "index", folder, Settings(embedder="corpus"), tokenizer=Tokenizer(synonyms=""))
    a = Answerer(index)
    q = "今年工资增长多少？"
    hit = next(h for h in a.retriever.search(q, 3) if "薪资" in h.clause.text)
    assert ("工资", *index.tokenizer.lexicon.synonyms("工资")) in a._concepts(q)
    with_lexicon = a.coverage(q, hit)
    index.tokenizer.lexicon.thesaurus = {}
    without = a.coverage(q, hit)
    assert with_lexicon == pytest.approx(1.0) and without < 0.7
