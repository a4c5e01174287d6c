/**
 * A plot of wall time against node count, one line per operation (and per results file, to set a run
 * beside an earlier one), drawn by gnuplot (Debian's gnuplot-nox) into a PNG.
 *
 *   node dist/bench/plot.js bench/fleet.png bench/results/a.json [bench/results/b.json …]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SizeFigures } from "./fleet";

interface ResultsFile {
  readonly label: string;
  readonly results: readonly SizeFigures[];
}

/** gnuplot's script and data files for the series of the given results (pure). */
export function plotScript(
  files: readonly ResultsFile[],
  png: string,
  dataPath: (index: number) => string,
): { script: string; data: string[] } {
  const series: { title: string; points: [number, number][] }[] = [];
  for (const file of files) {
    const operations = [...new Set(file.results.flatMap((r) => r.operations.map((o) => o.operation)))];
    for (const operation of operations) {
      const points = file.results
        .flatMap((r) =>
          r.operations.filter((o) => o.operation === operation).map((o) => [r.nodes, o.wallSeconds]),
        )
        .sort((a, b) => a[0] - b[0]) as [number, number][];
      series.push({ title: files.length > 1 ? `${operation} (${file.label})` : operation, points });
    }
  }
  const data = series.map((s) => s.points.map(([x, y]) => `${x} ${y}`).join("\n") + "\n");
  const plots = series.map(
    (s, i) => `'${dataPath(i)}' using 1:2 with linespoints title '${s.title.replace(/'/g, "")}'`,
  );
  const script = [
    "set terminal png size 1000,640",
    `set output '${png}'`,
    "set title 'ngcp-fleet on lab nodes, every feature on: wall time against nodes'",
    "set xlabel 'nodes'",
    "set ylabel 'seconds'",
    "set key left top",
    "set grid",
    `plot ${plots.join(", ")}`,
  ].join("\n");
  return { script, data };
}

/** Renders the PNG; `undefined` (with a note on stderr) when gnuplot is missing. */
export function renderPlot(files: string | readonly string[], png: string): string | undefined {
  const parsed = (typeof files === "string" ? [files] : files).map(
    (file) => JSON.parse(readFileSync(file, "utf8")) as ResultsFile,
  );
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-plot-"));
  try {
    const { script, data } = plotScript(parsed, png, (i) => join(dir, `series-${i}.dat`));
    data.forEach((text, i) => writeFileSync(join(dir, `series-${i}.dat`), text));
    writeFileSync(join(dir, "plot.gp"), script);
    const result = spawnSync("gnuplot", [join(dir, "plot.gp")], { encoding: "utf8" });
    if (result.error !== undefined || result.status !== 0) {
      process.stderr.write(`bench: no plot (gnuplot: ${result.error?.message ?? result.stderr})\n`);
      return undefined;
    }
    return png;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [png, ...files] = process.argv.slice(2);
  if (png === undefined || files.length === 0) {
    console.error("usage: node dist/bench/plot.js OUT.png RESULTS.json [RESULTS.json …]");
    process.exitCode = 2;
  } else {
    console.log(renderPlot(files, png) ?? "no plot");
  }
}
