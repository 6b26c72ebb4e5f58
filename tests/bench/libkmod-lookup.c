/* Times kmod_module_new_from_lookup() over a corpus of aliases (one per line), the libkmod side
 * of alias-lookup.sh. Usage: libkmod-lookup MODULES_DIR CORPUS [ROUNDS]. No modprobe.d config is
 * read (empty config list), indexes are mmapped up front (kmod_load_resources), as udev does. */
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *no_config[] = { NULL };
	char **lines = NULL, buf[4096];
	size_t n = 0, cap = 0, found = 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODULES_DIR CORPUS [ROUNDS]\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			lines = realloc(lines, cap * sizeof(*lines));
		}
		lines[n++] = strdup(buf);
	}
	fclose(f);

	struct kmod_ctx *ctx = kmod_new(argv[1], no_config);
	if (!ctx || kmod_load_resources(ctx) < 0) {
		fprintf(stderr, "cannot open module index in %s\n", argv[1]);
		return 1;
	}
	double best = 0;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		found = 0;
		for (size_t i = 0; i < n; i++) {
			struct kmod_list *list = NULL;
			if (kmod_module_new_from_lookup(ctx, lines[i], &list) >= 0 && list)
				found++;
			kmod_module_unref_list(list);
		}
		double per = (now_ns() - t0) / n;
		if (r == 0 || per < best)
			best = per;
	}
	printf("libkmod: %zu lookups, %zu found, best of %d rounds: %.1f ns/lookup\n", n, found, rounds, best);
	kmod_unref(ctx);
	return 0;
}
