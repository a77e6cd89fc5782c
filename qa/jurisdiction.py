"""Jurisdiction: which government a document (and so each of its figures) speaks for.

A catalog entry may state `region` (全国, 呼和浩特市, 赛罕区 …) and `level` (national,
province, city, county); when it does not, both are read from the issuer: 国务院 and the
CPC Central Committee speak for 全国, "呼和浩特市人民政府" and "中共呼和浩特市委员会" for
呼和浩特市. Figures of different jurisdictions are never compared as one measure.
"""

from __future__ import annotations

import re

NATIONAL, PROVINCE, CITY, COUNTY = "national", "province", "city", "county"
LEVELS = (NATIONAL, PROVINCE, CITY, COUNTY)
NATION = "全国"

_NATIONAL_ISSUER = re.compile(r"^(?:国务院|中共中央|中国共产党中央委员会|中央委员会|全国人民代表大会|全国人大|国家|中华人民共和国)")
_LOCAL = re.compile(
    r"^(?:中共|中国共产党)?(?P<region>[\u4e00-\u9fff]{2,12}?(?P<suffix>自治区|特别行政区|省|自治州|地区|盟|市|自治县|县|自治旗|旗|区))"
    r"(?:第[一二三四五六七八九十百]+届)?(?:人民政府|人民代表大会|委员会|委|政府|人大|办公厅|办公室|发展和改革委员会|.{0,10}局)"
)
_LEVEL_OF_SUFFIX = {
    "自治区": PROVINCE, "特别行政区": PROVINCE, "省": PROVINCE,
    "自治州": CITY, "地区": CITY, "盟": CITY, "市": CITY,
    "自治县": COUNTY, "县": COUNTY, "自治旗": COUNTY, "旗": COUNTY, "区": COUNTY,
}
# Words a question or claim uses to name a level without naming the place (not 国家: 国家高新技术企业
# is a national title a city's firm holds).
LEVEL_WORDS = {"全国": NATIONAL, "国务院": NATIONAL, "全省": PROVINCE, "全区": PROVINCE, "全市": CITY, "全县": COUNTY, "全旗": COUNTY}


# China's provincial-level divisions: a question naming one asks about that place, which a corpus
# of other places cannot answer.
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏",
    "宁夏", "新疆", "香港", "澳门",
)
_PROVINCE = re.compile("(" + "|".join(PROVINCES) + r")(市|省|自治区|特别行政区)?")


def from_issuer(issuer: str) -> tuple[str, str]:
    """(region, level) an issuer speaks for; ("", "") when the issuer does not say."""
    issuer = issuer.strip()
    if not issuer:
        return "", ""
    if _NATIONAL_ISSUER.match(issuer):
        return NATION, NATIONAL
    m = _LOCAL.match(issuer)
    if m:
        return m.group("region"), _LEVEL_OF_SUFFIX[m.group("suffix")]
    return "", ""


def short_name(region: str) -> str:
    """A region's name without its administrative suffix (呼和浩特市 → 呼和浩特), for matching questions."""
    if region == NATION:
        return region
    short = re.sub(r"(?:自治区|特别行政区|省|自治州|地区|盟|市|自治县|县|自治旗|旗|区)$", "", region)
    return short if len(short) >= 2 else region


def named(text: str, regions: dict[str, str]) -> str | None:
    """The jurisdiction a question or claim names, among the corpus' regions ({region: level}).

    A place name wins ("呼和浩特"); otherwise a level word (全国, 全市) names the one region of
    that level in the corpus, when there is exactly one. None when nothing is named.
    """
    for region in sorted(regions, key=len, reverse=True):
        if region and region != NATION and short_name(region) in text:
            return region
    m = _PROVINCE.search(text)
    if m and (m.group(2) or not re.match(r"[\u4e00-\u9fff]{0,2}(?:路|街|大学|银行|机场|站)", text[m.end() :])):
        name = m.group(1)
        known = next((r for r in regions if r.startswith(name)), None)
        return known or name + (m.group(2) or "")
    for word, level in LEVEL_WORDS.items():
        # "全国排名第30位", "居全区第1": a ranking among places, not the place the figure is for.
        if re.search(word + r"(?!.{0,4}(?:排名|排第|第|前列|首位|领先|率先|同类|大城市|城市中))", text):
            of_level = [r for r, lv in regions.items() if lv == level]
            if len(of_level) == 1:
                return of_level[0]
            if level == NATIONAL:
                return NATION  # named even when the corpus holds no national document
    return None


def district(text: str, places, regions: dict[str, str], words) -> str | None:
    """A district, county or banner a question names (赛罕区, 托县, 土左旗), among a corpus's own
    place names (its lexicon's ns words), when no document speaks for it as its region.

    Matched on the question's words (`words`: text → list of words, the tokenizer's cut), so a
    place name inside another word is not named.
    """
    ws = list(words(text))
    candidates = []
    for i, w in enumerate(ws):
        nxt = ws[i + 1] if i + 1 < len(ws) and ws[i + 1] in ("区", "县", "旗") else ""
        if w in places:
            candidates.append((w, nxt))
        elif w[:-1] in places and w[-1] in "区县旗":  # 玉泉区 read as one word
            candidates.append((w[:-1], w[-1]))
    for place, suffix in sorted(candidates, key=lambda x: -len(x[0])):
        name = place if place.endswith(("区", "县", "旗")) else (place + suffix if suffix else "")
        if name and not any(r.endswith(name) or short_name(r) == place for r in regions):
            return name
    return None


# Areas inside a government's jurisdiction that documents report figures for: designated zones
# (综保区, 高新区, 经开区, 自贸区, 新区 …). A figure whose indicator opens with one measures that area.
_ZONE = re.compile(
    r"^[\u4e00-\u9fff]{0,8}?(?:综合保税区|综保区|保税区|经济技术开发区|经开区|高新技术产业开发区|高新区|开发区|自由贸易试验区|自贸区|自贸试验区|新区|片区)"
)


def sub_area(indicator: str, places=()) -> str:
    """The area inside the document's jurisdiction that a figure is for, when its indicator opens
    with one: a designated zone (综保区进出口总额 → 综保区) or one of the corpus's districts,
    counties or banners (its lexicon's place names ending in 区, 县 or 旗: 赛罕区, 托县); else ""."""
    m = _ZONE.match(indicator)
    if m:
        return m.group()
    for place in sorted(places, key=len, reverse=True):
        if place.endswith(("区", "县", "旗")) and indicator.startswith(place):
            return place
    return ""
