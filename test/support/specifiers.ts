// The module specifiers a TypeScript or JavaScript file imports, found by a
// small tokenizer rather than by one regular expression: comments, strings,
// template literals and regular expressions are read as what they are, so an
// import written in a comment or a string does not count, and a quote inside
// a regex or a string cannot hide a real import that follows it.

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'string'; value: string }
  /** A template literal; `value` is null when it has substitutions (its value is computed). */
  | { kind: 'template'; value: string | null }
  | { kind: 'punct'; text: string };

const WORD = /[A-Za-z0-9_$]/;
/** After these, a `/` divides; after anything else (an operator, `(`, `return`, …) it starts a regex. */
const ENDS_OPERAND = new Set([')', ']', '}']);
const KEYWORDS_BEFORE_EXPRESSION = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  /** One entry per template literal we are inside of: how many `{` are open in its current `${…}`. */
  const templates: number[] = [];
  let i = 0;

  const readQuoted = (quote: string): string => {
    let value = '';
    i++; // the opening quote
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') { value += text[i + 1] ?? ''; i += 2; continue; }
      if (text[i] === '\n') break; // an unterminated string ends at the line
      value += text[i++];
    }
    i++; // the closing quote
    return value;
  };

  /** Reads template text up to its end (returns true) or up to a `${` (returns false). */
  const readTemplateText = (): { text: string; ended: boolean } => {
    let value = '';
    while (i < text.length) {
      if (text[i] === '\\') { value += text[i + 1] ?? ''; i += 2; continue; }
      if (text[i] === '`') { i++; return { text: value, ended: true }; }
      if (text[i] === '$' && text[i + 1] === '{') { i += 2; return { text: value, ended: false }; }
      value += text[i++];
    }
    return { text: value, ended: true };
  };

  const regexAllowed = () => {
    const last = tokens.at(-1);
    if (!last) return true;
    if (last.kind === 'string' || last.kind === 'template') return false;
    if (last.kind === 'word') return KEYWORDS_BEFORE_EXPRESSION.has(last.text);
    return !ENDS_OPERAND.has(last.text);
  };

  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') { const end = text.indexOf('*/', i + 2); i = end < 0 ? text.length : end + 2; continue; }
    if (c === '\'' || c === '"') { tokens.push({ kind: 'string', value: readQuoted(c) }); continue; }
    if (c === '`') {
      i++;
      const part = readTemplateText();
      if (part.ended) tokens.push({ kind: 'template', value: part.text });
      else { tokens.push({ kind: 'template', value: null }); templates.push(0); }
      continue;
    }
    if (c === '/' && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < text.length && text[i] !== '\n' && (inClass || text[i] !== '/')) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        i++;
      }
      i++; // the closing slash
      while (i < text.length && WORD.test(text[i])) i++; // flags
      tokens.push({ kind: 'punct', text: 'regex' });
      continue;
    }
    if (WORD.test(c)) {
      let word = '';
      while (i < text.length && WORD.test(text[i])) word += text[i++];
      tokens.push({ kind: 'word', text: word });
      continue;
    }
    if (templates.length && c === '{') templates[templates.length - 1]++;
    if (templates.length && c === '}') {
      if (templates[templates.length - 1] === 0) {
        // The end of a `${…}`: the template's text goes on.
        i++;
        templates.pop();
        const part = readTemplateText();
        if (!part.ended) templates.push(0);
        continue;
      }
      templates[templates.length - 1]--;
    }
    tokens.push({ kind: 'punct', text: c });
    i++;
  }
  return tokens;
}

/** A dynamic import or require whose specifier is computed: it cannot be checked. */
export const COMPUTED = '<computed>';

const isWord = (t: Token | undefined, text: string) => t?.kind === 'word' && t.text === text;
const isPunct = (t: Token | undefined, text: string) => t?.kind === 'punct' && t.text === text;
const literal = (t: Token | undefined): string | null =>
  t?.kind === 'string' ? t.value : t?.kind === 'template' ? t.value : null;

/**
 * Every specifier the file imports or re-exports: `import … from 'x'`,
 * `import type … from 'x'`, `import 'x'`, `export … from 'x'` (`*`, `* as`,
 * `{ … }`, `type { … }`), `import('x')` and `require('x')` (a string or a
 * template literal without substitutions; a computed one is COMPUTED).
 */
export function specifiers(text: string): string[] {
  const tokens = tokenize(text);
  const found: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'word' || isPunct(tokens[k - 1], '.')) continue;
    const next = tokens[k + 1];
    if ((t.text === 'import' || t.text === 'require') && isPunct(next, '(')) {
      // import('x') or import('x', { with: … }); anything else is computed.
      const spec = literal(tokens[k + 2]);
      const whole = isPunct(tokens[k + 3], ')') || isPunct(tokens[k + 3], ',');
      found.push(spec !== null && whole ? spec : COMPUTED);
      continue;
    }
    if (t.text === 'import') {
      if (isPunct(next, '.')) continue; // import.meta
      if (next?.kind === 'string') { found.push(next.value); continue; }
      // import [type] <bindings> from 'x': the first `from` followed by a string, before the statement ends.
      for (let j = k + 1; j < tokens.length && !isPunct(tokens[j], ';'); j++) {
        if (isWord(tokens[j], 'from') && tokens[j + 1]?.kind === 'string') { found.push(literal(tokens[j + 1])!); break; }
        if (isWord(tokens[j], 'import') || isWord(tokens[j], 'export')) break;
      }
      continue;
    }
    if (t.text === 'export') {
      let j = k + 1;
      if (isWord(tokens[j], 'type')) j++;
      if (isPunct(tokens[j], '*')) {
        j++;
        if (isWord(tokens[j], 'as')) j += 2;
      } else if (isPunct(tokens[j], '{')) {
        while (j < tokens.length && !isPunct(tokens[j], '}')) j++;
        j++;
      } else continue; // export const/function/class/default/…: no specifier
      if (isWord(tokens[j], 'from') && tokens[j + 1]?.kind === 'string') found.push(literal(tokens[j + 1])!);
    }
  }
  return found;
}
