// Shapes of the Loupe JSON API (docs/api.md). Fields are optional because the
// UI must cope with older or newer servers.

export interface RedStats {
  requests?: number;
  errors?: number;
  error_rate?: number;
  rate_per_s?: number;
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
  requests?: number;
  errors?: number;
  error_rate?: number;
  rate_per_s?: number;
  p95_ms?: number;
  p95?: number;
  [k: string]: unknown;
}
