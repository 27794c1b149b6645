/* The ledger as a sink (sink.h): DATA_DIR/ledger, opened and locked once, one block
 * appended and fsynced per step.  The first and authoritative sink of the table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flowtally/ledger.h"
#include "flowtally/log.h"

static int open_ledger(const struct ft_sink_env *env, void **ret_state)
{
	char dir[4200];
	struct ft_ledger *l;
	if (snprintf(dir, sizeof(dir), "%s/ledger", env->data_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	int r = ft_ledger_open(dir, &l);
	/* in use: the daemon names the holder; damaged: logged with its file:line */
	if (r < 0 && r != -EBUSY && r != -EBADMSG)
		ft_log_err(FT_LOG_MAIN, "cannot open the ledger in %s: %s", dir, strerror(-r));
	if (r < 0)
		return r;
	*ret_state = l;
	return 0;
}

static int write_step(void *state, const struct ft_step *s)
{
	return ft_ledger_append(state, s);
}

static int last_step(void *state, int64_t *ret_start_ms)
{
	int64_t len;
	return ft_ledger_last_step(state, ret_start_ms, &len);
}

static void close_ledger(void *state)
{
	ft_ledger_close(state);
}

const struct ft_sink_ops ft_ledger_sink = {
	.name = "ledger",
	.open = open_ledger,
	.write_step = write_step,
	.last_step = last_step,
	.close = close_ledger,
};
