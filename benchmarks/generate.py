"""A deterministic synthetic catalogue: N practices and a few hundred projects.

`generate(directory, size, seed)` writes, into `directory`:

* `practices.csv`: one practice per row, in the shape of the demo list kept by
  administrations (`catalogue/demo/practices.csv`): text in the row's language
  (en, fr, de, it, es), codes from our SKOS schemes, EU countries (alpha-3),
  NUTS regions, cities, publishing organisations, years, and CORDIS grant ids
  linking about a third of the practices to the projects;
* `projects.csv`: the projects, in the shape of a CORDIS export;
* `sources.toml`: two `tabular` sources with their column mappings, in the
  style of `catalogue/demo/sources.toml` (projects first, so the programme
  facet of a practice is known when it is indexed).

The same (size, seed) always gives byte-identical files: everything is drawn
from one seeded `random.Random`, and nothing depends on set or dict order of
unsorted values.

Run alone: `python -m benchmarks.generate --size 1000 --out /tmp/gp` prints
the paths and the SHA-256 of the practices file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import vocab

from . import words as w

PRACTICE_SOURCE = "bench-practices"
PROJECT_SOURCE = "bench-projects"
KEY_PREFIX = "bench"
SEPARATOR = " ; "

# Programmes whose projects carry a CORDIS grant id (keyed grant-{id}).
CORDIS_PROGRAMMES: tuple[tuple[str, int], ...] = (
    ("h2020", 45), ("horizon-europe", 25), ("fp7", 15), ("cip", 8), ("digital-europe", 7),
)  # fmt: skip

PRACTICE_COLUMNS: dict[str, str] = {
    # field of the tabular harvester -> column of the file
    "id": "id",
    "lang": "lang",
    "title": "title",
    "description": "summary",
    "problem": "problem",
    "solution": "solution",
    "results": "results",
    "costs": "costs",
    "transfer_conditions": "transfer",
    "lessons": "lessons",
    "practice_types": "type",
    "themes": "theme",
    "maturity": "maturity",
    "government_levels": "level",
    "countries": "country",
    "regions": "region",
    "cities": "city",
    "organisation": "organisation",
    "organisation_level": "organisation_level",
    "organisation_website": "organisation_website",
    "landing_page": "website",
    "license": "license",
    "technologies": "technologies",
    "keywords": "keywords",
    "project_grants": "project_grant",
    "year": "year",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
}

PROJECT_COLUMNS: dict[str, str] = {
    "id": "id",
    "acronym": "acronym",
    "title": "title",
    "description": "objective",
    "programme": "programme",
    "start_date": "startDate",
    "end_date": "endDate",
    "total_cost": "totalCost",
    "eu_contribution": "ecMaxContribution",
    "coordinator": "coordinator",
    "coordinator_country": "coordinatorCountry",
    "participants": "participants",
    "participant_countries": "participantCountries",
    "landing_page": "url",
    "themes": "themes",
}


@dataclass
class Dataset:
    """What was generated, and what the benchmarks need to know about it."""

    directory: Path
    size: int
    seed: int
    practices_csv: Path
    projects_csv: Path
    sources_toml: Path
    practice_ids: list[str] = field(default_factory=list)  # original ids, file order
    project_ids: list[str] = field(default_factory=list)  # grant ids, file order
    programmes: dict[str, str] = field(default_factory=dict)  # grant id -> programme code
    digest: str = ""  # SHA-256 of practices.csv
    themes_by_frequency: list[str] = field(default_factory=list)  # most drawn first
    country_weights: list[tuple[str, int]] = field(default_factory=list)  # (alpha-3, relative weight)

    @property
    def project_count(self) -> int:
        return len(self.project_ids)


def project_count_for(size: int) -> int:
    """A few hundred projects: 50 for tiny catalogues, up to 400."""
    return max(50, min(400, size // 25))


class _Zipf:
    """Draw from a list with weights 1/(rank+1)^s: earlier items are more frequent."""

    def __init__(self, items: Sequence[str], s: float = 0.9) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(1.0 / (rank + 1) ** s for rank in range(len(self.items))))

    def one(self, rng: random.Random) -> str:
        return rng.choices(self.items, cum_weights=self.cum)[0]

    def some(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.items, cum_weights=self.cum, k=k)

    def distinct(self, rng: random.Random, k: int) -> list[str]:
        return list(dict.fromkeys(self.some(rng, k * 3)))[:k]


class _Language:
    """Text drawing for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.nouns = _Zipf(w.NOUNS[lang])
        self.adjectives = _Zipf(w.ADJECTIVES[lang])
        self.patterns = w.TITLE_PATTERNS[lang]
        # One pool for running text: nouns, adjectives, verbs, function words,
        # in proportions that read (roughly) like prose.
        pool: list[str] = []
        weights: list[float] = []
        for items, share in (
            (w.FUNCTION_WORDS[lang], 0.34),
            (w.NOUNS[lang], 0.36),
            (w.ADJECTIVES[lang], 0.15),
            (w.VERBS[lang], 0.15),
        ):
            raw = [1.0 / (rank + 1) ** 0.9 for rank in range(len(items))]
            total = sum(raw)
            pool.extend(items)
            weights.extend(share * r / total for r in raw)
        self.pool = pool
        self.pool_cum = list(itertools.accumulate(weights))

    def title(self, rng: random.Random) -> str:
        pattern = self.patterns[rng.randrange(len(self.patterns))]
        out = []
        for part in pattern:
            if part == "N":
                out.append(self.nouns.one(rng))
            elif part == "A":
                out.append(self.adjectives.one(rng))
            else:
                out.append(part)
        text = " ".join(out)
        return text[0].upper() + text[1:]

    def sentence(self, rng: random.Random) -> str:
        tokens = rng.choices(self.pool, cum_weights=self.pool_cum, k=rng.randint(7, 17))
        text = " ".join(tokens)
        return text[0].upper() + text[1:] + "."

    def text(self, rng: random.Random, min_words: int, max_words: int) -> str:
        target = rng.randint(min_words, max_words)
        parts, count = [], 0
        while count < target:
            sentence = self.sentence(rng)
            parts.append(sentence)
            count += sentence.count(" ") + 1
        return " ".join(parts)


@dataclass(frozen=True)
class _Country:
    code: str
    lang: str
    cities: tuple[str, ...]
    regions: tuple[str, ...]
    organisations: tuple[tuple[str, str], ...]  # (name, government level)


def _countries(rng: random.Random, langs: dict[str, _Language]) -> tuple[list[_Country], list[int]]:
    eu_names = {
        "DEU": "Germany", "FRA": "France", "ITA": "Italy", "ESP": "Spain", "POL": "Poland",
        "NLD": "Netherlands", "BEL": "Belgium", "AUT": "Austria", "PRT": "Portugal", "SWE": "Sweden",
        "GRC": "Greece", "CZE": "Czechia", "HUN": "Hungary", "ROU": "Romania", "DNK": "Denmark",
        "FIN": "Finland", "IRL": "Ireland", "EST": "Estonia", "LVA": "Latvia", "LTU": "Lithuania",
        "SVK": "Slovakia", "SVN": "Slovenia", "HRV": "Croatia", "BGR": "Bulgaria", "LUX": "Luxembourg",
        "CYP": "Cyprus", "MLT": "Malta",
    }  # fmt: skip
    countries, weights = [], []
    for code, weight, lang, cities in w.COUNTRIES:
        prefix = w.NUTS_PREFIX[code]
        # NUTS-shaped codes: level 1 (DE1), 2 (DE11) and 3 (DE111) under the country.
        regions = tuple(
            sorted({f"{prefix}{rng.randint(1, 9)}{rng.randint(1, 9)}{rng.randint(1, 9)}"[: 3 + rng.randint(0, 2)] for _ in range(8)})
        )
        organisations = []
        patterns = w.ORGANISATION_PATTERNS[lang]
        for n in range(20 + weight * 12):
            kind = n % len(patterns)
            place = cities[n % len(cities)] if n < len(cities) * 2 else f"{cities[n % len(cities)]} {n // len(cities)}"
            name = patterns[kind].format(place=place, country=eu_names[code], N=langs[lang].nouns.one(rng))
            level = ("local", "regional", "national", "regional")[kind]
            organisations.append((name, level))
        countries.append(_Country(code, lang, cities, regions, tuple(dict.fromkeys(organisations))))
        weights.append(weight)
    return countries, weights


def generate(directory: Path, size: int, seed: int = 42) -> Dataset:
    """Write the practices, projects and sources.toml; return what was made."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    langs = {lang: _Language(lang) for lang in w.LANGUAGES}
    themes = sorted(vocab.concept_codes("theme"))
    types = sorted(vocab.concept_codes("practice-type"))
    maturities = sorted(vocab.concept_codes("maturity"))
    theme_zipf = _Zipf(rng.sample(themes, len(themes)), s=0.7)
    type_zipf = _Zipf(rng.sample(types, len(types)), s=0.7)
    countries, country_weights = _countries(rng, langs)
    country_cum = list(itertools.accumulate(country_weights))

    dataset = Dataset(
        directory=directory,
        size=size,
        seed=seed,
        practices_csv=directory / "practices.csv",
        projects_csv=directory / "projects.csv",
        sources_toml=directory / "sources.toml",
    )
    dataset.themes_by_frequency = list(theme_zipf.items)
    dataset.country_weights = [(c.code, wt) for c, wt in zip(countries, country_weights, strict=True)]
    _write_projects(rng, dataset, countries, country_cum, themes, langs["en"])

    with dataset.practices_csv.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PRACTICE_COLUMNS.values())
        for n in range(size):
            row = _practice_row(
                rng, n, countries, country_cum, langs, theme_zipf, type_zipf, maturities, dataset.project_ids
            )
            dataset.practice_ids.append(row["id"])
            writer.writerow(row.get(column, "") for column in PRACTICE_COLUMNS.values())
    dataset.sources_toml.write_text(_sources_toml(), encoding="utf-8")
    dataset.digest = hashlib.sha256(dataset.practices_csv.read_bytes()).hexdigest()
    return dataset


def _practice_row(
    rng: random.Random,
    n: int,
    countries: list[_Country],
    country_cum: list[int],
    langs: dict[str, _Language],
    theme_zipf: _Zipf,
    type_zipf: _Zipf,
    maturities: list[str],
    grants: list[str],
) -> dict[str, str]:
    country = rng.choices(countries, cum_weights=country_cum)[0]
    # Most rows are in the country's language; some countries publish in English.
    lang = country.lang if rng.random() < 0.85 else "en"
    text = langs[lang]
    org_name, level = country.organisations[rng.randrange(len(country.organisations))]
    codes = [country.code]
    if rng.random() < 0.08:  # cross-border practices
        other = rng.choices(countries, cum_weights=country_cum)[0].code
        codes = sorted({country.code, other})
    row = {
        "id": f"gp-{n:07d}",
        "lang": lang,
        "title": text.title(rng),
        "summary": text.text(rng, 25, 80),
        "problem": text.text(rng, 8, 30),
        "solution": text.text(rng, 10, 40),
        "type": SEPARATOR.join(sorted(set(type_zipf.distinct(rng, rng.randint(1, 2))))),
        "theme": SEPARATOR.join(sorted(set(theme_zipf.distinct(rng, rng.randint(1, 3))))),
        "maturity": maturities[rng.randrange(len(maturities))],
        "level": level,
        "country": SEPARATOR.join(codes),
        "organisation": org_name,
        "organisation_level": level,
        "year": str(rng.randint(2005, 2025)),
        "keywords": SEPARATOR.join(text.nouns.distinct(rng, rng.randint(2, 5))),
    }
    if rng.random() < 0.6:
        row["results"] = text.text(rng, 8, 30)
    if rng.random() < 0.3:
        row["costs"] = text.text(rng, 5, 15)
    if rng.random() < 0.4:
        row["transfer"] = text.text(rng, 5, 20)
    if rng.random() < 0.4:
        row["lessons"] = text.text(rng, 5, 20)
    if level in ("local", "regional") and rng.random() < 0.8:
        row["region"] = country.regions[rng.randrange(len(country.regions))]
    if level == "local" and rng.random() < 0.7:
        row["city"] = country.cities[rng.randrange(len(country.cities))]
    if rng.random() < 0.8:
        row["organisation_website"] = f"https://www.org{rng.randrange(100_000)}.example.eu"
    if rng.random() < 0.8:
        row["website"] = f"https://practices.example.eu/{row['id']}"
    if rng.random() < 0.5:
        row["license"] = w.LICENCES[rng.randrange(len(w.LICENCES))]
    if rng.random() < 0.5:
        row["technologies"] = SEPARATOR.join(sorted(rng.sample(w.TECHNOLOGIES, rng.randint(1, 3))))
    if grants and rng.random() < 0.35:
        row["project_grant"] = SEPARATOR.join(sorted(rng.sample(grants, rng.randint(1, 2))))
    if rng.random() < 0.3:
        first, last = w.FIRST_NAMES[rng.randrange(len(w.FIRST_NAMES))], w.LAST_NAMES[rng.randrange(len(w.LAST_NAMES))]
        row["contact_name"] = f"{first} {last}"
        row["contact_email"] = f"contact{rng.randrange(10_000)}@{country.code.lower()}.example.eu"
    return row


def _write_projects(
    rng: random.Random,
    dataset: Dataset,
    countries: list[_Country],
    country_cum: list[int],
    themes: list[str],
    english: _Language,
) -> None:
    programmes = [p for p, _ in CORDIS_PROGRAMMES]
    programme_cum = list(itertools.accumulate(wt for _, wt in CORDIS_PROGRAMMES))
    count = project_count_for(dataset.size)
    grants = sorted(rng.sample(range(100_000, 1_000_000), count))
    letters = "ABCDEFGHIJKLMNOPRSTUVW"
    with dataset.projects_csv.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PROJECT_COLUMNS.values())
        for grant in grants:
            ident = str(grant)
            programme = rng.choices(programmes, cum_weights=programme_cum)[0]
            start_year = rng.randint(2008, 2023)
            coordinator = rng.choices(countries, cum_weights=country_cum)[0]
            partners = [rng.choices(countries, cum_weights=country_cum)[0] for _ in range(rng.randint(2, 8))]
            partner_orgs = [c.organisations[rng.randrange(len(c.organisations))][0] for c in partners]
            cost = rng.randint(300, 20_000) * 1000
            row = {
                "id": ident,
                "acronym": "".join(rng.choice(letters) for _ in range(rng.randint(3, 7))),
                "title": english.title(rng),
                "objective": english.text(rng, 40, 120),
                "programme": programme,
                "startDate": f"{start_year}-{rng.randint(1, 12):02d}-01",
                "endDate": f"{start_year + rng.randint(2, 4)}-{rng.randint(1, 12):02d}-28",
                "totalCost": f"{cost}.00",
                "ecMaxContribution": f"{cost * rng.randint(50, 100) // 100}.00",
                "coordinator": coordinator.organisations[0][0],
                "coordinatorCountry": coordinator.code,
                "participants": SEPARATOR.join(partner_orgs),
                "participantCountries": SEPARATOR.join(c.code for c in partners),
                "url": f"https://cordis.europa.eu/project/id/{ident}",
                "themes": SEPARATOR.join(sorted(rng.sample(themes, rng.randint(1, 3)))),
            }
            writer.writerow(row.get(column, "") for column in PROJECT_COLUMNS.values())
            dataset.project_ids.append(ident)
            dataset.programmes[ident] = programme


def _toml_table(columns: dict[str, str]) -> str:
    return "\n".join(f'{key} = "{value}"' for key, value in columns.items())


def _sources_toml() -> str:
    return f"""# Synthetic sources written by benchmarks/generate.py (same style as catalogue/demo/sources.toml).

[[source]]
name = "{PROJECT_SOURCE}"
title = "Benchmark: EU-funded projects, as a CORDIS-style CSV export"
kind = "tabular"
url = "projects.csv"
entity = "project"
separator = ";"
key_prefix = "{KEY_PREFIX}"

[source.columns]
{_toml_table(PROJECT_COLUMNS)}

[[source]]
name = "{PRACTICE_SOURCE}"
title = "Benchmark: a list of practices kept by administrations, in their own languages"
kind = "tabular"
url = "practices.csv"
entity = "practice"
separator = ";"
key_prefix = "{KEY_PREFIX}"

[source.columns]
{_toml_table(PRACTICE_COLUMNS)}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="number of practices (default 1000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    dataset = generate(args.out, args.size, args.seed)
    print(f"{dataset.practices_csv}  sha256={dataset.digest}")
    print(dataset.projects_csv)
    print(dataset.sources_toml)


if __name__ == "__main__":
    main()
