#ifndef SYNCD_LINUX_SHIMS_H
#define SYNCD_LINUX_SHIMS_H

/// rename(2) that fails with EEXIST instead of replacing an existing target
/// (renameat2 with RENAME_NOREPLACE; a GNU extension Swift's Glibc module does not show).
int syncd_rename_noreplace(const char *from, const char *to);

#endif
