/*
 * maxrss: run a command and print, on stderr, its wall time in seconds,
 * its peak resident set size in KiB and its CPU seconds (user + system):
 * "wall=0.123 maxrss=4567 cpu=0.120".  Used by
 * bench/run, so the benchmarks need no GNU time.  maxrss -n N command
 * runs it N times, one after another, and prints the mean wall and CPU
 * seconds of a run and the largest peak (bench/startup.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Run argv once; add its wall and CPU seconds, keep its peak RSS. */
static int
run(char **argv, double *wall, double *cpu, long *rss)
{
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0) {
		perror("maxrss: fork");
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("maxrss: wait4");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*wall += (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* cpu: user + system seconds of the command (all its threads). */
	*cpu += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (ru.ru_maxrss > *rss)
		*rss = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int
main(int argc, char **argv)
{
	double wall = 0, cpu = 0;
	long rss = 0, n = 1, i;
	int rc = 0, a = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		n = strtol(argv[2], NULL, 10);
		a = 3;
	}
	if (argc <= a || n < 1 || n > 1000000) {
		fprintf(stderr, "usage: maxrss [-n N] command [arg ...]\n");
		return 2;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = run(argv + a, &wall, &cpu, &rss);
	if (rc < 0)
		return 1;
	fprintf(stderr, "wall=%.6f maxrss=%ld cpu=%.6f\n", wall / (double)i,
	    rss, cpu / (double)i);
	return rc;
}
