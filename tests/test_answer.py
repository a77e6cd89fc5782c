"""Answers and the `qa ask --json` contract."""

from __future__ import annotations

import json

import pytest

from qa.answer import Answer, normalize_question, verify
from qa.cli import main
from qa.corpus import Citation
from qa.errors import InputError

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
