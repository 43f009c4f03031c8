// Where a JSON pointer (`/steps/welcome/options/1`) sits in JSON text, so that an editor
// can select the part an error names. A small scanner that follows the text as typed
// (comments and trailing commas are not JSON, and give up), returning the offsets of
// the value at the pointer — or of the deepest part of the pointer that exists.

export type Span = { start: number; end: number };

export function locate(text: string, pointer: string): Span | null {
  const want = pointer === '' ? [] : pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let i = 0;
  let best: Span | null = null;
  let bestDepth = -1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): string | null => {
    if (text[i] !== '"') return null;
    let out = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
      } else out += text[i++];
    }
    if (i >= text.length) return null;
    i++;
    return out;
  };
  // Scans one value at `i`; `path` is where it is. Returns false on broken JSON.
  const value = (path: string[]): boolean => {
    ws();
    const start = i;
    if (text[i] === '{') {
      i++;
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          const key = str();
          if (key === null) return false;
          ws();
          if (text[i++] !== ':') return false;
          if (!value([...path, key])) return false;
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            break;
          }
          return false;
        }
      }
    } else if (text[i] === '[') {
      i++;
      ws();
      if (text[i] === ']') i++;
      else {
        for (let n = 0; ; n++) {
          if (!value([...path, String(n)])) return false;
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            break;
          }
          return false;
        }
      }
    } else if (text[i] === '"') {
      if (str() === null) return false;
    } else {
      const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
      if (!m) return false;
      i += m[0].length;
    }
    // The deepest value on the pointer's way: the value itself when it exists.
    const onTheWay = path.length <= want.length && path.every((p, k) => p === want[k]);
    if (onTheWay && path.length > bestDepth) {
      best = { start, end: i };
      bestDepth = path.length;
    }
    return true;
  };
  return value([]) ? best : null;
}
