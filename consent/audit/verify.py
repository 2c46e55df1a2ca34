"""Offline verification of an audit export: `pds audit verify EXPORT [--checkpoint] [--key]`.

Rebuilds the Merkle tree from the exported entries, checks every signed checkpoint in the export
against it, checks consistency with a checkpoint saved earlier, and names the first bad entry.
Depends only on the standard library, `crypto` and the two crypto-only audit modules (an
import-linter contract holds it to that), so an auditor can trust it without the service.

What "first bad entry" can mean: an entry whose content no longer matches its stored leaf hash, a
gap or a repeat in the sequence, or an entry moved from elsewhere (found by re-hashing it under
nearby sequence numbers) is named exactly. If someone rewrote entries *and* recomputed every
hash, only the signed checkpoints catch it, so the report names the first entry after the last
checkpoint that still verifies.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from consent.audit.encoding import (
    MalformedEntry,
    canonical_entry,
    check_entry_line,
    entry_leaf_hash,
    split_entry_line,
)
from consent.audit.note import (
    Checkpoint,
    NoteError,
    VerifierKey,
    open_checkpoint,
    parse_verifier_key,
)
from crypto.merkle import MerkleError, TreeBuilder, leaf_hash, verify_consistency

EXPORT_FORMAT = "pds-audit-export/1"
SHIFT_WINDOW = 16  # how far an entry may have moved and still be recognised as moved


class BadEntry(Exception):
    """Verification stops here: `seq` is the first entry that cannot be trusted."""

    def __init__(self, seq: int, message: str) -> None:
        super().__init__(message)
        self.seq = seq
        self.message = message


class ExportError(Exception):
    """The export as a whole is unusable: no header, bad checkpoint signature, and the like."""


@dataclass
class Report:
    ok: bool = False
    entries: int = 0
    tree_size: int = 0
    root: bytes = b""
    checkpoints_verified: int = 0
    saved_checkpoint: str = "not given"
    first_bad_seq: int | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _RepeatedKey(ValueError):
    pass


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key would let the line say one thing to a reader taking the first value and
    # another to the hash (Python keeps the last).
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _RepeatedKey
    return document


def _decode(line: str | bytes, seq_hint: int) -> dict[str, Any]:
    try:
        document = json.loads(line, object_pairs_hook=_once_each)
    except _RepeatedKey:
        raise BadEntry(seq_hint, f"line after entry {seq_hint - 1} repeats a key") from None
    except ValueError:
        raise BadEntry(seq_hint, f"line after entry {seq_hint - 1} is not JSON") from None
    if not isinstance(document, dict):
        raise BadEntry(seq_hint, f"line after entry {seq_hint - 1} is not a JSON object")
    return document


def _b64list(values: object, where: str) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ExportError(f"{where} is not a list of base64 hashes")
    try:
        return [base64.b64decode(v, validate=True) for v in values]
    except ValueError:
        raise ExportError(f"{where} holds a hash that is not base64") from None


def _moved_from(entry: dict[str, Any], stored: bytes, seq: int) -> int | None:
    """The seq the entry was hashed under, if it moved by at most SHIFT_WINDOW places."""
    for delta in range(1, SHIFT_WINDOW + 1):
        for candidate in (seq - delta, seq + delta):
            if candidate > 0 and leaf_hash(canonical_entry({**entry, "seq": candidate})) == stored:
                return candidate
    return None


class _Verifier:
    def __init__(
        self,
        header: dict[str, Any],
        keys: Sequence[VerifierKey],
        saved: Checkpoint | None,
        report: Report,
    ) -> None:
        self.keys = keys
        self.saved = saved
        self.report = report
        self.final = self._open(header.get("checkpoint"), "the header's checkpoint")
        # The header repeats the signed checkpoint's origin and size for a reader: an edit there
        # would mislead one without failing anything else.
        for name, signed in (("origin", self.final.origin), ("tree_size", self.final.size)):
            stated = header.get(name)
            if type(stated) is not type(signed) or stated != signed:
                raise ExportError(
                    f"the header's {name} {stated!r} is not its signed checkpoint's ({signed!r})"
                )
        start = header.get("start") or {}
        if not isinstance(start, dict):
            raise ExportError("the header's start is not an object")
        size = start.get("size", 0)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ExportError("the header's start size is not a whole number of entries")
        frontier = _b64list(start.get("frontier", []), "the header's start frontier")
        try:
            self.builder = TreeBuilder(size, frontier)
        except MerkleError as exc:
            raise ExportError(f"the header's start frontier does not fit: {exc}") from None
        self.start = size
        self.verified_upto = size  # entries up to here are covered by a verified checkpoint
        self.consistency = header.get("consistency")
        self.saved_checked = False
        self.saved_disagrees: BadEntry | None = None
        self.check_saved_at(size)

    def _open(self, note: object, where: str) -> Checkpoint:
        if not isinstance(note, str):
            raise ExportError(f"{where} is missing (no signed note)")
        try:
            checkpoint = open_checkpoint(note, self.keys)
        except NoteError as exc:
            raise ExportError(f"{where} is rejected: {exc}") from None
        return checkpoint

    def entry(self, document: dict[str, Any]) -> None:
        expected = self.builder.size + 1
        seq = document.get("seq")
        stored_b64 = document.get("leaf_hash")
        try:
            stored = (
                base64.b64decode(stored_b64, validate=True) if isinstance(stored_b64, str) else b""
            )
            check_entry_line(document)
            computed = entry_leaf_hash(document)
        except (ValueError, MalformedEntry) as exc:
            raise BadEntry(expected, f"entry {expected} is malformed: {exc}") from None
        if isinstance(seq, int) and seq > expected:
            raise BadEntry(
                expected, f"entry {expected} is missing or out of place (the next line is {seq})"
            )
        if seq == expected - 1 and expected > 1:
            # A second line numbered like the one before it: one of the two was forged, and the
            # first was already counted, so neither is trusted.
            raise BadEntry(seq, f"entry {seq} appears twice: one of the two lines was forged")
        if seq != expected:
            raise BadEntry(expected, f"entry {seq} appears where entry {expected} should be")
        if computed == stored and base64.b64encode(stored).decode() != stored_b64:
            # Base64's last character carries two bits no hash uses: flipping them leaves the
            # hash as it was, but the line is no longer the one the service wrote.
            raise BadEntry(expected, f"entry {expected}'s leaf hash is not in canonical base64")
        if computed != stored:
            moved = _moved_from(document, stored, expected)
            if moved is None:
                raise BadEntry(expected, f"entry {expected} does not match its leaf hash")
            raise BadEntry(
                min(expected, moved),
                f"entry {expected} holds entry {moved}'s content: entries were "
                + ("inserted" if moved < expected else "deleted or reordered")
                + f" at or after {min(expected, moved)}",
            )
        self.builder.append(computed)
        self.report.entries += 1
        self.check_saved_at(self.builder.size)

    def checkpoint(self, document: dict[str, Any]) -> None:
        where = f"the checkpoint line after entry {self.builder.size}"
        self._check_root(self._open(document.get("note"), where))

    def _check_root(self, checkpoint: Checkpoint) -> None:
        if checkpoint.origin != self.final.origin:
            raise ExportError(
                f"a checkpoint of another log ({checkpoint.origin!r}, "
                f"this export's is {self.final.origin!r})"
            )
        if checkpoint.size != self.builder.size:
            raise ExportError(
                f"the checkpoint signed at size {checkpoint.size} comes after entry "
                f"{self.builder.size}: it belongs right after entry {checkpoint.size} "
                "(lines were moved, added or removed)"
            )
        if checkpoint.root != self.builder.root():
            first = self.verified_upto + 1
            raise BadEntry(
                first,
                f"the entries do not match the checkpoint signed at size {checkpoint.size}: "
                f"entries {first}..{checkpoint.size} were altered (their hashes were recomputed)",
            )
        self.verified_upto = checkpoint.size
        self.report.checkpoints_verified += 1

    def check_saved_at(self, size: int) -> None:
        saved = self.saved
        if saved is None or saved.size != size:
            return
        self.saved_checked = True
        if saved.origin == self.final.origin and saved.root != self.builder.root():
            # Altered entries, or a log the service signed twice over (a split view): which one
            # only the export's own checkpoint can tell, at the end.
            self.saved_disagrees = BadEntry(
                self.verified_upto + 1,
                f"the entries do not match the checkpoint signed at size {size}: entries "
                f"{self.verified_upto + 1}..{size} were altered (their hashes were recomputed)",
            )
            return
        self._check_root(saved)
        self.report.saved_checkpoint = f"consistent (size {size})"

    def finish(self) -> None:
        if self.builder.size < self.final.size:
            raise BadEntry(
                self.builder.size + 1,
                f"entries {self.builder.size + 1}..{self.final.size} are missing",
            )
        try:
            self._check_root(self.final)
        except BadEntry as altered:
            raise (self.saved_disagrees or altered) from None
        if self.saved_disagrees is not None and self.saved is not None:
            # The entries are the ones the export's checkpoint signed, and the saved checkpoint,
            # also signed by a trusted key, says otherwise: the service signed two logs.
            raise ExportError(
                f"your saved checkpoint (size {self.saved.size}) and this export's checkpoint "
                f"(size {self.final.size}) are both signed by a trusted key but disagree about "
                f"entries 1..{self.saved.size}: the service signed two different logs (a split "
                "view). Keep both files: they are the evidence"
            )
        self._check_saved_before_start()

    def _check_saved_before_start(self) -> None:
        saved = self.saved
        if saved is None or self.saved_checked:
            return
        proof = self.consistency if isinstance(self.consistency, dict) else {}
        if proof.get("from") != saved.size:
            # Asked for and not done is a failure, not a pass with a warning.
            raise ExportError(
                f"the saved checkpoint (size {saved.size}) predates this export's first entry "
                f"and the export carries no proof from it: export with "
                f"consistency_from={saved.size} to check it"
            )
        hashes = _b64list(proof.get("proof"), "the header's consistency proof")
        if not verify_consistency(saved.size, self.final.size, saved.root, self.final.root, hashes):
            raise BadEntry(1, f"the log is not consistent with the saved checkpoint {saved.size}")
        self.report.saved_checkpoint = f"consistent (size {saved.size}, by proof)"


def _lines(lines: Iterable[str | bytes]) -> Iterator[str | bytes]:
    for line in lines:
        if line and not line.isspace():  # isspace stops at the first other character; strip copies
            yield line


def verify_export(
    lines: Iterable[str | bytes],
    *,
    keys: Sequence[VerifierKey] | None = None,
    saved_checkpoint: str | None = None,
) -> Report:
    """Verify an export; without `keys`, the export's own keys are used (with a warning).

    Lines may be text or UTF-8 bytes; bytes (a file opened in binary mode) are faster.
    """
    report = Report()
    stream = _lines(lines)
    try:
        header = _header(next(stream, None))
        if keys is None:
            keys = _embedded_keys(header, report)
        elif not keys:
            raise ExportError("no verifier key given (an empty key file?)")
        saved = None
        if saved_checkpoint is not None:
            try:
                saved = open_checkpoint(saved_checkpoint, keys)
            except NoteError as exc:
                raise ExportError(f"the saved checkpoint is rejected: {exc}") from None
        verifier = _Verifier(header, keys, saved, report)
        if saved is not None and saved.size > verifier.final.size:
            raise BadEntry(
                verifier.final.size + 1,
                f"the log ends at {verifier.final.size} but the saved checkpoint covers "
                f"{saved.size} entries: entries {verifier.final.size + 1}..{saved.size} "
                "were removed (truncated)",
            )
        if not _consume(stream, verifier):
            verifier.finish()  # names the entries missing, if any
            raise ExportError("the export has no end line: it was cut short")
        if next(stream, None) is not None:
            raise ExportError("lines after the end line: the export was added to")
        verifier.finish()
        report.tree_size, report.root = verifier.builder.size, verifier.builder.root()
        report.ok = True
    except BadEntry as exc:
        report.first_bad_seq = exc.seq
        report.problems.append(exc.message)
    except (ExportError, NoteError, ValueError) as exc:
        report.problems.append(str(exc))
    return report


def _header(line: str | bytes | None) -> dict[str, Any]:
    if line is None:
        raise ExportError("the export is empty")
    try:
        header = json.loads(line)
    except ValueError:
        raise ExportError(f"not a {EXPORT_FORMAT} export: the first line is not JSON") from None
    if not isinstance(header, dict):
        raise ExportError(f"not a {EXPORT_FORMAT} export: the first line is not a JSON object")
    if "format" not in header and "status" in header and "title" in header:
        # An RFC 9457 problem saved in place of the export (e.g. curl without a session).
        detail = f": {header['detail']}" if isinstance(header.get("detail"), str) else ""
        raise ExportError(
            f"not a {EXPORT_FORMAT} export: the file holds an error answer from the service "
            f"({header['status']} {header['title']}{detail}); fetch the export again signed in "
            f"as an auditor, or write one with `pds audit export`"
        )
    if header.get("format") != EXPORT_FORMAT:
        raise ExportError(
            f"not a {EXPORT_FORMAT} export: the first line's format is {header.get('format')!r}"
        )
    return header


def _consume(stream: Iterator[str | bytes], verifier: _Verifier) -> bool:
    """Read the entry and checkpoint lines; True if the end line was reached."""
    builder, report = verifier.builder, verifier.report
    saved_at = verifier.saved.size if verifier.saved is not None else -1
    for text in stream:
        line = text if isinstance(text, bytes) else text.encode("utf-8")
        # The fast path, kept tight (it runs a million times): an entry line as the service
        # wrote it, its canonical tail hashed as it stands (see split_entry_line). Anything
        # unexpected falls through to `entry`, which parses the line, re-derives the canonical
        # encoding, names precisely what is wrong, and hashes the same bytes for an untouched
        # line.
        parts = split_entry_line(line)
        if parts is not None:
            stored_b64, computed, seq = parts
            # Compared as written: an encoding of the same hash with other unused bits is not
            # the line the service wrote, and goes the slow way to be named.
            if seq == builder.size + 1 and stored_b64 == binascii.b2a_base64(
                computed, newline=False
            ):
                builder.append(computed)
                report.entries += 1
                if seq == saved_at:
                    verifier.check_saved_at(seq)
                continue
        document = _decode(line, builder.size + 1)
        kind = document.get("type")
        if kind == "entry":
            verifier.entry(document)
        elif kind == "checkpoint":
            verifier.checkpoint(document)
        elif kind == "end":
            _check_end(document, verifier)
            return True
        else:
            raise BadEntry(builder.size + 1, f"unknown line type {kind!r}")
    return False


def _check_end(end: dict[str, Any], verifier: _Verifier) -> None:
    """The end line states what the exporter wrote; it must match what was read."""
    size = verifier.builder.size
    root = binascii.b2a_base64(verifier.builder.root(), newline=False).decode()
    read = {"tree_size": size, "entries": size - verifier.start, "root": root}
    wrong = [
        f"{name} {stated!r} (read: {value!r})"
        for name, value in read.items()
        if type(stated := end.get(name)) is not type(value) or stated != value
    ]
    if wrong:
        raise ExportError(f"the end line does not match the entries before it: {'; '.join(wrong)}")
    if end.get("verified") is not True:
        raise ExportError("the service could not verify this export when it wrote it")


def _embedded_keys(header: dict[str, Any], report: Report) -> list[VerifierKey]:
    report.warnings.append(
        "no --key given: trusting the keys inside the export; pass the service's published "
        "verifier key for an independent check"
    )
    keys = header.get("verifier_keys")
    if not isinstance(keys, list) or not keys:
        raise ExportError("the export names no verifier key")
    return [parse_verifier_key(str(key)) for key in keys]
