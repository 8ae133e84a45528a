/*
 * maxrss: run a command and print, on stderr, its wall time in seconds,
 * its peak resident set size in KiB and its CPU seconds (user + system):
 * "wall=0.123 maxrss=4567 cpu=0.120".  Used by
 * bench/run, so the benchmarks need no GNU time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: maxrss command [arg ...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0) {
		perror("maxrss: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("maxrss: wait4");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* cpu: user + system seconds of the command (all its threads). */
	fprintf(stderr, "wall=%.6f maxrss=%ld cpu=%.6f\n", (double)(t1.tv_sec -
	    t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss, (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
