"""Pseudonyms (keyed hashes) and encryption at rest for channel addresses."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


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

    def pseudonym(self, address: str) -> str:
        """Keyed hash of an address under the current key (hex, 64 chars)."""
        return self._pseudonym_with(self._hash_keys[0], address)

    def pseudonyms(self, address: str) -> list[str]:
        """The address's pseudonym under every known key, current first."""
        return [self._pseudonym_with(k, address) for k in self._hash_keys]

    @staticmethod
    def _pseudonym_with(key: bytes, address: str) -> str:
        return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # a wrong key must not look like an empty address
            raise ValueError("cannot decrypt with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a ciphertext under the current key."""
        return self._fernet.rotate(token.encode()).decode()


def short_ref(pseudonym: str) -> str:
    """A short, log-safe handle for a contact (never the address itself)."""
    return pseudonym[:10]
