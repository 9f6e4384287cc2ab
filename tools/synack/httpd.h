/* The HTTP/1.1 file server behind `synack serve --http DIR` (RFC 9110,
 * RFC 9112): GET and HEAD of files and directory listings, persistent
 * connections and pipelining, over one synack_tcp connection each. */
#ifndef SYNACK_HTTPD_H
#define SYNACK_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"

typedef struct httpd httpd;
typedef struct httpd_conn httpd_conn;

/* What httpd_conn_service() says about the connection. */
#define HTTPD_MORE 0 /* waiting for the peer or for room to send */
#define HTTPD_DONE 1 /* finished (Connection: close, or the client is done): shut down */

/* Serves the files under @p dir. Returns 0, or -1 with *why filled. */
int httpd_new(const char *dir, bool verbose, httpd **out, char *why, size_t why_len);
void httpd_del(httpd *h);

/* Per-connection state; NULL when out of memory. */
httpd_conn *httpd_conn_new(httpd *h, synack_tcp *tcp);
void httpd_conn_del(httpd_conn *c);

/* Reads requests and sends responses as far as the connection allows. */
int httpd_conn_service(httpd_conn *c, uint64_t now);

#endif
