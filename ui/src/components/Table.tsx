import { useLayoutEffect, useMemo, useRef, useState } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  /** The cell's content as React nodes; or `html`. */
  render?: (row: T) => React.ReactNode;
  /**
   * The cell's content as HTML (every text through escapeHtml). When every
   * column has it, the rows are built as one string the browser parses at
   * once: for long lists (200-1,000 requests) React's per-cell elements cost
   * more than the rows' layout.
   */
  html?: (row: T) => string;
  sort?: (row: T) => number | string | undefined;
  numeric?: boolean;
  title?: string;
  width?: string;
}

export function SortTable<T>({
  rows,
  columns,
  initialSort,
  initialDesc = true,
  rowKey,
  onRowClick,
  selectedKey,
  testId,
  fixed = false,
}: {
  rows: T[];
  columns: Column<T>[];
  initialSort?: string;
  initialDesc?: boolean;
  rowKey: (row: T, i: number) => string;
  onRowClick?: (row: T) => void;
  selectedKey?: string | null;
  testId?: string;
  /** Fixed layout: columns keep their widths, cells cut with an ellipsis. */
  fixed?: boolean;
}) {
  const [sortKey, setSortKey] = useState(initialSort);
  const [desc, setDesc] = useState(initialDesc);
  const sorted = useMemo(() => {
    const col = columns.find((c) => c.key === sortKey);
    if (!col?.sort) return rows;
    const get = col.sort;
    return [...rows].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      if (x === y) return 0;
      if (x === undefined || (typeof x === 'number' && Number.isNaN(x))) return 1;
      if (y === undefined || (typeof y === 'number' && Number.isNaN(y))) return -1;
      const c = x < y ? -1 : 1;
      return desc ? -c : c;
    });
  }, [rows, columns, sortKey, desc]);
  const asHtml = columns.every((c) => c.html);

  return (
    <div className="table-wrap">
      <table className={`table ${onRowClick ? 'clickable' : ''} ${fixed ? 'fixed' : ''}`} data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = c.key === sortKey;
              return (
                <th
                  key={c.key}
                  className={`${c.numeric ? 'num' : ''} ${c.sort ? 'sortable' : ''} ${active ? 'sorted' : ''}`}
                  style={c.width ? { width: c.width } : undefined}
                  title={c.title}
                  aria-sort={active ? (desc ? 'descending' : 'ascending') : undefined}
                  onClick={
                    c.sort
                      ? () => {
                          if (active) setDesc((d) => !d);
                          else {
                            setSortKey(c.key);
                            setDesc(!!c.numeric);
                          }
                        }
                      : undefined
                  }
                >
                  {c.label}
                  {active && <span className="sort-arrow">{desc ? '↓' : '↑'}</span>}
                </th>
              );
            })}
          </tr>
        </thead>
        {asHtml ? (
          <HtmlRows rows={sorted} columns={columns} rowKey={rowKey} onRowClick={onRowClick} selectedKey={selectedKey} screenFirst={fixed} />
        ) : (
        <tbody>
          {sorted.map((r, i) => {
            const k = rowKey(r, i);
            return (
              <tr
                key={k}
                data-key={k}
                className={selectedKey === k ? 'selected' : ''}
                onClick={onRowClick ? () => onRowClick(r) : undefined}
                tabIndex={onRowClick ? 0 : undefined}
                onKeyDown={onRowClick ? (e) => e.key === 'Enter' && onRowClick(r) : undefined}
              >
                {columns.map((c) => (
                  <td key={c.key} className={c.numeric ? 'num' : ''}>
                    {c.render?.(r)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
        )}
      </table>
    </div>
  );
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe inside HTML and its quoted attributes. */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * The rows of a table whose columns give `html`: one string set as the
 * tbody's content (the same elements React would make), clicks and Enter
 * taken by the tbody for the row they happened in, the selected row marked
 * without building the rows again.
 *
 * screenFirst (fixed layout only: no row changes a column's width): the first
 * time rows are shown, the frame that paints them lays out only the first
 * screenful (class "screen-first", styles.css); the rest follow the frame
 * after, before anyone can scroll to them. Later answers (a filter, a
 * refresh) replace all rows at once, so a scrolled page does not jump.
 */
function HtmlRows<T>({
  rows,
  columns,
  rowKey,
  onRowClick,
  selectedKey,
  screenFirst,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T, i: number) => string;
  onRowClick?: (row: T) => void;
  selectedKey?: string | null;
  screenFirst?: boolean;
}) {
  const body = useRef<HTMLTableSectionElement>(null);
  const shown = useRef(false);
  const html = useMemo(() => {
    const focusable = onRowClick ? ' tabindex="0"' : '';
    const out: string[] = [];
    rows.forEach((r, i) => {
      out.push(`<tr data-key="${escapeHtml(rowKey(r, i))}" class=""${focusable}>`);
      for (const c of columns) out.push(`<td class="${c.numeric ? 'num' : ''}">${c.html!(r)}</td>`);
      out.push('</tr>');
    });
    return out.join('');
    // rowKey and onRowClick's identity do not change the rows' content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, columns, !onRowClick]);
  useLayoutEffect(() => {
    const tbody = body.current;
    if (!tbody || !html || shown.current) return;
    shown.current = true;
    if (!screenFirst) return;
    tbody.classList.add('screen-first');
    // After the next frame is painted; a hidden tab has no frames, hence the timer too.
    const rest = () => tbody.classList.remove('screen-first');
    const frame = requestAnimationFrame(() => setTimeout(rest));
    const timer = setTimeout(rest, 250);
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      rest();
    };
  }, [html, screenFirst]);
  useLayoutEffect(() => {
    const tbody = body.current;
    if (!tbody) return;
    for (const tr of tbody.querySelectorAll('tr.selected')) tr.className = '';
    if (selectedKey == null) return;
    for (const tr of tbody.rows) if (tr.dataset.key === selectedKey) tr.className = 'selected';
  }, [html, selectedKey]);
  const rowOf = (target: EventTarget): T | undefined => {
    const tr = (target as Element).closest?.('tr');
    return tr && tr.parentElement === body.current ? rows[(tr as HTMLTableRowElement).sectionRowIndex] : undefined;
  };
  return (
    <tbody
      ref={body}
      onClick={onRowClick ? (e) => { const r = rowOf(e.target); if (r !== undefined) onRowClick(r); } : undefined}
      onKeyDown={onRowClick ? (e) => { const r = e.key === 'Enter' ? rowOf(e.target) : undefined; if (r !== undefined) onRowClick(r); } : undefined}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
