"""Identity-like text: emails, URLs, phone numbers and people's names, told apart from codes and from the names
of things (airports, airlines, products).

>>> identity_provider(pd.Series(["ann@example.com", "bo@example.org"] * 10))
'email'
>>> identity_provider(pd.Series(["Endeavor Air Inc.", "Lansdowne Airport", "Moton Field Municipal Airport"]))
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import TYPE_CHECKING

from ..distinct import DistinctText
from ..lazy import LazyModule
from .config import InferenceConfig

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.compute as pc
else:
    pd, pc = LazyModule("pandas"), LazyModule("pyarrow.compute")

_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_URL = re.compile(r"^https?://\S+$")
#: A cheap first look: only values shaped like this are handed to the phone-number parser.
_PHONE = re.compile(r"^[+(]?[\d][\d ()./x-]{6,}$")
#: Regions whose national formats are tried (numbers written with ``+`` and a country code parse in any).
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "CA", "AU", "BR")
_NAME = re.compile(r"^[A-Z][a-zA-Z'’.-]*(?: [A-Z][a-zA-Z'’.-]*){0,3}$")
#: Faker locales whose first names tell a person's name from a thing's (``Latoya Li`` from ``Caffe Latte``).
_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "en_IN")
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx"}
#: Share of values with a first name (or a title) above which a column of names names people.
PEOPLE_SHARE = 0.5


def identity_provider(text: pd.Series | DistinctText, config: InferenceConfig | None = None) -> str | None:
    """The Faker provider for identity-like text (email, url, phone_number, first_name, name), or None.

    Several capitalised words are ``name`` (a person's) only when most values hold a first name or a title
    (:func:`names_people`); the names of airports, airlines or products are not people's.
    """
    config = config or InferenceConfig()
    distinct = text if isinstance(text, DistinctText) else DistinctText.of(text)
    sample = distinct.sample(1000)
    if sample.share_matching(_EMAIL.pattern) > config.identity_share:
        return "email"
    if sample.share_matching(_URL.pattern) > config.identity_share:
        return "url"
    if (sample.share_matching(_PHONE.pattern) > config.identity_share
            and sample.mean(pc.count_substring_regex(sample.arrow(), r"\d")) >= 7
            and _mostly_phone_numbers(sample, share=config.phone_parsed_share)):
        return "phone_number"
    # A name is written with lower-case letters: all-capital words (ATL, JFK) are codes.
    if (len(distinct.values) / max(1, distinct.rows) > config.name_distinct_share
            and sample.share_matching(_NAME.pattern) > config.name_share
            and sample.share_matching("[a-z]") > config.name_share):
        if sample.mean(pc.count_substring(sample.arrow(), " ")) + 1 < 1.5:
            return "first_name"  # one word (first names, pets' names): Faker's first names stand in well
        # Several capitalised words are a person's name only when most hold a first name or a title: "Lansdowne
        # Airport" and "Endeavor Air Inc." have a name's shape but name things, and their twins must not be people.
        return "name" if names_people(sample.values) else None
    return None


@functools.lru_cache(maxsize=1)
def _person_words() -> tuple[frozenset[str], frozenset[str]]:
    """Faker's first names (with titles) and last names over :data:`_LOCALES`, lower-cased."""
    first: set[str] = set(_TITLES)
    last: set[str] = set()
    for locale in _LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        first |= {str(n).lower() for n in provider.first_names}
        last |= {str(n).lower() for n in provider.last_names}
    return frozenset(first), frozenset(last)


def names_people(values: pd.Series, share: float = PEOPLE_SHARE) -> bool:
    """Whether names are people's: at least ``share`` of the distinct values hold a first name or a title, or
    end with a last name (``Bo Chen``: a short first name the lists miss).

    >>> names_people(pd.Series(["Latoya Li", "Glenn Meadows", "Mr. Jermaine Reese"]))
    True
    >>> names_people(pd.Series(["Caffe Latte", "Drip Coffee", "Green Tea", "Espresso"]))
    False
    >>> names_people(pd.Series(["Lansdowne Airport", "Schaumburg Regional", "Endeavor Air Inc."]))
    False
    """
    distinct = pd.Series(values.dropna().astype(str).unique()[:1000])
    if distinct.empty:
        return False
    first, last = _person_words()
    tokens = distinct.str.lower().str.findall(r"[^\W\d_]+")
    person = tokens.map(lambda ws: any(w in first for w in ws) or (len(ws) > 1 and ws[-1] in last))
    return float(person.mean()) >= share


def is_phone_number(text: str) -> bool:
    """True when the whole text is a valid phone number written in its country's digit grouping.

    A regular expression cannot tell ``2015-017257`` (a year and a running number) from a phone number, and
    even a parser finds a valid New Jersey number in those digits; what gives an identifier away is its
    grouping, so the parser's strict-grouping check is what decides.

    >>> is_phone_number("(201) 501-7257"), is_phone_number("+44 20 7946 0958"), is_phone_number("2015-017257")
    (True, True, False)
    """
    import phonenumbers  # imported here: only fitting and auditing need it, not generating

    strict = phonenumbers.Leniency.STRICT_GROUPING
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=strict):
            if match.start == 0 and match.end == len(text):
                return True
    return False


def _mostly_phone_numbers(sample: DistinctText, draws: int = 200, share: float = 0.9) -> bool:
    """Whether at least ``share`` of up to ``draws`` distinct values are phone numbers (stops once that is out of reach)."""
    values = sample.values.iloc[:draws].tolist()
    allowed = int(len(values) * (1 - share))
    misses = 0
    for v in values:  # the parser works on one string at a time; the early stop keeps identifiers cheap
        if not is_phone_number(str(v).strip()):
            misses += 1
            if misses > allowed:
                return False
    return True
