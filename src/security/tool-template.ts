/**
 * The argument templates of a policy tool: `{input}` stands for the value of an input, `{{` and
 * `}}` for a literal brace. Each template is one argument, whatever its values hold: nothing is
 * split, globbed or given to a shell.
 */

/** A template cut into literal text and input references. */
export type TemplatePart = { readonly text: string } | { readonly input: string };

/** Input names: as workflow ids, so `${{ }}` and `{…}` read alike. */
export const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Cut `template` into parts; a message saying what is wrong when it is not one. */
export function parseTemplate(template: string): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if ((ch === '{' || ch === '}') && template[i + 1] === ch) {
      text += ch;
      i += 1;
    } else if (ch === '{') {
      const end = template.indexOf('}', i);
      const name = end < 0 ? '' : template.slice(i + 1, end);
      if (!INPUT_NAME.test(name))
        return `"{" at ${String(i + 1)} opens no {input}: write {name} for an input, {{ for a literal {`;
      if (text !== '') parts.push({ text });
      text = '';
      parts.push({ input: name });
      i = end;
    } else if (ch === '}') {
      return `"}" at ${String(i + 1)} closes nothing: write }} for a literal }`;
    } else {
      text += ch ?? '';
    }
  }
  if (text !== '') parts.push({ text });
  return parts;
}

/** The inputs a template refers to. */
export function inputsOf(parts: readonly TemplatePart[]): string[] {
  return parts.flatMap((p) => ('input' in p ? [p.input] : []));
}

/**
 * The argument `parts` make with `values`; undefined when it refers to an input without a
 * value, so that an optional flag (`--filter={filter}`) is left out rather than passed empty.
 */
export function fillTemplate(
  parts: readonly TemplatePart[],
  values: Readonly<Record<string, string>>,
): string | undefined {
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else {
      const value = Object.hasOwn(values, part.input) ? values[part.input] : undefined;
      if (value === undefined) return undefined;
      out += value;
    }
  }
  return out;
}
