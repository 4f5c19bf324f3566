#!/usr/bin/env python3
"""Independent check for the copy engine's fidelity tests.

Compares two trees entry by entry with Python's os module only (no Node, no native addon of ours):
type, permission bits, owner, size, content (sha256), mtime and atime in nanoseconds, device numbers,
link targets, extended attributes (POSIX ACLs included), hard-link groups, and sparseness (the copy
may not allocate more blocks than the source).

usage: compare-trees.py [--link-atime] SRC DST
Entries are reached from their folder's descriptor, opened name by name without following links, so a
tree of any depth is compared (paths longer than PATH_MAX included).
Files are read with O_NOATIME, so checking leaves atimes as they were. A symbolic link's atime moves
whenever it is read (the copy's scan, this check), so it is compared only with --link-atime, right
after a copy.
prints JSON: {"differences": [...], "counts": {...}} (counts describe SRC, so a test can check that
the tree really held each case).
"""
import hashlib
import json
import os
import stat
import sys

TYPES = {
    stat.S_IFREG: 'file', stat.S_IFDIR: 'dir', stat.S_IFLNK: 'symlink', stat.S_IFIFO: 'fifo',
    stat.S_IFCHR: 'chardev', stat.S_IFBLK: 'blockdev', stat.S_IFSOCK: 'socket',
}


class At:
    """An entry reached from its folder's descriptor (the folders on the way opened one by one, never
    following a link): `path` names it for the calls that take only a path (through /proc, so it stays
    short however deep the entry is). The root itself is reached by its own path."""

    def __init__(self, root, rel):
        self.root, self.rel = root, rel

    def __enter__(self):
        self.fds = []
        if not self.rel:
            self.dir, self.name, self.path = None, None, self.root
            return self
        fd = os.open(self.root, os.O_PATH | os.O_DIRECTORY)
        self.fds.append(fd)
        *folders, self.name = self.rel.split(b'/')
        for folder in folders:
            fd = os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            self.fds.append(fd)
        self.dir = fd
        self.path = b'/proc/self/fd/%d/%s' % (fd, self.name)
        return self

    def __exit__(self, *_):
        for fd in self.fds:
            os.close(fd)

    def lstat(self):
        return os.lstat(self.path) if self.dir is None else os.stat(self.name, dir_fd=self.dir, follow_symlinks=False)

    def listdir(self):
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY) if self.dir is None else \
            os.open(self.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=self.dir)
        try:
            return [os.fsencode(name) for name in os.listdir(fd)]  # by descriptor, names come as str
        finally:
            os.close(fd)

    def readlink(self):
        return os.readlink(self.name, dir_fd=self.dir)

    def open(self):
        return os.open(self.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NOATIME, dir_fd=self.dir)


def walk(root):
    """{relative path (bytes): lstat}, never following links."""
    entries = {}
    pending = [b'']
    while pending:
        rel = pending.pop()
        with At(root, rel) as at:
            st = at.lstat()
            entries[rel] = st
            if stat.S_ISDIR(st.st_mode):
                for name in at.listdir():
                    pending.append(rel + b'/' + name if rel else name)
    return entries


def xattrs(root, rel):
    with At(root, rel) as at:
        try:
            names = os.listxattr(at.path, follow_symlinks=False)
        except OSError:
            return {}
        return {name: os.getxattr(at.path, name, follow_symlinks=False) for name in names}


def readlink(root, rel):
    with At(root, rel) as at:
        return at.readlink()


def digest(root, rel):
    sha = hashlib.sha256()
    with At(root, rel) as at:
        fd = at.open()
    with os.fdopen(fd, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()


def link_groups(entries):
    """For each regular file with several names: the set of its names in the tree."""
    by_inode = {}
    for rel, st in entries.items():
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            by_inode.setdefault((st.st_dev, st.st_ino), set()).add(rel)
    return {rel: frozenset(group) for group in by_inode.values() for rel in group}


def show(rel):
    return os.fsdecode(rel) if rel else '.'


def compare(source_root, destination_root, link_atime):
    source = walk(source_root)
    destination = walk(destination_root)
    differences = []
    for rel in sorted(set(source) | set(destination)):
        if rel not in destination:
            differences.append(f'{show(rel)}: missing on the destination')
            continue
        if rel not in source:
            differences.append(f'{show(rel)}: only on the destination')
            continue
        s, d = source[rel], destination[rel]
        kind = TYPES.get(stat.S_IFMT(s.st_mode), 'unknown')
        problems = []
        if stat.S_IFMT(s.st_mode) != stat.S_IFMT(d.st_mode):
            differences.append(f'{show(rel)}: {kind} became {TYPES.get(stat.S_IFMT(d.st_mode), "unknown")}')
            continue
        if kind != 'symlink' and stat.S_IMODE(s.st_mode) != stat.S_IMODE(d.st_mode):
            problems.append(f'mode {oct(stat.S_IMODE(d.st_mode))} != {oct(stat.S_IMODE(s.st_mode))}')
        if (s.st_uid, s.st_gid) != (d.st_uid, d.st_gid):
            problems.append(f'owner {d.st_uid}:{d.st_gid} != {s.st_uid}:{s.st_gid}')
        if s.st_mtime_ns != d.st_mtime_ns:
            problems.append(f'mtime {d.st_mtime_ns} != {s.st_mtime_ns}')
        # A folder's atime moves whenever it is listed (by the copy's scan, by this walk).
        if kind != 'dir' and (kind != 'symlink' or link_atime) and s.st_atime_ns != d.st_atime_ns:
            problems.append(f'atime {d.st_atime_ns} != {s.st_atime_ns}')
        if kind in ('chardev', 'blockdev') and s.st_rdev != d.st_rdev:
            problems.append(f'device {d.st_rdev} != {s.st_rdev}')
        if kind == 'symlink' and readlink(source_root, rel) != readlink(destination_root, rel):
            problems.append(f'target {readlink(destination_root, rel)!r} != {readlink(source_root, rel)!r}')
        if kind == 'file':
            if s.st_size != d.st_size:
                problems.append(f'size {d.st_size} != {s.st_size}')
            elif digest(source_root, rel) != digest(destination_root, rel):
                problems.append('content differs')
            if d.st_blocks > s.st_blocks:
                problems.append(f'allocates {d.st_blocks} blocks, the source {s.st_blocks} (holes filled?)')
        if xattrs(source_root, rel) != xattrs(destination_root, rel):
            problems.append(f'extended attributes {sorted(xattrs(destination_root, rel))} != {sorted(xattrs(source_root, rel))}')
        differences.extend(f'{show(rel)}: {problem}' for problem in problems)

    # Hard links: the same names form one file on both sides.
    source_groups, destination_groups = link_groups(source), link_groups(destination)
    for rel in sorted(set(source_groups) | set(destination_groups)):
        want = sorted(show(r) for r in source_groups.get(rel, {rel}))
        have = sorted(show(r) for r in destination_groups.get(rel, {rel}))
        if want != have and rel in destination:
            differences.append(f'{show(rel)}: one file with {have} on the destination, with {want} on the source')

    counts = {}
    for rel, st in source.items():
        kind = TYPES.get(stat.S_IFMT(st.st_mode), 'unknown')
        counts[kind] = counts.get(kind, 0) + 1
        names = xattrs(source_root, rel)
        for name in names:
            namespace = name.split('.')[0] if not name.startswith('system.posix_acl') else name
            counts[namespace] = counts.get(namespace, 0) + 1
        if kind == 'file' and st.st_blocks * 512 < st.st_size:
            counts['sparse'] = counts.get('sparse', 0) + 1
        if kind != 'symlink' and st.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX):
            counts['special-bits'] = counts.get('special-bits', 0) + 1
    counts['hardlink-groups'] = len(set(source_groups.values()))
    return {'differences': differences, 'counts': counts}


if __name__ == '__main__':
    args = [arg for arg in sys.argv[1:] if arg != '--link-atime']
    if len(args) != 2:
        sys.exit(__doc__)
    print(json.dumps(compare(os.fsencode(args[0]), os.fsencode(args[1]), '--link-atime' in sys.argv)))
