// Regenerates the benchmark report from bench/results/latest.json: the SVG
// charts in bench/results/, the block between `<!-- bench:start summary -->`
// and `<!-- bench:end summary -->` in README.md, and the one between the
// `details` markers in docs/BENCHMARKS.md. The prose around the markers is
// left as it is. bench/run.ts runs this at the end of `npm run bench`.
// Run: npm run bench:report   (or: deno run -A bench/report.ts)
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseReport } from "./_report_model.ts";
import { chartedFiles, chartName, fileChart, renderDetails, renderSummary, replaceBlock, summaryChart } from "./_report_render.ts";
import { renderRatioChart } from "./_svg_chart.ts";

const rootDir = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(rootDir, "bench", "results");
const latestPath = join(resultsDir, "latest.json");

if (!existsSync(latestPath)) {
  console.error(`no ${latestPath}: run \`npm run bench\` first`);
  process.exit(1);
}
const report = parseReport(readFileSync(latestPath, "utf8"));

// Charts: every SVG in bench/results/ is generated here, so stale ones (of a
// bench file that no longer exists) are removed.
const charts = new Map<string, string>([["summary.svg", renderRatioChart(summaryChart(report))]]);
for (const file of chartedFiles(report)) charts.set(chartName(file), renderRatioChart(fileChart(report, file)));
for (const name of readdirSync(resultsDir)) {
  if (name.endsWith(".svg") && !charts.has(name)) rmSync(join(resultsDir, name));
}
for (const [name, svg] of charts) writeFileSync(join(resultsDir, name), svg);

function rewrite(relative: string, block: string, content: string): void {
  const path = join(rootDir, relative);
  const before = readFileSync(path, "utf8");
  let after: string;
  try {
    after = replaceBlock(before, block, content);
  } catch (err) {
    console.error(`${relative}: ${(err as Error).message}; add the markers where the generated ${block} block belongs`);
    process.exit(1);
  }
  if (after !== before) writeFileSync(path, after);
  console.log(`${relative}: ${after === before ? "unchanged" : "block rewritten"} (${block})`);
}

rewrite("README.md", "summary", renderSummary(report, "bench/results/summary.svg"));
rewrite(join("docs", "BENCHMARKS.md"), "details", renderDetails(report, "../bench/results"));
console.log(`${charts.size} chart(s) in ${resultsDir}`);
