/* synack — caller-provided allocator.
 *
 * Every allocation the library makes goes through a synack_mem. Pass NULL
 * wherever a const synack_mem * is asked for to use libc's malloc/free.
 * The library allocates at creation time and when pools grow in large
 * steps; never once per segment.
 */
#ifndef SYNACK_MEM_H
#define SYNACK_MEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_mem {
    void *user_data;
    /** Like malloc(3); may return NULL, which the library reports as SYNACK_ERR_NOMEM. */
    void *(*malloc)(size_t size, void *user_data);
    /** Like free(3); ptr may be NULL. */
    void (*free)(void *ptr, void *user_data);
    /** Like calloc(3). */
    void *(*calloc)(size_t nmemb, size_t size, void *user_data);
    /** Like realloc(3). */
    void *(*realloc)(void *ptr, size_t size, void *user_data);
} synack_mem;

/** The libc allocator. */
const synack_mem *synack_mem_default(void);

#ifdef __cplusplus
}
#endif
#endif
