"""Checkpoints, proofs and exports checked by code that imports nothing from `pds` or `consent`:
only the standard library, PyNaCl and `crypto.merkle` — what an outside auditor would use."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import nacl.exceptions
import nacl.signing

from crypto.merkle import root_from_leaf_hashes, verify_consistency, verify_inclusion

# The encoding of an entry, as docs/audit.md specifies it (written here from the document).
ENTRY_FIELDS = [
    "seq",
    "time",
    "actor_type",
    "actor_id",
    "organisation_id",
    "client_id",
    "action",
    "subject",
    "record_types",
    "record_ids",
    "grant_id",
    "purpose",
    "outcome",
    "reason",
    "request_id",
]


def open_note(note: str, vkey: str) -> tuple[str, int, bytes]:
    """Verify a C2SP signed note with an Ed25519 verifier key; return (origin, size, root)."""
    name, key_id_hex, key_b64 = vkey.split("+", 2)
    raw_key = base64.b64decode(key_b64)
    assert raw_key[0] == 0x01  # Ed25519
    public = raw_key[1:]
    assert hashlib.sha256(name.encode() + b"\n" + raw_key).digest()[:4].hex() == key_id_hex
    body, signatures = note.split("\n\n", 1)
    body += "\n"
    for line in signatures.rstrip("\n").split("\n"):
        signer, signature_b64 = line.removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(signature_b64)
        if signer == name and blob[:4].hex() == key_id_hex:
            nacl.signing.VerifyKey(public).verify(body.encode(), blob[4:])
            origin, size, root = body.split("\n")[:3]
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature by the given key")


def leaf(entry: dict[str, Any]) -> bytes:
    document = {name: entry[name] for name in ENTRY_FIELDS} | {"v": 1}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + text.encode()).digest()


def test_checkpoint_signature_and_proofs(auditor: Any, more_activity: Any) -> None:
    saved = auditor.get("/api/v1/audit/checkpoint").json()
    vkey = saved["verifier_key"]
    origin, old_size, old_root = open_note(saved["note"], vkey)
    assert origin == "testserver.local/audit" and old_size == saved["tree_size"]

    more_activity(3)
    lines = auditor.get("/api/v1/audit/export").text.splitlines()
    header = json.loads(lines[0])
    _, size, root = open_note(header["checkpoint"], vkey)
    entries = [json.loads(line) for line in lines[1:] if json.loads(line)["type"] == "entry"]
    assert [e["seq"] for e in entries] == list(range(1, size + 1))
    leaves = [leaf(e) for e in entries]
    assert leaves == [base64.b64decode(e["leaf_hash"]) for e in entries]
    assert root_from_leaf_hashes(leaves) == root

    for seq in (1, old_size, size):
        proof = auditor.get(
            "/api/v1/audit/proofs/inclusion", params={"seq": seq, "tree_size": size}
        ).json()
        path = [base64.b64decode(h) for h in proof["proof"]]
        assert verify_inclusion(seq - 1, size, leaves[seq - 1], path, root)
    found = auditor.get(
        "/api/v1/audit/proofs/consistency", params={"first": old_size, "second": size}
    ).json()
    path = [base64.b64decode(h) for h in found["proof"]]
    assert verify_consistency(old_size, size, old_root, root, path)


def test_a_forged_checkpoint_does_not_verify(auditor: Any) -> None:
    saved = auditor.get("/api/v1/audit/checkpoint").json()
    note, vkey = saved["note"], saved["verifier_key"]
    lines = note.split("\n")
    forged = "\n".join([lines[0], str(int(lines[1]) + 1), *lines[2:]])
    try:
        open_note(forged, vkey)
    except nacl.exceptions.BadSignatureError:
        return
    raise AssertionError("a note with an altered size verified")
