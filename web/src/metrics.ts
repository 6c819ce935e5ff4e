// A reader for the server's Prometheus text (GET /metrics): samples by name and labels,
// and a histogram's quantile as the upper bound of the bucket it falls in — the
// buckets are fixed (docs/api.md, Metrics), so that bound is what the data can tell.
// Metrics are not money: JS numbers are fine here.

export interface Sample { name: string; labels: Record<string, string>; value: number; text: string; }

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) {
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (match === null) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const pair of (match[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2];
    }
    samples.push({ name: match[1], labels, value: Number(match[4]), text: match[4] });
  }
  return samples;
}

export function total(samples: Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
}

/** The le of the first bucket holding quantile q of a label-less histogram, or null. */
export function quantileBound(samples: Sample[], name: string, q: number): string | null {
  const buckets = samples.filter((s) => s.name === name + "_bucket");
  const count = buckets.find((b) => b.labels.le === "+Inf")?.value ?? 0;
  if (count === 0) {
    return null;
  }
  const rank = q * count;
  const hit = buckets.find((b) => b.value >= rank);
  return hit ? hit.labels.le : null;
}
