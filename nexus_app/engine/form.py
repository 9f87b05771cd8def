"""Fixed-form assembly for the full tryout, and its scoring.

`draw_form` picks `length` items of one section for one student:

* **Content balance.** The length is shared out over the section's topics (`sub_type`) as
  evenly as the pool allows: every topic gets floor(length / topics) or one more, a topic
  with too few items gives its remainder to the others (water-filling), and which topics
  get the extra one is random.
* **Difficulty spread.** Within a topic the items are sorted by difficulty and cut into as
  many equal strata as items are wanted; one item is drawn at random from each stratum, so
  a form runs from easy to hard instead of clustering where the pool is thickest.
* **Exposure.** Given how often each item was used in earlier forms of the same blueprint
  (`usage`), each stratum's item is drawn among its least-used items only, so a bank is used
  round by round (every item of a stratum once before any twice) instead of at random,
  which would let some items reach many more students than others.
* **Order.** The chosen items are shuffled, so two students in one room see different items
  in different orders (the generator is seeded per sitting, so a form can be redrawn).

`score_form` is EAP on the 3PL responses (unanswered counts as wrong, as on the real exam).
Pure numpy; no app imports.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .cat import ThetaPosterior


@dataclass(frozen=True, slots=True)
class PoolItem:
    item_id: int
    b: float
    sub_type: str


def allocate(available: dict[str, int], length: int, rng: np.random.Generator) -> dict[str, int]:
    """How many items each topic gives: as even as the pool allows, summing to
    min(length, pool size). One item at a time goes to a topic with room and the fewest
    so far; ties are broken by a random order fixed per draw."""
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    topics = list(available)
    tie_break = {t: int(r) for t, r in zip(topics, rng.permutation(len(topics)), strict=True)}
    shares = {topic: 0 for topic in topics}
    for _ in range(min(length, sum(available.values()))):
        topic = min(
            (t for t in topics if shares[t] < available[t]),
            key=lambda t: (shares[t], tie_break[t]),
        )
        shares[topic] += 1
    return shares


def _spread(
    items: list[PoolItem], k: int, rng: np.random.Generator, usage: Mapping[int, int]
) -> list[PoolItem]:
    """k items, one from each of k equal difficulty strata: at random among the stratum's
    least-used items."""
    ranked = sorted(items, key=lambda item: (item.b, item.item_id))
    edges = np.linspace(0, len(ranked), k + 1)
    chosen = []
    # k <= len(items), so the strata are consecutive, disjoint and never empty.
    for low, high in itertools.pairwise(edges):
        stratum = ranked[round(low) : round(high)]
        fewest = min(usage.get(item.item_id, 0) for item in stratum)
        least_used = [item for item in stratum if usage.get(item.item_id, 0) == fewest]
        chosen.append(least_used[int(rng.integers(len(least_used)))])
    return chosen


def draw_form(
    pool: Sequence[PoolItem],
    length: int,
    rng: np.random.Generator,
    usage: Mapping[int, int] | None = None,
) -> list[int]:
    """Item ids of one student's form, in the order shown (see the module docstring).

    `usage`: item id -> how many earlier forms of the same blueprint used it (missing: 0).
    Never repeats an item; shorter than `length` only when the pool is.
    """
    used: Mapping[int, int] = usage or {}
    by_topic: dict[str, list[PoolItem]] = {}
    for item in pool:
        by_topic.setdefault(item.sub_type, []).append(item)
    shares = allocate({t: len(items) for t, items in sorted(by_topic.items())}, length, rng)
    chosen: list[int] = []
    for topic, k in shares.items():
        if k:
            chosen.extend(item.item_id for item in _spread(by_topic[topic], k, rng, used))
    order = rng.permutation(len(chosen))
    return [chosen[int(i)] for i in order]


def score_form(
    responses: Sequence[tuple[float, float, float, bool]],
) -> tuple[float, float]:
    """(EAP theta, posterior SD) from (a, b, c, correct) per form item."""
    posterior = ThetaPosterior()
    for a, b, c, correct in responses:
        posterior.add(a, b, c, int(correct))
    return posterior.estimate()


def percentile(mine: float, others: Sequence[float]) -> float:
    """Share (0-100) of `others` scoring below `mine`, ties counting half."""
    if not others:
        return 100.0
    below = sum(1 for v in others if v < mine)
    ties = sum(1 for v in others if v == mine)
    return 100.0 * (below + 0.5 * ties) / len(others)
