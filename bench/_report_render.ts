// Turns bench/results/latest.json into the generated parts of the docs: the
// README's headline table, docs/BENCHMARKS.md's full tables, and the specs of
// the SVG charts. Pure functions of the results object, so they are tested
// on a fixture; bench/report.ts does the file work.
import { formatRatio } from "./_svg_chart.ts";
import type { ChartRow, ChartSeries, ChartSpec } from "./_svg_chart.ts";
import { isPartial } from "./_report_model.ts";
import type { BenchFileOutcome, BenchReport, RuntimeSection } from "./_report_model.ts";
import type { ComparisonTable, Goal, RuntimeInfo } from "./_results.ts";

type RuntimeName = RuntimeInfo["name"];

/** The runtimes in report order, with their chart colours. */
export const RUNTIMES: readonly { name: RuntimeName; label: string; color: string }[] = [
  { name: "node", label: "Node", color: "#3c873a" },
  { name: "deno", label: "Deno", color: "#2f6fb3" },
];

/** The two marker comments around a generated block. */
export function markers(name: string): [string, string] {
  return [`<!-- bench:start ${name} -->`, `<!-- bench:end ${name} -->`];
}

/**
 * Replaces what lies between the markers of block `name` in `text`, keeping
 * the markers and everything around them. Throws if the markers are missing
 * or out of order, so a hand edit that lost them is reported, not ignored.
 */
export function replaceBlock(text: string, name: string, content: string): string {
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0 || to < from) throw new Error(`missing or misplaced markers "${start}" … "${end}"`);
  if (text.indexOf(start, from + 1) >= 0) throw new Error(`marker "${start}" appears more than once`);
  return `${text.slice(0, from + start.length)}\n${content.trim()}\n${text.slice(to)}`;
}

function present(report: BenchReport): { name: RuntimeName; label: string; color: string; section: RuntimeSection }[] {
  return RUNTIMES.flatMap((r) => {
    const section = report.runtimes[r.name];
    return section === undefined ? [] : [{ ...r, section }];
  });
}

/** Every bench file any runtime ran, sorted. */
function fileNames(report: BenchReport): string[] {
  return [...new Set(present(report).flatMap((r) => Object.keys(r.section.files)))].sort();
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** "Node 20.20.2 (V8 11.3…)" */
function runtimeName(label: string, section: RuntimeSection): string {
  return `${label} ${section.runtime.version} (V8 ${section.runtime.v8})`;
}

/** One line per runtime: what, where, when, from which commit, with which command. */
export function renderProvenance(report: BenchReport): string {
  const rows = present(report);
  if (rows.length === 0) return "_No results yet: run `npm run bench`._";
  const lines = rows.map(({ label, section }) => {
    const m = section.machine;
    const flags = [
      section.quick ? "**quick run** (short measuring times, smaller inputs: not for publishing)" : undefined,
      isPartial(section) ? `**partial** (${section.filters.length > 0 ? `only files matching ${section.filters.join(", ")}` : "interrupted"})` : undefined,
    ].filter((f) => f !== undefined);
    const loads = Object.values(section.files).flatMap((o) => o.load1m ?? []);
    const load = loads.length === 0 ? "" : `; load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the pass`;
    return `- **${runtimeName(label, section)}** on ${m.cpu}, ${m.cores} cores, ${gib(m.memoryBytes)}, ${m.os}${load}; ` +
      `${section.date.slice(0, 10)}, commit \`${section.commit.slice(0, 12)}\`${section.dirty ? " with uncommitted changes" : ""}; ` +
      `\`${section.command}\`, ${Math.round(section.seconds)} s` + (flags.length > 0 ? `; ${flags.join("; ")}` : "");
  });
  return lines.join("\n");
}

function goalText(goal: Goal | undefined): string {
  if (goal === undefined) return "—";
  return goal.max !== undefined ? `≤ ${formatRatio(goal.max)}` : `≥ ${formatRatio(goal.min!)}`;
}

function cell(ratio: number | undefined, met: boolean | undefined): string {
  if (ratio === undefined) return "—";
  const text = formatRatio(ratio);
  return met === undefined ? text : met ? `**${text}** (met)` : `${text} (not met)`;
}

/** Failures and skips of every runtime, as bullet lines (nothing is dropped silently). */
function renderIssues(report: BenchReport, only?: string): string[] {
  const lines: string[] = [];
  for (const { label, section } of present(report)) {
    for (const outcome of Object.values(section.files)) {
      if (only !== undefined && outcome.file !== only) continue;
      const where = only === undefined ? `\`${outcome.file}\` ` : "";
      if (outcome.status === "failed") lines.push(`- ${label}: ${where}**failed** (${outcome.error ?? "unknown error"}); its figures are missing or incomplete.`);
      for (const skip of outcome.skipped) lines.push(`- ${label}: ${where}not measured: ${skip.what} — ${skip.reason}`);
    }
  }
  return lines;
}

/** The README's block: every headline ratio with its goal, per runtime, and the summary chart. */
export function renderSummary(report: BenchReport, chartPath: string): string {
  const runtimes = present(report);
  const out = [
    "Generated by `npm run bench` from `bench/results/latest.json` (`npm run bench:report` regenerates it from the file):",
    "",
    renderProvenance(report),
    "",
  ];
  if (runtimes.length === 0) return out.join("\n");
  out.push(`| figure (bench file) | goal | ${runtimes.map((r) => r.label).join(" | ")} |`);
  out.push(`| --- | --- | ${runtimes.map(() => "---").join(" | ")} |`);
  for (const file of fileNames(report)) {
    for (const label of ratioLabels(report, file)) {
      const figures = runtimes.map((r) => r.section.files[file]?.ratios.find((f) => f.label === label));
      const goal = figures.find((f) => f?.goal !== undefined)?.goal;
      out.push(`| ${escapeCell(label)} (\`${file}\`) | ${goalText(goal)} | ${figures.map((f) => cell(f?.ratio, f?.met)).join(" | ")} |`);
    }
  }
  const issues = renderIssues(report);
  if (issues.length > 0) out.push("", ...issues);
  out.push("", `![Headline ratios per runtime, with goals](${chartPath})`);
  return out.join("\n");
}

function ratioLabels(report: BenchReport, file: string): string[] {
  return [...new Set(present(report).flatMap((r) => r.section.files[file]?.ratios.map((f) => f.label) ?? []))];
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** A scale for a table's times, chosen from its baseline so all rows read alike. */
function timeScale(ns: number): { unit: string; divisor: number } {
  if (ns >= 1e7) return { unit: "ms", divisor: 1e6 };
  if (ns >= 1e4) return { unit: "µs", divisor: 1e3 };
  return { unit: "ns", divisor: 1 };
}

function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en-US").replaceAll(",", " ");
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A table's cases across runtimes, by case name, tables matched by title. */
function renderTable(title: string, tables: (ComparisonTable | undefined)[], labels: string[]): string {
  const first = tables.find((t) => t !== undefined)!;
  const unit = first.cases[0]?.unit ?? "";
  const baselineValue = first.cases.find((c) => c.name === first.baseline)?.value ?? first.cases[0]?.value ?? 0;
  const isTime = unit.startsWith("ns/");
  const scale = isTime ? timeScale(baselineValue) : { unit: unit, divisor: 1 };
  const shownUnit = isTime ? `${scale.unit}/${unit.slice(3)}` : unit;
  const names = [...new Set(tables.flatMap((t) => t?.cases.map((c) => c.name) ?? []))];
  const out = [
    `**${escapeCell(title)}** (${shownUnit}; ratio to “${escapeCell(first.baseline)}”${first.method !== undefined ? `; ${first.method}` : ""})`,
    "",
    `| case | ${labels.map((l) => `${l} | ratio`).join(" | ")} |`,
    `| --- | ${labels.map(() => "---: | ---:").join(" | ")} |`,
  ];
  for (const name of names) {
    const cells = tables.map((t) => {
      const c = t?.cases.find((x) => x.name === name);
      if (c === undefined) return "— | —";
      const rme = c.rme !== undefined && Number.isFinite(c.rme) ? ` ±${c.rme.toFixed(1)} %` : "";
      return `${formatNumber(c.value / scale.divisor)}${rme} | ${c.ratio !== undefined ? formatRatio(c.ratio) : "—"}`;
    });
    out.push(`| ${escapeCell(name)} | ${cells.join(" | ")} |`);
  }
  return out.join("\n");
}

/** docs/BENCHMARKS.md's block: provenance, then every file's tables, figures, ratios, skips and chart. */
export function renderDetails(report: BenchReport, chartDir: string): string {
  const runtimes = present(report);
  const out = [renderProvenance(report)];
  const manual = [...new Set(runtimes.flatMap((r) => r.section.manual ?? []))].sort();
  if (manual.length > 0) {
    out.push("", `Not run by \`bench/run.ts\` (they record no figures; tools to run by hand): ${manual.map((f) => `\`${f}\``).join(", ")}.`);
  }
  for (const file of fileNames(report)) {
    const outcomes = runtimes.map((r) => r.section.files[file]);
    out.push("", `### ${file}`);
    const seconds = runtimes.map((r, i) => outcomes[i] === undefined ? `${r.label}: not run` : `${r.label} ${seconds1(outcomes[i]!.seconds)} s`);
    out.push("", `Wall-clock time of the whole file: ${seconds.join(", ")}.`);
    const titles = [...new Set(outcomes.flatMap((o) => o?.tables.map((t) => t.title) ?? []))];
    for (const title of titles) {
      out.push("", renderTable(title, outcomes.map((o) => o?.tables.find((t) => t.title === title)), runtimes.map((r) => r.label)));
    }
    const valueLabels = [...new Set(outcomes.flatMap((o) => o?.values.map((v) => v.label) ?? []))];
    if (valueLabels.length > 0) {
      out.push("", `| figure | ${runtimes.map((r) => r.label).join(" | ")} |`, `| --- | ${runtimes.map(() => "---:").join(" | ")} |`);
      for (const label of valueLabels) {
        const cells = outcomes.map((o) => {
          const v = o?.values.find((x) => x.label === label);
          return v === undefined ? "—" : `${formatNumber(v.value)} ${v.unit}`;
        });
        out.push(`| ${escapeCell(label)} | ${cells.join(" | ")} |`);
      }
    }
    const labels = ratioLabels(report, file);
    if (labels.length > 0) {
      out.push("", `| ratio | goal | ${runtimes.map((r) => r.label).join(" | ")} |`, `| --- | --- | ${runtimes.map(() => "---:").join(" | ")} |`);
      for (const label of labels) {
        const figures = outcomes.map((o) => o?.ratios.find((f) => f.label === label));
        const goal = figures.find((f) => f?.goal !== undefined)?.goal;
        out.push(`| ${escapeCell(label)} | ${goalText(goal)} | ${figures.map((f) => cell(f?.ratio, f?.met)).join(" | ")} |`);
      }
    }
    const issues = renderIssues(report, file);
    if (issues.length > 0) out.push("", ...issues);
    if (chartRowsForFile(report, file).length > 0) out.push("", `![${file}: ratios per runtime](${chartDir}/${chartName(file)})`);
  }
  return out.join("\n");
}

function seconds1(seconds: number): string {
  return seconds >= 10 ? seconds.toFixed(0) : seconds.toFixed(1);
}

/** The SVG file name of a bench file's chart. */
export function chartName(file: string): string {
  return `${file.replace(/\.ts$/, "")}.svg`;
}

function series(report: BenchReport): ChartSeries[] {
  return present(report).map((r) => ({ name: `${r.label} ${r.section.runtime.version}`, color: r.color }));
}

/** The headline ratios of every file, grouped by file. */
export function summaryChart(report: BenchReport): ChartSpec {
  const runtimes = present(report);
  const rows: ChartRow[] = [];
  for (const file of fileNames(report)) {
    const labels = ratioLabels(report, file);
    if (labels.length === 0) continue;
    rows.push({ kind: "heading", label: file });
    for (const label of labels) {
      const figures = runtimes.map((r) => r.section.files[file]?.ratios.find((f) => f.label === label));
      rows.push({ kind: "bars", label, values: figures.map((f) => f?.ratio), goal: figures.find((f) => f?.goal !== undefined)?.goal });
    }
  }
  return { title: "Headline ratios", subtitle: quickNote(report, "each figure as its bench defines it; dashed: the goal"), series: series(report), rows };
}

function chartRowsForFile(report: BenchReport, file: string): ChartRow[] {
  const runtimes = present(report);
  const outcomes = runtimes.map((r) => r.section.files[file]);
  const rows: ChartRow[] = [];
  const titles = [...new Set(outcomes.flatMap((o: BenchFileOutcome | undefined) => o?.tables.map((t) => t.title) ?? []))];
  for (const title of titles) {
    const tables = outcomes.map((o) => o?.tables.find((t) => t.title === title));
    const baseline = tables.find((t) => t !== undefined)!.baseline;
    const names = [...new Set(tables.flatMap((t) => t?.cases.map((c) => c.name) ?? []))].filter((n) => n !== baseline);
    if (names.length === 0) continue;
    rows.push({ kind: "heading", label: `${title} — ratio to “${baseline}”` });
    for (const name of names) rows.push({ kind: "bars", label: name, values: tables.map((t) => t?.cases.find((c) => c.name === name)?.ratio) });
  }
  return rows;
}

/** Every table's ratios to its baseline for one bench file. */
export function fileChart(report: BenchReport, file: string): ChartSpec {
  return { title: file, subtitle: quickNote(report, "each case ÷ its table's baseline (time, or size for size tables; lower is better)"), series: series(report), rows: chartRowsForFile(report, file) };
}

function quickNote(report: BenchReport, text: string): string {
  return present(report).some((r) => r.section.quick) ? `${text} — QUICK RUN, not for publishing` : text;
}

/** Bench files that have a chart. */
export function chartedFiles(report: BenchReport): string[] {
  return fileNames(report).filter((file) => chartRowsForFile(report, file).length > 0);
}
