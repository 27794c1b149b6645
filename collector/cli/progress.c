/* Progress on a terminal (progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "progress.h"

#define FIRST_NS (500 * FT_NS_PER_MS)   /* work shorter than this shows nothing */
#define EVERY_NS (250 * FT_NS_PER_MS)   /* at most four lines a second */

void ft_progress_init(struct ft_progress *p)
{
	struct winsize ws;
	*p = (struct ft_progress){ .on = isatty(STDERR_FILENO) == 1, .width = 80 };
	if (p->on && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		p->width = ws.ws_col;
	p->next_ns = ft_clock_mono_ns() + FIRST_NS;
}

bool ft_progress_due(struct ft_progress *p)
{
	return p->on && ft_clock_mono_ns() >= p->next_ns;
}

void ft_progress_show(struct ft_progress *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!p->on)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* one column short of the width: a full line would wrap on some terminals */
	if (n >= p->width)
		n = p->width - 1;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	fprintf(stderr, "\r%.*s%*s", n, line, p->shown > n ? p->shown - n : 0, "");
	fflush(stderr);
	p->shown = n;
	p->next_ns = ft_clock_mono_ns() + EVERY_NS;
}

void ft_progress_done(struct ft_progress *p)
{
	if (p->on && p->shown) {
		fprintf(stderr, "\r%*s\r", p->shown, "");
		fflush(stderr);
	}
	p->shown = 0;
}
