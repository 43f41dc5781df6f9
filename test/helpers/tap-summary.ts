/** What `npm test` prints about failures before its counts. */

/**
 * The failed assertions of a tap log, each with the subtests it sits in and
 * the short fields of its diagnostic (found/wanted/at...), so a CI log that
 * keeps only its tail still says what failed.
 */
export function failureSummary(log: string, max = 40): string[] {
  const lines = log.split('\n');
  const path: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < max; i++) {
    const line = lines[i]!;
    const sub = /^( *)# Subtest: (.*)$/.exec(line);
    if (sub) {
      path.length = sub[1]!.length / 4;
      path.push(sub[2]!);
      continue;
    }
    const bad = /^( *)not ok \d+ - (.*?)(?: # time=.*)?$/.exec(line);
    if (!bad) continue;
    const depth = bad[1]!.length / 4;
    const diag: string[] = [];
    let leaf = true;
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith(`${bad[1]}  `); j++) {
      const f = /^(\s*)(found|wanted|pattern|doesNotMatch|message|fileName|lineNumber|diff|stdio):\s*(.*)$/.exec(
        lines[j]!,
      );
      if (f?.[2] === 'stdio') leaf = false;
      else if (f && /^[|>][-+]?$/.test(f[3]!)) {
        // A block scalar (a diff): its changed lines, not the header.
        const body: string[] = [];
        for (let k = j + 1; k < lines.length && lines[k]!.startsWith(`${f[1]}  `); k++) {
          const l = lines[k]!.trim();
          if (/^[-+](?![-+]{2})/.test(l)) body.push(l);
        }
        diag.push(`${f[2]}: ${body.slice(0, 4).join(' ')}`.slice(0, 200));
      } else if (f?.[3]) diag.push(`${f[2]}: ${f[3]}`.slice(0, 200));
    }
    if (leaf)
      out.push(
        `not ok - ${[...path.slice(0, depth), bad[2]].join(' > ')}${diag.length ? ` (${diag.join('; ')})` : ''}`,
      );
  }
  return out;
}
