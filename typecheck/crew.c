/*
** crew.c - helper threads that are already running (tc.h, "crew").
**
** Each member has one slot for the job handed to it.  Between jobs it
** polls the slot, giving its processor up to anything else that wants it
** (sched_yield), for CREW_SPIN_MS; then it sleeps on a condition variable
** until a job comes.  The slot and the sleeping flag are sequentially
** consistent atomics: whoever hands a job stores it and then reads the
** flag, the member stores the flag and then reads the slot, so at least
** one sees the other's store, and a job is never left with its member
** asleep.
*/
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "tc.h"

enum { CREW_MAX = 64, CREW_SPIN_MS = 50 };

typedef struct Member {
	pthread_t th;
	_Atomic(TcJob *) job;      /* handed to it, not yet taken           */
	atomic_int sleeping;
} Member;

static Member crew[CREW_MAX];
static atomic_uint ncrew;
static pthread_mutex_t crew_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t crew_cv = PTHREAD_COND_INITIALIZER;

static int64_t crew_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The next job of m: polled for a while, then waited for asleep. */
static TcJob *next_job(Member *m)
{
	int64_t since = crew_now_ms();
	TcJob *j;
	while (!(j = atomic_exchange(&m->job, NULL))) {
		if (crew_now_ms() - since < CREW_SPIN_MS) {
			sched_yield();
			continue;
		}
		pthread_mutex_lock(&crew_mu);
		atomic_store(&m->sleeping, 1);
		while (!atomic_load(&m->job)) pthread_cond_wait(&crew_cv, &crew_mu);
		atomic_store(&m->sleeping, 0);
		pthread_mutex_unlock(&crew_mu);
	}
	return j;
}

static void *member(void *arg)
{
	Member *m = arg;
	for (;;) {
		TcJob *j = next_job(m);
		j->fn(j->arg);
		atomic_store_explicit(&j->done, 1, memory_order_release);
	}
	return NULL;
}

unsigned tc_crew_start(unsigned n)
{
	pthread_mutex_lock(&crew_mu);
	unsigned k = atomic_load(&ncrew);
	for (unsigned i = 0; i < n && k < CREW_MAX; i++) {
		pthread_attr_t a;
		if (pthread_attr_init(&a) != 0) break;
		int ok = pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0 &&
		         pthread_create(&crew[k].th, &a, member, &crew[k]) == 0;
		pthread_attr_destroy(&a);
		if (!ok) break;
		atomic_store(&ncrew, ++k);   /* (published once its thread runs: member reads only its own) */
	}
	pthread_mutex_unlock(&crew_mu);
	return k;
}

int tc_crew_run(TcJob *j)
{
	unsigned k = atomic_load(&ncrew);
	atomic_store_explicit(&j->done, 0, memory_order_relaxed);
	for (unsigned i = 0; i < k; i++) {
		TcJob *none = NULL;
		if (!atomic_compare_exchange_strong(&crew[i].job, &none, j)) continue;
		if (atomic_load(&crew[i].sleeping)) {
			pthread_mutex_lock(&crew_mu);
			pthread_cond_broadcast(&crew_cv);
			pthread_mutex_unlock(&crew_mu);
		}
		return 1;
	}
	return 0;
}

int tc_crew_wait(TcJob *j)
{
	unsigned k = atomic_load(&ncrew);
	for (unsigned i = 0; i < k; i++) {
		TcJob *mine = j;
		if (atomic_compare_exchange_strong(&crew[i].job, &mine, NULL)) return 0;   /* not taken: taken back */
	}
	while (!atomic_load_explicit(&j->done, memory_order_acquire)) sched_yield();
	return 1;
}
