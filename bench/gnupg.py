"""GnuPG as the peer: the same reports encrypted to a Curve25519 key and decrypted by `gpg`.

The caseworkers of other whistleblowing systems decrypt with GnuPG, most of their clients by
starting one `gpg` process per message. `GnuPG` makes a throwaway home (a temporary
GNUPGHOME, a key without passphrase: `future-default` is Ed25519 with a Curve25519 encryption
subkey), encrypts the plaintexts to it beforehand (in batches, untimed), and then times both
ways of decrypting: one process per report (over a sample) and one `--decrypt-files` batch.
Everything stays on this machine; the home and its agent are gone at the end.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GPG = "/usr/bin/gpg"
USER_ID = "bench <bench@example.invalid>"
BATCH = ["--batch", "--quiet", "--yes", "--no-tty"]
TIMEOUT = 900
"""Seconds any one gpg step may take (10,000 reports take a minute or two)."""


def available() -> bool:
    return Path(GPG).is_file()


@dataclass
class GnuPG:
    home: Path

    def run(self, *args: str, stdin: bytes | None = None) -> bytes:
        done = subprocess.run(
            [GPG, "--homedir", str(self.home), *BATCH, *args],
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"gpg {args[0]} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def encrypt_files(self, plaintexts: Sequence[bytes], parallel: int = 2) -> list[Path]:
        """Write each plaintext to a file and encrypt them all to the key (`NAME.gpg`)."""
        folder = self.home / "reports"
        folder.mkdir()
        paths = []
        for index, plaintext in enumerate(plaintexts):
            path = folder / f"r{index:06d}"
            path.write_bytes(plaintext)
            paths.append(path)
        chunks = [paths[start::parallel] for start in range(parallel)]
        argv = [GPG, "--homedir", str(self.home), *BATCH, "--trust-model", "always"]
        argv += ["--recipient", USER_ID, "--encrypt-files"]
        workers = [
            subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            for _ in chunks
        ]
        for worker, chunk in zip(workers, chunks, strict=True):
            assert worker.stdin is not None
            worker.stdin.write("".join(f"{path}\n" for path in chunk).encode())
            worker.stdin.close()
        for worker in workers:
            if worker.wait(TIMEOUT) != 0:
                raise RuntimeError("gpg --encrypt-files failed")
        for path in paths:
            path.unlink()  # the batch decryption writes them again
        return [path.with_name(path.name + ".gpg") for path in paths]

    def decrypt_each(self, encrypted: Sequence[Path]) -> float:
        """Seconds to decrypt each file with a `gpg` process of its own, as most clients do."""
        started = time.perf_counter()
        for path in encrypted:
            self.run("--decrypt", str(path))
        return time.perf_counter() - started

    def decrypt_batch(self, encrypted: Sequence[Path]) -> float:
        """Seconds for one `gpg --decrypt-files` process over every file."""
        listing = "".join(f"{path}\n" for path in encrypted).encode()
        started = time.perf_counter()
        self.run("--decrypt-files", stdin=listing)
        return time.perf_counter() - started


@contextmanager
def gnupg() -> Iterator[GnuPG]:
    """A throwaway GnuPG home with a Curve25519 key; its agent stopped at the end."""
    home = Path(tempfile.mkdtemp(prefix="grievance-bench-gnupg-"))
    home.chmod(0o700)
    peer = GnuPG(home)
    try:
        peer.run("--passphrase", "", "--quick-generate-key", USER_ID, "future-default",
                 "default", "never")  # fmt: skip
        yield peer
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)
