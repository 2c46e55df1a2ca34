"""An export's entry line carries the entry's canonical encoding verbatim, so the verifier can hash
it without re-encoding: the line must parse to the same entry and hash to the same leaf,
whatever the field values hold (quotes, `,"seq":`, non-ASCII)."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from consent.audit.encoding import (
    FIELDS,
    canonical_entry,
    entry_leaf_hash,
    entry_line,
    split_entry_line,
)
from crypto.merkle import leaf_hash

tricky = st.one_of(
    st.text(max_size=20),
    st.sampled_from(['","seq":1,"', ',"seq":2', '\\",\\"seq\\":3', "सहमति", "\n", "}"]),
)
optional = st.one_of(st.none(), tricky)
entries = st.fixed_dictionaries(
    {
        "seq": st.integers(min_value=1, max_value=2**53),
        "time": st.integers(min_value=0, max_value=2**62),
        "actor_type": tricky,
        "actor_id": optional,
        "organisation_id": optional,
        "client_id": optional,
        "action": tricky,
        "subject": optional,
        "record_types": st.lists(tricky, max_size=3),
        "record_ids": st.lists(tricky, max_size=3),
        "grant_id": optional,
        "purpose": optional,
        "outcome": st.sampled_from(["allowed", "denied"]),
        "reason": optional,
        "request_id": optional,
    }
)


@given(entries)
def test_the_line_gives_back_the_leaf_hash_and_seq(entry: dict[str, Any]) -> None:
    canonical = canonical_entry(entry)
    stored = base64.b64encode(entry_leaf_hash(entry)).decode("ascii")
    line = entry_line(stored, canonical)

    assert split_entry_line(line.encode()) == (stored.encode(), leaf_hash(canonical), entry["seq"])
    assert split_entry_line(line.replace("\n", "\r\n").encode()) == split_entry_line(line.encode())
    parsed = json.loads(line)
    assert parsed["type"] == "entry"
    assert parsed["leaf_hash"] == stored
    assert {name: parsed[name] for name in FIELDS} == entry
    assert canonical_entry(parsed) == canonical


@given(entries, st.sampled_from(["  ", "{}", '{"type":"entry"}', '{"type":"entry","leaf_hash":"']))
def test_other_shapes_are_left_to_the_json_path(entry: dict[str, Any], junk: str) -> None:
    stored = base64.b64encode(entry_leaf_hash(entry)).decode("ascii")
    line = entry_line(stored, canonical_entry(entry))

    assert split_entry_line(junk.encode()) is None
    respaced = json.dumps(json.loads(line)).encode()  # what re-serialising with spaces gives
    assert split_entry_line(respaced) is None
