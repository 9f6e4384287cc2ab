/* Test support: an output callback that records every frame a stack sends. */
#ifndef SYNACK_TEST_CAPTURE_H
#define SYNACK_TEST_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define TCAP_MAX_FRAMES 256
#define TCAP_MAX_LEN    9216

typedef struct tcap {
    size_t count;   /* frames recorded (stops growing at TCAP_MAX_FRAMES) */
    size_t dropped; /* frames past TCAP_MAX_FRAMES */
    int fail;       /* when non-zero, the callback returns this error */
    struct {
        uint8_t data[TCAP_MAX_LEN];
        size_t len;
        uint64_t now;
    } f[TCAP_MAX_FRAMES];
} tcap;

/* A synack_output_fn; user_data is a tcap *. */
int tcap_output(void *user_data, const uint8_t *frame, size_t len, uint64_t now);
/* Allocates a zeroed capture (big: keep it off the stack). */
tcap *tcap_new(void);
void tcap_free(tcap *c);
void tcap_clear(tcap *c);

#endif
