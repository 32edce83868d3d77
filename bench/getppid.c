// The floor for bench/run.ts: syscall(SYS_getppid) in a C loop, in ns per call. Usage: getppid N REPEATS
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  long sink = 0;
  for (long i = 0; i < n / 10; i++) sink += syscall(SYS_getppid); // warm up
  for (int r = 0; r < repeats; r++) {
    double a = now();
    for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
    printf("%.3f\n", (now() - a) / n);
  }
  return sink == 42 ? 1 : 0; // use the results so the loop is kept
}
