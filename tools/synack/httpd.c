/* A small HTTP/1.1 origin server for files (RFC 9110, RFC 9112): enough
 * for curl, wget and a browser. One request at a time per connection;
 * pipelined requests wait in the request buffer. */
#include "httpd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX    8192  /* request line and headers; larger gets 431 */
#define FILE_CHUNK 65536 /* bytes read from a file per refill */

struct httpd {
    char *root; /* realpath of the served directory */
    size_t root_len;
    bool verbose;
};

struct httpd_conn {
    httpd *h;
    synack_tcp *tcp;
    char req[REQ_MAX];
    size_t req_len;
    bool eof;
    uint8_t *out; /* response bytes not yet sent (headers, generated body, file chunk) */
    size_t out_off, out_len, out_cap;
    bool out_failed; /* could not grow the buffer */
    int fd;          /* file being sent, -1 if none */
    uint64_t file_off, file_left;
    bool responding;
    bool close_after; /* Connection: close, or an error that ends the connection */
};

int httpd_new(const char *dir, bool verbose, httpd **out, char *why, size_t why_len)
{
    char *root = realpath(dir, NULL);
    if (!root) {
        snprintf(why, why_len, "%s", strerror(errno));
        return -1;
    }
    httpd *h = calloc(1, sizeof(*h));
    if (!h) {
        free(root);
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    h->root = root;
    h->root_len = strlen(root);
    /* "/" as root: every path is beneath it, so compare without the slash. */
    if (h->root_len == 1)
        h->root_len = 0;
    h->verbose = verbose;
    *out = h;
    return 0;
}

void httpd_del(httpd *h)
{
    if (!h)
        return;
    free(h->root);
    free(h);
}

httpd_conn *httpd_conn_new(httpd *h, synack_tcp *tcp)
{
    httpd_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->h = h;
    c->tcp = tcp;
    c->fd = -1;
    c->out_cap = FILE_CHUNK;
    c->out = malloc(c->out_cap);
    if (!c->out) {
        free(c);
        return NULL;
    }
    return c;
}

void httpd_conn_del(httpd_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->out);
    free(c);
}

/* ---- the output buffer ------------------------------------------------------ */

static bool out_reserve(httpd_conn *c, size_t more)
{
    if (c->out_len + more <= c->out_cap)
        return true;
    size_t cap = c->out_cap;
    while (cap < c->out_len + more)
        cap *= 2;
    uint8_t *p = realloc(c->out, cap);
    if (!p) {
        c->out_failed = true;
        return false;
    }
    c->out = p;
    c->out_cap = cap;
    return true;
}

static void out_add(httpd_conn *c, const void *p, size_t n)
{
    if (out_reserve(c, n)) {
        memcpy(c->out + c->out_len, p, n);
        c->out_len += n;
    }
}

static void out_printf(httpd_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(httpd_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !out_reserve(c, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)c->out + c->out_len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->out_len += (size_t)n;
}

/* ---- responses ----------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 301:
        return "Moved Permanently";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Internal Server Error";
    }
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".c", "text/plain; charset=utf-8"},
        {".h", "text/plain; charset=utf-8"},
        {".css", "text/css"},
        {".js", "text/javascript"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".pdf", "application/pdf"},
        {".pcap", "application/vnd.tcpdump.pcap"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* Status line and the headers every response carries (RFC 9110 6.6.1:
 * an origin server with a clock sends Date). */
static void start_response(httpd_conn *c, int status, const char *type, uint64_t length)
{
    char date[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    out_printf(c,
               "HTTP/1.1 %d %s\r\nServer: synack/%s\r\nDate: %s\r\nContent-Type: %s\r\n"
               "Content-Length: %llu\r\nConnection: %s\r\n",
               status, reason_phrase(status), synack_version(), date, type,
               (unsigned long long)length, c->close_after ? "close" : "keep-alive");
}

static void log_request(httpd_conn *c, const char *method, const char *target, int status,
                        uint64_t length)
{
    if (c->h->verbose)
        fprintf(stderr, "synack serve: [%u] %s %s -> %d (%llu bytes)\n", synack_tcp_id(c->tcp),
                method, target, status, (unsigned long long)length);
}

static void send_error(httpd_conn *c, int status, bool head, const char *method, const char *target)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "<!doctype html><title>%d %s</title><h1>%d %s</h1>\n",
                     status, reason_phrase(status), status, reason_phrase(status));
    if (status != 404 && status != 403 && status != 405)
        c->close_after = true; /* the request itself was bad: do not trust what follows */
    start_response(c, status, "text/html; charset=utf-8", (uint64_t)n);
    if (status == 405)
        out_printf(c, "Allow: GET, HEAD\r\n");
    out_printf(c, "\r\n");
    if (!head)
        out_add(c, body, (size_t)n);
    c->responding = true;
    log_request(c, method, target, status, (uint64_t)n);
}

/* ---- request parsing ------------------------------------------------------------- */

/* Length of the request head including its blank line, 0 if incomplete.
 * RFC 9112 2.2: a recipient MAY take a bare LF as a line terminator. */
static size_t head_length(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\n')
            continue;
        if (p[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The target's path, percent-decoded, as "/a/b" ("/" for the root) with
 * "." and empty segments removed. A ".." segment, or an encoded NUL or
 * slash, is refused (-1): they serve only to escape the directory.
 * *dir_slash tells whether the path named a directory ("/a/" or "/a/.").
 * RFC 9112 3.2.2: the absolute form "http://host/path" is accepted too. */
static int decode_path(const char *target, char *out, size_t cap, bool *dir_slash)
{
    const char *p = target;
    if (strncasecmp(p, "http://", 7) == 0) {
        p = strchr(p + 7, '/');
        if (!p)
            p = "/";
    }
    if (*p != '/')
        return -1;
    const char *end = p + strcspn(p, "?#");
    size_t n = 0;
    *dir_slash = true;
    while (p < end) {
        p++; /* the '/' */
        char seg[NAME_MAX + 1];
        size_t sl = 0;
        while (p < end && *p != '/') {
            char ch = *p++;
            if (ch == '%') {
                int hi = p < end ? hexval(p[0]) : -1;
                int lo = hi >= 0 && p + 1 < end ? hexval(p[1]) : -1;
                if (lo < 0)
                    return -1;
                ch = (char)(hi * 16 + lo);
                p += 2;
                if (ch == 0 || ch == '/')
                    return -1;
            }
            if (sl + 1 >= sizeof(seg))
                return -1;
            seg[sl++] = ch;
        }
        seg[sl] = 0;
        if (sl == 2 && memcmp(seg, "..", 2) == 0)
            return -1;
        if (sl == 0 || (sl == 1 && seg[0] == '.')) {
            *dir_slash = true;
            continue;
        }
        *dir_slash = false;
        if (n + 1 + sl + 1 > cap)
            return -1;
        out[n++] = '/';
        memcpy(out + n, seg, sl);
        n += sl;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = 0;
    return 0;
}

/* Whether the header list of the head contains NAME with a token TOKEN
 * (case-insensitive, comma-separated values: RFC 9110 5.6.1). */
static bool header_has_token(const char *head, const char *name, const char *token)
{
    size_t nl = strlen(name), tl = strlen(token);
    for (const char *line = strchr(head, '\n'); line; line = strchr(line, '\n')) {
        line++;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        const char *end = strchr(v, '\n');
        if (!end)
            end = v + strlen(v);
        while (v < end) {
            while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
                v++;
            const char *w = v;
            while (w < end && *w != ',' && *w != ' ' && *w != '\t' && *w != '\r')
                w++;
            if ((size_t)(w - v) == tl && strncasecmp(v, token, tl) == 0)
                return true;
            v = w;
            while (v < end && *v != ',')
                v++;
        }
    }
    return false;
}

/* The value of header NAME, or NULL; copied into buf. */
static const char *header_value(const char *head, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = strchr(head, '\n'); line; line = strchr(line, '\n')) {
        line++;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\r\n");
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, v, n);
        buf[n] = 0;
        return buf;
    }
    return NULL;
}

/* ---- serving files ------------------------------------------------------------------ */

static void html_escaped(httpd_conn *c, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            out_printf(c, "&lt;");
            break;
        case '>':
            out_printf(c, "&gt;");
            break;
        case '&':
            out_printf(c, "&amp;");
            break;
        case '"':
            out_printf(c, "&quot;");
            break;
        default:
            out_add(c, s, 1);
        }
    }
}

static void url_escaped(httpd_conn *c, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~", ch))
            out_add(c, s, 1);
        else
            out_printf(c, "%%%02X", ch);
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A listing of a directory without index.html: the body is built first,
 * then the headers are put in front of it. */
static int send_listing(httpd_conn *c, int dfd, const char *path, bool head, const char *method)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 500;
    }
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof(*names));
    struct dirent *e;
    while (names && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, 2 * cap * sizeof(*names));
            if (!p)
                break;
            names = p;
            cap *= 2;
        }
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
            struct stat st;
            is_dir = fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
        }
        size_t len = strlen(e->d_name);
        char *s = malloc(len + 2);
        if (!s)
            break;
        memcpy(s, e->d_name, len);
        s[len] = is_dir ? '/' : 0;
        s[len + 1] = 0;
        names[n++] = s;
    }
    closedir(d);
    if (!names)
        return 500;
    qsort(names, n, sizeof(*names), cmp_names);

    size_t body_start = c->out_len;
    out_printf(c, "<!doctype html>\n<meta charset=\"utf-8\">\n<title>Index of ");
    html_escaped(c, path);
    out_printf(c, "</title>\n<h1>Index of ");
    html_escaped(c, path);
    out_printf(c, "</h1>\n<ul>\n");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        bool is_dir = len > 0 && names[i][len - 1] == '/';
        if (is_dir)
            names[i][len - 1] = 0;
        out_printf(c, "<li><a href=\"");
        url_escaped(c, names[i]);
        out_printf(c, "%s\">", is_dir ? "/" : "");
        html_escaped(c, names[i]);
        out_printf(c, "%s</a></li>\n", is_dir ? "/" : "");
        free(names[i]);
    }
    free(names);
    out_printf(c, "</ul>\n");
    if (c->out_failed)
        return 500;

    /* Move the body behind the headers. */
    size_t body_len = c->out_len - body_start;
    uint8_t *body = malloc(body_len ? body_len : 1);
    if (!body)
        return 500;
    memcpy(body, c->out + body_start, body_len);
    c->out_len = body_start;
    start_response(c, 200, "text/html; charset=utf-8", body_len);
    out_printf(c, "\r\n");
    if (!head)
        out_add(c, body, body_len);
    free(body);
    c->responding = true;
    log_request(c, method, path, 200, body_len);
    return 0;
}

/* Resolves the decoded path under the root, refusing anything a symbolic
 * link leads outside of it. Returns an open descriptor or -status. */
static int open_beneath(httpd *h, const char *path)
{
    char full[PATH_MAX];
    if ((size_t)snprintf(full, sizeof(full), "%s%s", h->root, path) >= sizeof(full))
        return -404;
    char *real = realpath(full, NULL);
    if (!real)
        return errno == EACCES ? -403 : -404;
    bool inside = strncmp(real, h->root, h->root_len) == 0 &&
                  (real[h->root_len] == '/' || real[h->root_len] == 0);
    int fd = inside ? open(real, O_RDONLY | O_CLOEXEC) : -1;
    int e = errno;
    free(real);
    if (!inside)
        return -403;
    if (fd < 0)
        return e == EACCES ? -403 : -404;
    return fd;
}

static int serve_path(httpd_conn *c, const char *path, bool dir_slash, bool head,
                      const char *method, const char *target)
{
    int fd = open_beneath(c->h, path);
    if (fd < 0)
        return -fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return 500;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!dir_slash) {
            /* Relative links in the listing need the trailing slash. */
            close(fd);
            start_response(c, 301, "text/plain", 0);
            out_printf(c, "Location: %s/\r\n\r\n", path);
            c->responding = true;
            log_request(c, method, target, 301, 0);
            return 0;
        }
        int ifd = openat(fd, "index.html", O_RDONLY | O_CLOEXEC);
        struct stat ist;
        if (ifd >= 0 && fstat(ifd, &ist) == 0 && S_ISREG(ist.st_mode)) {
            close(fd);
            fd = ifd;
            st = ist;
            path = "index.html";
        } else {
            if (ifd >= 0)
                close(ifd);
            return send_listing(c, fd, target, head, method);
        }
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 403;
    }
    start_response(c, 200, content_type(path), (uint64_t)st.st_size);
    out_printf(c, "\r\n");
    c->responding = true;
    log_request(c, method, target, 200, (uint64_t)st.st_size);
    if (head || st.st_size == 0) {
        close(fd);
        return 0;
    }
    c->fd = fd;
    c->file_off = 0;
    c->file_left = (uint64_t)st.st_size;
    return 0;
}

/* One request head (NUL-terminated, its line ends kept). */
static void handle_request(httpd_conn *c, char *head)
{
    char method[16] = "-", target[2048] = "-", version[16] = "";
    char *line_end = head + strcspn(head, "\r\n");
    char saved = *line_end;
    *line_end = 0;
    int fields = sscanf(head, "%15s %2047s %15s", method, target, version);
    *line_end = saved;
    bool http11 = strcmp(version, "HTTP/1.1") == 0;
    /* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
    c->close_after = http11 ? header_has_token(head, "Connection", "close")
                            : !header_has_token(head, "Connection", "keep-alive");
    bool head_only = strcmp(method, "HEAD") == 0;
    if (fields != 3 || strncmp(version, "HTTP/1.", 7) != 0) {
        if (fields == 3 && strncmp(version, "HTTP/", 5) == 0)
            send_error(c, 505, head_only, method, target);
        else
            send_error(c, 400, head_only, method, target);
        return;
    }
    char val[64];
    /* RFC 9112 3.2: a 1.1 request without Host is answered 400. */
    if (http11 && !header_value(head, "Host", val, sizeof(val))) {
        send_error(c, 400, head_only, method, target);
        return;
    }
    /* No request bodies here: refuse them rather than read them as the
     * next request (RFC 9112 6.3). */
    if (header_value(head, "Transfer-Encoding", val, sizeof(val))) {
        send_error(c, 501, head_only, method, target);
        return;
    }
    if (header_value(head, "Content-Length", val, sizeof(val)) && strcmp(val, "0") != 0) {
        send_error(c, 413, head_only, method, target);
        return;
    }
    if (strcmp(method, "GET") != 0 && !head_only) {
        send_error(c, 405, false, method, target);
        return;
    }
    char path[PATH_MAX];
    bool dir_slash = false;
    if (decode_path(target, path, sizeof(path), &dir_slash) < 0) {
        send_error(c, 400, head_only, method, target);
        return;
    }
    int status = serve_path(c, path, dir_slash, head_only, method, target);
    if (status)
        send_error(c, status, head_only, method, target);
}

/* ---- the connection --------------------------------------------------------------- */

static bool send_out(httpd_conn *c, uint64_t now)
{
    while (c->out_off < c->out_len) {
        ssize_t n = synack_tcp_send(c->tcp, c->out + c->out_off, c->out_len - c->out_off, now);
        if (n <= 0)
            return false;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return true;
}

/* Reads the next chunk of the file; false if the file cannot be read (the
 * response cannot be completed: the connection must end). */
static bool refill_from_file(httpd_conn *c)
{
    size_t want = c->file_left < c->out_cap ? (size_t)c->file_left : c->out_cap;
    ssize_t n = pread(c->fd, c->out, want, (off_t)c->file_off);
    if (n <= 0)
        return false;
    c->out_off = 0;
    c->out_len = (size_t)n;
    c->file_off += (uint64_t)n;
    c->file_left -= (uint64_t)n;
    return true;
}

static void end_response(httpd_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->file_left = 0;
    c->responding = false;
    c->out_failed = false;
}

int httpd_conn_service(httpd_conn *c, uint64_t now)
{
    for (;;) {
        if (c->responding) {
            if (c->out_failed) {
                end_response(c);
                return HTTPD_DONE;
            }
            if (!send_out(c, now))
                return HTTPD_MORE;
            if (c->file_left) {
                if (!refill_from_file(c)) {
                    end_response(c);
                    return HTTPD_DONE; /* the length promised can no longer be kept */
                }
                continue;
            }
            end_response(c);
            if (c->close_after)
                return HTTPD_DONE;
            continue;
        }
        size_t hl = head_length(c->req, c->req_len);
        if (hl) {
            char head[REQ_MAX + 1];
            memcpy(head, c->req, hl);
            head[hl] = 0;
            memmove(c->req, c->req + hl, c->req_len - hl);
            c->req_len -= hl;
            handle_request(c, head);
            continue;
        }
        if (c->req_len == sizeof(c->req)) {
            c->req_len = 0;
            send_error(c, 431, false, "-", "-");
            continue;
        }
        if (c->eof)
            return HTTPD_DONE;
        ssize_t n = synack_tcp_recv(c->tcp, c->req + c->req_len, sizeof(c->req) - c->req_len, now);
        if (n > 0) {
            c->req_len += (size_t)n;
            continue;
        }
        if (n == 0) {
            c->eof = true;
            continue;
        }
        return n == SYNACK_ERR_AGAIN ? HTTPD_MORE : HTTPD_DONE;
    }
}
