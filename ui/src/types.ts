// Shapes of the Loupe JSON API (docs/api.md). Fields are optional because the
// UI must cope with older or newer servers.

export interface RedStats {
  requests?: number;
  errors?: number;
  error_rate?: number;
  rate_per_s?: number;
  /** Over the minutes that had requests: the rate while there was traffic. */
  active_rate_per_s?: number;
  p50_ms?: number;
  p95_ms?: number;
  p99_ms?: number;
}

export interface ServiceStats extends RedStats {
  name: string;
  kind?: string;
  ports?: number[] | string[] | string;
}

export interface EndpointStats extends RedStats {
  service?: string;
  method?: string;
  route?: string;
  protocol?: string;
}

export interface LatencyPoint {
  t: number;
  value_ms: number | null;
  count?: number;
  errors?: number;
}

export interface RequestRecord {
  ts?: string;
  start_ns?: number;
  end_ns?: number;
  duration_ns?: number;
  protocol?: string;
  role?: string;
  tls?: boolean;
  pid?: number;
  comm?: string;
  local_addr?: string;
  remote_addr?: string;
  method?: string;
  path?: string;
  route?: string;
  host?: string;
  status?: number | string;
  error?: boolean;
  error_code?: string | number;
  error_message?: string;
  detail?: string;
  trace_id?: string;
  req_bytes?: number;
  resp_bytes?: number;
  node?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  workload?: string;
  service?: string;
  remote_namespace?: string;
  remote_pod?: string;
  remote_workload?: string;
  remote_service?: string;
  [k: string]: unknown;
}

export interface MapEdge {
  caller?: string;
  callee?: string;
  source?: string;
  target?: string;
  protocol?: string;
  protocols?: string[];
  requests?: number;
  errors?: number;
  error_rate?: number;
  rate_per_s?: number;
  p95_ms?: number;
  p95?: number;
  [k: string]: unknown;
}

// ---- Kubernetes inventory (/workloads, /pods, /nodes, /events) ----

export interface WorkloadStats extends RedStats {
  name: string; // "namespace/Kind/name"
  namespace?: string;
  workload?: string; // "Kind/name"
  kind?: string;
  object?: string;
  known?: boolean;
  desired_replicas?: number | null;
  ready_replicas?: number | null;
  pods?: number;
  ready_pods?: number;
  restarts?: number;
  restarts_in_window?: number;
  /** The kernel's OOM kills in its pods in the range (processes, not restarts). */
  oom_kills_in_window?: number;
  images?: string[];
  traffic?: boolean;
}

export interface Amounts {
  cpu_cores?: number | null;
  memory_bytes?: number | null;
}

export interface ContainerState {
  name: string;
  id?: string;
  image?: string;
  init?: boolean;
  state?: string;
  state_reason?: string;
  ready?: boolean;
  restarts?: number;
  started_at?: string | null;
  last_termination?: { reason?: string; exit_code?: number; finished_at?: string | null } | null;
  requests?: Amounts;
  limits?: Amounts;
}

export interface PodState extends RedStats {
  namespace: string;
  pod: string;
  workload?: string;
  known?: boolean;
  node?: string;
  phase?: string;
  reason?: string;
  ready?: boolean;
  ip?: string;
  qos_class?: string;
  age_s?: number;
  restarts?: number;
  restarts_in_window?: number;
  /** The kernel's OOM kills in the pod in the range, also of processes whose container kept running. */
  oom_kills_in_window?: number;
  containers?: ContainerState[];
}

export interface NodeCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  since?: string | null;
}

export interface NodeState {
  name: string;
  ready?: boolean;
  unschedulable?: boolean;
  addresses?: string[];
  conditions?: NodeCondition[];
  capacity?: Amounts & { pods?: number | null };
  allocatable?: Amounts & { pods?: number | null };
  kernel_version?: string;
  kubelet_version?: string;
  os_image?: string;
  container_runtime?: string;
  pods?: number;
}

export interface ClusterEvent {
  time?: string;
  time_ns?: number;
  namespace?: string;
  kind?: string;
  name?: string;
  container?: string;
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  exit_code?: number;
  source?: string;
}

// ---- resource metrics (/metrics, /metrics/catalog) ----

export interface MetricInfo {
  name: string;
  unit?: string;
  kind?: string;
  help?: string;
  /** Entities the metric exists for: a list, or comma-separated text. */
  entities?: string[] | string;
  /** What the series' label is ("mode", "mount", "peer"...), when it has one. */
  label?: string;
}

export interface MetricPoint {
  t: number;
  value: number | null;
}

/** GET /api/v1/losses: what never reached the store, per minute. */
export interface Losses {
  records: number; // parsed records dropped before storage
  events: number; // kernel events lost before parsing (ring buffer full)
  minutes: { t: number; records: number; events: number }[];
}

// ---- alerts (docs/alerts.md, /api/v1/alerts*, /api/v1/silences) ----
export type AlertStateName = 'firing' | 'pending' | 'resolved';

export interface ComparedTo {
  kind: 'earlier' | 'baseline';
  value?: number;
  offset_s?: number;
  median?: number;
  spread?: number;
  days?: number;
  days_needed?: number;
}

export interface AlertItem {
  rule: string;
  state: AlertStateName;
  value?: number;
  silenced?: boolean;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  active_since?: string | null;
  fired_at?: string | null;
  resolved_at?: string | null;
  last_eval?: string | null;
  last_sent?: string | null;
  url?: string;
  compared_to?: ComparedTo;
}

export interface RuleValue {
  labels: Record<string, string>;
  value: number;
  requests?: number;
  compared_to?: ComparedTo;
  not_evaluated?: string;
}

export interface AlertRule {
  name: string;
  builtin?: boolean;
  enabled?: boolean;
  signal: string;
  quantile?: number;
  metric?: string;
  reason?: string;
  cleared_by?: string[];
  pattern?: string;
  scope?: Record<string, string>;
  group_by?: string[];
  op?: string;
  threshold?: number;
  change_pct?: number;
  compare_s?: number;
  compare?: string;
  window_s?: number;
  for_s?: number;
  min_requests?: number;
  severity?: string;
  receivers?: string[];
  last_eval?: string | null;
  eval_ms?: number;
  values?: RuleValue[];
  firing?: number;
  error?: string | null;
  note?: string;
  untracked_label_sets?: number;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex?: boolean;
  isEqual?: boolean;
}

export interface SilenceItem {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  comment?: string;
  createdBy?: string;
  status?: { state: 'active' | 'pending' | 'expired' };
}

export interface ReceiverStatus {
  name: string;
  type: string;
  url?: string;
  queued?: number;
  pending?: number;
  delivered?: number;
  failed_attempts?: number;
  dropped?: number;
  last_error?: string;
}

/** A stored log entry (GET /api/v1/logs). */
export interface LogEntry {
  id: number;
  time?: string;
  time_ns: number;
  level?: string;
  stream?: string;
  text: string;
  truncated?: boolean;
  namespace?: string;
  pod?: string;
  container?: string;
  workload?: string;
  node?: string;
  file?: string;
  cursor?: string;
}

export interface LogPage {
  entries: LogEntry[];
  next_cursor?: string | null;
}

/** GET /api/v1/logs/histogram: entries per level per bucket. */
export interface LogHistogram {
  step_s: number;
  points: { t: number; counts: Record<string, number> }[];
}

/** GET /api/v1/logs/patterns: a template lines are grouped into. */
export interface LogPattern {
  id?: number;
  pattern: string;
  level?: string;
  count: number;
  previous_count?: number;
  first_seen?: string;
  first_seen_ns?: number;
  example?: string;
  points?: { t: number; count: number }[];
}

/** GET /api/v1/protocols: one entry of the server's protocol table. */
export interface ProtocolInfo {
  name: string;
  display_name: string;
  default_ports: number[];
  carried_by: string | null;
  fields: Partial<Record<'method' | 'path' | 'route' | 'host' | 'status' | 'error_code' | 'detail', string>>;
  docs: string;
}
