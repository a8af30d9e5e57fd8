"""C2SP signed notes, checkpoints and cosignatures."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.ledger.merkle import MemoryTree, leaf_hash
from coalition.ledger.note import (
    Checkpoint,
    NoteError,
    Signer,
    cosign,
    cosigner,
    open_note,
    parse_checkpoint,
    parse_note,
    parse_signer,
    parse_verifier,
    sign_note,
    verify_cosignature,
)

# The example of Go's golang.org/x/mod/sumdb/note documentation: a note signed by another
# implementation, to show that ours reads and writes the same bytes.
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_reads_and_writes_the_go_implementation_s_example() -> None:
    verifier = parse_verifier(GO_VERIFIER)
    signer = parse_signer(GO_SIGNER)
    assert signer.verifier == verifier
    assert verifier.encoded() == GO_VERIFIER and signer.encoded() == GO_SIGNER
    note, verified = open_note(GO_NOTE, verifier)
    assert note.text == GO_TEXT and verified == (verifier,)
    assert sign_note(GO_TEXT, signer) == GO_NOTE  # Ed25519 is deterministic


def test_unknown_keys_are_ignored_but_one_known_signature_is_needed() -> None:
    ours, theirs = Signer.generate("coalition.example/log"), Signer.generate("partner")
    note = sign_note("hello\n", ours, theirs)
    _, verified = open_note(note, ours.verifier)
    assert verified == (ours.verifier,)
    with pytest.raises(NoteError, match="no known key"):
        open_note(note, Signer.generate("stranger").verifier)


def test_a_changed_text_or_signature_does_not_verify() -> None:
    signer = Signer.generate("log")
    note = sign_note("tree 1\nroot\n", signer)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("tree 1", "tree 2"), signer.verifier)
    line = note.splitlines()[-1]
    raw = bytearray(base64.b64decode(line.split(" ")[-1]))
    raw[10] ^= 1
    forged = note.replace(line.split(" ")[-1], base64.b64encode(bytes(raw)).decode())
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, signer.verifier)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no blank line\n\u2014 a AAAAAAA=\n", "blank line"),
        ("text\n\n- a AAAAAAA=\n", "does not start"),
        ("text\n\n\u2014 a not-base64!\n", "not base64"),
        ("text\n\n\u2014 a AAA=\n", "too short"),
        ("text\n\n\u2014 a b AAAAAAA=\n", "not '\u2014 name signature'"),
        ("text\n\n\u2014 a AAAAAAA=", "end with a newline"),
        ("te\x00xt\n\n\u2014 a AAAAAAA=\n", "control character"),
    ],
)
def test_malformed_notes_are_refused_precisely(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_note(note)


@pytest.mark.parametrize(
    "key",
    [
        "name+deadbeef",
        "na me+00000000+AAAA",
        "log+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),
    ],
)
def test_malformed_or_mismatched_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(NoteError):
        parse_verifier(key)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FFF), min_size=1),
        min_size=1,
        max_size=5,
    )
)
def test_any_text_round_trips_and_any_change_is_caught(lines: list[str]) -> None:
    signer = Signer.generate("log")
    text = "\n".join(lines) + "\n"
    note = sign_note(text, signer)
    opened, _ = open_note(note, signer.verifier)
    assert opened.text == text
    changed = text.replace(text[0], "#" if text[0] != "#" else "*", 1)
    with pytest.raises(NoteError):
        open_note(changed + note[len(text) :], signer.verifier)


def test_checkpoints_round_trip_and_bad_ones_are_refused() -> None:
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(7))
    checkpoint = Checkpoint("coalition.example/log", 7, tree.root(), ("extension",))
    assert parse_checkpoint(checkpoint.text()) == checkpoint
    root = base64.b64encode(tree.root()).decode()
    for text, message in (
        ("origin\n7\n", "origin, a tree size"),
        ("origin\n07\n" + root + "\n", "decimal"),
        ("origin\n-1\n" + root + "\n", "decimal"),
        ("origin\n7\nAAAA\n", "32 bytes"),
        ("\n7\n" + root + "\n", "origin is empty"),
    ):
        with pytest.raises(NoteError, match=message):
            parse_checkpoint(text)


def test_a_witness_cosignature_verifies_only_for_its_checkpoint() -> None:
    witness = Signer.generate("witness.partner.example")
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(3))
    text = Checkpoint("coalition.example/log", 3, tree.root()).text()
    signature = cosign(text, witness, 1_700_000_000)
    assert verify_cosignature(text, signature, witness.verifier) == 1_700_000_000
    other = Checkpoint("coalition.example/log", 4, tree.root()).text()
    with pytest.raises(NoteError, match="does not verify"):
        verify_cosignature(other, signature, witness.verifier)
    with pytest.raises(NoteError, match="not by"):
        verify_cosignature(text, signature, Signer.generate("someone").verifier)
    # A cosignature line sits in the note like any signature, under its own key id.
    note = sign_note(text, Signer.generate("coalition.example/log")) + signature.line()
    parsed = parse_note(note)
    assert parsed.signatures[-1] == signature
    assert cosigner(witness.verifier).key_id == signature.key_id
