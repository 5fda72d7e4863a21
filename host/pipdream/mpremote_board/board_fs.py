# The emulated board's flash filesystem (MicroPython code, unix port).
#
# A host directory seen through VfsPosix, made to behave like a board's
# littlefs where a program can tell the difference:
#   * os.ilistdir() yields (name, type, inode, size), as littlefs does
#     (VfsPosix leaves the size out, and `mpremote ls` prints it);
#   * the flash has a size: os.statvfs() reports it, and a write that would
#     not fit raises OSError(ENOSPC) as littlefs does when the flash is full.
# Usage is counted in whole blocks per file, plus two blocks of metadata.
import io

import vfs

_BLOCK = 4096
_ENOSPC = 28  # not in MicroPython's errno module: littlefs raises OSError(28) and it prints so


def _blocks(size):
    return (size + _BLOCK - 1) // _BLOCK


class FlashFile(io.IOBase):
    def __init__(self, fs, path, f, writable):
        self._fs = fs
        self._path = path
        self._f = f
        self._writable = writable

    # The stream protocol used by imports and the C side of the runtime.
    def readinto(self, buf):
        return self._f.readinto(buf)

    def ioctl(self, req, arg):
        if req == 1:  # MP_STREAM_FLUSH
            self._f.flush()
            return 0
        if req == 4:  # MP_STREAM_CLOSE
            self.close()
            return 0
        return -1

    # The Python-level file API.
    def read(self, n=-1):
        return self._f.read() if n is None or n < 0 else self._f.read(n)

    def readline(self):
        return self._f.readline()

    def readlines(self):
        return self._f.readlines()

    def __iter__(self):
        return self

    def __next__(self):
        line = self._f.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, data):
        if self._writable:
            pos = self._f.tell()
            size = self._fs.size_of(self._path)
            grow = _blocks(max(size, pos + len(data))) - _blocks(size)
            if grow > 0 and self._fs.used_blocks() + grow > self._fs.total_blocks:
                raise OSError(_ENOSPC)
        return self._f.write(data)

    def seek(self, offset, whence=0):
        return self._f.seek(offset, whence)

    def tell(self):
        return self._f.tell()

    def flush(self):
        self._f.flush()

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FlashVfs:
    def __init__(self, host_dir, capacity):
        self._vfs = vfs.VfsPosix(host_dir)
        self.total_blocks = capacity // _BLOCK

    def _join(self, base, name):
        return (base.rstrip("/") + "/" + name) if base else name

    def size_of(self, path):
        try:
            return self._vfs.stat(path)[6]
        except OSError:
            return 0

    def used_blocks(self, path="/"):
        used = 2 if path == "/" else 1  # superblock / directory metadata
        for entry in self._vfs.ilistdir(path):
            child = self._join(path, entry[0])
            if entry[1] == 0x4000:
                used += self.used_blocks(child)
            else:
                used += _blocks(self._vfs.stat(child)[6])
        return used

    # The VFS protocol.
    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def ilistdir(self, path):
        for entry in self._vfs.ilistdir(path):
            size = 0 if entry[1] == 0x4000 else self.size_of(self._join(path, entry[0]))
            yield (entry[0], entry[1], entry[2], size)

    def open(self, path, mode):
        f = self._vfs.open(path, mode)
        return FlashFile(self, path, f, "w" in mode or "a" in mode or "+" in mode)

    def stat(self, path):
        return self._vfs.stat(path)

    def statvfs(self, path):
        free = max(0, self.total_blocks - self.used_blocks())
        return (_BLOCK, _BLOCK, self.total_blocks, free, free, 0, 0, 0, 0, 255)

    def mkdir(self, path):
        if self.used_blocks() + 1 > self.total_blocks:
            raise OSError(_ENOSPC)
        self._vfs.mkdir(path)

    def rmdir(self, path):
        self._vfs.rmdir(path)

    def remove(self, path):
        self._vfs.remove(path)

    def rename(self, old, new):
        # VfsPosix builds both rooted paths in one buffer, so two absolute paths
        # collide; the old one made relative to the process cwd (which chdir
        # keeps in step) avoids it.
        if old.startswith("/") and new.startswith("/"):
            cwd = self._vfs.getcwd().strip("/")
            depth = len(cwd.split("/")) if cwd else 0
            old = "../" * depth + old.lstrip("/")
        self._vfs.rename(old, new)

    def chdir(self, path):
        self._vfs.chdir(path)

    def getcwd(self):
        return self._vfs.getcwd()
