// A horizontal bar chart of ratios as a standalone SVG string: one row per
// figure, one bar per series (Node, Deno) side by side, on a log scale
// centred on 1× (bars to the left are below the baseline, to the right above
// it), with the goal drawn as a dashed line where a row has one. Pure string
// building — no browser, no dependency — so the report can draw its charts
// anywhere the benches run.
import type { Goal } from "./_results.ts";

/** One bar series (e.g. a runtime). */
export interface ChartSeries {
  name: string;
  color: string;
}

/** A row: one bar per series (undefined where that series has no figure), or a heading. */
export type ChartRow =
  | { kind: "bars"; label: string; values: (number | undefined)[]; goal?: Goal }
  | { kind: "heading"; label: string };

/** What to draw. */
export interface ChartSpec {
  title: string;
  /** A second line under the title (what the ratio is of). */
  subtitle?: string;
  series: ChartSeries[];
  rows: ChartRow[];
}

const FONT = 12;
/** Rough width of one character at FONT px in a sans-serif face; labels are laid out with it. */
const CHAR_WIDTH = 6.6;
const BAR_HEIGHT = 12;
const ROW_GAP = 8;
const HEADING_HEIGHT = 22;
const PLOT_WIDTH = 420;
const MARGIN = 12;
const VALUE_ROOM = 56;

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** "1.38×", "14.4×", "130×". */
export function formatRatio(ratio: number): string {
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : 2;
  return `${ratio.toFixed(digits)}×`;
}

/** Tick values of a log axis from lo to hi: 1, 2, 5 per decade. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let exp = Math.floor(Math.log10(lo)); exp <= Math.ceil(Math.log10(hi)); exp++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** exp;
      if (t >= lo && t <= hi) ticks.push(Number(t.toPrecision(1)));
    }
  }
  return ticks;
}

function goalValue(goal: Goal | undefined): number | undefined {
  return goal?.max ?? goal?.min;
}

/** Renders `spec` as an SVG document. Non-finite or non-positive ratios are drawn as "n/a". */
export function renderRatioChart(spec: ChartSpec): string {
  const positive = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0;
  const all = spec.rows.flatMap((row) => row.kind === "bars" ? [...row.values, goalValue(row.goal)] : []).filter(positive);
  const lo = Math.min(1, ...all) / 1.25;
  const hi = Math.max(1, ...all) * 1.25;
  // Headings sit on a line of their own and may run over the plot; bar labels may not.
  const labelWidth = Math.ceil(Math.max(80, ...spec.rows.filter((r) => r.kind === "bars").map((r) => r.label.length * CHAR_WIDTH)));
  const plotLeft = MARGIN + labelWidth + 8;
  const x = (v: number) => plotLeft + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * PLOT_WIDTH;
  const headingWidth = Math.max(0, ...spec.rows.filter((r) => r.kind === "heading").map((r) => MARGIN + r.label.length * CHAR_WIDTH));
  const titleWidth = MARGIN + Math.max(spec.title.length * (CHAR_WIDTH + 1), (spec.subtitle?.length ?? 0) * CHAR_WIDTH);
  const width = Math.max(plotLeft + PLOT_WIDTH + VALUE_ROOM + MARGIN, headingWidth + MARGIN, titleWidth + MARGIN);

  const out: string[] = [];
  let y = MARGIN + FONT;
  out.push(`<text x="${MARGIN}" y="${y}" font-weight="bold" font-size="${FONT + 2}">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle !== undefined) {
    y += FONT + 6;
    out.push(`<text x="${MARGIN}" y="${y}" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  }
  // Legend.
  y += FONT + 10;
  let legendX = MARGIN;
  for (const s of spec.series) {
    out.push(`<rect x="${legendX}" y="${y - 10}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${legendX + 16}" y="${y}">${escapeXml(s.name)}</text>`);
    legendX += 16 + s.name.length * CHAR_WIDTH + 18;
  }
  out.push(`<line x1="${legendX}" y1="${y - 4}" x2="${legendX + 18}" y2="${y - 4}" stroke="#d33" stroke-width="2" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${legendX + 22}" y="${y}">goal</text>`);
  y += 12;

  const plotTop = y;
  const rowsOut: string[] = [];
  for (const row of spec.rows) {
    if (row.kind === "heading") {
      y += HEADING_HEIGHT;
      rowsOut.push(`<text x="${MARGIN}" y="${y - 6}" font-weight="bold">${escapeXml(row.label)}</text>`);
      continue;
    }
    const rowHeight = spec.series.length * BAR_HEIGHT + ROW_GAP;
    const top = y + ROW_GAP / 2;
    rowsOut.push(`<text x="${MARGIN}" y="${top + (spec.series.length * BAR_HEIGHT) / 2 + 4}">${escapeXml(row.label)}</text>`);
    row.values.forEach((value, i) => {
      const barY = top + i * BAR_HEIGHT;
      const series = spec.series[i]!;
      if (!positive(value)) {
        rowsOut.push(`<text x="${x(1) + 4}" y="${barY + BAR_HEIGHT - 2}" fill="#888" font-size="${FONT - 2}">${escapeXml(series.name)}: n/a</text>`);
        return;
      }
      const from = Math.min(x(1), x(value));
      const barWidth = Math.max(1, Math.abs(x(value) - x(1)));
      rowsOut.push(`<rect x="${from.toFixed(1)}" y="${barY + 1}" width="${barWidth.toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${series.color}"><title>${escapeXml(`${series.name}: ${formatRatio(value)}`)}</title></rect>`);
      const textX = value >= 1 ? x(value) + 4 : Math.max(plotLeft, x(value)) - 4;
      const anchor = value >= 1 ? "start" : "end";
      rowsOut.push(`<text x="${textX.toFixed(1)}" y="${barY + BAR_HEIGHT - 2}" font-size="${FONT - 2}" text-anchor="${anchor}">${formatRatio(value)}</text>`);
    });
    const goal = goalValue(row.goal);
    if (goal !== undefined && goal > 0) {
      const gx = x(goal).toFixed(1);
      rowsOut.push(`<line x1="${gx}" y1="${top - 2}" x2="${gx}" y2="${top + spec.series.length * BAR_HEIGHT + 2}" stroke="#d33" stroke-width="2" stroke-dasharray="4 3"><title>${escapeXml(`goal ${row.goal?.max !== undefined ? "≤" : "≥"} ${formatRatio(goal)}`)}</title></line>`);
    }
    y += rowHeight;
  }
  const plotBottom = y + 4;

  // Grid and axis under the bars.
  const grid: string[] = [];
  for (const t of logTicks(lo, hi)) {
    const tx = x(t).toFixed(1);
    grid.push(`<line x1="${tx}" y1="${plotTop}" x2="${tx}" y2="${plotBottom}" stroke="${t === 1 ? "#333" : "#ddd"}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    grid.push(`<text x="${tx}" y="${plotBottom + FONT + 2}" text-anchor="middle" font-size="${FONT - 2}" fill="#555">${formatRatio(t)}</text>`);
  }
  y = plotBottom + FONT + 18;
  grid.push(`<text x="${x(1) - 6}" y="${y}" text-anchor="end" font-size="${FONT - 2}" fill="#555">← below the baseline</text>`);
  grid.push(`<text x="${x(1) + 6}" y="${y}" font-size="${FONT - 2}" fill="#555">above the baseline →</text>`);
  const height = y + MARGIN;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...out,
    ...grid,
    ...rowsOut,
    `</svg>`,
    "",
  ].join("\n");
}
