#include "countalloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Each block carries its size in front, in a header that keeps the
 * block's alignment. */
#define HDR alignof(max_align_t)

static void *ca_malloc(size_t size, void *user)
{
    countalloc *ca = user;
    if (size > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = malloc(HDR + size);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    ca->live += size;
    if (ca->live > ca->peak)
        ca->peak = ca->live;
    ca->allocs++;
    ca->blocks++;
    return p + HDR;
}

static void ca_free(void *ptr, void *user)
{
    countalloc *ca = user;
    if (!ptr)
        return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof size);
    ca->live -= size;
    ca->blocks--;
    free(p);
}

static void *ca_calloc(size_t n, size_t size, void *user)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = ca_malloc(n * size, user);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* A new block, the old one copied and freed: the peak sees both at once,
 * as it may with a real realloc. */
static void *ca_realloc(void *ptr, size_t size, void *user)
{
    void *q = ca_malloc(size, user);
    if (!q || !ptr)
        return q;
    size_t old;
    memcpy(&old, (unsigned char *)ptr - HDR, sizeof old);
    memcpy(q, ptr, old < size ? old : size);
    ca_free(ptr, user);
    return q;
}

void countalloc_init(countalloc *ca)
{
    memset(ca, 0, sizeof *ca);
    ca->mem = (synack_mem){ca, ca_malloc, ca_free, ca_calloc, ca_realloc};
}

countalloc_mark countalloc_mark_now(countalloc *ca)
{
    countalloc_mark m = {ca->live, ca->peak, ca->allocs};
    ca->peak = ca->live;
    return m;
}
