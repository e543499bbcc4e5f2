// A uPlot time-series chart with click-to-select (and, where asked,
// drag-to-select a range), and an SVG sparkline.
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { tzName } from '../format';

export interface Series {
  label: string;
  color: string;
  values: (number | null)[];
  fill?: boolean;
  dash?: number[];
  /** The legend's text for the point at index i (default: yFormat of its value). */
  legend?: (i: number) => string;
}

export interface TimeChartProps {
  xs: number[];
  series: Series[];
  height?: number;
  yFormat: (v: number) => string;
  onPick?: (t: number) => void;
  /** Called with the time range (unix seconds) the user drags across; a drag is then no click. */
  onRange?: (from: number, to: number) => void;
  selected?: number | null;
  /** Minute starts (unix seconds) whose data is incomplete: shaded amber. */
  marked?: number[];
  testId?: string;
  /** Bars stacked bottom-up in the order given (counts per bucket, e.g. log lines by level); xs are bucket starts. */
  stackedBars?: boolean;
}

/** Running sums from the bottom series up; the tallest is drawn first so each band shows its own part. */
function stack(series: Series[]): (number | null)[][] {
  const n = series[0]?.values.length ?? 0;
  const sums = series.map(() => new Array<number | null>(n).fill(null));
  for (let i = 0; i < n; i++) {
    let acc: number | null = null;
    series.forEach((s, k) => {
      const v = s.values[i];
      if (v != null) acc = (acc ?? 0) + v;
      sums[k][i] = acc;
    });
  }
  return sums.reverse();
}

function tzLabel(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return `time (${tzName()}${zone && zone !== 'UTC' ? `, ${zone}` : ''})`;
}

// A drag narrower than this (CSS pixels) is a click that moved a little.
const MIN_DRAG_PX = 6;

export function TimeChart({ xs, series, height = 200, yFormat, onPick, onRange, selected, marked, testId, stackedBars }: TimeChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const pickRef = useRef(onPick);
  pickRef.current = onPick;
  const rangeRef = useRef(onRange);
  rangeRef.current = onRange;
  const canDrag = !!onRange;

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    // Axis and grid colours from the theme (light or dark, styles.css).
    const css = getComputedStyle(document.documentElement);
    const axis = css.getPropertyValue('--axis').trim() || '#6b7280';
    const grid = css.getPropertyValue('--grid').trim() || '#eef0f3';
    // Set by a drag that selected a range: the click ending it is no pick.
    let dragged = false;
    const opts: uPlot.Options = {
      width: Math.max(200, node.clientWidth),
      height,
      cursor: { drag: { x: canDrag, y: false, setScale: false }, points: { size: 7 } },
      legend: { show: true, live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif', label: tzLabel(), labelSize: 16, labelFont: '11px system-ui, sans-serif' },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          size: 64,
          font: '11px system-ui, sans-serif',
          values: (_u, vals) => vals.map((v) => (v == null ? '' : yFormat(v))),
        },
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v == null ? '–' : `${new Date(v * 1000).toLocaleTimeString()} ${tzName()}`) },
        ...(stackedBars ? [...series].reverse().map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1,
          fill: s.color + 'cc',
          paths: uPlot.paths.bars!({ size: [0.85, 48], align: 1 }),
          points: { show: false },
          // The legend shows this level's own count, not the running sum drawn.
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx == null || s.values[idx] == null ? '–' : yFormat(s.values[idx]!)),
        })) : series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.75,
          fill: s.fill ? s.color + '22' : undefined,
          dash: s.dash,
          spanGaps: false,
          points: { show: xs.length < 40, size: 4 },
          value: (_u: uPlot, v: number | null, _si: number, i: number | null) => (s.legend && i != null ? s.legend(i) : v == null ? '–' : yFormat(v)),
        }))),
      ],
      hooks: {
        ready: [
          (u) => {
            u.over.addEventListener('click', () => {
              if (dragged) {
                dragged = false;
                return;
              }
              const i = u.cursor.idx;
              if (i != null && pickRef.current) pickRef.current(u.data[0][i]);
            });
          },
        ],
        // A drag across the chart selects a range: handed on, then cleared
        // (the page decides what the range means).
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (!rangeRef.current || width < MIN_DRAG_PX) return;
            dragged = true;
            const from = Math.floor(u.posToVal(left, 'x'));
            const to = Math.ceil(u.posToVal(left + width, 'x'));
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            rangeRef.current(from, to);
          },
        ],
        drawClear: [
          (u) => {
            const minutes = (u as unknown as { _marked?: number[] })._marked;
            if (!minutes?.length) return;
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = 'rgba(247, 144, 9, 0.16)';
            for (const t of minutes) {
              const x0 = u.valToPos(t, 'x', true);
              const x1 = u.valToPos(t + 60, 'x', true);
              ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 2 * devicePixelRatio), u.bbox.height);
            }
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const sel = (u as unknown as { _sel?: number | null })._sel;
            if (sel == null) return;
            const x = u.valToPos(sel, 'x', true);
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#3b6fd8';
            ctx.setLineDash([4, 3]);
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    };
    const data: uPlot.AlignedData = [xs, ...(stackedBars ? stack(series) : series.map((s) => s.values))];
    const u = new uPlot(opts, data, node);
    (u as unknown as { _sel?: number | null })._sel = selected ?? null;
    (u as unknown as { _marked?: number[] })._marked = marked;
    if (onPick) u.over.style.cursor = 'pointer';
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, node.clientWidth);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
    });
    ro.observe(node);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [xs, series, height, stackedBars, canDrag]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    (u as unknown as { _sel?: number | null })._sel = selected ?? null;
    (u as unknown as { _marked?: number[] })._marked = marked;
    u.redraw(false);
  }, [selected, marked]);

  return <div className="chart" ref={el} data-testid={testId} data-points={xs.length} data-marked={marked?.length ?? 0} data-draggable={canDrag || undefined} />;
}

/** A tiny line with no axes, for tables. */
/** The SVG paths of a sparkline: the line through the points that have a value (gaps are spanned) and the area under it. */
function sparkPaths(xs: number[], ys: (number | null)[], width: number, height: number): { line: string; area: string } | null {
  const pts: [number, number][] = [];
  xs.forEach((x, i) => {
    const y = ys[i];
    if (y != null && Number.isFinite(y)) pts.push([x, y]);
  });
  if (pts.length === 0) return null;
  const x0 = xs[0];
  const spanX = xs[xs.length - 1] - x0 || 1;
  const max = Math.max(...pts.map((p) => p[1]));
  const top = max > 0 ? max * 1.15 : 1;
  const pad = 1; // half the stroke, so a flat line at 0 or at the top is not clipped
  const px = (x: number) => ((x - x0) / spanX) * width;
  const py = (y: number) => pad + (1 - y / top) * (height - 2 * pad);
  const line = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
  const area = `${line}L${px(pts[pts.length - 1][0]).toFixed(1)},${height}L${px(pts[0][0]).toFixed(1)},${height}Z`;
  return { line, area };
}

/**
 * A small trend line without axes: plain SVG, not a chart instance, so a table
 * can hold a hundred of them and still lay out quickly.
 */
export function Sparkline({ xs, ys, width = 120, height = 28, color = '#3b6fd8' }: { xs: number[]; ys: (number | null)[]; width?: number; height?: number; color?: string }) {
  const paths = useMemo(() => sparkPaths(xs, ys, width, height), [xs, ys, width, height]);
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} data-points={xs.length} aria-hidden="true">
      {paths && <path d={paths.area} fill={color + '18'} stroke="none" />}
      {paths && <path d={paths.line} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />}
    </svg>
  );
}
