#ifndef SYNCD_LINUX_SHIMS_H
#define SYNCD_LINUX_SHIMS_H

/// rename(2) that fails with EEXIST instead of replacing an existing target
/// (renameat2 with RENAME_NOREPLACE; a GNU extension Swift's Glibc module does not show).
int syncd_rename_noreplace(const char *from, const char *to);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor
/// from `from` on, so that it inherits nothing it was not given. `actions` is a
/// posix_spawn_file_actions_t *.
int syncd_spawn_close_from(void *actions, int from);

#endif
