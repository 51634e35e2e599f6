"""Writes the built-in sample datasets (run `python -m archon_dsl.datasets._generate`); deterministic."""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20240915  # the Archon paper's arXiv month; any fixed value keeps the files stable

NAMES = [
    ("Ava", "She"),
    ("Ben", "He"),
    ("Chloe", "She"),
    ("Dev", "He"),
    ("Elena", "She"),
    ("Farid", "He"),
    ("Grace", "She"),
    ("Hugo", "He"),
    ("Iris", "She"),
    ("Jonas", "He"),
    ("Kemi", "She"),
    ("Liam", "He"),
]
ITEMS = ["stickers", "pencils", "marbles", "cards", "beads", "stamps", "shells", "buttons"]


def _distractors(answer: int, mistakes: list[int]) -> list[int]:
    """Plausible wrong answers, most tempting first: the step mistakes, then near misses."""
    out: list[int] = []
    for value in mistakes + [answer + 10, answer - 1, answer + 1, answer - 10]:
        if value != answer and value >= 0 and value not in out:
            out.append(value)
    return out[:3]


def arithmetic_rows(rng: random.Random) -> list[dict]:
    """Multi-step integer word problems: ten of each of six shapes."""
    rows: list[dict] = []

    def packs() -> tuple[str, int, list[int]]:
        (name, pronoun), item = rng.choice(NAMES), rng.choice(ITEMS)
        a, b, c, d = rng.randint(3, 9), rng.randint(4, 12), rng.randint(2, 15), rng.randint(3, 20)
        question = (
            f"{name} buys {a} packs of {item} with {b} {item} in each pack. {pronoun} gives away {c} "
            f"{item} and then buys {d} more. How many {item} does {name} have now?"
        )
        return question, a * b - c + d, [a * b - c, a * b + c + d, a + b - c + d]

    def shop() -> tuple[str, int, list[int]]:
        item = rng.choice(["notebooks", "mugs", "lamps", "kites", "scarves"])
        p, a, b = rng.randint(3, 15), rng.randint(10, 40), rng.randint(3, 12)
        question = (
            f"A shop sells {item} for ${p} each. On Monday it sells {a} {item}, and on Tuesday it sells "
            f"{b} more than on Monday. How many dollars does it take in over the two days?"
        )
        return question, p * (2 * a + b), [p * (a + b), p * (a + a) + b, p * a + b]

    def train() -> tuple[str, int, list[int]]:
        v, t1, w, t2 = rng.randint(40, 90), rng.randint(2, 5), rng.randint(30, 80), rng.randint(1, 4)
        question = (
            f"A train travels at {v} km per hour for {t1} hours, then at {w} km per hour for {t2} hours. "
            "How many kilometres does it travel in total?"
        )
        return question, v * t1 + w * t2, [v * t1 + w * t1, v * (t1 + t2), (v + w) * t2]

    def thirds() -> tuple[str, int, list[int]]:
        name, _ = rng.choice(NAMES)
        a, b = 3 * rng.randint(6, 30), rng.randint(2, 9)
        question = (
            f"{name} has {a} marbles, gives a third of them to a friend and then loses {b}. "
            "How many marbles are left?"
        )
        return question, a - a // 3 - b, [a // 3 - b, a - a // 3, a - b]

    def chairs() -> tuple[str, int, list[int]]:
        r, c, k, g = rng.randint(5, 15), rng.randint(6, 20), rng.randint(2, 9), rng.randint(10, 40)
        question = (
            f"A hall has {r} rows of {c} chairs. {k} chairs are broken and removed, and then {g} guests "
            "each sit on one chair. How many chairs are still free?"
        )
        return question, r * c - k - g, [r * c - k, r * c - g, r * c - k + g]

    def boxes() -> tuple[str, int, list[int]]:
        name, _ = rng.choice(NAMES)
        a, b, c = rng.randint(3, 8), rng.randint(10, 24), rng.randint(4, 9)
        total = a * b
        question = (
            f"{name} bakes {a} trays of {b} cookies and packs them into boxes of {c}. "
            "How many boxes can be filled completely?"
        )
        return question, total // c, [total // c + 1, total % c, total - c]

    shapes = [packs, shop, train, thirds, chairs, boxes]
    seen: set[str] = set()
    for shape in shapes:
        made = 0
        while made < 10:
            question, answer, mistakes = shape()
            if question in seen or answer < 0:
                continue
            seen.add(question)
            made += 1
            rows.append(
                {"question": question, "answer": answer, "distractors": _distractors(answer, mistakes)}
            )
    rng.shuffle(rows)
    for i, row in enumerate(rows, 1):
        row["id"] = f"arith-{i:03d}"
    return [
        {"id": r["id"], "question": r["question"], "answer": r["answer"], "distractors": r["distractors"]}
        for r in rows
    ]


# (question, correct option, most tempting wrong option, two other wrong options)
FACTS = [
    ("What is the chemical symbol for sodium?", "Na", "So", ["Sd", "Nm"]),
    ("Which planet is known as the Red Planet?", "Mars", "Venus", ["Jupiter", "Mercury"]),
    ("How many sides does a hexagon have?", "6", "8", ["5", "7"]),
    (
        "Which is the largest ocean on Earth?",
        "Pacific Ocean",
        "Atlantic Ocean",
        ["Indian Ocean", "Arctic Ocean"],
    ),
    ("At sea level, at what temperature in degrees Celsius does water boil?", "100", "212", ["90", "120"]),
    (
        "Who wrote the novel 'Pride and Prejudice'?",
        "Jane Austen",
        "Charlotte Brontë",
        ["Mary Shelley", "George Eliot"],
    ),
    (
        "Which gas do plants take in from the air for photosynthesis?",
        "Carbon dioxide",
        "Oxygen",
        ["Nitrogen", "Helium"],
    ),
    ("Which part of a cell produces most of its ATP?", "Mitochondrion", "Nucleus", ["Ribosome", "Cell wall"]),
    ("What is the capital city of Australia?", "Canberra", "Sydney", ["Melbourne", "Perth"]),
    ("Which natural material is the hardest?", "Diamond", "Quartz", ["Granite", "Iron"]),
    ("What is the square root of 144?", "12", "14", ["11", "72"]),
    ("How many continents are there in the usual seven-continent model?", "7", "6", ["5", "8"]),
    ("Which element has atomic number 1?", "Hydrogen", "Helium", ["Oxygen", "Carbon"]),
    (
        "Roughly how fast does light travel in a vacuum?",
        "300,000 km per second",
        "300,000 km per hour",
        ["30,000 km per second", "3,000 km per second"],
    ),
    (
        "Who developed the general theory of relativity?",
        "Albert Einstein",
        "Isaac Newton",
        ["Niels Bohr", "Max Planck"],
    ),
    ("What is the smallest prime number?", "2", "1", ["3", "0"]),
    (
        "In computing, what does CPU stand for?",
        "Central Processing Unit",
        "Central Program Unit",
        ["Computer Personal Unit", "Core Power Unit"],
    ),
    ("How many bits are in one byte?", "8", "4", ["16", "10"]),
    ("Which is the largest planet in the Solar System?", "Jupiter", "Saturn", ["Neptune", "Earth"]),
    ("At what temperature in degrees Fahrenheit does water freeze?", "32", "0", ["100", "-32"]),
]


def _computed_facts(rng: random.Random) -> list[tuple[str, str, str, list[str]]]:
    """Twenty questions whose options come from arithmetic and its usual slips."""
    out = []
    for _ in range(5):
        a, b = rng.randint(12, 39), rng.randint(12, 39)
        right = a * b
        out.append((f"What is {a} x {b}?", str(right), str(right + a), [str(right - b), str(a * (b + 10))]))
    for _ in range(5):
        p, n = rng.choice([10, 15, 20, 25, 30, 40]), rng.choice([80, 120, 160, 240, 360])
        right = p * n // 100
        out.append((f"What is {p}% of {n}?", str(right), str(n // p), [str(right * 2), str(right + p)]))
    for _ in range(5):
        h = rng.randint(2, 9)
        out.append(
            (
                f"How many minutes are there in {h} hours?",
                str(60 * h),
                str(100 * h),
                [str(60 * h + 60), str(24 * h)],
            )
        )
    primes = [23, 29, 31, 37, 41, 43, 47, 53, 59, 61]
    for _ in range(5):
        prime = rng.choice(primes)
        odd_composites = [c for c in (21, 27, 33, 35, 39, 45, 49, 51, 57, 63) if c != prime]
        wrong = rng.sample(odd_composites, 3)
        out.append(
            ("Which of these numbers is prime?", str(prime), str(wrong[0]), [str(wrong[1]), str(wrong[2])])
        )
    return out


def multiple_choice_rows(rng: random.Random) -> list[dict]:
    """Forty questions with options A-D; the answer is the letter of the right option."""
    rows = []
    for i, (question, right, tempting, others) in enumerate(FACTS + _computed_facts(rng), 1):
        options = [right, tempting, *others]
        rng.shuffle(options)
        letters = "ABCD"
        text = question + "\n" + "\n".join(f"{letters[k]}) {opt}" for k, opt in enumerate(options))
        answer = letters[options.index(right)]
        wrong = [letters[options.index(tempting)]] + [letters[options.index(o)] for o in others]
        rows.append(
            {
                "id": f"mc-{i:03d}",
                "question": text,
                "answer": answer,
                "options": dict(zip(letters, options, strict=True)),
                "distractors": wrong,
            }
        )
    return rows


# (entry point, task, reference solution, tests, two subtly broken variants)
FUNCTIONS = [
    (
        "add_digits",
        "returns the sum of the decimal digits of a non-negative integer n",
        "def add_digits(n):\n    total = 0\n    while n > 0:\n        total += n % 10\n        n //= 10\n    return total\n",
        [
            "assert add_digits(0) == 0",
            "assert add_digits(7) == 7",
            "assert add_digits(123) == 6",
            "assert add_digits(9999) == 36",
            "assert add_digits(1005) == 6",
        ],
        [
            "def add_digits(n):\n    total = 0\n    while n > 9:\n        total += n % 10\n        n //= 10\n    return total\n",
            "def add_digits(n):\n    return sum(int(d) for d in str(n)[1:])\n",
        ],
    ),
    (
        "is_palindrome",
        "returns True if the string s reads the same backwards, ignoring case and every "
        "character that is not a letter or digit",
        "def is_palindrome(s):\n    kept = [c.lower() for c in s if c.isalnum()]\n    return kept == kept[::-1]\n",
        [
            "assert is_palindrome('racecar') is True",
            "assert is_palindrome('A man, a plan, a canal: Panama') is True",
            "assert is_palindrome('hello') is False",
            "assert is_palindrome('') is True",
            "assert is_palindrome('No lemon, no melon') is True",
        ],
        [
            "def is_palindrome(s):\n    kept = [c for c in s if c.isalnum()]\n    return kept == kept[::-1]\n",
            "def is_palindrome(s):\n    kept = s.lower()\n    return kept == kept[::-1]\n",
        ],
    ),
    (
        "fizzbuzz",
        "returns a list of strings for 1..n: 'FizzBuzz' for multiples of 15, 'Fizz' for multiples of 3, "
        "'Buzz' for multiples of 5, else the number itself as a string",
        "def fizzbuzz(n):\n    out = []\n    for i in range(1, n + 1):\n        if i % 15 == 0:\n            out.append('FizzBuzz')\n"
        "        elif i % 3 == 0:\n            out.append('Fizz')\n        elif i % 5 == 0:\n            out.append('Buzz')\n"
        "        else:\n            out.append(str(i))\n    return out\n",
        [
            "assert fizzbuzz(1) == ['1']",
            "assert fizzbuzz(3) == ['1', '2', 'Fizz']",
            "assert fizzbuzz(5)[-1] == 'Buzz'",
            "assert fizzbuzz(15)[-1] == 'FizzBuzz'",
            "assert len(fizzbuzz(20)) == 20",
        ],
        [
            "def fizzbuzz(n):\n    out = []\n    for i in range(1, n):\n        if i % 15 == 0:\n            out.append('FizzBuzz')\n"
            "        elif i % 3 == 0:\n            out.append('Fizz')\n        elif i % 5 == 0:\n            out.append('Buzz')\n"
            "        else:\n            out.append(str(i))\n    return out\n",
            "def fizzbuzz(n):\n    out = []\n    for i in range(1, n + 1):\n        if i % 3 == 0:\n            out.append('Fizz')\n"
            "        elif i % 5 == 0:\n            out.append('Buzz')\n        elif i % 15 == 0:\n            out.append('FizzBuzz')\n"
            "        else:\n            out.append(str(i))\n    return out\n",
        ],
    ),
    (
        "count_vowels",
        "returns how many vowels (a, e, i, o, u, in either case) the string s contains",
        "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n",
        [
            "assert count_vowels('') == 0",
            "assert count_vowels('hello') == 2",
            "assert count_vowels('AEIOU') == 5",
            "assert count_vowels('rhythm') == 0",
            "assert count_vowels('Programming Language') == 7",
        ],
        [
            "def count_vowels(s):\n    return sum(1 for c in s if c in 'aeiou')\n",
            "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiouy')\n",
        ],
    ),
    (
        "reverse_words",
        "returns the words of the string s in reverse order, joined by single spaces",
        "def reverse_words(s):\n    return ' '.join(reversed(s.split()))\n",
        [
            "assert reverse_words('hello world') == 'world hello'",
            "assert reverse_words('a') == 'a'",
            "assert reverse_words('') == ''",
            "assert reverse_words('  one  two three ') == 'three two one'",
            "assert reverse_words('the quick brown fox') == 'fox brown quick the'",
        ],
        [
            "def reverse_words(s):\n    return ' '.join(reversed(s.split(' ')))\n",
            "def reverse_words(s):\n    return s[::-1]\n",
        ],
    ),
    (
        "second_largest",
        "returns the second largest distinct value in the list nums, or None if there is none",
        "def second_largest(nums):\n    distinct = sorted(set(nums))\n    return distinct[-2] if len(distinct) >= 2 else None\n",
        [
            "assert second_largest([1, 2, 3]) == 2",
            "assert second_largest([5, 5, 4]) == 4",
            "assert second_largest([7]) is None",
            "assert second_largest([3, 3, 3]) is None",
            "assert second_largest([-1, -5, -3]) == -3",
        ],
        [
            "def second_largest(nums):\n    ordered = sorted(nums)\n    return ordered[-2] if len(ordered) >= 2 else None\n",
            "def second_largest(nums):\n    distinct = sorted(set(nums))\n    return distinct[1] if len(distinct) >= 2 else None\n",
        ],
    ),
    (
        "flatten",
        "returns a flat list of all the non-list items in a list that may nest lists to any depth, in order",
        "def flatten(items):\n    out = []\n    for item in items:\n        if isinstance(item, list):\n            out.extend(flatten(item))\n"
        "        else:\n            out.append(item)\n    return out\n",
        [
            "assert flatten([]) == []",
            "assert flatten([1, 2]) == [1, 2]",
            "assert flatten([1, [2, 3]]) == [1, 2, 3]",
            "assert flatten([[1, [2, [3]]], 4]) == [1, 2, 3, 4]",
            "assert flatten([[], [[]]]) == []",
        ],
        [
            "def flatten(items):\n    out = []\n    for item in items:\n        if isinstance(item, list):\n            out.extend(item)\n"
            "        else:\n            out.append(item)\n    return out\n",
            "def flatten(items):\n    out = []\n    for item in items:\n        if isinstance(item, list) and item:\n"
            "            out.extend(flatten(item))\n        else:\n            out.append(item)\n    return out\n",
        ],
    ),
    (
        "gcd",
        "returns the greatest common divisor of two non-negative integers a and b (gcd(0, 0) is 0)",
        "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n",
        [
            "assert gcd(12, 18) == 6",
            "assert gcd(7, 13) == 1",
            "assert gcd(0, 5) == 5",
            "assert gcd(5, 0) == 5",
            "assert gcd(0, 0) == 0",
        ],
        [
            "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return b\n",
            "def gcd(a, b):\n    for d in range(min(a, b), 0, -1):\n        if a % d == 0 and b % d == 0:\n            return d\n    return 1\n",
        ],
    ),
    (
        "factorial",
        "returns n! for a non-negative integer n",
        "def factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result\n",
        [
            "assert factorial(0) == 1",
            "assert factorial(1) == 1",
            "assert factorial(5) == 120",
            "assert factorial(10) == 3628800",
            "assert factorial(3) == 6",
        ],
        [
            "def factorial(n):\n    result = 1\n    for i in range(2, n):\n        result *= i\n    return result\n",
            "def factorial(n):\n    if n == 0:\n        return 0\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result\n",
        ],
    ),
    (
        "fibonacci",
        "returns the n-th Fibonacci number, with fibonacci(0) == 0 and fibonacci(1) == 1",
        "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
        [
            "assert fibonacci(0) == 0",
            "assert fibonacci(1) == 1",
            "assert fibonacci(2) == 1",
            "assert fibonacci(10) == 55",
            "assert fibonacci(20) == 6765",
        ],
        [
            "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n - 1):\n        a, b = b, a + b\n    return b\n",
            "def fibonacci(n):\n    a, b = 1, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
        ],
    ),
    (
        "is_prime",
        "returns True if the integer n is a prime number",
        "def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n"
        "            return False\n        i += 1\n    return True\n",
        [
            "assert is_prime(2) is True",
            "assert is_prime(1) is False",
            "assert is_prime(4) is False",
            "assert is_prime(97) is True",
            "assert is_prime(91) is False",
        ],
        [
            "def is_prime(n):\n    if n < 2:\n        return False\n    for i in range(2, n // 2):\n        if n % i == 0:\n"
            "            return False\n    return True\n",
            "def is_prime(n):\n    if n < 1:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n"
            "            return False\n        i += 1\n    return True\n",
        ],
    ),
    (
        "merge_sorted",
        "merges two sorted lists a and b into one sorted list",
        "def merge_sorted(a, b):\n    out, i, j = [], 0, 0\n    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n"
        "            out.append(a[i])\n            i += 1\n        else:\n            out.append(b[j])\n            j += 1\n"
        "    return out + a[i:] + b[j:]\n",
        [
            "assert merge_sorted([], []) == []",
            "assert merge_sorted([1, 3], [2, 4]) == [1, 2, 3, 4]",
            "assert merge_sorted([1, 2], []) == [1, 2]",
            "assert merge_sorted([5], [1, 2, 3]) == [1, 2, 3, 5]",
            "assert merge_sorted([1, 1], [1]) == [1, 1, 1]",
        ],
        [
            "def merge_sorted(a, b):\n    out, i, j = [], 0, 0\n    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n"
            "            out.append(a[i])\n            i += 1\n        else:\n            out.append(b[j])\n            j += 1\n"
            "    return out + a[i:]\n",
            "def merge_sorted(a, b):\n    return a + b\n",
        ],
    ),
    (
        "run_length_encode",
        "returns the run-length encoding of the string s, each run written as the character "
        "followed by its count, e.g. 'aaab' -> 'a3b1'",
        "def run_length_encode(s):\n    out = []\n    i = 0\n    while i < len(s):\n        j = i\n        while j < len(s) and s[j] == s[i]:\n"
        "            j += 1\n        out.append(f'{s[i]}{j - i}')\n        i = j\n    return ''.join(out)\n",
        [
            "assert run_length_encode('') == ''",
            "assert run_length_encode('a') == 'a1'",
            "assert run_length_encode('aaab') == 'a3b1'",
            "assert run_length_encode('abba') == 'a1b2a1'",
            "assert run_length_encode('zzzzzz') == 'z6'",
        ],
        [
            "def run_length_encode(s):\n    out = []\n    count = 1\n    for k in range(1, len(s)):\n        if s[k] == s[k - 1]:\n"
            "            count += 1\n        else:\n            out.append(f'{s[k - 1]}{count}')\n            count = 1\n    return ''.join(out)\n",
            "def run_length_encode(s):\n    out = []\n    for c in dict.fromkeys(s):\n        out.append(f'{c}{s.count(c)}')\n    return ''.join(out)\n",
        ],
    ),
    (
        "caesar_shift",
        "shifts each lowercase letter of the string s forward by k places in the alphabet, wrapping "
        "from z to a, and leaves every other character unchanged",
        "def caesar_shift(s, k):\n    return ''.join(chr((ord(c) - 97 + k) % 26 + 97) if 'a' <= c <= 'z' else c for c in s)\n",
        [
            "assert caesar_shift('abc', 1) == 'bcd'",
            "assert caesar_shift('xyz', 3) == 'abc'",
            "assert caesar_shift('hello, world!', 0) == 'hello, world!'",
            "assert caesar_shift('a b', 2) == 'c d'",
            "assert caesar_shift('zoo', 27) == 'app'",
        ],
        [
            "def caesar_shift(s, k):\n    return ''.join(chr(ord(c) + k) if 'a' <= c <= 'z' else c for c in s)\n",
            "def caesar_shift(s, k):\n    return ''.join(chr((ord(c) - 97 + k) % 26 + 97) for c in s)\n",
        ],
    ),
    (
        "unique_in_order",
        "returns a list of the items of seq with consecutive duplicates collapsed into one, "
        "e.g. 'AAABBA' -> ['A', 'B', 'A']",
        "def unique_in_order(seq):\n    out = []\n    for item in seq:\n        if not out or out[-1] != item:\n            out.append(item)\n    return out\n",
        [
            "assert unique_in_order('') == []",
            "assert unique_in_order('AAABBA') == ['A', 'B', 'A']",
            "assert unique_in_order([1, 1, 2, 2, 1]) == [1, 2, 1]",
            "assert unique_in_order('abc') == ['a', 'b', 'c']",
            "assert unique_in_order([3]) == [3]",
        ],
        [
            "def unique_in_order(seq):\n    return list(dict.fromkeys(seq))\n",
            "def unique_in_order(seq):\n    out = []\n    for k in range(1, len(seq)):\n        if seq[k] != seq[k - 1]:\n            out.append(seq[k - 1])\n    return out\n",
        ],
    ),
    (
        "word_count",
        "returns a dict mapping each word of the string s, lowercased, to how many times it occurs "
        "(words are separated by whitespace)",
        "def word_count(s):\n    counts = {}\n    for word in s.lower().split():\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n",
        [
            "assert word_count('') == {}",
            "assert word_count('a b a') == {'a': 2, 'b': 1}",
            "assert word_count('The the THE') == {'the': 3}",
            "assert word_count('one  two') == {'one': 1, 'two': 1}",
            "assert word_count('x') == {'x': 1}",
        ],
        [
            "def word_count(s):\n    counts = {}\n    for word in s.split():\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n",
            "def word_count(s):\n    counts = {}\n    for word in s.lower().split(' '):\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n",
        ],
    ),
    (
        "binary_search",
        "returns the index of x in the sorted list arr, or -1 if x is not in it",
        "def binary_search(arr, x):\n    lo, hi = 0, len(arr) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        if arr[mid] == x:\n"
        "            return mid\n        if arr[mid] < x:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1\n",
        [
            "assert binary_search([1, 3, 5, 7], 5) == 2",
            "assert binary_search([1, 3, 5, 7], 7) == 3",
            "assert binary_search([], 1) == -1",
            "assert binary_search([2], 2) == 0",
            "assert binary_search([1, 3, 5], 4) == -1",
        ],
        [
            "def binary_search(arr, x):\n    lo, hi = 0, len(arr) - 1\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if arr[mid] == x:\n"
            "            return mid\n        if arr[mid] < x:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1\n",
            "def binary_search(arr, x):\n    lo, hi = 0, len(arr)\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if arr[mid] < x:\n"
            "            lo = mid + 1\n        else:\n            hi = mid\n    return lo\n",
        ],
    ),
    (
        "rotate_right",
        "returns the list lst rotated right by k places (k may exceed the length)",
        "def rotate_right(lst, k):\n    if not lst:\n        return []\n    k %= len(lst)\n    return lst[-k:] + lst[:-k] if k else list(lst)\n",
        [
            "assert rotate_right([1, 2, 3, 4], 1) == [4, 1, 2, 3]",
            "assert rotate_right([1, 2, 3], 0) == [1, 2, 3]",
            "assert rotate_right([1, 2, 3], 4) == [3, 1, 2]",
            "assert rotate_right([], 3) == []",
            "assert rotate_right([1, 2], 2) == [1, 2]",
        ],
        [
            "def rotate_right(lst, k):\n    if not lst:\n        return []\n    k %= len(lst)\n    return lst[k:] + lst[:k]\n",
            "def rotate_right(lst, k):\n    if not lst:\n        return []\n    return lst[-k:] + lst[:-k]\n",
        ],
    ),
    (
        "max_subarray_sum",
        "returns the largest sum of a non-empty contiguous slice of the non-empty list nums",
        "def max_subarray_sum(nums):\n    best = current = nums[0]\n    for x in nums[1:]:\n        current = max(x, current + x)\n"
        "        best = max(best, current)\n    return best\n",
        [
            "assert max_subarray_sum([1, 2, 3]) == 6",
            "assert max_subarray_sum([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6",
            "assert max_subarray_sum([-3, -1, -2]) == -1",
            "assert max_subarray_sum([5]) == 5",
            "assert max_subarray_sum([2, -1, 2]) == 3",
        ],
        [
            "def max_subarray_sum(nums):\n    best = current = 0\n    for x in nums:\n        current = max(0, current + x)\n"
            "        best = max(best, current)\n    return best\n",
            "def max_subarray_sum(nums):\n    return max(sum(x for x in nums if x > 0), max(nums))\n",
        ],
    ),
    (
        "to_binary",
        "returns the binary representation of a non-negative integer n as a string without prefix, '0' for 0",
        "def to_binary(n):\n    if n == 0:\n        return '0'\n    digits = []\n    while n:\n        digits.append(str(n % 2))\n        n //= 2\n"
        "    return ''.join(reversed(digits))\n",
        [
            "assert to_binary(0) == '0'",
            "assert to_binary(1) == '1'",
            "assert to_binary(5) == '101'",
            "assert to_binary(8) == '1000'",
            "assert to_binary(255) == '11111111'",
        ],
        [
            "def to_binary(n):\n    digits = []\n    while n:\n        digits.append(str(n % 2))\n        n //= 2\n    return ''.join(reversed(digits))\n",
            "def to_binary(n):\n    if n == 0:\n        return '0'\n    digits = []\n    while n:\n        digits.append(str(n % 2))\n        n //= 2\n"
            "    return ''.join(digits)\n",
        ],
    ),
    (
        "celsius_to_fahrenheit",
        "converts a temperature c in degrees Celsius to degrees Fahrenheit",
        "def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32\n",
        [
            "assert celsius_to_fahrenheit(0) == 32",
            "assert celsius_to_fahrenheit(100) == 212",
            "assert celsius_to_fahrenheit(-40) == -40",
            "assert abs(celsius_to_fahrenheit(37) - 98.6) < 1e-9",
            "assert celsius_to_fahrenheit(10) == 50",
        ],
        [
            "def celsius_to_fahrenheit(c):\n    return c * 5 / 9 + 32\n",
            "def celsius_to_fahrenheit(c):\n    return (c + 32) * 9 / 5\n",
        ],
    ),
    (
        "chunk",
        "splits the list lst into consecutive chunks of length size; the last chunk may be shorter",
        "def chunk(lst, size):\n    return [lst[i:i + size] for i in range(0, len(lst), size)]\n",
        [
            "assert chunk([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]",
            "assert chunk([1, 2, 3], 2) == [[1, 2], [3]]",
            "assert chunk([], 3) == []",
            "assert chunk([1], 5) == [[1]]",
            "assert chunk([1, 2, 3, 4, 5], 1) == [[1], [2], [3], [4], [5]]",
        ],
        [
            "def chunk(lst, size):\n    return [lst[i:i + size] for i in range(0, len(lst) - size + 1, size)]\n",
            "def chunk(lst, size):\n    return [lst[i:i + size] for i in range(0, len(lst), size) if len(lst[i:i + size]) == size] or [lst]\n",
        ],
    ),
    (
        "median",
        "returns the median of the non-empty list nums (the mean of the two middle values for an even length)",
        "def median(nums):\n    ordered = sorted(nums)\n    mid = len(ordered) // 2\n    if len(ordered) % 2:\n        return ordered[mid]\n"
        "    return (ordered[mid - 1] + ordered[mid]) / 2\n",
        [
            "assert median([3, 1, 2]) == 2",
            "assert median([4, 1, 3, 2]) == 2.5",
            "assert median([5]) == 5",
            "assert median([1, 1, 1, 9]) == 1",
            "assert median([10, 2]) == 6",
        ],
        [
            "def median(nums):\n    ordered = sorted(nums)\n    return ordered[len(ordered) // 2]\n",
            "def median(nums):\n    mid = len(nums) // 2\n    if len(nums) % 2:\n        return nums[mid]\n    return (nums[mid - 1] + nums[mid]) / 2\n",
        ],
    ),
    (
        "are_anagrams",
        "returns True if the strings a and b are anagrams of each other, ignoring spaces and case",
        "def are_anagrams(a, b):\n    clean = lambda s: sorted(s.replace(' ', '').lower())\n    return clean(a) == clean(b)\n",
        [
            "assert are_anagrams('listen', 'silent') is True",
            "assert are_anagrams('Dormitory', 'dirty room') is True",
            "assert are_anagrams('abc', 'abd') is False",
            "assert are_anagrams('aab', 'abb') is False",
            "assert are_anagrams('', '') is True",
        ],
        [
            "def are_anagrams(a, b):\n    clean = lambda s: sorted(s.replace(' ', ''))\n    return clean(a) == clean(b)\n",
            "def are_anagrams(a, b):\n    clean = lambda s: set(s.replace(' ', '').lower())\n    return clean(a) == clean(b)\n",
        ],
    ),
    (
        "roman_to_int",
        "converts a Roman numeral string (I, V, X, L, C, D, M, with subtractive pairs such as IV) to an integer",
        "def roman_to_int(s):\n    values = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\n    total = 0\n"
        "    for i, c in enumerate(s):\n        if i + 1 < len(s) and values[c] < values[s[i + 1]]:\n            total -= values[c]\n"
        "        else:\n            total += values[c]\n    return total\n",
        [
            "assert roman_to_int('III') == 3",
            "assert roman_to_int('IV') == 4",
            "assert roman_to_int('IX') == 9",
            "assert roman_to_int('LVIII') == 58",
            "assert roman_to_int('MCMXCIV') == 1994",
        ],
        [
            "def roman_to_int(s):\n    values = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\n    return sum(values[c] for c in s)\n",
            "def roman_to_int(s):\n    values = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\n    total = 0\n"
            "    for i, c in enumerate(s):\n        if i + 1 < len(s) and values[c] <= values[s[i + 1]]:\n            total -= values[c]\n"
            "        else:\n            total += values[c]\n    return total\n",
        ],
    ),
]


def failing_tests(code: str, tests: list[str]) -> list[int]:
    """Indices of the tests `code` fails. Runs in-process: only for the trusted code in this file."""
    failed = []
    for i, test in enumerate(tests):
        namespace: dict = {}
        try:
            exec(code, namespace)
            exec(test, namespace)
        except Exception:
            failed.append(i)
    return failed


def python_function_rows() -> list[dict]:
    """Small function tasks: a reference solution (the answer), assert tests and two broken variants.

    "buggy_fails" lists, per broken variant, the tests it fails (the simulator's test judge uses it).
    """
    rows = []
    for i, (entry, task, solution, tests, buggy) in enumerate(FUNCTIONS, 1):
        if failing_tests(solution, tests):
            raise AssertionError(f"reference solution of {entry} fails its tests")
        fails = [failing_tests(variant, tests) for variant in buggy]
        if not all(fails):
            raise AssertionError(f"a broken variant of {entry} passes every test")
        signature = solution.split("\n", 1)[0].removeprefix("def ").rstrip(":")
        rows.append(
            {
                "id": f"py-{i:03d}",
                "question": f"Write a Python function `{signature}` that {task}.",
                "answer": solution,
                "entry_point": entry,
                "tests": tests,
                "buggy": buggy,
                "buggy_fails": fails,
            }
        )
    return rows


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def main(directory: Path = HERE) -> None:
    """Write the three files into `directory` (the package itself by default)."""
    rng = random.Random(SEED)
    write(directory / "arithmetic.jsonl", arithmetic_rows(rng))
    write(directory / "multiple_choice.jsonl", multiple_choice_rows(rng))
    write(directory / "python_functions.jsonl", python_function_rows())


if __name__ == "__main__":
    main()
