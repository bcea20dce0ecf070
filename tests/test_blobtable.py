"""The packed blob table a history walk keeps, checked against a plain dict model of the same sightings."""

from __future__ import annotations

import random

import pytest

from keyscan.sources.blobtable import MAX_LOCATIONS, NEW_FILE, NOT_HERE, BlobTable
from keyscan.sources.jobs import BlobJob


class _Model:
    """What the table must answer, kept the obvious way (a dict of dicts)."""

    def __init__(self) -> None:
        self.blobs: dict[str, dict] = {}

    def sight(self, commit: int, path: str, oid: str, base: str) -> None:
        entry = self.blobs.get(oid)
        if entry is None:
            self.blobs[oid] = {"commit": commit, "path": path, "base": base, "more": [], "total": 1}
            return
        if path == entry["path"] or any(p == path for _, p in entry["more"]):
            return
        entry["total"] += 1
        if len(entry["more"]) < MAX_LOCATIONS:
            entry["more"].append((commit, path))


def _fill(width: int, blobs: int, sightings: int, seed: int) -> tuple[BlobTable, _Model, list[str]]:
    rng = random.Random(seed)
    ids = [rng.randbytes(width).hex() for _ in range(blobs)]
    paths = [f"dir{i % 5}/file{i}.txt" for i in range(40)]
    table, model = BlobTable(), _Model()
    for commit in range(sightings):
        oid = ids[min(int(rng.expovariate(1 / 3) * blobs / 3), blobs - 1)] if commit % 3 else ids[commit % blobs]
        base = rng.choice(ids) if rng.random() < 0.7 else ""
        path = rng.choice(paths)
        table.sight(commit, table.path_number(path.encode()), oid.encode(), base.encode())
        model.sight(commit, path, oid, base)
    return table, model, ids


@pytest.mark.parametrize("width", [20, 32])  # SHA-1 and SHA-256 repositories
def test_the_table_answers_as_the_dict_model_does(width: int) -> None:
    table, model, ids = _fill(width, blobs=40_000, sightings=90_000, seed=width)  # past the first re-hash
    assert len(table) == len(model.blobs) > 32_768
    assert [job.oid for job in table] == list(model.blobs)  # order of first sighting
    for index, (oid, entry) in enumerate(model.blobs.items()):
        assert table[index] == BlobJob(oid, entry["path"], entry["commit"], entry["base"])
        assert table.find(oid) == index and oid in table
        assert table.total(index) == entry["total"]
        assert table.places(index) == [(entry["commit"], entry["path"]), *entry["more"]]
    every = range(len(table))
    assert table.predecessors(every) == [
        NEW_FILE if not job.base else table.find(job.base) if job.base in model.blobs else NOT_HERE
        for job in table]
    unseen = [oid for oid in ids if oid not in model.blobs]
    assert unseen and all(table.find(oid) == -1 and oid not in table for oid in unseen)
    assert table[-1] == table[len(table) - 1] and table[3:6] == [table[3], table[4], table[5]]


def test_later_places_are_capped_and_the_count_stays_exact() -> None:
    table = BlobTable()
    oid = b"ab" * 20
    for commit in range(3 * MAX_LOCATIONS):
        table.sight(commit, table.path_number(f"copy{commit}.txt".encode()), oid, b"")
    table.sight(999, table.path_number(b"copy0.txt"), oid, b"")  # the first place again: not a new one
    assert len(table) == 1
    assert table.total(0) == 3 * MAX_LOCATIONS
    assert len(table.later_places(0)) == MAX_LOCATIONS


def test_ids_of_another_kind_or_no_id_are_refused() -> None:
    table = BlobTable()
    table.sight(0, table.path_number(b"a"), b"11" * 20, b"")
    with pytest.raises(ValueError, match="kind"):
        table.sight(1, table.path_number(b"b"), b"22" * 32, b"")
    with pytest.raises(ValueError):
        BlobTable().sight(0, 0, b"33" * 7, b"")
    assert table.find("not hex") == -1 and table.find("44" * 32) == -1 and 5 not in table


def test_a_secret_in_many_blobs_is_one_finding_with_its_earliest_places_and_exact_count() -> None:
    """The history aggregator keeps one Finding per secret and each holding blob as numbers; whatever
    order the blobs' verdicts arrive in, the finding is the earliest place and the occurrences the
    next ``MAX_LOCATIONS`` distinct ones."""
    from keyscan.model import Confidence, Finding, ScanSummary, Severity
    from keyscan.sources.history import Aggregator, Walk

    walk = Walk()
    for commit in range(400):
        walk.commits.append(f"{commit:040x}".encode(), b"A", b"a@example.com", b"2024-01-01T00:00:00+00:00", b"s")
    rng = random.Random(7)
    holders = []
    for number in range(300):  # one version a commit, at one of 3 paths; some also copied elsewhere later
        oid = rng.randbytes(20).hex().encode()
        walk.blobs.sight(number, walk.blobs.path_number(f"f{number % 3}.env".encode()), oid, b"")
        if number % 50 == 0:
            walk.blobs.sight(number + 100, walk.blobs.path_number(f"copy{number}.env".encode()), oid, b"")
        holders.append(number)
    finding = Finding(rule_id="r", rule_name="R", provider="p", path="", line=2, column=5, end_line=2,
                      end_column=9, secret="s", fingerprint="ks1:x", entropy=4.0, severity=Severity.HIGH,
                      confidence=Confidence.HIGH)
    aggregator = Aggregator(walk.blobs)
    rng.shuffle(holders)
    for index in holders:
        aggregator.add(index, [finding.replace(path=walk.blobs.path(index))])
    summary = ScanSummary()
    [merged] = aggregator.findings(walk, {walk.blobs.oid(299)}, summary)
    places = sorted({(c, p) for index in range(300) for c, p in walk.blobs.places(index)})
    assert (0, merged.path) == places[0]  # the earliest place is the finding
    assert [(o["commit"], o["path"]) for o in merged.occurrences] == [
        (walk.commits.id(c), p) for c, p in places[1:MAX_LOCATIONS + 1]]
    assert merged.status == "present"
    assert any(f"appears in {len(places) - 1} other place(s)" in note for note in summary.notes)
