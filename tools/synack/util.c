#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ladder_svg.h"

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "synack %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", cmd->usage);
    return CLI_EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    uint64_t mult = 1;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K':
            mult = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            mult = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            mult = 1ULL << 30;
            break;
        default:
            return -1;
        }
        end++;
        if (*end == 'i' || *end == 'B')
            end++;
        if (*end == 'B')
            end++;
        if (*end)
            return -1;
    }
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int cli_parse_prob(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || isnan(v))
        return -1;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end || v < 0.0 || v > 1.0)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_ms(const char *s, uint64_t *out_ns)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || isnan(v) || v < 0.0 || v > 1e9)
        return -1;
    *out_ns = (uint64_t)llround(v * 1e6);
    return 0;
}

int cli_parse_ladder_format(const cli_cmd *cmd, const char *opt, const char *val, int *out)
{
    ladder_format f;
    if (!val)
        return cli_usage_error(cmd, "option %s needs a value", opt);
    if (ladder_format_parse(val, &f) < 0)
        return cli_usage_error(cmd, "bad value '%s' for %s: the formats are " LADDER_FORMAT_NAMES,
                               val, opt);
    *out = (int)f;
    return 0;
}

void cli_ladder_opts_default(cli_ladder_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = LADDER_FORMAT_ASCII;
    o->max = CLI_LADDER_MAX_DEFAULT;
}

int cli_parse_ladder_opt(cli_ladder_opts *o, const cli_cmd *cmd, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--ladder-format", "--ladder-out", "--ladder-max"};
    const char *a = argv[*i];
    if (strcmp(a, "--ladder") == 0)
        return o->on = true;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t n = strlen(names[k]);
        const char *val;
        if (strncmp(a, names[k], n) == 0 && a[n] == '=')
            val = a + n + 1;
        else if (strcmp(a, names[k]) == 0)
            val = *i + 1 < argc ? argv[++*i] : NULL;
        else
            continue;
        o->on = true;
        if (k == 0) {
            int rv = cli_parse_ladder_format(cmd, names[k], val, &o->format);
            return rv ? rv : 1;
        }
        if (!val)
            return cli_usage_error(cmd, "option %s needs a value", names[k]);
        if (k == 2 && cli_parse_u64(val, &o->max) < 0)
            return cli_usage_error(cmd, "bad value '%s' for %s", val, names[k]);
        if (k == 1 && (!*val || strcmp(val, "-") == 0))
            return cli_usage_error(cmd,
                                   "bad value '%s' for %s: a file name (ladders never go to "
                                   "standard output, which is the command's own)",
                                   val, names[k]);
        if (k == 1)
            o->out = val;
        return 1;
    }
    return 0;
}

int cli_check_ladder_opts(const cli_ladder_opts *o, const cli_cmd *cmd)
{
    if (o->format != LADDER_FORMAT_ASCII && !o->out)
        return cli_usage_error(cmd,
                               "--ladder-format %s writes a file: give it with --ladder-out FILE "
                               "(standard output is the command's own)",
                               ladder_format_name((ladder_format)o->format));
    return 0;
}

bool cli_stdout_is_tty(void)
{
    return isatty(STDOUT_FILENO) == 1;
}
