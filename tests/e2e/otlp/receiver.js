// An OTLP/HTTP receiver for the end-to-end tests. It decodes protobuf
// bodies with the generated code that ships in npm's
// @opentelemetry/otlp-transformer (the OpenTelemetry JS project's own
// definitions, not Loupe's) and JSON bodies with JSON.parse, and appends
// one line per span to OUT/spans.jsonl, per metric to OUT/metrics.jsonl
// and per log record to OUT/logs.jsonl, ids as hex. Every request is logged to OUT/requests.jsonl.
//
// usage: node receiver.js PORT OUT
// Its answers are set at run time: POST /control {"status": 400} answers
// every later export with that status (200 again with {"status": 200}),
// {"delay_ms": 3000} holds each answer that long.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const [port, out] = [Number(process.argv[2]), process.argv[3]];
const v1 = root.opentelemetry.proto.collector;
let control = {status: 200, delay_ms: 0};

const hex = (b) => (b ? Buffer.from(b, 'base64').toString('hex') : '');
function attributes(list) {
  const out = {};
  for (const kv of list || []) {
    const v = kv.value || {};
    out[kv.key] = v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? null;
    if (typeof out[kv.key] === 'object' && out[kv.key] !== null) out[kv.key] = String(out[kv.key]);
    if (typeof out[kv.key] === 'number') out[kv.key] = String(out[kv.key]);
  }
  return out;
}

// The request as a plain object with OTLP/JSON field names, whatever the
// encoding; ids stay as they came (base64 from protobuf, hex in JSON).
function decode(kind, req, body) {
  if ((req.headers['content-type'] || '').includes('json')) return {doc: JSON.parse(body.toString()), hexIds: true};
  const type = {traces: v1.trace.v1.ExportTraceServiceRequest,
                metrics: v1.metrics.v1.ExportMetricsServiceRequest,
                logs: v1.logs.v1.ExportLogsServiceRequest}[kind];
  const msg = type.decode(body);
  return {doc: type.toObject(msg, {longs: String, enums: Number, bytes: String, defaults: false}), hexIds: false};
}

function record(kind, req, body) {
  const {doc, hexIds} = decode(kind, req, body);
  const id = (v) => (hexIds ? v || '' : hex(v));
  const lines = [];
  const encoding = (req.headers['content-type'] || '').includes('json') ? 'json' : 'protobuf';
  if (kind === 'traces') {
    for (const rs of doc.resourceSpans || [])
      for (const ss of rs.scopeSpans || [])
        for (const s of ss.spans || [])
          lines.push({
            encoding, traceId: id(s.traceId), spanId: id(s.spanId), parentSpanId: id(s.parentSpanId),
            kind: s.kind, name: s.name, start: String(s.startTimeUnixNano), end: String(s.endTimeUnixNano),
            status: (s.status || {}).code || 0, attributes: attributes(s.attributes),
            resource: attributes((rs.resource || {}).attributes),
          });
  } else if (kind === 'logs') {
    for (const rl of doc.resourceLogs || [])
      for (const sl of rl.scopeLogs || [])
        for (const l of sl.logRecords || [])
          lines.push({
            encoding, time: String(l.timeUnixNano), observed: String(l.observedTimeUnixNano),
            severityNumber: l.severityNumber || 0, severityText: l.severityText || '',
            body: (l.body || {}).stringValue ?? null, attributes: attributes(l.attributes),
            resource: attributes((rl.resource || {}).attributes),
          });
  } else {
    for (const rm of doc.resourceMetrics || [])
      for (const sm of rm.scopeMetrics || [])
        for (const m of sm.metrics || [])
          lines.push({
            encoding, name: m.name, unit: m.unit, resource: attributes((rm.resource || {}).attributes),
            points: ((m.histogram || m.sum || {}).dataPoints || []).map((p) => ({
              attributes: attributes(p.attributes), count: p.count, asInt: p.asInt,
              buckets: (p.bucketCounts || []).length, bounds: (p.explicitBounds || []).length,
            })),
          });
  }
  fs.appendFileSync(path.join(out, {traces: 'spans.jsonl', metrics: 'metrics.jsonl', logs: 'logs.jsonl'}[kind]),
                    lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.url === '/control') {
      Object.assign(control, JSON.parse(body.toString()));
      res.end('{}');
      return;
    }
    const kind = {'/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs'}[req.url] || null;
    const gzip = req.headers['content-encoding'] === 'gzip';
    const entry = {url: req.url, gzip, status: control.status, api_key: req.headers['x-api-key'] || '',
                   content_type: req.headers['content-type'] || ''};
    fs.appendFileSync(path.join(out, 'requests.jsonl'), JSON.stringify(entry) + '\n');
    const answer = () => {
      if (!kind) { res.statusCode = 404; res.end(); return; }
      if (control.status !== 200) { res.statusCode = control.status; res.end(); return; }
      try {
        record(kind, req, gzip ? zlib.gunzipSync(body) : body);
        res.setHeader('Content-Type', req.headers['content-type'] || 'application/x-protobuf');
        res.end(entry.content_type.includes('json') ? '{}' : '');
      } catch (e) {
        fs.appendFileSync(path.join(out, 'errors.log'), String(e.stack) + '\n');
        res.statusCode = 400;
        res.end();
      }
    };
    control.delay_ms ? setTimeout(answer, control.delay_ms) : answer();
  });
}).listen(port, '127.0.0.1', () => fs.writeFileSync(path.join(out, 'ready'), ''));
