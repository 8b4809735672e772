/**
 * A strict HTML tokenizer for tests (WHATWG HTML §13.2.5 "Tokenization", the subset a
 * server-rendered page uses): start and end tags with their attributes (double-, single- and
 * unquoted values, character references left as written), comments, doctype, and the raw-text
 * elements whose content is not markup (`script`, `style`; RCDATA `textarea`, `title`). It is
 * what the payload tests parse every response with: an injected element or attribute shows up
 * as a token, escaped text does not. `forms()` lists the forms of a page with their fields.
 */

export interface Tag {
  name: string;
  attrs: Array<[string, string]>;
  /** Offset of `<` in the source. */
  at: number;
}

const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title']);

/** Decode the character references our escaping produces (and numeric ones). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const l = e.toLowerCase();
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith('#')) return String.fromCodePoint(parseInt(l.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[l]!;
  });
}

/** Start tags of a document, in order; raw-text element contents are skipped, as a browser does. */
export function startTags(src: string): Tag[] {
  const out: Tag[] = [];
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt < 0) break;
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt + 4);
      i = end < 0 ? src.length : end + 3;
      continue;
    }
    if (src[lt + 1] === '!' || src[lt + 1] === '?') {
      const end = src.indexOf('>', lt);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    if (src[lt + 1] === '/') {
      const end = src.indexOf('>', lt);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    const m = /^<([a-zA-Z][^\s/>]*)/.exec(src.slice(lt, lt + 100));
    if (!m) {
      i = lt + 1;
      continue;
    }
    const name = m[1]!.toLowerCase();
    let j = lt + m[0].length;
    const attrs: Array<[string, string]> = [];
    for (;;) {
      while (j < src.length && /[\s/]/.test(src[j]!)) j++;
      if (j >= src.length || src[j] === '>') break;
      const an = /^[^\s/>=]+/.exec(src.slice(j, j + 200));
      if (!an) {
        j++;
        continue;
      }
      const attr = an[0].toLowerCase();
      j += an[0].length;
      while (j < src.length && /\s/.test(src[j]!)) j++;
      let value = '';
      if (src[j] === '=') {
        j++;
        while (j < src.length && /\s/.test(src[j]!)) j++;
        const q = src[j];
        if (q === '"' || q === "'") {
          const end = src.indexOf(q, j + 1);
          value = src.slice(j + 1, end < 0 ? src.length : end);
          j = end < 0 ? src.length : end + 1;
        } else {
          const v = /^[^\s>]*/.exec(src.slice(j))![0];
          value = v;
          j += v.length;
        }
      }
      attrs.push([attr, decodeEntities(value)]);
    }
    out.push({ name, attrs, at: lt });
    i = j + 1;
    if (RAW_TEXT.has(name)) {
      const close = src.toLowerCase().indexOf(`</${name}`, i);
      i = close < 0 ? src.length : close;
    }
  }
  return out;
}

export function attr(tag: Tag, name: string): string | undefined {
  return tag.attrs.find(([k]) => k === name)?.[1];
}

/**
 * Markup an injection would have produced, as findings (empty = inert). Our pages never use
 * inline scripts, event-handler attributes, `javascript:` URLs, frames or `<base>`, so any of
 * them is foreign; `xss-probe`, `data-xss` and `<img src=x>` are the payloads' own markers.
 */
export function injectedMarkup(src: string): string[] {
  const found: string[] = [];
  for (const t of startTags(src)) {
    if (['xss-probe', 'iframe', 'object', 'embed', 'base', 'frame', 'meta'].includes(t.name) && !(t.name === 'meta' && isOwnMeta(t))) found.push(`<${t.name}>`);
    if (t.name === 'script' && attr(t, 'src') === undefined) found.push('inline <script>');
    if (t.name === 'img' && attr(t, 'src') === 'x') found.push('<img src=x>');
    for (const [k, v] of t.attrs) {
      if (k.startsWith('on')) found.push(`<${t.name} ${k}>`);
      if (k === 'data-xss' || k === 'srcdoc' || k === 'formaction' || k.startsWith('hx-on')) found.push(`<${t.name} ${k}>`);
      if (['href', 'src', 'action', 'hx-get', 'hx-post', 'xlink:href'].includes(k) && /^\s*(javascript|data|vbscript):/i.test(v)) found.push(`<${t.name} ${k}=${v.slice(0, 20)}>`);
      // The payloads' own markers (xss=8, xss(n)), not any 'xss' inside an id: ULIDs can spell it.
      if (k.startsWith('hx-') && /xss[=(]/.test(v)) found.push(`<${t.name} ${k}=${v.slice(0, 20)}>`);
    }
  }
  return found;
}

function isOwnMeta(t: Tag): boolean {
  return ['charset', 'name'].some((k) => attr(t, k) !== undefined) && attr(t, 'http-equiv') === undefined;
}

export interface FormField {
  name: string;
  /** input type, or `textarea` / `select`. */
  type: string;
  value: string;
  required: boolean;
}

export interface Form {
  method: 'get' | 'post';
  action: string;
  id: string | undefined;
  fields: FormField[];
}

/** The forms of a page and their named fields (checkboxes and radios: checked or first). */
export function forms(src: string, pagePath: string): Form[] {
  const tags = startTags(src);
  const out: Form[] = [];
  let current: Form | null = null;
  const lower = src.toLowerCase();
  for (let k = 0; k < tags.length; k++) {
    const t = tags[k]!;
    if (t.name === 'form') {
      current = {
        method: (attr(t, 'method') ?? 'get').toLowerCase() === 'post' ? 'post' : 'get',
        action: attr(t, 'action') ?? pagePath,
        id: attr(t, 'id'),
        fields: [],
      };
      out.push(current);
      const close = lower.indexOf('</form', t.at);
      (current as Form & { end?: number }).end = close < 0 ? src.length : close;
      continue;
    }
    if (!current || t.at > ((current as Form & { end?: number }).end ?? 0)) {
      current = null;
      continue;
    }
    const name = attr(t, 'name');
    if (!name) continue;
    if (t.name === 'input') {
      const type = (attr(t, 'type') ?? 'text').toLowerCase();
      if (type === 'submit' || type === 'button' || type === 'image' || type === 'file') continue;
      if ((type === 'checkbox' || type === 'radio') && current.fields.some((f) => f.name === name)) continue;
      current.fields.push({ name, type, value: attr(t, 'value') ?? (type === 'checkbox' ? 'on' : ''), required: attr(t, 'required') !== undefined });
    } else if (t.name === 'textarea') {
      const close = lower.indexOf('</textarea', t.at);
      const open = src.indexOf('>', t.at) + 1;
      current.fields.push({ name, type: 'textarea', value: decodeEntities(src.slice(open, close)), required: attr(t, 'required') !== undefined });
    } else if (t.name === 'select') {
      const opt = tags.slice(k + 1).find((x) => x.name === 'option');
      current.fields.push({ name, type: 'select', value: opt ? (attr(opt, 'value') ?? '') : '', required: attr(t, 'required') !== undefined });
    }
  }
  return out;
}
