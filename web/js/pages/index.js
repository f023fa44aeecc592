// index.js: the dashboard's pages, in menu order: the id in the URL (#/<id>), the title, the
// module that renders it (render(main, ctx), see main.js), and the families of the metrics it
// shows whose dimensions its group-by offers (catalog.js GROUP_BY; none: no group-by).

import * as overview from './overview.js';
import * as playtime from './playtime.js';
import * as retention from './retention.js';
import * as monetisation from './monetisation.js';
import * as progression from './progression.js';
import * as resources from './resources.js';
import * as design from './design.js';
import * as errors from './errors.js';
import * as ads from './ads.js';
import * as matchmaking from './matchmaking.js';
import * as sessions from './sessions.js';
import * as liveEvents from './live_events.js';

export const PAGES = [
  { id: 'overview', title: 'Overview', render: overview.render, families: ['events'] },
  { id: 'playtime', title: 'Playtime', render: playtime.render, families: ['sessions'] },
  { id: 'retention', title: 'Retention', render: retention.render },
  { id: 'monetisation', title: 'Monetisation', render: monetisation.render, families: ['events'] },
  { id: 'progression', title: 'Progression', render: progression.render },
  { id: 'resources', title: 'Resources', render: resources.render },
  { id: 'design', title: 'Design', render: design.render },
  { id: 'errors', title: 'Errors', render: errors.render, families: ['events'] },
  { id: 'ads', title: 'Ads', render: ads.render },
  { id: 'matchmaking', title: 'Matchmaking', render: matchmaking.render, families: ['matchmaking'] },
  { id: 'sessions', title: 'Multiplayer sessions', render: sessions.render },
  { id: 'events', title: 'Live events', render: liveEvents.render },
];
