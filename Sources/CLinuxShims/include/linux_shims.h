#ifndef SYNCD_LINUX_SHIMS_H
#define SYNCD_LINUX_SHIMS_H

/// rename(2) that fails with EEXIST instead of replacing an existing target
/// (renameat2 with RENAME_NOREPLACE; a GNU extension Swift's Glibc module does not show).
int syncd_rename_noreplace(const char *from, const char *to);

/// renameat2(2) between two directory descriptors; `noreplace` non-zero adds RENAME_NOREPLACE
/// (EEXIST instead of replacing the target).
int syncd_renameat2(int fromdir, const char *from, int todir, const char *to, int noreplace);

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: `path` is
/// resolved from `dirfd` without ever leaving it ("..", absolute paths) and without following any
/// symbolic link, the last component included (ELOOP when one is in the way, EXDEV when the path
/// would leave `dirfd`). -1 with ENOSYS on kernels before 5.6 (or a seccomp filter that hides it).
int syncd_open_beneath(int dirfd, const char *path, int flags, unsigned int mode);

/// O_PATH (a GNU flag Swift's Glibc module does not show): a descriptor that only names a
/// folder, for the *at calls, without read permission on it.
static const int SYNCD_O_PATH = 010000000;

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor
/// from `from` on, so that it inherits nothing it was not given. `actions` is a
/// posix_spawn_file_actions_t *.
int syncd_spawn_close_from(void *actions, int from);

/// Gives the pages of freed memory back to the system (malloc_trim(0)).
void syncd_release_free_memory(void);

/// Caps glibc's malloc arenas at `arenas` (mallopt(M_ARENA_MAX)): fewer arenas, less memory
/// held free in each.
void syncd_limit_malloc_arenas(int arenas);

#endif
