"""The answer patterns of issue #12 on the seeds and on the State Council reports: resolved
years stated, headers from the fact, parts each answered or refused, jurisdictions apart."""

from __future__ import annotations

import pytest

from qa.answer import Answerer, verify
from qa.query import analyze


@pytest.fixture(scope="module")
def national(state_council_index):
    return Answerer(state_council_index)


def test_a_question_about_where_is_no_figure_question(corpus):
    assert not analyze("2024年新增停车位在哪些区？", corpus).asks_figure
    assert analyze("2024年新增停车位目标", corpus).asks_figure
    assert analyze("2024年新增停车位多少个？", corpus).asks_figure


def test_parts_are_split_one_measure_each(corpus):
    parts = lambda q: [p.text for p in analyze(q, corpus).parts]
    assert parts("2024年地区生产总值和规模以上工业增加值分别增长多少？") == ["2024年地区生产总值增长多少", "2024年规模以上工业增加值增长多少"]
    assert parts("今年新增停车位多少个、充电桩多少个？") == ["今年新增停车位多少个", "充电桩多少个"]
    assert parts("2024年计划攻克多少项关键技术、转化多少项科技成果？") == ["2024年计划攻克多少项关键技术", "转化多少项科技成果"]


def test_each_part_gets_its_figure(answerer):
    a = answerer.answer("2024年地区生产总值和规模以上工业增加值分别增长多少？")
    assert "8％左右" in a.answer and "16％左右" in a.answer and not a.abstained
    a = answerer.answer("今年新增停车位多少个、充电桩多少个？")
    assert "4.4万个" in a.answer and "1万个" in a.answer


def test_the_resolved_year_is_stated(answerer):
    a = answerer.answer("公报提出明年新增多少个停车位？")
    assert a.answer.startswith("明年（2024年）目标") and "1.8万个" in a.answer
    assert a.to_dict()["resolved_years"] == [2024]
    a = answerer.answer("今年打算再添多少个车位？")
    assert "今年（2024年）" in a.answer and "4.4万个" in a.answer


def test_a_year_the_documents_do_not_hold_is_refused_with_the_nearest_as_nearest(answerer):
    a = answerer.answer("前年新增了多少停车位？")
    assert a.abstained and "前年（2022年）" in a.answer and "最接近的是" in a.answer
    assert "不能当作" in a.answer and verify(a) == []


def test_a_part_asking_one_action_does_not_conflict_with_a_wider_figure(answerer):
    a = answerer.answer("2024年高标准农田新建多少万亩？")
    assert "14.5万亩" in a.answer and not a.conflicts and "口径不同" in a.answer
    assert "13万亩" not in a.answer  # 提升改造 is not what was asked


def test_national_headers_follow_the_fact(national):
    a = national.answer("2016年全年城镇新增就业多少人？")
    # Both the 2016 target (2016 report) and the 2016 result (2017 report) may answer; each is
    # shown under its own kind.
    assert "2016年完成情况：城镇新增就业1314万人" in a.answer
    if "1000万人以上" in a.answer:
        assert "2016年目标：城镇新增就业1000万人以上" in a.answer


def test_national_value_kinds(national):
    a = national.answer("2019年中央预算内投资一共安排多少，比上年多多少？")
    assert "5776亿元" in a.answer and "比去年增加400亿元" in a.answer  # the delta is shown as a delta
    a = national.answer("2019年小规模纳税人增值税起征点提高到多少？")
    assert "10万元" in a.answer and not a.abstained
    a = national.answer("2019年经济增长的预期目标是多少？")
    assert "6%－6.5%" in a.answer


def test_national_relative_years_against_the_named_report(national):
    a = national.answer("2022年的报告提到去年粮食产量是多少？")
    assert "1.37万亿斤" in a.answer and "去年（2021年）" in a.answer


def test_another_jurisdiction_is_refused(national):
    a = national.answer("北京市2019年城镇新增就业目标是多少？")
    assert a.abstained and a.answer.startswith("文件中没有北京市") and not a.facts  # nearest passages only


def test_a_document_the_corpus_lacks_is_refused(national):
    a = national.answer("2023年政府工作报告的GDP增长目标是多少？")
    assert a.abstained and "2023年政府工作报告" in a.answer


def test_a_district_the_documents_do_not_speak_for_is_refused(answerer):
    # 赛罕区 is a district of the city (a place name in seeds/lexicon.txt); the city's figure is no answer for it.
    a = answerer.answer("赛罕区2024年新增停车位多少个？")
    assert a.abstained and a.answer.startswith("文件中没有赛罕区") and not a.facts
    a = answerer.answer("呼市2024年新增停车位多少个？")  # the city by its colloquial name (lexicon)
    assert not a.abstained and "4.4万个" in a.answer
