"""Pseudonyms (keyed hashes) and encryption at rest for channel addresses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.core.settings import Settings

# seal()'s tokens: never confused with Fernet's, which are URL-safe base64 ("." is not in it).
SEALED = "g1."
_UNREADABLE = "cannot decrypt with the configured keys"


def _derive(secret: bytes, purpose: bytes) -> bytes:
    # Separate keys per purpose so a leak of one use does not weaken the other.
    return hmac.new(secret, b"hanya:" + purpose, hashlib.sha256).digest()


class Vault:
    """Turns an address like ``tel:+22790000000`` into a pseudonym and a ciphertext.

    ``old_secrets`` lets a rotated key keep decrypting (and recognising) existing contacts.
    """

    def __init__(self, secret: bytes, old_secrets: tuple[bytes, ...] = ()) -> None:
        self._hash_keys = [_derive(s, b"pseudonym") for s in (secret, *old_secrets)]
        fernets = [Fernet(base64.urlsafe_b64encode(_derive(s, b"encrypt")))
                   for s in (secret, *old_secrets)]
        self._fernet = MultiFernet(fernets)
        self._aeads = [AESGCM(_derive(s, b"seal")) for s in (secret, *old_secrets)]
        self._link_keys = [_derive(s, b"link") for s in (secret, *old_secrets)]

    def pseudonym(self, address: str) -> str:
        """Keyed hash of an address under the current key (hex, 64 chars)."""
        return self._pseudonym_with(self._hash_keys[0], address)

    def pseudonyms(self, address: str) -> list[str]:
        """The address's pseudonym under every known key, current first."""
        return [self._pseudonym_with(k, address) for k in self._hash_keys]

    @staticmethod
    def _pseudonym_with(key: bytes, address: str) -> str:
        return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()

    def sign(self, message: str) -> str:
        """A link's proof (HMAC-SHA256 under a key of its own, hex): a recording's address
        that a provider fetches (webhooks/recording_links.py)."""
        return hmac.new(self._link_keys[0], message.encode(), hashlib.sha256).hexdigest()

    def signed(self, message: str, signature: str) -> bool:
        """Whether ``signature`` is ``sign(message)`` under the current key or a rotated one."""
        given = signature.encode("ascii", "replace")
        return any(hmac.compare_digest(
            hmac.new(key, message.encode(), hashlib.sha256).hexdigest().encode(), given)
            for key in self._link_keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def seal(self, plaintext: str) -> str:
        """Encrypt on the hot path (the intake, a write per inbound message): AES-256-GCM
        with a random 96-bit nonce, one AEAD call where Fernet makes a cipher, a padder and
        an HMAC (4 against 14 µs here), and 28 bytes of overhead against 57. Random nonces
        are safe for far more messages than one key will see (NIST's bound is 2^32).
        ``decrypt`` and ``rotate`` take both kinds of token."""
        nonce = os.urandom(12)
        sealed = nonce + self._aeads[0].encrypt(nonce, plaintext.encode(), None)
        return SEALED + base64.urlsafe_b64encode(sealed).decode()

    def decrypt(self, token: str) -> str:
        if token.startswith(SEALED):
            return self._unseal(token)
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # a wrong key must not look like an empty address
            raise ValueError(_UNREADABLE) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a ciphertext under the current key (a sealed one stays sealed)."""
        if token.startswith(SEALED):
            return self.seal(self._unseal(token))
        return self._fernet.rotate(token.encode()).decode()

    def _unseal(self, token: str) -> str:
        try:
            sealed = base64.urlsafe_b64decode(token[len(SEALED):])
        except ValueError as exc:  # binascii.Error: not base64
            raise ValueError(_UNREADABLE) from exc
        nonce, ciphertext = sealed[:12], sealed[12:]
        if len(ciphertext) < 16:  # shorter than GCM's tag: not one of ours
            raise ValueError(_UNREADABLE)
        for aead in self._aeads:  # current key first, then the retired ones
            try:
                return aead.decrypt(nonce, ciphertext, None).decode()
            except InvalidTag:
                continue
        raise ValueError(_UNREADABLE)


def short_ref(pseudonym: str) -> str:
    """A short, log-safe handle for a contact (never the address itself)."""
    return pseudonym[:10]


def vault_from_settings(settings: Settings) -> Vault:
    """The vault with the current key first and any old keys still accepted."""
    old = tuple(k.get_secret_value().encode() for k in settings.old_secret_keys or [])
    return Vault(settings.secret_key_or_dev(), old)
