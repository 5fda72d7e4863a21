"""Input files recognised and output paths checked before any work, for every command.

    files.input_file(path, "model blob")          # exists, a regular file, not empty (else ValueError)
    files.expect(path, "blob", "model blob")       # ... and its first bytes say it is one
    out = files.output_file(args.out, "--out", (".pt",))   # writable, not a directory, not an input
    with files.atomic(out) as tmp:                 # write tmp; renamed over out only when complete
        torch.save(obj, tmp)

A long command checks its outputs before it trains, quantizes or evaluates, so a
bad path costs seconds, not the run; every output is written under a temporary
name in the same folder and renamed into place, so an interrupted run never
leaves a half file under the real name. No output may be a file the command was given
(`pack --checkpoint q.pt --out q.pt`, or a link to it): cli.main passes every path
argument to arguments(), and output_file refuses those. Missing folders of an output are created
(at write time, so a failed run leaves none behind). Every problem is a
ValueError with one line naming the path and what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipdream.blob.format import MAGIC as BLOB_MAGIC

ZIP_MAGIC = b"PK\x03\x04"
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."  # torch.save before zip files

# errors of writing a file that are the disk's, not the program's: messages name the file
WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO)

# kind -> how messages name it
KINDS = {
    "blob": "a pipdream model blob",
    "torch": "a torch checkpoint",
    "npz": "a NumPy .npz archive",
    "npy": "a NumPy .npy array",
    "zip": "a zip archive",
    "png": "a PNG image",
    "mpy": "a MicroPython .mpy file",
    "elf": "an ELF executable",
    "text": "a text file",
    "empty": "an empty file",
    "data": "binary data",
}


def _zip_kind(path: Path) -> str:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"
    if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        return "torch"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "zip"


def sniff(path: str | Path) -> str:
    """What the file is, from its first bytes: a key of KINDS."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(512)
    if not head:
        return "empty"
    if head.startswith(BLOB_MAGIC):
        return "blob"
    if head.startswith(ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(TORCH_LEGACY_MAGIC):
        return "torch"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head[:1] == b"M" and len(head) >= 4 and head[1] in (5, 6):
        return "mpy"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte character still counts as text.
        if len(head) == 512 and _utf8_prefix(head):
            return "text"
    return "data"


def _utf8_prefix(head: bytes) -> bool:
    for cut in range(1, 4):
        try:
            head[:-cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            pass
    return False


def describe(path: str | Path) -> str:
    """'a pipdream model blob', 'a text file', ... for messages."""
    return KINDS[sniff(path)]


def an(what: str) -> str:
    """'a model blob', 'an eval CNN checkpoint': the kind as messages name it."""
    return ("an " if what[:1].lower() in "aeiou" else "a ") + what


def input_file(path: str | Path, what: str, hint: str = "", empty_ok: bool = False) -> Path:
    """path if it names a readable, non-empty (unless empty_ok) regular file; ValueError
    naming the problem. `what` names the expected kind ("model blob"); `hint` follows the
    not-found message."""
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise ValueError(f"{what} not found: {path} is a broken symbolic link")
        raise ValueError(f"{what} not found: {path}{hint}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not {an(what)}")
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file, not {an(what)}")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{path}: cannot read it (permission denied)")
    if path.stat().st_size == 0 and not empty_ok:
        raise ValueError(f"{path} is empty, not {an(what)}")
    return path


def expect(path: str | Path, kind: str | Sequence[str], what: str, hint: str = "") -> Path:
    """input_file(path), and its first bytes are those of `kind` (a key of KINDS, or several);
    otherwise ValueError: '<path> is a text file, not a decoder checkpoint'."""
    path = input_file(path, what, hint)
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    found = sniff(path)
    if found not in kinds:
        raise ValueError(f"{path} is {KINDS[found]}, not {an(what)}{hint}")
    return path


# -- outputs ----------------------------------------------------------------------------------

_given: list[tuple[str, Path]] = []  # the running command's path arguments: (how named, path)


@contextlib.contextmanager
def arguments(named: Sequence[tuple[str, Path]]) -> Iterator[None]:
    """While the block runs, output_file refuses every path in `named` ((flag, path) pairs) but
    the output's own: no output overwrites an input, or another output."""
    saved = _given[:]
    _given[:] = named
    try:
        yield
    finally:
        _given[:] = saved


def _same_file(a: Path, b: Path) -> bool:
    """a and b are one file (a link, a hard link, another spelling), or would be once written."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them is not there yet
        return os.path.realpath(a) == os.path.realpath(b)


def _not_an_argument(path: Path, what: str) -> None:
    for name, other in _given:
        if name != what and _same_file(path, other):
            raise ValueError(f"{what} {path} is the same file as {name} {other}: writing it would "
                             f"overwrite that; name another file")


def _existing_ancestor(path: Path) -> Path:
    """The nearest existing folder above path (".." taken lexically, as mkdir -p will)."""
    p = Path(os.path.abspath(path)).parent
    while not p.exists():
        if p.is_symlink():
            raise ValueError(f"cannot write {path}: {p} is a broken symbolic link")
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe(folder: Path, target: Path) -> None:
    """Create and remove a file in folder: the only sure test that writing there works (as
    root, access() says yes to a read-only filesystem and to /proc)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".pipdream-probe-", dir=folder)
    except OSError as e:
        raise ValueError(f"cannot write {target}: no file can be created in {folder} "
                         f"({e.strerror or e})") from None
    os.close(fd)
    os.unlink(name)


def output_file(path: str | Path, what: str = "--out", suffixes: Sequence[str] | None = None) -> Path:
    """path, checked before any work: not a directory, its suffix one of `suffixes` (when
    given), and a file can be created in its folder (the nearest existing one: missing
    folders are created when the file is written). ValueError naming the problem."""
    path = Path(path)
    if suffixes and path.suffix not in suffixes:
        raise ValueError(f"{what} must end in {' or '.join(suffixes)}, got {path}")
    if path.is_dir():
        raise ValueError(f"{what} {path} is a directory: name a file")
    if path.exists() and not path.is_file():
        raise ValueError(f"{what} {path} exists and is not a regular file")
    folder = _existing_ancestor(path)
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: {folder} is a file, not a folder")
    _probe(folder, path)
    _not_an_argument(path, what)
    return path


def output_dir(path: str | Path, what: str = "--out") -> Path:
    """A folder to write into, checked before any work: a folder or nothing yet (created when
    written), and writable. ValueError naming the problem."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{what} {path} is a file, not a folder")
        _probe(path, path)
        return path
    folder = _existing_ancestor(path)
    if not folder.is_dir():
        raise ValueError(f"cannot make the folder {path}: {folder} is a file")
    _probe(folder, path)
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def locked(folder: str | Path) -> Iterator[None]:
    """Hold folder/.lock (flock) for the block: one `make` at a time in a shared build folder,
    whichever process (a pytest-xdist worker, a second shell) asks."""
    import fcntl  # POSIX only, like the builds it guards

    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / ".lock", "a") as f:  # closing it releases the lock
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def atomic(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix, so writers that go by the suffix work);
    renamed over `path` when the block ends without an exception, removed otherwise.
    Missing folders are created first."""
    with atomic_set(path) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_set(*targets: str | Path) -> Iterator[list[Path]]:
    """atomic() for files that belong together (a blob and its metrics): one temporary path
    each, all renamed into place when the block ends, with Ctrl-C and SIGTERM held off from
    the first rename to the last, so an interrupt leaves every file old or every file new."""
    paths = [Path(t) for t in targets]
    tmps: list[Path] = []
    current = paths[0]
    try:
        for path in paths:
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp" + path.suffix, dir=path.parent)
            os.close(fd)
            tmps.append(Path(name))
            os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; the file gets the usual mode
        current = paths[0]
        yield tmps
        with _signals_held():
            for tmp, path in zip(tmps, paths):
                current = path
                os.replace(tmp, path)
    except OSError as e:
        short = e.errno is None and "written" in str(e)  # numpy's tofile: "N requested and M written"
        if e.errno not in WRITE_ERRORS and not short:
            raise
        named = dict(zip(map(str, tmps), paths)).get(str(e.filename), current)  # the target, not its tmp
        why = f"{e} (is the disk full?)" if short else e.strerror
        raise ValueError(f"cannot write {named}: {why} (the previous file, if any, is kept)") from None
    except RuntimeError as e:  # torch.save's own writer says only "file write failed"
        if "write failed" not in str(e):
            raise
        raise ValueError(f"cannot write {current}: the write failed (is the disk full?); "
                         f"the previous file, if any, is kept") from None
    finally:
        for tmp in tmps:
            if tmp.exists():
                tmp.unlink()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done, then act as they would have."""
    import signal

    held: list[int] = []
    try:
        previous = {sig: signal.signal(sig, lambda signum, frame: held.append(signum))
                    for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals go to the main one anyway
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in held[:1]:
            signal.raise_signal(sig)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    with atomic(path) as tmp:
        tmp.write_text(text)
