// SPDX-License-Identifier: BSD-2-Clause
/* Tables in anonymous mappings of their own (mapping.h). */
#include <sys/mman.h>
#include "core/mapping.h"

void *fp_mapping(size_t bytes, bool huge)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (huge)
		madvise(p, bytes, MADV_HUGEPAGE); /* advice: refused where THP is off */
	return p;
}

void *fp_mapping_grow(void *p, size_t old, size_t bytes)
{
	if (!p)
		return fp_mapping(bytes, false);
	p = mremap(p, old, bytes, MREMAP_MAYMOVE);
	return p == MAP_FAILED ? NULL : p;
}

void fp_mapping_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}
