"""Answers and the `qa ask --json` contract."""

from __future__ import annotations

import json

import pytest

from qa.answer import Answer, normalize_question, verify
from qa.cli import main
from qa.corpus import Citation
from qa.errors import InputError
from qa.plan import AnswerConfig

CITATION_KEYS = ["n", "doc_id", "title", "source", "section", "quote", "line_start", "line_end", "char_start", "char_end", "score"]


def test_parking_target_shows_both_figures_and_the_conflict(answerer):
    a = answerer.answer("2024年新增停车位目标")
    assert not a.abstained
    assert "4.4万个" in a.answer and "1.8万个" in a.answer and "不一致" in a.answer
    assert a.answer.index("4.4万个") < a.answer.index("不一致")
    (c,) = a.conflicts
    assert c.indicator == "新增停车位" and c.year == 2024
    assert {v.value for v in c.values} == {"4.4万个", "1.8万个"}
    by_n = {x.n: x for x in a.citations}
    for v in c.values:
        assert v.value in by_n[v.citation].quote
    assert {by_n[v.citation].doc_id for v in c.values} == {"report2024", "communique2023"}


def test_agreeing_documents_are_both_cited(answerer):
    a = answerer.answer("2024年老旧小区改造目标是多少个？")
    assert "229个" in a.answer and "相同" in a.answer and not a.conflicts
    assert {c.doc_id for c in a.citations} == {"report2024", "communique2023"}


def test_a_2023_result_is_not_a_2024_target(answerer):
    a = answerer.answer("2023年新增了多少个停车位？")
    assert "6.9万个" in a.answer and "4.4万个" not in a.answer and "2023年完成情况" in a.answer
    a = answerer.answer("2024年计划接待国内游客多少人次？")
    assert a.abstained and "2023年" in a.answer and "不能当作2024年" in a.answer


@pytest.mark.parametrize("question", ["2024年呼和浩特常住人口目标是多少？", "呼和浩特地铁3号线什么时候开工？"])
def test_abstains_when_the_documents_do_not_answer(answerer, question):
    a = answerer.answer(question)
    assert a.abstained and "没有找到" in a.answer and a.citations  # nearest passages shown


def test_policy_question_groups_key_clauses_by_document(answerer):
    a = answerer.answer("供热方面有什么新举措？")
    assert not a.abstained and "【2024年呼和浩特市人民政府工作报告】" in a.answer
    assert len(a.citations) >= 3 and all("供热" in c.quote or "暖" in c.quote for c in a.citations[:3])


def test_question_normalization():
    assert normalize_question("  2024年新增停車位目標？ ") == "2024年新增停车位目标?"
    assert normalize_question("２０２４年新增停车位") == "2024年新增停车位"
    for bad, words in [("", "为空"), ("   ", "为空"), ("停" * 1001, "太长"), ("How many parking spaces?", "中文")]:
        with pytest.raises(InputError, match=words):
            normalize_question(bad)


def test_traditional_question_finds_the_same_answer(answerer):
    assert "4.4万个" in answerer.answer("2024年新增停車位目標").answer


def test_every_figure_in_an_answer_is_quoted(answerer):
    for q in ["2024年新增停车位目标", "2023年地区生产总值是多少", "今年充电桩要建多少个", "供热方面有什么新举措？"]:
        assert verify(answerer.answer(q)) == []
    cite = Citation(1, "d", "t", "s", "", "新增停车位4.4万个。", 1, 1, 0, 10)
    assert verify(Answer("q", "新增停车位5万个[1]", False, (cite,))) == ["5万个"]
    assert verify(Answer("q", "2024年新增停车位4.4万个[1]", False, (cite,))) == []


def test_json_contract(seed_index, capsys):
    assert main(["ask", "2024年新增停车位目标", "--json", "--index", str(seed_index.folder)]) == 0
    out = json.loads(capsys.readouterr().out)
    # The contract's fields, in order; fields may only be added after them (README: resolved_years).
    assert list(out)[:7] == ["question", "answer", "abstained", "citations", "facts", "conflicts", "elapsed_ms"]
    assert list(out)[7:] == ["resolved_years"] and out["resolved_years"] == [2024]
    assert out["question"] == "2024年新增停车位目标"
    for c in out["citations"]:
        assert list(c) == CITATION_KEYS
        assert c["source"].startswith("seeds/") and 1 <= c["line_start"] <= c["line_end"]
    assert set(out["facts"][0]) == {"indicator", "value", "year", "kind", "citation"}
    assert set(out["conflicts"][0]) == {"indicator", "year", "values"}


def test_batch_answers_every_line_in_order(seed_index, tmp_path, capsys):
    batch = tmp_path / "q.txt"
    batch.write_text('2024年新增停车位目标\n{"question": "供热方面有什么新举措？"}\n\n地铁3号线何时开工\n', encoding="utf-8")
    assert main(["ask", "--json", "--batch", str(batch), "--index", str(seed_index.folder)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["question"] for r in rows] == ["2024年新增停车位目标", "供热方面有什么新举措？", "地铁3号线何时开工"]
    assert [r["abstained"] for r in rows] == [False, False, True]


def test_bad_input_exits_2_with_one_line(seed_index, capsys):
    assert main(["ask", "", "--index", str(seed_index.folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "为空" in err
    assert main(["ask", "--batch", "/no/such/file", "--index", str(seed_index.folder)]) == 2


def test_facts_cli_lists_targets_with_sources(seed_index, capsys):
    assert main(["facts", "--year", "2024", "--kind", "target", "--format", "json", "--index", str(seed_index.folder)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["year"] == 2024 and r["kind"] == "target" for r in rows)
    parking = [r for r in rows if r["indicator"] == "新增停车位"]
    assert {r["value"] for r in parking} == {"4.4万个", "1.8万个"}
    assert all(r["value"] in r["quote"] and r["line_start"] >= 1 for r in rows)
    assert main(["facts", "--doc", "communique2023", "--format", "csv", "--index", str(seed_index.folder)]) == 0
    assert capsys.readouterr().out.startswith("area,indicator,value,qualifier,year,kind")


def test_each_part_of_a_two_part_question_gets_its_figure(answerer):
    a = answerer.answer("2023年新增了多少户规上工业企业？总数达到多少？")
    assert "41户" in a.answer and "322户" in a.answer
    a = answerer.answer("2024年新引进亿元以上项目的目标是多少个，要完成多少投资？")
    assert "400个以上" in a.answer and "700亿元以上" in a.answer


def test_the_unit_asked_for_narrows_the_figures(answerer):
    # Only 2023's 41户 is counted in 户; a 2024 growth rate is no answer to "多少户".
    a = answerer.answer("2024年计划新增多少户规上工业企业？")
    assert a.abstained and all(f.value != "16％" for f in a.facts)
    assert a.answer.startswith("文件中没有")


def test_a_difference_of_measure_is_explained_not_flagged(answerer):
    a = answerer.answer("2024年新建续建中小学、幼儿园多少所？")
    assert {"61所", "14所", "47所"} <= {f.value for f in a.facts}
    assert not a.conflicts and "口径不同" in a.answer and "合计61所" in a.answer


def test_a_sum_that_still_differs_is_a_conflict(answerer):
    a = answerer.answer("2024年高标准农田新建和提升改造一共多少万亩？")
    (c,) = a.conflicts
    assert {v.value for v in c.values} == {"14.5万亩", "13万亩", "27万亩"}


def test_another_documents_words_are_shown_beside_a_figure(answerer):
    a = answerer.answer("2024年大学生留呼的目标是多少人？")
    assert "5万名" in a.answer and "五万大学生留呼专项行动" in a.answer
    assert {c.doc_id for c in a.citations} == {"report2024", "communique2023"}
    assert not verify(a)


def test_the_measure_the_question_names_comes_first(answerer):
    a = answerer.answer("2023年新增停车位多少")
    assert a.facts[0].value == "6.9万个" and a.answer.index("6.9万个") < a.answer.index("285处")


HEAT = """一、2023年工作回顾
过去一年，供热管网建设有序推进，供热面积持续扩大。
二、2024年工作安排
（一）产业发展
大力发展数字经济，推动制造业转型升级。
（二）民生保障
实施温暖工程。全面提升冬季供热质量，推进清洁供热改造，保障群众温暖过冬。
"""


def test_a_broad_answer_cites_the_most_relevant_clause_first_even_when_it_comes_later(tmp_path):
    from qa.answer import Answerer
    from qa.index import Settings, build_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "heat.txt").write_text(HEAT, encoding="utf-8")
    (folder / "catalog.toml").write_text(
        '["heat.txt"]\nid = "heat"\ntitle = "测试工作报告"\nissuer = "测试市政府"\ndate = "2024-01"\nthis_year = 2024\nkind = "report"\n',
        encoding="utf-8",
    )
    a = Answerer(build_index(tmp_path / "index", folder, Settings(embedder="corpus"))).answer("供热方面有什么安排？")
    assert not a.abstained and len(a.citations) >= 2
    # [1] is the best-supported clause, though another cited clause comes before it in the document.
    assert "全面提升冬季供热质量" in a.citations[0].quote
    assert a.citations[0].score == max(c.score for c in a.citations)
    assert any(c.char_start < a.citations[0].char_start for c in a.citations[1:])
    assert a.answer.index("[1]") < a.answer.index("[2]")


def test_policy_clauses_follow_relevance_grouped_by_document():
    from types import SimpleNamespace as NS

    from qa.plan import Planner

    # d1 paragraph 1: c0 c1 c2; d1 paragraph 2: c3; d2: c4
    clauses = [NS(id=f"c{i}", doc_id=d, para=p) for i, (d, p) in enumerate([("d1", 1), ("d1", 1), ("d1", 1), ("d1", 2), ("d2", 1)])]
    planner = Planner.__new__(Planner)
    planner.corpus = NS(position={c.id: i for i, c in enumerate(clauses)})
    planner.config = AnswerConfig()

    def order(*ranked):  # clause numbers, best first, with clearly different scores
        hits = [NS(clause=clauses[i], score=2.0 - 0.2 * n) for n, i in enumerate(ranked)]
        return [int(h.clause.id[1:]) for h in planner._relevance_order(hits)]

    assert order(3, 0, 4) == [3, 0, 4]  # a later clause first when it is the better; documents grouped
    assert order(4, 2, 3) == [4, 2, 3]  # the best clause's document first
    assert order(0, 4, 1) == [0, 1, 4]  # the clause right after a chosen one of its paragraph follows it
    assert order(1, 4, 0) == [1, 0, 4]  # ... but one before the best never goes ahead of it
    tied = [NS(clause=clauses[i], score=s) for i, s in ((4, 2.0), (3, 1.5), (0, 1.499))]
    assert [h.clause.id for h in planner._relevance_order(tied)] == ["c4", "c0", "c3"]  # a tie reads in document order
