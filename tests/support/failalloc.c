#include "failalloc.h"

#include <stdlib.h>
#include <string.h>

static int should_fail(failalloc *fa)
{
    fa->count++;
    if (fa->fail_at && fa->count == fa->fail_at) {
        fa->failed = 1;
        return 1;
    }
    return 0;
}

static void *fa_malloc(size_t size, void *ud)
{
    failalloc *fa = ud;
    if (should_fail(fa))
        return NULL;
    void *p = malloc(size);
    if (p)
        fa->live++;
    return p;
}

static void *fa_calloc(size_t n, size_t size, void *ud)
{
    failalloc *fa = ud;
    if (should_fail(fa))
        return NULL;
    void *p = calloc(n, size);
    if (p)
        fa->live++;
    return p;
}

static void *fa_realloc(void *ptr, size_t size, void *ud)
{
    failalloc *fa = ud;
    if (should_fail(fa))
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        fa->live++;
    return p;
}

static void fa_free(void *ptr, void *ud)
{
    failalloc *fa = ud;
    if (ptr)
        fa->live--;
    free(ptr);
}

void failalloc_init(failalloc *fa, long fail_at)
{
    memset(fa, 0, sizeof(*fa));
    fa->fail_at = fail_at;
    fa->mem.user_data = fa;
    fa->mem.malloc = fa_malloc;
    fa->mem.calloc = fa_calloc;
    fa->mem.realloc = fa_realloc;
    fa->mem.free = fa_free;
}
