// The request examples of a Markdown page, so tests can hold the page to the contract: the
// bodies of ```json fences, and the here-documents (<<EOF … EOF) of ```sh fences with their shell
// variables filled in. Plain code: used by unit tests in Node and workers tests in workerd.

export interface DocExample {
  /** Where on the page: "json block 2", "sh here-document 1". */
  label: string;
  body: unknown;
}

const fences = (md: string, lang: string) => [...md.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);

/** Replaces `$name` by `vars[name]`; an unknown variable throws, so a new one cannot slip by unfilled. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`the example uses $${name}, which the test does not fill in`);
    return vars[name]!;
  });
}

/** Every request example on the page, parsed. `vars` fills the here-documents' shell variables. */
export function docExamples(md: string, vars: Record<string, string>): DocExample[] {
  const out: DocExample[] = fences(md, 'json').map((text, i) => ({ label: `json block ${i + 1}`, body: JSON.parse(text) as unknown }));
  let n = 0;
  for (const sh of fences(md, 'sh'))
    for (const m of sh.matchAll(/<<'?(\w+)'?\n([\s\S]*?)^\1$/gm)) {
      const quoted = m[0].startsWith("<<'"); // <<'EOF' does not expand variables
      out.push({ label: `sh here-document ${++n}`, body: JSON.parse(quoted ? m[2]! : substitute(m[2]!, vars)) as unknown });
    }
  return out;
}

/**
 * The example with its samples moved to the present (the page's timestamps are fixed; the
 * endpoint accepts only the last 24 h), keeping their order and spacing.
 */
export function atTime<T>(body: T, now: number): T {
  const copy = structuredClone(body) as { samples?: { ts?: unknown }[] };
  const list = Array.isArray(copy.samples) ? copy.samples : [];
  const last = Math.max(...list.map((s) => Number(s.ts)));
  for (const s of list) s.ts = now - (last - Number(s.ts));
  return copy as T;
}
