"""Cryptography for the grievance channel: envelopes, key files, signed key statements, receipts.

Only libsodium primitives, through PyNaCl. The composition is specified byte for byte in
docs/FORMAT.md so that any libsodium binding can decrypt what this package writes.
"""
