"""A cache of work that depends only on what files say, so that a short command starts fast.

Classifying one ticket should not cost parsing the rule files and validating the agreement
against its JSON Schema every time: that work, and the libraries it needs (Lark, jsonschema,
PyYAML), take a large part of a short run. What the work produced is kept here, keyed by
everything it depends on, and read back when that is unchanged:

- a rule file's syntax tree, by its path and text (``syntax.parser``);
- an agreement's YAML document once the schema found nothing wrong in it, by its path and text
  (``agreement.load``);
- the grammar's parse tables, by the grammar's text and Lark's version (``syntax.grammar``), for
  the commands that still parse (``fmt``, and any rule file not seen before).

Every key also holds scopecheck's own code as installed (each file's size and modification
time, with the version and the Python that runs it), so a changed grammar, schema or parser
never meets what an older one produced. Only good results are kept: a file with problems is
read again every time and reported as before.

The folder is ``$SCOPECHECK_CACHE_DIR`` when set, otherwise ``$XDG_CACHE_HOME/scopecheck``
(by default ``~/.cache/scopecheck``); ``SCOPECHECK_NO_CACHE=1`` turns the cache off. It can be
deleted at any time. A folder that cannot be written is not used, and an entry that cannot be
read, or whose checksum does not match, is ignored and written again: the cache can make a run
faster, never make it fail. Entries are pickles, so the folder must be one that only its user
can write (as the default is).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from scopecheck import __version__
from scopecheck.resources import grammar_path

_PACKAGE = Path(__file__).resolve().parent
_DIGEST_SIZE = hashlib.sha256().digest_size

# Entries of one kind kept at most: far more files than one person works with. Each edit of a
# file, and each upgrade, leaves an entry no key will name again; beyond this many, those used
# least recently are removed, so that the folder does not grow without end.
MAX_ENTRIES = 1000

T = TypeVar("T")
U = TypeVar("U")


def cache_folder() -> Path | None:
    """Where entries live, or ``None`` when the cache is turned off or has no home."""
    if os.environ.get("SCOPECHECK_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("SCOPECHECK_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG specification says to ignore a relative path
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to find
            return None
    return Path(base) / "scopecheck"


def cached(kind: str, key_parts: tuple[str, ...], expected: type[T], build: Callable[[], tuple[T, bool]],
           load: Callable[[T], U] | None = None) -> T | U:
    """The value of ``build()`` for these key parts, from the cache when it holds one.

    ``build`` returns the value and whether it may be kept; it runs only when no usable entry
    exists. ``expected`` is the value's type: anything else read back is ignored. With
    ``load``, the value is handed to it and what it returns is the answer; an entry that
    ``load`` cannot use (it raises) is ignored and built again, like a damaged one.
    """
    use = load or (lambda value: value)
    folder = cache_folder()
    if folder is None:
        return use(build()[0])
    entry = folder / kind / entry_name(key_parts)
    found = _read(entry)
    if isinstance(found, expected):
        try:
            answer = use(found)
        except Exception:  # noqa: BLE001 - whatever a stored value makes go wrong, it is rebuilt
            pass
        else:
            with contextlib.suppress(OSError):
                os.utime(entry)  # marks it as used, for pruning
            return answer
    value, keep = build()
    if keep:
        _write(entry, value)
        _prune(entry.parent)
    return use(value)


def entry_name(key_parts: tuple[str, ...]) -> str:
    """The file name of an entry: a hash of scopecheck's code and of every key part."""
    digest = hashlib.sha256(_code_fingerprint())
    for part in key_parts:
        encoded = part.encode("utf-8", "surrogatepass")
        # Each part's length first, so that ("ab", "c") and ("a", "bc") differ.
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


@functools.cache
def _code_fingerprint() -> bytes:
    """scopecheck's code as installed. Sizes and modification times, not contents: reading
    every file would cost more than some of the work the cache saves."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{sys.implementation.cache_tag}".encode())
    files = [grammar_path()]
    for folder, subfolders, names in os.walk(_PACKAGE):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        files.extend(Path(folder, name) for name in sorted(names))
    for path in files:
        try:
            status = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\0".encode("utf-8", "surrogatepass"))
    return digest.digest()


def _read(entry: Path) -> object | None:
    try:
        stored = entry.read_bytes()
    except OSError:
        return None
    checksum, payload = stored[:_DIGEST_SIZE], stored[_DIGEST_SIZE:]
    if hashlib.sha256(payload).digest() != checksum:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # an entry that will not load is rebuilt, whatever went wrong with it
        return None


def _write(entry: Path, value: object) -> None:
    """Write the entry whole or not at all: a reader running at the same time sees the old
    entry or the new one, never half of one."""
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a value that cannot be kept is only rebuilt next time
        return
    temporary = entry.with_name(f".{entry.name}.{os.getpid()}.{os.urandom(4).hex()}")
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(temporary, "xb") as file:
            file.write(hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, entry)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    """Remove the entries used least recently beyond ``MAX_ENTRIES``."""
    try:
        if len(os.listdir(folder)) <= MAX_ENTRIES:
            return
        with os.scandir(folder) as found:
            entries = sorted((entry.stat().st_mtime_ns, entry.path) for entry in found if not entry.name.startswith("."))
    except OSError:  # another run pruning at the same time; this one can leave it to that one
        return
    for _, path in entries[: len(entries) - MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            os.unlink(path)
