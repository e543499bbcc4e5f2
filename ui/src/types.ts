// Shapes of the Loupe JSON API, generated at build time from the API's
// OpenAPI description (src/server/openapi/openapi.yaml -> src/api-schema.d.ts,
// `npm run types`). One binary serves both the API and this UI, so a field is
// optional only where the server may leave it out; docs/api.md explains them.
import type { components, operations } from './api-schema';

type Schemas = components['schemas'];
/** The JSON body of an operation's 200 answer. */
type Ok<Op extends keyof operations> = operations[Op]['responses'][200] extends { content: { 'application/json': infer T } } ? T : never;

export type RedStats = Schemas['Red'];
export type ServiceStats = Schemas['Service'];
export type EndpointStats = Schemas['Endpoint'];
export type LatencyPoint = Schemas['LatencyPoint'];
export type RequestRecord = Schemas['StoredRequest'];
export type MapEdge = Schemas['MapEdge'];
export type ServiceMap = Ok<'getServiceMap'>;
export type ProtocolInfo = Schemas['ProtocolInfo'];

// ---- Kubernetes inventory (/workloads, /pods, /nodes, /events) ----
export type WorkloadStats = Schemas['Workload'];
export type PodState = Schemas['Pod'];
export type ContainerState = Schemas['Container'];
export type NodeState = Schemas['Node'];
export type ClusterEvent = Schemas['ClusterEvent'];

// ---- resource metrics (/metrics, /metrics/catalog, /metrics/series) ----
export type MetricInfo = Schemas['MetricInfo'];
export type MetricPoint = Ok<'getMetric'>[number];
export type MetricSeries = Ok<'listMetricSeries'>[number];

/** GET /api/v1/losses: what never reached the store, per minute. */
export type Losses = Ok<'getLosses'>;

// ---- alerts (docs/alerts.md, /api/v1/alerts*, /api/v1/silences) ----
export type AlertItem = Schemas['Alert'];
export type AlertStateName = AlertItem['state'];
export type ComparedTo = Schemas['ComparedTo'];
export type AlertRule = Schemas['AlertRule'];
export type RuleValue = NonNullable<AlertRule['values']>[number];
export type SilenceMatcher = Schemas['SilenceMatcher'];
export type SilenceItem = Schemas['Silence'];
export type ReceiverStatus = Schemas['AlertEngineStatus']['receivers'][number];

// ---- logs (/api/v1/logs, /logs/patterns, /logs/histogram) ----
export type LogEntry = Schemas['LogEntry'];
export type LogPage = Ok<'listLogs'>;
export type LogPatterns = Ok<'listLogPatterns'>;
export type LogPattern = Schemas['LogPattern'];
export type LogHistogram = Ok<'getLogHistogram'>;

// ---- status (/api/v1/status, /api/v1/doctor) ----
export type Status = Schemas['Status'];
export type DoctorReport = Schemas['DoctorReport'];

// ---- CPU profiles (/api/v1/profile) ----
export type Profile = Ok<'getProfile'>;
export type ProfileNode = Schemas['ProfileNode'];
export type ProfileFunction = Profile['functions'][number];
