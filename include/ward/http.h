/*
 * ward/http.h: the one HTTP client of libward: GET requests to the collateral
 * services (AMD KDS, Intel PCS or a PCCS) and POST requests to OCSP responders
 * (NVIDIA's), through libcurl.
 *
 * Everything a server sends is untrusted: the body is capped while it arrives, a
 * captured header is capped, only http:// and https:// are spoken (redirects
 * included, at most 3), and nothing here interprets the bytes. Limits per attempt:
 * the caller's timeout for the whole request, at most 10 s of it to connect.
 * libcurl is initialised once per process (pthread_once), so concurrent first
 * calls are safe.
 */
#ifndef WARD_HTTP_H
#define WARD_HTTP_H

#include <limits.h>

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_HTTP_NO_RETRIES UINT_MAX /* ward_http_opts.max_retries: give up at once */
#define WARD_HTTP_MAX_WAIT_MS 60000u  /* named maximum of one wait between retries */

/* How to make one request. Zero-initialise, then set what differs; the zeros of
 * timeout_s, max_retries and backoff_ms mean the defaults, as in ward_kds_opts and
 * ward_pcs_opts, so those can be copied in unchanged. */
struct ward_http_opts {
    long timeout_s;       /* each attempt, connecting included; <= 0 means 30 */
    unsigned max_retries; /* retries on HTTP 429/503; 0 means 5, WARD_HTTP_NO_RETRIES none */
    unsigned backoff_ms;  /* first wait when no Retry-After is given (doubles on each
                             retry); 0 means 1000 */
    size_t max_body;      /* named maximum of the body; must not be 0 */
    const char *const *capture_headers; /* names of ONE header, in order of preference
                                           (a service that renamed it): the first the
                                           final response carries is returned */
    size_t num_capture_headers;         /* entries in capture_headers (0: capture none) */
    size_t max_header;                  /* named maximum of the captured value; must not
                                           be 0 when num_capture_headers is not */
    const char *log_name;               /* names the caller in debug log lines ("kds");
                                           NULL means "http" */
};

/* What a successful request produced (owned bytes, as served). */
struct ward_http_response {
    struct ward_buf body;   /* at most max_body bytes */
    struct ward_buf header; /* the captured header's value; empty when the response
                               carries none of capture_headers (or none was asked for) */
};

/* ward_http_response_cleanup frees |r|'s buffers and zeroes it. Accepts NULL. */
void ward_http_response_cleanup(struct ward_http_response *r);

/* ward_http_url_check fails with WARD_ERR_USAGE ("|what| must start with http:// or
 * https://") unless |url| has one of those schemes (either case). |what| names the
 * URL for the user ("KDS URL"). */
int ward_http_url_check(const char *url, const char *what) WARD_MUST_CHECK;

/* ward_http_get fetches |url| (http:// or https://, else WARD_ERR_USAGE) with
 * |opts| (which must not be NULL and whose max_body must not be 0: a caller's bug
 * aborts). Success means HTTP 200. HTTP 429 and 503 are retried up to max_retries
 * times, waiting for Retry-After seconds when given (at most an hour), else
 * backoff_ms doubling each time; one wait is at most WARD_HTTP_MAX_WAIT_MS.
 * Errors, each naming |url|:
 *  - WARD_ERR_RATE_LIMIT when still 429/503 after max_retries;
 *  - WARD_ERR_NOT_FOUND on HTTP 404 or 410 ("the service has no such object");
 *  - WARD_ERR_NET for transport failures (libcurl's message) and any other status;
 *  - WARD_ERR_NOMEM for a body over max_body or a captured header over max_header.
 * On success |out| (pass it empty; it is overwritten) owns the body and the
 * captured header; on failure it is untouched. */
int ward_http_get(const char *url, const struct ward_http_opts *opts,
                  struct ward_http_response *out) WARD_MUST_CHECK;

/* ward_http_post sends |len| bytes at |body| (borrowed; NULL only when |len| is 0)
 * to |url| as a POST with the header "Content-Type: |content_type|" (a short
 * media type such as "application/ocsp-request"; a CR or LF in it, or 100 bytes
 * or more, is a caller's bug and aborts). Everything else is ward_http_get's
 * contract: the same |opts|, limits, retries of the whole request on HTTP 429 and
 * 503 (so use it only for requests that may be repeated, such as OCSP's), errors
 * and ownership of |out|. A 301 or 302 redirect repeats the POST at the new
 * address, as 307 and 308 do; a 303 turns it into a GET. */
int ward_http_post(const char *url, const char *content_type, const uint8_t *body, size_t len,
                   const struct ward_http_opts *opts,
                   struct ward_http_response *out) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif /* WARD_HTTP_H */
