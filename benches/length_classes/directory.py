#!/usr/bin/env python3
"""A realistic directory of principals, for benches/length_classes.rs.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install Faker==40.63.0 names==0.3.0
    /tmp/venv/bin/python benches/length_classes/directory.py /tmp/directory.tsv

Writes N (default 100,000) distinct principals, one a line, as
`convention<TAB>principal`. Deterministic for a given seed and the package
versions above (the name lists are read from them).

People. 70% have US names: first and last names drawn with the frequencies
of the 1990 US Census (the `names` package: 5,494 first names, 88,799 last
names). 30% have names of other locales, from Faker's lists (weighted where
Faker weights them, uniform otherwise): en_GB 4%, es_MX 5%, es_ES 3%,
de_DE 4%, fr_FR 4%, it_IT 3%, en_IN 4%, zh_CN 2% and ja_JP 1% (romanized).
Half women, half men. Names are folded to what directories store: accents
dropped, lower case, letters a-z only (`O'Brien` is `obrien`).

Conventions, in these proportions:
  jdoe      35%  initial + last name, at most 8 letters; on a collision the
                 last letter, then the last two, give way to a number
                 (`jsmith`, `jsmith1`, `jsmit12`), as Unix logins do
  john.doe  20%  first.last, a number on a collision (`john.doe2`)
  jdoe12    10%  initial + last name cut to 6 letters + 2 random digits
  eppn      20%  eduPersonPrincipalName: first.last, a number on a
                 collision, @univ-example.edu
  student   15%  student numbers: `s` + 7 random digits
"""

import os
import random
import sys
import unicodedata

import faker
import names

SEED = 24
DOMAIN = "univ-example.edu"

CONVENTIONS = [
    ("jdoe", 35),
    ("john.doe", 20),
    ("jdoe12", 10),
    ("eppn", 20),
    ("student", 15),
]

# Locale -> share of people, in percent; "census" is the US Census lists.
ORIGINS = [
    ("census", 70),
    ("en_GB", 4),
    ("es_MX", 5),
    ("es_ES", 3),
    ("de_DE", 4),
    ("fr_FR", 4),
    ("it_IT", 3),
    ("en_IN", 4),
    ("zh_CN", 2),
    ("ja_JP", 1),
]


class Names:
    """One list of names and their cumulative weights."""

    def __init__(self, weighted):
        self.names = [n for n, _ in weighted]
        total = 0.0
        self.cum = []
        for _, w in weighted:
            total += w
            self.cum.append(total)

    def draw(self, rng):
        return rng.choices(self.names, cum_weights=self.cum)[0]


def census(file):
    path = os.path.join(os.path.dirname(names.__file__), file)
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    return Names([(r[0], float(r[1])) for r in rows])


def faker_list(values):
    if isinstance(values, dict):
        return Names(list(values.items()))
    return Names([(v, 1.0) for v in values])


def locale(name):
    module = __import__(f"faker.providers.person.{name}", fromlist=["Provider"])
    p = module.Provider
    if hasattr(p, "first_romanized_names"):
        # zh_CN, ja_JP: the romanized lists (the others are in Han/kana).
        first = faker_list(p.first_romanized_names)
        return first, first, faker_list(p.last_romanized_names)
    return (
        faker_list(p.first_names_female),
        faker_list(p.first_names_male),
        faker_list(p.last_names),
    )


def fold(name):
    """A name as a directory stores it: a-z only."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_.lower() if "a" <= c <= "z")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(f"usage: {sys.argv[0]} OUT [N]")
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 100_000
    rng = random.Random(SEED)
    print(f"Faker {faker.VERSION}", file=sys.stderr)

    lists = {
        "census": (
            census("dist.female.first"),
            census("dist.male.first"),
            census("dist.all.last"),
        )
    }
    for origin, _ in ORIGINS[1:]:
        lists[origin] = locale(origin)
    origins = [o for o, _ in ORIGINS]
    origin_weights = [w for _, w in ORIGINS]

    def person():
        while True:
            female, male, last = lists[rng.choices(origins, origin_weights)[0]]
            first = (female if rng.random() < 0.5 else male).draw(rng)
            f, l = fold(first), fold(last.draw(rng))
            if f and l:
                return f, l

    taken = set()

    def numbered(base):
        """`base`, or base2, base3, ... when taken."""
        k, name = 1, base
        while name in taken:
            k += 1
            name = f"{base}{k}"
        return name

    def jdoe(f, l):
        base = (f[0] + l)[:8]
        if base not in taken:
            return base
        for width in (1, 2, 3):
            for k in range(10 ** (width - 1), 10**width):
                name = base[: 8 - width] + str(k)
                if name not in taken:
                    return name
        raise RuntimeError(f"no login left for {base}")

    def jdoe12(f, l):
        while True:
            name = f[0] + l[:6] + f"{rng.randrange(100):02d}"
            if name not in taken:
                return name

    def student():
        while True:
            name = f"s{rng.randrange(10**7):07d}"
            if name not in taken:
                return name

    def eppn(f, l):
        k, local = 1, f"{f}.{l}"
        while f"{local}@{DOMAIN}" in taken:
            k += 1
            local = f"{f}.{l}{k}"
        return f"{local}@{DOMAIN}"

    makers = {
        "jdoe": jdoe,
        "john.doe": lambda f, l: numbered(f"{f}.{l}"),
        "jdoe12": jdoe12,
        "eppn": eppn,
        "student": lambda f, l: student(),
    }

    counts = [(c, n * share // 100) for c, share in CONVENTIONS]
    counts[0] = (counts[0][0], counts[0][1] + n - sum(k for _, k in counts))
    with open(out, "w") as f:
        for convention, count in counts:
            for _ in range(count):
                name = makers[convention](*person())
                taken.add(name)
                f.write(f"{convention}\t{name}\n")


if __name__ == "__main__":
    main()
