// Every page is declared here, once: the sidebar and the router both read this
// list. To add a planned page, write the page component and replace
// `planned: true` with `page`.
import type { ComponentType } from 'react';
import { Overview } from './pages/Overview';
import { ServicePage } from './pages/Service';
import { RequestPage, RequestsPage } from './pages/Requests';
import { MapPage } from './pages/Map';
import { StatusPage } from './pages/Status';
import { WorkloadsPage } from './pages/Workloads';
import { WorkloadPage } from './pages/Workload';
import { NodesPage } from './pages/Nodes';
import { EventsPage } from './pages/Events';
import { AlertsPage } from './pages/Alerts';
import { MetricsPage } from './pages/Metrics';
import { LogsPage } from './pages/Logs';
import { TracePage } from './pages/Trace';
import { FlamePage } from './pages/Flame';

export interface RouteParams {
  [k: string]: string;
}

export interface NavEntry {
  key: string;
  label: string;
  /** Path pattern; `:name` segments become params. */
  path: string;
  icon: string;
  page?: ComponentType<{ params: RouteParams }>;
  /** Shown greyed out in the sidebar until the page exists. */
  planned?: boolean;
  /** Not listed in the sidebar (detail pages); `parent` is highlighted instead. */
  hidden?: boolean;
  parent?: string;
}

export const NAV: NavEntry[] = [
  { key: 'overview', label: 'Overview', path: '/', icon: '▦', page: Overview },
  { key: 'service', label: 'Service', path: '/services/:name', icon: '', page: ServicePage, hidden: true, parent: 'overview' },
  { key: 'requests', label: 'Requests', path: '/requests', icon: '≡', page: RequestsPage },
  { key: 'request', label: 'Request', path: '/requests/:id', icon: '', page: RequestPage, hidden: true, parent: 'requests' },
  { key: 'trace', label: 'Trace', path: '/traces/:id', icon: '', page: TracePage, hidden: true, parent: 'requests' },
  { key: 'map', label: 'Service map', path: '/map', icon: '⇄', page: MapPage },
  { key: 'workloads', label: 'Workloads', path: '/workloads', icon: '▤', page: WorkloadsPage },
  { key: 'workload', label: 'Workload', path: '/workloads/:name', icon: '', page: WorkloadPage, hidden: true, parent: 'workloads' },
  { key: 'nodes', label: 'Nodes', path: '/nodes', icon: '▣', page: NodesPage },
  { key: 'metrics', label: 'Metrics', path: '/metrics', icon: '∿', page: MetricsPage },
  { key: 'events', label: 'Events', path: '/events', icon: '⚑', page: EventsPage },
  { key: 'status', label: 'Status', path: '/status', icon: '◉', page: StatusPage },
  { key: 'logs', label: 'Logs', path: '/logs', icon: '¶', page: LogsPage },
  { key: 'alerts', label: 'Alerts', path: '/alerts', icon: '⚠', page: AlertsPage },
  { key: 'flame', label: 'Flame graphs', path: '/flame', icon: '▲', page: FlamePage },
];

export function matchRoute(pathname: string): { entry: NavEntry; params: RouteParams } | null {
  const clean = pathname.replace(/\/+$/, '') || '/';
  for (const entry of NAV) {
    const pat = entry.path.split('/');
    const got = clean.split('/');
    if (pat.length !== got.length) continue;
    const params: RouteParams = {};
    let ok = true;
    for (let i = 0; i < pat.length; i++) {
      if (pat[i].startsWith(':')) {
        if (!got[i]) ok = false;
        else params[pat[i].slice(1)] = decodeURIComponent(got[i]);
      } else if (pat[i] !== got[i]) ok = false;
      if (!ok) break;
    }
    if (ok) return { entry, params };
  }
  return null;
}
