// A table that scrolls sideways on a narrow screen, with one header row. A column named
// `{ hidden: "Actions" }` has a header only screen readers announce (a column of buttons).
import type { ReactNode } from "react";

export type Column = string | { hidden: string };

export function Table({
  label,
  className,
  columns,
  children,
}: {
  label?: string;
  className?: string;
  columns: Column[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table aria-label={label} className={className}>
        <thead>
          <tr>
            {columns.map((c) =>
              typeof c === "string" ? (
                <th scope="col" key={c}>
                  {c}
                </th>
              ) : (
                <th scope="col" key={c.hidden}>
                  <span className="visually-hidden">{c.hidden}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
