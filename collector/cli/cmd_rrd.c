/* flowtally rrd: the round-robin time series flowtallyd writes (rrd.h): rebuild them
 * from the ledger, or list the files and what they are. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/log.h"
#include "flowtally/rrd.h"

#define SYNOPSIS \
"Usage: flowtally rrd rebuild [-c FILE | -d DIR] [--from T] [--to T] [--force]\n" \
"       flowtally rrd name NAME...\n" \
"       flowtally rrd --help\n"

static const char short_usage[] = SYNOPSIS "Try 'flowtally rrd --help' for more.\n";

static const char usage_text[] = SYNOPSIS
"\n"
"flowtallyd writes round-robin time series (librrd) under DATA_DIR/rrd/ (or rrd_dir):\n"
"tenants/TENANT.rrd and tenants/TENANT/CLASS.rrd (in_ and out_ bytes, packets,\n"
"flows), unattributed.rrd, total.rrd, exporters/EXPORTER.rrd and collector.rrd; the\n"
"README describes every data source and archive.  The ledger is the authoritative\n"
"record: the tenant, class, unattributed and total series can always be made again\n"
"from it.\n"
"\n"
"rebuild  makes the tenant, class, unattributed and total files again from the\n"
"         ledger's steps in the range: each is created anew at the range's first step\n"
"         and given every step, so running it twice gives the same files, and the\n"
"         series equal the ledger step for step.  A file updated after the range's\n"
"         last step holds newer data, and one not of this layout (another step, other\n"
"         data sources) may hold data of its own: both are left alone (said, exit\n"
"         status 1) unless --force.  Through rrdcached when the configuration names\n"
"         one.  Stop flowtallyd first, or rebuild only a range it has finished with:\n"
"         files it writes while they are rebuilt would be replaced.\n"
"name     prints the file name (without .rrd) each NAME gets, and back: a name with\n"
"         spaces, slashes, dots or non-ASCII characters still gets a file of its own.\n"
"\n"
"Options:\n"
"  -c, --config FILE   the configuration: data directory, step, rrd_dir, rrdcached\n"
"                      (default: the embedded defaults)\n"
"  -d, --data-dir DIR  the data directory (default: the configuration's)\n"
"      --from T        steps that start at or after T (UTC: 2026-11-01T00:00:00Z, or\n"
"                      a date); default the ledger's first\n"
"      --to T          steps that start before T; default up to the ledger's last\n"
"      --force         replace files that hold data after the range\n"
"  -q, --quiet         no progress line\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 done; 1 files left alone, errors, or rrdcached unreachable; 2 usage\n"
"or configuration error.\n"
"\n"
"Examples:\n"
"  flowtally rrd rebuild -c /etc/flowtally/flowtally.conf --from 2026-11-01 --to 2026-12-01\n"
"  flowtally rrd name 'Kent County Council'\n";

static int rebuild(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "data-dir", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'F' }, { "to", required_argument, NULL, 'U' },
		{ "force", no_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *dir = NULL;
	struct ft_rrd_rebuild_opts o = { .from_ms = INT64_MIN, .to_ms = INT64_MAX, .progress = isatty(2) };
	int c;
	while ((c = getopt_long(argc, argv, "c:d:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': dir = optarg; break;
		case 'f': o.force = true; break;
		case 'q': o.progress = false; break;
		case 'F':
		case 'U':
			if (ft_time_parse_utc(optarg, c == 'F' ? &o.from_ms : &o.to_ms) < 0) {
				fprintf(stderr, "flowtally rrd: '%s' is not a UTC time (2026-11-01T00:00:00Z) or a "
				        "date (2026-11-01)\n%s", optarg, short_usage);
				return FT_EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return FT_EXIT_OK;
		default: fputs(short_usage, stderr); return FT_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "flowtally rrd rebuild: unexpected '%s'\n%s", argv[optind], short_usage);
		return FT_EXIT_USAGE;
	}
	if (o.from_ms != INT64_MIN && o.to_ms != INT64_MAX && o.from_ms >= o.to_ms) {
		fprintf(stderr, "flowtally rrd rebuild: --from must be before --to\n");
		return FT_EXIT_USAGE;
	}
	struct ft_config *cfg = NULL;
	struct ft_diag d = { 0 };
	int r = config ? ft_config_load(config, &cfg, &d) : (cfg = ft_config_new_default()) ? 0 : -ENOMEM;
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.lines[i]);
	ft_diag_done(&d);
	if (r < 0) {
		ft_config_free(cfg);
		return FT_EXIT_USAGE;
	}
	char rrd_dir[4200];
	o.data_dir = dir ? dir : cfg->data_dir;
	snprintf(rrd_dir, sizeof(rrd_dir), "%s/rrd", o.data_dir);
	o.rrd_dir = cfg->rrd.dir && !dir ? cfg->rrd.dir : rrd_dir;
	o.daemon = cfg->rrd.daemon;
	o.daemon_base = cfg->rrd.daemon_base;
	o.step_ms = cfg->agg.step_ms;
	o.fine_days = cfg->rrd.fine_days;
	const char *problem = ft_rrd_step_problem(o.step_ms / 1000);
	if (problem) {
		fprintf(stderr, "flowtally rrd rebuild: step = %lld: %s\n", (long long)(o.step_ms / 1000), problem);
		ft_config_free(cfg);
		return FT_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);       /* rrdcached going away is an error, not a signal */
	struct ft_rrd_rebuild_result res;
	r = ft_rrd_rebuild(&o, &res);
	if (r < 0 && r != -EAGAIN)
		fprintf(stderr, "flowtally rrd rebuild: %s/ledger: %s\n", o.data_dir, strerror(-r));
	printf("rebuild: %" PRIu64 " ledger step%s, %" PRIu64 " file%s made, %" PRIu64 " update%s, %" PRIu64
	       " file%s left alone (newer data; --force replaces them), %" PRIu64 " error%s; in %s\n", res.steps,
	       ft_cli_s(res.steps), res.files, ft_cli_s(res.files), res.updates, ft_cli_s(res.updates),
	       res.refused, ft_cli_s(res.refused), res.errors, ft_cli_s(res.errors), o.rrd_dir);
	ft_config_free(cfg);
	return r < 0 || res.refused || res.errors ? FT_EXIT_FAILURE : FT_EXIT_OK;
}

static int names(int argc, char **argv)
{
	char buf[1024], back[1024];
	if (argc < 2) {
		fputs(short_usage, stderr);
		return FT_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (ft_rrd_name_encode(argv[i], buf, sizeof(buf)) < 0 ||
		    ft_rrd_name_decode(buf, back, sizeof(back)) < 0 || strcmp(back, argv[i]) != 0) {
			fprintf(stderr, "flowtally rrd name: '%s' has no file name (empty or too long)\n", argv[i]);
			return FT_EXIT_USAGE;
		}
		printf("%s\t%s.rrd\n", argv[i], buf);
	}
	return FT_EXIT_OK;
}

int ft_cmd_rrd(int argc, char **argv)
{
	ft_log_open("flowtally", false);
	if (argc >= 2 && strcmp(argv[1], "rebuild") == 0)
		return rebuild(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "name") == 0)
		return names(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return FT_EXIT_OK;
	}
	fputs(short_usage, stderr);
	return FT_EXIT_USAGE;
}
