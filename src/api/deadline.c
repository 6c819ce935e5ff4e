/*
 * Request deadlines: a connection must deliver each request (headers and body) within
 * the request timeout. libmicrohttpd's own timeout is an idle timeout — every byte
 * restarts it — so a client trickling a byte a second would hold a connection, and
 * its memory, forever. Here every connection has a deadline while it is receiving; a
 * reaper thread cuts the ones past it with shutdown(2), which the daemon then sees as
 * the client going away and cleans up on its own thread.
 *
 * A connection has no deadline while its request is handled, waits for the committer,
 * or streams a reply (GET /v1/events): those are the server's time, not the client's.
 * The next request's deadline starts when the previous one completed.
 *
 * shutdown(2) is safe from another thread as long as the descriptor is open: the
 * daemon reports a connection closed (api_conn_close, which takes the lock the reaper
 * holds) before it closes the descriptor.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

#define REAP_INTERVAL_NS 100000000u /* 100 ms: the deadline's granularity */

struct api_conn {
    struct api_conn *prev;
    struct api_conn *next;
    int fd;
    bool cut;
    /* CLOCK_MONOTONIC ns by which the request in progress must be in; 0: none. */
    _Atomic uint64_t deadline_ns;
};

struct api_deadlines {
    pthread_mutex_t lock; /* the list, `cut`, `stop` */
    pthread_cond_t wake;
    struct api_conn head; /* a circular list's sentinel */
    uint64_t timeout_ns;
    atomic_uint_fast64_t cut_total;
    bool stop;
    pthread_t thread;
};

static uint64_t later_ns(uint64_t now_ns, uint64_t timeout_ns)
{
    return now_ns + timeout_ns; /* 2^64 ns is 584 years of uptime */
}

/* Cuts the connections past their deadline. The lock is held. */
static void reap(struct api_deadlines *deadlines, uint64_t now_ns)
{
    for (struct api_conn *conn = deadlines->head.next; conn != &deadlines->head;
         conn = conn->next) {
        uint64_t deadline_ns = atomic_load_explicit(&conn->deadline_ns, memory_order_relaxed);
        if (conn->cut || deadline_ns == 0 || now_ns < deadline_ns) {
            continue;
        }
        conn->cut = true;
        (void)shutdown(conn->fd, SHUT_RDWR);
        atomic_fetch_add_explicit(&deadlines->cut_total, 1, memory_order_relaxed);
        TPW_LOGF(TPW_LOG_INFO, "http.request_timeout",
                 TPW_LOG_U64("timeout_ms", deadlines->timeout_ns / 1000000u));
    }
}

static void *reaper_main(void *arg)
{
    struct api_deadlines *deadlines = arg;
    pthread_mutex_lock(&deadlines->lock);
    while (!deadlines->stop) {
        reap(deadlines, tpw_clock_monotonic_ns());
        struct timespec until;
        (void)clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += REAP_INTERVAL_NS;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        (void)pthread_cond_timedwait(&deadlines->wake, &deadlines->lock, &until);
    }
    pthread_mutex_unlock(&deadlines->lock);
    return NULL;
}

enum tpw_err api_deadlines_start(unsigned timeout_s, struct api_deadlines **out)
{
    *out = NULL;
    struct api_deadlines *deadlines = calloc(1, sizeof *deadlines);
    if (deadlines == NULL) {
        return TPW_ERR_NOMEM;
    }
    deadlines->head.next = deadlines->head.prev = &deadlines->head;
    deadlines->timeout_ns = (uint64_t)timeout_s * 1000000000u;
    pthread_condattr_t attr;
    TPW_ASSERT(pthread_condattr_init(&attr) == 0);
    TPW_ASSERT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0);
    TPW_ASSERT(pthread_mutex_init(&deadlines->lock, NULL) == 0);
    TPW_ASSERT(pthread_cond_init(&deadlines->wake, &attr) == 0);
    (void)pthread_condattr_destroy(&attr);
    if (pthread_create(&deadlines->thread, NULL, reaper_main, deadlines) != 0) {
        pthread_cond_destroy(&deadlines->wake);
        pthread_mutex_destroy(&deadlines->lock);
        free(deadlines);
        return TPW_ERR_NOMEM;
    }
    (void)pthread_setname_np(deadlines->thread, "tpw-deadline"); /* for top, perf, gdb */
    *out = deadlines;
    return TPW_OK;
}

void api_deadlines_stop(struct api_deadlines *deadlines)
{
    if (deadlines == NULL) {
        return;
    }
    pthread_mutex_lock(&deadlines->lock);
    deadlines->stop = true;
    pthread_cond_signal(&deadlines->wake);
    pthread_mutex_unlock(&deadlines->lock);
    (void)pthread_join(deadlines->thread, NULL);
    TPW_ASSERT(deadlines->head.next == &deadlines->head); /* the daemon closed them all */
    pthread_cond_destroy(&deadlines->wake);
    pthread_mutex_destroy(&deadlines->lock);
    free(deadlines);
}

struct api_conn *api_conn_open(struct api_deadlines *deadlines, int fd)
{
    struct api_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) {
        return NULL; /* untracked: only the idle timeout applies to it */
    }
    conn->fd = fd;
    atomic_init(&conn->deadline_ns, later_ns(tpw_clock_monotonic_ns(), deadlines->timeout_ns));
    pthread_mutex_lock(&deadlines->lock);
    conn->next = &deadlines->head;
    conn->prev = deadlines->head.prev;
    conn->prev->next = conn;
    deadlines->head.prev = conn;
    pthread_mutex_unlock(&deadlines->lock);
    return conn;
}

void api_conn_close(struct api_deadlines *deadlines, struct api_conn *conn)
{
    if (conn == NULL) {
        return;
    }
    pthread_mutex_lock(&deadlines->lock);
    conn->prev->next = conn->next;
    conn->next->prev = conn->prev;
    pthread_mutex_unlock(&deadlines->lock);
    free(conn);
}

void api_conn_busy(struct api_conn *conn)
{
    if (conn != NULL) {
        atomic_store_explicit(&conn->deadline_ns, 0, memory_order_relaxed);
    }
}

void api_conn_receiving(struct api_deadlines *deadlines, struct api_conn *conn)
{
    if (conn != NULL) {
        atomic_store_explicit(&conn->deadline_ns,
                              later_ns(tpw_clock_monotonic_ns(), deadlines->timeout_ns),
                              memory_order_relaxed);
    }
}

uint64_t api_deadlines_cut_total(const struct api_deadlines *deadlines)
{
    return atomic_load_explicit(&deadlines->cut_total, memory_order_relaxed);
}
