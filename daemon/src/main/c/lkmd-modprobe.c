/*
 * lkmd-modprobe: the kernel's module helper (/proc/sys/kernel/modprobe) for systems run by lkmd.
 *
 * The kernel runs its helper as "modprobe -q -- NAME" and waits for it to exit. A JVM start per
 * request is far slower than kmod's modprobe, so this small program forwards that form of call to
 * the running lkmd daemon over its control socket and exits with the daemon's answer. It is also
 * the front of a person's "lkmd modprobe [-q] [--] NAME" and "lkmd modprobe -r [-q] [--] NAME"
 * (the launcher hands these forms here when the daemon's socket exists), forwarded the same way.
 * Any other command line runs the full Java tool ("lkmd modprobe ARGS"), which resolves and loads
 * in-process: the helper never decides anything itself. So does a call with $MODPROBE_OPTIONS set
 * (or, a person's, $LKMD_HOOK_TIMEOUT), which the daemon would not see.
 *
 * It must never strand the kernel, which waits for it: when no daemon answers the kernel's call
 * (early boot before lkmd.service, an initramfs, the daemon stopped or crashed) or a daemon that
 * took the connection gives no answer within the bound (10 s; $LKMD_HELPER_TIMEOUT_MS overrides),
 * the call goes to kmod's modprobe when it is installed, else to the Java tool. A person's call the
 * daemon does not do for real (no daemon; a refusal: a non-root caller, a configuration change not
 * read yet, an install or remove command to run, a daemon that only simulates loads) goes to the
 * Java tool.
 *
 * Run as lkmd-lsmod (a link to this program, which the launcher runs for a plain "lkmd lsmod" when
 * the daemon's socket exists), it prints the daemon's lsmod table, which the Java tool's code
 * writes in the daemon; with arguments, or when the daemon does not answer or refuses (a non-root
 * caller, a daemon that only simulates), the Java tool ("lkmd lsmod ARGS") does it.
 *
 * Protocol: one request line {"v":1,"cmd":"load","name":NAME,"quiet":BOOL,"origin":"kernel"|"cli"}
 * ("kernel" for exactly the kernel's "-q -- NAME", "cli" for a person's shorter form, so the
 * daemon's event log tells them apart), for a removal {"v":1,"cmd":"remove","name":NAME}, and one
 * response line {"v":1,"ok":true,"rc":N,"messages":[...]}; for lsmod {"v":1,"cmd":"lsmod"} and
 * {"v":1,"ok":true,"out":TEXT}; on /run/lkmd/control ($LKMD_CONTROL_SOCKET overrides).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_NAME 4096
#define MAX_RESPONSE (1 << 20)
#define DEFAULT_TIMEOUT_MS 10000

/* Runs "<dir of this program>/../lkmd VERB ARGS..." (the Java tool); never returns on success. */
static int fallback(const char *verb, int argc, char **argv)
{
	char self[PATH_MAX], launcher[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("LKMD_LAUNCHER");
	char **args = calloc((size_t)argc + 2, sizeof(char *));

	if (args == NULL)
		return 1;
	if (env != NULL && env[0] != '\0') {
		snprintf(launcher, sizeof(launcher), "%s", env);
	} else {
		if (n <= 0)
			return 1;
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash == NULL)
			return 1;
		*slash = '\0';
		snprintf(launcher, sizeof(launcher), "%s/../lkmd", self);
	}
	args[0] = launcher;
	args[1] = (char *)verb;
	setenv("LKMD_FORWARDED", "1", 1); /* the launcher then runs the Java tool, not this program again */
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	execv(launcher, args);
	fprintf(stderr, "%s: FATAL: cannot run %s: %s\n", verb, launcher, strerror(errno));
	return 1;
}

/* The directory this program is in, resolved (empty when unknown). */
static void own_dir(char *dir, size_t size)
{
	char self[PATH_MAX];
	dir[0] = '\0';
	if (realpath("/proc/self/exe", self) == NULL)
		return;
	char *slash = strrchr(self, '/');
	if (slash != NULL) {
		*slash = '\0';
		snprintf(dir, size, "%s", self);
	}
}

/*
 * The kernel's call with no daemon to answer it: kmod's modprobe when it is installed (and is not
 * one of lkmd's own kmod-named programs), else the Java tool. $LKMD_KMOD_MODPROBE names kmod's
 * modprobe instead of /usr/sbin/modprobe and /sbin/modprobe; set empty, it means none.
 */
static int fallback_kernel(int argc, char **argv)
{
	const char *env = getenv("LKMD_KMOD_MODPROBE");
	const char *candidates[] = { "/usr/sbin/modprobe", "/sbin/modprobe", NULL };
	const char *one[] = { env, NULL };
	const char **paths = env != NULL ? one : candidates;
	char mine[PATH_MAX], real[PATH_MAX];

	own_dir(mine, sizeof(mine));
	for (int i = 0; paths[i] != NULL; i++) {
		if (paths[i][0] == '\0' || access(paths[i], X_OK) != 0 || realpath(paths[i], real) == NULL)
			continue;
		char *slash = strrchr(real, '/');
		if (slash == NULL)
			continue;
		*slash = '\0';
		/* this helper or lkmd's kmod-named tools beside it: not kmod, and no loop */
		if (mine[0] != '\0' && strcmp(real, mine) == 0)
			continue;
		char **args = calloc((size_t)argc + 1, sizeof(char *));
		if (args == NULL)
			break;
		args[0] = (char *)paths[i]; /* kmod picks its tool by the name it is run as */
		for (int a = 1; a < argc; a++)
			args[a] = argv[a];
		execv(paths[i], args);
		free(args); /* not runnable after all: the Java tool */
	}
	return fallback("modprobe", argc, argv);
}

/* A person's modprobe call the daemon does not do: the Java tool. */
static int fallback_person(int argc, char **argv)
{
	return fallback("modprobe", argc, argv);
}

/* The bound on the daemon's answer, in milliseconds. */
static long timeout_ms(void)
{
	const char *env = getenv("LKMD_HELPER_TIMEOUT_MS");
	if (env != NULL && env[0] != '\0') {
		char *end;
		long v = strtol(env, &end, 10);
		if (*end == '\0' && v > 0 && v <= 3600000)
			return v;
	}
	return DEFAULT_TIMEOUT_MS;
}

/* Short options of the forwarded forms, alone or together ("-q", "-r", "-rq"): sets the flags. */
static int short_flags(const char *a, int *quiet, int *removal)
{
	if (a[0] != '-' || a[1] == '\0' || a[1] == '-')
		return 0;
	for (const char *c = a + 1; *c; c++)
		if (*c != 'q' && *c != 'r')
			return 0;
	for (const char *c = a + 1; *c; c++)
		*(*c == 'q' ? quiet : removal) = 1;
	return 1;
}

/*
 * The forwarded shape: [-q|--quiet|-r|--remove]... [--] NAME (the kernel's, a person's load or
 * removal). Returns the name, or NULL for anything else.
 */
static const char *forwarded_form(int argc, char **argv, int *quiet, int *removal)
{
	const char *name = NULL;
	int dashdash = 0;

	*quiet = 0;
	*removal = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && strcmp(a, "--quiet") == 0)
			*quiet = 1;
		else if (!dashdash && strcmp(a, "--remove") == 0)
			*removal = 1;
		else if (!dashdash && strcmp(a, "--") == 0)
			dashdash = 1;
		else if (!dashdash && a[0] == '-' && !short_flags(a, quiet, removal))
			return NULL;
		else if (!dashdash && a[0] == '-')
			continue;
		else if (name == NULL)
			name = a;
		else
			return NULL; /* options after the name, or more names: the full tool handles them */
	}
	if (name == NULL || name[0] == '\0' || strlen(name) > MAX_NAME)
		return NULL;
	return name;
}

/* Appends s to buf as a JSON string body. Returns 0, or -1 if it does not fit. */
static int json_string(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s; s++) {
		char esc[8];
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		size_t l = strlen(esc);
		if (*len + l + 1 > size)
			return -1;
		memcpy(buf + *len, esc, l);
		*len += l;
	}
	buf[*len] = '\0';
	return 0;
}

/* Writes the code point of a JSON \uXXXX escape as UTF-8 (a lone surrogate as U+FFFD). */
static void put_utf8(unsigned int c, FILE *out)
{
	if (c >= 0xD800 && c <= 0xDFFF)
		c = 0xFFFD;
	if (c < 0x80) {
		fputc((int)c, out);
	} else if (c < 0x800) {
		fputc((int)(0xC0 | (c >> 6)), out);
		fputc((int)(0x80 | (c & 0x3F)), out);
	} else {
		fputc((int)(0xE0 | (c >> 12)), out);
		fputc((int)(0x80 | ((c >> 6) & 0x3F)), out);
		fputc((int)(0x80 | (c & 0x3F)), out);
	}
}

/* Writes the JSON string body at p (after its opening quote) to out, escapes decoded; returns the
 * position of its closing quote (or of the end of the text). */
static const char *put_json_string(const char *p, FILE *out)
{
	while (*p && *p != '"') {
		if (*p == '\\' && p[1] == 'u' && strspn(p + 2, "0123456789abcdefABCDEF") >= 4) {
			char hex[5] = { p[2], p[3], p[4], p[5], '\0' };
			put_utf8((unsigned int)strtoul(hex, NULL, 16), out);
			p += 5;
		} else if (*p == '\\' && p[1]) {
			p++;
			fputc(*p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p == 'b' ? '\b'
			      : *p == 'f' ? '\f' : *p, out);
		} else {
			fputc(*p, out);
		}
		p++;
	}
	return p;
}

/* Prints the "messages" array's strings to stderr, one per line. */
static void print_messages(const char *resp)
{
	const char *p = strstr(resp, "\"messages\":[");
	if (p == NULL)
		return;
	p += strlen("\"messages\":[");
	while (*p && *p != ']') {
		if (*p++ != '"')
			continue;
		p = put_json_string(p, stderr);
		fputc('\n', stderr);
		if (*p)
			p++;
	}
}

/*
 * Sends the request line req to the daemon's socket and returns its one-line answer (malloc'd), or
 * NULL when no daemon took it or none answered within the bound.
 */
static char *ask(const char *req, size_t len)
{
	const char *path = getenv("LKMD_CONTROL_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (path == NULL || path[0] == '\0')
		path = "/run/lkmd/control";
	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		/* bounds connect (a full backlog), the request's write and the wait for the answer */
		long ms = timeout_ms();
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL; /* no daemon */
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, req + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		off += (size_t)w;
	}
	char *resp = malloc(MAX_RESPONSE + 1);
	size_t got = 0;
	if (resp == NULL) {
		close(fd);
		return NULL;
	}
	while (got < MAX_RESPONSE) {
		ssize_t r = read(fd, resp + got, MAX_RESPONSE - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(resp + got - (size_t)r, '\n', (size_t)r) != NULL)
			break;
	}
	close(fd);
	resp[got] = '\0';
	if (got == 0) {
		free(resp);
		return NULL;
	}
	return resp;
}

/* "lkmd lsmod": the daemon's table on stdout, else the Java tool. */
static int lsmod(int argc, char **argv)
{
	static const char req[] = "{\"v\":1,\"cmd\":\"lsmod\"}\n";
	if (argc > 1)
		return fallback("lsmod", argc, argv);
	char *resp = ask(req, sizeof(req) - 1);
	const char *out = resp != NULL && strstr(resp, "\"ok\":true") != NULL ? strstr(resp, "\"out\":\"") : NULL;
	if (out == NULL) {
		/* no daemon, no answer, or a refusal: the Java tool reads the kernel itself */
		free(resp);
		return fallback("lsmod", argc, argv);
	}
	put_json_string(out + strlen("\"out\":\""), stdout);
	free(resp);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');
	me = me != NULL ? me + 1 : argv[0];
	if (strcmp(me, "lkmd-lsmod") == 0)
		return lsmod(argc, argv);

	int quiet, removal;
	const char *name = forwarded_form(argc, argv, &quiet, &removal);
	char req[2 * MAX_NAME + 128];
	size_t len = 0;

	if (name == NULL)
		return fallback_person(argc, argv);
	/* the kernel runs exactly "PROG -q -- NAME"; any other form of this shape is a person's */
	int from_kernel = argc == 4 && strcmp(argv[1], "-q") == 0 && strcmp(argv[2], "--") == 0;
	/* where a call goes that the daemon does not answer: kmod's modprobe for the kernel's */
	int (*elsewhere)(int, char **) = from_kernel ? fallback_kernel : fallback_person;
	/* settings of the caller's environment the daemon would not see: the Java tool honours them */
	const char *opts = getenv("MODPROBE_OPTIONS"), *hook = getenv("LKMD_HOOK_TIMEOUT");
	if ((opts != NULL && opts[0] != '\0') || (!from_kernel && hook != NULL && hook[0] != '\0'))
		return fallback_person(argc, argv);
	len = (size_t)snprintf(req, sizeof(req), "{\"v\":1,\"cmd\":\"%s\",\"name\":\"",
			       removal ? "remove" : "load");
	if (json_string(req, sizeof(req), &len, name) < 0)
		return elsewhere(argc, argv);
	if (removal)
		len += (size_t)snprintf(req + len, sizeof(req) - len, "\"}\n");
	else
		len += (size_t)snprintf(req + len, sizeof(req) - len, "\",\"quiet\":%s,\"origin\":\"%s\"}\n",
					quiet ? "true" : "false", from_kernel ? "kernel" : "cli");
	char *resp = ask(req, len);
	if (resp == NULL || strstr(resp, "\"ok\":true") == NULL) {
		/* no daemon, no answer within the bound, or the daemon could not take the request (old
		 * version, shutting down, a refusal): kmod's modprobe or the Java tool does it */
		free(resp);
		return elsewhere(argc, argv);
	}
	const char *rc = strstr(resp, "\"rc\":");
	int code = rc != NULL ? atoi(rc + 5) : 1;
	if (!quiet)
		print_messages(resp);
	free(resp);
	return code;
}
