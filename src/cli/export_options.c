/* export_options.c: the export options `playstat serve` and `playstat export` share (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "export/export.h"

int ps_cli_parse_export_every(const char *option, const char *text, int64_t *period_ms) {
  if (strcmp(text, "day") == 0) *period_ms = PS_EXPORT_DAY_MS;
  else if (strcmp(text, "hour") == 0) *period_ms = PS_EXPORT_HOUR_MS;
  else {
    fprintf(stderr, "playstat: %s wants hour or day, not '%s'\n", option, text);
    return 2;
  }
  return 0;
}

int ps_cli_parse_export_formats(const char *option, const char *text, unsigned *formats) {
  int f = ps_export_format_from_name(text);
  if (f >= 0) *formats = 1u << f;
  else if (strcmp(text, "both") == 0) *formats = (1u << PS_EXPORT_NFORMATS) - 1;
  else {
    fprintf(stderr, "playstat: %s wants parquet, ndjson.gz or both, not '%s'\n", option, text);
    return 2;
  }
  return 0;
}
