/* Runs a libFuzzer target without libFuzzer: every file of the corpus
 * directory given as argv[1], then a few thousand inputs from a seeded
 * generator (random bytes and mutations of the corpus files), so the
 * target runs in every build under the sanitizers. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT 4096
#define MAX_SEEDS        256

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    static uint8_t seeds[MAX_SEEDS][REPLAY_MAX_INPUT];
    static size_t seed_len[MAX_SEEDS];
    size_t nseeds = 0;
    if (argc > 1) {
        DIR *d = opendir(argv[1]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL && nseeds < MAX_SEEDS) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            seed_len[nseeds] = fread(seeds[nseeds], 1, REPLAY_MAX_INPUT, f);
            fclose(f);
            LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
            nseeds++;
        }
        if (d)
            closedir(d);
    }
    uint8_t buf[REPLAY_MAX_INPUT];
    for (int i = 0; i < 20000; i++) {
        size_t len;
        if (nseeds && (i & 1)) {
            size_t s = next_rand() % nseeds;
            len = seed_len[s];
            memcpy(buf, seeds[s], len);
            int flips = 1 + (int)(next_rand() % 4);
            for (int k = 0; k < flips && len; k++)
                buf[next_rand() % len] ^= (uint8_t)(1u << (next_rand() % 8));
            if (next_rand() % 4 == 0 && len)
                len = next_rand() % len; /* truncate */
        } else {
            len = next_rand() % 256;
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)next_rand();
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("replayed %zu corpus files and 20000 generated inputs\n", nseeds);
    return 0;
}
