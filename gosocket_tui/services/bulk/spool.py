"""The checked rows of a validation, kept on disk so the import need not read the file again."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
import weakref
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from gosocket_tui.services.bulk.checks import Stored


class Spool:
    """The checked rows of a validation pass, kept on disk for the import that follows.

    The import then writes exactly what was validated without reading and checking the
    file a second time (half the work for a big file), as long as the file is unchanged
    (same size, modification time and SHA-256). Batches are marshalled tuples, compressed;
    the file is private (mkstemp, 0600) and removed when the report is discarded or
    garbage-collected.
    """

    def __init__(
        self, fingerprint: tuple[str, int, int, str], default_country: str, company_id: int
    ) -> None:
        fd, name = tempfile.mkstemp(prefix="gosocket-import-", suffix=".spool")
        self.path = Path(name)
        self.fingerprint = fingerprint
        self.default_country = default_country
        self.company_id = company_id
        self.size = 0
        self._out: BinaryIO | None = os.fdopen(fd, "wb")
        self._finalizer = weakref.finalize(self, _remove_file, name)

    def write(self, batch: list[Stored]) -> None:
        assert self._out is not None
        data = zlib.compress(marshal.dumps(batch), 1)
        self._out.write(len(data).to_bytes(4, "little"))
        self._out.write(data)

    def finish(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            self.size = self.path.stat().st_size

    def batches(self) -> Iterator[tuple[list[Stored], float]]:
        """Each stored batch and the fraction of the spool read after it."""
        done = 0
        with self.path.open("rb") as fh:
            while head := fh.read(4):
                length = int.from_bytes(head, "little")
                done += 4 + length
                batch: list[Stored] = marshal.loads(zlib.decompress(fh.read(length)))
                yield batch, done / self.size if self.size else 1.0

    def matches(
        self, fingerprint: tuple[str, int, int, str], default_country: str, company_id: int
    ) -> bool:
        """The rows were checked from this very file, for this company and default country
        (the checks depend on both: the own-company rule, rows without a country)."""
        return (
            self._out is None
            and self.path.exists()
            and fingerprint == self.fingerprint
            and default_country == self.default_country
            and company_id == self.company_id
        )

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self._finalizer()


def _remove_file(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


def fingerprint(path: str | os.PathLike[str]) -> tuple[str, int, int, str]:
    """What identifies the file's content: path, size, mtime and SHA-256 (~0.3 s per 100 MB)."""
    target = Path(path).resolve()
    try:
        stat = target.stat()
        digest = hashlib.sha256()
        with target.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return (str(target), -1, -1, "")
    return (str(target), stat.st_size, stat.st_mtime_ns, digest.hexdigest())
