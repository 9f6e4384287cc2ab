#include "synack/stats.h"

#include <stddef.h>

static const char *const stat_names[] = {
#define SK_NAME_(name, desc) #name,
    SYNACK_STATS(SK_NAME_)
#undef SK_NAME_
};

static const char *const stat_descs[] = {
#define SK_DESC_(name, desc) desc,
    SYNACK_STATS(SK_DESC_)
#undef SK_DESC_
};

static const size_t stat_offsets[] = {
#define SK_OFF_(name, desc) offsetof(synack_stats, name),
    SYNACK_STATS(SK_OFF_)
#undef SK_OFF_
};

#define STAT_COUNT (sizeof(stat_names) / sizeof(stat_names[0]))

size_t synack_stats_count(void)
{
    return STAT_COUNT;
}

const char *synack_stats_name(size_t i)
{
    return i < STAT_COUNT ? stat_names[i] : NULL;
}

const char *synack_stats_desc(size_t i)
{
    return i < STAT_COUNT ? stat_descs[i] : NULL;
}

uint64_t synack_stats_value(const synack_stats *s, size_t i)
{
    if (i >= STAT_COUNT)
        return 0;
    return *(const uint64_t *)(const void *)((const char *)s + stat_offsets[i]);
}
