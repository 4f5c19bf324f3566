#include "smig_attributes.h"

#include <stdio.h>

#include "smig_util.h"

bool attributes_agree(const struct stat *made, const xattr_set *present, const wanted_attributes *wanted, bool as_root,
                      int64_t granularity, char *problem, size_t room) {
  size_t used = 0;
  problem[0] = '\0';
#define PROBLEM(...) \
  used += (size_t)snprintf(problem + used, used < room ? room - used : 0, "%s", used ? "; " : ""), \
  used += (size_t)snprintf(problem + used, used < room ? room - used : 0, __VA_ARGS__)
  if (wanted->mode >= 0 && (int)(made->st_mode & 07777) != wanted->mode) {
    PROBLEM("mode 0%03o instead of 0%03o", made->st_mode & 07777, (unsigned)wanted->mode);
  }
  if (as_root && (made->st_uid != wanted->uid || made->st_gid != wanted->gid)) {
    PROBLEM("owner %u:%u instead of %u:%u", made->st_uid, made->st_gid, wanted->uid, wanted->gid);
  }
  if (!same_time(made->st_mtim, wanted->mtime, granularity)) {
    PROBLEM("mtime %lld ns instead of %lld ns", (long long)ns_of(made->st_mtim), (long long)ns_of(wanted->mtime));
  }
  if (wanted->with_atime && !same_time(made->st_atim, wanted->atime, granularity)) {
    PROBLEM("atime %lld ns instead of %lld ns", (long long)ns_of(made->st_atim), (long long)ns_of(wanted->atime));
  }
  if (!xattr_equal(present, wanted->xattrs)) PROBLEM("extended attributes differ");
#undef PROBLEM
  return used == 0;
}
