/**
 * The acceptance figures the server keeps (its `goldcrest/stats` answer, key `acceptance`) as a
 * markdown table: per tier, model, language and task, how many suggestions were shown and taken,
 * and whether the slower model's answers are worth their wait. Pure module.
 */

export interface AcceptanceRow {
  tier: string;
  model: string;
  language: string;
  task: string;
  shown: number;
  accepted: number;
  partial: number;
  chars: number;
  undone: number;
  rate: number;
  p50_ms_accepted: number | null;
  p50_ms_ignored: number | null;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const optNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' && v ? v : '-');

/** The acceptance rows of a `goldcrest/stats` answer; none when it has no such key. */
export function acceptanceRows(stats: unknown): AcceptanceRow[] {
  const rows = stats !== null && typeof stats === 'object' ? (stats as { acceptance?: unknown }).acceptance : undefined;
  if (!Array.isArray(rows)) {
    return [];
  }
  return rows
    .filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object')
    .map((r) => ({
      tier: str(r.tier),
      model: str(r.model),
      language: str(r.language),
      task: str(r.task),
      shown: num(r.shown),
      accepted: num(r.accepted),
      partial: num(r.partial),
      chars: num(r.chars),
      undone: num(r.undone),
      rate: num(r.rate),
      p50_ms_accepted: optNum(r.p50_ms_accepted),
      p50_ms_ignored: optNum(r.p50_ms_ignored),
    }));
}

const ms = (v: number | null): string => (v === null ? '-' : `${Math.round(v)} ms`);

/** The report shown by "Goldcrest: Show Acceptance Stats". */
export function acceptanceReport(stats: unknown): string {
  const rows = acceptanceRows(stats);
  const head = '# Goldcrest: what you accepted\n\nCounted on this machine only (`goldcrest stats` shows the same).\n\n';
  if (rows.length === 0) {
    return `${head}Nothing shown yet, or counting is off (\`[telemetry] local_acceptance\`).\n`;
  }
  const lines = [
    '| model (tier) | language | task | shown | accepted (partly) | rate | chars | undone | median wait: accepted / ignored |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.model} (${r.tier}) | ${r.language} | ${r.task} | ${r.shown} | ${r.accepted} (${r.partial}) | ` +
        `${(100 * r.rate).toFixed(0)}% | ${r.chars} | ${r.undone} | ${ms(r.p50_ms_accepted)} / ${ms(r.p50_ms_ignored)} |`,
    ),
  ];
  return `${head}${lines.join('\n')}\n`;
}
