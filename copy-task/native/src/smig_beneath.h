/*
 * Folders opened beneath a root by their path relative to it, however long that path is: a path given
 * to the kernel may not exceed PATH_MAX (4096 bytes with its NUL), while a tree may be deeper than that
 * (22 folders of 200-byte names). The path is resolved a part at a time, each part from the folder the
 * one before it opened, never following a link on the way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * where the kernel has it): a folder swapped for a link while the copy runs cannot lead it outside.
 */
#ifndef SMIG_BENEATH_H
#define SMIG_BENEATH_H

/*
 * Opens `rel` (relative, '/'-separated, not empty) beneath the open folder `root_fd` with `flags`
 * (O_DIRECTORY and O_NOFOLLOW are added; O_PATH or O_RDONLY, O_CLOEXEC as the caller wants). -1 with
 * errno set as open(2) sets it: ENOTDIR or ELOOP when something on the way is no longer a folder.
 */
int open_beneath(int root_fd, const char *rel, int flags);

/*
 * The folder holding `rel`'s last part, opened (O_PATH) beneath `root_fd`, and that part's name in
 * *name (pointing into `rel`). A `rel` of one part gives `root_fd` itself: close the result only when it
 * differs from `root_fd`. -1 with errno set on failure.
 */
int open_parent_beneath(int root_fd, const char *rel, const char **name);

#endif
