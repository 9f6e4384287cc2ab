#include "rangeset.h"

#include <string.h>

#include "synack/error.h"
#include "wire/seq.h"

void sk_rangeset_init(sk_rangeset *s, sk_range *storage, uint16_t cap)
{
    s->r = storage;
    s->n = 0;
    s->cap = storage ? cap : 0;
}

int sk_rangeset_add(sk_rangeset *s, uint32_t left, uint32_t right)
{
    /* Exactly 2^31 apart is both before and after: refuse it too. */
    if (right - left == 0 || right - left > INT32_MAX)
        return SYNACK_ERR_INVAL;
    /* Skip the ranges wholly before [left, right) and not touching it. */
    uint16_t i = 0;
    while (i < s->n && sk_seq_lt(s->r[i].right, left))
        i++;
    /* r[i..j) overlap or touch [left, right). */
    uint16_t j = i;
    while (j < s->n && sk_seq_le(s->r[j].left, right))
        j++;
    if (j == i) {
        if (s->n == s->cap)
            return SYNACK_ERR_LIMIT;
        memmove(&s->r[i + 1], &s->r[i], (size_t)(s->n - i) * sizeof *s->r);
        s->r[i].left = left;
        s->r[i].right = right;
        s->n++;
        return i;
    }
    s->r[i].left = sk_seq_min(left, s->r[i].left);
    s->r[i].right = sk_seq_max(right, s->r[j - 1].right);
    if (j - i > 1) {
        memmove(&s->r[i + 1], &s->r[j], (size_t)(s->n - j) * sizeof *s->r);
        s->n = (uint16_t)(s->n - (j - i - 1));
    }
    return i;
}

void sk_rangeset_remove_below(sk_rangeset *s, uint32_t seq)
{
    uint16_t k = 0;
    while (k < s->n && sk_seq_le(s->r[k].right, seq))
        k++;
    if (k) {
        memmove(&s->r[0], &s->r[k], (size_t)(s->n - k) * sizeof *s->r);
        s->n = (uint16_t)(s->n - k);
    }
    if (s->n && sk_seq_lt(s->r[0].left, seq))
        s->r[0].left = seq;
}

int sk_rangeset_find(const sk_rangeset *s, uint32_t seq)
{
    for (uint16_t i = 0; i < s->n; i++) {
        if (sk_seq_lt(seq, s->r[i].left))
            return -1;
        if (sk_seq_lt(seq, s->r[i].right))
            return i;
    }
    return -1;
}

uint32_t sk_rangeset_covered(const sk_rangeset *s, uint32_t left, uint32_t right)
{
    uint32_t sum = 0;
    if (!sk_seq_lt(left, right))
        return 0;
    for (uint16_t i = 0; i < s->n; i++) {
        const sk_range *r = &s->r[i];
        if (sk_seq_le(right, r->left))
            break;
        uint32_t lo = sk_seq_max(left, r->left);
        uint32_t hi = sk_seq_min(right, r->right);
        if (sk_seq_lt(lo, hi))
            sum += hi - lo;
    }
    return sum;
}

uint32_t sk_rangeset_bytes(const sk_rangeset *s)
{
    uint32_t sum = 0;
    for (uint16_t i = 0; i < s->n; i++)
        sum += s->r[i].right - s->r[i].left;
    return sum;
}
