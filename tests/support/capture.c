#include "capture.h"

#include <stdlib.h>
#include <string.h>

int tcap_output(void *user_data, const uint8_t *frame, size_t len, uint64_t now)
{
    tcap *c = user_data;
    if (c->fail)
        return c->fail;
    if (c->count >= TCAP_MAX_FRAMES || len > TCAP_MAX_LEN) {
        c->dropped++;
        return 0;
    }
    memcpy(c->f[c->count].data, frame, len);
    c->f[c->count].len = len;
    c->f[c->count].now = now;
    c->count++;
    return 0;
}

tcap *tcap_new(void)
{
    return calloc(1, sizeof(tcap));
}

void tcap_free(tcap *c)
{
    free(c);
}

void tcap_clear(tcap *c)
{
    c->count = 0;
    c->dropped = 0;
}
