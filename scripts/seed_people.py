"""Made-up people for a seeded workspace: names, companies and emails from Faker in each country's locale,
and mobile numbers that `phonenumbers` holds valid for that country, in E.164. Everything is drawn from
the random generators given, so the same seed gives the same people."""
from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import phonenumbers
from faker import Faker
from faker.config import AVAILABLE_LOCALES
from phonenumbers import PhoneNumber, PhoneNumberType

# The locale a country's people are drawn from where the country has several (else its only one).
PREFERRED_LOCALES = {"US": "en_US", "GB": "en_GB", "IN": "en_IN", "CA": "en_CA", "IE": "en_IE", "NG": "en_NG",
                     "PH": "en_PH", "PK": "en_PK", "CH": "de_CH", "BE": "nl_BE", "ES": "es_ES", "FR": "fr_FR",
                     "DE": "de_DE", "IT": "it_IT", "BR": "pt_BR", "PT": "pt_PT", "MX": "es_MX", "LU": "fr_LU",
                     "AU": "en_AU", "NZ": "en_NZ", "KE": "en_KE", "TH": "th_TH"}
MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
PREFIXES = 250  # distinct leading digits learnt per country (at most): numbers then cost one validity check each
MAX_TRIES = 3_000_000
NAME_POOL = 2_000  # names drawn per country and part (first, last)


class SeedDataError(ValueError):
    """A country that cannot be seeded (no Faker locale, no mobile numbers)."""


def locale_for(region: str) -> str:
    """The Faker locale of an ISO country code ('IT' -> 'it_IT'), or SeedDataError."""
    region = region.upper()
    if region in PREFERRED_LOCALES:
        return PREFERRED_LOCALES[region]
    found = sorted(loc for loc in AVAILABLE_LOCALES if loc.endswith("_" + region))
    if not found or region not in phonenumbers.SUPPORTED_REGIONS:
        raise SeedDataError(f"No Faker locale or phone numbering plan for country {region!r}.")
    return found[0]


class MobileNumbers:
    """Random mobile numbers of one country, valid per `phonenumbers`, never the same one twice.

    Random digits of a mobile length are valid rarely for some plans (2 % in Germany), so the leading digits
    of a few hundred valid mobile numbers are learnt first; a number is then one of them with four random
    digits, checked for validity once. (Random national numbers never start with 0, so they fit an int.)"""

    def __init__(self, region: str, rng: random.Random, taken: set[str], prefixes: int = PREFIXES) -> None:
        self.region, self.wanted = region.upper(), prefixes
        if self.region not in phonenumbers.SUPPORTED_REGIONS:
            raise SeedDataError(f"{region!r} is not a country phonenumbers knows.")
        self.rng, self.taken = rng, taken
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(self.region)
        self.code = metadata.country_code
        desc = metadata.mobile if metadata.mobile and metadata.mobile.possible_length else metadata.general_desc
        self.lengths = [n for n in desc.possible_length if n > 4]
        self.prefixes = self._learn_prefixes()

    def _valid(self, national: str) -> bool:
        number = PhoneNumber(country_code=self.code, national_number=int(national))  # no leading 0: see callers
        return phonenumbers.is_valid_number_for_region(number, self.region)

    def _mobile(self, national: str) -> bool:
        number = PhoneNumber(country_code=self.code, national_number=int(national))
        return (phonenumbers.is_valid_number_for_region(number, self.region)
                and phonenumbers.number_type(number) in MOBILE_TYPES)

    def _learn_prefixes(self) -> list[str]:
        prefixes: set[str] = set()
        for _ in range(MAX_TRIES):
            length = self.rng.choice(self.lengths)
            national = str(self.rng.randrange(10 ** (length - 1), 10 ** length))
            if self._mobile(national):
                prefixes.add(national[:-4])
                if len(prefixes) >= self.wanted:
                    break
        if not prefixes:
            raise SeedDataError(f"Found no valid mobile number for {self.region}.")
        return sorted(prefixes)

    def next(self) -> str:
        """A new valid mobile number in E.164 (also added to `taken`)."""
        for _ in range(1000):
            national = f"{self.rng.choice(self.prefixes)}{self.rng.randrange(10_000):04d}"
            e164 = f"+{self.code}{national}"
            if e164 not in self.taken and self._valid(national):
                self.taken.add(e164)
                return e164
        raise SeedDataError(f"Ran out of new mobile numbers for {self.region}.")


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    company: str
    phones: list[str]
    region: str


def ascii_word(text: str) -> str:
    """'José María' -> 'josemaria': what an email address made from a name would hold."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


class People:
    """People of the given countries, each drawn from their country's locale; one Faker per country.
    `size`: about how many will be drawn, which sizes the pools of names and of number prefixes."""

    def __init__(self, regions: list[str], seed: int, taken_phones: set[str], size: int = 10_000) -> None:
        self.regions = [r.upper() for r in regions]
        self.name_pool = min(NAME_POOL, max(100, size))
        self.prefixes = min(PREFIXES, max(20, size // 20))
        self.rng = random.Random(f"{seed}:people")
        self.seed, self.taken_phones = seed, taken_phones
        self.fakers: dict[str, Faker] = {}
        for k, region in enumerate(self.regions):
            faker = Faker(locale_for(region))
            faker.seed_instance(seed * 1009 + k)
            self.fakers[region] = faker
        self._numbers: dict[str, MobileNumbers] = {}  # made when first needed: learning a plan takes a moment
        self._companies: dict[str, list[str]] = {}
        self._pools: dict[str, list[str]] = {}

    def numbers(self, region: str) -> MobileNumbers:
        if region not in self._numbers:
            self._numbers[region] = MobileNumbers(region, random.Random(f"{self.seed}:phones:{region}"),
                                                  self.taken_phones, self.prefixes)
        return self._numbers[region]

    def full_name(self, region: str | None = None) -> tuple[str, str]:
        region = region or self.rng.choice(self.regions)
        gender = self.rng.choice(("male", "female"))  # some languages' surnames follow it (Petrov, Petrova)
        first = self.rng.choice(self._names(region, "first", gender))
        return first, self.rng.choice(self._names(region, "last", gender))

    def _domains(self, region: str) -> list[str]:
        """The locale's free email domains, drawn with Faker's weights once."""
        key = f"{region}:domain"
        if key not in self._pools:
            self._pools[key] = [self.fakers[region].free_email_domain() for _ in range(200)]
        return self._pools[key]

    def _names(self, region: str, part: str, gender: str) -> list[str]:
        """A pool of the locale's first or last names, drawn with Faker's weights once: drawing each name from
        Faker costs ten times as much, which 100,000 contacts notice."""
        key = f"{region}:{part}:{gender}"
        if key not in self._pools:
            draw = getattr(self.fakers[region], f"{part}_name_{gender}")
            self._pools[key] = [draw() for _ in range(self.name_pool // 2)]
        return self._pools[key]

    def company(self, region: str) -> str:
        """A company of the country: drawn from a pool, so colleagues share one as in a real address book."""
        pool = self._companies.setdefault(region, [])
        if len(pool) < 300 or self.rng.random() < 0.05:
            pool.append(self.fakers[region].company()[:255])
            return pool[-1]
        return self.rng.choice(pool)

    def email(self, region: str, first: str, last: str) -> str:
        faker = self.fakers[region]
        local = ".".join(w for w in (ascii_word(first), ascii_word(last)) if w)
        if not local:  # a script without Latin letters
            local = ascii_word(faker.user_name()) or f"customer{self.rng.randrange(10 ** 6)}"
        if self.rng.random() < 0.6:
            local += str(self.rng.randrange(1, 1000))
        return f"{local}@{self.rng.choice(self._domains(region))}"

    def person(self, *, phones: int = 1, with_email: float = 0.85, with_company: float = 0.6) -> Person:
        region = self.rng.choice(self.regions)
        first, last = self.full_name(region)
        email = self.email(region, first, last) if self.rng.random() < with_email else ""
        company = self.company(region) if self.rng.random() < with_company else ""
        numbers = [self.numbers(region).next() for _ in range(phones)]
        return Person(first[:128], last[:128], email[:255], company, numbers, region)
