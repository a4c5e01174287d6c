/**
 * The audit's report (pure): a cli-table3 table per node for people, JSON for machines, Markdown for a
 * report file. Every renderer takes the same {@link AuditReport}; none adds information the others lack.
 */
import Table from "cli-table3";
import { mustFailed, type CheckResult, type CheckStatus } from "./checks";

/** One node's outcome: its graded checks, or why it could not be read (then it counts as failed). */
export interface NodeAudit {
  readonly node: string;
  /** `user@host:port`. */
  readonly address: string;
  readonly checks: readonly CheckResult[];
  /** Set when the node could not be read; `checks` is then empty. */
  readonly error?: string;
}

export interface AuditReport {
  /** ISO 8601 UTC. */
  readonly at: string;
  /** The stack audited, or undefined for `--host`. */
  readonly stack?: string;
  readonly nodes: readonly NodeAudit[];
}

export type ReportFormat = "table" | "json" | "markdown";
export const REPORT_FORMATS: readonly ReportFormat[] = ["table", "json", "markdown"];

export interface NodeSummary {
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
  /** A `must` check failed, or the node could not be read. */
  readonly failed: boolean;
}

export function summarize(node: NodeAudit): NodeSummary {
  const count = (status: CheckStatus) => node.checks.filter((c) => c.status === status).length;
  return {
    pass: count("pass"),
    warn: count("warn"),
    fail: count("fail"),
    failed: node.error !== undefined || mustFailed(node.checks),
  };
}

/** The exit status: 1 when any node failed a `must` check or could not be read, else 0. */
export function exitStatus(report: AuditReport): number {
  return report.nodes.some((n) => summarize(n).failed) ? 1 : 0;
}

function summaryLine(node: NodeAudit): string {
  if (node.error !== undefined) {
    return `${node.node} (${node.address}): NOT AUDITED — ${node.error}`;
  }
  const s = summarize(node);
  return `${node.node} (${node.address}): ${s.pass} pass, ${s.warn} warn, ${s.fail} fail — ${s.failed ? "NOT production-ready (a must check failed)" : "no must check failed"}`;
}

/** One cli-table3 table per node. `color` adds ANSI colours to the status column. @default false */
export function renderTable(
  report: AuditReport,
  options: { readonly color?: boolean; readonly width?: number } = {},
): string {
  const paint = (status: CheckStatus) => {
    if (!options.color) {
      return status.toUpperCase();
    }
    const code = status === "pass" ? 32 : status === "warn" ? 33 : 31;
    return `\u001b[${code}m${status.toUpperCase()}\u001b[0m`;
  };
  const width = Math.max(100, options.width ?? 160);
  const evidenceWidth = Math.floor((width - 40) * 0.6);
  const fixWidth = width - 40 - evidenceWidth;
  const out: string[] = [];
  for (const node of report.nodes) {
    out.push(summaryLine(node));
    if (node.error !== undefined) {
      out.push("");
      continue;
    }
    const table = new Table({
      head: ["check", "status", "sev", "evidence", "§", "fix"],
      colWidths: [24, 8, 8, evidenceWidth, 10, fixWidth],
      wordWrap: true,
      wrapOnWordBoundary: false,
      style: { head: [], border: [] },
    });
    for (const c of node.checks) {
      table.push([
        c.id,
        paint(c.status),
        c.severity,
        c.evidence,
        c.handbook,
        c.status === "pass" ? "" : c.fix,
      ]);
    }
    out.push(table.toString(), "");
  }
  return out.join("\n");
}

/** The report as JSON (one object; `summary` per node and `exitStatus`). */
export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(
    {
      ...report,
      nodes: report.nodes.map((n) => ({ ...n, summary: summarize(n) })),
      exitStatus: exitStatus(report),
    },
    null,
    2,
  )}\n`;
}

/** `|` and newlines would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** A Markdown report: a heading and a table per node. */
export function renderMarkdown(report: AuditReport): string {
  const out = [
    `# ngcp-fleet posture audit${report.stack ? ` of stack ${report.stack}` : ""}`,
    "",
    `Taken ${report.at}. Graded against handbook chapter 15; a failed \`must\` check makes the audit fail.`,
    "",
  ];
  for (const node of report.nodes) {
    out.push(`## ${node.node} (${node.address})`, "", summaryLine(node), "");
    if (node.error !== undefined) {
      continue;
    }
    out.push(
      "| check | status | severity | evidence | handbook | fix |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const c of node.checks) {
      out.push(
        `| ${cell(c.id)} | ${c.status} | ${c.severity} | ${cell(c.evidence)} | ${c.handbook} | ${c.status === "pass" ? "" : cell(c.fix)} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

export function renderReport(
  report: AuditReport,
  format: ReportFormat,
  options: { readonly color?: boolean; readonly width?: number } = {},
): string {
  switch (format) {
    case "json":
      return renderJson(report);
    case "markdown":
      return renderMarkdown(report);
    case "table":
      return renderTable(report, options);
  }
}
