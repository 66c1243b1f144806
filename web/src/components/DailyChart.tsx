// A small SVG line chart of the daily funnel (sent, delivered, read, replied). Hand-drawn: four
// lines do not justify a chart library. The same numbers are in a table for screen readers.
import type { Counts } from "../api/types";

const SERIES = [
  { key: "sent", label: "Sent", color: "#2563eb" },
  { key: "delivered", label: "Delivered", color: "#0d9488" },
  { key: "read", label: "Read", color: "#a16207" },
  { key: "replied", label: "Replied", color: "#be185d" },
] as const;

const W = 640;
const H = 220;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

export function DailyChart({ days }: { days: ({ date: string } & Counts)[] }) {
  if (days.length === 0) return <p className="empty">No days in this range.</p>;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => d[s.key])));
  const x = (i: number) => PAD.left + (days.length === 1 ? 0 : (i / (days.length - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const labelEvery = Math.max(1, Math.ceil(days.length / 6));

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Messages per day: sent, delivered, read and replied">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} className="grid" />
            <text x={PAD.left - 4} y={y(max * f) + 4} textAnchor="end" className="axis">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {days.map((d, i) =>
          i % labelEvery === 0 ? (
            <text key={d.date} x={x(i)} y={H - 6} textAnchor="middle" className="axis">
              {d.date.slice(5)}
            </text>
          ) : null,
        )}
        {SERIES.map((s) => (
          <polyline
            key={s.key}
            fill="none"
            stroke={s.color}
            strokeWidth={2}
            points={days.map((d, i) => `${x(i)},${y(d[s.key])}`).join(" ")}
          />
        ))}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.label}
          </span>
        ))}
      </figcaption>
      <details>
        <summary>Show as a table</summary>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {SERIES.map((s) => (
                  <th key={s.key} scope="col">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.date}>
                  <th scope="row">{d.date}</th>
                  {SERIES.map((s) => (
                    <td key={s.key}>{d[s.key]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
