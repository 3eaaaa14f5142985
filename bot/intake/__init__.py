"""The server side of intake: the engine's ports (handlers/ports.py) on the database, the crypto
and the file decoders: routing, submission, tracking, receipts and the scrubbing of files."""
