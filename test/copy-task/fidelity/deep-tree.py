#!/usr/bin/env python3
"""Builds and changes a tree deeper than PATH_MAX for the copy engine's tests, with Python's os module
only: every call is made from the open folder's descriptor (dir_fd), since no path to the bottom can
be given to the kernel whole.

usage: deep-tree.py build ROOT DEPTH      ROOT/00-ddd.../01-ddd.../... (DEPTH folders of 200-byte names), and at
                                          the bottom: data.bin (random, mode 0640, an xattr), again.bin (a second
                                          name of it), small.txt, link (to data.bin), fifo; as root, owners too
       deep-tree.py change ROOT           rewrites small.txt at the bottom, and opens folder 10 to mode 0700
       deep-tree.py extra ROOT            adds extra.txt at the bottom (the copy removes it from a destination)
prints JSON: {"bottom": the bottom folder's path relative to ROOT, as text}
"""
import json
import os
import sys

NAME_BYTES = 200


def folder_name(i):
    return (b'%02d-' % i).ljust(NAME_BYTES, b'd')


def open_bottom(root):
    """The deepest folder, opened name by name; and its relative path."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    names = []
    while True:
        names_here = sorted(os.fsencode(name) for name in os.listdir(fd))  # by descriptor, names come as str
        subfolders = [name for name in names_here if os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode & 0o170000 == 0o040000]
        if not subfolders:
            return fd, b'/'.join(names)
        next_fd = os.open(subfolders[0], os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = next_fd
        names.append(subfolders[0])


def build(root, depth):
    os.mkdir(root, 0o755)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(depth):
        name = folder_name(i)
        os.mkdir(name, 0o755, dir_fd=fd)
        if i == 10:
            os.chmod(name, 0o750, dir_fd=fd)
            if os.geteuid() == 0:
                os.chown(name, 4321, 8765, dir_fd=fd, follow_symlinks=False)
        next_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = next_fd
    data = os.open('data.bin', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=fd)
    os.write(data, os.urandom(300 * 1024))
    os.close(data)
    os.chmod('data.bin', 0o640, dir_fd=fd)
    if os.geteuid() == 0:
        os.chown('data.bin', 1234, 5678, dir_fd=fd, follow_symlinks=False)
    os.setxattr(b'/proc/self/fd/%d/data.bin' % fd, b'user.deep', b'at the bottom', follow_symlinks=False)
    os.link('data.bin', 'again.bin', src_dir_fd=fd, dst_dir_fd=fd)
    small = os.open('small.txt', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
    os.write(small, b'small and deep\n')
    os.close(small)
    os.utime('small.txt', ns=(1_500_000_000_123_456_789, 1_600_000_000_987_654_321), dir_fd=fd, follow_symlinks=False)
    os.symlink('data.bin', 'link', dir_fd=fd)
    os.mkfifo('fifo', 0o620, dir_fd=fd)
    os.close(fd)


def change(root):
    fd, _ = open_bottom(root)
    small = os.open('small.txt', os.O_WRONLY | os.O_TRUNC, dir_fd=fd)
    os.write(small, b'changed, and longer than it was\n')
    os.close(small)
    os.close(fd)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(10):
        next_fd = os.open(folder_name(i), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = next_fd
    os.chmod(folder_name(10), 0o700, dir_fd=fd)
    os.close(fd)


def extra(root):
    fd, _ = open_bottom(root)
    out = os.open('extra.txt', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
    os.write(out, b'only on the destination\n')
    os.close(out)
    os.close(fd)


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    command, root = sys.argv[1], os.fsencode(sys.argv[2])
    if command == 'build':
        build(root, int(sys.argv[3]))
    elif command == 'change':
        change(root)
    elif command == 'extra':
        extra(root)
    else:
        sys.exit(__doc__)
    fd, bottom = open_bottom(root)
    os.close(fd)
    print(json.dumps({'bottom': os.fsdecode(bottom)}))
