"""Users: signups growing over the period, attributes for the audience API, and the hidden
per-user behaviour (persona, activity level, lifetime) that drives their events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ducky.datasets.generator.personas import PERSONA_SPECS, PERSONAS
from ducky.datasets.generator.seasonality import Calendar

if TYPE_CHECKING:
    import datetime as dt

    import pyarrow as pa

    from ducky.datasets.generator.searches import UserSearch

# Countries (ISO 3166-1 alpha-2) with their share of users and the regions users live in.
COUNTRIES: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    (
        "US",
        0.45,
        (
            ("California", 11.8),
            ("Texas", 9.0),
            ("Florida", 6.7),
            ("New York", 5.9),
            ("Pennsylvania", 3.9),
            ("Illinois", 3.8),
            ("Ohio", 3.5),
            ("Georgia", 3.3),
            ("North Carolina", 3.2),
            ("Michigan", 3.0),
            ("New Jersey", 2.8),
            ("Virginia", 2.6),
            ("Washington", 2.3),
            ("Arizona", 2.2),
            ("Massachusetts", 2.1),
            ("Tennessee", 2.1),
            ("Colorado", 1.8),
            ("Oregon", 1.3),
            ("Nevada", 0.9),
            ("Utah", 1.0),
        ),
    ),
    ("GB", 0.10, (("England", 84), ("Scotland", 8), ("Wales", 5), ("Northern Ireland", 3))),
    ("DE", 0.08, (("Bavaria", 16), ("North Rhine-Westphalia", 22), ("Berlin", 5), ("Hesse", 8))),
    ("FR", 0.07, (("Ile-de-France", 19), ("Auvergne-Rhone-Alpes", 12), ("Occitanie", 9))),
    ("CA", 0.06, (("Ontario", 39), ("Quebec", 22), ("British Columbia", 14), ("Alberta", 12))),
    ("IN", 0.06, (("Maharashtra", 9), ("Karnataka", 5), ("Delhi", 2), ("Tamil Nadu", 6))),
    ("BR", 0.05, (("Sao Paulo", 22), ("Rio de Janeiro", 8), ("Minas Gerais", 10))),
    ("AU", 0.04, (("New South Wales", 32), ("Victoria", 26), ("Queensland", 20))),
    ("JP", 0.04, (("Tokyo", 11), ("Osaka", 7), ("Kanagawa", 7))),
    ("ES", 0.03, (("Madrid", 14), ("Catalonia", 16), ("Andalusia", 18))),
    ("NL", 0.02, (("North Holland", 16), ("South Holland", 21), ("Utrecht", 8))),
)
PLANS = ("free", "basic", "premium")
PLAN_SHARE = np.array([0.68, 0.22, 0.10])
PLAN_ACTIVITY = np.array([1.0, 1.25, 1.6])  # paying users come back more
DEVICES = ("mobile", "desktop", "tablet")
DEVICE_SHARE = np.array([0.58, 0.34, 0.08])
GENDERS = ("f", "m", "x")  # x: non-binary; a few users leave it empty (null)

SIGNUP_GROWTH = 1.2  # log growth of the daily signup rate over the period (x3.3)
ONE_AND_DONE = 0.25  # users who never come back after their signup day
MEAN_LIFETIME_DAYS = 150.0
SEARCHER_SHARE = 0.95  # the rest never use the search box


@dataclass
class Users:
    """Per-user arrays, row i = user id i + 1 (ids follow signup order)."""

    signup_day: np.ndarray  # day offset from the period start
    churn_day: np.ndarray  # first day with no more sessions (exclusive)
    persona: np.ndarray  # index into PERSONAS
    secondary: np.ndarray  # drawn for stream stability; searches.UserSearch.secondary is used
    activity: np.ndarray  # sessions per week when fresh, before calibration
    searcher: np.ndarray  # bool
    attributes: dict[str, np.ndarray]
    # what they search for (searches.assign, from its own random stream; set after build_users)
    search: UserSearch | None = None

    def __len__(self) -> int:
        return len(self.signup_day)

    def to_arrow(self, start: dt.date, names: tuple[list[str], list[str]]) -> pa.Table:
        import pyarrow as pa
        import pyarrow.compute as pc

        a = self.attributes
        first = pa.array(names[0]).take(pa.array(a["first_name"]))
        last = pa.array(names[1]).take(pa.array(a["last_name"]))
        epoch_day = (np.datetime64(start, "D") - np.datetime64("1970-01-01", "D")).astype(int)
        gender_dict = pa.array(GENDERS)
        gender = gender_dict.take(pa.array(a["gender"], mask=a["gender"] < 0))
        return pa.table(
            {
                "user_id": pa.array(np.arange(1, len(self) + 1, dtype=np.int64)),
                "signup_date": pa.array(
                    (self.signup_day + epoch_day).astype(np.int32), pa.int32()
                ).cast(pa.date32()),
                "country": pa.array([c[0] for c in COUNTRIES]).take(pa.array(a["country"])),
                "name": pc.binary_join_element_wise(first, last, " "),
                "age": pa.array(a["age"].astype(np.int32)),
                "gender": gender,
                "location": pa.array(a["location_names"]).take(pa.array(a["location"])),
                "plan": pa.array(PLANS).take(pa.array(a["plan"])),
                "device": pa.array(DEVICES).take(pa.array(a["device"])),
            }
        )

    def truth(self) -> pa.Table:
        """`persona` (shopping style), `interest` (what they search for), `interest2` (the
        second interest of a mixed user, else null) and `language` of their searches."""
        import pyarrow as pa

        from ducky.datasets.generator.searches import INTEREST_NAMES, LANGUAGES

        cols = {
            "user_id": pa.array(np.arange(1, len(self) + 1, dtype=np.int64)),
            "persona": pa.array(PERSONAS).take(pa.array(self.persona)),
        }
        if self.search is not None:
            s = self.search
            names = pa.array(INTEREST_NAMES)
            cols["interest"] = names.take(pa.array(s.interest))
            cols["interest2"] = names.take(
                pa.array(np.maximum(s.interest2, 0), mask=s.interest2 < 0)
            )
            cols["language"] = pa.array(LANGUAGES).take(pa.array(s.language))
        return pa.table(cols)


def name_vocabulary() -> tuple[list[str], list[str], int]:
    """First names (female ones first, then male), last names, and the number of female first
    names, from Faker's en_US lists: read once as a vocabulary, never one Faker call per row."""
    from faker.providers.person.en_US import Provider

    female = sorted(set(Provider.first_names_female))
    male = sorted(set(Provider.first_names_male) - set(female))
    last = sorted(set(Provider.last_names))
    return female + male, last, len(female)


def build_users(
    rng: np.random.Generator, n: int, cal: Calendar, n_names: tuple[int, int, int]
) -> Users:
    """`n` users; `n_names` = (first names, last names, female first names) in the vocabulary."""
    days = cal.days
    # Signups grow over the period and follow the weekly/holiday rhythm.
    growth = np.exp(SIGNUP_GROWTH * np.arange(days) / max(days, 1))
    w = growth * cal.day_factor
    signup = np.sort(rng.choice(days, size=n, p=w / w.sum()))

    shares = np.array([p.share for p in PERSONA_SPECS])
    persona = rng.choice(len(PERSONAS), size=n, p=shares / shares.sum())
    secondary = (persona + rng.integers(1, len(PERSONAS), n)) % len(PERSONAS)

    plan = rng.choice(len(PLANS), size=n, p=PLAN_SHARE)
    device = rng.choice(len(DEVICES), size=n, p=DEVICE_SHARE)
    # Heavy-tailed activity: most users shop now and then, a few are regulars (capped).
    activity = np.minimum(np.exp(rng.normal(0.0, 1.0, n)), 40.0) * PLAN_ACTIVITY[plan]

    # Lifetime: some never return; the rest churn after an exponential time whose mean
    # depends on the signup month (holiday-season cohorts churn faster).
    # Calendar month of each signup: months since 1970-01, so % 12 == 10 is November.
    month = (np.datetime64(cal.start, "D") + signup).astype("datetime64[M]").astype(np.int64)
    cohort_key = month - month.min()
    cohort_factor = np.exp(rng.normal(0.0, 0.25, cohort_key.max() + 1))[cohort_key]
    cohort_factor = cohort_factor * np.where(np.isin(month % 12, (10, 11)), 0.65, 1.0)
    lifetime = 1 + np.ceil(rng.exponential(MEAN_LIFETIME_DAYS, n) * cohort_factor)
    lifetime = np.where(rng.random(n) < ONE_AND_DONE, 1, lifetime).astype(np.int64)
    churn = signup + lifetime
    searcher = rng.random(n) < SEARCHER_SHARE

    ages = np.array([p.age_mean for p in PERSONA_SPECS])[persona] + rng.normal(0, 11, n)
    age = np.clip(np.rint(ages), 18, 85).astype(np.int32)
    female = np.array([p.female_share for p in PERSONA_SPECS])[persona]
    g = rng.random(n)
    gender = np.where(g < 0.02, 2, np.where(g < 0.03, -1, np.where(rng.random(n) < female, 0, 1)))

    # First names match the gender (female names are the first n_names[2] of the vocabulary).
    n_first, _, n_female = n_names
    first_name = np.where(
        gender == 0,
        rng.integers(0, n_female, n),
        np.where(gender == 1, rng.integers(n_female, n_first, n), rng.integers(0, n_first, n)),
    )

    cshare = np.array([c[1] for c in COUNTRIES])
    country = rng.choice(len(COUNTRIES), size=n, p=cshare / cshare.sum())
    location_names: list[str] = []
    location = np.empty(n, dtype=np.int64)
    for ci, (_, _, regions) in enumerate(COUNTRIES):
        sel = np.flatnonzero(country == ci)
        rw = np.array([r[1] for r in regions])
        location[sel] = len(location_names) + rng.choice(
            len(regions), size=len(sel), p=rw / rw.sum()
        )
        location_names += [r[0] for r in regions]

    return Users(
        signup_day=signup.astype(np.int64),
        churn_day=churn,
        persona=persona.astype(np.int64),
        secondary=secondary.astype(np.int64),
        activity=activity,
        searcher=searcher,
        attributes={
            "first_name": first_name,
            "last_name": rng.integers(0, n_names[1], n),
            "age": age,
            "gender": gender.astype(np.int64),
            "country": country,
            "location": location,
            "location_names": np.array(location_names, dtype=object),
            "plan": plan,
            "device": device,
        },
    )
