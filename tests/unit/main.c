// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

static struct cw_test *head, **tail = &head;
int cw_test_failed;

void cw_test_register(struct cw_test *t)
{
	*tail = t;
	tail = &t->next;
}

void cw_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cw_test_failed = 1;
}

/* usage: unit-tests [NAME-SUBSTRING] */
int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (struct cw_test *t = head; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		cw_test_failed = 0;
		t->fn();
		if (cw_test_failed) {
			failed++;
			printf("FAIL unit/%s\n", t->name);
		} else {
			passed++;
			printf("ok   unit/%s\n", t->name);
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
