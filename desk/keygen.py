"""A new key pair for a monitoring partner, made on the caseworker's own machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.keyfile import write_partner_key
from crypto.keys import key_id, new_partner_key, partner_key_text


@dataclass(frozen=True)
class NewPartnerKey:
    """What the caseworker hands to the administrators: the public half only."""

    public_key: str
    key_id: str


def create_partner_key(path: Path, passphrase: str) -> NewPartnerKey:
    """Write the private key file (passphrase-protected, 0600) and return the public half."""
    key = new_partner_key()
    write_partner_key(path, key, passphrase)
    return NewPartnerKey(partner_key_text(key.public_key), key_id(bytes(key.public_key)))
