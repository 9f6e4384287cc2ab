#include "synack/mem.h"

#include <stdlib.h>

static void *libc_malloc(size_t size, void *ud)
{
    (void)ud;
    return malloc(size);
}

static void libc_free(void *ptr, void *ud)
{
    (void)ud;
    free(ptr);
}

static void *libc_calloc(size_t n, size_t size, void *ud)
{
    (void)ud;
    return calloc(n, size);
}

static void *libc_realloc(void *ptr, size_t size, void *ud)
{
    (void)ud;
    return realloc(ptr, size);
}

static const synack_mem libc_mem = {NULL, libc_malloc, libc_free, libc_calloc, libc_realloc};

const synack_mem *synack_mem_default(void)
{
    return &libc_mem;
}
