"""The offline verifier takes untrusted input: whatever an export is turned into, it answers with
a report (never an exception), and any change to an entry's content is caught."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.audit.checkpoints import latest_checkpoint, publish_current
from consent.audit.encoding import entry_leaf_hash
from consent.audit.export import prepare_export
from consent.audit.note import checkpoint_body, parse_verifier_key, sign_note, verifier_key
from consent.audit.verify import verify_export
from crypto.signing import SigningKey
from tests.consent.audit.conftest import ORIGIN, BareLog

FUNCTION_FIXTURES = [HealthCheck.function_scoped_fixture]


@pytest.fixture
def export(bare_log: BareLog) -> tuple[list[str], str]:
    bare_log.fill(30)
    with bare_log.db.write() as conn:
        publish_current(conn, bare_log.log.signer, bare_log.clock())
    with bare_log.db.read() as conn:
        checkpoint = latest_checkpoint(conn)
    assert checkpoint is not None
    lines = list(prepare_export(bare_log.db, checkpoint).lines())
    return lines, str(verifier_key(ORIGIN, bare_log.key.public_key_bytes()))


def _verify(lines: list[str], key: str) -> bool:
    return verify_export(lines, keys=[parse_verifier_key(key)]).ok


def test_the_untouched_export_verifies(export: tuple[list[str], str]) -> None:
    lines, key = export
    assert _verify(lines, key)
    assert json.loads(lines[-1])["verified"] is True


@settings(max_examples=60, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(data=st.data())
def test_any_mangling_gives_a_report(export: tuple[list[str], str], data: st.DataObject) -> None:
    lines, key = export
    mangled = list(lines)
    operation = data.draw(st.sampled_from(["drop", "duplicate", "swap", "garbage", "flip"]))
    at = data.draw(st.integers(0, len(mangled) - 1), label="at")
    if operation == "drop":
        del mangled[at]
    elif operation == "duplicate":
        mangled.insert(at, mangled[at])
    elif operation == "swap":
        other = data.draw(st.integers(0, len(mangled) - 1), label="other")
        mangled[at], mangled[other] = mangled[other], mangled[at]
    elif operation == "garbage":
        mangled[at] = data.draw(st.text(max_size=40), label="garbage") + "\n"
    else:
        line = mangled[at]
        where = data.draw(st.integers(0, len(line) - 2), label="where")
        mangled[at] = line[:where] + chr(ord(line[where]) ^ 1) + line[where + 1 :]
    verify_export(mangled, keys=None)  # must not raise, whatever it says
    if mangled != lines and json.loads(lines[at]).get("type") == "entry" and operation != "swap":
        # An entry that was dropped, repeated, replaced or altered is always caught.
        assert not _verify(mangled, key)


@settings(max_examples=30, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(field=st.sampled_from(["action", "subject", "purpose", "time", "record_ids", "outcome"]))
def test_a_changed_field_is_named(export: tuple[list[str], str], field: str) -> None:
    lines, key = export
    entry = json.loads(lines[12])
    entry[field] = {
        "action": "x",
        "subject": "ps_x",
        "purpose": "marketing",
        "time": 1,
        "record_ids": ["other"],
        "outcome": "denied",
    }[field]
    mangled = [*lines[:12], json.dumps(entry) + "\n", *lines[13:]]
    report = verify_export(mangled, keys=[parse_verifier_key(key)])
    assert not report.ok and report.first_bad_seq == entry["seq"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # Found by test_any_mangling_gives_a_report: the leaf hash covers the fields, so a line
        # whose version marker was flipped re-encoded to the same hash and verified.
        ({"v": 0}, "encoding version 0 is not 1"),
        ({"v": True}, "encoding version True is not 1"),
        ({"v": 1.0}, "encoding version 1.0 is not 1"),
        ({"note": "harmless?"}, "unexpected field(s) note"),
    ],
)
def test_a_line_holding_more_than_its_hash_covers_is_refused(
    export: tuple[list[str], str], change: dict[str, object], problem: str
) -> None:
    lines, key = export
    entry = {**json.loads(lines[12]), **change}
    mangled = [*lines[:12], json.dumps(entry) + "\n", *lines[13:]]
    report = verify_export(mangled, keys=[parse_verifier_key(key)])
    assert not report.ok and report.first_bad_seq == entry["seq"]
    assert any(problem in text for text in report.problems), report.problems


def test_a_line_repeating_a_key_is_refused(export: tuple[list[str], str]) -> None:
    """Found in review: json.loads keeps the last of two equal keys, so the hash matched the
    last value while a reader taking the first saw another action."""
    lines, key = export
    line = lines[12]
    mangled_line = line.replace(
        '"action":"record.read"', '"action":"record.deleted","action":"record.read"'
    )
    assert mangled_line != line
    mangled = [*lines[:12], mangled_line, *lines[13:]]
    report = verify_export(mangled, keys=[parse_verifier_key(key)])
    assert not report.ok and report.first_bad_seq == json.loads(line)["seq"]
    assert any("repeats a key" in text for text in report.problems), report.problems


def test_the_end_line_closes_the_export(export: tuple[list[str], str]) -> None:
    """Found in review: lines after the end line, a forged end line and a missing one passed."""
    lines, key = export
    end = json.loads(lines[-1])
    appended = [*lines, lines[5]]  # e.g. two exports concatenated, or a forged tail
    forged_end = [*lines[:-1], json.dumps({**end, "entries": end["entries"] + 1}) + "\n"]
    unverified = [*lines[:-1], json.dumps({**end, "verified": False}) + "\n"]
    for mangled, problem in (
        (appended, "lines after the end line"),
        (forged_end, "end line does not match"),
        (unverified, "could not verify this export"),
        (lines[:-1], "no end line"),
    ):
        report = verify_export(mangled, keys=[parse_verifier_key(key)])
        assert not report.ok and any(problem in text for text in report.problems), problem


def test_an_empty_key_list_is_an_error_not_the_exports_own_keys(
    export: tuple[list[str], str],
) -> None:
    lines, _ = export
    report = verify_export(lines, keys=[])
    assert not report.ok and "no verifier key" in report.problems[0]


def _problems(lines: list[str], key: str | None, **kwargs: str) -> list[str]:
    keys = None if key is None else [parse_verifier_key(key)]
    report = verify_export(lines, keys=keys, **kwargs)
    assert not report.ok
    return report.problems


def test_a_key_of_another_service_names_both_keys(export: tuple[list[str], str]) -> None:
    """Found in review: "no signature by a trusted key" left an auditor guessing which key was
    wrong; the usual cause is a key file of another service or of a retired key."""
    lines, key = export
    other = verifier_key("other.example/audit", SigningKey.generate("k").public_key_bytes())
    [problem] = _problems(lines, str(other))
    signer = parse_verifier_key(key)
    assert problem.startswith("the header's checkpoint is rejected: no signature by a trusted key")
    assert f"signed by {signer.name}+{signer.key_id.hex()}" in problem
    assert f"trusted {other.name}+{other.key_id.hex()}" in problem


def test_a_saved_checkpoint_that_does_not_open_is_named_as_such(
    export: tuple[list[str], str],
) -> None:
    lines, key = export
    header_note = json.loads(lines[0])["checkpoint"]
    [problem] = _problems(lines, key, saved_checkpoint=header_note.replace("\n\n", "\n"))
    assert problem.startswith("the saved checkpoint is rejected: a note is a body")


@pytest.mark.parametrize(
    ("first_line", "problem"),
    [
        (None, "the export is empty"),
        ("PK\x03\x04 not json\n", "not a pds-audit-export/1 export: the first line is not JSON"),
        ("[1, 2]\n", "not a pds-audit-export/1 export: the first line is not a JSON object"),
    ],
)
def test_an_export_that_is_not_one_says_why(
    export: tuple[list[str], str], first_line: str | None, problem: str
) -> None:
    _, key = export
    assert _problems([] if first_line is None else [first_line], key) == [problem]


def test_a_checkpoint_line_out_of_place_says_where_it_belongs(
    export: tuple[list[str], str],
) -> None:
    lines, key = export
    header = json.loads(lines[0])
    size = json.loads(lines[-2])["seq"]  # the header's checkpoint covers every entry
    misplaced = json.dumps({"type": "checkpoint", "note": header["checkpoint"]}) + "\n"
    [problem] = _problems([*lines[:11], misplaced, *lines[11:]], key)
    assert problem == (
        f"the checkpoint signed at size {size} comes after entry 10: it belongs right "
        f"after entry {size} (lines were moved, added or removed)"
    )


def test_a_forged_end_line_names_what_differs(export: tuple[list[str], str]) -> None:
    lines, key = export
    end = json.loads(lines[-1])
    forged = [*lines[:-1], json.dumps({**end, "entries": True, "tree_size": 99}) + "\n"]
    [problem] = _problems(forged, key)
    assert problem == (
        "the end line does not match the entries before it: "
        f"tree_size 99 (read: {end['tree_size']}); entries True (read: {end['entries']})"
    )


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        ({"size": -1}, "the header's start size is not a whole number of entries"),
        ({"size": 4, "frontier": "abc"}, "the header's start frontier is not a list of base64"),
        ({"size": 4, "frontier": ["%%"]}, "the header's start frontier holds a hash that is not"),
        ({"size": 4, "frontier": []}, "the header's start frontier does not fit: a frontier"),
    ],
)
def test_a_malformed_header_start_is_named(
    export: tuple[list[str], str], start: dict[str, object], problem: str
) -> None:
    lines, key = export
    header = {**json.loads(lines[0]), "start": start}
    [text] = _problems([json.dumps(header) + "\n", *lines[1:]], key)
    assert text.startswith(problem), text


def test_a_leaf_hash_rewritten_with_other_unused_bits_is_caught(
    export: tuple[list[str], str],
) -> None:
    """Found by test_any_mangling_gives_a_report: base64's last character of a 32-byte hash
    carries two unused bits, so flipping one left the decoded hash, and the verdict, unchanged
    although the line was no longer the one the service wrote."""
    lines, key = export
    entry = json.loads(lines[4])
    stored = entry["leaf_hash"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(stored[-2])  # the character before the "=" padding
    variant = stored[:-2] + alphabet[last ^ 1] + "="
    assert base64.b64decode(variant) == base64.b64decode(stored)  # the same hash
    mangled = [*lines[:4], lines[4].replace(stored, variant), *lines[5:]]
    problems = _problems(mangled, key)
    assert problems == [f"entry {entry['seq']}'s leaf hash is not in canonical base64"]


def test_every_one_bit_change_of_an_entry_line_is_caught(export: tuple[list[str], str]) -> None:
    """What test_any_mangling_gives_a_report samples, for every character of one entry line:
    the verifier accepts the line only as the service wrote it."""
    lines, key = export
    line = lines[4]
    missed = []
    for at in range(len(line) - 1):  # not the newline
        flipped = line[:at] + chr(ord(line[at]) ^ 1) + line[at + 1 :]
        if _verify([*lines[:4], flipped, *lines[5:]], key):
            missed.append((at, line[at]))
    assert missed == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("origin", "evil.example/audit"), ("tree_size", 50), ("tree_size", "30"), ("origin", None)],
)
def test_a_header_that_misstates_its_signed_checkpoint_is_named(
    export: tuple[list[str], str], field: str, value: object
) -> None:
    """Found in review: the header's origin and size could be edited and the export still
    verified, so an auditor reading the header read false figures."""
    lines, key = export
    header = json.loads(lines[0])
    assert (header["origin"], header["tree_size"]) == (ORIGIN, 30)  # what the service writes
    edited = {**header, field: value}
    [text] = _problems([json.dumps(edited) + "\n", *lines[1:]], key)
    signed = {"origin": ORIGIN, "tree_size": 30}[field]
    assert text == f"the header's {field} {value!r} is not its signed checkpoint's ({signed!r})"


def test_a_saved_checkpoint_the_export_contradicts_is_named_a_split_view(
    export: tuple[list[str], str], bare_log: BareLog
) -> None:
    """Found in review: a saved checkpoint validly signed over other entries (the service
    showing this auditor one log and someone else another) was reported as altered entries in
    the export, which verifies against its own signed checkpoint: the evidence was mislabelled."""
    lines, key = export
    other_log = checkpoint_body(ORIGIN, 20, bytes(32), bare_log.clock())
    saved = sign_note(other_log, ORIGIN, bare_log.key)
    [problem] = _problems(lines, key, saved_checkpoint=saved)
    assert problem == (
        "your saved checkpoint (size 20) and this export's checkpoint (size 30) are both signed "
        "by a trusted key but disagree about entries 1..20: the service signed two different "
        "logs (a split view). Keep both files: they are the evidence"
    )
    # The same saved checkpoint with an entry of the export altered: that is named first.
    entry = json.loads(lines[5])
    forged = [*lines[:5], json.dumps({**entry, "action": "forged"}) + "\n", *lines[6:]]
    report = verify_export(forged, keys=[parse_verifier_key(key)], saved_checkpoint=saved)
    assert not report.ok and "split view" not in " ".join(report.problems)


def test_a_forged_copy_of_an_entry_puts_the_blame_on_its_number(
    export: tuple[list[str], str],
) -> None:
    """Found in review: a forged entry 20, its hash recomputed, inserted before the genuine one
    was counted as verified, and the genuine entry was blamed (first bad entry 21)."""
    lines, key = export
    at = next(i for i, line in enumerate(lines) if json.loads(line).get("seq") == 20)
    genuine = json.loads(lines[at])
    forged = {**genuine, "action": "record.delete"}
    forged["leaf_hash"] = base64.b64encode(entry_leaf_hash(forged)).decode()
    report = verify_export(
        [*lines[:at], json.dumps(forged) + "\n", *lines[at:]], keys=[parse_verifier_key(key)]
    )
    assert report.first_bad_seq == 20
    assert report.problems == ["entry 20 appears twice: one of the two lines was forged"]
