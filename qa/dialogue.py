"""Follow-up questions: a short question that leans on the one before it, made self-contained.

"2024年新增停车位目标" then "那2023年呢？" means "2023年新增停车位目标". Only short questions
that are clearly follow-ups are rewritten — they open with 那/那么/还有, end with 呢, or ask what
a document says ("报告里怎么说？") — and only in these ways:

    time       那2023年呢？ / 去年呢？        the previous question with its year replaced (and
                                            its 目标/完成 word dropped: the year says which)
    kind       目标呢？ / 完成情况呢？        its target/result word replaced
    time+kind  那2023年完成情况呢？          both
    document   报告里怎么说？ / 公报呢？      the previous question asked of that document
    topic      那充电桩呢？                  the previous question's year and kind, the new topic

Anything else is returned unchanged: a wrong rewrite would answer a question nobody asked.
"""

from __future__ import annotations

import re
import unicodedata

from .timescope import TIME_WORDS

MAX_FOLLOW_UP = 16  # characters, after stripping punctuation; longer questions stand alone

_TIME = f"(?:{TIME_WORDS})"  # every time expression the time model reads (qa.timescope)
_KIND = r"目标|计划|安排|完成情况|完成了多少|完成多少|实际完成|完成|实际|结果|成效|进展"
_DOC = r"(?:政府)?工作报告|报告|公报|全会公报|规划|纲要|意见|方案|通知|决定"

_TIME_RE = re.compile(_TIME)
_KIND_RE = re.compile(_KIND)
_OPENER = re.compile(r"^(?:那么|那|还有|另外|再问一下|再问)[，,、\s]*")
_TAIL = re.compile(r"[呢吗嘛啊呀]?[？?。！!…\s]*$")
_QUESTION_WORDS = re.compile(r"什么|怎么|为什么|为何|哪|多少|几|如何|是否|有没有|谁|吗")
_ONLY_TIME = re.compile(rf"^(?:({_TIME})(?:的)?)$")
_ONLY_KIND = re.compile(rf"^(?:的)?({_KIND})(?:数|数字|情况)?$")
_TIME_KIND = re.compile(rf"^({_TIME})(?:的)?({_KIND})(?:数|数字|情况)?$")
_DOC_ASK = re.compile(rf"^(?:在)?({_DOC})(?:里|中|上|里面|当中)?(?:是)?(?:怎么说的?|怎么讲的?|怎么写的?|的说法|说了什么|写了什么|呢)?$")
_TOPIC = re.compile(r"^[\u4e00-\u9fff]{2,10}$")
_NOT_TOPICS = {"具体", "然后", "其他", "其它", "别的", "以后", "之后", "后来", "详细", "原因", "接下来", "另外", "这个", "那个", "这些", "那些"}
_DOC_SCOPE = re.compile(rf"^(?:在)?(?:{_DOC})(?:里|中|上|里面|当中)")
_ASPECT = re.compile(r"^(.{2,10}?)(方面|领域)(.*)$")


def resolve(question: str, previous: str | None) -> str:
    """The question made self-contained against the previous one, or unchanged when it is not a follow-up."""
    if not previous or not previous.strip() or not isinstance(question, str):
        return question
    previous = _bare(previous)
    q = unicodedata.normalize("NFKC", question).strip()
    opened = bool(_OPENER.match(q))
    core = _OPENER.sub("", q)
    on = bool(re.search(r"呢[？?。！!…\s]*$", core))  # "…呢？": about the same thing as before
    core = _TAIL.sub("", core).strip()
    asks_document = bool(_DOC_ASK.match(core) and re.search("怎么|说|写", core))
    if not core or len(core) > MAX_FOLLOW_UP or not (opened or on or asks_document):
        return question
    if m := _TIME_KIND.match(core):
        return _with_kind(_with_time(previous, m.group(1)), m.group(2))
    if m := _ONLY_TIME.match(core):
        return _with_time(previous, m.group(1))
    if m := _ONLY_KIND.match(core):
        return _with_kind(previous, m.group(1))
    if m := _DOC_ASK.match(core):
        return f"{m.group(1)}中{_DOC_SCOPE.sub('', previous)}"
    if on and _TOPIC.match(core) and not _QUESTION_WORDS.search(core) and core not in _NOT_TOPICS:
        return _with_topic(previous, core) or question
    return question


def needs_previous(question: str) -> bool:
    """Whether a question only makes sense after another: a follow-up that names no topic of its own.

    "那2023年呢？", "目标呢？", "报告里怎么说？" — with no question before them there is nothing to
    answer, and searching their words alone finds noise. "那充电桩呢？" names its topic and stands alone.
    """
    if not isinstance(question, str):
        return False
    q = unicodedata.normalize("NFKC", question).strip()
    opened = bool(_OPENER.match(q))
    core = _OPENER.sub("", q)
    on = bool(re.search(r"呢[？?。！!…\s]*$", core))
    core = _TAIL.sub("", core).strip()
    asks_document = bool(_DOC_ASK.match(core) and re.search("怎么|说|写", core))
    if not core or len(core) > MAX_FOLLOW_UP or not (opened or on or asks_document):
        return False
    return bool(_TIME_KIND.match(core) or _ONLY_TIME.match(core) or _ONLY_KIND.match(core) or _DOC_ASK.match(core))


def _bare(question: str) -> str:
    """A question without its closing punctuation."""
    return re.sub(r"[？?。！!…\s]+$", "", question.strip())


def _with_time(previous: str, when: str) -> str:
    """The previous question about `when` instead of its own year (or prefixed with it).

    Its 目标/完成情况 word goes: a past year has results and a coming one targets, and the
    answerer reads which from the year ("目标" then "那2023年呢？" asks what 2023 has).
    """
    q = _KIND_RE.sub("", previous)
    if _TIME_RE.search(q):
        return _TIME_RE.sub(when, q, count=1)
    return when + q


def _with_kind(previous: str, kind: str) -> str:
    """The previous question asking for `kind` (目标, 完成情况, …) instead of what it asked for."""
    kind = {"完成": "完成情况", "实际": "实际完成情况", "结果": "完成情况"}.get(kind, kind)
    if _KIND_RE.search(previous):
        return _KIND_RE.sub(kind, previous, count=1)
    return previous + kind


def _with_topic(previous: str, topic: str) -> str | None:
    """The previous question's frame (its 方面, or its year and kind) around a new topic; None without one."""
    if m := _ASPECT.match(previous):
        return f"{topic}{m.group(2)}{m.group(3)}"
    years, kinds = _TIME_RE.findall(previous), _KIND_RE.findall(previous)
    if not years and not kinds:
        return None
    return f"{years[0] if years else ''}{topic}{kinds[0] if kinds else ''}"
