/*
 * lib/net/http.c: the HTTP client behind the collateral fetchers (see
 * ward/http.h): GET, and POST for OCSP; libcurl, http/https only, a capped body,
 * one optional captured header, and retries on 429/503 honouring Retry-After.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "base/internal.h"
#include "ward/http.h"

#define HTTP_DEFAULT_RETRIES 5u
#define HTTP_DEFAULT_BACKOFF_MS 1000u
#define HTTP_DEFAULT_TIMEOUT_S 30L
#define HTTP_CONNECT_TIMEOUT_S 10L
#define HTTP_MAX_RETRY_AFTER_S 3600L /* Retry-After beyond this is read as this */
#define HTTP_MAX_REDIRS 3L

/* What to send: a GET when |body| is NULL, else a POST of |body| as |content_type|. */
struct http_req {
    const char *url;
    const char *content_type;
    const uint8_t *body;
    size_t body_len;
};

/* One request's settings, defaults applied. */
struct http_cfg {
    const struct ward_http_opts *opts;
    unsigned max_retries;
    unsigned backoff_ms;
    long timeout_s;
    const char *log_name;
};

static void curl_freep(CURL **h)
{
    curl_easy_cleanup(*h);
}

static void slist_freep(struct curl_slist **l)
{
    curl_slist_free_all(*l);
}

void ward_http_response_cleanup(struct ward_http_response *r)
{
    if (r == NULL) {
        return;
    }
    ward_buf_cleanup(&r->body);
    ward_buf_cleanup(&r->header);
}

static void response_cleanupp(struct ward_http_response *r)
{
    ward_http_response_cleanup(r);
}

static bool is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

int ward_http_url_check(const char *url, const char *what)
{
    WARD_ASSERT(url != NULL && what != NULL);
    ENSURE_MSG(is_http_url(url), WARD_ERR_USAGE, "%s must start with http:// or https://", what);
    return WARD_OK;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Where the write callback puts the body; `over` records hitting the cap. */
struct body_sink {
    struct ward_wr w;
    bool over;
};

static void body_sink_cleanupp(struct body_sink *s)
{
    ward_wr_cleanup(&s->w);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
    struct body_sink *s = userdata;
    size_t n = size * nmemb; /* curl documents size as always 1 */
    if (ward_wr_bytes(&s->w, (const uint8_t *)p, n) != WARD_OK) {
        s->over = true;
        return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

/* SETOPT: curl_easy_setopt fails only for an unsupported option or no memory. */
#define SETOPT(h, opt, val)                                                         \
    do {                                                                            \
        if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) {                      \
            return ward_err_set(WARD_ERR_NET, "libcurl does not support %s", #opt); \
        }                                                                           \
    } while (0)

/* get_header copies the first of the wanted names the final response carries. */
static int get_header(CURL *h, const struct ward_http_opts *opts, struct ward_buf *out)
{
    for (size_t i = 0; i < opts->num_capture_headers; i++) {
        const char *name = opts->capture_headers[i];
        struct curl_header *hdr = NULL;
        if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK) {
            continue;
        }
        size_t n = strlen(hdr->value);
        ENSURE_MSG(n <= opts->max_header, WARD_ERR_NOMEM, "header %s is larger than %zu bytes",
                   name, opts->max_header);
        return ward_buf_set(out, (const uint8_t *)hdr->value, n);
    }
    return WARD_OK;
}

/* request_once makes one request. Transport failures are errors; any HTTP status is
 * a success with |*out_status| set, |*out_retry_after_s| the Retry-After delay in
 * seconds (-1 when absent), and |out| the body (and on 200 the captured header). */
static int request_once(const struct http_cfg *cfg, const struct http_req *req, long *out_status,
                        long *out_retry_after_s, struct ward_http_response *out)
{
    const struct ward_http_opts *opts = cfg->opts;
    const char *url = req->url;
    pthread_once(&curl_once, curl_init);
    ENSURE_MSG(curl_init_rc == CURLE_OK, WARD_ERR_NET, "libcurl initialisation failed: %s",
               curl_easy_strerror(curl_init_rc));
    DEFER(curl_freep) CURL *h = curl_easy_init();
    GUARD_PTR(h);
    DEFER(body_sink_cleanupp) struct body_sink sink = {.over = false};
    ward_wr_init(&sink.w, opts->max_body);
    char errbuf[CURL_ERROR_SIZE] = "";

    SETOPT(h, CURLOPT_URL, url);
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 1L);
    SETOPT(h, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRS);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT,
           cfg->timeout_s < HTTP_CONNECT_TIMEOUT_S ? cfg->timeout_s : HTTP_CONNECT_TIMEOUT_S);
    SETOPT(h, CURLOPT_TIMEOUT, cfg->timeout_s);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opts->max_body);
    SETOPT(h, CURLOPT_USERAGENT, "ward");
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, &sink);
    SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
    DEFER(slist_freep) struct curl_slist *headers = NULL;
    if (req->body != NULL) {
        char type[128];
        int n = snprintf(type, sizeof(type), "Content-Type: %s", req->content_type);
        WARD_ASSERT(n > 0 && (size_t)n < sizeof(type));
        /* curl_slist_append copies the string; NULL means out of memory. */
        struct curl_slist *l = curl_slist_append(NULL, type);
        GUARD_PTR(l);
        headers = l;
        SETOPT(h, CURLOPT_HTTPHEADER, headers);
        SETOPT(h, CURLOPT_POST, 1L);
        SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SETOPT(h, CURLOPT_POSTFIELDS, (const char *)req->body);
        /* A 301 or 302 repeats the POST at the new address (307 and 308 always do). */
        SETOPT(h, CURLOPT_POSTREDIR, (long)(CURL_REDIR_POST_301 | CURL_REDIR_POST_302));
    }

    ward_log(WARD_LOG_DEBUG, "%s: %s %s", cfg->log_name, req->body != NULL ? "POST" : "GET", url);
    CURLcode rc = curl_easy_perform(h);
    ENSURE_MSG(!sink.over && rc != CURLE_FILESIZE_EXCEEDED, WARD_ERR_NOMEM,
               "%s: response is larger than %zu bytes", url, opts->max_body);
    ENSURE_MSG(rc == CURLE_OK, WARD_ERR_NET, "%s: %s", url,
               errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));

    long status = 0;
    curl_off_t retry_after = 0;
    ENSURE_MSG(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK, WARD_ERR_NET,
               "%s: no HTTP status", url);
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK) {
        retry_after = 0;
    }
    ward_log(WARD_LOG_DEBUG, "%s: HTTP %ld, %zu bytes", cfg->log_name, status, sink.w.len);
    DEFER(ward_buf_cleanupp) struct ward_buf header = {0};
    if (status == 200 && get_header(h, opts, &header) != WARD_OK) {
        return ward_err_prefix("%s", url);
    }
    *out_status = status;
    *out_retry_after_s = retry_after <= 0                       ? -1
                         : retry_after > HTTP_MAX_RETRY_AFTER_S ? HTTP_MAX_RETRY_AFTER_S
                                                                : (long)retry_after;
    ward_wr_finish(&sink.w, &out->body);
    out->header = header;
    header = (struct ward_buf){0};
    return WARD_OK;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* request sends |req| with retries (see ward_http_get for the contract). */
static int request(const struct http_req *req, const struct ward_http_opts *opts,
                   struct ward_http_response *out)
{
    const char *url = req->url;
    WARD_ASSERT(url != NULL && opts != NULL && out != NULL && opts->max_body > 0);
    WARD_ASSERT(opts->num_capture_headers == 0 ||
                (opts->capture_headers != NULL && opts->max_header > 0));
    ENSURE_MSG(is_http_url(url), WARD_ERR_USAGE, "%s: not an http:// or https:// URL", url);
    struct http_cfg cfg = {
        .opts = opts,
        .max_retries = opts->max_retries == WARD_HTTP_NO_RETRIES ? 0
                       : opts->max_retries != 0                  ? opts->max_retries
                                                                 : HTTP_DEFAULT_RETRIES,
        .backoff_ms = opts->backoff_ms != 0 ? opts->backoff_ms : HTTP_DEFAULT_BACKOFF_MS,
        .timeout_s = opts->timeout_s > 0 ? opts->timeout_s : HTTP_DEFAULT_TIMEOUT_S,
        .log_name = opts->log_name != NULL ? opts->log_name : "http",
    };

    unsigned backoff = cfg.backoff_ms;
    for (unsigned attempt = 0;; attempt++) {
        long status = 0;
        long retry_after_s = -1;
        DEFER(response_cleanupp) struct ward_http_response r = {{0}};
        GUARD(request_once(&cfg, req, &status, &retry_after_s, &r));
        if (status == 200) {
            *out = r;
            r = (struct ward_http_response){{0}};
            return WARD_OK;
        }
        if (status == 429 || status == 503) {
            ENSURE_MSG(attempt < cfg.max_retries, WARD_ERR_RATE_LIMIT,
                       "%s: rate limited (HTTP %ld); gave up after %u retries", url, status,
                       attempt);
            unsigned wait_ms = retry_after_s > 0 ? (unsigned)retry_after_s * 1000u : backoff;
            if (wait_ms > WARD_HTTP_MAX_WAIT_MS) {
                wait_ms = WARD_HTTP_MAX_WAIT_MS;
            }
            ward_log(WARD_LOG_DEBUG, "%s: HTTP %ld, retry %u of %u in %u ms", cfg.log_name, status,
                     attempt + 1, cfg.max_retries, wait_ms);
            sleep_ms(wait_ms);
            backoff = backoff > WARD_HTTP_MAX_WAIT_MS / 2 ? WARD_HTTP_MAX_WAIT_MS : backoff * 2;
            continue;
        }
        ENSURE_MSG(status != 404 && status != 410, WARD_ERR_NOT_FOUND,
                   "%s: HTTP %ld (the service has no such object)", url, status);
        return ward_err_set(WARD_ERR_NET, "%s: HTTP %ld", url, status);
    }
}

int ward_http_get(const char *url, const struct ward_http_opts *opts,
                  struct ward_http_response *out)
{
    const struct http_req req = {.url = url};
    return request(&req, opts, out);
}

int ward_http_post(const char *url, const char *content_type, const uint8_t *body, size_t len,
                   const struct ward_http_opts *opts, struct ward_http_response *out)
{
    WARD_ASSERT(content_type != NULL && content_type[0] != '\0' && strlen(content_type) < 100);
    WARD_ASSERT(strpbrk(content_type, "\r\n") == NULL);
    WARD_ASSERT(body != NULL || len == 0);
    static const uint8_t empty[1] = {0};
    const struct http_req req = {.url = url,
                                 .content_type = content_type,
                                 .body = body != NULL ? body : empty,
                                 .body_len = len};
    return request(&req, opts, out);
}
