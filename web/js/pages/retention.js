// retention.js: calendar-day cohorts (users new on a day of the range) and the share of each
// cohort active 1..30 days after its first day, as a shaded table (darker = more come back);
// the first row is every cohort together. Days still to come (for the oldest cohort, in the
// first row) are left blank.

import { Panel, grid } from '../ui/panel.js';
import { table } from '../ui/table.js';
import { share } from '../format.js';
import { loadOne } from '../load.js';

const DAYS = 30;

export function render(main, ctx) {
  const panel = new Panel({ title: 'Retention by install cohort (share of the cohort active N days later)', wide: true, testid: 'panel-retention' });
  loadOne(ctx, panel, 'retention', {}, (data) => {
    const today = Math.floor(Date.now() / 86400000);
    const row = (key, size, points, cohortDay) => {
      const r = { cohort: key, size };
      for (const p of points) if (p.t >= 1 && p.t <= DAYS) r[`d${p.t}`] = cohortDay !== null && cohortDay + p.t > today ? null : p.v;
      return r;
    };
    const day = (key) => Math.floor(Date.parse(`${key}T00:00:00Z`) / 86400000);
    const groups = data.groups || [];
    // every cohort together reaches day N once its oldest cohort has
    const oldest = groups.length ? Math.min(...groups.map((g) => day(g.key))) : null;
    const rows = [row('All cohorts', data.total, data.points, oldest),
      ...groups.map((g) => row(g.key, g.total, g.points, day(g.key)))];
    const columns = [{ key: 'cohort', label: 'Cohort', kind: 'text' }, { key: 'size', label: 'Users', kind: 'count' }];
    for (let d = 1; d <= DAYS; d++) columns.push({ key: `d${d}`, label: `D${d}`, kind: 'share', shade: (v) => v, format: (v) => (v === null || v === undefined ? '' : share(v)) });
    panel.ready(table({ columns, rows, csv: 'retention', testid: 'table-retention', caption: 'Cohorts by first day (UTC); D1 = the day after.' }));
  });
  main.append(grid(panel));
}
