"""Follow-up questions are made self-contained, and only clear follow-ups are touched."""

import pytest

from qa.dialogue import resolve

PARKING = "2024年新增停车位目标"


@pytest.mark.parametrize(
    "question, previous, expected",
    [
        # time
        # (the kind word goes: the answerer reads target or result from the year)
        ("那2023年呢？", PARKING, "2023年新增停车位"),
        ("2023年呢", PARKING, "2023年新增停车位"),
        ("那２０２３年呢?", PARKING, "2023年新增停车位"),  # full-width digits, half-width mark
        ("去年呢？", "今年新增停车位多少个", "去年新增停车位多少个"),
        ("那2023年呢？", "新增停车位目标是多少？", "2023年新增停车位是多少"),
        ("那2024年呢？", "2023年新增停车位完成了多少", "2024年新增停车位"),
        # kind
        ("目标呢？", "2023年新增停车位完成了多少？", "2023年新增停车位目标"),
        ("那完成情况呢", PARKING, "2024年新增停车位完成情况"),
        ("目标呢？", "2024年新增停车位", "2024年新增停车位目标"),
        # time and kind
        ("那2023年完成情况呢？", PARKING, "2023年新增停车位完成情况"),
        # document
        ("报告里怎么说？", PARKING, "报告中2024年新增停车位目标"),
        ("公报呢？", PARKING, "公报中2024年新增停车位目标"),
        ("那公报里怎么说？", "报告中2024年新增停车位目标", "公报中2024年新增停车位目标"),
        # topic, keeping the previous question's frame
        ("那充电桩呢？", PARKING, "2024年充电桩目标"),
        ("那教育呢？", "供热方面有什么新举措？", "教育方面有什么新举措"),
    ],
)
def test_follow_ups_are_rewritten(question, previous, expected):
    assert resolve(question, previous) == expected


@pytest.mark.parametrize(
    "question, previous",
    [
        ("2023年新增停车位完成了多少？", PARKING),  # a whole question stands alone
        ("那2023年新增停车位完成了多少？", PARKING),  # opens with 那 but is complete
        ("供热方面有什么新举措？", PARKING),
        ("为什么呢？", PARKING),  # a question word, not a topic
        ("具体呢？", PARKING),
        ("还有呢？", PARKING),
        ("报告", PARKING),  # a bare word is a new question, not a follow-up
        ("2023年", PARKING),  # a year with neither 那 nor 呢
        ("充电桩呢？", "你好"),  # no year, kind or 方面 to carry over
        ("那2023年呢？", None),  # nothing before it
        ("那2023年呢？", "  "),
        ("", PARKING),
        ("那" + "很长的问题" * 5 + "呢？", PARKING),
    ],
)
def test_other_questions_are_left_alone(question, previous):
    assert resolve(question, previous) == question


def test_chained_follow_ups_build_on_the_resolved_question():
    q1 = resolve("那2023年呢？", PARKING)
    q2 = resolve("目标呢？", q1)
    q3 = resolve("报告里怎么说？", q2)
    assert (q1, q2, q3) == ("2023年新增停车位", "2023年新增停车位目标", "报告中2023年新增停车位目标")


def test_follow_up_about_a_past_year_gets_that_year_s_figure(answerer):
    """The point of a rewrite: "那2023年呢？" after the 2024 target gets 2023's figure, as the full question does."""
    follow = answerer.answer(resolve("那2023年呢？", PARKING))
    full = answerer.answer("2023年新增停车位")
    assert follow.answer == full.answer
    assert "6.9万个" in follow.answer and "4.4万个" not in follow.answer


@pytest.mark.parametrize("question", ["那2023年呢？", "去年呢", "目标呢？", "那2023年完成情况呢？", "报告里怎么说？"])
def test_a_follow_up_without_a_topic_needs_a_previous_question(question):
    from qa.dialogue import needs_previous

    assert needs_previous(question)


@pytest.mark.parametrize("question", ["2023年新增停车位多少", "那充电桩呢？", "供热方面有什么新举措？", "2023年呢还有哪些重点工作要抓好落实推进"])
def test_a_question_with_its_own_topic_stands_alone(question):
    from qa.dialogue import needs_previous

    assert not needs_previous(question)
