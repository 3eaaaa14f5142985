"""Named errors a person can cause; each carries one calm sentence for the edge to show."""


class CryptoError(Exception):
    """Base of every error this package raises on purpose."""


class DecryptionError(CryptoError):
    """An envelope did not open: tampered bytes, a wrong context or a key it was not sealed to.

    One exception for all three on purpose: the reader must not learn which part was wrong.
    """


class KeyFileError(CryptoError):
    """A key file is missing, malformed, of the wrong kind, or cannot be written."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not open the key file."""


class InvalidKeyText(CryptoError):
    """A public key or key id given as text is not in the expected form."""


class UntrustedKeyStatement(CryptoError):
    """A partner key statement is inconsistent or not signed by the pinned administrators' key."""


class InvalidReceipt(CryptoError):
    """The text given as a receipt is not 16 digits."""
