"""The one time model (qa.timescope): expressions, frames, and how questions resolve them."""

from __future__ import annotations

import pytest

from qa.query import analyze
from qa.timescope import NONE, PLAN, REVIEW, Frame, expressions, intent, text_scope

REPORT_2024 = Frame.of(2024, 2024, 1)  # delivered early in 2024
COMMUNIQUE_2023 = Frame.of(2023, 2023, 12)  # written at the end of 2023


@pytest.mark.parametrize(
    "text,frame,years",
    [
        ("今年新增", REPORT_2024, (2024,)),
        ("明年新增", COMMUNIQUE_2023, (2024,)),  # the communique's 明年
        ("前年新增", REPORT_2024, (2022,)),
        ("后年建成", REPORT_2024, (2026,)),
        ("过去一年", REPORT_2024, (2023,)),
        ("一年来", COMMUNIQUE_2023, (2023,)),  # written late in the year it reviews
        ("过去五年", REPORT_2024, (2019, 2020, 2021, 2022, 2023)),
        ("五年来", Frame.of(2018, 2018, 3), (2013, 2014, 2015, 2016, 2017)),
        ("“十四五”时期", REPORT_2024, (2021, 2022, 2023, 2024, 2025)),
        ("2021—2025年", REPORT_2024, (2021, 2022, 2023, 2024, 2025)),
        ("2021年至2025年", REPORT_2024, (2021, 2022, 2023, 2024, 2025)),
        ("2019年", REPORT_2024, (2019,)),
    ],
)
def test_expressions_resolve_in_a_frame(text, frame, years):
    found = expressions(text)
    assert len(found) == 1
    assert frame.years(found[0]) == years


def test_comparisons_and_plan_names_are_not_time_frames():
    assert expressions("比上年增加2000亿元") == []
    assert expressions("较去年下降") == []
    assert expressions("制定“十三五”规划") == []  # the plan's name, not its years
    assert [e.text for e in expressions("“十三五”时期")] == ["“十三五”时期"]


def test_a_span_looks_back_and_a_part_of_the_year_keeps_its_year():
    scope = text_scope("过去五年，国内生产总值年均增长7.1%", Frame.of(2018, 2018, 3), NONE)
    assert scope.kind == REVIEW and scope.period == (2013, 2017) and scope.year is None
    a = analyze("2024年上半年新增停车位多少个？")
    assert a.years == (2024,) and a.half == "上半年"


def test_intent_words():
    assert intent("2024年新增停车位目标") == PLAN
    assert intent("去年完成了多少") == REVIEW
    assert intent("人均预期寿命是多少") is None  # 预期寿命 is a measure, not an expectation
    assert intent("推出了多少项改革举措") is None


def test_question_resolves_against_the_document_it_names(corpus):
    a = analyze("公报提出明年新增多少个停车位？", corpus)
    assert a.document.id == "communique2023" and a.years == (2024,)
    assert a.stated() == "明年（2024年）"
    a = analyze("报告里说明年要做什么？", corpus)
    assert a.document.id == "report2024" and a.years == (2025,)


def test_question_resolves_against_the_newest_document_of_its_jurisdiction(corpus):
    a = analyze("前年新增了多少停车位？", corpus)
    assert a.years == (2022,) and a.stated() == "前年（2022年）"
    assert a.years_for("呼和浩特市") == (2022,)


def test_time_frames_are_read_once_per_corpus(state_council_corpus, corpus):
    """A question's frames come from every document; they are read once for a corpus (it is
    immutable) and each corpus has its own."""
    from qa.corpus import Corpus
    from qa.query import planned, presents

    both = Corpus(corpus.docs + state_council_corpus.docs, ())
    first, again = analyze("今年新增停车位多少个？", both), analyze("去年粮食产量是多少？", both)
    assert first.presents is again.presents and first.planned is again.planned
    assert first.presents == presents(both) and first.planned == planned(both)
    alone = analyze("今年新增停车位多少个？", Corpus(corpus.docs, ()))
    assert alone.presents == presents(corpus) != first.presents
    calls = []

    def count(c):
        calls.append(c)
        return len(c.docs)

    assert both.derived(count) == both.derived(count) == len(both.docs) and calls == [both]


def test_each_jurisdiction_has_its_own_now(state_council_corpus, corpus):
    from qa.corpus import Corpus

    both = Corpus(corpus.docs + state_council_corpus.docs, ())
    a = analyze("今年新增停车位多少个？", both)
    # 今年 is 2024 for a Hohhot figure and 2022 for a national one, whichever document came last.
    assert a.years_for("呼和浩特市") == (2024,)
    assert a.years_for("全国") == (2022,)
    assert analyze("全国今年经济增长目标是多少？", both).years == (2022,)


def test_year_named_with_the_report_is_the_year_asked(state_council_corpus):
    a = analyze("2016年政府工作报告定的GDP增长目标是多少？", state_council_corpus)
    assert a.document.id == "gov2016" and a.years == (2016,) and "报告" not in a.content
    a = analyze("2022年的报告提到去年粮食产量是多少？", state_council_corpus)
    assert a.document.id == "gov2022" and a.years == (2021,)
    a = analyze("2018年政府工作报告说过去五年GDP年均增长多少？", state_council_corpus)
    assert a.years == (2013, 2014, 2015, 2016, 2017)
    assert analyze("2023年政府工作报告的GDP目标", state_council_corpus).missing_document == "2023年政府工作报告"


def test_follow_ups_use_the_same_time_words():
    from qa.dialogue import resolve

    assert resolve("那前年呢？", "2024年新增停车位目标") == "前年新增停车位"
    assert resolve("那“十四五”时期呢？", "2024年新增停车位目标") == "“十四五”时期新增停车位"
