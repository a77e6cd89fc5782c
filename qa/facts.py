"""Facts: quantities with units (and ranks) read out of clause text.

Every Arabic number in the text is classed: a quantity (number + unit), a rank (全国第30位,
居全区第1), a date (2023年, 12月28日), an ordinal (第4次), a code or name (S43, G59, 5G), or
bare. Quantities and ranks become Facts; the others are named so that a test can show that
nothing with a unit was missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .timescope import TIME_EXPR

# Base units, longest first so that 平方米 wins over 米; 万/亿 may stand before any of them.
BASE_UNITS = sorted(
    """元 千瓦时 千瓦 兆瓦 GW MW 个百分点 百分点 ％ % 平方米 平方公里 公顷 亩 公里 千米 米 吨 头 只
    户 人次 人 名 个 套 台 辆 张 株 册 间 所 列 家 条 处 项 座 批 场次 场 次 倍 年 天 小时 分钟 床 栋
    幢 站 片 宗 件 篇 部 支 类 种 棵 届 期 轮 级 强 标段 立方米 千克 公斤 斤 毫米 厘米 度 岁 个月 周年
    周 位 对""".split(),
    key=len,
    reverse=True,
)
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_PRE_QUAL = "累计|超过|突破|达到|争取达到|力争达到|争取|力争|不低于|不少于|不超过|不高于|不足|不到|低于|少于|高于|多于|至少|最多|约|近|超|达|共"
_POST_QUAL = "以上|左右|以内|以下|多|余"
PRE_QUALIFIER = re.compile("|".join(sorted(_PRE_QUAL.split("|"), key=len, reverse=True)))
_UNIT_RE = "(?:万亿|亿|万)?(?:" + "|".join(re.escape(u) for u in BASE_UNITS) + ")|万亿|亿|万"
NUMBER = re.compile(_NUM)
QUANTITY = re.compile(rf"(?:(?P<pre>{_PRE_QUAL}))?(?P<num>{_NUM})(?P<unit>{_UNIT_RE})(?P<post>{_POST_QUAL})?")
# Chinese numerals (十所, 一万个, 四万四千人, 百分之八, 1.2万亿元 is Arabic): read with cn2an.
_CN_DIGITS = "零〇○一二两三四五六七八九十百千万亿"
_CN_NUM = rf"(?:百分之[{_CN_DIGITS}点]+|[{_CN_DIGITS}]+(?:点[零〇一二三四五六七八九]+)?)"
# Not 年: in words it is a span or a date (十年来, 建军一百年, 二〇三五年), hardly ever an amount.
_COUNT_UNITS = [u for u in BASE_UNITS if u not in ("年", "天", "周", "期", "届", "轮", "级", "强", "类", "种", "度", "周年", "个月", "次", "倍", "部", "支", "位")]
CN_QUANTITY = re.compile(
    rf"(?:(?P<pre>{_PRE_QUAL}))?(?P<num>{_CN_NUM})(?P<more>多|余)?(?P<unit>(?:万亿|亿|万)?(?:"
    + "|".join(re.escape(u) for u in _COUNT_UNITS)
    + rf")|万亿|亿|万)?(?P<post>{_POST_QUAL})?"
)
# A span of time is an amount where a verb measures it: "再延长三十年", "为期三年" (as "延长30年" is).
_CN_DURATION = re.compile(rf"(?<=延长|缩短|长达|为期)(?P<num>[{_CN_DIGITS}]+)(?P<unit>年|天|个月)")
_RANGE_TAIL = re.compile(rf"[－\-—~～](?P<num>{_NUM})(?P<unit>{_UNIT_RE})?(?P<post>{_POST_QUAL})?")

# What kind of value a figure is (DESIGN.md, Measure): a level, a change against the year
# before, the end (or start) of a "从A提高到B" range, a total or average over several years,
# a part of a larger amount (其中…), or a growth rate.
LEVEL, DELTA, RANGE_FROM, RANGE_TO, CUMULATIVE, AVERAGE, SHARE, RATE = (
    "level", "delta", "range_from", "range_to", "cumulative", "average", "share", "rate"
)
ACTIONS = (
    "新建续建", "新续建", "新开工", "新建", "新增", "续建", "改扩建", "改造提升", "提升改造", "改造", "拆除", "关闭", "淘汰", "压减",
    "减少", "下降", "降低", "增加", "增长", "提高", "提升", "上升", "建成", "完成", "实现", "达到", "引进", "培育",
)
_ACTION = re.compile("|".join(ACTIONS))
_NEGATION = re.compile(r"(?:不再|不|未|没有|无|停止|严禁|禁止)(?=" + "|".join(ACTIONS) + r"|建|设|增|开)")
_CHANGE_VERB = r"(?:增加|增长|减少|下降|降低|提高|上升|扩大|缩小|多|少)"
_DELTA = re.compile(rf"(?:比上年|较上年|同比|比去年|比上一年|比\d{{4}}年)(?:分别)?{_CHANGE_VERB}了?$")
_RATE = re.compile(rf"{_CHANGE_VERB}了?$")
_FROM = re.compile(r"(?:从|由)[^，；。从由到至增减提降]{0,6}$")
_TO = re.compile(r"(?:提高|提升|增加|增长|减少|下降|降低|上升|扩大|缩小)?(?:到|至)$")
_CUMULATIVE = re.compile(r"累计|合计|总计|[两三四五六七八九十]年(?:来|内|间|共|累计)|(?:过去|近)[两三四五六七八九十]年")
_AVERAGE = re.compile(r"年均|年平均|平均每年")
_SHARE = re.compile(r"^(?:其中|占|含)|其中")
_STOPS = "，；：。！？（）(),;:\n"
_SCALE = {"万亿": 1e12, "亿": 1e8, "万": 1e4}
# Words that open an indicator phrase but say nothing about what is measured.
_LEAD = re.compile(
    r"^(?:其中|同时|并且|并|和|及|以及|全年|全市|全区|我们|我市|首府|要|将|还要|再|力争|争取|确保|预计|圆满|超额|率先|顺利|全面|"
    r"累计|共|总计|共计|实施|完成|实现|开展|推动|推进|建成|达到|达|力求|使|让|使得|其)+"
)
_NEW = re.compile(r"^(?:新增|新建|新引进)")
_BARE_VERB = re.compile(r"改造提升|提升改造|改造|提升|续建|改扩建|新建|新增")
_OBJECT = re.compile(r"^(?:新增|新建|续建|新续建|新建续建|改造提升|提升改造|改造|提升|改扩建|建设)+")
_COMPARED = r"(?:同比|比上年|较上年|比去年|比上一年|较去年)"
_CHANGE = re.compile(rf"^{_COMPARED}?(?:增长|下降|提高|增加|减少|提升|降低|上升)$|^{_COMPARED}(?:多|少)$")


@dataclass(frozen=True)
class Fact:
    indicator: str
    value: str  # as written, without inner spaces: "4.4万个"
    number: float
    unit: str
    qualifier: str
    year: int | None
    kind: str  # target | result | other
    type: str  # quantity | rank
    clause_id: str
    start: int  # char span of the value (with its qualifiers) in the normalized text
    end: int
    action: str = ""  # the verb the figure is counted under: 新建, 续建, 改造, 减少 …
    polarity: int = 1  # -1 when the verb is negated (不新建) or the number is negative
    value_kind: str = LEVEL  # level | delta | range_from | range_to | cumulative | average | share | rate
    period: str = ""  # "2013—2017" for a figure over several years, else ""
    high: float | None = None  # the upper end of a range written "6%－6.5%", in the same unit

    def base(self) -> tuple[float, str]:
        """The number in base units: 4.4万个 → (44000, '个'), 10％ → (10, '%')."""
        return to_base(self.number, self.unit)


def to_base(number: float, unit: str) -> tuple[float, str]:
    unit = unit.replace("％", "%")
    for prefix, scale in _SCALE.items():
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return number * scale, unit[len(prefix) :]
    return number, unit


def parse_number(s: str) -> float:
    return float(s.replace(",", ""))


_DATE_AFTER = re.compile(r"年|月(?!份?度)|日|号")
_RANK_AFTER = re.compile(r"(?:位|名|$|[，。；、）])")
_RANK_BEFORE = re.compile(r"(?:居|列|排名|位列|位居)[^，。；]{0,6}第$")


def classify(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) for every Arabic number in text; label as the module docstring says."""
    out = []
    for m in NUMBER.finditer(text):
        a, b = m.span()
        before, after = text[max(0, a - 3) : a], text[b : b + 4]
        if a and (text[a - 1].isascii() and text[a - 1].isalpha() or text[a - 1] in "-－" and _code_dash(text, a - 1)):
            label = "code"  # S43, G59, 国道209 is handled below
        elif after[:1].isascii() and after[:1].isalpha() and not after.startswith(("GW", "MW")):
            label = "code"  # 5G, 3D
        elif _DATE_AFTER.match(after) and (after.startswith("年") and len(m.group()) == 4 or not after.startswith("年")):
            label = "date"
        elif before.endswith("第"):
            label = "rank" if _RANK_AFTER.match(after) or _RANK_BEFORE.search(text[max(0, a - 10) : a]) else "ordinal"
        elif after.startswith("周年"):
            label = "date"  # 成立75周年 is an anniversary, not an amount
        elif after.startswith(("号", "路", "线", "国道", "省道")) or before.endswith(("国道", "省道", "县道")):
            label = "code"
        elif QUANTITY.match(text, a) or QUANTITY.match(text, _pre_start(text, a)):
            label = "quantity"
        else:
            label = "bare"
        out.append((a, b, label))
    return out


def _code_dash(text: str, i: int) -> bool:
    """A dash inside a code or range (S43-1, 6.5%－7%), not a minus sign after a word (新增-4.4万个)."""
    return i > 0 and not ("\u4e00" <= text[i - 1] <= "\u9fff")


def read_cn_number(s: str) -> float | None:
    """A Chinese numeral (十, 四万四千, 百分之八, 六点五) as a number, or None; read with cn2an."""
    import cn2an

    pct = s.startswith("百分之")
    body = s[3:] if pct else s
    try:
        return float(cn2an.cn2an(body, "normal"))
    except (ValueError, KeyError, IndexError):
        return None


_ANY_CN_DIGIT = re.compile(f"[{_CN_DIGITS}]")


def cn_quantities(text: str) -> list[tuple[int, int, tuple[int, int, dict], float]]:
    """(start of the number, its end, match, value) of each quantity written in Chinese numerals.

    Only what is unmistakably an amount: a numeral with a unit (or 百分之…), not an ordinal
    (第三), not in a name ("四个一"工程, “十条”), not a span of time (十年来); a count below ten
    without 万/亿 (两件实事, 八项规定) is a name far more often than an amount.
    """
    out = []
    if not _ANY_CN_DIGIT.search(text):
        return out  # every match has a numeral
    for m in CN_QUANTITY.finditer(text):
        num, unit = m.group("num"), m.group("unit") or ""
        if not unit and num[-1] in "万亿" and len(num) > 1:
            num, unit = num[:-1], num[-1]  # "近一亿农村贫困人口": the magnitude is the unit
        pct = num.startswith("百分之") or "百分点" in unit
        if not pct and not unit:
            continue
        a, end = m.start("num"), m.end("unit") if unit else m.end("num")
        nxt = text[end : end + 1]
        if a and text[a - 1] in "第初周星礼“‘\"《" or (nxt and nxt in "”’\"》一两"):
            continue
        magnitude = bool(re.search("[万亿]", num + unit))
        if text.rfind("“", 0, a) > text.rfind("”", 0, a):
            continue  # inside a quoted name: “三年十万大学生留呼工程”
        if unit.endswith("个") and not magnitude and not re.search("[百千]", num):
            continue
        if end < len(text) and text[end] in _CN_DIGITS:
            continue
        value = read_cn_number(num)
        if value is None or (value < 10 and not pct and not magnitude):
            continue
        parts = {"pre": m.group("pre") or "", "num": num, "more": m.group("more") or "", "unit": unit, "post": m.group("post") or ""}
        out.append((a, end, (m.start(), m.end(), parts), value))
    for m in _CN_DURATION.finditer(text):
        value = read_cn_number(m.group("num"))
        if value is None or (m.end() < len(text) and text[m.end()] in _CN_DIGITS + "来内间"):
            continue
        parts = {"pre": "", "num": m.group("num"), "more": "", "unit": m.group("unit"), "post": ""}
        out.append((m.start(), m.end(), (m.start(), m.end(), parts), value))
    return sorted(out, key=lambda x: x[0])


_PRE_QUALS = tuple(sorted(_PRE_QUAL.split("|"), key=len, reverse=True))


def _pre_start(text: str, a: int) -> int:
    for q in _PRE_QUALS:
        if text.startswith(q, a - len(q)):
            return a - len(q)
    return a


def extract(text: str, start: int, end: int, scope_at, clause_id: str = "", context: tuple[str, ...] | str = ()) -> list[Fact]:
    """Facts in text[start:end]; scope_at(pos) gives the Scope in force at a position.

    `context` holds the indicators of the facts before this clause in the same sentence: a
    clause like "今年还要增加3300万平方米" continues the last, "同比分别增长15％、57％" the last few.
    """
    facts: list[Fact] = []
    piece = text[start:end]
    prev_end = 0
    context = (context,) if isinstance(context, str) else tuple(context)
    prev_indicator = context[-1] if context else ""
    queue: list[str] = []  # indicators a "分别" list hands to the values that follow it
    found = []
    for a, b, label in classify(piece):
        tail = _RANGE_TAIL.match(piece, b)
        if label == "bare" and tail and tail.group("unit"):
            label = "quantity"  # "6－6.5%": a range whose unit stands once, at its end
        if label in ("quantity", "rank"):
            found.append((a, b, label, None))
    taken = [(a, b) for a, b, _, _ in found]
    for a, b, m, value in cn_quantities(piece):
        if not any(a < tb and ta < b for ta, tb in taken):
            found.append((a, b, "cn", (m, value)))
    for a, b, label, cn in sorted(found, key=lambda x: x[0]):
        high = None
        if label == "rank":
            m = re.match(r"(位|名)?", piece[b:])
            vs, ve = a - 1, b + len(m.group())
            value, number, unit, qual = piece[vs:ve], float(piece[a:b]), "位", ""
        elif label == "cn":
            (vs, ve, g), number = cn
            unit = g["unit"]
            if g["num"].startswith("百分之"):
                unit = "%" + unit
            value = g["num"] + g["more"] + g["unit"]
            qual = g["pre"] + g["post"]  # 多 (六千多万) stays in the value, where the source writes it
            label = "quantity"
        else:
            high = None
            m = QUANTITY.match(piece, _pre_start(piece, a))
            tail = _RANGE_TAIL.match(piece, b)
            if (not m or m.start("num") != a) and tail and tail.group("unit"):
                # "6－6.5%": the first number takes the unit written after the second
                pre = PRE_QUALIFIER.match(piece, _pre_start(piece, a)) if _pre_start(piece, a) < a else None
                vs, ve = (pre.start() if pre else a), tail.end()
                unit = tail.group("unit")
                value = piece[a : tail.end("unit")]
                number, high = parse_number(piece[a:b]), parse_number(tail.group("num"))
                qual = (pre.group() if pre else "") + (tail.group("post") or "")
                m = None
            elif not m or m.start("num") != a:
                continue
            if m is not None:
                vs, ve = m.span()
                value = m.group("num") + m.group("unit")
                number, unit = parse_number(m.group("num")), m.group("unit")
                qual = (m.group("pre") or "") + (m.group("post") or "")
                tail = _RANGE_TAIL.match(piece, m.end("unit"))
                if not m.group("post") and tail and (tail.group("unit") or "") in ("", m.group("unit")) and tail.group("unit"):
                    # "6.5%－7%": one value, a range
                    ve, value, high = tail.end(), piece[a : tail.end("unit")], parse_number(tail.group("num"))
                    qual += tail.group("post") or ""
            if a and piece[a - 1] in "-－" and not _code_dash(piece, a - 1):
                number, value = -number, piece[a - 1] + value
                vs = min(vs, a - 1)
        if ve <= prev_end:
            continue
        if queue and not re.fullmatch(r"[、和及与，]?", piece[prev_end:vs]):
            queue = []
        if not queue:
            queue = _respectively(piece, vs, ve, prev_end, list(context) + [f.indicator for f in facts])
        indicator = queue.pop(0) if queue else _indicator(piece, vs, ve, prev_end, prev_indicator, label, unit)
        scope = scope_at(start + a)
        lead = _lead(piece, vs, prev_end)
        kind_of_value = _value_kind(lead, piece[ve : ve + 6], unit, facts[-1] if facts else None, prev_end, vs, piece)
        if kind_of_value == RANGE_TO and facts and facts[-1].value_kind == RANGE_FROM:
            indicator = facts[-1].indicator  # "从9899万人减少到3046万人": the same measure's end
        near = re.split(r"[，、]", lead)[-1]
        action = _joint_action(lead) or _action(near) or _action(lead + indicator)
        negated = bool(_NEGATION.search(lead + indicator))
        period = f"{scope.period[0]}—{scope.period[1]}" if scope.period else ""
        facts.append(
            Fact(
                indicator=indicator,
                value=value,
                number=number,
                unit=unit,
                qualifier=qual,
                year=scope.year,
                kind=scope.fact_kind,
                type=label,
                clause_id=clause_id,
                start=start + vs,
                end=start + ve,
                action=action,
                polarity=-1 if negated or number < 0 else 1,
                value_kind=kind_of_value,
                period=period,
                high=high if label != "rank" else None,
            )
        )
        prev_end, prev_indicator = ve, indicator
    return facts


def _lead(piece: str, vs: int, prev_end: int) -> str:
    """The words before a value back to the previous stop (not past a previous value)."""
    a = vs
    while a > 0 and piece[a - 1] not in "；：。！？\n":
        a -= 1
    return piece[a:vs]


def _action(words: str) -> str:
    """The last verb before a value: the one it is counted under (新建充电桩 → 新建)."""
    found = _ACTION.findall(words)
    return found[-1] if found else ""


_WORK_VERB = r"新建|新增|续建|改扩建|改造提升|提升改造|改造|提升"
_JOINT = re.compile(rf"({_WORK_VERB})[、和及与]({_WORK_VERB})[^，；。]*$")


def _joint_action(lead: str) -> str:
    """"新建、改造提升高标准农田27万亩": one figure counted under two actions together."""
    m = _JOINT.search(lead)
    return f"{m.group(1)}、{m.group(2)}" if m else ""


def _value_kind(lead: str, after: str, unit: str, prev: Fact | None, prev_end: int, vs: int, piece: str) -> str:
    """What kind of value a figure is, read from the words around it (module constants)."""
    near = re.split(r"[，、]", lead)[-1]
    between = piece[prev_end:vs]
    if prev is not None and prev.value_kind == RANGE_FROM and _TO.search(between):
        return RANGE_TO
    if _FROM.search(near):
        return RANGE_FROM
    if _SHARE.search(near):
        return SHARE
    if _AVERAGE.search(near):
        return AVERAGE
    if _CUMULATIVE.search(near):
        return CUMULATIVE
    if _DELTA.search(near):
        return RATE if unit in ("％", "%") else DELTA
    if _RATE.search(near) and unit in ("％", "%"):
        return RATE
    if "百分点" in unit and _RATE.search(near):
        return DELTA
    return LEVEL


def _respectively(piece: str, vs: int, ve: int, prev_end: int, before: list[str]) -> list[str]:
    """Indicators for the values of a "分别" list that starts at vs, or [] when there is none.

    "营业总收入和资产总额分别达到62.4亿元、2166.8亿元" names its subjects before 分别;
    "国家高新技术企业达到533家、科技型中小企业达到649家，同比分别增长15％、57％" takes
    them from the figures before it; "总数分别达到912个、638公里" adds 总数 to those.
    """
    a = vs
    while a > prev_end and piece[a - 1] not in _STOPS:
        a -= 1
    lead = piece[a:vs]
    m = re.search(r"^(.*?)(?:同比|比上年|较上年)?分别(.*)$", lead)
    if not m:
        return []
    values = 1
    rest = ve
    while True:
        nxt = QUANTITY.match(piece, rest + 1) if piece[rest : rest + 1] in ("、", "和") else None
        if not nxt:
            break
        values += 1
        rest = nxt.end()
    verb = re.sub(r"^(?:为|是)$", "", m.group(2))
    head = _LEAD.sub("", re.sub(r"(?:同比|比上年|较上年)$", "", m.group(1)))
    items = [_LEAD.sub("", x) for x in re.split(r"[、和及与]", head) if x]
    suffix = ""
    if len(items) != values:
        subjects = before[-values:]
        if len(subjects) != values:
            return []
        suffix = head if len(head) <= 4 else ""  # 总数
        items = [_NEW.sub("", x) for x in subjects] if suffix else subjects
    change = _CHANGE.match(verb) is not None
    return [f"{x}{suffix}{verb if change else ''}" for x in items]


def _indicator(piece: str, vs: int, ve: int, prev_end: int, prev_indicator: str, label: str, unit: str) -> str:
    """The phrase a value measures: the words before it back to a delimiter or the previous value.

    An empty or bare-verb phrase borrows from around it: the words after the value
    ("部署了9项重点工作"), or the subject of the previous value ("…3802亿元、同比增长10％").
    """
    a = vs
    while a > prev_end and piece[a - 1] not in _STOPS:
        a -= 1
    raw = piece[a:vs].lstrip("、，")
    after_m = re.match(r"[^" + re.escape(_STOPS + "、的") + r"]{2,12}", piece[ve:])
    after = after_m.group() if after_m and not NUMBER.search(after_m.group()) else ""
    subject = re.sub(r"(?:完成|实现|达到|为|增长|突破|分别)+$", "", prev_indicator)
    if label == "rank":
        head = re.sub(r"(?:上升到|提升到|上升至|居|位列|位居|排名|排在|排|列|在)?(全国|全区|全省|全市|[^，。；、]{0,8}中)?(?:排名|居|位列|位居)?$", "", raw)
        where = re.search(r"(全国|全区|全省|全市|[^，。；、]{0,8}中)?(?:排名|居|位列|位居)?$", raw).group(1) or ""
        head = _LEAD.sub("", head) or subject
        return f"{head}{where}排名" if head else f"{where}排名"
    ind = _LEAD.sub("", TIME_EXPR.sub("", raw.strip(), count=1) if TIME_EXPR.match(raw.strip()) else raw.strip())
    ind = _LEAD.sub("", ind)
    ind = re.sub(_COMPARED + "(?=.)", "", ind) if not re.fullmatch(_COMPARED + "(?:多|少)", ind) else ind
    ind = re.sub(r"(?:争取|力争|累计|约|近|从|由)$", "", ind)
    if not ind:
        ind = after or subject
    elif _CHANGE.match(ind) and subject:
        # "…2000万平方米、今年还要增加3300万平方米": an amount continues the subject's measure.
        ind = subject + ind if "%" in unit or "％" in unit or "百分点" in unit else subject
    elif subject and re.fullmatch(r"投资|产值|收入|资金|销售额", ind) and re.match(r"^[、，]?(?:完成|实现|带动|拉动)", raw):
        # "实施重点项目1125个、完成投资1355亿元": the investment is the projects' investment.
        ind = subject + ind
    elif subject and _BARE_VERB.fullmatch(ind) and not after:
        # "新建高标准农田14.5万亩、提升改造13万亩": the second works on the same object.
        ind = ind + _OBJECT.sub("", subject)
    elif subject and ind in ("总数", "总量", "总计"):
        ind = _NEW.sub("", subject) + ind  # "新增规上工业企业41户，总数达到322户"
    elif len(ind) <= 3 and after:
        ind = ind + after
    return ind or "（未标明）"
