"""Identifiers with a shape: dates, ages, numbers, addresses on the wire, postcodes.

Each ``find_*`` function takes the whole text and returns `Span`s.  The rules
are general (formats of dates, telephone numbers, NHS numbers, postcodes in
the UK and US), never tuned to one corpus.  Where a shape is also common
clinical writing (``5/10`` pain, ``1/2`` tablet, ``2130`` as a time, ``L4`` a
vertebra) the rule asks for context, and says so in its docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from medanon.text.model import Kind, Span

MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
_MONTH_ALT = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)?"
_DAY = r"(?:3[01]|[12][0-9]|0?[1-9])"
_MON = r"(?:1[0-2]|0?[1-9])"
_YEAR4 = r"(?:1[89][0-9]{2}|20[0-9]{2})"
_YEAR = rf"(?:{_YEAR4}|'?[0-9]{{2}})"

# Dates written with numbers: 04/03/1961, 4-3-61, 04.03.1961, 1961-03-04, 19610304 (with a date word).
_NUMERIC_DATE = re.compile(
    rf"(?<![\w/.])(?<![0-9/.-]-)(?:{_DAY}|{_MON})([/.-])(?:{_DAY}|{_MON})\1{_YEAR}(?![\w/-]|\.[0-9])"
    rf"|(?<![\w/.-]){_YEAR4}([/.-]){_MON}\2{_DAY}(?![\w/-]|\.[0-9])"
)
# Month and day without a year: 7/22, 07-22.  Fractions and scores look the same (see _is_fraction).
_MONTH_DAY = re.compile(rf"(?<![\w/.+])(?<![0-9/.+-]-)({_MON})(/)({_DAY})(?![\w/]|\.[0-9])")
# A range of month/day dates: 10/15-10/16 (the second one is written after a hyphen).
_MONTH_DAY_RANGE = re.compile(
    rf"(?<![\w/.+-])(?P<month>{_MON})/(?P<day>{_DAY})-(?P<second>{_MON}/{_DAY})(?![\w/]|\.[0-9])"
)
# Month and two-digit year: 8/88, 12/93 (the second number cannot be a day).
_MONTH_YEAR = re.compile(rf"(?<![\w/.+-]){_MON}/(?:3[2-9]|[4-9][0-9])(?![\w/]|\.[0-9])")
# A month name alone (not May: a verb) and a day written as an ordinal after "the" or "on".
_MONTH_ALONE = re.compile(r"\b(?:january|february|march|april|june|july|august|september|sept|october|november|"
                          r"december)\b", re.IGNORECASE)
_ORDINAL_DAY = re.compile(
    r"\bon\s+(?:the\s+)?(?P<day>(?:3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th))\b"
    r"|\bthe\s+(?P<day2>(?:3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th))\s+of\b"
    # "it's the 14th.": an ordinal from the 4th on that ends the phrase (the 1st, 2nd, 3rd count attempts)
    r"|\bthe\s+(?P<day3>(?:3[01]|[12][0-9]|[4-9])th|2[123](?:st|nd|rd)|31st)(?=\s*[.,;!?\"'])",
    re.IGNORECASE,
)
_WORD_DATE = re.compile(
    rf"\b(?:{_DAY}{_ORD}\s+{_MONTH_ALT}\.?,\s+[0-9]{{2}}(?=\s+[0-9]{{4}}|\s*$|\s*\n)"  # 14 Mar, 18 1900
    rf"|{_DAY}{_ORD}(?:\s+of)?\s+{_MONTH_ALT}\.?(?:,?\s+{_YEAR4}|\s+'[0-9]{{2}})?"
    rf"|{_MONTH_ALT}\.?\s+{_DAY}{_ORD}(?![0-9])(?:,?\s+{_YEAR4}|\s+'[0-9]{{2}})?"
    rf"|{_MONTH_ALT}\.?,?\s+{_YEAR4}"
    rf"|{_MONTH_ALT}\s+'[0-9]{{2}}"
    rf")\b",
    re.IGNORECASE,
)
_SHORT_YEAR = re.compile(r"(?<![\w'])['\u2019][0-9]{2}\b(?!['\u2019])")
# A two-digit year with the apostrophe after it, as lists of past history write it: AVR 96', TIA 81'.
_YEAR_APOSTROPHE_AFTER = re.compile(r"(?<![\w'\u2019./-])[0-9]{2}(?=['\u2019](?![\w'\u2019]))")
# Before NN' these words make it a length in feet (ambulated 50', 5' 10"), not a year.
_FEET_BEFORE = re.compile(r"\b(?:walk\w*|ambul\w*|amb|gait|feet|ft|distance|hall\w*|height|ht|tall|length|x)\b[^.\n]*$",
                          re.IGNORECASE)
# A four-digit number between 1900 and 2039.
_YEAR_NUMBER = re.compile(r"(?<![\w.,/:-])(?:19[0-9]{2}|20[0-3][0-9])(?:'?[sS])?(?![\w%]|[.,:/][0-9])")
_YEAR_BEFORE = re.compile(
    r"(?:\b(?:in|since|during|year|yr|from|until|till|early|late|mid|summer|winter|spring|autumn|fall|"
    r"circa|dx|dx'd|diagnosed|born|b\.|dob|s/p|status post|history|hx|of|the|last|before|after|by|"
    # events a past history dates: CVA 2004, CABG 2010; and "it is 2019" (orientation)
    r"cva|stroke|tia|mi|ami|imi|nstemi|stemi|nqwmi|qwmi|nqmi|asmi|awmi|iwmi|ipmi|cabg|ptca|pci|stent|stents|avr|"
    r"mvr|repair|resection|surgery|transplant|"
    r"replacement|fracture|fx|dvt|pe|appy|appendectomy|chole|cholecystectomy|hysterectomy|mastectomy|"
    r"lobectomy|colectomy|amputation|ca|cancer|chemo|xrt|radiation|it\s+is|it'?s|"
    + _MONTH_ALT
    + r")\.?|[(,])\s*$",
    re.IGNORECASE,
)
# Past events that a history dates with a two-digit year: CABG 98, s/p IMI 04, 07 PTCA.  The number is a
# year only right beside the event word and with no unit, count or score after it (CABG x3, TIA 2 weeks).
_EVENT_WORDS = (
    # MI with its site or wave written into it (non-Q-wave, anteroseptal, inferior wall): NQWMI, ASMI, IWMI
    r"cva|tia|mi|ami|imi|nstemi|stemi|nqwmi|qwmi|nqmi|asmi|awmi|iwmi|ipmi|cabg|ptca|pci|avr|mvr|dvt|appy|"
    r"appendectomy|cholecystectomy|"
    r"hysterectomy|mastectomy|lobectomy|colectomy|turp|lap\s+chole|chole|cholecystectomy|thr|tkr|hip\s+fx|"
    r"stroke|stent|stented|dx|dx'd|diagnosed"
)
# Before "NN MI" these words make NN a measurement (HR 88 MI ...), not a year.
_MEASURE_BEFORE = re.compile(
    r"(?:\b(?:hr|pulse|bp|sbp|dbp|map|cvp|rr|resp|temp|t|tmax|sat|sats|spo2|o2|wt|weight|k|na|ca|mg|glucose|"
    r"bs|fs|ci|co|svr|pap|peep|ps|fio2|ef|of|x|to|and|or)\s*:?\s*|[0-9%=<>]\s*)$",
    re.IGNORECASE,
)
_EVENT_WORDS_BEFORE = _EVENT_WORDS.split("|stroke")[0]  # a count can come before stents or a diagnosis
# Two-digit numbers are found first (a fast scan), then the words around each are read.
_TWO_DIGITS = re.compile(r"(?<![\w./+-])[0-9]{2}(?![\w%/'\u2019-]|\.[0-9])")
_EVENT_BEFORE_YEAR = re.compile(rf"\b(?:{_EVENT_WORDS})\s*(?:in\s+|-\s*|\(\s*)?$", re.IGNORECASE)
_NOT_A_YEAR_AFTER_EVENT = re.compile(
    r"\s*(?:x\b|%|mm|cm|mg|hours?|hrs?|days?|d\b|weeks?|wks?|months?|mos?|years?|yrs?|y\b|min|minutes?|times|"
    r"percent|vessels?|stents?|grafts?|and\s+[0-9])",
    re.IGNORECASE,
)
_EVENT_AFTER_YEAR = re.compile(rf"\s+(?:{_EVENT_WORDS_BEFORE})\b(?!\s*[x0-9])", re.IGNORECASE)
_TIME_BEFORE = re.compile(r"(?:\b(?:at|@|around|approx|approximately|about|~|by|until|till|from|to|between|"
                          r"since|and|-)\.?|[@~])\s*$", re.IGNORECASE)
_TIME_AFTER = re.compile(r"^\s*(?:h\b|hr|hrs|hours|pm|am|o'?clock|-\s*[0-2][0-9]{3}\b|to\s+[0-2][0-9]{3}\b)",
                         re.IGNORECASE)
_DATE_BEFORE = re.compile(
    r"\b[0-9]{1,2}/[0-9]{1,2}\s*(?:or|to|and|through|thru|-)\s*$|"  # 8/9 or 8/10
    r"\b(?:on|since|until|till|dated|date|admitted|discharged|d/c'?d|seen|done|performed|started|stopped|"
    r"thru|through|mon|tue|tues|wed|thu|thur|thurs|fri|sun|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)\.?\s*:?\s*$",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(r"^\s*(?:cc|ml|mls|mg|mcg|g|kg|gm|units?|u|l|mmol|meq|kcal|cal|ml/h|x|%)\b", re.IGNORECASE)
_FRACTION_BEFORE = re.compile(
    r"\b(?:pain|score|rated|rates|scale|strength|power|motor|grade|murmur|ns|tab|tabs|tablet|tablets|"
    r"dose|of|x|by|ratio|bp|sbp|dbp|map|cvp|pap|peep|ps|vt|rr|fio2|ie|i:e|approx|about|cpap|bipap|psv|simv|imv|"
    r"vent|settings|ac|assist|support|abg|gas|sats?|rate|ratio|mmhg|pip|plat)\s*:?\s*$",
    re.IGNORECASE,
)
_FRACTION_AFTER = re.compile(
    r"^(?:\s*(?:ns|tab|tabs|tablet|tablets|strength|of|cm|mm|mg|ml|cc|units?|dose|power|murmur|sounds?|"
    r"pillows?|assist|lobe|view|lt|rt)\b|\s*[/x])",
    re.IGNORECASE,
)

# Ages: 58 year old, 58-yr-old, 58yo, 58 y/o, aged 58, age: 58, 58M, in her 90s.
_AGE = re.compile(
    r"\b(?P<n>[0-9]{1,3})\s*-?\s*(?P<unit>years?|yrs?|y|months?|mos?|weeks?|wks?|days?)\s*-?\s*(?:old|o\b|/o\b)"
    r"|\b(?P<n2>[0-9]{1,3})\s*(?P<unit2>yo|y\.o\.?|y/o)(?![\w/])"
    r"|\b(?:aged?|age:)\s*(?P<n3>[0-9]{1,3})\b(?!\s*(?:months?|weeks?|days?))"
    r"|\b(?:in\s+(?:his|her|their)\s+)(?P<n4>[0-9]0)'?s\b",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"')\]]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|nhs\.uk|"
                  r"co\.uk|ac\.uk|org\.uk|io|info)(?:/[^\s<>\"')\]]*)?\b", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])"
                   r"(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}(?![\w:])")

# Telephone numbers: +44 161 555 0192, (0161) 555-0192, 212-555-0123, 555-0192, 0161 555 0192.
_PHONE = re.compile(
    r"(?<![\w/.+])(?<![0-9/.+]-)(?:\+?[0-9]{1,3}[\s.-]?)?\(?[0-9]{3}\)?[\s./-]{0,2}[0-9]{3}(?:[\s.-]|/|-\s)[0-9]{4}(?![\w/-]|\.[0-9])"
    r"|(?<![\w/.+-])\+?\(?0[0-9]{2,4}\)?[\s-]?[0-9]{3,4}[\s-]?[0-9]{3,4}(?![\w/-]|\.[0-9])"
    r"|(?<![\w/.+-])\+[0-9]{1,3}[\s-]?(?:\(0\))?[0-9]{2,4}[\s-]?[0-9]{3,4}[\s-]?[0-9]{3,4}(?![\w/-]|\.[0-9])"
    r"|(?<![\w/.:+-])[0-9]{3}-[0-9]{4}(?![\w/-]|\.[0-9])"
    # (212 555 01876): in brackets, 3, 3 and 5 digits: a telephone number typed with a digit too many
    r"|(?<=\()[0-9]{3}[\s.-][0-9]{3}[\s.-][0-9]{5}(?=\))"
)
# A number after a telephone word: pager 1234, beeper #4-5678, ext. 2345, x4567, fax: 555 0192.
_PHONE_CONTEXT = re.compile(
    r"\b(?:tel|telephone|phone|cell|cellular|mobile|mob|fax|pager|beeper|bleep|page|paged|pg|pgr|ext|extension|"
    r"home|work)\b\.?\s*(?:number|no|#)?\s*[:#-]*\s*"
    r"(?P<num>\(?\+?[0-9][0-9()\s-]{2,16}[0-9])(?![\w/]|\.[0-9])",
    re.IGNORECASE,
)
_ID_CONTEXT = re.compile(
    r"\b(?:mrn|mr\s*#|mr\s+no|medical\s+record(?:\s+number|\s+no)?|record\s+(?:number|no)|unit\s+(?:number|no)|"
    r"ur|urn|hospital\s+(?:number|no)|hosp\s+no|patient\s+(?:id|number|no)|pt\s+id|nhs(?:\s+(?:number|no))?|"
    r"chi|ssn|social\s+security(?:\s+number)?|acc(?:ession)?(?:\s+(?:number|no))?|accn|study\s+id|id|"
    r"case\s+(?:number|no)|account(?:\s+(?:number|no))?|acct|insurance(?:\s+(?:number|no))?|policy\s+(?:number|no)|"
    r"member\s+id|licen[cs]e(?:\s+(?:number|no))?)\.?\s*(?:#|:|no\.?|number|is)?\s*[:#]?\s*"
    r"(?P<num>[A-Z]{0,4}[0-9][0-9A-Z/-]{2,19})\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\w-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w-])")
_NHS = re.compile(r"(?<![\w-])[0-9]{3}[\s-]?[0-9]{3}[\s-]?[0-9]{4}(?![\w-])")
_LONG_NUMBER = re.compile(r"(?<![\w.,/-])(?=[0-9A-Z-]*[0-9]{6})[A-Z]{0,3}[0-9][0-9-]{5,}[0-9]\b")
_DEVICE = re.compile(
    r"\b(?:serial|s/n|sn|ser\.?\s*no|serial\s+(?:number|no)|device\s+id|udi|imei|lot(?:\s+(?:number|no))?|"
    r"model\s+(?:number|no))\.?\s*[:#]?\s*(?:is\s+)?(?P<num>[A-Z0-9][A-Z0-9/-]{3,}[A-Z0-9])\b",
    re.IGNORECASE,
)
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*[0-9])(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b")
_PLATE_CONTEXT = re.compile(
    r"\b(?:licen[cs]e\s+plate|number\s+plate|registration|vin|vehicle)\b\s*(?:number|no)?\.?\s*[:#]?\s*"
    r"(?P<num>(?=[A-Z0-9 -]*[0-9])[A-Z0-9][A-Z0-9 -]{1,9}[A-Z0-9])\b",
    re.IGNORECASE,
)
# UK postcodes (full): M13 9PL, SW1A 1AA, LS6 2QH.  Outward codes alone (M13) only with context.
_UK_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKPSTUW]?\s?[0-9][ABD-HJLNP-UW-Z]{2})\b")
_UK_OUTWARD_CONTEXT = re.compile(
    r"\b(?:postcode|post\s+code|postal\s+code|area|district)\s*[:#]?\s*(?P<num>[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKPSTUW]?)\b",
    re.IGNORECASE,
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|"
    "OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
US_STATE_CODES = frozenset(_US_STATES.split("|"))
_ZIP = re.compile(
    rf"(?:\b(?:{_US_STATES})\.?,?\s+|\b(?:zip|zip\s+code|zipcode)\s*[:#]?\s*)(?P<num>[0-9]{{5}}(?:-[0-9]{{4}})?)\b"
)
_ZIP_WORD = re.compile(r"\b(?:zip|zip\s+code|zipcode)\s*[:#]?\s*(?P<num>[0-9]{5}(?:-[0-9]{4})?)\b", re.IGNORECASE)
_STREET_SUFFIX = (
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|close|court|boulevard|blvd|terrace|crescent|"
    r"square|parkway|pkwy|highway|hwy|gardens|grove|mews)"
)
_STREET = re.compile(
    rf"\b[0-9]{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){{1,3}}{_STREET_SUFFIX}\b\.?",
)
_PO_BOX = re.compile(r"\bP\.?\s?O\.?\s+box\s+[0-9]+\b", re.IGNORECASE)


def _spans(pattern: re.Pattern[str], text: str, kind: Kind, why: str, group: str | int = 0) -> list[Span]:
    matches = pattern.finditer(text)
    return [Span(m.start(group), m.end(group), kind, why) for m in matches if m.end(group) > m.start(group)]


def find_dates(text: str) -> list[Span]:
    """Dates in every form: numeric with a year, month/day, words, years in context, ``'19``.

    A month/day pair (``7/22``) is a date unless it reads as a fraction or
    score (``pain 5/10``, ``1/2 NS``, ``BP 120/80`` has no valid month).  A
    four-digit number from 1900 to 2039 is a year when it cannot be a clock
    time (1960-1999) or a word before it says year (``in 2004``, ``since
    2011``, ``March 2019``); ``at 2130`` and ``2000 hrs`` are times.
    """
    spans = _spans(_NUMERIC_DATE, text, Kind.DATE, "date with a year in numbers")
    spans += _spans(_WORD_DATE, text, Kind.DATE, "date with a month name")
    for match in _MONTH_DAY.finditer(text):
        if not _is_fraction(text, match):
            spans.append(Span(match.start(), match.end(), Kind.DATE, "month/day"))
    for match in _MONTH_DAY_RANGE.finditer(text):
        month, day = int(match.group("month")), int(match.group("day"))
        if not (day <= 4 and month < day):  # 1/3-1/2 is a range of fractions
            spans.append(Span(match.start("second"), match.end("second"), Kind.DATE, "range of month/day dates"))
    spans += _spans(_MONTH_YEAR, text, Kind.DATE, "month/year")
    spans += _spans(_MONTH_ALONE, text, Kind.DATE, "month name")
    for match in _ORDINAL_DAY.finditer(text):
        group = next(name for name in ("day", "day2", "day3") if match.group(name))
        spans.append(Span(match.start(group), match.end(group), Kind.DATE, "day written as an ordinal"))
    spans += _spans(_SHORT_YEAR, text, Kind.DATE, "year written with an apostrophe")
    for match in _YEAR_APOSTROPHE_AFTER.finditer(text):
        if not _FEET_BEFORE.search(text[max(0, match.start() - 30) : match.start()]):
            spans.append(Span(match.start(), match.end(), Kind.DATE, "two-digit year with an apostrophe after it"))
    spans += _two_digit_years_beside_events(text)
    for match in _MIXED_SEPARATOR_DATE.finditer(text):
        before = text[max(0, match.start() - 24) : match.start()]
        if not _FRACTION_BEFORE.search(before) and not _FRACTION_AFTER.match(text[match.end() : match.end() + 16]):
            spans.append(Span(match.start(), match.end(), Kind.DATE, "date typed with a full stop for a slash"))
    spans += _spans(_MONTH_DAY_BEFORE_DATE, text, Kind.DATE, "month/day before another date")
    spans += _spans(_MONTH_DAY_ORDINAL, text, Kind.DATE, "month/day with an ordinal")
    spans += _spans(_MONTH_SHORT_AFTER_TIME_WORD, text, Kind.DATE, "short month name after a word of time", "month")
    spans += _days_after_dates(text, spans)
    low = text.lower()
    if any(hint in low for hint in _HOLIDAY_HINTS):
        spans += _spans(_HOLIDAY, text, Kind.DATE, "holiday")
    for match in _ORDINAL.finditer(text):
        if _WEEKDAY_BEFORE.search(text[max(0, match.start() - 16) : match.start()]):
            spans.append(Span(match.start(), match.end(), Kind.DATE, "weekday and an ordinal day"))
    for match in _YEAR_NUMBER.finditer(text):
        if _is_year(text, match):
            spans.append(Span(match.start(), match.end(), Kind.DATE, "year"))
    return spans


# The second day of a range or a pair written after a date: 10/15-16, Dec 3 and 4, on 3rd and 4th.
_DAY_AFTER_DATE = re.compile(
    rf"(?:\s*[-&]\s*|,|\s+(?:and|or|to|thru|through|&)\s+)(?P<day>{_DAY}{_ORD})(?![\w/:]|\.[0-9])"
    r"(?!\s*(?:cc|ml|mls|mg|mcg|g|kg|gm|units?|u\b|l\b|lpm|mmol|meq|x\b|%|hrs?|hours?|min|mins|minutes|days?|weeks?|"
    r"wks?|months?|years?|yrs?|times|am\b|pm\b|breaths?|beats?|bpm|mm|cm|lbs?|pounds?|liters?|litres?))",
    re.IGNORECASE,
)
_DAY_ENDING = re.compile(rf"(?:{_DAY}{_ORD})$", re.IGNORECASE)
# A month/day before another date: 3/4 and 3/5 (on its own, 3/4 reads as a fraction).
_MONTH_DAY_BEFORE_DATE = re.compile(
    rf"(?<![\w/.+-])({_MON})(/)({_DAY})(?=\s*(?:and|or|&)\s*{_MON}/{_DAY}(?![\w/]|\.[0-9]))",
    re.IGNORECASE,
)



# A month/day with an ordinal after the day (on 11/20th): no fraction or score is written so.
_MONTH_DAY_ORDINAL = re.compile(
    rf"(?<![\w/.+-]){_MON}/(?:0?1st|0?2nd|0?3rd|21st|22nd|23rd|31st|(?:0?[4-9]|1[0-9]|2[04-9]|30)th)\b", re.IGNORECASE
)
# A month's short name after a word of time (in Nov, since Feb, end of Oct, last Sept); not dec (decreased),
# mar, may or jan, which are words or names as often.
_MONTH_SHORT_AFTER_TIME_WORD = re.compile(
    r"\b(?:in|since|until|till|of|last|early|late|mid|by|from|thru|through|before|after|during)\s+"
    r"(?P<month>feb|apr|jun|jul|aug|sept?|oct|nov)\b\.?(?!\s*[0-9])",
    re.IGNORECASE,
)
# A date typed with a full stop for its second slash (11/21.94) or its first (11.21/94).
_MIXED_SEPARATOR_DATE = re.compile(
    rf"(?<![\w/.+-])({_MON})(?:/({_DAY})\.|\.({_DAY})/)(?:{_YEAR4}|[0-9]{{2}})(?![\w/]|\.[0-9])"
)


def _two_digit_years_beside_events(text: str) -> list[Span]:
    """``CABG 97``, ``IMI 03.``, ``s/p 06 PTCA``: a two-digit number right after or before a past event."""
    spans: list[Span] = []
    for match in _TWO_DIGITS.finditer(text):
        start, end = match.start(), match.end()
        before = text[max(0, start - 24) : start]
        if _EVENT_BEFORE_YEAR.search(before) and not _NOT_A_YEAR_AFTER_EVENT.match(text, end):
            spans.append(Span(start, end, Kind.DATE, "two-digit year after a past event"))
        elif _EVENT_AFTER_YEAR.match(text, end) and not _MEASURE_BEFORE.search(before[-12:]):
            spans.append(Span(start, end, Kind.DATE, "two-digit year before a past event"))
    return spans


def _days_after_dates(text: str, spans: list[Span]) -> list[Span]:
    """Days that continue a found date: the 16 of 10/15-16, the 4 of Dec 3 and 4, the 4th of the 3rd and 4th."""
    more: list[Span] = []
    for span in spans:
        if not _DAY_ENDING.search(text[span.start : span.end]):
            continue
        match = _DAY_AFTER_DATE.match(text, span.end)
        if match is not None and not re.match(r"\s*/", text[match.end() :]):
            more.append(Span(match.start("day"), match.end("day"), Kind.DATE, "day after a date"))
    return more


# Holidays name a day of the year (HIPAA counts them with dates; deid's own list has them).
# A weekday and a day written as an ordinal: Sat 22nd, Tuesday the 3rd.
_ORDINAL = re.compile(rf"(?<![\w/.-]){_DAY}(?:st|nd|rd|th)\b", re.IGNORECASE)
_WEEKDAY_BEFORE = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?\.?,?\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_HOLIDAY_HINTS = ("christmas", "xmas", "thanksgiving", "easter", "halloween", "hanukkah", "chanukah", "passover",
                  "new year", "memorial", "labor", "labour", "independence", "veterans", "columbus", "president",
                  "valentine", "mother", "father", "boxing", "patrick", "july")
_HOLIDAY = re.compile(
    r"\b(?:christmas|xmas|thanksgiving|easter|halloween|hanukkah|chanukah|passover|new\s+year'?s(?:\s+(?:day|eve))?|"
    r"(?:memorial|labor|labour|independence|veterans|columbus|presidents'?|valentine'?s|mother'?s|father'?s|"
    r"boxing|st\.?\s+patrick'?s)\s+day|fourth\s+of\s+july|4th\s+of\s+july)\b",
    re.IGNORECASE,
)
def _is_fraction(text: str, match: re.Match[str]) -> bool:
    before = text[max(0, match.start() - 24) : match.start()]
    after = text[match.end() : match.end() + 16]
    if _DATE_BEFORE.search(before):
        return False
    if _FRACTION_AFTER.match(after):
        return True
    if int(match.group(3)) > 12 and re.search(r"\bof\s*$", before):
        return False  # "on pm of 9/23": no fraction or score has a 23 below the line after "of"
    if _FRACTION_BEFORE.search(before):
        return True
    if text[text.rfind("\n", 0, match.start()) + 1 : match.start()].strip() == "":
        return False  # a month/day opening a line heads it (3/4 day shift summary)
    month, day = int(match.group(1)), int(match.group(3))
    # 1/2, 3/4, 2/3: vulgar fractions; 5/10, 4/5: scores out of 10 or 5.
    return day in (10, 5) and month <= day or (day <= 4 and month < day)


def _is_year(text: str, match: re.Match[str]) -> bool:
    value = match.group().rstrip("'sS")
    after = text[match.end() : match.end() + 12]
    before = text[max(0, match.start() - 24) : match.start()]
    if _UNIT_AFTER.match(after):
        return False
    number = int(value)
    clock = number % 100 < 60 and number // 100 < 24
    if _TIME_AFTER.match(after) or (clock and _TIME_BEFORE.search(before) and not _YEAR_BEFORE.search(before)):
        return False
    return not clock or _YEAR_BEFORE.search(before) is not None or match.group().lower().endswith("s")


def find_ages(text: str) -> list[Span]:
    """Ages in years: the number only (``58`` in ``58 year old``), so the rounded value can replace it.

    Ages in months, weeks or days (infants) are not adult ages and are kept.
    """
    spans = []
    for match in _AGE.finditer(text):
        for group in ("n", "n2", "n3", "n4"):
            if match.group(group):
                unit = match.group("unit") or match.group("unit2") or "y"
                if _unit_word(unit) == "years":
                    spans.append(Span(match.start(group), match.end(group), Kind.AGE, "age in years"))
                break
    return spans


def _unit_word(unit: str) -> str:
    low = unit.lower()
    if low.startswith("mo"):
        return "months"
    if low.startswith("w"):
        return "weeks"
    if low.startswith("d"):
        return "days"
    return "years"


def nhs_number_valid(digits: str) -> bool:
    """The NHS number modulus 11 check (NHS Data Dictionary): ten digits, weights 10..2, check digit last."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_numbers(text: str) -> list[Span]:
    """Telephone and fax numbers, NHS numbers (mod-11), SSNs, record numbers, serials, vehicles."""
    spans: list[Span] = []
    for match in _NHS.finditer(text):
        if nhs_number_valid(re.sub(r"[\s-]", "", match.group())):
            spans.append(Span(match.start(), match.end(), Kind.ID, "NHS number (modulus 11 check holds)"))
    spans += _spans(_SSN, text, Kind.ID, "social security number")
    for match in _PHONE.finditer(text):
        if not _is_range(match.group()):
            spans.append(Span(match.start(), match.end(), Kind.PHONE, "telephone number"))
    for match in _PHONE_CONTEXT.finditer(text):
        groups = re.findall(r"[0-9]+", match.group("num"))
        if sum(map(len, groups)) >= 4 and all(len(g) >= 3 for g in groups[1:]):
            spans.append(Span(match.start("num"), match.end("num"), Kind.PHONE, "number after a telephone word"))
    spans += _spans(_ID_CONTEXT, text, Kind.ID, "number after a record-number word", "num")
    spans += _spans(_LONG_NUMBER, text, Kind.ID, "number of six or more digits")
    spans += _spans(_DEVICE, text, Kind.DEVICE, "serial after a device word", "num")
    spans += _spans(_VIN, text, Kind.VEHICLE, "vehicle identification number")
    spans += _spans(_PLATE_CONTEXT, text, Kind.VEHICLE, "number after a vehicle word", "num")
    return spans


def _is_range(value: str) -> bool:
    """``500-1000``, ``900-1300``: a range of round numbers (fluid goals), not a local telephone number."""
    parts = value.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return False
    low, high = int(parts[0]), int(parts[1])
    return low < high and high % 100 == 0


def find_addresses(text: str) -> list[Span]:
    """E-mail, URLs, IP addresses, postcodes, ZIP codes, street addresses, PO boxes."""
    spans = _spans(_EMAIL, text, Kind.EMAIL, "e-mail address") if "@" in text else []
    spans += _spans(_URL, text, Kind.URL, "URL")
    spans += _spans(_IPV4, text, Kind.IP, "IPv4 address")
    spans += _spans(_IPV6, text, Kind.IP, "IPv6 address")
    spans += _spans(_UK_POSTCODE, text, Kind.POSTCODE, "UK postcode")
    spans += _spans(_UK_OUTWARD_CONTEXT, text, Kind.POSTCODE, "UK outward code after a postcode word", "num")
    spans += _spans(_ZIP, text, Kind.POSTCODE, "ZIP code after a US state", "num")
    spans += _spans(_ZIP_WORD, text, Kind.POSTCODE, "ZIP code", "num")
    spans += _spans(_STREET, text, Kind.LOCATION, "street address")
    spans += _spans(_PO_BOX, text, Kind.LOCATION, "PO box")
    return spans


DETECTORS: tuple[Callable[[str], list[Span]], ...] = (find_dates, find_ages, find_numbers, find_addresses)
