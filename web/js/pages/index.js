// index.js: the dashboard's pages, in menu order: the id in the URL (#/<id>), the title, and
// the module that renders it (render(main, ctx), see main.js).

import * as overview from './overview.js';
import * as playtime from './playtime.js';
import * as retention from './retention.js';
import * as monetisation from './monetisation.js';
import * as progression from './progression.js';
import * as resources from './resources.js';
import * as design from './design.js';
import * as errors from './errors.js';
import * as ads from './ads.js';
import * as sessions from './sessions.js';

export const PAGES = [
  { id: 'overview', title: 'Overview', render: overview.render },
  { id: 'playtime', title: 'Playtime', render: playtime.render },
  { id: 'retention', title: 'Retention', render: retention.render },
  { id: 'monetisation', title: 'Monetisation', render: monetisation.render },
  { id: 'progression', title: 'Progression', render: progression.render },
  { id: 'resources', title: 'Resources', render: resources.render },
  { id: 'design', title: 'Design', render: design.render },
  { id: 'errors', title: 'Errors', render: errors.render },
  { id: 'ads', title: 'Ads', render: ads.render },
  { id: 'sessions', title: 'Multiplayer sessions', render: sessions.render },
];
