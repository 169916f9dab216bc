#!/usr/bin/env python3
"""Generate the clinical/technical vocabulary of medanon's descriptor cleaner.

    python tools/generate_vocabulary.py [--out PATH] [--check]

The PS3.15 Clean Descriptors Option (``medanon.text.clean_descriptor``) keeps
a word of free text only if it is *proven* harmless: it must be in this
vocabulary (or match a narrow technical pattern in ``descriptors.py``).  The
vocabulary is built, offline, from data other people maintain, never typed by
hand (STYLE.md section 6):

* words of the attribute names in pydicom's data dictionary
  (``pydicom._dicom_dict.DicomDictionary``, PS3.6);
* words of the code meanings in pydicom's generated PS3.16 concept dictionary
  (``pydicom.sr._concepts_dict.concepts``: SNOMED CT, DCM, LOINC, ... codes:
  anatomy, procedures, findings, units), which include the meanings of
  CID 4031 "Common Anatomic Regions", the coded equivalents of the Body Part
  Examined defined terms (PS3.16 Annex L);
* ``RADIOLOGY_ABBREVIATIONS`` below: the one short, hand-kept list, of
  abbreviations that radiology descriptors use and the sources lack.

From that union it subtracts everything that can name a person or a place:

* all first names, last names, name prefixes (Mr, Dr, Frau, ...), city,
  state/county/region/province names and street suffixes of the Faker
  locales in ``FAKER_LOCALES`` (Faker is a generation-time tool only, never a
  runtime dependency), with and without accents;
* eponyms and other proper nouns of the code meanings: any word written with a
  possessive ``'s`` anywhere (``Crohn's``, ``Meyer's loop``), and any word that
  the meanings only ever write capitalised, never in lower case, after the
  first word of a meaning (``Hodgkin``, ``AC by GA, Hadlock 1984``);
* ``DENY`` below: month and weekday names (dates of study identify) and
  honorifics Faker does not list;
* words of one letter (except ``l`` and ``r``) and words with digits (the
  cleaner's patterns handle ``t1``, ``3d``, ``5mm``, ...).

Words are lower-case ASCII letters only.  Run with ``--check`` to compare the
committed module with what this script produces today (exit 1 on a mismatch).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "medanon" / "text" / "_vocabulary.py"

FAKER_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
# Faker attributes whose values name a person or a place.
FAKER_PERSON_ATTRS = (
    "first_names",
    "first_names_female",
    "first_names_male",
    "first_names_nonbinary",
    "last_names",
    "prefixes",
    "prefixes_female",
    "prefixes_male",
    "prefixes_nonbinary",
)
FAKER_ADDRESS_ATTRS = (
    "cities",
    "states",
    "counties",
    "regions",
    "provinces",
    "departments",
    "street_suffixes",
    "street_suffixes_long",
    "street_suffixes_short",
    "street_prefixes",
)

# Radiology abbreviations common in Study/Series Descriptions that neither the
# data dictionary nor PS3.16 spells as words.  Keep this list short: every
# entry is a word that survives cleaning.  (Tokens with digits or symbols,
# such as t1, 3d, c+, c-, are patterns in descriptors.py, except w/o, which
# the cleaner's tokeniser reads as one token.)
RADIOLOGY_ABBREVIATIONS = (
    "w", "wo", "w/o", "ax", "axi", "cor", "sag", "flair", "dwi", "adc", "swi", "mip", "mpr",
    "hrct", "cta", "ctpa", "pet", "spect", "mra", "mrv", "mrcp", "kub", "ap", "pa", "lat", "obl",
    "iv", "po", "bilat", "lt", "rt", "l", "r", "fs", "stir", "gre", "tse", "fse", "dti", "mprage",
)  # fmt: skip

# Words that must never survive although a source lists them: dates of study
# identify (months, weekdays) and honorifics introduce names.
DENY = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lord", "lady", "rev", "st",
)  # fmt: skip

# PS3.16 context groups whose meanings are names of people or places, not
# clinical words: animal breeds and registries (place and breeder names),
# equations and tables named after their authors (``Hadlock 1984``),
# eponymous projections, dose reference authorities.  A meaning used only in
# these groups is left out; the script refuses a pydicom whose names differ.
EXCLUDED_CIDS = {
    228: "EquationorTable",
    3663: "BodySurfaceAreaEquation",
    3664: "OxygenConsumptionEquation/Table",
    3666: "P50Equation",
    3668: "FraminghamTable",
    4012: "ProjectionEponymousName",
    4236: "IOLCalculationFormula",
    7480: "Breed",
    7481: "BreedRegistry",
    7490: "ResearchAnimalSourceRegistry",
    10015: "CTDoseReferenceAuthority",
    10040: "RadiopharmaceuticalOrganDoseReferenceAuthority",
    12012: "OBEquation/Table",
    12013: "GestationalAgeEquation/Table",
    12014: "OBFetalBodyWeightEquation/Table",
    12015: "FetalGrowthEquation/Table",
    12016: "EstimatedFetalWeightPercentileEquation/Table",
}

# SNOMED CT semantic tags of meanings left out for the same reason: organisms
# are mostly animal breeds named after places and breeders.
EXCLUDED_TAGS = ("(organism)",)

SHORT_ALLOWED = frozenset({"l", "r"})
# Lower-case words that Title Case meanings keep small ("Area Density in
# Convex Hull"): their presence does not make a meaning sentence case.
_FUNCTION_WORDS = frozenset(
    {"with", "without", "from", "into", "onto", "over", "under", "than", "that", "this", "upon", "within"}
)

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")
_POSSESSIVE = re.compile(r"([A-Za-z]+)['\u2019]s\b")
_LETTERS = re.compile(r"[a-z]+")
# Two capitalised words joined by a hyphen: Swann-Ganz, Winston-Lutz.
_EPONYM_PAIR = re.compile(r"\b([A-Z][a-z]+)-([A-Z][a-z]+)\b")


def _fold(text: str) -> str:
    """Lower-case ``text`` and strip accents (``José`` -> ``jose``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    """Words of ``text`` as written, split at symbols, possessive ``'s`` removed.

    Words with digits come back too (``T1``, ``99m``): ``build`` drops them.
    """
    return [re.split("['\u2019]", w)[0] for w in _WORD.findall(text)]


def dictionary_words() -> set[str]:
    """Lower-case words of the attribute names in pydicom's data dictionary."""
    from pydicom._dicom_dict import DicomDictionary

    words: set[str] = set()
    for entry in DicomDictionary.values():
        words.update(w.lower() for w in _words(entry[2]))
    return words


def code_meanings() -> tuple[list[str], list[str]]:
    """Code meanings of pydicom's generated PS3.16 concept dictionary.

    Returns (used, all): ``used`` leaves out the meanings whose context groups
    all name people or places (``EXCLUDED_CIDS``); ``all`` is every meaning,
    for finding proper nouns.
    """
    from pydicom.sr._cid_dict import name_for_cid
    from pydicom.sr._concepts_dict import concepts

    for cid, name in EXCLUDED_CIDS.items():
        if name_for_cid.get(cid) != name:
            raise SystemExit(f"CID {cid} is {name_for_cid.get(cid)!r} in pydicom, expected {name!r}")
    used: list[str] = []
    every: list[str] = []
    for scheme in concepts.values():
        for codes in scheme.values():
            for meaning, cids in codes.values():
                every.append(meaning)
                if meaning.endswith(EXCLUDED_TAGS):
                    continue
                if not cids or not set(cids) <= EXCLUDED_CIDS.keys():
                    used.append(meaning)
    return used, every


def meaning_words(meanings: Iterable[str]) -> tuple[set[str], set[str]]:
    """Return (all lower-case words, proper nouns) of the code meanings.

    A proper noun is a word used with a possessive ``'s`` anywhere, or a word
    that no meaning ever writes in lower case and that some meaning writes
    capitalised either after the first word of a sentence-case meaning or in
    a hyphenated pair of capitalised words (``Swann-Ganz``).  A meaning is sentence case
    when a later word of four or more letters, not a function word, is in
    lower case (``Non-Hodgkin lymphoma``); Title Case meanings (``Internal
    Auditory Canal``) say nothing about proper nouns and are not used.
    """
    words: set[str] = set()
    lower_seen: set[str] = set()
    capitalised_inner: set[str] = set()
    possessive: set[str] = set()
    for meaning in meanings:
        possessive.update(m.lower() for m in _POSSESSIVE.findall(meaning))
        for pair in _EPONYM_PAIR.findall(meaning):
            capitalised_inner.update(part.lower() for part in pair)
        written = _words(meaning)
        sentence_case = any(
            w.islower() and len(w) >= 4 and w not in _FUNCTION_WORDS for w in written[1:]
        )
        for index, word in enumerate(written):
            low = word.lower()
            words.add(low)
            if word == low:
                lower_seen.add(low)
            elif sentence_case and index > 0 and word[0].isupper() and word[1:].islower():
                capitalised_inner.add(low)
    return words, possessive | (capitalised_inner - lower_seen)


def _possessives(meanings: Iterable[str]) -> set[str]:
    return {m.lower() for meaning in meanings for m in _POSSESSIVE.findall(meaning)}


def faker_words() -> tuple[set[str], str]:
    """Person and place words of the Faker locales, folded; and Faker's version.

    Every word of a one-word value is a name.  In a value of several words
    (``Tyne and Wear``, ``San Martino In Strada``, ``van de Water``) a word of
    three letters or fewer that is never a value on its own is a particle,
    not a name, and is not returned; every other word is.
    """
    import faker

    values: list[str] = []
    for locale in FAKER_LOCALES:
        for kind, attrs in (("person", FAKER_PERSON_ATTRS), ("address", FAKER_ADDRESS_ATTRS)):
            provider = importlib.import_module(f"faker.providers.{kind}.{locale}").Provider
            for attr in attrs:
                for value in getattr(provider, attr, ()):  # tuples, lists, or dicts keyed by name
                    # fr_FR departments are (number, name) pairs.
                    values.extend(value if isinstance(value, tuple) else (value,))
    split = [_name_words(str(value)) for value in values]
    singles = {parts[0] for parts in split if len(parts) == 1}
    words: set[str] = set()
    for parts in split:
        words.update(p for p in parts if len(parts) == 1 or len(p) > 3 or p in singles)
    return words, faker.VERSION


def _name_words(value: str) -> list[str]:
    """Lower-case ASCII words of a name, accents stripped (``Pößneck`` -> ``possneck``)."""
    return [w for w in re.split(r"[^a-z]+", _fold(value)) if w]


def build() -> tuple[frozenset[str], dict[str, int], str]:
    """Build the vocabulary; return (words, counts, source description)."""
    import pydicom
    from pydicom._version import __dicom_version__

    dict_words = dictionary_words()
    meanings, all_meanings = code_meanings()
    concept_words, _ = meaning_words(meanings)
    _, proper = meaning_words(all_meanings)
    # A word of the data dictionary is a DICOM term, not a proper noun, unless
    # some meaning writes it with a possessive 's.
    proper -= dict_words - _possessives(all_meanings)
    names, faker_version = faker_words()

    candidates = dict_words | concept_words | set(RADIOLOGY_ABBREVIATIONS)
    counts = {
        "dictionary_words": len(dict_words),
        "code_meanings": len(all_meanings),
        "code_meanings_used": len(meanings),
        "code_meaning_words": len(concept_words),
        "abbreviations": len(RADIOLOGY_ABBREVIATIONS),
        "candidates": len(candidates),
    }
    shaped = {w for w in candidates if w in SHORT_ALLOWED or (len(w) >= 2 and _shape_ok(w))}
    counts["dropped_shape"] = len(candidates) - len(shaped)
    counts["dropped_names_places"] = len(shaped & names)
    counts["dropped_proper_nouns"] = len((shaped - names) & proper)
    counts["dropped_deny"] = len((shaped - names - proper) & set(DENY))
    vocabulary = frozenset(shaped - names - proper - set(DENY))
    counts["vocabulary"] = len(vocabulary)
    source = (
        f"pydicom {pydicom.__version__} data dictionary attribute names and PS3.16 "
        f"code meanings (DICOM {__dicom_version__}), plus {len(RADIOLOGY_ABBREVIATIONS)} "
        f"radiology abbreviations; minus Faker {faker_version} names and places "
        f"({', '.join(FAKER_LOCALES)}), eponyms/proper nouns, months, weekdays, honorifics"
    )
    return vocabulary, counts, source


def _shape_ok(word: str) -> bool:
    """Lower-case ASCII letters only, or one of the abbreviations with a slash."""
    return word.isascii() and (word.isalpha() or word in RADIOLOGY_ABBREVIATIONS)


def render(vocabulary: frozenset[str], counts: dict[str, int], source: str) -> str:
    """Python source of ``_vocabulary.py``."""
    lines = [
        f'"""Clinical/technical vocabulary of the descriptor cleaner.',
        "",
        f"generated by tools/generate_vocabulary.py from {source}; do not edit.",
        "",
        "Counts: " + ", ".join(f"{k}={v}" for k, v in counts.items()) + ".",
        '"""',
        "",
        f"VOCABULARY_SOURCE = {source!r}",
        "",
        f"VOCABULARY_COUNTS = {counts!r}",
        "",
        "VOCABULARY: frozenset[str] = frozenset(",
        "    {",
    ]
    lines += [f"        {word!r}," for word in sorted(vocabulary)]
    lines += ["    }", ")", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="module to write")
    parser.add_argument("--check", action="store_true", help="compare with --out; write nothing")
    args = parser.parse_args(argv)

    vocabulary, counts, source = build()
    text = render(vocabulary, counts, source)
    for key, value in counts.items():
        print(f"{key:>22}: {value}")
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: re-run tools/generate_vocabulary.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
