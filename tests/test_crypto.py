"""The vault's two kinds of ciphertext: Fernet (``encrypt``) and AES-GCM (``seal``, the
intake's hot path). Both decrypt, both rotate, neither decrypts under a key it was not made
with, and a tampered token is refused rather than read as something else."""

from __future__ import annotations

import base64

import pytest

from bot.core.crypto import SEALED, Vault

OLD, NEW = b"o" * 32, b"n" * 32
TEXT = '{"address":"tel:+22790000001","text":"Sannu « à »"}'


def test_sealed_tokens_round_trip_and_differ_each_time():
    vault = Vault(NEW)
    first, second = vault.seal(TEXT), vault.seal(TEXT)
    assert first.startswith(SEALED) and first != second  # a fresh nonce each time
    assert vault.decrypt(first) == vault.decrypt(second) == TEXT
    assert "22790000001" not in first


def test_a_sealed_token_is_shorter_than_fernets():
    vault = Vault(NEW)
    assert len(vault.seal(TEXT)) < len(vault.encrypt(TEXT))


def test_retired_keys_still_open_both_kinds_and_rotation_moves_them_to_the_new_key():
    before = Vault(OLD)
    sealed, fernet = before.seal(TEXT), before.encrypt(TEXT)
    during = Vault(NEW, old_secrets=(OLD,))
    assert during.decrypt(sealed) == during.decrypt(fernet) == TEXT
    rotated_sealed, rotated_fernet = during.rotate(sealed), during.rotate(fernet)
    assert rotated_sealed.startswith(SEALED) and not rotated_fernet.startswith(SEALED)
    after = Vault(NEW)  # the old key gone
    assert after.decrypt(rotated_sealed) == after.decrypt(rotated_fernet) == TEXT
    with pytest.raises(ValueError):
        after.decrypt(sealed)
    with pytest.raises(ValueError):
        after.decrypt(fernet)


def flip(token: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token[len(SEALED):]))
    raw[at] ^= 1
    return SEALED + base64.urlsafe_b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("spoil", [
    lambda t: flip(t, 0),  # the nonce
    lambda t: flip(t, 20),  # the ciphertext
    lambda t: flip(t, -1),  # the tag
    lambda t: t[:-8],  # cut short
    lambda t: SEALED + "not base64 at all!",
    lambda t: SEALED + base64.urlsafe_b64encode(b"tiny").decode(),
], ids=["nonce", "ciphertext", "tag", "truncated", "not-base64", "too-short"])
def test_a_spoiled_sealed_token_is_refused(spoil):
    vault = Vault(NEW)
    with pytest.raises(ValueError):
        vault.decrypt(spoil(vault.seal(TEXT)))
