import { useMemo, useState } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => React.ReactNode;
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
                    {c.render(r)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
