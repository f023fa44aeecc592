// errors.js: error events per severity per day, and the most frequent messages
// ("severity|first line of the message", the top 10).

import { renderGrouped } from './grouped.js';

export function render(main, ctx) {
  renderGrouped(main, ctx, {
    id: 'errors', title: 'Errors', testid: 'errors',
    by: [['severity', 'Severity'], ['message', 'Top messages']],
    keyLabel: (by) => (by === 'message' ? 'Severity | message' : 'Severity'),
  });
}
