// ads.js: ads events per action, network, type or placement.

import { renderGrouped } from './grouped.js';

export function render(main, ctx) {
  renderGrouped(main, ctx, {
    id: 'ads', title: 'Ads', testid: 'ads',
    by: [['action', 'Action'], ['network', 'Network'], ['type', 'Type'], ['placement', 'Placement']],
    keyLabel: (by) => ({ action: 'Action', network: 'Network (SDK)', type: 'Ad type', placement: 'Placement' }[by]),
  });
}
