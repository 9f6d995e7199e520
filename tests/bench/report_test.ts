// The benchmark report generator and the SVG chart writer, on a fixture
// results object: pure functions, no timing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emptyReport, parseReport, REPORT_SCHEMA } from "../../bench/_report_model.ts";
import type { BenchReport, RuntimeSection } from "../../bench/_report_model.ts";
import {
  chartedFiles,
  fileChart,
  markers,
  renderDetails,
  renderSummary,
  replaceBlock,
  summaryChart,
} from "../../bench/_report_render.ts";
import { escapeXml, formatRatio, renderRatioChart } from "../../bench/_svg_chart.ts";

function section(name: "node" | "deno", scale: number, overrides: Partial<RuntimeSection> = {}): RuntimeSection {
  return {
    runtime: { name, version: name === "node" ? "20.20.2" : "2.9.6", v8: name === "node" ? "11.3.244.8" : "15.0.245.2" },
    machine: { cpu: "Test CPU <fast>", cores: 2, memoryBytes: 24 * 2 ** 30, os: "linux 6.1 x64" },
    date: "2026-12-06T07:00:00.000Z",
    commit: "0123456789abcdef0123456789abcdef01234567",
    dirty: false,
    command: "npm run bench",
    quick: false,
    filters: [],
    manual: ["wasi_fs_rss.ts"],
    complete: true,
    seconds: 600,
    files: {
      "create_and_call.ts": {
        file: "create_and_call.ts",
        status: "ok",
        seconds: 20,
        load1m: [1, 3.5],
        tables: [{
          title: "call an export",
          baseline: "raw export call add(a, b)",
          method: "fastest median of 3 rounds",
          cases: [
            { name: "raw export call add(a, b)", value: 9, unit: "ns/call", rme: 0.5, samples: 1000, ratio: 1 },
            { name: "ours, callSync(\"add\", a, b)", value: 27 * scale, unit: "ns/call", rme: 1.2, samples: 900, ratio: 3 * scale },
          ],
        }],
        ratios: [
          { label: "callSync ÷ raw export call", ratio: 3 * scale, goal: { max: 4 }, met: 3 * scale <= 4 },
          { label: "create: ours | Extism", ratio: 0.5, goal: { max: 1 }, met: true },
        ],
        values: [],
        skipped: [],
      },
      "wasi_programs.ts": {
        file: "wasi_programs.ts",
        status: name === "deno" ? "failed" : "ok",
        ...(name === "deno" ? { error: "exit 1" } : {}),
        seconds: 30,
        tables: [{
          title: "whole WASI program: esbuild",
          baseline: "ours",
          cases: [
            { name: "ours", value: 51_000_000, unit: "ns/run", ratio: 1 },
            { name: "node:wasi", value: 50_000_000, unit: "ns/run", ratio: 0.98 },
          ],
        }],
        ratios: [{ label: "esbuild: ours ÷ node:wasi", ratio: 1.02 }],
        values: [{ label: "instrumented size", value: 13_300_000, unit: "bytes" }],
        skipped: [{ what: "wasm-metering on sieve", reason: "it cannot instrument this kernel: <bulk memory>" }],
      },
    },
    ...overrides,
  };
}

function fixture(): BenchReport {
  return { schema: REPORT_SCHEMA, runtimes: { node: section("node", 1), deno: section("deno", 2, { quick: true }) } };
}

/** A minimal well-formedness check: one root <svg>, every element closed, attributes quoted, no raw & or <. */
function assertWellFormedSvg(svg: string): void {
  assert.ok(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), "starts with the svg root");
  assert.ok(svg.trimEnd().endsWith("</svg>"), "ends with the svg root");
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9-]*="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(svg); match !== null; match = tag.exec(svg)) {
    const between = svg.slice(last, match.index);
    assert.not.match(between, /<|&(?!amp;|lt;|gt;|quot;|#39;)/, `text before offset ${match.index} is escaped`);
    last = match.index + match[0].length;
    const [, closing, name, , selfClosing] = match;
    if (selfClosing === "/") continue;
    if (closing === "/") assert.is(stack.pop(), name, `</${name}> closes the open element`);
    else stack.push(name!);
  }
  assert.equal(stack, [], "every element is closed");
  assert.is(svg.slice(last).trim(), "", "nothing after the root");
}

test("replaceBlock() rewrites only what lies between the markers", () => {
  const [start, end] = markers("summary");
  const text = `# Title\n\nprose before\n${start}\nold table\n${end}\nprose after\n`;
  const out = replaceBlock(text, "summary", "new table");
  assert.is(out, `# Title\n\nprose before\n${start}\nnew table\n${end}\nprose after\n`);
  assert.is(replaceBlock(out, "summary", "new table"), out, "idempotent");
});

test("replaceBlock() refuses missing, reversed or repeated markers", () => {
  const [start, end] = markers("details");
  assert.throws(() => replaceBlock("no markers", "details", "x"), /missing or misplaced/);
  assert.throws(() => replaceBlock(`${end}\n${start}`, "details", "x"), /missing or misplaced/);
  assert.throws(() => replaceBlock(`${start}\n${end}\n${start}\n${end}`, "details", "x"), /more than once/);
});

test("renderSummary() has one row per headline ratio, with its goal and each runtime's figure", () => {
  const md = renderSummary(fixture(), "bench/results/summary.svg");
  assert.match(md, "| figure (bench file) | goal | Node | Deno |");
  assert.match(md, "| callSync ÷ raw export call (`create_and_call.ts`) | ≤ 4.00× | **3.00×** (met) | 6.00× (not met) |");
  assert.match(md, "| create: ours \\| Extism (`create_and_call.ts`) |", "a | in a label is escaped");
  assert.match(md, "| esbuild: ours ÷ node:wasi (`wasi_programs.ts`) | — | 1.02× | 1.02× |");
  assert.match(md, "commit `0123456789ab`");
  assert.match(md, "Node 20.20.2 (V8 11.3.244.8)");
  assert.match(md, "load average (1 min) 1.0–3.5 during the pass", "the machine's load is shown");
  assert.match(md, "**quick run**", "a quick section is marked");
  assert.match(md, "Deno: `wasi_programs.ts` **failed** (exit 1)", "a failed file is reported");
  assert.match(md, "not measured: wasm-metering on sieve", "a skip is reported");
  assert.match(md, "![Headline ratios per runtime, with goals](bench/results/summary.svg)");
  // Every table row has the same number of cells as the header.
  const rows = md.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| ---"));
  for (const row of rows) assert.is(row.replaceAll("\\|", "").split("|").length, 6, row);
});

test("renderDetails() gives each file its tables with one scale per table", () => {
  const md = renderDetails(fixture(), "../bench/results");
  assert.match(md, "### create_and_call.ts");
  assert.match(md, "**call an export** (ns/call; ratio to “raw export call add(a, b)”; fastest median of 3 rounds)");
  assert.match(md, "| raw export call add(a, b) | 9.00 ±0.5 % | 1.00× | 9.00 ±0.5 % | 1.00× |");
  assert.match(md, "**whole WASI program: esbuild** (ms/run;", "times of tens of ms are shown in ms");
  assert.match(md, "| node:wasi | 50.0 | 0.98× | 50.0 | 0.98× |");
  assert.match(md, "| instrumented size | 13 300 000 bytes | 13 300 000 bytes |");
  assert.match(md, "Not run by `bench/run.ts`");
  assert.match(md, "![create_and_call.ts: ratios per runtime](../bench/results/create_and_call.svg)");
});

test("a report with one runtime only has one column per runtime", () => {
  const report = emptyReport();
  report.runtimes.node = section("node", 1);
  const md = renderSummary(report, "x.svg");
  assert.match(md, "| figure (bench file) | goal | Node |\n");
  assert.not.match(md, "Deno");
});

test("parseReport() refuses a file of another layout", () => {
  assert.throws(() => parseReport(JSON.stringify({ schema: 999, runtimes: {} })), /schema 999/);
  assert.equal(parseReport(JSON.stringify(fixture())), fixture());
});

test("renderRatioChart() writes a well-formed SVG with a bar per runtime, the goal and escaped labels", () => {
  const svg = renderRatioChart(summaryChart(fixture()));
  assertWellFormedSvg(svg);
  assert.match(svg, "create: ours | Extism");
  assert.match(svg, ">6.00×</text>", "Deno's bar is labelled with its ratio");
  assert.match(svg, 'stroke-dasharray="4 3"><title>goal ≤ 4.00×</title>', "the goal is drawn");
  assert.match(svg, 'fill="#3c873a"', "Node's colour");
  assert.match(svg, 'fill="#2f6fb3"', "Deno's colour");
  assert.match(svg, "QUICK RUN", "quick figures are marked on the chart");
});

test("renderRatioChart() draws n/a for a missing or non-positive figure and never NaN", () => {
  const svg = renderRatioChart({
    title: "t & <t>",
    series: [{ name: "A", color: "#000" }, { name: "B", color: "#111" }],
    rows: [{ kind: "heading", label: "h" }, { kind: "bars", label: "r", values: [undefined, 0], goal: { min: 10 } }],
  });
  assertWellFormedSvg(svg);
  assert.match(svg, "t &amp; &lt;t&gt;");
  assert.match(svg, "A: n/a");
  assert.match(svg, "B: n/a");
  assert.not.match(svg, "NaN");
  assert.not.match(svg, "Infinity");
});

test("fileChart() has a heading per table and a row per non-baseline case", () => {
  assert.equal(chartedFiles(fixture()), ["create_and_call.ts", "wasi_programs.ts"]);
  const spec = fileChart(fixture(), "create_and_call.ts");
  assert.equal(spec.rows.map((r) => r.kind), ["heading", "bars"]);
  const bars = spec.rows[1]!;
  assert.ok(bars.kind === "bars");
  assert.equal(bars.values, [3, 6]);
  assertWellFormedSvg(renderRatioChart(spec));
});

test("formatRatio() and escapeXml()", () => {
  assert.is(formatRatio(1.384), "1.38×");
  assert.is(formatRatio(14.42), "14.4×");
  assert.is(formatRatio(130.4), "130×");
  assert.is(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&#39;");
});

test.run();
