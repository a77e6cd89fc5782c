"""Clauses of the seeds: exact provenance, structure, time scope, stable ids."""

from __future__ import annotations

import re
import shutil

import pytest

from qa.corpus import load_corpus
from qa.text import is_cjk

from .conftest import COMMUNIQUE, REPORT, SEEDS, find_clause, nows


def test_every_quote_maps_back_to_its_raw_lines(corpus, documents):
    """DESIGN invariant 1, for every clause of both seeds."""
    assert len(corpus.clauses) > 400
    for c in corpus.clauses:
        doc = documents[c.doc_id]
        assert doc.text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()
        raw = nows(doc.raw_lines(c.line_start, c.line_end))
        assert nows(c.text) in raw, (c.id, c.line_start, c.line_end)
        # The cited lines are the tightest: the first and last of them hold part of the quote.
        assert nows(doc.raw_lines(c.line_start, c.line_start)) and nows(doc.raw_lines(c.line_end, c.line_end))


def test_communique_clauses_are_clean(corpus):
    clauses = [c for c in corpus.clauses if c.doc_id == COMMUNIQUE]
    assert len(clauses) > 60
    for c in clauses:
        assert "\n" not in c.text
        for a, b in zip(c.text, c.text[1:]):
            assert not (a == " " or b == " ") or not (is_cjk(a) or is_cjk(b)), c.text
        assert not re.search(r"[\u4e00-\u9fff]\s+\d|\d\s+[\u4e00-\u9fff]", c.text)


def test_title_at_end_is_not_a_clause(corpus):
    assert not any(c.text == "中国共产党呼和浩特市第十三届委员会第七次全体会议公报" for c in corpus.clauses)


@pytest.mark.parametrize(
    "doc, needle, path, year, scope",
    [
        (REPORT, "新增停车位4.4万个", ("二、2024年工作安排", "（五）通过高质量的城市规划建设和管理，努力把首府打造成为现代化区域中心城市", "要畅通城市路网"), 2024, "plan"),
        (REPORT, "新增停车场285处", ("一、2023年工作回顾", "过去一年，我们全力补短板、强基础，首府区域中心城市作用进一步突显"), 2023, "review"),
        (REPORT, "今年还要增加3300万平方米", ("一、2023年工作回顾", "过去一年，我们全力建设“五宜城市”，首府人口虹吸能力进一步增强"), 2024, "plan"),
        (REPORT, "金山电厂二期供热项目新增供热能力2000万平方米", None, 2023, "review"),
        (REPORT, "地区生产总值增长8％左右", ("二、2024年工作安排",), 2024, "plan"),
        (REPORT, "地区生产总值完成3802亿元", None, 2023, "review"),
        (REPORT, "主城区建成“环型供热网”", ("二、2024年工作安排", "（七）一点一滴办好民生实事，让最具幸福感城市有名有实", "把温暖工程作为今年的民生“一号工程”"), 2024, "plan"),
        (REPORT, "绿色农畜产品加工产业集群完成产值600亿元", ("二、2024年工作安排", "（二）咬紧牙关、持之以恒做大做强工业支柱", "绿色农畜产品加工产业集群完成产值600亿元"), 2024, "plan"),
        (COMMUNIQUE, "新增停车位1.8万个", ("全会围绕贯彻落实中央、自治区经济工作会议精神，部署了9项重点工作", "七是推动首府向现代化区域中心城市目标迈进"), 2024, "plan"),
        (COMMUNIQUE, "打通断头路32条", ("四是全力建设宜居、宜业、宜学、宜养、宜游“五宜城市”",), 2023, "review"),
        (COMMUNIQUE, "今年6月习近平总书记第四次亲临", (), 2023, "review"),
        (COMMUNIQUE, "于2023年12月28日召开", (), 2023, "review"),
        (COMMUNIQUE, "做好明年工作，要以习近平新时代", (), 2024, "plan"),
        (COMMUNIQUE, "新建充电站10座、充电桩10000个", ("全会围绕贯彻落实中央、自治区经济工作会议精神，部署了9项重点工作", "八是扮靓首府生态最美底色"), 2024, "plan"),
    ],
)
def test_heading_path_and_time_scope(corpus, doc, needle, path, year, scope):
    c = find_clause(corpus, doc, needle)
    if path is not None:
        assert c.heading_path == path
    assert (c.year, c.scope) == (year, scope)


def test_section_label_shortens_long_headings(corpus):
    c = find_clause(corpus, REPORT, "新增停车位4.4万个")
    assert c.section == "二、2024年工作安排 > （五）通过高质量的城市规划建设和管理… > 要畅通城市路网"


def test_clause_is_the_figure_not_the_paragraph(corpus):
    # A long list of figures splits into one clause per figure, never inside a quotation.
    c = find_clause(corpus, COMMUNIQUE, "新增停车位1.8万个")
    assert c.text == "新增停车位1.8万个；"
    c = find_clause(corpus, COMMUNIQUE, "打通城区“断头路”30条")
    assert c.text == "打通城区“断头路”30条"
    for c in corpus.clauses:
        assert c.text.count("“") == c.text.count("”") or len(c.text) > 150


def test_clause_ids_are_stable():
    first = [c.id for c in load_corpus(SEEDS)[0].clauses]
    second = [c.id for c in load_corpus(SEEDS)[0].clauses]
    assert first == second and len(set(first)) == len(first)
    assert first[0].startswith("report2024@")


def test_enumerations_and_numbered_items(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "reg.md").write_text(
        "# 第一章 总则\n第一条 为规范停车管理，制定本办法。\n第二条 本办法适用于本市行政区域。\n"
        "# 第二章 建设\n1. 新建住宅小区应当配建停车位。\n（1）每户不少于1个；\n（2）商业区按每百平方米0.5个配建。\n",
        encoding="utf-8",
    )
    corpus, _ = load_corpus(folder)
    c = [c for c in corpus.clauses if "每户不少于1个" in c.text][0]
    assert c.heading_path[0] == "# 第二章 建设" and c.heading_path[-1].startswith("（1）")
    c = [c for c in corpus.clauses if "行政区域" in c.text][0]
    assert c.heading_path == ("# 第一章 总则", "第二条 本办法适用于本市行政区域")


# ---------------------------------------------------------------------------------------
# A long document segmented in parts on several cores: the very clauses of one pass


def _parallel_cases():
    from qa.text import load_folder

    from .conftest import CORPORA

    docs, _ = load_folder(SEEDS)
    folder = CORPORA / "cpc_congress_reports"
    if folder.is_dir():
        docs += load_folder(folder)[0][:1]
    return docs


@pytest.mark.parametrize("per_worker", [1, 3, 40])
def test_segmenting_in_parts_on_two_cores_gives_the_serial_clauses(per_worker):
    """Same clauses, ids, heading paths, scopes, facts and line numbers, cut into few or many parts."""
    from qa.corpus import segment_document
    from qa.segment import Segmenter

    segmenter = Segmenter()
    cut = 0
    for doc in _parallel_cases():
        serial = segmenter.segment(doc)
        parts = segmenter.parts(doc, 2 * per_worker)
        assert parts[0].begin == 0 and parts[-1].end == len(doc.paragraphs)
        assert all(p.end == q.begin for p, q in zip(parts, parts[1:]))
        cut += len(parts) > 1
        assert segment_document(segmenter, doc, workers=2, min_chars=0, per_worker=per_worker) == serial, doc.id
    assert cut  # the documents were really cut


def test_a_folder_with_a_long_document_is_segmented_on_every_core(tmp_path, monkeypatch):
    """load_documents cuts a document over PARALLEL_CHARS into parts; the corpus is load_corpus's."""
    import qa.corpus as corpus_mod
    from qa.segment import Segmenter

    folder = tmp_path / "docs"  # one document: the files are not pooled, the document is cut
    shutil.copytree(SEEDS, folder)
    (folder / "hohhot_party_plenary_communique_2023-12.txt").unlink()
    cut = []  # parts of each document segmented in parallel (Segmenter.parts runs in the parent)
    real = Segmenter.parts
    monkeypatch.setattr(corpus_mod, "PARALLEL_CHARS", 1000)
    monkeypatch.setattr(Segmenter, "parts", lambda self, doc, count: cut.append(real(self, doc, count)) or cut[-1])
    parallel, _ = corpus_mod.load_documents(folder, Segmenter(), workers=2)
    assert cut and max(len(p) for p in cut) > 1
    serial, _ = corpus_mod.load_documents(folder, Segmenter(), workers=1)
    assert parallel.clauses == serial.clauses == load_corpus(folder)[0].clauses
    assert parallel.docs == serial.docs and len(parallel.clauses) > 300
